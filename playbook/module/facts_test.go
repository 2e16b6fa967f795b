package module

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// factsOracle runs Ansible's setup on this machine (ansible -c local) and
// returns its whole result, ansible_facts included (ansibleOracle drops
// them).
func factsOracle(t *testing.T, args map[string]any) map[string]any {
	t.Helper()
	bin, err := exec.LookPath("ansible")
	if err != nil {
		t.Skip("ansible (Debian's ansible-core) is not installed; scripts/test.sh installs it")
	}
	home := t.TempDir()
	tree := filepath.Join(home, "tree")
	cmdArgs := []string{"localhost", "-c", "local", "-i", "localhost,", "-m", "setup", "-t", tree}
	if len(args) > 0 {
		a, _ := json.Marshal(args)
		cmdArgs = append(cmdArgs, "-a", string(a))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, cmdArgs...)
	cmd.Env = append(os.Environ(), "HOME="+home, "ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "tmp"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(home, "rtmp"), "ANSIBLE_LOCALHOST_WARNING=0", "ANSIBLE_NOCOLOR=1",
		"ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3", "ANSIBLE_CONFIG="+filepath.Join(home, "none.cfg"))
	out, _ := cmd.CombinedOutput()
	data, err := os.ReadFile(filepath.Join(tree, "localhost"))
	if err != nil {
		t.Fatalf("ansible setup: no result: %v\n%s", err, out)
	}
	var res map[string]any
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("ansible setup: %v\n%s", err, data)
	}
	return res
}

// notCompared are Ansible's keys whose values are not compared, and why.
// Their presence is still compared (same key set) unless listed in
// notProduced.
var notComparedWhy = map[string]string{
	"ansible_date_time":                 "the clock moves between the two runs (its keys are compared)",
	"ansible_uptime_seconds":            "moves with the clock",
	"ansible_memfree_mb":                "changes from one second to the next",
	"ansible_memory_mb":                 "free/used change from one second to the next (total compared via memtotal_mb)",
	"ansible_swapfree_mb":               "changes with the load",
	"ansible_loadavg":                   "changes with the load; Ansible reads getloadavg(), remotectl /proc/loadavg (2 decimals)",
	"ansible_env":                       "compared below without the variables the two runs set differently",
	"ansible_mounts":                    "compared below without the free-space counters, which move",
	"ansible_virtualization_tech_guest": "a Python set: compared as a set below",
	"ansible_virtualization_tech_host":  "a Python set: compared as a set below",
	"ansible_selinux_python_present":    "whether Ansible's Python binding is installed; remotectl needs none and reports true",
	"ansible_lvm":                       "compared only when not root (lvm needs root and vgs)",
	"ansible_interfaces":                "in /sys/class/net's directory order, which changes between runs: compared as a set below",
}

// notProduced are Ansible's keys remotectl does not produce, and why.
var notProducedWhy = map[string]string{
	"discovered_interpreter_python": "set by Ansible's interpreter discovery, not by setup",
}

func TestSetupAsAnsible(t *testing.T) {
	// both runs inherit this environment: a locale the script must not
	// hide, and a value with a newline and an equals sign
	t.Setenv("LANG", "C.UTF-8")
	t.Setenv("RCTL_FACTS_PROBE", "a=b\nc d")
	want := factsOracle(t, nil)
	got := runLocal(t, "setup", map[string]any{}, false, false)
	if got.Changed() || got.IsFailed() {
		t.Fatalf("setup: %v", got)
	}
	wf, _ := want["ansible_facts"].(map[string]any)
	gf, _ := got["ansible_facts"].(map[string]any)
	gf = roundTrip(t, gf)
	for k := range wf {
		if _, ok := notProducedWhy[k]; ok {
			continue
		}
		if _, ok := gf[k]; !ok {
			t.Errorf("missing fact %s = %v", k, wf[k])
		}
	}
	for k := range gf {
		if _, ok := wf[k]; !ok {
			t.Errorf("extra fact %s = %v", k, gf[k])
		}
	}
	for k, w := range wf {
		g, ok := gf[k]
		if !ok {
			continue
		}
		if _, skip := notComparedWhy[k]; skip {
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %v\nwant %v", k, g, w)
		}
	}
	compareFactKeys(t, "date_time", gf["ansible_date_time"], wf["ansible_date_time"])
	compareFactKeys(t, "memory_mb", gf["ansible_memory_mb"], wf["ansible_memory_mb"])
	if gm, wm := gf["ansible_memory_mb"].(map[string]any)["real"].(map[string]any)["total"], wf["ansible_memory_mb"].(map[string]any)["real"].(map[string]any)["total"]; gm != wm {
		t.Errorf("memory_mb.real.total %v, want %v", gm, wm)
	}
	for _, k := range []string{"ansible_interfaces", "ansible_virtualization_tech_guest", "ansible_virtualization_tech_host"} {
		if !reflect.DeepEqual(sortedAny(gf[k]), sortedAny(wf[k])) {
			t.Errorf("%s: got %v want %v", k, gf[k], wf[k])
		}
	}
	if os.Getuid() != 0 && !reflect.DeepEqual(gf["ansible_lvm"], wf["ansible_lvm"]) {
		t.Errorf("lvm: got %v want %v", gf["ansible_lvm"], wf["ansible_lvm"])
	}
	compareMounts(t, gf["ansible_mounts"], wf["ansible_mounts"])
	compareEnv(t, gf["ansible_env"], wf["ansible_env"])
	if env, _ := gf["ansible_env"].(map[string]any); env["RCTL_FACTS_PROBE"] != "a=b\nc d" || env["LANG"] != "C.UTF-8" {
		t.Errorf("env: LANG=%q RCTL_FACTS_PROBE=%q", env["LANG"], env["RCTL_FACTS_PROBE"])
	}
}

// roundTrip turns the module's facts into what JSON gives (numbers as
// float64), as the oracle's.
func roundTrip(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func compareFactKeys(t *testing.T, name string, got, want any) {
	t.Helper()
	g, _ := got.(map[string]any)
	w, _ := want.(map[string]any)
	if !reflect.DeepEqual(factKeys(g), factKeys(w)) {
		t.Errorf("%s keys: got %v want %v", name, factKeys(g), factKeys(w))
	}
}

func factKeys(m map[string]any) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}

func sortedAny(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func compareMounts(t *testing.T, got, want any) {
	t.Helper()
	norm := func(v any) []string {
		var out []string
		l, _ := v.([]any)
		for _, m := range l {
			mm, _ := m.(map[string]any)
			c := map[string]any{}
			for k, x := range mm {
				switch k {
				case "block_available", "block_used", "size_available", "inode_available", "inode_used":
					c[k] = "volatile"
				default:
					c[k] = x
				}
			}
			b, _ := json.Marshal(c)
			out = append(out, string(b))
		}
		sort.Strings(out)
		return out
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Errorf("mounts:\n got %v\nwant %v", g, w)
	}
}

func compareEnv(t *testing.T, got, want any) {
	t.Helper()
	g, _ := got.(map[string]any)
	w, _ := want.(map[string]any)
	// set differently by the two runs: Ansible's own variables, the
	// temporary HOME the oracle runs with, the shell's PWD/SHLVL/_, and
	// the local transport's REMOTECTL_HOST.
	differ := func(k string) bool {
		return strings.HasPrefix(k, "ANSIBLE_") || k == "HOME" || k == "PWD" || k == "SHLVL" || k == "_" || k == "OLDPWD" ||
			k == "PYTHONPATH" || k == "REMOTECTL_HOST"
	}
	for k, v := range w {
		if !differ(k) && g[k] != v {
			t.Errorf("env %s: got %q want %q", k, g[k], v)
		}
	}
	for k, v := range g {
		if _, ok := w[k]; !ok && !differ(k) {
			t.Errorf("env %s=%q not in Ansible's", k, v)
		}
	}
}

// TestSetupSubsetsAndFilterAsAnsible compares the key sets gather_subset
// and filter select, and the values of the stable ones.
func TestSetupSubsetsAndFilterAsAnsible(t *testing.T) {
	for _, args := range []map[string]any{
		{"gather_subset": []any{"min"}},
		{"gather_subset": []any{"!hardware"}},
		{"gather_subset": []any{"network"}},
		{"gather_subset": []any{"!all"}},
		{"gather_subset": []any{"!all", "!min", "network"}},
		{"gather_subset": []any{"!all", "!min", "interfaces", "distribution_version"}},
		{"gather_subset": []any{"!all", "!min"}},
		{"gather_subset": "!all,virtual,!min"},
		{"filter": []any{"ansible_distribution*"}},
		{"filter": []any{"distribution*", "*_mb"}},
		{"filter": "ansible_eth[0-9]"},
		{"filter": []any{"gather_subset", "os_famil?"}, "gather_subset": []any{"!all"}},
	} {
		want := factsOracle(t, args)
		got := runLocal(t, "setup", args, false, false)
		wf, _ := want["ansible_facts"].(map[string]any)
		gf := roundTrip(t, got["ansible_facts"].(map[string]any))
		var wk []string
		for k := range wf {
			if _, ok := notProducedWhy[k]; !ok {
				wk = append(wk, k)
			}
		}
		sort.Strings(wk)
		if gk := factKeys(gf); !reflect.DeepEqual(gk, wk) {
			t.Errorf("%v: keys\n got %v\nwant %v", args, gk, wk)
		}
		for _, k := range []string{"ansible_distribution", "ansible_os_family", "ansible_kernel", "ansible_default_ipv4", "ansible_memtotal_mb", "gather_subset"} {
			if w, ok := wf[k]; ok && !reflect.DeepEqual(gf[k], w) {
				t.Errorf("%v: %s = %v, want %v", args, k, gf[k], w)
			}
		}
	}
}

func TestSetupBadSubsetAsAnsible(t *testing.T) {
	args := map[string]any{"gather_subset": []any{"bogus"}}
	want := factsOracle(t, args)
	got := runLocal(t, "setup", args, false, false)
	// the tree file of a failed module keeps its msg, not its failed key
	if !got.IsFailed() || want["msg"] == nil {
		t.Fatalf("bad subset: got %v, Ansible %v", got, want)
	}
	if got["msg"] != want["msg"] {
		t.Errorf("msg:\n got %v\nwant %v", got["msg"], want["msg"])
	}
}

func TestSetupLocalFactsAsAnsible(t *testing.T) {
	dir := t.TempDir()
	files := map[string]struct {
		data string
		mode os.FileMode
	}{
		"app.fact":     {`{"version": "1.2", "ports": [80, 443], "nested": {"on": true}}`, 0o644},
		"ini.fact":     {"[general]\nName = web\ncolor: blue\n; comment\n[empty]\n", 0o644},
		"script.fact":  {"#!/bin/sh\necho '{\"from\": \"script\"}'\n", 0o755},
		"failing.fact": {"#!/bin/sh\necho oops >&2\nexit 3\n", 0o755},
		"bad.fact":     {"not json, not ini\n", 0o644},
		"empty.fact":   {"", 0o644},
		"other.txt":    {"{}", 0o644},
	}
	for name, f := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range []map[string]any{
		{"fact_path": dir, "gather_subset": []any{"!all", "!min", "local"}},
		{"fact_path": filepath.Join(dir, "missing"), "gather_subset": []any{"!all", "!min", "local"}},
	} {
		want := factsOracle(t, args)
		got := runLocal(t, "setup", args, false, false)
		wl := want["ansible_facts"].(map[string]any)["ansible_local"]
		gl := roundTrip(t, got["ansible_facts"].(map[string]any))["ansible_local"]
		if !reflect.DeepEqual(gl, wl) {
			t.Errorf("%v: ansible_local\n got %v\nwant %v", args, gl, wl)
		}
	}
}

// osHost is a Host of a given OS family whose commands print a fixed
// output: enough to drive setup's refusals.
type osHost struct {
	os     remote.OSFamily
	stdout string
	ran    int
}

func (h *osHost) Name() string         { return "h" }
func (h *osHost) OS() remote.OSFamily  { return h.os }
func (h *osHost) Vars() map[string]any { return nil }
func (h *osHost) Run(context.Context, Command) (Output, error) {
	h.ran++
	return Output{Stdout: h.stdout}, nil
}
func (h *osHost) WriteFile(context.Context, string, []byte, os.FileMode) error { return nil }
func (h *osHost) ReadFile(context.Context, string) ([]byte, error)             { return nil, nil }

// TestSetupRefusesNonLinux: a POSIX host that is not Linux fails with its
// system's name (Windows has its own setup: windows_test.go).
func TestSetupRefusesNonLinux(t *testing.T) {
	m, _ := Lookup("ansible.builtin.setup")
	args, err := m.Normalize(map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	bsd := &osHost{os: remote.OSUnix, stdout: "\n" + factMarker + "system\nFreeBSD\n" + factMarker + "system.rc\n0\n"}
	res, err := m.Run(context.Background(), &Call{Module: m, Args: args, Host: bsd})
	if err != nil || !res.IsFailed() || !strings.Contains(res["msg"].(string), `"FreeBSD"`) {
		t.Errorf("FreeBSD: %v %v", res, err)
	}
}

func TestSetupLocalFactsHomePath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	if err := os.MkdirAll(filepath.Join(home, "facts.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "facts.d", "a.fact"), []byte(`{"x": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	got := runLocal(t, "setup", map[string]any{"fact_path": "~/facts.d", "gather_subset": "!all,!min,local"}, false, false)
	local := roundTrip(t, got["ansible_facts"].(map[string]any))["ansible_local"]
	if !reflect.DeepEqual(local, map[string]any{"a": map[string]any{"x": 1.0}}) {
		t.Errorf("ansible_local = %v", local)
	}
}

func TestSelinuxFactsEnabled(t *testing.T) {
	// libselinux's answers on an enforcing host: selinuxfs mounted, policy
	// version and mode from it, config mode and type from /etc/selinux/config
	s := factSections{"selinux.fs": "1", "selinux.enforce": "1\n", "selinux.policyvers": "33\n",
		"selinux.config": "# comment\nSELINUX=Permissive\nSELINUXTYPE=targeted\n"}
	got := selinuxFacts(s, nil)["selinux"]
	want := map[string]any{"status": "enabled", "policyvers": 33, "mode": "enforcing", "config_mode": "permissive", "type": "targeted"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("selinux = %v, want %v", got, want)
	}
}

func TestSetupTimezoneAsAnsible(t *testing.T) {
	for _, tz := range []string{"Europe/Paris", "Australia/Sydney", "Asia/Kolkata"} {
		if _, err := os.Stat("/usr/share/zoneinfo/" + tz); err != nil {
			t.Skipf("no zoneinfo for %s", tz)
		}
		t.Setenv("TZ", tz)
		args := map[string]any{"gather_subset": []any{"!all", "!min", "date_time"}}
		want := factsOracle(t, args)["ansible_facts"].(map[string]any)["ansible_date_time"].(map[string]any)
		got := runLocal(t, "setup", args, false, false)["ansible_facts"].(map[string]any)["ansible_date_time"].(map[string]any)
		for _, k := range []string{"tz", "tz_dst", "tz_offset"} {
			if got[k] != want[k] {
				t.Errorf("TZ=%s %s = %v, want %v", tz, k, got[k], want[k])
			}
		}
	}
}
