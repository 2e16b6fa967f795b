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
