package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/remote"
)

// checkRun is a check run built by hand: its events and each host's results.
type checkRun struct {
	*script
	results [][]checks.Result
}

func newCheckRun(names ...string) *checkRun {
	return &checkRun{script: newScript(names...), results: make([][]checks.Result, len(names))}
}

// result adds a result to host i.
func (c *checkRun) result(i int, pos, typ, id, property string, status checks.Status, expected, actual, message string, ms int) *checkRun {
	vantage := checks.FromHost
	if typ == "http" || typ == "dns" {
		vantage = checks.FromController
	}
	c.results[i] = append(c.results[i], checks.Result{
		Host: c.targets[i].Name, Pos: pos, Type: typ, ID: id, Title: typ + " " + id, Property: property,
		Status: status, Expected: expected, Actual: actual, Message: message,
		Duration: time.Duration(ms) * time.Millisecond, Vantage: vantage,
	})
	return c
}

// channel returns the events, each EventDone carrying its host's results
// as a check job's does, on a closed channel.
func (c *checkRun) channel() <-chan remote.Event {
	for j := range c.events {
		if ev := &c.events[j]; ev.Kind == remote.EventDone && c.results[ev.Index] != nil {
			ev.Result.Detail = c.results[ev.Index]
		}
	}
	return c.script.channel()
}

// render renders the run and returns the summary and the output.
func (c *checkRun) render(t *testing.T, opts CheckOptions) (*CheckSummary, string) {
	t.Helper()
	var out bytes.Buffer
	opts.Out = &out
	sum, err := RenderChecks(c.channel(), c.targets, opts)
	if err != nil {
		t.Fatalf("RenderChecks: %v", err)
	}
	return sum, out.String()
}

// checkFleet is a check run with a bit of everything: hosts that pass, a
// check failing on several hosts (the matrix folds them), a dependent
// property skipped, a property that could not be evaluated, a skipped check,
// text that needs escaping in every format, an unreachable host, a timeout
// and a host never started.
func checkFleet() *checkRun {
	refused := &remote.Error{Class: remote.ClassRefused, Op: "dial", Err: errors.New("dial tcp 192.0.2.6:22: connect: connection refused"), Hint: "check that sshd runs on the host and the port is right"}
	timeout := &remote.Error{Class: remote.ClassTimeout, Op: "run", Err: errors.New("no result within 2s"), Hint: "the per-host timeout is 2s: raise it if the host needs longer"}
	notStarted := &remote.Error{Class: remote.ClassCancelled, Op: remote.OpStart, Err: errors.New("not started: the run was interrupted first")}
	c := newCheckRun("web01", "web02", "web03", "web04", "db1", "dead", "slow", "late")
	for i := range 4 {
		c.result(i, "web.yaml:2:3", "port", "tcp:22", "listening", checks.Pass, "true", "true", "", 1)
		c.result(i, "web.yaml:2:3", "port", "tcp:22", "ip", checks.Pass, "[0.0.0.0]", "[0.0.0.0]", "", 1)
		switch i {
		case 1, 2:
			c.result(i, "web.yaml:5:3", "file", "/etc/motd", "exists", checks.Fail, "true", "false", "", 2)
			c.result(i, "web.yaml:5:3", "file", "/etc/motd", "mode", checks.Skip, "0644", "", "exists failed", 0)
		default:
			c.result(i, "web.yaml:5:3", "file", "/etc/motd", "exists", checks.Pass, "true", "true", "", 2)
			c.result(i, "web.yaml:5:3", "file", "/etc/motd", "mode", checks.Pass, "0644", "0644", "", 0)
		}
		if i == 2 {
			c.result(i, "web.yaml:9:3", "http", "http://web03/health", "status", checks.Fail, "200", "503", "", 15)
		} else {
			c.result(i, "web.yaml:9:3", "http", "http://web0"+strconv.Itoa(i+1)+"/health", "status", checks.Pass, "200", "200", "", 12)
		}
	}
	c.result(3, "web.yaml:12:3", "dns", "db.internal", "resolvable", checks.Error, "true", "", "lookup db.internal on 127.0.0.1:53: i/o timeout", 2000)
	c.result(3, "web.yaml:15:3", "service", "legacy", "running", checks.Skip, "", "", "skip: true", 0)
	c.result(4, "db.yaml:1:1", "command", "printf 'a\\nb' # \"quoted\" | piped \\ back", "stdout", checks.Pass, "[a b]", "a\nb", "", 3)
	c.result(4, "db.yaml:4:1", "command", "cat /data/x", "stdout", checks.Fail, "[ok]", "\xff\xfe<&>", "", 4)
	c.result(4, "db.yaml:4:1", "command", "cat /data/x", "exit-status", checks.Pass, "0", "0", "", 4)
	c.result(4, "db.yaml:7:1", "command", "cat /data/x", "exit-status", checks.Pass, "0", "0", "", 4) // same check again: a duplicate series
	c.start(0, 0).start(1, 0).start(2, 0).start(3, 0)
	c.done(0, 410, remote.Result{}, nil)
	c.done(1, 420, remote.Result{ExitCode: 1}, nil)
	c.done(2, 430, remote.Result{ExitCode: 1}, nil)
	c.start(4, 440).start(5, 440)
	c.done(3, 2100, remote.Result{}, nil)
	c.done(4, 2110, remote.Result{ExitCode: 1}, nil)
	c.done(5, 2120, remote.Result{}, refused)
	c.start(6, 2120)
	c.done(6, 4120, remote.Result{}, timeout)
	c.done(7, 4121, remote.Result{}, notStarted)
	return c
}

func TestChecksGolden(t *testing.T) {
	tests := []struct {
		name string
		opts CheckOptions
	}{
		{"text", CheckOptions{}},
		{"text_tty", CheckOptions{Unicode: true, Color: true}},
		{"text_narrow", CheckOptions{Width: 40}},
		{"text_quiet", CheckOptions{Quiet: true}},
		{"text_verbose", CheckOptions{Format: FormatText, Verbose: true}},
		{"json", CheckOptions{Format: FormatJSON}},
		{"jsonl", CheckOptions{Format: FormatJSONL}},
		{"junit", CheckOptions{Format: FormatJUnit}},
		{"tap", CheckOptions{Format: FormatTAP}},
		{"prometheus", CheckOptions{Format: FormatPrometheus}},
		{"nagios", CheckOptions{Format: FormatNagios}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, out := checkFleet().render(t, tt.opts)
			golden(t, "checks_"+tt.name, out)
		})
	}
}

func TestCheckSummary(t *testing.T) {
	sum, _ := checkFleet().render(t, CheckOptions{Format: FormatJSON})
	got := [...]int{sum.Passed, sum.Failed, sum.Skipped, sum.Errors}
	if want := [...]int{18, 4, 3, 1}; got != want {
		t.Errorf("results pass/fail/skip/error = %v; want %v", got, want)
	}
	hosts := [...]int{sum.HostsOK, sum.HostsFailed, sum.HostsError, sum.HostsUnreachable, sum.HostsTimedOut, sum.HostsCancelled, sum.NotStarted}
	if want := [...]int{1, 3, 1, 1, 1, 1, 1}; hosts != want {
		t.Errorf("hosts ok/failed/error/unreachable/timeout/cancelled/not-started = %v; want %v", hosts, want)
	}
	statuses := make([]string, len(sum.Hosts))
	for i := range sum.Hosts {
		statuses[i] = sum.Hosts[i].Status()
	}
	if got, want := strings.Join(statuses, " "), "ok failed failed error failed unreachable timeout cancelled"; got != want {
		t.Errorf("host statuses = %s; want %s", got, want)
	}
	if sum.Hosts[5].Results != nil {
		t.Errorf("unreachable host has results %v; want none", sum.Hosts[5].Results)
	}
	if !sum.End.Equal(t0.Add(4121*time.Millisecond)) || sum.Duration != 4121*time.Millisecond {
		t.Errorf("end %s, duration %s; want the last event, 4.121s after the first", sum.End, sum.Duration)
	}
}

func TestCheckHostStatusOfUnclassifiedError(t *testing.T) {
	c := newCheckRun("win1")
	c.start(0, 0).done(0, 5, remote.Result{}, remote.Errorf(remote.ClassOther, "dial", "the winrm transport is not available"))
	sum, _ := c.render(t, CheckOptions{})
	if s := sum.Hosts[0].Status(); s != StatusError || sum.HostsError != 1 {
		t.Errorf("status %q, %d hosts in error; want a host in error, not failed: no check failed", s, sum.HostsError)
	}
}

func TestNagiosState(t *testing.T) {
	refused := remote.Errorf(remote.ClassRefused, "dial", "connection refused")
	tests := []struct {
		name string
		run  func() *checkRun
		want NagiosState
	}{
		{"all pass", func() *checkRun {
			c := newCheckRun("a")
			c.result(0, "f:1:1", "file", "/x", "exists", checks.Pass, "true", "true", "", 1)
			c.start(0, 0).done(0, 1, remote.Result{}, nil)
			return c
		}, NagiosOK},
		{"a failure", func() *checkRun {
			c := newCheckRun("a", "b")
			c.result(0, "f:1:1", "file", "/x", "exists", checks.Fail, "true", "false", "", 1)
			c.start(0, 0).done(0, 1, remote.Result{ExitCode: 1}, nil).start(1, 0).done(1, 1, remote.Result{}, refused)
			return c
		}, NagiosCritical},
		{"an error", func() *checkRun {
			c := newCheckRun("a")
			c.result(0, "f:1:1", "file", "/x", "exists", checks.Pass, "true", "true", "", 1)
			c.result(0, "f:2:1", "dns", "x", "resolvable", checks.Error, "true", "", "timeout", 1)
			c.start(0, 0).done(0, 1, remote.Result{}, nil)
			return c
		}, NagiosWarning},
		{"a host unreachable", func() *checkRun {
			c := newCheckRun("a", "b")
			c.result(0, "f:1:1", "file", "/x", "exists", checks.Pass, "true", "true", "", 1)
			c.start(0, 0).done(0, 1, remote.Result{}, nil).start(1, 0).done(1, 1, remote.Result{}, refused)
			return c
		}, NagiosWarning},
		{"nothing evaluated", func() *checkRun {
			c := newCheckRun("a")
			c.start(0, 0).done(0, 1, remote.Result{}, refused)
			return c
		}, NagiosUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.run()
			sum, out := c.render(t, CheckOptions{Format: FormatNagios})
			if got := sum.NagiosState(); got != tt.want {
				t.Errorf("state = %s; want %s", got, tt.want)
			}
			if !strings.HasPrefix(out, "CHECKS "+tt.want.String()+" - ") || strings.Count(out, "\n") != 1 || strings.Count(out, "|") != 1 {
				t.Errorf("output %q; want one line \"CHECKS %s - ... | perfdata\"", out, tt.want)
			}
		})
	}
}

func TestJUnitParsesBack(t *testing.T) {
	c := checkFleet()
	sum, out := c.render(t, CheckOptions{Format: FormatJUnit})
	validateJUnit(t, out)
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Time     string `xml:"time,attr"`
			Cases    []struct {
				Name      string    `xml:"name,attr"`
				Classname string    `xml:"classname,attr"`
				Time      string    `xml:"time,attr"`
				Failure   *struct{} `xml:"failure"`
				Error     *struct {
					Type string `xml:"type,attr"`
				} `xml:"error"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("the JUnit document does not parse: %v\n%s", err, out)
	}
	if len(doc.Suites) != len(c.targets) {
		t.Fatalf("%d test suites; want one per host (%d)", len(doc.Suites), len(c.targets))
	}
	var tests, failures, errs, skipped int
	for i, s := range doc.Suites {
		if s.Name != c.targets[i].Name || s.Tests != len(s.Cases) {
			t.Errorf("suite %d: name %q with tests=%d for %d cases; want host %q, tests counting the cases", i, s.Name, s.Tests, len(s.Cases), c.targets[i].Name)
		}
		var f, e, sk int
		for _, tc := range s.Cases {
			n := 0
			if tc.Failure != nil {
				f, n = f+1, n+1
			}
			if tc.Error != nil {
				e, n = e+1, n+1
			}
			if tc.Skipped != nil {
				sk, n = sk+1, n+1
			}
			if n > 1 || tc.Name == "" || tc.Classname != s.Name {
				t.Errorf("suite %s, case %+v: want a name, the host as classname and at most one outcome", s.Name, tc)
			}
			if _, err := strconv.ParseFloat(tc.Time, 64); err != nil {
				t.Errorf("case %q time %q: %v", tc.Name, tc.Time, err)
			}
		}
		if f != s.Failures || e != s.Errors || sk != s.Skipped {
			t.Errorf("suite %s: failures/errors/skipped attributes %d/%d/%d; the cases hold %d/%d/%d", s.Name, s.Failures, s.Errors, s.Skipped, f, e, sk)
		}
		tests, failures, errs, skipped = tests+s.Tests, failures+f, errs+e, skipped+sk
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != errs {
		t.Errorf("testsuites totals %d/%d/%d; the suites hold %d/%d/%d", doc.Tests, doc.Failures, doc.Errors, tests, failures, errs)
	}
	if want := sum.Skipped + 1; skipped != want {
		t.Errorf("%d skipped cases; want %d (the skipped results and the host never started)", skipped, want)
	}
	// Every result is a case; each host not checked adds one, "connect".
	if want := sum.Total() + 3; tests != want || failures != sum.Failed || errs != sum.Errors+2 {
		t.Errorf("%d tests, %d failures, %d errors; want %d, %d, %d", tests, failures, errs, want, sum.Failed, sum.Errors+2)
	}
	dead := doc.Suites[5]
	if len(dead.Cases) != 1 || dead.Cases[0].Name != junitConnectCase || dead.Cases[0].Error == nil || dead.Cases[0].Error.Type != "refused" {
		t.Errorf("unreachable host's suite = %+v; want one %q case in error of type refused", dead, junitConnectCase)
	}
}

// junitSchema is what the common JUnit schema (junit-10.xsd of Jenkins'
// xUnit plugin) allows each element: its attributes (true when required)
// and its child elements.
var junitSchema = map[string]struct {
	attrs    map[string]bool
	children []string
}{
	"testsuites": {map[string]bool{"name": false, "time": false, "tests": false, "failures": false, "errors": false}, []string{"testsuite"}},
	"testsuite": {map[string]bool{"name": true, "tests": true, "failures": true, "errors": true, "group": false, "time": false, "skipped": false,
		"timestamp": false, "hostname": false, "id": false, "package": false, "file": false, "log": false, "url": false},
		[]string{"testsuite", "properties", "testcase", "system-out", "system-err"}},
	"testcase": {map[string]bool{"name": true, "time": false, "classname": false, "group": false},
		[]string{"skipped", "error", "failure", "system-out", "system-err"}},
	"failure": {map[string]bool{"type": false, "message": false}, nil},
	"error":   {map[string]bool{"type": false, "message": false}, nil},
	"skipped": {map[string]bool{"type": false, "message": false}, nil},
}

// surefireTime is the schema's pattern for time attributes.
var surefireTime = regexp.MustCompile(`^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$`)

// validateJUnit checks a document against junitSchema: the root, every
// element's attributes (unknown and missing required ones), its children
// and the time format.
func validateJUnit(t *testing.T, doc string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			name := tok.Name.Local
			rules, known := junitSchema[name]
			switch {
			case !known:
				t.Errorf("element <%s> is not in the schema", name)
			case len(stack) == 0 && name != "testsuites":
				t.Errorf("root <%s>; want <testsuites>", name)
			case len(stack) > 0 && !slices.Contains(junitSchema[stack[len(stack)-1]].children, name):
				t.Errorf("<%s> inside <%s> is not allowed", name, stack[len(stack)-1])
			}
			seen := make(map[string]bool)
			for _, a := range tok.Attr {
				seen[a.Name.Local] = true
				if _, ok := rules.attrs[a.Name.Local]; !ok && known {
					t.Errorf("<%s %s=...>: attribute not in the schema", name, a.Name.Local)
				}
				if a.Name.Local == "time" && !surefireTime.MatchString(a.Value) {
					t.Errorf("<%s time=%q>: not the schema's time format", name, a.Value)
				}
			}
			for attr, required := range rules.attrs {
				if required && !seen[attr] {
					t.Errorf("<%s> lacks the required attribute %s", name, attr)
				}
			}
			stack = append(stack, name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

// tapLine matches a TAP test point.
var tapLine = regexp.MustCompile(`^(not )?ok (\d+) - ([^#]|\\#)*( # SKIP .*)?$`)

func TestTAPIsWellFormed(t *testing.T) {
	sum, out := checkFleet().render(t, CheckOptions{Format: FormatTAP})
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != "TAP version 13" {
		t.Fatalf("first line %q; want the version", lines[0])
	}
	points, notOK := 0, 0
	for i := 1; i < len(lines)-1; i++ {
		line := lines[i]
		if line == "  ---" {
			end := i + 1
			for end < len(lines) && lines[end] != "  ..." {
				end++
			}
			block := strings.Join(lines[i+1:end], "\n")
			var fields map[string]string
			if err := yaml.Unmarshal([]byte(block), &fields); err != nil || fields["severity"] == "" || fields["message"] == "" {
				t.Errorf("YAML block at line %d: %v, fields %v; want a severity and a message\n%s", i+1, err, fields, block)
			}
			i = end
			continue
		}
		m := tapLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %d %q is not a test point", i+1, line)
			continue
		}
		points++
		if n, _ := strconv.Atoi(m[2]); n != points {
			t.Errorf("line %d numbered %d; want %d", i+1, n, points)
		}
		if m[1] != "" {
			notOK++
		}
	}
	if plan := lines[len(lines)-1]; plan != "1.."+strconv.Itoa(points) {
		t.Errorf("plan %q for %d test points", plan, points)
	}
	// Failures, errors, and the unreachable and timed-out hosts are not ok.
	if want := sum.Failed + sum.Errors + 2; notOK != want {
		t.Errorf("%d not ok; want %d", notOK, want)
	}
}

func TestPrometheusPassesPromtool(t *testing.T) {
	_, out := checkFleet().render(t, CheckOptions{Format: FormatPrometheus})
	promtoolCheck(t, out)
}

func TestPrometheusSeriesAreUnique(t *testing.T) {
	_, out := checkFleet().render(t, CheckOptions{Format: FormatPrometheus})
	seen := make(map[string]bool)
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		series := line[:strings.LastIndexByte(line, ' ')]
		if seen[series] {
			t.Errorf("series %s appears twice", series)
		}
		seen[series] = true
	}
	if !strings.Contains(out, `check="command cat /data/x @ db.yaml:7:1"`) {
		t.Errorf("the second check with the same name lacks its position in its check label:\n%s", out)
	}
}

func TestJSONLIsOneObjectPerLine(t *testing.T) {
	c := checkFleet()
	sum, out := c.render(t, CheckOptions{Format: FormatJSONL})
	counts := make(map[string]int)
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var obj struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		counts[obj.Type]++
	}
	if counts["result"] != sum.Total() || counts["host"] != len(c.targets) || counts["summary"] != 1 {
		t.Errorf("lines by type %v; want %d results, %d hosts, 1 summary", counts, sum.Total(), len(c.targets))
	}
}

func TestCheckRenderErrorKeepsCounting(t *testing.T) {
	for _, format := range FormatNames(CheckFormats()) {
		t.Run(format, func(t *testing.T) {
			c := checkFleet()
			w := &failingWriter{}
			sum, err := RenderChecks(c.channel(), c.targets, CheckOptions{Format: format, Out: w})
			if err == nil || !strings.Contains(err.Error(), "broken pipe") {
				t.Errorf("err = %v; want the writer's error", err)
			}
			if sum == nil || sum.Failed != 4 || sum.HostsUnreachable != 1 {
				t.Errorf("summary %+v; want every host counted despite the failed output", sum)
			}
			if w.writes > 2 {
				t.Errorf("%d writes; want the output to stop at the first error", w.writes)
			}
		})
	}
}

func TestCheckOptionsValidate(t *testing.T) {
	err := CheckOptions{Format: "grouped", Out: io.Discard}.Validate()
	if err == nil || !strings.Contains(err.Error(), "prometheus") {
		t.Errorf("Validate(grouped) = %v; want an error listing the check formats", err)
	}
	events := make(chan remote.Event, 1)
	events <- remote.Event{Kind: remote.EventDone}
	close(events)
	if _, err := RenderChecks(events, nil, CheckOptions{Format: "xml", Out: io.Discard}); err == nil {
		t.Error("RenderChecks with an unknown format: want an error")
	}
	if len(events) != 0 {
		t.Error("RenderChecks left events unread")
	}
	for _, f := range FormatNames(CheckFormats()) {
		if err := (CheckOptions{Format: f, Out: io.Discard}).Validate(); err != nil {
			t.Errorf("Validate(%s) = %v", f, err)
		}
	}
}

func TestCheckTextTTYMarks(t *testing.T) {
	_, tty := checkFleet().render(t, CheckOptions{Unicode: true})
	_, plain := checkFleet().render(t, CheckOptions{})
	if !strings.Contains(tty, "  ✗ file /etc/motd exists: expected true, got false\n") {
		t.Errorf("terminal output lacks the ✗ line:\n%s", tty)
	}
	if !strings.Contains(plain, "  FAIL  file /etc/motd exists: expected true, got false\n") || strings.ContainsAny(plain, "✓✗") {
		t.Errorf("plain output: want ASCII marks only:\n%s", plain)
	}
}

func TestCheckMatrixFoldsHosts(t *testing.T) {
	_, out := checkFleet().render(t, CheckOptions{})
	if !regexp.MustCompile(`(?m)^file /etc/motd exists +web\[02-03\] \(2\)$`).MatchString(out) {
		t.Errorf("matrix lacks the failing check with its folded hosts:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^dns db.internal resolvable +web04$`).MatchString(out) {
		t.Errorf("matrix lacks the property in error with its host:\n%s", out)
	}
}

func TestCheckMatrixFitsTheTerminal(t *testing.T) {
	_, wide := checkFleet().render(t, CheckOptions{})
	for _, width := range []int{100, 57, 56, 40, 30} {
		_, out := checkFleet().render(t, CheckOptions{Width: width})
		matrix := out[strings.Index(out, "CHECK"):strings.Index(out, "\nnot checked:")]
		for line := range strings.Lines(matrix) {
			if n := cells(strings.TrimSuffix(line, "\n")); n > width {
				t.Errorf("width %d: matrix line of %d cells: %q", width, n, line)
			}
		}
		if fits := width >= 57; fits != (out == wide) {
			t.Errorf("width %d: the 57-cell matrix changed: %v; want %v:\n%s", width, out != wide, !fits, matrix)
		}
	}
}

func TestWrapCells(t *testing.T) {
	for _, tt := range []struct {
		in   string
		w    int
		want []string
	}{
		{"web[01-03,07],db1 (5)", 0, []string{"web[01-03,07],db1 (5)"}},
		{"web[01-03,07],db1 (5)", 14, []string{"web[01-03,07],", "db1 (5)"}},
		{"web[01-03,07],db1 (5)", 10, []string{"web[01-03,", "07],db1", "(5)"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"数据库服务器", 5, []string{"数据", "库服", "务器"}},
	} {
		if got := wrapCells(tt.in, tt.w); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrapCells(%q, %d) = %q; want %q", tt.in, tt.w, got, tt.want)
		}
	}
}

func TestCheckOutputsEscapeHostText(t *testing.T) {
	c := newCheckRun("h")
	c.result(0, "f:1:1", "command", "cat motd | head", "stdout", checks.Fail, "[hi]", "\x1b[2Jgotcha\r\nline 2", "", 1)
	c.start(0, 0).done(0, 1, remote.Result{ExitCode: 1}, nil)
	for _, format := range []string{FormatText, FormatTAP, FormatNagios} {
		_, out := c.render(t, CheckOptions{Format: format})
		if strings.ContainsAny(out, "\x1b\r") || strings.Contains(out, "\nline 2") {
			t.Errorf("%s: want control characters from the host escaped, never raw:\n%q", format, out)
		}
		switch format {
		case FormatText:
			if !strings.Contains(out, `got \x1b[2Jgotcha\r\nline 2`+"\n") {
				t.Errorf("text: want the actual value shown escaped on its line:\n%s", out)
			}
		case FormatNagios:
			if strings.Count(out, "|") != 1 {
				t.Errorf("nagios: a '|' in a check name would start the performance data: %q", out)
			}
		}
	}
}

func TestQuietChecksPassingIsSilent(t *testing.T) {
	run := newCheckRun("a")
	run.start(0, 0).done(0, 1, remote.Result{}, nil)
	run.result(0, "c.yaml:1:1", "file", "/etc/hosts", "exists", checks.Pass, "true", "true", "", 1)
	if _, out := run.render(t, CheckOptions{Format: FormatText, Quiet: true}); out != "" {
		t.Errorf("quiet, all passed: printed %q", out)
	}
}

// A host that ended with an error may have an abandoned job: whatever its
// event carries, it has no results.
func TestCheckResultsOfAFailedHostAreIgnored(t *testing.T) {
	c := newCheckRun("web01").result(0, "c.yaml:1:1", "file", "/etc/motd", "exists", checks.Pass, "true", "true", "", 1)
	c.start(0, 0).done(0, 10, remote.Result{Detail: c.results[0]}, &remote.Error{Class: remote.ClassTimeout, Err: errors.New("no result within 1s")})
	sum, _ := c.render(t, CheckOptions{Format: FormatJSON})
	if h := sum.Hosts[0]; len(h.Results) != 0 || sum.Passed != 0 {
		t.Errorf("a timed-out host has results %v (passed %d)", h.Results, sum.Passed)
	}
}

// Renderers each get their own copy of a host's results.
func TestCheckRenderersOwnTheirResults(t *testing.T) {
	c := checkFleet()
	var events []remote.Event
	for ev := range c.channel() {
		events = append(events, ev)
	}
	feed := func() <-chan remote.Event {
		ch := make(chan remote.Event, len(events))
		for _, ev := range events {
			ch <- ev
		}
		close(ch)
		return ch
	}
	a, err := RenderChecks(feed(), c.targets, CheckOptions{Format: FormatJSON, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	a.Hosts[0].Results[0].Host = "changed"
	b, err := RenderChecks(feed(), c.targets, CheckOptions{Format: FormatJSON, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Hosts[0].Results[0].Host; got != "web01" {
		t.Errorf("a renderer sees another's change: host %q", got)
	}
}

// matrixFleet is a fleet of 24 hosts where checks fail and err on folded
// ranges of hosts, with a long check name, for the matrix goldens.
func matrixFleet() *checkRun {
	names := make([]string, 24)
	for i := range names {
		names[i] = fmt.Sprintf("web%02d", i+1)
	}
	c := newCheckRun(names...)
	for i := range names {
		st := checks.Pass
		if i < 12 || i == 14 {
			st = checks.Fail
		}
		c.result(i, "web.yaml:1:1", "service", "nginx", "running", st, "true", "false", "", 1)
		switch {
		case i%5 == 0:
			c.result(i, "web.yaml:4:1", "http", "https://api.example.com/v2/health?verbose=true", "status", checks.Error, "200", "", "connection reset by peer", 5)
		case i >= 20:
			c.result(i, "web.yaml:9:1", "file", "/etc/nginx/conf.d/upstreams-with-a-long-name.conf", "contents", checks.Fail, "[/backend/]", "", "", 1)
		}
		c.start(i, 0).done(i, 100+i, remote.Result{ExitCode: 1}, nil)
	}
	return c
}

func TestCheckMatrixGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts CheckOptions
	}{
		{"matrix", CheckOptions{}},
		{"matrix_narrow", CheckOptions{Width: 50}},
		{"matrix_tty", CheckOptions{Width: 80, Unicode: true, Color: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, out := matrixFleet().render(t, tt.opts)
			start := regexp.MustCompile(`(?m)^(\x1b\[1m)?CHECK`).FindStringIndex(out)
			if start == nil {
				t.Fatalf("no matrix in:\n%s", out)
			}
			golden(t, "checks_"+tt.name, out[start[0]:])
		})
	}
}
