package playbook

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
	"github.com/remotectl/remotectl/remote/remotetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rolling is a rolling update: deploy (always changed), then a health gate.
const rolling = `
- name: rolling update
  hosts: fleet
  serial: [1, "25%", "100%"]
  gather_facts: false
  tasks:
    - name: deploy
      shell: ./deploy.sh
      changed_when: true
      failed_when: false
    - name: health
      check:
        command:
          healthcheck:
            exit-status: 0
`

func TestHealthGateStopsTheRollout(t *testing.T) {
	inv := testInventory(t, 12)
	pb := parseTest(t, inv, rolling)
	fake := &remotetest.Fake{Scripts: map[string]remotetest.Script{}}
	fake.Scripts["h03"] = remotetest.Script{ExitCode: 1} // batch 2 is h02..h04
	out := runTest(t, pb, inv, fake, Options{Forks: 4})

	if !strings.Contains(out.report.Stopped, `health gate: the check task "health" failed on h03`) {
		t.Errorf("Stopped = %q", out.report.Stopped)
	}
	if got := out.report.Plays[0].Batches; len(got) != 3 || len(got[0]) != 1 || len(got[1]) != 3 || len(got[2]) != 8 {
		t.Errorf("batches = %v", got)
	}
	if got := out.report.Plays[0].NotRun; len(got) != 8 || got[0] != "h05" {
		t.Errorf("NotRun = %v", got)
	}
	for _, h := range []string{"h01", "h02", "h03", "h04"} {
		if s := out.stats(h); s.Changed != 1 || fake.Dials(h) != 1 {
			t.Errorf("%s: stats %+v, dials %d; want changed once over one connection", h, s, fake.Dials(h))
		}
	}
	if s := out.stats("h03"); s.Failed != 1 {
		t.Errorf("h03 stats = %+v, want the health check failed", s)
	}
	if fake.Dials("h05") != 0 || fake.Open() != 0 {
		t.Errorf("h05 dialled %d times, %d connections left open", fake.Dials("h05"), fake.Open())
	}
	failed, unreachable, _ := out.report.Totals()
	if failed != 1 || unreachable != 0 {
		t.Errorf("Totals = %d failed, %d unreachable", failed, unreachable)
	}
}

func TestMaxFailIsGlobalAcrossBatches(t *testing.T) {
	const src = `
- hosts: fleet
  serial: 1
  max_fail: %s
  gather_facts: false
  tasks:
    - shell: ./upgrade
`
	for _, tt := range []struct {
		maxFail string
		ran     int  // hosts that ran
		stopped bool // the run stops (no later play runs)
	}{
		{"0", 2, true},     // the first failure (h02) stops the play
		{"1", 4, true},     // one failure allowed; h04's is the second: exceeded after the last batch
		{`"25%"`, 4, true}, // 1 of 4 is 25%, not more; 2 of 4 is
		{`"50%"`, 4, false},
		{`"24%"`, 2, true},
	} {
		t.Run(tt.maxFail, func(t *testing.T) {
			inv := testInventory(t, 4)
			pb := parseTest(t, inv, strings.Replace(src, "%s", tt.maxFail, 1))
			fake := &remotetest.Fake{Scripts: map[string]remotetest.Script{"h02": {ExitCode: 1}, "h04": {ExitCode: 1}}}
			out := runTest(t, pb, inv, fake, Options{})
			ran := 0
			for _, h := range []string{"h01", "h02", "h03", "h04"} {
				ran += fake.Dials(h)
			}
			if ran != tt.ran {
				t.Errorf("%d hosts ran, want %d (stopped: %q)", ran, tt.ran, out.report.Stopped)
			}
			if tt.stopped != (out.report.Stopped != "") {
				t.Errorf("Stopped = %q", out.report.Stopped)
			}
		})
	}
}

func TestHandlersRunOnceAtTheEnd(t *testing.T) {
	inv := testInventory(t, 3)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - shell: step-one
      notify: restart
    - shell: step-two
      notify: restart
      when: idx != 2
    - shell: step-three
  handlers:
    - name: restart
      shell: systemctl restart app
    - name: never notified
      shell: should-not-run
`)
	fake := &remotetest.Fake{}
	runTest(t, pb, inv, fake, Options{})
	for _, h := range []string{"h01", "h02", "h03"} {
		cmds := commandsOf(fake, h)
		if n := countOf(cmds, "systemctl restart app"); n != 1 || cmds[len(cmds)-1] != "systemctl restart app" {
			t.Errorf("%s ran %v; want the handler once, last", h, cmds)
		}
		if slices.Contains(cmds, "should-not-run") {
			t.Errorf("%s ran a handler nobody notified", h)
		}
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func TestLinearRunsEachTaskEverywhereFirst(t *testing.T) {
	inv := testInventory(t, 4)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - {name: one, shell: "1"}
    - {name: two, shell: "2"}
    - {name: three, shell: "3"}
`)
	fake := &remotetest.Fake{Scripts: map[string]remotetest.Script{"h01": {Output: []remotetest.Chunk{remotetest.Stdout("slow\n")}}}}
	out := runTest(t, pb, inv, fake, Options{Forks: 2})
	var order []string
	for _, ev := range out.events {
		if ev.Kind == EventResult {
			order = append(order, ev.Result.Task)
		}
	}
	want := "one one one one two two two two three three three three"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("results in order %q, want %q", got, want)
	}
}

func TestFreeStrategyHasNoBarrier(t *testing.T) {
	inv := testInventory(t, 3)
	pb := parseTest(t, inv, `
- hosts: fleet
  strategy: free
  gather_facts: false
  tasks:
    - {name: one, shell: "1"}
    - {name: two, shell: "2"}
`)
	fake := &remotetest.Fake{Scripts: map[string]remotetest.Script{"h02": {ExitCode: 1}}}
	out := runTest(t, pb, inv, fake, Options{})
	for _, ev := range out.events {
		if ev.Kind == EventTaskStart {
			t.Errorf("free strategy reported a task start (a barrier): %s", ev.Task)
		}
	}
	if got := out.statuses("two"); len(got) != 2 || slices.Contains(got, "h02=changed") {
		t.Errorf("task two ran on %v; want h01 and h03 only", got)
	}
}

func TestLoopRegisterWhenUntil(t *testing.T) {
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - name: echo
      shell: echo {{ item }}
      loop: [a, "{{ inventory_hostname }}"]
      register: echoed
    - name: ready
      shell: status
      register: st
      retries: 5
      delay: 1ms
      until: st.attempts >= 3
    - name: when registered
      debug: {msg: "{{ st.stdout }} after {{ st.attempts }}"}
      when: '"up" in st.stdout and echoed.results | length == 2'
    - name: when false
      debug: {msg: never}
      when: st.rc != 0
    - name: until never true
      shell: status
      retries: 1
      delay: 1ms
      until: false
      ignore_errors: true
`)
	fake := &remotetest.Fake{Default: remotetest.Script{Output: []remotetest.Chunk{remotetest.Stdout("up\n")}}}
	out := runTest(t, pb, inv, fake, Options{})
	cmds := commandsOf(fake, "h01")
	if cmds[0] != "echo a" || cmds[1] != "echo h01" {
		t.Errorf("loop ran %v", cmds[:2])
	}
	if got := out.statuses("when registered"); len(got) != 1 || got[0] != "h01=ok" {
		t.Errorf("when registered: %v", got)
	}
	for _, ev := range out.events {
		if ev.Kind != EventResult {
			continue
		}
		switch r := ev.Result; r.Task {
		case "ready":
			if r.Attempts != 3 || r.Status != StatusChanged {
				t.Errorf("ready: %d attempts, %s", r.Attempts, r.Status)
			}
		case "when registered":
			if r.Msg != "up after 3" { // stdout without its trailing newline, as Ansible's
				t.Errorf("debug msg = %q", r.Msg)
			}
		case "when false":
			if r.Status != StatusSkipped {
				t.Errorf("when false: %s", r.Status)
			}
		case "until never true":
			if r.Status != StatusFailed || !r.Ignored || r.Attempts != 2 {
				t.Errorf("until never true: %s ignored=%v attempts=%d", r.Status, r.Ignored, r.Attempts)
			}
		}
	}
	if s := out.stats("h01"); s.Failed != 0 || s.Ignored != 1 || s.Skipped != 1 {
		t.Errorf("stats = %+v", s)
	}
}

func TestUnreachableHostLeavesOthersGoOn(t *testing.T) {
	inv := testInventory(t, 3)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - {name: one, shell: "1"}
    - {name: two, shell: "2"}
`)
	fake := &remotetest.Fake{Scripts: map[string]remotetest.Script{
		"h02": {DialErr: remote.Errorf(remote.ClassRefused, "dial", "connection refused")},
	}}
	out := runTest(t, pb, inv, fake, Options{})
	if s := out.stats("h02"); s.Unreachable != 1 {
		t.Errorf("h02 stats = %+v", s)
	}
	if got := out.statuses("two"); len(got) != 2 {
		t.Errorf("task two ran on %v", got)
	}
	_, unreachable, _ := out.report.Totals()
	if unreachable != 1 {
		t.Errorf("unreachable = %d", unreachable)
	}
}

func TestCheckModePredictsWithoutChanging(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := writeString(victim, "x"); err != nil {
		t.Fatal(err)
	}
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - {name: change, shell: "rm -f `+victim+`"}
    - {name: say, debug: {msg: hello}}
    - {name: put, copy: {content: "new\n", dest: "`+victim+`"}}
`)
	out := runTest(t, pb, inv, local.Dialer{}, Options{Check: true, Target: localTarget})
	if data, err := os.ReadFile(victim); err != nil || string(data) != "x" {
		t.Errorf("check mode changed the file: %q, %v", data, err)
	}
	if got := out.statuses("change"); got[0] != "h01=skipped" {
		t.Errorf("change: %v", got)
	}
	if got := out.statuses("say"); got[0] != "h01=ok" {
		t.Errorf("say: %v", got)
	}
	if got := out.statuses("put"); got[0] != "h01=changed" {
		t.Errorf("put predicts a change: %v", got)
	}
}

// localTarget runs a test host on the controller.
func localTarget(h *inventory.Host) remote.Target {
	return remote.Target{Name: h.Name, Transport: remote.KindLocal, Vars: h.Vars}
}

func TestCopyIsIdempotent(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "app.conf")
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - name: put
      copy: {content: "hello\n", dest: "`+dest+`"}
`)
	if got := runTest(t, pb, inv, local.Dialer{}, Options{Target: localTarget}).statuses("put"); got[0] != "h01=changed" {
		t.Errorf("new content: %v", got)
	}
	if got := runTest(t, pb, inv, local.Dialer{}, Options{Target: localTarget}).statuses("put"); got[0] != "h01=ok" {
		t.Errorf("same content: %v", got)
	}
	if data, err := os.ReadFile(dest); err != nil || string(data) != "hello\n" {
		t.Errorf("dest = %q, %v", data, err)
	}
}

func TestSecretsAreMaskedInResults(t *testing.T) {
	inv := testInventory(t, 1)
	path := t.TempDir() + "/play.yaml"
	src := "- hosts: fleet\n  gather_facts: false\n  tasks:\n    - debug: {msg: \"token={{ lookup('env', 'API_TOKEN') }}\"}\n"
	if err := writeString(path, src); err != nil {
		t.Fatal(err)
	}
	pb, err := Load(path, LoadOptions{LookupEnv: func(n string) (string, bool) { return "s3cr3t-value", n == "API_TOKEN" }})
	if err != nil {
		t.Fatal(err)
	}
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{})
	for _, r := range out.report.Results {
		if strings.Contains(r.Msg, "s3cr3t") || r.Msg != "token="+Mask {
			t.Errorf("msg = %q", r.Msg)
		}
	}
}

func TestSecretVariablesAreMaskedInDebug(t *testing.T) {
	inv := testInventory(t, 1)
	dir := t.TempDir()
	// JSON escapes <, & and " in debug var's output: the secret must be
	// masked before it is encoded.
	if err := writeString(dir+"/vault.yaml", "vault_secret: 'v<&\"ault-1'\n"); err != nil {
		t.Fatal(err)
	}
	src := "- hosts: fleet\n  gather_facts: false\n  vars:\n    db_password: 'p<&\"ss-1'\n  vars_files: [vault.yaml]\n  tasks:\n" +
		"    - debug: {var: db_password}\n" +
		"    - debug: {var: vault_secret}\n" +
		"    - debug: {msg: 'dsn=pg://u:{{ db_password }}@db'}\n"
	if err := writeString(dir+"/play.yaml", src); err != nil {
		t.Fatal(err)
	}
	pb, err := Load(dir+"/play.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{})
	var msgs []string
	for _, r := range out.report.Results {
		msgs = append(msgs, r.Msg)
	}
	want := []string{`db_password = "` + Mask + `"`, `vault_secret = "` + Mask + `"`, "dsn=pg://u:" + Mask + "@db"}
	if !slices.Equal(msgs, want) {
		t.Errorf("messages = %q, want %q", msgs, want)
	}
}

func TestSecretsAreMaskedInErrorHints(t *testing.T) {
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, "- hosts: fleet\n  gather_facts: false\n  vars: {db_password: p4ss-secret-1}\n  tasks:\n    - debug: {msg: hi}\n")
	dialErr := &remote.Error{Class: remote.ClassAuth, Op: "auth", Err: errors.New("denied"), Hint: "try p4ss-secret-1 again"}
	out := runTest(t, pb, inv, &remotetest.Fake{Default: remotetest.Script{DialErr: dialErr}}, Options{})
	if len(out.report.Results) == 0 {
		t.Fatal("no result")
	}
	for _, r := range out.report.Results {
		if strings.Contains(r.Msg, "p4ss") || !strings.Contains(r.Msg, "hint: try "+Mask+" again") {
			t.Errorf("msg = %q", r.Msg)
		}
	}
}

// A host that times out connecting is unreachable, as Ansible says, and
// timed out, as exec says of it: it counts once, as timed out (exit bit 4),
// not as a failed task.
func TestConnectTimeoutIsUnreachable(t *testing.T) {
	inv := testInventory(t, 2)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - {name: one, shell: "1"}
`)
	fake := &remotetest.Fake{Scripts: map[string]remotetest.Script{
		"h02": {DialErr: &remote.Error{Class: remote.ClassTimeout, Op: "dial", Err: errors.New("i/o timeout"), Hint: "raise the connect timeout"}},
	}}
	out := runTest(t, pb, inv, fake, Options{})
	if s := out.stats("h02"); s.Unreachable != 1 || s.Failed != 0 || !s.TimedOut {
		t.Errorf("h02 stats = %+v, want unreachable=1 failed=0 timed out", s)
	}
	if got := out.statuses("connect"); len(got) != 1 || got[0] != "h02=unreachable" {
		t.Errorf("connect results %v", got)
	}
	failed, unreachable, timedOut := out.report.Totals()
	if failed != 0 || unreachable != 0 || timedOut != 1 {
		t.Errorf("totals failed=%d unreachable=%d timed out=%d, want 0, 0, 1 (as exec counts the host)", failed, unreachable, timedOut)
	}
}

// A task that outlives the per-host --timeout says so, with the hint about
// that timeout, not what the transport called the end of its context.
func TestTaskTimeoutNamesThePerHostTimeout(t *testing.T) {
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - {name: slow, shell: "sleep 30"}
`)
	fake := &remotetest.Fake{Default: remotetest.Script{Hang: true}}
	out := runTest(t, pb, inv, fake, Options{Timeout: 20 * time.Millisecond})
	var r *TaskResult
	for _, ev := range out.events {
		if ev.Kind == EventResult && ev.Result.Task == "slow" {
			r = ev.Result
		}
	}
	if r == nil || r.Status != StatusFailed || !r.TimedOut ||
		r.Msg != "timeout: run: no result within 20ms; hint: the per-host timeout is 20ms: raise it if the host needs longer" {
		t.Fatalf("result %+v", r)
	}
}

// TestJinjaVariables runs templates over Ansible's names: a loop from a
// template, hostvars and groups of the other hosts, group_names, and a
// registered output holding braces, which is never templated again.
func TestJinjaVariables(t *testing.T) {
	inv := testInventory(t, 2)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  vars:
    pkgs: [a, b]
    label: "pkg-{{ idx }}"
  tasks:
    - name: loop
      shell: echo {{ item }}
      loop: "{{ pkgs | map('upper') | list }}"
    - name: magic
      shell: echo {{ label }} {{ groups['fleet'] | join(',') }} {{ hostvars['h02'].idx }} {{ group_names }}
    - name: braces
      shell: out
      register: out
    - name: raw
      shell: echo {{ out.stdout | trim }}
      when: out.stdout is search('^[{]')
`)
	fake := &remotetest.Fake{Default: remotetest.Script{Output: []remotetest.Chunk{remotetest.Stdout("{{ idx }}\n")}}}
	runTest(t, pb, inv, fake, Options{})
	want := []string{"echo A", "echo B", "echo pkg-1 h01,h02 2 ['fleet']", "out", "echo {{ idx }}"}
	if got := commandsOf(fake, "h01"); !slices.Equal(got, want) {
		t.Errorf("commands = %q, want %q", got, want)
	}
}

// TestEventsKeepTheRenderersOrder checks the order of the one channel of a
// run, whatever the hosts' pace: the play's start first, each batch's start
// before its tasks, each task's start before any result of it in the batch,
// results of unreachable hosts (reported by the batch's reader) inside
// their batch, the play's end last.
func TestEventsKeepTheRenderersOrder(t *testing.T) {
	inv := testInventory(t, 12)
	pb := parseTest(t, inv, `
- name: ordered
  hosts: fleet
  serial: [2, 10]
  gather_facts: false
  tasks:
    - name: one
      shell: "true"
    - name: two
      debug: { msg: "{{ inventory_hostname }}" }
    - name: three
      shell: "true"
`)
	fake := &remotetest.Fake{Scripts: map[string]remotetest.Script{}, Default: remotetest.Script{Delay: time.Millisecond}}
	fake.Scripts["h05"] = remotetest.Script{Delay: 20 * time.Millisecond}
	fake.Scripts["h07"] = remotetest.Script{Lost: true}
	fake.Scripts["h08"] = remotetest.Script{DialErr: remote.Errorf(remote.ClassRefused, "dial", "connection refused")}
	out := runTest(t, pb, inv, fake, Options{Forks: 3})

	if len(out.events) == 0 || out.events[0].Kind != EventPlayStart || out.events[len(out.events)-1].Kind != EventPlayEnd {
		t.Fatalf("events do not start with the play's start and end with its end: %+v", out.events)
	}
	batch, started := 0, map[string]bool{}
	results := 0
	for _, ev := range out.events[1 : len(out.events)-1] {
		switch ev.Kind {
		case EventBatchStart:
			batch, started = ev.Batch, map[string]bool{}
		case EventTaskStart:
			started[ev.Task] = true
		case EventResult:
			results++
			if batch == 0 {
				t.Errorf("result %s/%s before any batch", ev.Result.Host, ev.Result.Task)
			}
			if ev.Result.Task != "connect" && ev.Result.Task != "timeout" && !started[ev.Result.Task] {
				t.Errorf("batch %d: result of %s on %s before the task's start", batch, ev.Result.Task, ev.Result.Host)
			}
		default:
			t.Errorf("unexpected event %+v", ev)
		}
	}
	if results != len(out.report.Results) {
		t.Errorf("%d results on the channel, %d in the report", results, len(out.report.Results))
	}
	if batch != 2 {
		t.Errorf("%d batches; want 2", batch)
	}
	if s := out.stats("h08"); s.Unreachable != 1 {
		t.Errorf("h08: %+v; want unreachable once (reported by the batch's reader)", s)
	}
}
