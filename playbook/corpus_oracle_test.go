package playbook

import (
	"strings"
	"testing"
)

// The cases below come from differences found by running real Galaxy
// roles (bench/rolescheck) with ansible-playbook and remotectl.

// TestOracleVarsMagicVariable: vars is a copy of the task's variables
// whose values are not templated (vars['x'] is "{{ y }}" as written),
// without the loop's item; geerlingguy.php-versions tests vars[item.key].
func TestOracleVarsMagicVariable(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  vars:\n    y: 5\n    x: \"{{ y }}\"\n    __a: 1\n  tasks:\n" +
				dump("raw", "vars['x'] ~ '|' ~ (vars['x'] | int + 1) ~ '|' ~ vars.y") +
				dump("names", "['item' in vars, 'inventory_hostname' in vars, 'nosuch' in vars, vars['level3']]") +
				"    - copy: {content: \"{{ 'item' in vars }} {{ vars[item] is defined }}\", dest: \"{{ playbook_dir }}/out/loop_{{ item }}\"}\n      loop: [__a, nosuch]\n",
		},
	})
}

// TestOracleSetFactKeysAndBooleans: set_fact templates its keys
// (geerlingguy.php-versions: set_fact: "{{ item.key }}={{ ... }}") and
// reads the strings yes/no/true/false as booleans, whatever their source.
func TestOracleSetFactKeysAndBooleans(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  vars:\n    __src: 7\n  tasks:\n" +
				"    - set_fact: \"{{ item.key }}={{ lookup('vars', item.value) }}\"\n" +
				"      when: [\"vars[item.key] is undefined\", \"vars[item.value] is defined\"]\n" +
				"      with_dict: {made: __src, other: __missing}\n" +
				"    - set_fact: a=yes b=\"{{ 'No' }}\" c=True d=maybe\n" +
				"    - set_fact: {e: \"yes\", f: \"{{ 'FALSE' }}\"}\n" +
				dump("made", "[made, other | default('unset')]") +
				dump("bools", "[a is sameas true, b is sameas false, c is sameas true, d, e is sameas true, f is sameas false]") +
				"    - set_fact: \"{{ nosuch_key }}=1\"\n      ignore_errors: true\n",
		},
	})
}

// TestOracleRescueOnlyAfterAFailure: a block whose tasks succeed runs no
// rescue task (robertdebock.bootstrap: its rescue installed packages with
// raw on every host); a nested block's rescue runs only for its own
// failure, the outer one's only for a failure its inner ones did not
// rescue, a rescue inside an always only for a failure of its block.
func TestOracleRescueOnlyAfterAFailure(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
				"    - name: fine\n      block:\n        - " + outMark("b1") + "\n      rescue:\n        - " + outMark("r1") + "\n        - " + outMark("r1b") + "\n      always:\n        - " + outMark("a1") + "\n" +
				"    - block:\n        - block:\n            - command: /bin/false\n          rescue:\n            - " + outMark("r2inner") + "\n            - " + outMark("r2inner2") + "\n" +
				"      rescue:\n        - " + outMark("r2outer") + "\n" +
				"    - block:\n        - command: /bin/false\n      rescue:\n        - " + outMark("r3") + "\n      always:\n        - block:\n            - " + outMark("a3") + "\n          rescue:\n            - " + outMark("r3nested") + "\n" +
				"    - block:\n        - include_tasks: inc.yml\n      rescue:\n        - " + outMark("r4") + "\n" +
				"    - " + outMark("after") + "\n",
			"inc.yml": "- " + outMark("inc") + "\n",
		},
	})
}

// TestOracleUntilOnACheckModeSkip: until: is evaluated on the result of a
// module check mode skips (geerlingguy.node_exporter's uri with until:
// r.status == 200 fails in --check); an until that holds keeps the skip.
func TestOracleUntilOnACheckModeSkip(t *testing.T) {
	t.Parallel()
	uri := "    - uri: {url: \"http://127.0.0.1:9/\"}\n      check_mode: true\n      register: r\n      retries: 1\n      delay: 0\n"
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
				uri + "      until: r.status == 200\n      ignore_errors: true\n" +
				dump("first", "[r is failed, r is skipped]") +
				uri + "      until: r is skipped\n" +
				dump("second", "[r is failed, r is skipped]") +
				uri + "      until: r is not skipped\n      ignore_errors: true\n" +
				dump("third", "[r is failed, r is skipped]"),
		},
	})
}

// TestOracleRoleArgumentSpecs: a role with meta/argument_specs.yml starts
// with Ansible's validation task (robertdebock.* roles): the role's
// variables and parameters converted and checked (types, choices,
// required, suboptions), a mismatch failing the host before the role's
// tasks; tasks_from validates against its own entry point.
func TestOracleRoleArgumentSpecs(t *testing.T) {
	t.Parallel()
	spec := "argument_specs:\n  main:\n    short_description: Checks.\n    options:\n" +
		"      r_count: {type: int, default: 3}\n      r_flag: {type: bool}\n      r_mode: {type: str, choices: [a, b]}\n" +
		"      r_list: {type: list, elements: dict, options: {n: {type: int, required: true}}}\n" +
		"      r_needed: {type: str, required: true}\n" +
		"  other:\n    options:\n      r_other: {type: int, required: true}\n"
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"roles/checked/meta/argument_specs.yml": spec,
			"roles/checked/defaults/main.yml":       "r_count: \"{{ '4' }}\"\nr_flag: 'yes'\nr_mode: a\nr_list: [{n: '1'}]\n",
			"roles/checked/tasks/main.yml":          "- copy: {content: \"{{ r_count }} {{ r_needed }}\", dest: \"{{ playbook_dir }}/out/main_{{ r_needed }}\"}\n",
			"roles/checked/tasks/other.yml":         "- copy: {content: \"{{ r_other }}\", dest: \"{{ playbook_dir }}/out/other\"}\n",
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  roles:\n    - {role: checked, r_needed: one}\n  tasks:\n" +
				"    - include_role: {name: checked, tasks_from: other}\n      vars: {r_other: '5'}\n" +
				"- hosts: localhost\n  gather_facts: false\n  roles:\n    - {role: checked, r_needed: two, r_list: [{m: 1}]}\n" +
				"- hosts: localhost\n  gather_facts: false\n  tasks:\n" + dump("never", "'ran'"),
		},
	})
}

// TestOracleStrParamsTakeListsAndDicts: a list or dict given to a str
// parameter is its Python text (ansible-examples' complex_args.yml pings
// with data: {moo: cow}); copy's content writes a list or dict as JSON.
func TestOracleStrParamsTakeListsAndDicts(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
				"    - ping: {data: {moo: cow}}\n      register: p1\n" +
				"    - ping:\n        data: [1, 'a', true]\n      register: p2\n" +
				dump("pings", "[p1.ping, p2.ping]") +
				"    - copy: {content: \"{{ ['x', 2] }}\", dest: \"{{ playbook_dir }}/out/list\"}\n" +
				"    - copy:\n        content: {k: [1]}\n        dest: \"{{ playbook_dir }}/out/dict\"\n",
		},
	})
}

// TestOracleRescueOfAnIncludedFailure: a failure inside included tasks
// (include_tasks, include_role) is rescued by the block around the
// include; a rescue section that itself includes tasks runs them.
func TestOracleRescueOfAnIncludedFailure(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
				"    - block:\n        - include_tasks: bad.yml\n        - " + outMark("notreached") + "\n      rescue:\n        - " + outMark("r1") + "\n        - include_tasks: good.yml\n      always:\n        - " + outMark("a1") + "\n" +
				"    - block:\n        - include_role: {name: badrole}\n      rescue:\n        - " + outMark("r2") + "\n" +
				"    - block:\n        - include_tasks: good.yml\n      rescue:\n        - " + outMark("r3") + "\n" +
				"    - " + outMark("after") + "\n",
			"bad.yml":                      "- " + outMark("bad_before") + "\n- command: /bin/false\n- " + outMark("bad_after") + "\n",
			"good.yml":                     "- " + outMark("good") + "\n",
			"roles/badrole/tasks/main.yml": "- command: /bin/false\n",
		},
	})
}

// TestOracleLoopRunsEveryItemBeforeFailing: a failing item does not stop
// the loop: every item runs, then the task fails the host (ansible-
// examples' loop_with_items: yum of two packages); a block's rescue sees
// the loop's result in ansible_failed_result.
func TestOracleLoopRunsEveryItemBeforeFailing(t *testing.T) {
	t.Parallel()
	item := "    - shell: \"test {{ item }} != 1 && echo {{ item }} > {{ playbook_dir }}/out/{{ tag }}_{{ item }}\"\n      loop: [1, 2, 3]\n"
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
				"    - block:\n    " + strings.ReplaceAll(item, "\n      ", "\n          ") + "          vars: {tag: b}\n" +
				"      rescue:\n" + "        - copy: {content: \"{{ ansible_failed_result.results | length }} {{ ansible_failed_result.msg }}\", dest: \"{{ playbook_dir }}/out/rescued\"}\n" +
				strings.ReplaceAll(item, "{{ tag }}", "plain") +
				dump("never", "'reached'"),
		},
	})
}

// TestOracleLocalFactsKeepTheirName: ansible_facts holds the local facts
// as ansible_local (Ansible's namespace_facts keeps that one prefix).
func TestOracleLocalFactsKeepTheirName(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"facts.d/app.fact": "{\"k\": \"v\"}\n",
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
				"    - setup: {gather_subset: ['!all', '!min', local], fact_path: \"{{ playbook_dir }}/facts.d\"}\n" +
				dump("local", "[ansible_local.app.k, ansible_facts.ansible_local.app.k, ansible_facts.local is defined]"),
		},
	})
}

// outMark is a copy task leaving a file named name under out/: which
// tasks ran shows in the end state the oracle compares.
func outMark(name string) string {
	return "copy: {content: " + name + ", dest: \"{{ playbook_dir }}/out/" + name + "\"}"
}
