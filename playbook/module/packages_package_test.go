package module

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
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

// policy_rc_d: apt writes a policy-rc.d that exits the code while it runs,
// and puts back the one that was there.
func TestAptPolicyRcD(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("writes /usr/sbin/policy-rc.d: needs root")
	}
	before := "#!/bin/sh\nexit 0\n"
	if data, err := os.ReadFile(policyRcD); err == nil {
		before = string(data) // the machine's own (Debian's Docker images have one)
	} else {
		if err := os.WriteFile(policyRcD, []byte(before), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(policyRcD) })
	}
	m, _ := Lookup("apt")
	args, err := m.Normalize(map[string]any{"name": "dpkg", "policy_rc_d": 101})
	if err != nil {
		t.Fatal(err)
	}
	host := localHost(t)
	restore, failed, err := installPolicyRcD(context.Background(), &Call{Module: m, Args: args, Host: host}, 101)
	if err != nil || failed != nil {
		t.Fatal(err, failed)
	}
	if data, _ := os.ReadFile(policyRcD); string(data) != "#!/bin/sh\nexit 101\n" {
		t.Errorf("during the run: %q", data)
	}
	restore()
	if data, _ := os.ReadFile(policyRcD); string(data) != before {
		t.Errorf("after the run: %q, want the old one back", data)
	}
	res := runLocal(t, "apt", map[string]any{"name": "dpkg", "policy_rc_d": 101}, false, false)
	if res.IsFailed() || res.Changed() {
		t.Errorf("apt dpkg present: %v", res)
	}
	if data, _ := os.ReadFile(policyRcD); string(data) != before {
		t.Errorf("after apt: %q, want the old one back", data)
	}
}

// localHost is the controller as a module Host.
func localHost(t *testing.T) Host {
	t.Helper()
	target := &remote.Target{Name: "localhost", Transport: remote.KindLocal}
	tr, err := local.Dialer{}.Dial(context.Background(), *target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return NewHost(tr, target, Become{}, nil)
}
