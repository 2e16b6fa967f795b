package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/nodeset"
)

// checkText writes each host's results as it finishes, then the fleet
// matrix, the hosts that could not be checked, and the counts.
type checkText struct {
	out     io.Writer
	width   int // of the terminal, 0 when not one
	style   style
	unicode bool
	quiet   bool
	verbose bool
	b       strings.Builder
}

func newCheckText(opts CheckOptions) *checkText {
	return &checkText{out: opts.Out, width: opts.Width, style: style{opts.Color}, unicode: opts.Unicode, quiet: opts.Quiet, verbose: opts.Verbose}
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
		t.b.WriteString("  " + t.mark(r.Status) + " " + Printable(resultLabel(r)) + ": " + Printable(resultDetail(r)))
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
				row = &matrixRow{label: Printable(k.label)}
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
// folded node sets. On a terminal narrower than the table, the widest
// columns are narrowed and their cells wrapped onto more lines.
func (t *checkText) writeMatrix(rows []*matrixRow) {
	cells := make([][3]string, 0, len(rows)+1)
	cells = append(cells, [3]string{"CHECK", "FAILED ON", "ERROR ON"})
	for _, r := range rows {
		cells = append(cells, [3]string{r.label, hostSet(r.failed), hostSet(r.errors)})
	}
	widths := columnWidths(cells, t.width)
	for i, c := range cells {
		var wrapped [3][]string
		lines := 1
		for k := range c {
			wrapped[k] = wrapCells(c[k], widths[k])
			if k == 0 && len(wrapped[k]) > 1 {
				// A label on several lines: the lines after the first
				// indented, so that rows stay apart.
				wrapped[k] = wrapCells(c[k], widths[k]-2)
				for n := 1; n < len(wrapped[k]); n++ {
					wrapped[k][n] = "  " + wrapped[k][n]
				}
			}
			lines = max(lines, len(wrapped[k]))
		}
		for n := range lines {
			part := func(k int) string {
				if n < len(wrapped[k]) {
					return wrapped[k][n]
				}
				return ""
			}
			line := padCells(part(0), widths[0]) + "  "
			switch {
			case i == 0:
				line = t.style.paint(sgrBold, line+padCells(part(1), widths[1])+"  "+part(2))
			case c[2] == "":
				line += t.style.paint(sgrRed, part(1))
			default:
				line += t.style.paint(sgrRed, padCells(part(1), widths[1])) + "  " + t.style.paint(sgrYellow, part(2))
			}
			t.b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
}

// minColumn is the narrowest a matrix column is made to fit a terminal.
const minColumn = 8

// columnWidths returns the widths of the table's columns: each as wide as
// its widest cell, or, when they do not fit in width cells (0: no limit),
// the widest narrowed to one cap, the largest that fits.
func columnWidths(table [][3]string, width int) [3]int {
	var natural [3]int
	for _, c := range table {
		for k := range c {
			natural[k] = max(natural[k], cells(c[k]))
		}
	}
	room := width - 2*(len(natural)-1) // two spaces between columns
	total := natural[0] + natural[1] + natural[2]
	if width <= 0 || total <= room {
		return natural
	}
	capped := func(c int) (sum int, w [3]int) {
		for k, n := range natural {
			w[k] = min(n, max(c, minColumn))
			sum += w[k]
		}
		return sum, w
	}
	c := max(natural[0], natural[1], natural[2])
	for c > minColumn {
		if sum, _ := capped(c); sum <= room {
			break
		}
		c--
	}
	_, w := capped(c)
	return w
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
