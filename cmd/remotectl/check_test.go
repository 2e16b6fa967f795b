package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/report"
)

func TestCheckExitCode(t *testing.T) {
	tests := []struct {
		name        string
		sum         report.CheckSummary
		interrupted bool
		want        int
		wantNagios  int
	}{
		{"all passed", report.CheckSummary{CheckCounts: report.CheckCounts{Passed: 3, Skipped: 1}, HostsOK: 2}, false, 0, 0},
		{"a failure", report.CheckSummary{CheckCounts: report.CheckCounts{Passed: 3, Failed: 1}, HostsFailed: 1}, false, 1, 2},
		{"an error is not a failure", report.CheckSummary{CheckCounts: report.CheckCounts{Passed: 3, Errors: 1}, HostsError: 1}, false, 2, 1},
		{"unreachable and failed", report.CheckSummary{CheckCounts: report.CheckCounts{Passed: 3, Failed: 1}, HostsFailed: 1, HostsUnreachable: 1}, false, 3, 2},
		{"timed out", report.CheckSummary{CheckCounts: report.CheckCounts{Passed: 3}, HostsOK: 1, HostsTimedOut: 1}, false, 4, 1},
		{"nothing evaluated", report.CheckSummary{HostsUnreachable: 2}, false, 2, 3},
		{"interrupted", report.CheckSummary{CheckCounts: report.CheckCounts{Passed: 3}, HostsCancelled: 1}, true, 130, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := report.CheckExitCode(&tt.sum, false, tt.interrupted); got != tt.want {
				t.Errorf("exit code %d; want %d", got, tt.want)
			}
			if got := report.CheckExitCode(&tt.sum, true, tt.interrupted); got != tt.wantNagios {
				t.Errorf("nagios exit code %d; want %d", got, tt.wantNagios)
			}
		})
	}
}

// localChecks is a check file whose results are known on any Linux host.
const localChecks = `
file:
  /etc/passwd:
    exists: true
  /nonexistent/remotectl:
    exists: true
    mode: "0644"
command:
  "printf '<&>'":
    exit-status: 0
    stdout: ["<&>"]
`

func TestCheckJUnitParsesBack(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "checks.yaml")
	writeFile(t, file, localChecks)
	t.Chdir(dir)
	out, stderr, code := runForTest(t, "check", "-o", "junit", file)
	if code != report.ExitFailed {
		t.Fatalf("exit code %d; want %d (one property fails)\n%s", code, report.ExitFailed, stderr)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name    string `xml:"name,attr"`
			Skipped int    `xml:"skipped,attr"`
			Cases   []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s", err, out)
	}
	if len(doc.Suites) != 1 || doc.Suites[0].Name != "localhost" {
		t.Fatalf("suites %+v; want one, localhost", doc.Suites)
	}
	if doc.Tests != 5 || doc.Failures != 1 || doc.Suites[0].Skipped != 1 {
		t.Errorf("tests/failures/skipped %d/%d/%d; want 5/1/1 (mode is skipped after exists failed)\n%s", doc.Tests, doc.Failures, doc.Suites[0].Skipped, out)
	}
	for _, c := range doc.Suites[0].Cases {
		if (c.Failure != nil) != (c.Name == "file /nonexistent/remotectl exists") {
			t.Errorf("case %q failure %v", c.Name, c.Failure != nil)
		}
	}
}

func TestCheckPrometheusPassesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found: install Debian's prometheus package (apt-get install -y prometheus)")
		}
		t.Skip("promtool not found (Debian package prometheus)")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "checks.yaml")
	writeFile(t, file, localChecks)
	t.Chdir(dir)
	out, stderr, code := runForTest(t, "check", "-o", "prometheus", file)
	if code != report.ExitFailed {
		t.Fatalf("exit code %d; want %d\n%s", code, report.ExitFailed, stderr)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s\n--- input:\n%s", err, msg, out)
	}
	if !strings.Contains(out, `remotectl_check_success{check="file /nonexistent/remotectl",host="localhost",property="exists"} 0`) {
		t.Errorf("output lacks the failed property:\n%s", out)
	}
}

func TestCheckResultsMatchHosts(t *testing.T) {
	// Results land with the host they were made for, whatever order hosts
	// finish in.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "inventory.yaml"), "defaults: {transport: local}\nhosts:\n  h[01-20]:\n")
	writeFile(t, filepath.Join(dir, "c.yaml"), "command:\n  \"echo {{ .Host.Name }}\":\n    exit-status: 0\n    stdout: [\"{{ .Host.Name }}\"]\n")
	t.Chdir(dir)
	out, stderr, code := runForTest(t, "check", "-H", "all", "-f", "7", "-o", "jsonl", "c.yaml")
	if code != report.ExitOK {
		t.Fatalf("exit code %d\n%s\n%s", code, out, stderr)
	}
	for i := 1; i <= 20; i++ {
		name := fmt.Sprintf("h%02d", i)
		if !strings.Contains(out, `"host":"`+name+`","pos":"c.yaml:2:3","type":"command","id":"echo `+name+`"`) {
			t.Errorf("no result of %s for its own command:\n%s", name, out)
		}
	}
}
