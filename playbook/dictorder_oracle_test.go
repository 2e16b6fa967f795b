package playbook

import (
	"path/filepath"
	"testing"
)

// Dicts keep Python's insertion order (Ansible's dicts are Python 3.7+
// dicts), whatever wrote them: the differential tests below write keys in
// an order that is neither sorted nor case-insensitively sorted, and
// compare what each source and each way of iterating gives with
// ansible-playbook's files.

// dictOrderDumps writes, for each variable, its keys as each iteration
// sees them.
func dictOrderDumps(names ...string) string {
	out := ""
	for _, n := range names {
		out += forDump(n+"_for", "{% for k in "+n+" %}{{ k }},{% endfor %}") +
			dump(n+"_items", n+".items() | list | to_json") +
			dump(n+"_text", n)
	}
	return out
}

// forDump is a task writing the text of a template to out/NAME.
func forDump(name, template string) string {
	return "    - copy: {content: \"" + template + "\", dest: \"{{ playbook_dir }}/out/" + name + "\"}\n"
}

// TestOracleDictOrderSources: play vars, vars_files, role defaults and
// vars, include_vars (with and without name:), -e JSON and -e @file,
// set_fact (YAML and a Jinja2 dict literal) and task vars keep the order
// the keys are written in.
func TestOracleDictOrderSources(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		extra: []string{`{"ej": {"zz": 1, "Ab": 2, "mm": {"y": 1, "x": 2}}}`, "@extra.yml"},
		files: map[string]string{
			"extra.yml":                 "ef: {f: 1, e: 2, F: 3}\n",
			"vf.yml":                    "fv:\n  b: 1\n  a: 2\n  c: 3\n",
			"iv.yml":                    "iv: {n: 1, m: 2, N: 3}\n",
			"named.yml":                 "k2: 1\nk10: 2\nk1: 3\n",
			"roles/r/defaults/main.yml": "rd: {y: 1, x: 2, Y: 3}\n",
			"roles/r/vars/main.yml":     "rv: {q: 1, p: 2, Q: 3}\n",
			"roles/r/tasks/main.yml":    "- copy: {content: \"{{ rd | to_json }} {{ rv | to_json }}\", dest: \"{{ playbook_dir }}/out/role\"}\n",
			"site.yml": `- hosts: web
  gather_facts: false
  vars_files: [vf.yml]
  vars:
    pv: {zeta: 1, alpha: 2, Mid: 3, beta: {z: 1, a: 2}}
  roles: [r]
  tasks:
    - include_vars: iv.yml
    - include_vars: {file: named.yml, name: named}
    - set_fact:
        sf: {t: 1, s: 2, T: 3}
        sj: "{{ {'b': 1, 'a': 2, 'B': 3} }}"
    - name: task vars
      copy: {content: "{{ tv | to_json }}", dest: "{{ playbook_dir }}/out/taskvars"}
      vars:
        tv: {two: 2, one: 1}
` + dictOrderDumps("pv", "fv", "rd", "rv", "iv", "named", "ej", "ef", "sf", "sj") +
				dump("nested", "[pv.beta, ej.mm] | to_json"),
		},
	})
}

// TestOracleDictOrderInventory: dicts of group_vars and host_vars files
// (YAML and JSON) keep their order too.
func TestOracleDictOrderInventory(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"inventory/group_vars/all.yml":      "from_all: all\nlevel: group_all\ngv: {zeta: 1, alpha: 2, Mid: {y: 1, x: 2}}\n",
			"inventory/hosts":                   oracleInventory["inventory/hosts"] + "[app:children]\nweb\n",
			"inventory/group_vars/app.json":     `{"gj": {"b": 1, "a": 2, "B": 3}}`,
			"inventory/host_vars/localhost.yml": "level3: host\nhv:\n  second: 2\n  first: 1\n",
			"site.yml": "- hosts: web\n  gather_facts: false\n  tasks:\n" +
				dictOrderDumps("gv", "gj", "hv") + dump("nested", "gv.Mid | list"),
		},
	})
}

// TestOracleDictOrderIteration: every way of iterating a dict, and the
// filters that build dicts, follow the order as Python's; to_nice_json,
// to_yaml, to_nice_yaml and dictsort sort as Ansible's.
func TestOracleDictOrderIteration(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": `- hosts: web
  gather_facts: false
  vars:
    d: {zeta: 1, alpha: {y: 1, x: 2}, Mid: 3, beta: 4}
    other: {new: 1, alpha: {z: 3, x: 5}, Mid: 9}
  tasks:
    - copy: {content: "", dest: "{{ playbook_dir }}/out/with_dict"}
    - lineinfile: {path: "{{ playbook_dir }}/out/with_dict", line: "{{ item.key }}={{ item.value }}"}
      with_dict: "{{ d }}"
    - copy: {content: "", dest: "{{ playbook_dir }}/out/dict2items"}
    - lineinfile: {path: "{{ playbook_dir }}/out/dict2items", line: "{{ item.key }}"}
      loop: "{{ d | dict2items }}"
    - copy: {content: "", dest: "{{ playbook_dir }}/out/loop_items"}
    - lineinfile: {path: "{{ playbook_dir }}/out/loop_items", line: "{{ item.0 }}"}
      loop: "{{ d.items() | list }}"
` + forDump("for", "{% for k in d %}{{ k }},{% endfor %}") +
				forDump("for_kv", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}") +
				dump("keys", "d.keys() | list") +
				dump("values", "d.values() | list") +
				dump("list", "d | list") +
				dump("first", "d | first") +
				dump("text", "d") +
				dump("string", "d | string") +
				dump("to_json", "d | to_json") +
				dump("to_nice_json", "d | to_nice_json") +
				dump("to_yaml", "d | to_yaml") +
				dump("to_nice_yaml", "d | to_nice_yaml") +
				dump("dictsort", "d | dictsort") +
				dump("dict2items", "d | dict2items") +
				dump("items2dict", "d | dict2items | reverse | items2dict") +
				dump("combine", "d | combine(other) | to_json") +
				dump("combine_rec", "d | combine(other, recursive=True) | to_json") +
				dump("combine_empty", "{} | combine(other, d) | to_json") +
				dump("dict_zip", "dict(['b', 'a', 'c'] | zip([1, 2, 3])) | to_json") +
				dump("dict_kw", "dict(b=1, a=2, c=3) | to_json") +
				dump("literal", "{'b': 1, 'a': 2, 'c': {'z': 1, 'y': 2}}") +
				forDump("literal_for", "{% for k in {'b': 1, 'a': 2} %}{{ k }}{% endfor %}") +
				dump("length_in", "[d | length, 'Mid' in d, 'mid' in d, d.get('alpha') | list]") +
				dump("map_attr", "d | dict2items | map(attribute='key') | list") +
				dump("from_json", `('{\"b\": 1, \"a\": 2}' | from_json) | list`) +
				dump("from_yaml", `('b: 1\\na: 2' | from_yaml) | list`),
		},
	})
}

// TestOracleDictOrderTemplate is modelled on geerlingguy.varnish's
// default.vcl.j2: one backend block per entry of a dict, in the order the
// inventory or playbook writes them.
func TestOracleDictOrderTemplate(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"templates/default.vcl.j2": `vcl 4.0;

{% if varnish_backends is defined %}
# Other backend servers.
{% for backend, value in varnish_backends.items() | list %}
backend {{ backend }} {
  .host = "{{ value.host }}";
  .port = "{{ value.port }}";
}
{% endfor %}
{% endif %}

sub vcl_recv {
{% for vhost, value in varnish_vhosts.items() | list if varnish_vhosts is defined %}
  {% if loop.first %}
  if (req.http.host == "{{ vhost }}") {
  {% else %}
  elseif (req.http.host == "{{ vhost }}") {
  {% endif %}
    set req.backend_hint = {{ value.backend }};
  }
{% endfor %}
}
`,
			"site.yml": `- hosts: web
  gather_facts: false
  vars:
    varnish_backends:
      nodejs: {host: 10.0.2.3, port: 80}
      apache: {host: 10.0.2.2, port: 80}
      Zope: {host: 10.0.2.4, port: 8080}
      backend10: {host: 10.0.2.10, port: 81}
      backend2: {host: 10.0.2.20, port: 82}
    varnish_vhosts:
      www.example.com: {backend: apache}
      api.example.com: {backend: nodejs}
      Admin.example.com: {backend: Zope}
  tasks:
    - template: {src: default.vcl.j2, dest: "{{ playbook_dir }}/out/default.vcl"}
`,
		},
	})
}

// TestDictOrderSecretsFound: a secret variable nested in an ordered dict
// of the play's vars or vars_files is still found and masked.
func TestDictOrderSecretsFound(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"vf.yml":   "svc: {user: app, password: fromfile}\n",
		"site.yml": "- hosts: all\n  vars_files: [vf.yml]\n  vars:\n    db: {name: app, password: s3cret-value}\n  tasks: []\n",
	})
	pb, err := Load(filepath.Join(dir, "site.yml"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := pb.Secrets.Redact("s3cret-value fromfile app")
	if got != "******** ******** app" {
		t.Errorf("redacted = %q, want both secrets masked", got)
	}
}
