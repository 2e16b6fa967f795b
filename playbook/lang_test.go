package playbook

import (
	"slices"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote/local"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// debugMsgs returns the messages of a task's results on host, in order.
func (o runOutcome) msgs(task, host string) []string {
	var out []string
	for _, ev := range o.events {
		if ev.Kind == EventResult && ev.Result.Task == task && ev.Result.Host == host && !ev.Result.LoopSummary {
			out = append(out, ev.Result.Msg)
		}
	}
	return out
}

func TestModulesAndExecutorActions(t *testing.T) {
	inv := testInventory(t, 2)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  vars:
    level: play
  tasks:
    - ansible.builtin.ping: data=hi
      register: p
    - set_fact:
        level: fact
        double: "{{ idx * 2 }}"
    - assert:
        that: ["p.ping == 'hi'", "double | int == idx * 2", "level == 'fact'"]
        success_msg: fine
    - name: failing assert ignored
      assert: {that: "idx == 1", fail_msg: "not one: {{ idx }}"}
      ignore_errors: true
    - name: show
      debug: msg="{{ p.ping }} {{ level }} {{ double }} {{ undefined_var | default('d') }}"
    - name: omitted
      ping:
        data: "{{ nothing | default(omit) }}"
      register: o
    - name: echo omitted
      debug: {msg: "{{ o.ping }}"}
`)
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{})
	if got := out.msgs("show", "h02"); !slices.Equal(got, []string{"hi fact 4 d"}) {
		t.Errorf("show = %q", got)
	}
	if got := out.msgs("echo omitted", "h01"); !slices.Equal(got, []string{"pong"}) {
		t.Errorf("omit: %q", got)
	}
	if got := out.msgs("assert", "h01"); !slices.Equal(got, []string{"fine"}) {
		t.Errorf("unnamed task header = assert: %q", got)
	}
	if got := out.msgs("failing assert ignored", "h02"); !slices.Equal(got, []string{"not one: 2"}) {
		t.Errorf("fail_msg = %q", got)
	}
	// ok: ping, set_fact, assert, assert (ignored, counted ok too), debug, ping, debug
	if s := out.stats("h02"); s.OK != 7 || s.Ignored != 1 || s.Failed != 0 {
		t.Errorf("h02 recap = %+v", s)
	}
}

func TestUndefinedVariableFailsAtRunTime(t *testing.T) {
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - name: undefined
      debug: {msg: "{{ nosuch }}"}
`)
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{})
	if got := out.msgs("undefined", "h01"); len(got) != 1 || !strings.Contains(got[0], "'nosuch' is undefined") {
		t.Errorf("msg = %q", got)
	}
	if s := out.stats("h01"); s.Failed != 1 {
		t.Errorf("recap = %+v", s)
	}
}

func TestLoopCountsOnceAndLoopControl(t *testing.T) {
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - name: loop
      debug: {msg: "{{ i }}/{{ n }} {{ ansible_loop.first }}"}
      loop: [a, b, c]
      loop_control: {loop_var: i, index_var: n, label: "L{{ i }}", extended: true}
      register: r
    - name: results
      debug: {msg: "{{ r.results | map(attribute='i') | join(',') }} {{ r.results | length }}"}
    - name: skipped loop
      debug: {msg: x}
      loop: [1, 2]
      when: false
`)
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{})
	if got := out.msgs("loop", "h01"); !slices.Equal(got, []string{"a/0 True", "b/1 False", "c/2 False"}) {
		t.Errorf("loop = %q", got)
	}
	var labels []any
	for _, ev := range out.events {
		if ev.Kind == EventResult && ev.Result.Task == "loop" && ev.Result.LoopItem {
			labels = append(labels, ev.Result.Item)
		}
	}
	if !slices.Equal(labels, []any{"La", "Lb", "Lc"}) {
		t.Errorf("labels = %v", labels)
	}
	if got := out.msgs("results", "h01"); !slices.Equal(got, []string{"a,b,c 3"}) {
		t.Errorf("results = %q", got)
	}
	if s := out.stats("h01"); s.OK != 2 || s.Skipped != 1 {
		t.Errorf("recap = %+v, want ok=2 skipped=1 (a loop counts once)", s)
	}
}

func TestHandlersListenAndFlush(t *testing.T) {
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - shell: one
      notify: web
    - meta: flush_handlers
    - shell: two
      notify: [restart a]
  handlers:
    - name: restart a
      shell: handler-a
      listen: web
    - name: restart b
      shell: handler-b
      listen: web
`)
	fake := &remotetest.Fake{}
	runTest(t, pb, inv, fake, Options{})
	want := []string{"one", "handler-a", "handler-b", "two", "handler-a"}
	if got := commandsOf(fake, "h01"); !slices.Equal(got, want) {
		t.Errorf("commands = %q, want %q", got, want)
	}
}

func TestNoLogHidesTheResult(t *testing.T) {
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - name: secret
      shell: echo s3cret
      no_log: true
`)
	fake := &remotetest.Fake{Default: remotetest.Script{Output: []remotetest.Chunk{remotetest.Stdout("s3cret\n")}}}
	out := runTest(t, pb, inv, fake, Options{})
	for _, ev := range out.events {
		if ev.Kind == EventResult && (strings.Contains(ev.Result.Stdout, "s3cret") || !strings.Contains(ev.Result.Msg, "no_log: true")) {
			t.Errorf("result shows %+v", ev.Result)
		}
	}
}

func TestFreeFormCommandArgs(t *testing.T) {
	dir := t.TempDir()
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - command: pwd chdir=`+dir+`
      register: a
    - shell: pwd; echo x=y
      args:
        chdir: /
      register: b
    - name: show
      debug: {msg: "{{ a.stdout }}|{{ b.stdout_lines }}|{{ a.cmd }}"}
`)
	out := runTest(t, pb, inv, local.Dialer{}, Options{Target: localTarget})
	if got := out.msgs("show", "h01"); len(got) != 1 || got[0] != dir+"|['/', 'x=y']|['pwd']" {
		t.Errorf("show = %q", got)
	}
}

func TestDelegateToRunsOnTheDelegate(t *testing.T) {
	inv := testInventory(t, 2)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - raw: on-{{ inventory_hostname }}
      delegate_to: localhost
    - raw: local-action
      delegate_to: "{{ 'h0' ~ 2 }}"
      run_once: true
    - local_action: raw here
`)
	fake := &remotetest.Fake{}
	runTest(t, pb, inv, fake, Options{})
	local := commandsOf(fake, "localhost")
	slices.Sort(local)
	if want := []string{"here", "here", "on-h01", "on-h02"}; !slices.Equal(local, want) {
		t.Errorf("localhost ran %q, want %q", local, want)
	}
	if got := commandsOf(fake, "h02"); !slices.Equal(got, []string{"local-action"}) {
		t.Errorf("h02 ran %q", got)
	}
	if got := commandsOf(fake, "h01"); len(got) != 0 {
		t.Errorf("h01 ran %q", got)
	}
}

func TestAnyErrorsFatalAndMaxFailPercentage(t *testing.T) {
	inv := testInventory(t, 4)
	fatal := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - {name: one, raw: one}
    - {name: two, raw: two}
- hosts: fleet
  gather_facts: false
  tasks:
    - {name: next play, raw: three}
`)
	fake := &remotetest.Fake{Scripts: map[string]remotetest.Script{"h02": {ExitCode: 1}}}
	out := runTest(t, fatal, inv, fake, Options{})
	if got := out.statuses("two"); len(got) != 0 {
		t.Errorf("task two ran on %v after any_errors_fatal", got)
	}
	if got := out.statuses("next play"); len(got) != 0 || out.report.Stopped == "" {
		t.Errorf("the run went on: %v, stopped %q", got, out.report.Stopped)
	}
	if s := out.stats("h01"); s.Failed != 0 || s.OK != 1 {
		t.Errorf("h01 = %+v: the others stop, not failed", s)
	}
	for _, tt := range []struct {
		pct     string
		stopped bool
	}{{"49", true}, {"50", false}} {
		pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  serial: 2
  max_fail_percentage: `+tt.pct+`
  tasks:
    - {name: one, raw: one}
    - {name: two, raw: two}
`)
		out := runTest(t, pb, inv, &remotetest.Fake{Scripts: map[string]remotetest.Script{"h02": {ExitCode: 1}}}, Options{})
		ran := len(out.statuses("two"))
		if stopped := out.report.Stopped != ""; stopped != tt.stopped || (tt.stopped && ran != 0) || (!tt.stopped && ran != 3) {
			t.Errorf("max_fail_percentage %s: stopped %q, task two ran on %d hosts", tt.pct, out.report.Stopped, ran)
		}
	}
}

func TestLookupsAndQuery(t *testing.T) {
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - name: lookups
      debug: {msg: "{{ lookup('items', ['a', 'b']) }}|{{ query('sequence', 'start=1 end=3') }}|{{ lookup('dict', {'k': 1}) }}|{{ q('together', [1, 2], ['x']) }}"}
    - name: query loop
      debug: {msg: "{{ item }}"}
      loop: "{{ query('indexed_items', ['p', 'q']) }}"
`)
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{})
	if got := out.msgs("lookups", "h01"); len(got) != 1 || got[0] != "a,b|['1', '2', '3']|{'key': 'k', 'value': 1}|[[1, 'x'], [2, None]]" {
		t.Errorf("lookups = %q", got)
	}
	if got := out.msgs("query loop", "h01"); !slices.Equal(got, []string{"[0, 'p']", "[1, 'q']"}) {
		t.Errorf("query loop = %q", got)
	}
}

func TestGroupBy(t *testing.T) {
	inv := testInventory(t, 3)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - group_by: key=kind_{{ 'odd' if idx % 2 else 'even' }}
    - name: groups
      debug: {msg: "{{ groups['kind_odd'] | join(',') }} {{ group_names | join(',') }}"}
- hosts: kind_odd:!h03
  gather_facts: false
  tasks:
    - name: odd
      raw: odd
`)
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{})
	if got := out.msgs("groups", "h03"); len(got) != 1 || got[0] != "h01,h03 fleet,kind_odd" {
		t.Errorf("groups = %q", got)
	}
	if got := out.statuses("odd"); !slices.Equal(got, []string{"h01=changed"}) {
		t.Errorf("the play on the group ran on %v", got)
	}
}
