package runrec

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/report"
)

// WriteList writes recs as a table, one run a line (remotectl runs list).
func WriteList(w io.Writer, recs []*Record) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTARTED\tDURATION\tEXIT\tHOSTS\tCOMMAND")
	for _, rec := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", report.Printable(rec.ID), rec.Start.Local().Format(time.DateTime),
			rec.Duration().Round(time.Millisecond), rec.ExitCode, hostCounts(rec), CommandLine(rec))
	}
	return tw.Flush()
}

// hostCounts is "12 (ok 10, failed 2)", terminal-safe.
func hostCounts(rec *Record) string {
	counts := rec.Counts()
	var parts []string
	for _, s := range []string{StatusOK, StatusFailed, StatusError, StatusUnreachable, StatusTimeout, StatusCancelled} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, counts[s]))
		}
	}
	return fmt.Sprintf("%d (%s)", len(rec.Hosts), report.Printable(strings.Join(parts, ", ")))
}

// CommandLine is how the run was asked for, shortened for a table and
// terminal-safe: the arguments stay as typed, joined by spaces, with their
// control characters and invalid UTF-8 escaped as report.Printable does
// (an argument's ESC is shown \x1b, never sent to the terminal).
func CommandLine(rec *Record) string {
	s := rec.Command
	if rec.DryRun {
		s += " --check"
	}
	if rec.Pattern != "" {
		s += " -H " + rec.Pattern
	}
	if rec.Shard != "" { // the shards of one run share their --run-id
		s += " --shard " + rec.Shard
	}
	if rec.RunID != "" {
		s += " --run-id " + rec.RunID
	}
	if len(rec.Args) > 0 {
		s += " -- " + strings.Join(rec.Args, " ")
	}
	s = strings.ReplaceAll(s, "\n", " ")
	// Cut at a character (or a byte that is not UTF-8) before escaping, so
	// that no escape is cut in two nor any byte lost.
	if utf8.RuneCountInString(s) > 60 {
		n := 0
		for i := range s {
			if n == 59 {
				return report.Printable(s[:i]) + "…"
			}
			n++
		}
	}
	return report.Printable(s)
}

// WriteShow writes one run host by host (remotectl runs show).
func WriteShow(w io.Writer, rec *Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "run %s: remotectl %s\n", report.Printable(rec.ID), CommandLine(rec))
	fmt.Fprintf(&b, "started %s, took %s, exit %d", rec.Start.Local().Format(time.DateTime), rec.Duration().Round(time.Millisecond), rec.ExitCode)
	if rec.DeadlineExpired {
		b.WriteString(", deadline passed")
	}
	if rec.Interrupted {
		b.WriteString(", interrupted")
	}
	if rec.DryRun {
		b.WriteString(", dry run (--check): nothing was changed")
	}
	b.WriteString("\n")
	for i := range rec.Hosts {
		writeHost(&b, &rec.Hosts[i])
	}
	fmt.Fprintf(&b, "hosts: %s\n", hostCounts(rec))
	_, err := io.WriteString(w, b.String())
	return err
}

// writeHost writes one host of a run: status line, output heads, checks
// that did not pass.
func writeHost(b *strings.Builder, h *Host) {
	fmt.Fprintf(b, "%s: %s", report.Printable(h.Name), hostOutcome(h))
	fmt.Fprintf(b, " (%s)\n", (time.Duration(h.DurationMS) * time.Millisecond).String())
	if h.Error != "" {
		fmt.Fprintf(b, "  error: %s\n", report.Printable(h.Error))
	}
	for _, s := range []struct {
		name string
		d    *Digest
	}{{"stdout", h.Stdout}, {"stderr", h.Stderr}} {
		if s.d == nil || s.d.Size == 0 {
			continue
		}
		sum := s.d.SHA256
		if len(sum) > 12 {
			sum = sum[:12]
		}
		fmt.Fprintf(b, "  %s (%d bytes, sha256 %s):\n", s.name, s.d.Size, report.Printable(sum))
		writeHead(b, "    ", s.d.Head)
		if s.d.Truncated {
			b.WriteString("    ...\n")
		}
	}
	for _, c := range h.Checks {
		if c.Status != "pass" && c.Status != "skip" {
			fmt.Fprintf(b, "  %s: %s %s", report.Printable(c.Status), report.Printable(c.Check), report.Printable(c.Property))
			if c.Message != "" {
				fmt.Fprintf(b, ": %s", report.Printable(c.Message))
			}
			b.WriteString("\n")
		}
	}
}

// writeHead writes the recorded head of an output, each line behind
// prefix and terminal-safe: the control characters a host sent are shown
// escaped (\x1b), never passed to the terminal.
func writeHead(b *strings.Builder, prefix, head string) {
	for line := range strings.Lines(head) {
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		b.WriteString(prefix + report.Printable(line) + "\n")
	}
}

// hostOutcome is "ok (exit 0)", "failed (exit 2)", "unreachable (refused)",
// terminal-safe (a signal's name is the host's word).
func hostOutcome(h *Host) string {
	return report.Printable(outcome(h))
}

func outcome(h *Host) string {
	switch {
	case h.NotStarted:
		return h.Status + " (not started)"
	case h.ErrorClass != "":
		return h.Status + " (" + h.ErrorClass + ")"
	case h.Signal != "":
		return h.Status + " (signal " + h.Signal + ")"
	case h.ExitCode != nil:
		return fmt.Sprintf("%s (exit %d)", h.Status, *h.ExitCode)
	}
	return h.Status
}

// WriteDiff writes how the runs older and newer differ host by host, diffs
// being Diff(older, newer) (remotectl runs diff).
func WriteDiff(w io.Writer, older, newer *Record, diffs []HostDiff) error {
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s  %s\n+++ %s  %s\n", report.Printable(older.ID), CommandLine(older), report.Printable(newer.ID), CommandLine(newer))
	if older.Key != newer.Key {
		b.WriteString("note: the two runs ran different commands\n")
	}
	var same []string
	changed := make(map[string]bool, len(diffs))
	for _, d := range diffs {
		changed[d.Host] = true
		writeDiff(&b, &d)
	}
	for i := range newer.Hosts {
		if !changed[newer.Hosts[i].Name] {
			same = append(same, newer.Hosts[i].Name)
		}
	}
	fmt.Fprintf(&b, "%d host(s) changed", len(diffs))
	if len(same) > 0 {
		fmt.Fprintf(&b, ", unchanged: %s", report.Printable(nodeset.Fold(same)))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeDiff writes how one host changed.
func writeDiff(b *strings.Builder, d *HostDiff) {
	switch d.Change {
	case HostAdded:
		fmt.Fprintf(b, "%s: only in the newer run: %s\n", report.Printable(d.Host), hostOutcome(d.To))
		return
	case HostRemoved:
		fmt.Fprintf(b, "%s: only in the older run: %s\n", report.Printable(d.Host), hostOutcome(d.From))
		return
	}
	from, to := hostOutcome(d.From), hostOutcome(d.To)
	if from != to {
		fmt.Fprintf(b, "%s: %s -> %s\n", report.Printable(d.Host), from, to)
	} else {
		fmt.Fprintf(b, "%s: %s\n", report.Printable(d.Host), to)
	}
	for _, s := range []struct {
		name     string
		changed  bool
		from, to *Digest
	}{{"stdout", d.StdoutChanged, d.From.Stdout, d.To.Stdout}, {"stderr", d.StderrChanged, d.From.Stderr, d.To.Stderr}} {
		if !s.changed {
			continue
		}
		fmt.Fprintf(b, "  %s changed:\n", s.name)
		writeHead(b, "    - ", s.from.Head)
		writeHead(b, "    + ", s.to.Head)
	}
	for _, f := range d.Flipped {
		fmt.Fprintf(b, "  check %s %s: %s -> %s\n", report.Printable(f.Check), report.Printable(f.Property),
			report.Printable(orNone(f.From)), report.Printable(orNone(f.To)))
	}
}

func orNone(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}
