package playbook

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/remotectl/remotectl/remote/remotetest"
)

// A role's lookups, with_first_found loops and copy/template sources are
// found as Ansible finds them (the role's files/, templates/ or vars/,
// the role, the task file's directory, the playbook's), and the template
// module and lookup give Ansible's template variables.
func TestOracleLookupsInRoles(t *testing.T) {
	t.Parallel()
	out := func(name string) string { return "\"{{ playbook_dir }}/out/" + name + "\"" }
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"roles/r/files/f.txt":       "file text \n\n",
			"roles/r/files/g.txt":       "g\n",
			"roles/r/templates/t.j2":    "{{ ansible_managed }} {{ template_path }} {{ x }}\n{% if x and\n   x == 'X' %}\nyes\n{% endif %}\n",
			"roles/r/templates/u.j2":    "{{ ansible_managed }} {{ x }}\n",
			"roles/r/vars/one.yml":      "from_vars_dir: one\n",
			"roles/r/tasks/other/o.yml": "- copy: {content: \"{{ lookup('file', 'f.txt') }}\", dest: " + out("from-sub") + "}\n",
			"roles/r/tasks/main.yml": "- include_vars: \"{{ item }}\"\n  with_first_found: [{files: [missing.yml, one.yml], skip: true}]\n" +
				"- include_vars: \"{{ item }}\"\n  with_first_found: [{files: [nope.yml], skip: true}]\n" +
				"- copy: {content: \"{{ from_vars_dir }}\", dest: " + out("vars") + "}\n" +
				"- copy: {content: \"[{{ lookup('file', 'f.txt') }}]\", dest: " + out("file") + "}\n" +
				"- copy: {content: \"[{{ lookup('file', 'f.txt', rstrip=False) }}]\", dest: " + out("file-raw") + "}\n" +
				"- copy: {content: \"{{ lookup('file', 'missing', errors='ignore') is none }}\", dest: " + out("file-ignored") + "}\n" +
				"- copy: {content: \"{{ lookup('first_found', {'files': ['nope.yml', 'one.yml'], 'paths': ['vars']}) | basename }}\", dest: " + out("ff") + "}\n" +
				"- copy: {content: \"{{ lookup('template', 't.j2') }}\", dest: " + out("tpl-lookup") + "}\n" +
				"- template: {src: t.j2, dest: " + out("tpl") + "}\n" +
				"- template: {src: \"{{ item }}\", dest: " + out("tpl-ff") + "}\n  with_first_found: [nope.j2, u.j2]\n" +
				"- copy: {src: f.txt, dest: " + out("copied") + "}\n" +
				"- copy: {content: \"{{ lookup('pipe', 'echo hi; echo') }}|{{ lookup('lines', 'printf \\\"a\\\\nb\\\\n\\\"') }}\", dest: " + out("pipe") + "}\n" +
				"- copy: {content: \"{{ query('fileglob', '*.txt') | map('basename') | sort | list }}\", dest: " + out("glob") + "}\n" +
				"- copy: {content: \"{{ lookup('vars', 'x') }} {{ lookup('vars', 'nope', default='d') }}\", dest: " + out("vars-lookup") + "}\n" +
				"- import_tasks: other/o.yml\n",
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  vars: {x: X}\n  roles: [r]\n",
		},
	})
}

// The search of a task's files follows Ansible's
// path_dwim_relative_stack: kind directory, then the directory itself,
// for each search path, the playbook's last; a source already starting
// with the kind is not looked for under it again.
func TestFileSearchCandidates(t *testing.T) {
	dir := t.TempDir()
	role := filepath.Join(dir, "roles", "r")
	if err := os.MkdirAll(filepath.Join(role, "tasks"), 0o755); err != nil {
		t.Fatal(err)
	}
	task := &Task{Role: &Role{Name: "r", Dir: role}, Dir: filepath.Join(role, "tasks")}
	s := task.fileSearch(dir, "files")
	want := []string{
		role + "/files/a.txt", role + "/a.txt", role + "/tasks/files/a.txt", role + "/tasks/a.txt",
		dir + "/files/a.txt", dir + "/a.txt", dir + "/files/a.txt", dir + "/a.txt",
	}
	if got := s.candidates("a.txt"); !slices.Equal(got, want) {
		t.Errorf("candidates =\n%q\nwant\n%q", got, want)
	}
	if got := s.candidates("files/a.txt"); got[0] != role+"/files/a.txt" || slices.Contains(got, role+"/files/files/a.txt") {
		t.Errorf("a source under files/ is not searched in files/files: %q", got)
	}
	if got := s.candidates("/abs/x"); !slices.Equal(got, []string{"/abs/x"}) {
		t.Errorf("absolute: %q", got)
	}
}

// A loop over an undefined variable with a when that is false is skipped,
// as Ansible's TaskExecutor evaluates the when before raising the loop's
// error (when: x is defined / with_items: "{{ x }}" in real roles); with
// a true when the loop's error fails the task.
func TestOracleLoopOverUndefinedWithWhen(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
				"    - debug: {msg: \"{{ item }}\"}\n      with_items: \"{{ nope }}\"\n      when: nope is defined\n      register: r1\n" +
				"    - debug: {msg: \"{{ item }}\"}\n      loop: \"{{ nope }}\"\n      when: nope is defined\n" +
				dump("r1", "r1.skipped") +
				"    - debug: {msg: \"{{ item }}\"}\n      with_items: \"{{ nope }}\"\n      when: true\n      ignore_errors: true\n",
		},
	})
}

// become and become_user written as templates (a role's "{{ x_become }}",
// "{{ postgresql_user }}") are decided per host with the task's variables.
func TestTemplatedBecome(t *testing.T) {
	inv := testInventory(t, 2)
	pb := parseTest(t, inv, `- hosts: fleet
  gather_facts: false
  vars: {svc_user: postgres}
  tasks:
    - command: id
      become: "{{ idx == 1 }}"
      become_user: "{{ svc_user }}"
    - block:
        - command: whoami
      become: "{{ idx == 2 }}"
`)
	fake := &remotetest.Fake{}
	runTest(t, pb, inv, fake, Options{})
	for host, want := range map[string][]string{"h01": {"true postgres", "false "}, "h02": {"false postgres", "true "}} {
		var got []string
		for _, c := range fake.Commands(host) {
			got = append(got, fmt.Sprintf("%v %s", c.Become, c.BecomeUser))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: become per command = %q, want %q", host, got, want)
		}
	}
}

// retries and delay written as templates are rendered per host.
func TestTemplatedRetries(t *testing.T) {
	inv := testInventory(t, 2)
	pb := parseTest(t, inv, `- hosts: fleet
  gather_facts: false
  tasks:
    - command: "false"
      register: r
      until: r.rc == 0
      retries: "{{ idx }}"
      delay: "{{ 0 }}"
      ignore_errors: true
`)
	fake := &remotetest.Fake{Default: remotetest.Script{ExitCode: 1}}
	runTest(t, pb, inv, fake, Options{})
	for host, want := range map[string]int{"h01": 2, "h02": 3} {
		if got := len(fake.Commands(host)); got != want {
			t.Errorf("%s ran the command %d times, want %d (retries {{ idx }} + 1)", host, got, want)
		}
	}
}

// Template files include and import others from the role's templates/
// (and the rest of Ansible's template search path), the included text
// rendered as the including template's.
func TestOracleTemplateIncludes(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"roles/r/templates/main.j2":       "main {{ x }}\n{% include 'part.j2' %}\nend\n{% import 'macros.j2' as m %}{{ m.hi('y') }}\n{% from 'macros.j2' import hi %}{{ hi(only_in_part) }}\n",
			"roles/r/templates/part.j2":       "part {{ only_in_part }} {{ flag }} {{ nothing }} {{ 7 // 2 }} {{ items_list }}\n{% include 'sub/deeper.j2' %}\n",
			"roles/r/templates/sub/deeper.j2": "deeper {{ x }}\n",
			"roles/r/templates/macros.j2":     "{% macro hi(n) %}hi {{ n }}{% endmacro %}\n",
			"roles/r/tasks/main.yml": "- template: {src: main.j2, dest: \"{{ playbook_dir }}/out/tpl\"}\n" +
				"- copy: {content: \"{{ lookup('template', 'main.j2') }}\", dest: \"{{ playbook_dir }}/out/lookup\"}\n",
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  vars: {x: X, only_in_part: P, flag: true, nothing: null, items_list: [1, a]}\n  roles: [r]\n",
		},
	})
}

// with_first_found drops a term that uses an undefined variable (a name,
// or a whole mapping of files) and tries the next, as Ansible's.
func TestOracleFirstFoundUndefined(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"roles/r/vars/default.yml": "picked: default\n",
			"roles/r/tasks/main.yml": "- include_vars: \"{{ item }}\"\n  with_first_found:\n    - \"{{ nope }}.yml\"\n    - files: [\"{{ nope2 }}.yml\", default.yml]\n    - default.yml\n" +
				"- include_vars: \"{{ item }}\"\n  with_first_found:\n    - files: [\"{{ nope2 }}.yml\", default.yml]\n  ignore_errors: true\n" +
				"- copy: {content: \"{{ picked }}\", dest: \"{{ playbook_dir }}/out/picked\"}\n",
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  roles: [r]\n",
		},
	})
}

// The password lookup reads a stored password, or draws one as Python's
// Random(seed) draws it and stores it, as Ansible's.
func TestOraclePasswordLookup(t *testing.T) {
	t.Parallel()
	dump := func(name, expr string) string {
		return "    - copy: {content: \"{{ " + expr + " }}\", dest: \"{{ playbook_dir }}/out/" + name + "\"}\n"
	}
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"out/stored": "s3cr3t-stored salt=abcdefgh\n",
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
				dump("devnull", "lookup('password', '/dev/null length=12 seed=abc')") +
				dump("digits", "lookup('password', 'out/creds/pw chars=digits,,,- length=9 seed=' ~ inventory_hostname)") +
				dump("again", "lookup('password', 'out/creds/pw chars=digits length=3')") +
				dump("read", "lookup('password', 'out/stored')") +
				dump("default", "lookup('password', '/dev/null seed=7') | length"),
		},
	})
}
