package playbook

import "testing"

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
