package playbook

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// asyncVars keep the jobs' files beside the playbook, for both runs.
const asyncVars = "  vars:\n    ansible_async_dir: \"{{ playbook_dir }}/async\"\n"

func TestOracleAsync(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"out/exists": "x",
			"site.yml": "- hosts: web\n  gather_facts: false\n" + asyncVars + "  tasks:\n" +
				"    - command: echo polled\n      async: 10\n      poll: 1\n      register: r1\n" +
				dump("polled", "[r1.stdout, r1.rc, r1.started, r1.finished, r1.changed, r1.cmd, r1.ansible_job_id is string] | to_json") +
				"    - name: another module, polled\n      lineinfile: {path: \"{{ playbook_dir }}/out/lines\", line: added, create: true}\n      async: 10\n      poll: 1\n      register: r1b\n" +
				dump("lines_result", "[r1b.changed, r1b.msg, r1b.finished] | to_json") +
				"    - shell: sleep 1; echo fired >&2; echo out\n      async: 20\n      poll: 0\n      register: r2\n" +
				dump("fired", "[r2.started, r2.finished, r2.changed, r2.results_file == playbook_dir ~ '/async/' ~ r2.ansible_job_id] | to_json") +
				"    - command: touch {{ playbook_dir }}/out/never\n      args: {creates: \"{{ playbook_dir }}/out/exists\"}\n      async: 20\n      poll: 0\n      register: r3\n" +
				"    - async_status: jid={{ r2.ansible_job_id }}\n      register: s2\n      until: s2.finished\n      retries: 20\n      delay: 1\n" +
				dump("status", "[s2.stdout, s2.stderr, s2.rc, s2.finished, s2.started, s2.changed, s2.cmd] | to_json") +
				"    - async_status: {jid: \"{{ r3.ansible_job_id }}\"}\n      register: s3\n      until: s3.finished\n      retries: 20\n      delay: 1\n" +
				dump("creates", "[s3.stdout is search('^skipped, since .*/out/exists exists$'), s3.msg is search('^Did not run command since'), s3.rc, s3.changed] | to_json") +
				"    - async_status: {jid: \"{{ r2.ansible_job_id }}\", mode: cleanup}\n      register: c2\n" +
				dump("cleanup", "[c2.erased == r2.results_file, c2.changed] | to_json") +
				"    - async_status: {jid: \"{{ r2.ansible_job_id }}\"}\n      register: gone\n      ignore_errors: true\n" +
				dump("gone", "[gone.failed, gone.msg, gone.finished] | to_json"),
		},
	})
}

func TestOracleAsyncRefusedAndLate(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: web\n  gather_facts: false\n" + asyncVars + "  tasks:\n" +
				"    - shell: sleep 30\n      async: 2\n      poll: 1\n      register: slow\n      ignore_errors: true\n" +
				dump("slow", "[slow.msg, slow.async_result.finished, slow.async_result.started] | to_json") +
				"    - command: echo x\n      async: 5\n      poll: 1\n      check_mode: true\n      ignore_errors: true\n      register: chk\n" +
				dump("check", "chk.msg") +
				"    - {name: raw refuses async, raw: echo x, async: 5, poll: 1, ignore_errors: true}\n",
		},
	})
}

func TestAsyncWatchdogKillsTheJob(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("needs setsid (util-linux)")
	}
	marker := "rctl-watchdog-" + randomSuffix()
	_, _, rep := runOurs(t, oracleCase{files: map[string]string{
		"site.yml": "- hosts: web\n  gather_facts: false\n" + asyncVars + "  tasks:\n" +
			"    - shell: exec sleep 30 # " + marker + "\n      async: 1\n      poll: 0\n      register: job\n" +
			"    - async_status: {jid: \"{{ job.ansible_job_id }}\"}\n      register: st\n      until: st.finished\n      retries: 30\n      delay: 1\n      ignore_errors: true\n" +
			"    - assert: {that: [st.failed, \"st.msg == 'Timeout exceeded'\", st.child_pid is number]}\n",
	}})
	for _, r := range rep.Results {
		if r.Status == StatusFailed && !r.Ignored {
			t.Errorf("%s: %s", r.Task, r.Msg)
		}
	}
	if out, err := exec.Command("pgrep", "-f", marker).Output(); err == nil {
		t.Errorf("the job outlived its async time: %s", out)
	}
}

func TestAsyncPollZeroRefusedForMultiCommandModules(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"site.yml": "- hosts: all\n  tasks:\n    - apt: name=x\n      async: 60\n      poll: 0\n"})
	_, err := Load(filepath.Join(dir, "site.yml"), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "site.yml:3:7") || !strings.Contains(err.Error(), "command and shell only") {
		t.Fatalf("err = %v", err)
	}
}

func TestOracleAddHost(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: web\n  gather_facts: false\n  tasks:\n" +
				"    - add_host:\n        name: newhost\n        groups: [made, made2]\n        ansible_connection: local\n        ansible_python_interpreter: /usr/bin/python3\n        color: blue\n      register: ah\n" +
				"    - add_host: name={{ item }} group=loopy ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n      loop: [l1, l2]\n" +
				"    - add_host: {name: newhost, groups: made}\n      register: again\n" +
				"    - add_host: {hostname: localhost, groups: extra, level3: updated}\n" +
				dump("ah", "[ah.changed, ah.add_host.host_name, ah.add_host.groups, ah.add_host.host_vars | dictsort, again.changed] | to_json") +
				dump("groups", "[groups.made, groups.made2, groups.loopy, groups.all, groups.extra, hostvars.newhost.color, hostvars.l1.group] | to_json") +
				"- hosts: made\n  gather_facts: false\n  tasks:\n" +
				dump("made-{{ inventory_hostname }}", "[inventory_hostname, color, group_names, from_all] | to_json") +
				"- hosts: all\n  gather_facts: false\n  tasks:\n" +
				dump("all-{{ inventory_hostname }}", "[inventory_hostname, group_names, level3 | default('none'), ansible_play_hosts] | to_json"),
		},
	})
}

func TestOracleMetaIsNotCounted(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: web\n  gather_facts: false\n  tasks:\n" +
				"    - meta: noop\n    - meta: clear_facts\n    - meta: reset_connection\n    - meta: clear_host_errors\n" +
				"    - meta: end_play\n      when: false\n" +
				dump("ran", "'yes'") +
				"    - meta: end_host\n" +
				dump("never", "'no'"),
		},
	})
}
