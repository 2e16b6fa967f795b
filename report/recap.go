package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/remote"
)

// Kinds of recap groups, in the order they are listed.
const (
	groupExit = iota
	groupSignal
	groupError
	groupCancelled
	groupNotStarted
)

// failureGroup is the hosts that did not succeed for the same reason.
type failureGroup struct {
	label  string // "exit 1", "signal KILL", "refused", "not started"
	status string
	kind   int
	rank   int // exit code or error class, to order groups of one kind
	hosts  []*HostRecord
}

// writeRecap writes the end-of-run recap: the hosts that did not succeed,
// grouped by what happened to them with an example message and a hint, the
// counts by status, and how many hosts took how long. Quiet runs where
// every host succeeded write nothing at all (cron mails only failures).
func writeRecap(w io.Writer, sum *Summary, st style, verbose, quiet bool) error {
	if quiet && sum.OK == len(sum.Hosts) {
		return nil
	}
	var b strings.Builder
	for _, g := range failureGroups(sum.Hosts) {
		names := make([]string, len(g.hosts))
		for i, h := range g.hosts {
			names[i] = h.Name
		}
		fmt.Fprintf(&b, "%s: %s\n", st.status(g.status, g.label), Printable(nodeset.Fold(names)))
		if g.kind == groupError {
			writeMessages(&b, g.hosts, verbose)
		}
	}
	b.WriteString(countLine(sum, st))
	noun := "hosts"
	if len(sum.Hosts) == 1 {
		noun = "host"
	}
	fmt.Fprintf(&b, "%d %s in %s\n", len(sum.Hosts), noun, seconds(sum.Duration))
	_, err := io.WriteString(w, b.String())
	return err
}

// failureGroups groups the hosts that did not succeed, in a stable order:
// exit codes, signals, error classes, cancelled, not started.
func failureGroups(hosts []HostRecord) []*failureGroup {
	byLabel := make(map[string]*failureGroup)
	var groups []*failureGroup
	for i := range hosts {
		h := &hosts[i]
		status := h.Status()
		if status == StatusOK {
			continue
		}
		label := h.label()
		g := byLabel[label]
		if g == nil {
			g = &failureGroup{label: label, status: status}
			switch {
			case h.NotStarted:
				g.kind = groupNotStarted
			case h.Class == remote.ClassCancelled:
				g.kind = groupCancelled
			case h.Err != nil:
				g.kind, g.rank = groupError, int(h.Class)
			case h.Result.Signal != "":
				g.kind = groupSignal
			default:
				g.kind, g.rank = groupExit, h.Result.ExitCode
			}
			byLabel[label] = g
			groups = append(groups, g)
		}
		g.hosts = append(g.hosts, h)
	}
	slices.SortFunc(groups, func(a, b *failureGroup) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.rank, b.rank), strings.Compare(a.label, b.label))
	})
	return groups
}

// writeMessages writes the error message of the first host of a group (of
// every host when verbose) and the first hint found in the group.
func writeMessages(b *strings.Builder, hosts []*HostRecord, verbose bool) {
	for _, h := range hosts {
		fmt.Fprintf(b, "  %s: %s\n", Printable(h.Name), firstLine(h.Err))
		if !verbose {
			break
		}
	}
	for _, h := range hosts {
		if hint := remote.HintOf(h.Err); hint != "" {
			fmt.Fprintf(b, "  hint: %s\n", hint)
			break
		}
	}
}

// countLine returns "ok: 10, failed: 1, ..., cancelled: 3 (2 not started)\n",
// leaving out statuses no host has (ok is always there).
func countLine(sum *Summary, st style) string {
	parts := []string{st.status(StatusOK, "ok") + fmt.Sprintf(": %d", sum.OK)}
	for _, c := range []struct {
		status, name string
		n            int
	}{
		{StatusFailed, "failed", sum.Failed},
		{StatusUnreachable, "unreachable", sum.Unreachable},
		{StatusTimeout, "timed out", sum.TimedOut},
		{StatusCancelled, "cancelled", sum.Cancelled},
	} {
		if c.n > 0 {
			parts = append(parts, st.status(c.status, c.name)+fmt.Sprintf(": %d", c.n))
		}
	}
	line := strings.Join(parts, ", ")
	if sum.NotStarted > 0 {
		line += fmt.Sprintf(" (%d not started)", sum.NotStarted)
	}
	return line + "\n"
}

// statusError is the message of a host's error after its status: its first
// line, "class: op: what happened" (see remote.Error), without the class
// when the status says it already ("timeout: run: no result within 1s").
func statusError(status string, err error) string {
	msg := firstLine(err)
	if rest, ok := strings.CutPrefix(msg, status+": "); ok {
		return rest
	}
	return msg
}
