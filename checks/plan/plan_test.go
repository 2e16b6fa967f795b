package plan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
)

// planFixture writes check files into a temporary directory, makes it the
// working directory (the inventory's "checks" paths are relative to it),
// and parses the inventory.
func planFixture(t *testing.T, inv string, files map[string]string) (*inventory.Inventory, []*inventory.Host) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
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
func planSummary(plans []*Host) []string {
	var out []string
	for _, p := range plans {
		var ids []string
		for _, c := range p.Checks {
			ids = append(ids, c.ID)
		}
		line := p.Host.Name + ": " + strings.Join(ids, ",")
		if p.Offline {
			line += " (offline)"
		}
		for _, r := range p.Failed {
			line += " !" + r.ID + ":" + string(r.Status)
		}
		out = append(out, line)
	}
	return out
}

func TestNewFromInventory(t *testing.T) {
	inv, hosts := planFixture(t, planInventory, planFiles)
	plans, err := New(inv, hosts, nil, Vars{})
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

func TestNewFromFiles(t *testing.T) {
	inv, hosts := planFixture(t, planInventory, planFiles)
	plans, err := New(inv, hosts, []string{"controller.yaml"}, Vars{})
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

func TestNewErrors(t *testing.T) {
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
			_, err := New(inv, hosts, tt.args, Vars{})
			if err == nil {
				t.Fatal("New succeeded; want an error")
			}
			var ie InputError
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

func TestDialerSkipsOfflineHosts(t *testing.T) {
	rec := &recordingDialer{}
	d := Dialer(rec, []*Host{{Host: &inventory.Host{Name: "api"}, Offline: true}, {Host: &inventory.Host{Name: "web01"}}})
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

func TestExitCode(t *testing.T) {
	if got := ExitCode([]checks.Result{{Status: checks.Pass}, {Status: checks.Error}, {Status: checks.Skip}}); got != 0 {
		t.Errorf("no failure: exit code %d, want 0 (an error is not a failure)", got)
	}
	if got := ExitCode([]checks.Result{{Status: checks.Pass}, {Status: checks.Fail}}); got != 1 {
		t.Errorf("a failure: exit code %d, want 1", got)
	}
}

// TestNewRendersFilesPerHost: a whole-file template is loaded for each
// host with its variables, --vars replacing inventory ones and the
// environment as .Env; identical load failures are reported once.
func TestNewRendersFilesPerHost(t *testing.T) {
	files := map[string]string{"tmpl.yaml": `
file:
{{- range .Vars.paths }}
  {{ . }}:
    exists: true
{{- end }}
matching:
  tier:
    content: {{ .Env.TIER }}
    matches: {{ .Vars.tier }}
`}
	inv, hosts := planFixture(t, `
hosts:
  a: {vars: {paths: [/a1, /a2], tier: dev}}
  b: {vars: {paths: [/b1], tier: dev}}
`, files)
	vars, err := LoadVars(nil, "{tier: prod}", []string{"TIER=prod", "NOVALUE"})
	if err != nil {
		t.Fatal(err)
	}
	plans, err := New(inv, hosts, []string{"tmpl.yaml"}, vars)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a: /a1,/a2,tier", "b: /b1,tier"}
	if got := planSummary(plans); !slices.Equal(got, want) {
		t.Errorf("plans = %q, want %q", got, want)
	}
	if got := plans[0].Info.Vars["tier"]; got != "prod" || plans[0].Info.Env["TIER"] != "prod" {
		t.Errorf("a's template data: vars %v, env %v", plans[0].Info.Vars, plans[0].Info.Env)
	}
	var out strings.Builder
	if err := Validate(&out, plans); err != nil || out.String() != "valid: 5 checks for a,b\n" {
		t.Errorf("Validate = %v, %q", err, out.String())
	}

	// The same failure for every host is told once; different ones name
	// the other hosts.
	_, err = New(inv, hosts, []string{"none.yaml"}, vars)
	var ie InputError
	if !errors.As(err, &ie) || strings.Count(err.Error(), "none.yaml") != 1 || strings.Contains(err.Error(), "also fail") {
		t.Errorf("missing file: %v; want one InputError for both hosts", err)
	}
	_, err = New(inv, hosts, []string{"tmpl.yaml"}, Vars{})
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "define it for a") || !strings.Contains(err.Error(), "also fail to load for b") {
		t.Errorf("without .Env.TIER: %v; want a's error in full, b named", err)
	}
}

// TestKeepAndJob: Keep follows the targets' order; Job runs each target's
// own plan, masks its results and reports failures as exit code 1.
func TestKeepAndJob(t *testing.T) {
	plans := []*Host{
		{Host: &inventory.Host{Name: "a"}, Offline: true, Failed: []checks.Result{{ID: "a-failed", Status: checks.Fail}}},
		{Host: &inventory.Host{Name: "b"}, Offline: true},
	}
	if got := Keep(plans, []remote.Target{{Name: "b"}}); len(got) != 1 || got[0] != plans[1] {
		t.Errorf("Keep(b) = %v", got)
	}
	targets := []remote.Target{{Name: "a"}, {Name: "b"}}
	masked := 0
	job := Job(plans, targets, checks.RunOptions{}, func([]checks.Result) { masked++ })
	for i, want := range []int{1, 0} {
		res, err := job(context.Background(), nil, remote.HostIO{Target: &targets[i]})
		if err != nil || res.ExitCode != want {
			t.Errorf("%s: exit %d, %v; want %d", targets[i].Name, res.ExitCode, err, want)
		}
	}
	if masked != 2 {
		t.Errorf("masked %d results, want 2", masked)
	}
}

// TestValidateRefusesUnreadableExpectations: a property whose expectation
// cannot be read runs as an error of that property (as goss), but
// --validate-only refuses the file, naming the problem and its place.
func TestValidateRefusesUnreadableExpectations(t *testing.T) {
	files := map[string]string{"bad.yaml": `
file:
  /etc/passwd: {exists: true, mode: {have-prefx: "0"}}
`}
	inv, hosts := planFixture(t, "hosts:\n  a: {}\n", files)
	plans, err := New(inv, hosts, []string{"bad.yaml"}, Vars{})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err = Validate(&out, plans)
	var ie InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), `a: bad.yaml:3:38: mode: unknown matcher "have-prefx"; hint: did you mean "have-prefix"?`) {
		t.Errorf("Validate = %v (output %q); want the unknown matcher refused", err, out.String())
	}
}
