package module

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSysctlDecisions(t *testing.T) {
	file := "# comment\nnet.ipv4.ip_forward = 0\nvm.swappiness=10\nvm.swappiness=20\n; other\n"
	for _, tc := range []struct {
		name, value, state string
		reload, set        bool
		proc               string
		procOK             bool
		changed, setProc   bool
		lines              string
	}{
		{"net.ipv4.ip_forward", "1", "present", false, false, "0", true, true, false,
			"# comment\nnet.ipv4.ip_forward=1\nvm.swappiness=10\n; other\n"},
		{"net.ipv4.ip_forward", "0", "present", false, false, "1", true, false, false, ""},
		{"net.ipv4.ip_forward", "0", "present", true, false, "1", true, true, false, ""},
		{"net.ipv4.ip_forward", "0", "present", false, true, "1", true, true, true, ""},
		{"vm.swappiness", "10", "absent", false, false, "", false, true, false, "# comment\nnet.ipv4.ip_forward=0\n; other\n"},
		{"kernel.x", "5 6", "present", true, false, "5\t6", true, true, false,
			"# comment\nnet.ipv4.ip_forward=0\nvm.swappiness=10\n; other\nkernel.x=5 6\n"},
		{"kernel.y", "", "absent", false, false, "", false, false, false, ""},
	} {
		plan := decideSysctl(tc.name, tc.value, tc.state, tc.reload, tc.set, file, tc.proc, tc.procOK)
		if plan.changed != tc.changed || plan.setProc != tc.setProc || tc.lines != "" && strings.Join(plan.lines, "") != tc.lines {
			t.Errorf("%+v: %+v\n%s", tc, plan, strings.Join(plan.lines, ""))
		}
	}
	if sysctlValue(true) != "1" || sysctlValue("no") != "0" || sysctlValue(" 5 ") != "5" {
		t.Error("sysctlValue")
	}
	if !sysctlStderrFailed("sysctl: setting key \"a.b\": Invalid argument\n") || sysctlStderrFailed("sysctl: permission denied on key \"a\"\n") {
		t.Error("sysctlStderrFailed")
	}
}

// TestSysctlFile works on a sysctl file in a temporary directory, the kernel
// untouched (sysctl_set false, reload false); the kernel's value is read
// (kernel.pid_max, set to what it is: no change).
func TestSysctlFile(t *testing.T) {
	if _, err := exec.LookPath("sysctl"); err != nil {
		t.Skip("no sysctl")
	}
	file := filepath.Join(t.TempDir(), "99-rctest.conf")
	mustWrite(t, file, "# rctest\nvm.swappiness = 10\n")
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"name": "vm.swappiness", "value": 20, "sysctl_file": file, "reload": false}
	if res := runLocal(t, "ansible.posix.sysctl", args, true, false); !res.Changed() {
		t.Errorf("check: %v", res)
	}
	if got, _ := os.ReadFile(file); string(got) != "# rctest\nvm.swappiness = 10\n" {
		t.Errorf("check mode wrote %q", got)
	}
	if res := runLocal(t, "sysctl", args, false, false); !res.Changed() || res.IsFailed() {
		t.Errorf("first: %v", res)
	}
	if res := runLocal(t, "sysctl", args, false, false); res.Changed() {
		t.Errorf("second: %v", res)
	}
	got, _ := os.ReadFile(file)
	st, _ := os.Stat(file)
	if string(got) != "# rctest\nvm.swappiness=20\n" || st.Mode().Perm() != 0o600 {
		t.Errorf("file %q mode %v", got, st.Mode())
	}
	pid, err := exec.Command("sysctl", "-n", "kernel.pid_max").Output()
	if err == nil {
		set := map[string]any{"name": "kernel.pid_max", "value": strings.TrimSpace(string(pid)), "sysctl_file": file, "reload": false, "sysctl_set": true}
		if res := runLocal(t, "sysctl", set, true, false); !res.Changed() {
			t.Errorf("new key: %v", res)
		}
		runLocal(t, "sysctl", set, false, false)
		if res := runLocal(t, "sysctl", set, true, false); res.Changed() {
			t.Errorf("kernel value equal, file written: %v", res)
		}
	}
	if res := runLocal(t, "sysctl", map[string]any{"name": "vm.swappiness", "state": "absent", "sysctl_file": file, "reload": false}, false, false); !res.Changed() {
		t.Errorf("absent: %v", res)
	}
	if got, _ := os.ReadFile(file); strings.Contains(string(got), "swappiness") {
		t.Errorf("absent left %q", got)
	}
	if res := runLocal(t, "sysctl", map[string]any{"name": "vm.swappiness"}, true, false); !res.IsFailed() {
		t.Errorf("present without value: %v", res)
	}
}
