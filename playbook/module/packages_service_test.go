package module

import (
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

const systemdGoldenProbe = "Id=nginx.service\nLoadState=loaded\nActiveState=inactive\nExecStart={ path=/usr/sbin/nginx ; argv[]=/usr/sbin/nginx\n -g daemon on; }\nUnitFileState=disabled\n@@show 0\ndisabled\n@@enabled 1\n"

func TestSystemdDecisions(t *testing.T) {
	m, _ := Lookup("ansible.builtin.systemd")
	for _, tc := range []struct {
		probe   string
		args    map[string]any
		actions []string
		changed bool
		result  map[string]any // keys of the result that must be equal
		failed  string
	}{
		{systemdGoldenProbe, map[string]any{"name": "nginx", "state": "started", "enabled": true}, []string{"enable", "start"}, true,
			map[string]any{"state": "started", "enabled": true, "name": "nginx"}, ""},
		{systemdGoldenProbe, map[string]any{"name": "nginx", "state": "stopped", "enabled": false}, nil, false,
			map[string]any{"state": "stopped", "enabled": false}, ""},
		{systemdGoldenProbe, map[string]any{"name": "nginx", "state": "reloaded"}, []string{"start"}, true,
			map[string]any{"state": "started"}, ""},
		{strings.Replace(systemdGoldenProbe, "ActiveState=inactive", "ActiveState=active", 1), map[string]any{"name": "nginx", "state": "restarted"},
			[]string{"restart"}, true, map[string]any{"state": "started"}, ""},
		{systemdGoldenProbe, map[string]any{"name": "nginx", "masked": true}, []string{"mask"}, true, nil, ""},
		{strings.Replace(systemdGoldenProbe, "disabled\n@@enabled 1", "masked\n@@enabled 1", 1), map[string]any{"name": "nginx", "masked": true}, nil, false, nil, ""},
		{"Id=nope.service\nLoadState=not-found\nActiveState=inactive\n@@show 0\n@@enabled 1\n", map[string]any{"name": "nope", "state": "started"}, nil, false, nil,
			"Could not find the requested service nope: host"},
		{"Id=old\nLoadState=not-found\nActiveState=inactive\n@@show 0\n@@enabled 1\n@@initd\n@@sysv-enabled\n", map[string]any{"name": "old", "enabled": true}, nil, false,
			map[string]any{"enabled": true}, ""},
		{"Id=x.service\nLoadState=loaded\nActiveState=active\n@@show 0\nindirect\n@@enabled 0\n", map[string]any{"name": "x", "enabled": true}, []string{"enable"}, true,
			map[string]any{"enabled": true}, ""},
	} {
		args, err := m.Normalize(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		plan := decideSystemd(args, parseSystemdProbe(tc.probe))
		if plan.failed != tc.failed {
			t.Errorf("%v: failed %q, want %q", tc.args, plan.failed, tc.failed)
			continue
		}
		if tc.failed != "" {
			continue
		}
		if !reflect.DeepEqual(plan.actions, tc.actions) || plan.result.Changed() != tc.changed {
			t.Errorf("%v: actions %v changed %v, want %v %v", tc.args, plan.actions, plan.result.Changed(), tc.actions, tc.changed)
		}
		for k, v := range tc.result {
			if plan.result[k] != v {
				t.Errorf("%v: %s = %v, want %v", tc.args, k, plan.result[k], v)
			}
		}
	}
	st := parseSystemdProbe(systemdGoldenProbe).status
	if st["ExecStart"] != "{ path=/usr/sbin/nginx ; argv[]=/usr/sbin/nginx\n -g daemon on; }" || st["UnitFileState"] != "disabled" {
		t.Errorf("status: %q", st)
	}
}

func TestSysvDecisions(t *testing.T) {
	m, _ := Lookup("service")
	args, _ := m.Normalize(map[string]any{"name": "foo", "state": "started"})
	if _, _, _, failed := decideSysv(args, parseSysvProbe("@@service\n@@update-rc.d\n@@status 1\n")); failed != "Could not find the requested service foo: host" {
		t.Errorf("no init script: %q", failed)
	}
	for _, tc := range []struct {
		probe   string
		args    map[string]any
		enable  []string
		action  string
		changed bool
	}{
		{"@@service\n@@initd\n@@update-rc.d\n@@status 3\nfoo is not running\n", map[string]any{"name": "foo", "state": "started", "enabled": true},
			[]string{"update-rc.d foo defaults", "update-rc.d foo enable"}, "start", true},
		{"@@service\n@@initd\n@@update-rc.d\n@@slinks\n@@klinks\n@@status 0\nfoo is running\n", map[string]any{"name": "foo", "state": "started", "enabled": true},
			nil, "", false},
		{"@@service\n@@initd\n@@update-rc.d\n@@klinks\n@@status 0\nok\n", map[string]any{"name": "foo", "enabled": true},
			[]string{"update-rc.d foo enable"}, "", true},
		{"@@service\n@@initd\n@@chkconfig\n@@chkconfig-on\n@@status 0\n", map[string]any{"name": "foo", "enabled": false, "state": "stopped"},
			[]string{"chkconfig foo off"}, "stop", true},
		{"@@service\n@@initd\n@@update-rc.d\n@@status 0\n * foo is stopped\n", map[string]any{"name": "foo", "state": "reloaded"}, nil, "start", true},
	} {
		args, err := m.Normalize(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		res, enable, action, failed := decideSysv(args, parseSysvProbe(tc.probe))
		if failed != "" || !reflect.DeepEqual(enable, tc.enable) || action != tc.action || res.Changed() != tc.changed {
			t.Errorf("%v: %v %q %v %q, want %v %q %v", tc.args, enable, action, res.Changed(), failed, tc.enable, tc.action, tc.changed)
		}
	}
}

// A fake SysV service: an init script whose state is a file.
const fakeInitScript = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          rctest-svc
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: remotectl test service
### END INIT INFO
f=/run/rctest-svc.running
case "$1" in
  start) touch $f ;;
  stop) rm -f $f ;;
  restart|reload|force-reload) touch $f ;;
  status) if [ -e $f ]; then echo "rctest-svc is running"; exit 0; else echo "rctest-svc is not running"; exit 3; fi ;;
  *) exit 2 ;;
esac
`

func TestServiceSysvAsAnsible(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("installs an init script: root only")
	}
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		t.Skip("the host runs systemd: the SysV path is not what service takes here")
	}
	if _, err := exec.LookPath("update-rc.d"); err != nil {
		t.Skip("no update-rc.d")
	}
	clean := func() {
		exec.Command("update-rc.d", "-f", "rctest-svc", "remove").Run() //nolint:errcheck // best effort
		os.Remove("/etc/init.d/rctest-svc")
		os.Remove("/run/rctest-svc.running")
	}
	clean()
	t.Cleanup(clean)
	if err := os.WriteFile("/etc/init.d/rctest-svc", []byte(fakeInitScript), 0o755); err != nil {
		t.Fatal(err)
	}
	state := func() (running, enabled bool) {
		_, err := os.Stat("/run/rctest-svc.running")
		links, _ := exec.Command("sh", "-c", "ls /etc/rc2.d/S??rctest-svc 2>/dev/null").Output()
		return err == nil, len(links) > 0
	}
	steps := []struct {
		args             map[string]any
		check            bool
		changed          bool
		running, enabled bool
	}{
		{map[string]any{"name": "rctest-svc", "state": "started", "enabled": true}, true, true, false, false},
		{map[string]any{"name": "rctest-svc", "state": "started", "enabled": true}, false, true, true, true},
		{map[string]any{"name": "rctest-svc", "state": "started", "enabled": true}, false, false, true, true},
		{map[string]any{"name": "rctest-svc", "state": "stopped", "enabled": false}, false, true, false, false},
	}
	for _, tool := range []string{"remotectl", "ansible"} {
		for i, s := range steps {
			var res map[string]any
			if tool == "remotectl" {
				res = runLocal(t, "service", s.args, s.check, false)
			} else {
				res = ansibleOracle(t, "service", s.args, s.check, false)
			}
			if f, _ := res["failed"].(bool); f {
				t.Fatalf("%s step %d: %v", tool, i, res)
			}
			running, enabled := state()
			if c, _ := res["changed"].(bool); c != s.changed || running != s.running || enabled != s.enabled {
				t.Errorf("%s step %d %v: changed=%v running=%v enabled=%v, want %v %v %v (%v)", tool, i, s.args, c, running, enabled,
					s.changed, s.running, s.enabled, res)
			}
			if s.check {
				if res["msg"] != "service state changed" {
					t.Errorf("%s step %d: check mode result %v", tool, i, res)
				}
				continue
			}
			if res["state"] != s.args["state"] || res["enabled"] != s.args["enabled"] || res["name"] != "rctest-svc" {
				t.Errorf("%s step %d: result %v", tool, i, res)
			}
		}
	}
}

// fakeSystemctl is a systemctl whose units are files of $FAKE_SYSTEMD:
// <unit>.unit (it exists), .active, .enabled, .masked.
const fakeSystemctl = `#!/bin/sh
d=$FAKE_SYSTEMD
while [ $# -gt 0 ]; do case $1 in --*) shift;; *) break;; esac; done
cmd=$1; shift
u=$1; case $u in ""|*.*) ;; *) u=$u.service;; esac
case $cmd in
show) echo "Id=$u"
  if [ ! -e "$d/$u.unit" ]; then echo LoadState=not-found; echo ActiveState=inactive; exit 0; fi
  echo LoadState=loaded
  if [ -e "$d/$u.active" ]; then echo ActiveState=active; else echo ActiveState=inactive; fi ;;
is-enabled) if [ -e "$d/$u.masked" ]; then echo masked; exit 1; elif [ -e "$d/$u.enabled" ]; then echo enabled; exit 0; else echo disabled; exit 1; fi ;;
enable) touch "$d/$u.enabled" ;; disable) rm -f "$d/$u.enabled" ;;
start|restart|reload) touch "$d/$u.active" ;; stop) rm -f "$d/$u.active" ;;
mask) touch "$d/$u.masked" ;; unmask) rm -f "$d/$u.masked" ;;
daemon-reload) touch "$d/reloaded" ;;
*) exit 1 ;;
esac
`

// TestSystemdScripts runs the systemd module's scripts against a fake
// systemctl: what it runs, in which order, with which quoting.
func TestSystemdScripts(t *testing.T) {
	bin, state := t.TempDir(), t.TempDir()
	mustWrite(t, bin+"/systemctl", fakeSystemctl)
	if err := os.Chmod(bin+"/systemctl", 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	t.Setenv("FAKE_SYSTEMD", state)
	mustWrite(t, state+"/rctest.service.unit", "")
	exists := func(f string) bool { _, err := os.Stat(state + "/" + f); return err == nil }
	args := map[string]any{"name": "rctest", "state": "started", "enabled": true}
	if res := runLocal(t, "systemd", args, true, false); !res.Changed() || exists("rctest.service.active") {
		t.Errorf("check: %v", res)
	}
	res := runLocal(t, "ansible.builtin.systemd_service", args, false, false)
	st, _ := res["status"].(map[string]any)
	if !res.Changed() || res["state"] != "started" || res["enabled"] != true || res["name"] != "rctest" || st["ActiveState"] != "inactive" {
		t.Errorf("first: %v", res)
	}
	if !exists("rctest.service.active") || !exists("rctest.service.enabled") {
		t.Error("not started and enabled")
	}
	if res := runLocal(t, "systemd", args, false, false); res.Changed() {
		t.Errorf("second: %v", res)
	}
	if res := runLocal(t, "systemd", map[string]any{"name": "rctest", "masked": true, "daemon_reload": true}, false, false); !res.Changed() || !exists("rctest.service.masked") || !exists("reloaded") {
		t.Errorf("mask: %v", res)
	}
	if res := runLocal(t, "systemd", map[string]any{"name": "nope", "state": "started"}, false, false); !res.IsFailed() || res["msg"] != "Could not find the requested service nope: host" {
		t.Errorf("missing unit: %v", res)
	}
	if res := runLocal(t, "systemd", map[string]any{"daemon_reload": true}, false, false); res.Changed() || res.IsFailed() {
		t.Errorf("daemon_reload alone: %v", res)
	}
}

func TestServiceUse(t *testing.T) {
	res := runLocal(t, "service", map[string]any{"name": "rctest-none", "state": "started", "use": "upstart"}, true, false)
	if !res.IsFailed() || !strings.Contains(res["msg"].(string), `not "upstart"`) {
		t.Errorf("use: upstart: %v", res)
	}
	res = runLocal(t, "service", map[string]any{"name": "rctest-none", "state": "started", "use": "sysvinit"}, true, false)
	if !res.IsFailed() || res["msg"] != "Could not find the requested service rctest-none: host" {
		t.Errorf("unknown SysV service: %v", res)
	}
}

// TestServiceSystemdArgsAsAnsible: service takes the systemd module's
// arguments (geerlingguy.docker runs "service: daemon_reload: true"), as
// Ansible's service action passes them to the host's service manager's
// module; the SysV service module refuses them when the task runs, with
// ansible.legacy.service's checks in their order.
func TestServiceSystemdArgsAsAnsible(t *testing.T) {
	m, _ := Lookup("service")
	if _, err := m.Normalize(map[string]any{"daemon_reload": true}); err != nil {
		t.Fatalf("service daemon_reload refused at load: %v", err)
	}
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		t.Skip("the host runs systemd: these arguments are the systemd module's there")
	}
	for _, args := range []map[string]any{
		{"daemon_reload": true},
		{"daemon_reload": true, "name": "rctest-none", "masked": true, "scope": "user"},
		{"daemon_reload": true, "name": "rctest-none", "state": "started"},
		{"name": "rctest-none", "state": "started", "no_block": true, "force": false},
	} {
		want := ansibleOracle(t, "service", args, true, false)
		got := runLocal(t, "service", args, true, false)
		// every case fails on a host without systemd (ansible's tree result has no "failed")
		if !got.IsFailed() || got.Changed() != (want["changed"] == true) || got["msg"] != want["msg"] {
			t.Errorf("%v:\n remotectl %v\n ansible   %v", args, got, want)
		}
	}
	// use: systemd takes the systemd module's path: with a fake systemctl.
	bin, state := t.TempDir(), t.TempDir()
	mustWrite(t, bin+"/systemctl", fakeSystemctl)
	if err := os.Chmod(bin+"/systemctl", 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	t.Setenv("FAKE_SYSTEMD", state)
	mustWrite(t, state+"/rctest.service.unit", "")
	if res := runLocal(t, "service", map[string]any{"daemon_reload": true, "use": "systemd"}, false, false); res.IsFailed() || res.Changed() {
		t.Errorf("daemon_reload alone: %v", res)
	}
	if _, err := os.Stat(state + "/reloaded"); err != nil {
		t.Error("no daemon-reload")
	}
	if res := runLocal(t, "service", map[string]any{"name": "rctest", "masked": true, "use": "systemd"}, false, false); !res.Changed() {
		t.Errorf("masked: %v", res)
	}
	if _, err := os.Stat(state + "/rctest.service.masked"); err != nil {
		t.Error("not masked")
	}
}
