package playbook

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote/remotetest"
)

// TestBecomeMethodPrecedence: each command carries the task's become method,
// flags and password as Ansible's PlayContext decides them: the host's
// ansible_become_method / ansible_become_flags / ansible_become_password
// over the keywords (task over block over play), a template rendered per
// host, sudo when nothing says.
func TestBecomeMethodPrecedence(t *testing.T) {
	inv := testInventory(t, 2)
	pb := parseTest(t, inv, `- hosts: fleet
  gather_facts: false
  become: true
  become_method: su
  vars:
    m: "{{ 'sudo' if idx == 1 else 'ansible.builtin.su' }}"
  tasks:
    - command: play
    - command: task
      become_method: sudo
    - command: templated
      become_method: "{{ m }}"
    - block:
        - command: block
          become_flags: -l
      become_flags: -m
      vars: {ansible_become_method: su, ansible_become_password: "pw-{{ idx }}"}
    - command: var
      vars: {ansible_become_method: sudo, ansible_su_pass: not-read-for-sudo}
`)
	fake := &remotetest.Fake{}
	runTest(t, pb, inv, fake, Options{})
	want := map[string][]string{
		"h01": {"play su  ", "task sudo  ", "templated sudo  ", "block su -l pw-1", "var sudo  "},
		"h02": {"play su  ", "task sudo  ", "templated su  ", "block su -l pw-2", "var sudo  "},
	}
	for host, w := range want {
		var got []string
		names := commandsOf(fake, host)
		for i, c := range fake.Commands(host) {
			got = append(got, fmt.Sprintf("%s %s %s %s", names[i][strings.LastIndex(names[i], `"`)+1:], c.BecomeMethod, c.BecomeFlags, c.BecomePassword))
		}
		if !slices.Equal(got, w) {
			t.Errorf("%s:\n got %q\nwant %q", host, got, w)
		}
	}
}
