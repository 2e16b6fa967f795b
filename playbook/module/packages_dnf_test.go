package module

import (
	"reflect"
	"strings"
	"testing"
)

func TestDnfDecisions(t *testing.T) {
	tool, pkgs := parseDnfProbe("@@tool dnf\nI\tbash\nI\tcurl\nU\tcurl\n")
	if tool != "dnf" || !pkgs["curl"].upgrade || !pkgs["bash"].installed {
		t.Fatalf("probe: %s %v", tool, pkgs)
	}
	for _, tc := range []struct {
		state string
		specs []string
		op    string
		list  []string
		cmd   string
	}{
		{"present", []string{"bash", "nginx"}, "install", []string{"nginx"}, "dnf -y install nginx"},
		{"present", []string{"bash"}, "", nil, ""},
		{"absent", []string{"bash", "nginx"}, "remove", []string{"bash"}, "dnf -y remove bash"},
		{"latest", []string{"bash", "curl", "nginx"}, "latest", []string{"curl", "nginx"}, "dnf -y install nginx && dnf -y upgrade curl"},
		{"latest", []string{"bash"}, "", nil, ""},
	} {
		op, list := dnfDecide(tc.state, tc.specs, pkgs, false)
		if op != tc.op || !reflect.DeepEqual(list, tc.list) {
			t.Errorf("%s %v: %s %v, want %s %v", tc.state, tc.specs, op, list, tc.op, tc.list)
			continue
		}
		if op != "" {
			if got := dnfCommand("dnf", false, op, list, pkgs, false); got != tc.cmd {
				t.Errorf("%s %v: %q, want %q", tc.state, tc.specs, got, tc.cmd)
			}
		}
	}
	if s := dnfProbeScript([]string{"https://x/epel-release.rpm"}, false, ""); !strings.Contains(s, "rpm -qp --qf '%{NAME}' https://x/epel-release.rpm") {
		t.Errorf("rpm URL probe: %s", s)
	}
	if got := dnfCommand("dnf", true, "latest", []string{"nginx"}, pkgs, false); got != "dnf --assumeno install nginx" {
		t.Errorf("check: %q", got)
	}
	done := "Dependencies resolved.\n...\nInstalled:\n  nginx-1:1.20.1-14.el9.x86_64        nginx-core-1:1.20.1-14.el9.x86_64\n\nComplete!\n"
	if got := dnfTransaction(done); !reflect.DeepEqual(got, []string{"Installed: nginx-1:1.20.1-14.el9.x86_64", "Installed: nginx-core-1:1.20.1-14.el9.x86_64"}) {
		t.Errorf("after: %v", got)
	}
	plan := "=====\n Package      Arch     Version            Repository  Size\n=====\nInstalling:\n nginx        x86_64   1:1.20.1-14.el9    appstream   36 k\n" +
		"Installing dependencies:\n nginx-core   x86_64   1:1.20.1-14.el9    appstream   567 k\n\nTransaction Summary\n"
	if got := dnfTransaction(plan); !reflect.DeepEqual(got, []string{"Installed: nginx-1:1.20.1-14.el9.x86_64", "Installed: nginx-core-1:1.20.1-14.el9.x86_64"}) {
		t.Errorf("plan: %v", got)
	}
	m, _ := Lookup("ansible.builtin.yum")
	if _, err := m.Normalize(map[string]any{"name": "x", "state": "installed", "expire-cache": true}); err != nil {
		t.Error(err)
	}
}

// TestPackageDispatchesToApt installs rctest-hello with package: on this
// Debian host it is apt's work.
func TestPackageDispatchesToApt(t *testing.T) {
	aptTestRepo(t)
	if res := runLocal(t, "apt", map[string]any{"update_cache": true}, false, false); res.IsFailed() {
		t.Fatal(res)
	}
	args := map[string]any{"name": "rctest-hello", "state": "present"}
	if res := runLocal(t, "package", args, true, false); !res.Changed() || helloInstalled(t) {
		t.Errorf("check: %v", res)
	}
	if res := runLocal(t, "ansible.builtin.package", args, false, false); !res.Changed() || !helloInstalled(t) {
		t.Errorf("install: %v", res)
	}
	if res := runLocal(t, "package", args, false, false); res.Changed() {
		t.Errorf("again: %v", res)
	}
	if res := runLocal(t, "package", map[string]any{"name": "rctest-hello", "state": "installed"}, true, false); !res.IsFailed() {
		t.Errorf("state installed passed to apt: %v (apt refuses it, as Ansible's)", res)
	}
	if res := runLocal(t, "package", map[string]any{"name": []any{"rctest-hello"}, "state": "absent"}, false, false); !res.Changed() || helloInstalled(t) {
		t.Errorf("absent: %v", res)
	}
	// upgrade on the hermetic lists: nothing newer than what is installed
	for _, mode := range []string{"dist", "safe"} {
		args := map[string]any{"upgrade": mode, "force_apt_get": true}
		got := runLocal(t, "apt", args, true, false)
		want := ansibleOracle(t, "apt", args, true, false)
		wmsg, _ := want["msg"].(string)
		gmsg, _ := got["msg"].(string)
		if got.IsFailed() || got.Changed() != (want["changed"] == true) || !strings.Contains(wmsg, "\n0 upgraded") || !strings.Contains(gmsg, "\n0 upgraded") {
			t.Errorf("upgrade=%s:\n got %v\nwant %v", mode, got, want)
		}
	}
	if res := runLocal(t, "apt", map[string]any{"upgrade": "dist", "name": "x"}, true, false); !res.IsFailed() {
		t.Errorf("upgrade with name: %v", res)
	}
	if res := runLocal(t, "apt", map[string]any{"name": []any{"*", "x"}, "state": "latest"}, true, false); !res.IsFailed() {
		t.Errorf("'*' with a name: %v", res)
	}
}
