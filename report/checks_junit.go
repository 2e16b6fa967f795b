package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/remote"
)

// JUnit XML as Jenkins, GitLab, GitHub test reporters and the common
// junit-10.xsd (Jenkins xUnit) understand it: <testsuites> holding a
// <testsuite> per host, a <testcase> per property with at most one of
// <failure>, <error> and <skipped>. The schema has no skipped count on
// <testsuites>, only on each <testsuite>.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Hostname  string      `xml:"hostname,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitSkipped `xml:"skipped"`
}

// junitProblem is a <failure> or an <error>: a one-line message, a type,
// and the details as text.
type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// junitConnectCase is the name of the test case standing for a host that
// could not be checked.
const junitConnectCase = "connect"

// checkJUnit writes the document at the end: suite attributes need every
// count.
type checkJUnit struct{ out io.Writer }

func (j *checkJUnit) host(*CheckHost) error { return nil }

func (j *checkJUnit) finish(s *CheckSummary) error {
	doc := junitSuites{Name: "remotectl check", Time: junitSeconds(s.Duration)}
	for i := range s.Hosts {
		suite := newJUnitSuite(&s.Hosts[i])
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Suites = append(doc.Suites, suite)
	}
	return writeJUnit(j.out, doc)
}

// writeJUnit writes a JUnit document: the XML header, the document
// indented, a final newline.
func writeJUnit(w io.Writer, doc junitSuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func newJUnitSuite(h *CheckHost) junitSuite {
	suite := junitSuite{Name: h.Name, Hostname: h.Name, Time: junitSeconds(h.Duration())}
	if !h.Start.IsZero() {
		suite.Timestamp = h.Start.UTC().Format("2006-01-02T15:04:05")
	}
	if h.Err != nil {
		suite.Cases = []junitCase{junitHostCase(h)}
	}
	seen := make(map[string]bool, len(h.Results))
	for i := range h.Results {
		c := junitResultCase(h.Name, &h.Results[i])
		c.Name = uniqueCaseName(seen, c.Name, h.Results[i].Pos)
		suite.Cases = append(suite.Cases, c)
	}
	suite.tally()
	return suite
}

// tally counts the suite's test cases: all of them, and by outcome.
func (s *junitSuite) tally() {
	s.Tests = len(s.Cases)
	for _, c := range s.Cases {
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Error != nil:
			s.Errors++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
}

// junitHostCase is the test case of a host that could not be checked: an
// error, or skipped when the run was interrupted.
func junitHostCase(h *CheckHost) junitCase {
	c := junitCase{Name: junitConnectCase, Classname: h.Name, Time: junitSeconds(h.Duration())}
	if h.Class == remote.ClassCancelled {
		c.Skipped = &junitSkipped{Message: hostProblem(h)}
		return c
	}
	text := h.Err.Error()
	if hint := remote.HintOf(h.Err); hint != "" {
		text += "\nhint: " + hint
	}
	c.Error = &junitProblem{Message: hostProblem(h), Type: h.Class.String(), Text: text}
	return c
}

func junitResultCase(host string, r *checks.Result) junitCase {
	c := junitCase{Name: resultLabel(r), Classname: host, Time: junitSeconds(r.Duration)}
	switch r.Status {
	case checks.Pass:
	case checks.Fail:
		c.Failure = &junitProblem{Message: resultDetail(r), Type: string(r.Status), Text: junitDetails(r)}
	case checks.Skip:
		c.Skipped = &junitSkipped{Message: r.Message}
	default:
		c.Error = &junitProblem{Message: resultDetail(r), Type: string(checks.Error), Text: junitDetails(r)}
	}
	return c
}

// uniqueCaseName keeps a suite's test case names unique, as reporters key
// cases by name: a check that appears in two files gets " @ file:line:col"
// the second time (as in the Prometheus output), and a check read twice
// from the same place a counter.
func uniqueCaseName(seen map[string]bool, name, pos string) string {
	unique := name
	if seen[unique] {
		unique = name + " @ " + pos
	}
	for n := 2; seen[unique]; n++ {
		unique = fmt.Sprintf("%s @ %s (%d)", name, pos, n)
	}
	seen[unique] = true
	return unique
}

// junitDetails is the text of a failure or error: where the check is
// defined, what was expected and seen, from where.
func junitDetails(r *checks.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "check: %s (%s)\n", resultTitle(r), r.Pos)
	fmt.Fprintf(&b, "property: %s\n", r.Property)
	if r.Expected != "" || r.Actual != "" {
		fmt.Fprintf(&b, "expected: %s\nactual: %s\n", r.Expected, r.Actual)
	}
	if r.Message != "" {
		fmt.Fprintf(&b, "message: %s\n", r.Message)
	}
	fmt.Fprintf(&b, "from: %s\n", r.Vantage)
	return b.String()
}

// junitSeconds formats a duration as JUnit's time: seconds, three decimals.
func junitSeconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Seconds())
}
