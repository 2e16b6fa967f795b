package main

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
)

// planFixture writes check files into a temporary directory, makes it the
// working directory (the inventory's "checks" paths are relative to it),
// and parses the inventory.
func planFixture(t *testing.T, inv string, files map[string]string) (*inventory.Inventory, []*inventory.Host) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		writeFile(t, filepath.Join(dir, name), data)
	}
	t.Chdir(dir)
	parsed, err := inventory.Parse("inventory.yaml", []byte(inv), inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := parsed.Select("all", "")
	if err != nil {
		t.Fatal(err)
	}
	return parsed, hosts
}

const planInventory = `
defaults:
  transport: local
hosts:
  web[01-03]:
  db1:
    vars: { port: 5432 }
  api:
groups:
  web:
    hosts: ["web[01-03]"]
    vars: { checks: [web.yaml, base.yaml] }
  db:
    hosts: [db1]
    vars: { checks: base.yaml }
`

var planFiles = map[string]string{
	"web.yaml": `
hosts: web
command:
  "echo {{ .Host.Name }}":
    exit-status: 0
file:
  /srv/www:
    exists: true
    hosts: "web0[1-2]"
`,
	"base.yaml": `
port:
  "tcp:{{ .Vars.port }}":
    listening: true
http:
  http://127.0.0.1:1/:
    status: 200
`,
	"controller.yaml": `
http:
  http://127.0.0.1:1/:
    status: 200
command:
  "true":
    exit-status: 0
    skip: true
`,
}

// planSummary describes plans as "host: ids (offline) !failed-ids".
func planSummary(plans []*hostPlan) []string {
	var out []string
	for _, p := range plans {
		var ids []string
		for _, c := range p.checks {
			ids = append(ids, c.ID)
		}
		line := p.host.Name + ": " + strings.Join(ids, ",")
		if p.offline {
			line += " (offline)"
		}
		for _, r := range p.failed {
			line += " !" + r.ID + ":" + string(r.Status)
		}
		out = append(out, line)
	}
	return out
}

func TestPlanChecksFromInventory(t *testing.T) {
	inv, hosts := planFixture(t, planInventory, planFiles)
	plans, err := planChecks(inv, hosts, nil, templateVars{})
	if err != nil {
		t.Fatal(err)
	}
	got := planSummary(plans)
	want := []string{
		// web hosts have no "port" variable: that check fails to render, as an error.
		"web01: echo web01,/srv/www,http://127.0.0.1:1/ !tcp:{{ .Vars.port }}:error",
		"web02: echo web02,/srv/www,http://127.0.0.1:1/ !tcp:{{ .Vars.port }}:error",
		"web03: echo web03,http://127.0.0.1:1/ !tcp:{{ .Vars.port }}:error",
		"db1: tcp:5432,http://127.0.0.1:1/",
		// api names no check file: left out.
	}
	if !slices.Equal(got, want) {
		t.Errorf("plans:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPlanChecksFromFiles(t *testing.T) {
	inv, hosts := planFixture(t, planInventory, planFiles)
	plans, err := planChecks(inv, hosts, []string{"controller.yaml"}, templateVars{})
	if err != nil {
		t.Fatal(err)
	}
	got := planSummary(plans)
	if len(got) != len(hosts) {
		t.Fatalf("%d plans for %d hosts: %v", len(got), len(hosts), got)
	}
	for _, line := range got {
		if !strings.HasSuffix(line, ": http://127.0.0.1:1/,true (offline)") {
			t.Errorf("plan %q; want both checks, offline: http is observed from the controller, the command is skipped", line)
		}
	}
}

func TestPlanChecksErrors(t *testing.T) {
	tests := []struct {
		name      string
		inventory string
		files     map[string]string
		args      []string
		wantInput bool
		want      []string
	}{
		{
			name:      "unknown group in hosts:",
			inventory: planInventory,
			files:     map[string]string{"typo.yaml": "file:\n  /x:\n    exists: true\n    hosts: wbe\n"},
			args:      []string{"typo.yaml"},
			wantInput: true,
			want:      []string{"typo.yaml:2:3: hosts: ", "wbe"},
		},
		{
			name:      "bad checks variable, reported once per place it is set",
			inventory: "defaults: {transport: local}\nhosts:\n  a:\n  b:\ngroups:\n  g:\n    hosts: [a, b]\n    vars: { checks: {web: 1} }\n",
			wantInput: true,
			want:      []string{`the variable "checks" from group g (inventory.yaml:8:`, "not a mapping", "checks: [web.yaml"},
		},
		{
			name:      "a broken file among those the inventory names",
			inventory: "defaults: {transport: local}\nhosts:\n  a: { vars: { checks: [ok.yaml, broken.yaml] } }\n",
			files:     map[string]string{"ok.yaml": "file:\n  /x:\n    exists: true\n", "broken.yaml": "file:\n  /x:\n    exits: true\n"},
			wantInput: true,
			want:      []string{"broken.yaml:3:5", "exits"},
		},
		{
			name:      "no check in the files",
			inventory: planInventory,
			files:     map[string]string{"empty.yaml": "# nothing yet\n"},
			args:      []string{"empty.yaml"},
			want:      []string{"hold no check"},
		},
		{
			name:      "no check for the selected hosts",
			inventory: planInventory,
			files:     map[string]string{"db.yaml": "hosts: \"x*\"\nfile:\n  /x:\n    exists: true\n"},
			args:      []string{"db.yaml"},
			want:      []string{"no check applies to the selected hosts (api,db1,web[01-03])"},
		},
		{
			name:      "no check file anywhere",
			inventory: "defaults: {transport: local}\nhosts:\n  a:\n",
			want:      []string{"no check files", "-F FILE"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, hosts := planFixture(t, tt.inventory, tt.files)
			_, err := planChecks(inv, hosts, tt.args, templateVars{})
			if err == nil {
				t.Fatal("planChecks succeeded; want an error")
			}
			var ie inputError
			if got := errors.As(err, &ie); got != tt.wantInput {
				t.Errorf("error %v is an input error: %v; want %v", err, got, tt.wantInput)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), `variable "checks"`); n > 1 {
				t.Errorf("the same bad variable reported %d times: %v", n, err)
			}
		})
	}
}

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
			if got := checkExitCode(&tt.sum, false, tt.interrupted); got != tt.want {
				t.Errorf("exit code %d; want %d", got, tt.want)
			}
			if got := checkExitCode(&tt.sum, true, tt.interrupted); got != tt.wantNagios {
				t.Errorf("nagios exit code %d; want %d", got, tt.wantNagios)
			}
		})
	}
}

// recordingDialer records the hosts it dials and hands out local transports.
type recordingDialer struct {
	mu     sync.Mutex
	dialed []string
}

func (d *recordingDialer) Dial(_ context.Context, t remote.Target) (remote.Transport, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dialed = append(d.dialed, t.Name)
	return nil, remote.Errorf(remote.ClassRefused, "dial", "connection refused")
}

func TestCheckDialerSkipsOfflineHosts(t *testing.T) {
	rec := &recordingDialer{}
	d := checkDialer{Dialer: rec, offline: map[string]bool{"api": true}}
	tr, err := d.Dial(context.Background(), remote.Target{Name: "api"})
	if err != nil || tr == nil {
		t.Fatalf("Dial(api) = %v, %v; want a transport without connecting", tr, err)
	}
	if _, err := tr.Run(context.Background(), &remote.Cmd{Shell: "true"}); err == nil || !strings.Contains(err.Error(), "no connection") {
		t.Errorf("Run on the offline transport: %v; want an error saying no connection was made", err)
	}
	if _, err := d.Dial(context.Background(), remote.Target{Name: "web01"}); remote.ClassOf(err) != remote.ClassRefused {
		t.Errorf("Dial(web01) error %v; want the inner dialer's", err)
	}
	if !slices.Equal(rec.dialed, []string{"web01"}) {
		t.Errorf("dialed %v; want only web01", rec.dialed)
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
	if code != exitFailed {
		t.Fatalf("exit code %d; want %d (one property fails)\n%s", code, exitFailed, stderr)
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
	if code != exitFailed {
		t.Fatalf("exit code %d; want %d\n%s", code, exitFailed, stderr)
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
	if code != exitOK {
		t.Fatalf("exit code %d\n%s\n%s", code, out, stderr)
	}
	for i := 1; i <= 20; i++ {
		name := fmt.Sprintf("h%02d", i)
		if !strings.Contains(out, `"host":"`+name+`","pos":"c.yaml:2:3","type":"command","id":"echo `+name+`"`) {
			t.Errorf("no result of %s for its own command:\n%s", name, out)
		}
	}
}

// TestOutputFlag reads -o from a command line cobra could not parse.
func TestOutputFlag(t *testing.T) {
	env := func(v string) func(string) string { return func(string) string { return v } }
	for _, tt := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"check", "-o", "nagios", "--bogus"}, "", "nagios"},
		{[]string{"check", "--bogus", "--output", "NAGIOS"}, "", "nagios"},
		{[]string{"-onagios", "check"}, "", "nagios"},
		{[]string{"check", "-o=nagios", "-o", "json"}, "", "json"},
		{[]string{"check", "--output=tap"}, "nagios", "tap"},
		{[]string{"check", "--", "-o", "nagios"}, "", ""},
		{[]string{"check", "--bogus"}, "nagios", "nagios"},
		{[]string{"check", "-o"}, "", ""},
	} {
		if got := outputFlag(tt.args, env(tt.env)); got != tt.want {
			t.Errorf("outputFlag(%q, REMOTECTL_OUTPUT=%q) = %q, want %q", tt.args, tt.env, got, tt.want)
		}
	}
}
