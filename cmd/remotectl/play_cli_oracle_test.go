package main

import (
	"github.com/remotectl/remotectl/report"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// play's exit codes are ansible-playbook's on the same playbooks and
// inventory (the oracle runs them): 0, 2 for a failed task, 4 for an
// unreachable host even when another failed. An invalid playbook is the
// one documented difference: remotectl's 65 where ansible-playbook says 4,
// its code for unreachable hosts too.
func TestPlayExitCodesAgainstAnsiblePlaybook(t *testing.T) {
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		t.Skip("ansible-playbook (the oracle) is not installed")
	}
	dir := t.TempDir()
	write := func(name, data string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	inv := write("hosts.ini", "[ok]\nlocal1 ansible_connection=local\n[dead]\ndead1 ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh\n")
	task := "  gather_facts: false\n  tasks:\n    - name: t\n      command: /bin/false\n      when: inventory_hostname == 'local1' and fail_it | default(false) | bool\n" +
		"    - name: u\n      command: /bin/true\n"
	for _, tc := range []struct {
		name, play string
		extra      []string
		remotectl  int
	}{
		{"ok", "- hosts: ok\n" + task, nil, 0},
		{"failed", "- hosts: ok\n" + task, []string{"-e", "fail_it=true"}, 2},
		{"unreachable", "- hosts: dead\n" + task, nil, 4},
		{"failed and unreachable", "- hosts: all\n" + task, []string{"-e", "fail_it=true"}, 4},
		{"invalid", "- hosts: all\n  bogus: 1\n" + task[len("  gather_facts: false\n"):], nil, report.ExitInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pb := write("play.yml", tc.play)
			home := t.TempDir()
			cmd := exec.Command("ansible-playbook", append([]string{"-i", inv, pb}, tc.extra...)...)
			cmd.Env = append(os.Environ(), "HOME="+home, "ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "tmp"), "ANSIBLE_CONFIG="+filepath.Join(home, "none.cfg"),
				"ANSIBLE_HOST_KEY_CHECKING=False", "ANSIBLE_TIMEOUT=5")
			out, _ := cmd.CombinedOutput()
			ansibleCode := cmd.ProcessState.ExitCode()
			want := tc.remotectl
			if want != report.ExitInput && ansibleCode != want {
				t.Fatalf("ansible-playbook exited %d, not %d:\n%s", ansibleCode, want, out)
			}
			if want == report.ExitInput && ansibleCode != 4 {
				t.Fatalf("ansible-playbook exited %d for an invalid playbook, not 4:\n%s", ansibleCode, out)
			}
			args := append([]string{"play", "-i", inv, "--ssh-config", "none", "--known-hosts", filepath.Join(home, "known_hosts"), pb}, tc.extra...)
			stdout, stderr, code := runForTest(t, args...)
			if code != want {
				t.Errorf("remotectl play exited %d, want %d (ansible-playbook: %d)\nstdout:\n%s\nstderr:\n%s", code, want, ansibleCode, stdout, stderr)
			}
		})
	}
}
