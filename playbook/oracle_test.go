package playbook

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
)

// The differential tests run the same playbook with Debian's
// ansible-playbook (the oracle, -c local on localhost) and with remotectl's
// executor (the local transport) in two copies of one directory, and
// compare the PLAY RECAP counts and the files the playbook wrote in out/.

// oracleInventory is the inventory both runs use: localhost through the
// local connection, with group and host variables.
var oracleInventory = map[string]string{
	"inventory/hosts":                   "[web]\nlocalhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
	"inventory/group_vars/all.yml":      "from_all: all\nlevel: group_all\n",
	"inventory/group_vars/web.yml":      "from_web: web\nlevel2: group_web\n",
	"inventory/host_vars/localhost.yml": "level3: host\n",
	"out/.keep":                         "",
}

// recapLine is a host's PLAY RECAP line of ansible-playbook.
var recapLine = regexp.MustCompile(`(?m)^localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)`)

// oracleCase is a playbook (site.yml and its files) and the arguments.
type oracleCase struct {
	files map[string]string
	extra []string // -e KEY=VALUE
	tags  []string
	limit string // --limit
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runAnsible runs the case with ansible-playbook and returns its recap
// and the files it wrote.
func runAnsible(t *testing.T, c oracleCase) (HostStats, map[string]string) {
	t.Helper()
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Skip("ansible-playbook (Debian's ansible-core) is the oracle; scripts/test.sh installs it")
	}
	dir := t.TempDir()
	writeFiles(t, dir, oracleInventory)
	writeFiles(t, dir, c.files)
	args := []string{"-i", "inventory/hosts", "site.yml"}
	for _, e := range c.extra {
		args = append(args, "-e", e)
	}
	if len(c.tags) > 0 {
		args = append(args, "--tags", strings.Join(c.tags, ","))
	}
	if c.limit != "" {
		args = append(args, "--limit", c.limit)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute) // a loaded machine slows ansible-playbook a lot
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0", "HOME="+dir,
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, ".ansible-tmp"), "ANSIBLE_HOST_KEY_CHECKING=0", "ANSIBLE_DEPRECATION_WARNINGS=0")
	out, _ := cmd.CombinedOutput()
	m := recapLine.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("ansible-playbook: no recap:\n%s", out)
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	stats := HostStats{Host: "localhost", OK: n(1), Changed: n(2), Unreachable: n(3), Failed: n(4), Skipped: n(5), Rescued: n(6), Ignored: n(7)}
	return stats, readOut(t, dir)
}

// runOurs runs the case with remotectl's executor.
func runOurs(t *testing.T, c oracleCase) (HostStats, map[string]string, *Report) {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, oracleInventory)
	writeFiles(t, dir, c.files)
	inv, err := inventory.Load([]string{filepath.Join(dir, "inventory/hosts")}, inventory.LoadOptions{Transports: []remote.SettingsSchema{local.Settings()}, OrderedDicts: true})
	if err != nil {
		t.Fatal(err)
	}
	extra, err := ParseExtraVars(c.extra, dir)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := Load(filepath.Join(dir, "site.yml"), LoadOptions{})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	plans, err := Prepare(pb, inv, Selection{Tags: c.tags, Limit: c.limit})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	events, rep := Run(ctx, pb, plans, Options{Inventory: inv, ExtraVars: extra, Dialer: local.Dialer{}, Transports: []remote.SettingsSchema{local.Settings()},
		Selection: Selection{Limit: c.limit},
		Target:    func(h *inventory.Host) remote.Target { return h.Target(0) }})
	for range events {
	}
	var stats HostStats
	for _, s := range rep.Recap {
		if s.Host == "localhost" {
			stats = *s
		}
	}
	stats.Host = "localhost"
	return stats, readOut(t, dir), rep
}

// readOut reads the files under dir/out.
func readOut(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := filepath.Join(dir, "out")
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ".keep" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = string(data)
		return nil
	})
	return out
}

// compareWithAnsible runs a case both ways and compares.
func compareWithAnsible(t *testing.T, c oracleCase) {
	t.Helper()
	wantStats, wantFiles := runAnsible(t, c)
	gotStats, gotFiles, rep := runOurs(t, c)
	if gotStats != wantStats {
		var msgs []string
		for _, r := range rep.Results {
			msgs = append(msgs, r.Task+": "+string(r.Status)+" "+r.Msg)
		}
		t.Errorf("recap = %+v\nansible: %+v\nresults:\n%s", gotStats, wantStats, strings.Join(msgs, "\n"))
	}
	if !maps.Equal(gotFiles, wantFiles) {
		keys := slices.Sorted(maps.Keys(wantFiles))
		for k := range gotFiles {
			if _, ok := wantFiles[k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			if gotFiles[k] != wantFiles[k] {
				t.Errorf("out/%s = %q, ansible wrote %q", k, gotFiles[k], wantFiles[k])
			}
		}
	}
}

// dump is a task writing a value to out/NAME.
func dump(name, expr string) string {
	return "    - copy: {content: \"{{ " + expr + " }}\", dest: \"{{ playbook_dir }}/out/" + name + "\"}\n"
}

func TestOraclePrecedence(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		extra: []string{"from_extra=extra", "level4=extra"},
		files: map[string]string{
			"roles/base/defaults/main.yml": "level: role_default\nlevel2: role_default\nlevel3: role_default\nonly_default: d\nlevel5: role_default\n",
			"roles/base/vars/main.yml":     "level5: role_vars\n",
			"roles/base/tasks/main.yml": "- copy: {content: \"{{ level }} {{ level2 }} {{ level3 }} {{ only_default }} {{ level5 }} {{ role_name }}\", dest: \"{{ playbook_dir }}/out/role\"}\n" +
				"- copy: {content: \"{{ p }}\", dest: \"{{ playbook_dir }}/out/param\"}\n",
			"site.yml": "- hosts: web\n  gather_facts: false\n  vars:\n    level4: play\n    level5: play\n    p: play\n    only_play: x\n  roles:\n    - {role: base, p: param}\n  tasks:\n" +
				dump("all", "[level, level2, level3, level4, level5, from_all, from_web, from_extra] | join(' ')") +
				"    - set_fact: {level3: fact}\n" +
				dump("fact", "level3") +
				"    - name: task vars\n      copy: {content: \"{{ level5 }} {{ level4 }}\", dest: \"{{ playbook_dir }}/out/taskvars\"}\n      vars: {level5: task, level4: task}\n" +
				dump("hostvars", "[hostvars[inventory_hostname].only_play | default('none'), hostvars[inventory_hostname].level3, hostvars[inventory_hostname].from_extra] | to_json") +
				dump("magic", "[inventory_hostname, inventory_hostname_short, group_names, groups.web, play_hosts, ansible_check_mode] | to_json"),
		},
	})
}

func TestOracleRolesHandlersDeps(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"roles/common/tasks/main.yml":    "- copy: {content: \"common {{ who }}\", dest: \"{{ playbook_dir }}/out/common-{{ who }}\"}\n  notify: common handler\n",
			"roles/common/defaults/main.yml": "who: default\n",
			"roles/common/handlers/main.yml": "- name: common handler\n  copy: {content: handled, dest: \"{{ playbook_dir }}/out/common-handler\"}\n",
			"roles/app/meta/main.yml":        "dependencies:\n  - role: common\n  - {role: common, who: app}\n",
			"roles/app/tasks/main.yml":       "- name: app task\n  copy: {content: app, dest: \"{{ playbook_dir }}/out/app\"}\n  notify: app restarted\n- import_tasks: extra.yml\n",
			"roles/app/tasks/extra.yml":      "- copy: {content: \"{{ role_name }}\", dest: \"{{ playbook_dir }}/out/extra\"}\n",
			"roles/app/handlers/main.yml":    "- name: app restarted\n  copy: {content: \"restarted\", dest: \"{{ playbook_dir }}/out/app-handler\"}\n",
			"site.yml":                       "- hosts: localhost\n  gather_facts: false\n  roles: [common, app]\n  tasks:\n    - include_role: {name: app, tasks_from: extra}\n",
		},
	})
}

func TestOracleIncludesAndLoops(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"inc.yml": "- copy: {content: \"{{ item }} {{ x }}\", dest: \"{{ playbook_dir }}/out/inc-{{ item }}\"}\n",
			"imp.yml": "- copy: {content: \"imp {{ y }}\", dest: \"{{ playbook_dir }}/out/imp\"}\n- debug: {msg: skipped}\n  when: false\n",
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
				"    - include_tasks: inc.yml\n      loop: [a, b]\n      vars: {x: X}\n" +
				"    - import_tasks: imp.yml\n      vars: {y: Y}\n" +
				"    - copy: {content: \"{{ item.key }}={{ item.value }}\", dest: \"{{ playbook_dir }}/out/dict-{{ item.key }}\"}\n      with_dict: {k1: v1, k2: v2}\n" +
				"    - copy: {content: \"{{ item }}\", dest: \"{{ playbook_dir }}/out/seq-{{ item }}\"}\n      with_sequence: start=1 end=5 stride=2 format=n%02d\n" +
				"    - copy: {content: \"{{ item.0 }}-{{ item.1 }}\", dest: \"{{ playbook_dir }}/out/nested-{{ item.0 }}{{ item.1 }}\"}\n      with_nested: [[a, b], [1, 2]]\n" +
				"    - copy: {content: \"{{ idx }} {{ x }} {{ ansible_loop.revindex }}\", dest: \"{{ playbook_dir }}/out/lc-{{ x }}\"}\n      loop: [p, q]\n      loop_control: {loop_var: x, index_var: idx, extended: true, label: \"{{ x }}\"}\n      register: r\n" +
				dump("registered", "r.results | map(attribute='x') | list | to_json") +
				dump("changed", "'changed=' ~ r.changed") +
				"    - debug: {msg: \"{{ item }}\"}\n      loop: [1, 2, 3]\n      when: item > 1\n",
		},
	})
}

func TestOracleBlocks(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
				"    - block:\n        - copy: {content: one, dest: \"{{ playbook_dir }}/out/one\"}\n        - command: /bin/false\n        - copy: {content: never, dest: \"{{ playbook_dir }}/out/never\"}\n" +
				"      rescue:\n        - copy: {content: \"{{ ansible_failed_task.name }}|{{ ansible_failed_result.rc }}\", dest: \"{{ playbook_dir }}/out/rescued\"}\n" +
				"      always:\n        - copy: {content: always, dest: \"{{ playbook_dir }}/out/always\"}\n" +
				"    - block:\n        - debug: {msg: in}\n      when: false\n" +
				"    - name: ignored\n      command: /bin/false\n      ignore_errors: true\n" +
				"    - block:\n        - block:\n            - command: /bin/false\n          always:\n            - copy: {content: inner, dest: \"{{ playbook_dir }}/out/inner\"}\n" +
				"      rescue:\n        - copy: {content: outer, dest: \"{{ playbook_dir }}/out/outer\"}\n" +
				"    - copy: {content: after, dest: \"{{ playbook_dir }}/out/after\"}\n",
		},
	})
}

func TestOracleHandlersTagsSetFact(t *testing.T) {
	t.Parallel()
	for _, tags := range [][]string{nil, {"t1"}, {"never_t"}} {
		t.Run(strings.Join(tags, ","), func(t *testing.T) {
			compareWithAnsible(t, oracleCase{
				tags: tags,
				files: map[string]string{
					"site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
						"    - copy: {content: a, dest: \"{{ playbook_dir }}/out/a\"}\n      notify: topic\n      tags: [t1]\n" +
						"    - meta: flush_handlers\n" +
						"    - copy: {content: b, dest: \"{{ playbook_dir }}/out/b\"}\n      notify: [h2]\n      tags: [always]\n" +
						"    - copy: {content: c, dest: \"{{ playbook_dir }}/out/c\"}\n      tags: [never, never_t]\n" +
						"    - set_fact: {f: \"{{ 3 * 7 }}\"}\n      tags: [always]\n" +
						"    - copy: {content: \"{{ f }}\", dest: \"{{ playbook_dir }}/out/f\"}\n      run_once: true\n      delegate_to: localhost\n      tags: [t1, never_t]\n" +
						"  handlers:\n    - name: h1\n      copy: {content: \"{{ lookup('file', 'out/a') }}\", dest: \"{{ playbook_dir }}/out/h1\"}\n      listen: topic\n" +
						"    - name: h2\n      copy: {content: h2, dest: \"{{ playbook_dir }}/out/h2\"}\n",
				},
			})
		})
	}
}

func TestOracleGroupBy(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: web\n  gather_facts: false\n  tasks:\n" +
				"    - group_by: key=made_{{ inventory_hostname }}\n" +
				"    - group_by: {key: second, parents: [web, third]}\n" +
				dump("groups", "[groups.made_localhost, groups.second, groups.third, group_names] | to_json") +
				"- hosts: made_localhost:&second\n  gather_facts: false\n  tasks:\n" +
				dump("ran", "'yes'") +
				"- hosts: nosuch_group\n  gather_facts: false\n  tasks:\n" +
				dump("never", "'no'"),
		},
	})
}

// TestOracleYAML11Scalars: plain scalars of playbooks, role defaults and
// vars files are read as PyYAML reads them (YAML 1.1), as Ansible does:
// "no" is false (a when: on it skips), "1:30" is 90, "0o17" and "1e3" stay
// strings, 017 is octal.
func TestOracleYAML11Scalars(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"roles/r/defaults/main.yml": "r_off: off\nr_on: On\n",
			"roles/r/tasks/main.yml":    "- copy: {content: \"{{ [r_off, r_on] | to_json }}\", dest: \"{{ playbook_dir }}/out/role\"}\n",
			"vars.yml":                  "f_no: NO\nf_oct: 017\n",
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  vars_files: [vars.yml]\n" +
				"  vars:\n    a: no\n    b: yes\n    o: 0o17\n    e: 1e3\n    s: 1:30\n    q: 'no'\n    n: ~\n  roles: [r]\n  tasks:\n" +
				dump("scalars", "[a, b, o, e, s, q, n, f_no, f_oct] | to_json") +
				"    - copy: {content: ran, dest: \"{{ playbook_dir }}/out/when_no\"}\n      when: a\n" +
				"    - copy: {content: ran, dest: \"{{ playbook_dir }}/out/when_q\"}\n      when: q | bool == false\n" +
				"    - set_fact: {x: yes, y: off}\n" +
				dump("facts", "[x, y] | to_json"),
		},
	})
}

// TestOraclePauseNoTerminal: without a terminal, pause without seconds
// does not wait, as Ansible's.
func TestOraclePauseNoTerminal(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		files: map[string]string{
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
				"    - pause: {prompt: \"Continue?\"}\n      register: p\n" +
				dump("pause", "[p.user_input, p.changed, p.echo, p.rc, p.stderr, p.stdout, p.delta, p.keys() | sort] | to_json"),
		},
	})
}

// TestOracleVarsPromptNoTerminal: without a terminal Ansible asks nothing
// and goes on: a prompt's default, as text, else the string "None".
func TestOracleVarsPromptNoTerminal(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{
		extra: []string{"given=from-e"},
		files: map[string]string{
			"site.yml": "- hosts: localhost\n  gather_facts: false\n  vars_prompt:\n" +
				"    - {name: nodef, prompt: Say something}\n" +
				"    - {name: num, prompt: Number, default: 5}\n" +
				"    - {name: lst, default: [1, 2]}\n" +
				"    - {name: flag, private: false, default: true}\n" +
				"    - {name: empty, default: ''}\n" +
				"    - {name: given, confirm: true}\n" +
				"  tasks:\n" +
				dump("values", "[nodef, num, lst, flag, empty, given] | to_json") +
				dump("types", "[nodef is string, num is string, lst is string, flag is string, nodef is none, num is number] | to_json"),
		},
	})
}

// addHostLimitPlay adds hosts under a --limit: later plays run on those the
// limit names (by name, glob, regular expression or an add_host group),
// each writing a file named after itself.
const addHostLimitPlay = "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
	"    - add_host: {name: new1, groups: g, ansible_connection: local, ansible_python_interpreter: /usr/bin/python3}\n" +
	"    - add_host: {name: new2, groups: [g, h], ansible_connection: local, ansible_python_interpreter: /usr/bin/python3}\n" +
	"    - add_host: {name: other, groups: g, ansible_connection: local, ansible_python_interpreter: /usr/bin/python3}\n" +
	"- hosts: g\n  gather_facts: false\n  tasks:\n" +
	"    - copy: {content: \"{{ ansible_play_hosts_all | sort | join(',') }}\", dest: \"{{ playbook_dir }}/out/g-{{ inventory_hostname }}\"}\n" +
	"- hosts: all\n  gather_facts: false\n  tasks:\n" +
	"    - copy: {content: \"{{ ansible_play_hosts_all | sort | join(',') }}\", dest: \"{{ playbook_dir }}/out/all-{{ inventory_hostname }}\"}\n"

// TestOracleAddHostLimit: --limit naming hosts add_host adds, as
// ansible-playbook (which ignores, with a warning, a limit's term that
// matches nothing yet and evaluates the limit again for each play).
func TestOracleAddHostLimit(t *testing.T) {
	t.Parallel()
	for _, limit := range []string{"localhost,new1", "localhost:new*", "localhost,~new.*", "localhost:h", "localhost,g:!other", "localhost:&web"} {
		t.Run(limit, func(t *testing.T) {
			t.Parallel()
			compareWithAnsible(t, oracleCase{limit: limit, files: map[string]string{"site.yml": addHostLimitPlay}})
		})
	}
}

// TestOracleAddHostCorners: add_host in a loop, with a port in the name,
// updating an inventory host, groups as a string with blanks, its
// registered result, and a second run changing nothing.
func TestOracleAddHostCorners(t *testing.T) {
	t.Parallel()
	compareWithAnsible(t, oracleCase{files: map[string]string{"site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
		"    - add_host: {name: \"{{ item }}\", groups: \"g1, g2\", ansible_connection: local, role_of: \"{{ item }}-role\"}\n" +
		"      loop: [l1, l2]\n      register: looped\n" +
		"    - add_host: {hostname: \"ported:2222\", groups: [p]}\n      register: ported\n" +
		"    - add_host: {name: localhost, groups: extra, level3: from_add_host, newvar: nv}\n      register: updated\n" +
		"    - add_host: {name: localhost, groups: extra}\n      register: again\n" +
		"    - add_host: {name: bare}\n" +
		dump("looped", "[looped.changed, looped.results | map(attribute='add_host') | list] | to_json(sort_keys=true)") +
		dump("ported", "[ported.changed, ported.add_host, hostvars['ported'].ansible_ssh_port | default('none'), hostvars['ported'].ansible_port | default('none')] | to_json(sort_keys=true)") +
		dump("updated", "[updated.changed, again.changed, hostvars['localhost'].level3, hostvars['localhost'].newvar, group_names] | to_json") +
		dump("groups", "[groups.g1, groups.g2, groups.p, groups.extra, groups.ungrouped, groups.all] | to_json") +
		dump("vars", "[hostvars['l1'].role_of, hostvars['l2'].group_names | default('none'), hostvars['bare'].group_names | default('none')] | to_json") +
		"- hosts: g1:extra\n  gather_facts: false\n  tasks:\n" +
		"    - copy: {content: \"{{ role_of | default('-') }} {{ group_names }}\", dest: \"{{ playbook_dir }}/out/play2-{{ inventory_hostname }}\"}\n"}})
}
