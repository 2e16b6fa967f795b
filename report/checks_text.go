package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/nodeset"
)

// checkText writes each host's results as it finishes, then the fleet
// matrix, the hosts that could not be checked, and the counts.
type checkText struct {
	out     io.Writer
	style   style
	unicode bool
	quiet   bool
	verbose bool
	b       strings.Builder
}

func newCheckText(opts CheckOptions) *checkText {
	return &checkText{out: opts.Out, style: style{opts.Color}, unicode: opts.Unicode, quiet: opts.Quiet, verbose: opts.Verbose}
}

// host writes "web01: 18 passed, 2 failed (0.41s)" and a line per property
// (with Quiet, only hosts and properties that did not pass). Hosts that
// never started are left to the end.
func (t *checkText) host(h *CheckHost) error {
	status := h.Status()
	if h.NotStarted || (t.quiet && status == StatusOK) {
		return nil
	}
	t.b.Reset()
	t.b.WriteString(t.style.host(h.Name) + ": ")
	if h.Err != nil {
		t.b.WriteString(t.style.status(status, status) + ": " + statusError(status, h.Err) + "\n")
	} else {
		t.b.WriteString(countsPhrase(h.Counts, t.style) + " (" + seconds(h.Duration()) + ")\n")
	}
	for i := range h.Results {
		r := &h.Results[i]
		if t.quiet && (r.Status == checks.Pass || r.Status == checks.Skip) {
			continue
		}
		t.b.WriteString("  " + t.mark(r.Status) + " " + printable(resultLabel(r)) + ": " + printable(resultDetail(r)))
		if t.verbose {
			fmt.Fprintf(&t.b, " (%s, %s, from %s)", r.Pos, seconds(r.Duration), r.Vantage)
		}
		t.b.WriteByte('\n')
	}
	_, err := io.WriteString(t.out, t.b.String())
	return err
}

// Marks of the statuses: for terminals, and plain words of one width for
// logs and pipes.
var (
	unicodeMarks = map[checks.Status]string{checks.Pass: "✓", checks.Fail: "✗", checks.Skip: "-", checks.Error: "!"}
	asciiMarks   = map[checks.Status]string{checks.Pass: "ok   ", checks.Fail: "FAIL ", checks.Skip: "skip ", checks.Error: "ERROR"}
)

func (t *checkText) mark(s checks.Status) string {
	marks := asciiMarks
	if t.unicode {
		marks = unicodeMarks
	}
	m, ok := marks[s]
	if !ok {
		m = marks[checks.Error]
	}
	switch s {
	case checks.Pass:
		return t.style.paint(sgrGreen, m)
	case checks.Fail:
		return t.style.paint(sgrRed, m)
	case checks.Skip:
		return t.style.paint(sgrDim, m)
	}
	return t.style.paint(sgrYellow, m)
}

func (t *checkText) finish(s *CheckSummary) error {
	if t.quiet && s.HostsOK == len(s.Hosts) {
		return nil // quiet and everything passed: nothing to say
	}
	t.b.Reset()
	rows := matrixRows(s.Hosts)
	if len(rows) > 0 {
		t.b.WriteByte('\n')
		t.writeMatrix(rows)
	}
	t.writeUnchecked(s)
	fmt.Fprintf(&t.b, "\nresults: %s\n", countsPhrase(s.CheckCounts, t.style))
	fmt.Fprintf(&t.b, "hosts: %s; %d %s in %s\n", t.hostsLine(s), len(s.Hosts), plural(len(s.Hosts), "host", "hosts"), seconds(s.Duration))
	_, err := io.WriteString(t.out, t.b.String())
	return err
}

// matrixRow is one check property that did not pass on every host.
type matrixRow struct {
	label          string
	failed, errors []string // host names
}

// matrixRows lists the check properties that failed or could not be
// evaluated somewhere, in the order they first appear. A property is
// told apart by its check's position, title and name, so a templated check
// whose id differs between hosts ("tcp:{{ .Vars.port }}") gets a row per
// value.
func matrixRows(hosts []CheckHost) []*matrixRow {
	type key struct{ pos, label string }
	byKey := make(map[key]*matrixRow)
	var rows []*matrixRow
	for i := range hosts {
		h := &hosts[i]
		for j := range h.Results {
			r := &h.Results[j]
			if r.Status != checks.Fail && r.Status != checks.Error {
				continue
			}
			k := key{r.Pos, resultLabel(r)}
			row := byKey[k]
			if row == nil {
				row = &matrixRow{label: printable(k.label)}
				byKey[k] = row
				rows = append(rows, row)
			}
			if r.Status == checks.Fail {
				row.failed = appendOnce(row.failed, h.Name)
			} else {
				row.errors = appendOnce(row.errors, h.Name)
			}
		}
	}
	return rows
}

// appendOnce appends name unless it is already the last element (a host's
// results come together).
func appendOnce(names []string, name string) []string {
	if len(names) > 0 && names[len(names)-1] == name {
		return names
	}
	return append(names, name)
}

// writeMatrix writes a table: each check property that did not pass, the
// hosts where it failed and those where it could not be evaluated, as
// folded node sets.
func (t *checkText) writeMatrix(rows []*matrixRow) {
	cells := make([][3]string, 0, len(rows)+1)
	cells = append(cells, [3]string{"CHECK", "FAILED ON", "ERROR ON"})
	for _, r := range rows {
		cells = append(cells, [3]string{r.label, hostSet(r.failed), hostSet(r.errors)})
	}
	var width [2]int
	for _, c := range cells {
		width[0] = max(width[0], utf8.RuneCountInString(c[0]))
		width[1] = max(width[1], utf8.RuneCountInString(c[1]))
	}
	for i, c := range cells {
		line := pad(c[0], width[0]) + "  "
		switch {
		case i == 0:
			line = t.style.paint(sgrBold, line+pad(c[1], width[1])+"  "+c[2])
		case c[2] == "":
			line += t.style.paint(sgrRed, c[1])
		default:
			line += t.style.paint(sgrRed, pad(c[1], width[1])) + "  " + t.style.paint(sgrYellow, c[2])
		}
		t.b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
}

// hostSet folds host names, "h[03,07] (2)", showing the count when there
// are several.
func hostSet(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return fmt.Sprintf("%s (%d)", nodeset.Fold(names), len(names))
}

func pad(s string, width int) string {
	return s + strings.Repeat(" ", max(0, width-utf8.RuneCountInString(s)))
}

// writeUnchecked lists the hosts that could not be checked, grouped by what
// happened to them, with an example message and a hint.
func (t *checkText) writeUnchecked(s *CheckSummary) {
	var records []HostRecord
	for i := range s.Hosts {
		if s.Hosts[i].Err != nil {
			records = append(records, s.Hosts[i].HostRecord)
		}
	}
	groups := failureGroups(records)
	if len(groups) == 0 {
		return
	}
	t.b.WriteString("\nnot checked:\n")
	for _, g := range groups {
		names := make([]string, len(g.hosts))
		for i, h := range g.hosts {
			names[i] = h.Name
		}
		fmt.Fprintf(&t.b, "%s: %s\n", t.style.status(g.status, g.label), nodeset.Fold(names))
		if g.kind == groupError {
			writeMessages(&t.b, g.hosts, t.verbose)
		}
	}
}

// countsPhrase returns "18 passed, 2 failed, 1 skipped, 1 error", each in
// its colour, leaving out the statuses with no result (passed is always
// there).
func countsPhrase(c CheckCounts, st style) string {
	parts := []string{st.paint(sgrGreen, fmt.Sprintf("%d passed", c.Passed))}
	if c.Failed > 0 {
		parts = append(parts, st.paint(sgrRed, fmt.Sprintf("%d failed", c.Failed)))
	}
	if c.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", c.Skipped))
	}
	if c.Errors > 0 {
		parts = append(parts, st.paint(sgrYellow, fmt.Sprintf("%d %s", c.Errors, plural(c.Errors, "error", "errors"))))
	}
	return strings.Join(parts, ", ")
}

// hostsLine returns "9 ok, 2 failed, 1 unreachable", leaving out the
// statuses no host has (ok is always there).
func (t *checkText) hostsLine(s *CheckSummary) string {
	parts := []string{t.style.status(StatusOK, fmt.Sprintf("%d ok", s.HostsOK))}
	for _, c := range []struct {
		status, name string
		n            int
	}{
		{StatusFailed, "failed", s.HostsFailed},
		{StatusError, "with errors", s.HostsError},
		{StatusUnreachable, "unreachable", s.HostsUnreachable},
		{StatusTimeout, "timed out", s.HostsTimedOut},
		{StatusCancelled, "cancelled", s.HostsCancelled},
	} {
		if c.n > 0 {
			parts = append(parts, t.style.status(c.status, fmt.Sprintf("%d %s", c.n, c.name)))
		}
	}
	line := strings.Join(parts, ", ")
	if s.NotStarted > 0 {
		line += fmt.Sprintf(" (%d not started)", s.NotStarted)
	}
	return line
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
