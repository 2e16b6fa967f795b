package playbook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrorsHavePositions(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // substrings, each expected in the joined errors
	}{
		{"unknown play key", "- hosts: all\n  serail: 2\n  tasks: []\n",
			[]string{`play.yaml:2:3: unknown play key "serail"; hint: did you mean "serial"?`}},
		{"unknown task key", "- hosts: all\n  tasks:\n    - shell: true\n      regster: x\n",
			[]string{`play.yaml:4:7: unknown task key "regster"; hint: did you mean "register"?`}},
		{"wrong type", "- hosts: all\n  gather_facts: maybe\n",
			[]string{`play.yaml:2:17: gather_facts must be a boolean`}},
		{"bad serial", "- hosts: all\n  serial: [1, 0]\n",
			[]string{`play.yaml:2:15: a serial step must be a whole number of at least 1`}},
		{"bad percent", "- hosts: all\n  max_fail: 120%\n",
			[]string{`play.yaml:2:13: max_fail must be`}},
		{"template syntax", "- hosts: all\n  tasks:\n    - shell: echo {{ idx\n",
			[]string{`play.yaml:3:25: bad template: template syntax error: '}}' expected here`}},
		{"template syntax position", "- hosts: all\n  tasks:\n    - shell: echo {{ idx | }}\n",
			[]string{`play.yaml:3:28: bad template: template syntax error: filter name must be an identifier`}},
		{"when does not compile", "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n      when: idx ==\n",
			[]string{`play.yaml:4:19: bad expression`}},
		{"bad template in vars", "- hosts: all\n  vars:\n    a: \"x {{ b | }}\"\n  tasks: []\n",
			[]string{`play.yaml:3:18: bad template: template syntax error: filter name must be an identifier`}},
		{"bad template in a name", "- hosts: all\n  tasks:\n    - name: \"x {{ }}\"\n      debug: {msg: hi}\n",
			[]string{`play.yaml:3:19: bad template: template syntax error`}},
		{"unknown filter", "- hosts: all\n  tasks:\n    - shell: echo {{ idx | nosuchfilter }}\n",
			[]string{`play.yaml:3:14: remotectl does not support the filter 'nosuchfilter'`}},
		{"unknown test", "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n      when: idx is nosuchtest\n",
			[]string{`play.yaml:4:13: remotectl does not support the test 'nosuchtest'`}},
		{"the dialect is gone", "- hosts: all\n  tasks:\n    - shell: echo {{ .idx }}\n",
			[]string{`play.yaml:3:22: bad template: template syntax error`, `hint: templates are Jinja2 now, as Ansible's: write {{ x }}, not {{ .x }}`}},
		{"loop needs a list", "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n      loop: idx\n",
			[]string{`play.yaml:4:13: loop needs a list, not the string "idx"; hint: write a list, or a template producing one: loop: "{{ idx }}"`}},
		{"two actions", "- hosts: all\n  tasks:\n    - shell: a\n      command: b\n",
			[]string{`play.yaml:4:7: a task has one action; this one has shell and command`}},
		{"no action", "- hosts: all\n  tasks:\n    - name: nothing\n",
			[]string{`play.yaml:3:7: the task "nothing" has no action`}},
		{"unknown notify", "- hosts: all\n  tasks:\n    - shell: a\n      notify: restrat\n  handlers:\n    - name: restart\n      shell: b\n",
			[]string{`play.yaml:3:7: notify: no handler is called "restrat"; hint: did you mean "restart"?`}},
		{"unknown action param", "- hosts: all\n  tasks:\n    - copy: {content: x, dets: /tmp/x}\n",
			[]string{`play.yaml:3:26: unsupported parameter "dets" for the module copy; hint: supported: `}},
		{"module of a collection", "- hosts: all\n  tasks:\n    - seport: {ports: 80, proto: tcp, setype: http_port_t}\n",
			[]string{`play.yaml:3:7: the module seport is in community.general, which remotectl does not implement`}},
		{"FQCN of a collection", "- hosts: all\n  tasks:\n    - community.docker.docker_container: {name: x}\n",
			[]string{`play.yaml:3:7: the module community.docker.docker_container is in community.docker, which remotectl does not implement`}},
		{"module routed to a collection", "- hosts: all\n  tasks:\n    - pids: {name: x}\n    - ec2_vpc_subnet: {cidr: x}\n",
			[]string{`play.yaml:3:7: the module pids is in community.general, which remotectl does not implement`,
				`play.yaml:4:7: the module ec2_vpc_subnet is in amazon.aws, which remotectl does not implement`}},
		{"unknown test in assert", "- hosts: all\n  tasks:\n    - assert:\n        that: [\"x is defined\", \"x is blue\"]\n",
			[]string{`play.yaml:4:33: remotectl does not support the test 'blue'`}},
		{"no such module", "- hosts: all\n  tasks:\n    - pnig: {}\n",
			[]string{`play.yaml:3:7: no module pnig (and no task keyword): remotectl cannot run this task; hint: did you mean "ping"?`}},
		{"unsupported module parameter", "- hosts: all\n  tasks:\n    - ping: {data: x, dta: y}\n",
			[]string{`play.yaml:3:23: unsupported parameter "dta" for the module ping; hint: supported: data`}},
		{"unsupported free-form parameter", "- hosts: all\n  tasks:\n    - ansible.builtin.ping: dta=y\n",
			[]string{`play.yaml:3:29: unsupported parameters for the module ping: dta; hint: supported: data`}},
		{"bad loop_control", "- hosts: all\n  tasks:\n    - shell: echo {{ item }}\n      loop: [a]\n      loop_control: {lable: x}\n",
			[]string{`play.yaml:5:22: unknown loop_control key "lable"; hint: did you mean "label"?`}},
		{"meta", "- hosts: all\n  tasks:\n    - meta: flush_handler\n",
			[]string{`play.yaml:3:13: meta: unknown action "flush_handler"; hint: did you mean "flush_handlers"?`}},
		{"one loop", "- hosts: all\n  tasks:\n    - shell: echo {{ item }}\n      loop: [a]\n      with_items: [b]\n",
			[]string{`play.yaml:5:7: a task has one loop`}},
		{"inline check error", "- hosts: all\n  tasks:\n    - check:\n        port:\n          tcp:22:\n            listening: maybe\n",
			[]string{`play.yaml:6:24:`}},
		{"yaml syntax", "- hosts: all\n  tasks: [\n", []string{"play.yaml:3: invalid YAML"}},
		{"no hosts", "- name: x\n  tasks: []\n", []string{"play.yaml:1:3: the play has no hosts:"}},
		{"include of a playbook", "- hosts: all\n  tasks: []\n- include: other.yml\n",
			[]string{"play.yaml:3:3: include: of a playbook is refused by ansible-core 2.14", "hint: write import_playbook: FILE"}},
		{"ansible.builtin.deb822_repository", "- hosts: all\n  tasks:\n    - ansible.builtin.deb822_repository: {name: x}\n",
			[]string{"play.yaml:3:7: the module ansible.builtin.deb822_repository is in ansible-core 2.15 and later, which remotectl does not implement"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("play.yaml", []byte(tt.src), LoadOptions{
				LookupEnv: func(string) (string, bool) { return "", false }})
			if err == nil {
				t.Fatal("no error")
			}
			if !IsInvalid(err) {
				t.Errorf("IsInvalid(%v) = false", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
		})
	}
}

func TestParseValidPlaybook(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("vars.yaml", "port: 8080\n")
	write("app.conf.tmpl", "port={{ port }}\nhost={{ inventory_hostname }}\n{% for g in group_names %}{{ g }}\n{% endfor %}")
	write("play.yaml", `
- name: deploy
  hosts: fleet
  serial: [1, "25%", "100%"]
  max_fail: 10%
  strategy: free
  vars_files: [vars.yaml]
  vars: {version: "1.2", app: "app-{{ version }}"}
  tasks:
    - name: config {{ app }}
      template: {src: app.conf.tmpl, dest: /etc/app.conf, mode: "0644"}
      notify: restart
      tags: [config]
    - name: health
      check:
        http:
          http://localhost:{{ .Vars.port }}/health:
            status: 200
      retries: 2
      until: result.failed == false
      delay: 1
  handlers:
    - name: restart
      command: {argv: [systemctl, restart, app]}
`)
	pb, err := Load(filepath.Join(dir, "play.yaml"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	play := pb.Plays[0]
	if got := []Amount{{N: 1}, {N: 25, Percent: true}, {N: 100, Percent: true}}; len(play.Serial) != 3 || play.Serial[1] != got[1] {
		t.Errorf("serial = %v", play.Serial)
	}
	if *play.MaxFail != (Amount{N: 10, Percent: true}) || play.Strategy != Free {
		t.Errorf("max_fail = %v, strategy = %v", play.MaxFail, play.Strategy)
	}
	if play.FileVars["port"] != 8080 {
		t.Errorf("vars_files = %v", play.FileVars)
	}
	if len(play.Tasks) != 2 || len(play.Handlers) != 1 || pb.Tags[0] != "config" {
		t.Fatalf("tasks %d handlers %d tags %v", len(play.Tasks), len(play.Handlers), pb.Tags)
	}
	if play.Tasks[0].Name != "config app-1.2" {
		t.Errorf("task name = %q, want it rendered with the play's vars", play.Tasks[0].Name)
	}
	if a, ok := play.Tasks[0].Action.(*ModuleAction); !ok || a.Module.Name != "template" || a.Args["src"] != "app.conf.tmpl" {
		t.Errorf("template = %#v", play.Tasks[0].Action)
	}
	if c, ok := play.Tasks[1].Action.(*CheckAction); !ok || len(c.Checks) != 1 || !strings.HasSuffix(c.Checks[0].Pos, "play.yaml:17:11") {
		t.Errorf("inline check = %#v", play.Tasks[1].Action)
	}
}

func TestParseExtraVars(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.yaml"), []byte("a: 1\nb: two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars, err := ParseExtraVars([]string{"@x.yaml", "b=three", `{"c": true}`}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if vars["a"] != 1 || vars["b"] != "three" || vars["c"] != true {
		t.Errorf("vars = %v", vars)
	}
	for _, bad := range []string{"novalue", "1x=2", "@missing.yaml"} {
		if _, err := ParseExtraVars([]string{bad}, dir); !IsInvalid(err) {
			t.Errorf("%q: err = %v, want a ParseError", bad, err)
		}
	}
}

func TestBatches(t *testing.T) {
	inv := testInventory(t, 12)
	hosts := inv.Hosts()
	sizes := func(serial []Amount) []int {
		var out []int
		for _, b := range Batches(serial, hosts) {
			out = append(out, len(b))
		}
		return out
	}
	for _, tt := range []struct {
		serial []Amount
		want   string
	}{
		{nil, "[12]"},
		{[]Amount{{N: 5}}, "[5 5 2]"},
		{[]Amount{{N: 1}, {N: 25, Percent: true}, {N: 100, Percent: true}}, "[1 3 8]"},
		{[]Amount{{N: 5, Percent: true}}, "[1 1 1 1 1 1 1 1 1 1 1 1]"}, // 5% of 12 rounds down to 0: at least 1
		{[]Amount{{N: 2}, {N: 3}}, "[2 3 3 3 1]"},
	} {
		if got := strings.Join(strings.Fields(strings.Trim(fmtInts(sizes(tt.serial)), "[]")), " "); "["+got+"]" != tt.want {
			t.Errorf("Batches(%v) = [%s], want %s", tt.serial, got, tt.want)
		}
	}
}

func fmtInts(v []int) string {
	var b strings.Builder
	for _, n := range v {
		b.WriteString(" ")
		b.WriteString(itoa(n))
	}
	return b.String()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestMaxFailBoundaries(t *testing.T) {
	for _, tt := range []struct {
		limit         *Amount
		failed, total int
		want          bool
	}{
		{nil, 12, 12, false},
		{&Amount{N: 0}, 0, 10, false},
		{&Amount{N: 0}, 1, 10, true},
		{&Amount{N: 2}, 2, 10, false},
		{&Amount{N: 2}, 3, 10, true},
		{&Amount{N: 20, Percent: true}, 2, 10, false}, // exactly 20%: not more
		{&Amount{N: 20, Percent: true}, 3, 10, true},
		{&Amount{N: 25, Percent: true}, 3, 12, false},
		{&Amount{N: 25, Percent: true}, 4, 12, true},
	} {
		if got := maxFailExceeded(tt.limit, tt.failed, tt.total); got != tt.want {
			t.Errorf("maxFailExceeded(%v, %d, %d) = %v, want %v", tt.limit, tt.failed, tt.total, got, tt.want)
		}
	}
}

// A play without a name is named by its hosts pattern, as Ansible names it
// (PLAY [web,db]), wherever a play's name is shown.
func TestUnnamedPlayIsNamedByItsHosts(t *testing.T) {
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, "- hosts: [fleet, h01]\n  tasks: []\n- name: named\n  hosts: all\n  tasks: []\n")
	if got := []string{pb.Plays[0].Name, pb.Plays[1].Name}; got[0] != "fleet,h01" || got[1] != "named" {
		t.Errorf("play names %q, want fleet,h01 and named", got)
	}
}

func TestTaskNamesAreRenderedAndMasked(t *testing.T) {
	src := "- hosts: all\n  vars: {db_password: hunter2-x, v: 3}\n  tasks:\n" +
		"    - name: \"v{{ v }} {{ db_password }}\"\n      debug: {msg: hi}\n" +
		"    - name: \"{{ inventory_hostname }}\"\n      debug: {msg: hi}\n"
	pb, err := Parse("play.yaml", []byte(src), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := pb.Plays[0].Tasks[0].Name; got != "v3 "+Mask {
		t.Errorf("name = %q", got)
	}
	if got := pb.Plays[0].Tasks[1].Name; got != "{{ inventory_hostname }}" {
		t.Errorf("name = %q, want it as written (it reads a host's variable)", got)
	}
}
