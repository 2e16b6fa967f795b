package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/remote"
)

// checkTAP writes TAP version 13: the version line first, a test point per
// property as each host finishes ("ok 3 - web01: port tcp:22 listening"),
// with a YAML block under the points that did not pass, and the plan
// ("1..N") at the end, as TAP allows when the count is not known upfront.
type checkTAP struct {
	out     io.Writer
	n       int // test points written
	started bool
	b       strings.Builder
}

func (t *checkTAP) host(h *CheckHost) error {
	t.b.Reset()
	t.begin()
	if h.Err != nil {
		t.hostPoint(h)
	}
	for i := range h.Results {
		t.resultPoint(h.Name, &h.Results[i])
	}
	_, err := io.WriteString(t.out, t.b.String())
	return err
}

func (t *checkTAP) finish(*CheckSummary) error {
	t.b.Reset()
	t.begin()
	fmt.Fprintf(&t.b, "1..%d\n", t.n)
	_, err := io.WriteString(t.out, t.b.String())
	return err
}

// begin writes the version line once.
func (t *checkTAP) begin() {
	if !t.started {
		t.b.WriteString("TAP version 13\n")
		t.started = true
	}
}

// hostPoint is the test point of a host that could not be checked: not ok,
// or skipped when the run was interrupted.
func (t *checkTAP) hostPoint(h *CheckHost) {
	t.n++
	desc := tapDescription(h.Name + ": " + junitConnectCase)
	if h.Class == remote.ClassCancelled {
		fmt.Fprintf(&t.b, "ok %d - %s # SKIP %s\n", t.n, desc, tapDirectiveText(hostProblem(h)))
		return
	}
	fmt.Fprintf(&t.b, "not ok %d - %s\n", t.n, desc)
	t.yaml([][2]string{
		{"message", firstLine(h.Err)},
		{"severity", string(checks.Error)},
		{"class", h.Class.String()},
		{"hint", remote.HintOf(h.Err)},
	})
}

func (t *checkTAP) resultPoint(host string, r *checks.Result) {
	t.n++
	desc := tapDescription(host + ": " + resultLabel(r))
	switch r.Status {
	case checks.Pass:
		fmt.Fprintf(&t.b, "ok %d - %s\n", t.n, desc)
		return
	case checks.Skip:
		fmt.Fprintf(&t.b, "ok %d - %s # SKIP %s\n", t.n, desc, tapDirectiveText(cmp.Or(r.Message, "skipped")))
		return
	}
	severity := string(checks.Error)
	if r.Status == checks.Fail {
		severity = string(checks.Fail)
	}
	fmt.Fprintf(&t.b, "not ok %d - %s\n", t.n, desc)
	t.yaml([][2]string{
		{"message", resultDetail(r)},
		{"severity", severity},
		{"expected", r.Expected},
		{"actual", r.Actual},
		{"at", r.Pos},
		{"from", string(r.Vantage)},
	})
}

// yaml writes a TAP 13 YAML block of string fields, leaving out empty ones.
// Values are JSON strings, which YAML reads as double-quoted scalars.
func (t *checkTAP) yaml(fields [][2]string) {
	t.b.WriteString("  ---\n")
	for _, f := range fields {
		if f[1] == "" {
			continue
		}
		v, _ := json.Marshal(f[1]) // a string always marshals
		fmt.Fprintf(&t.b, "  %s: %s\n", f[0], v)
	}
	t.b.WriteString("  ...\n")
}

// tapDescription makes text safe as a test point description: one line,
// backslashes doubled and '#' escaped (it would start a directive).
func tapDescription(text string) string {
	text = strings.NewReplacer(`\`, `\\`, "#", `\#`).Replace(text)
	return Printable(text)
}

// tapDirectiveText makes text safe after "# SKIP": one line.
func tapDirectiveText(text string) string { return Printable(text) }
