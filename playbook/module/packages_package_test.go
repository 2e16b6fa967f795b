package module

import (
	"strings"
	"testing"
)

// package takes its backends' parameters and hands them to the backend the
// host uses, which decides (Ansible's package action).
func TestPackagePassesBackendParameters(t *testing.T) {
	m, _ := Lookup("ansible.builtin.package")
	if unknown := m.UnknownArgs([]string{"name", "state", "enablerepo", "update_cache", "install_recommends"}); len(unknown) > 0 {
		t.Fatalf("package refuses its backends' parameters: %v", unknown)
	}
	if unknown := m.UnknownArgs([]string{"bogus"}); len(unknown) != 1 {
		t.Fatalf("package accepts a parameter no backend has: %v", unknown)
	}
	res := runLocal(t, "package", map[string]any{"name": "rctest-absent", "state": "present", "use": "apt", "enablerepo": "epel"}, true, false)
	if msg, _ := res["msg"].(string); !res.IsFailed() || !strings.Contains(msg, "Unsupported parameters for (apt) module: enablerepo") {
		t.Fatalf("apt was handed enablerepo: %v", res)
	}
}
