package playbook

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/playbook/module"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

func TestIgnoreUnreachableKeepsTheHostAndReconnects(t *testing.T) {
	inv := testInventory(t, 3)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  ignore_unreachable: true
  tasks:
    - {name: one, shell: "1"}
    - {name: said, debug: {msg: still here}}
    - {name: two, shell: "2"}
    - {name: strict, shell: "3", ignore_unreachable: false}
    - {name: after, debug: {msg: gone}}
`)
	fake := &remotetest.Fake{Scripts: map[string]remotetest.Script{
		"h02": {Lost: true},
		"h03": {DialErr: remote.Errorf(remote.ClassRefused, "dial", "connection refused")},
	}}
	out := runTest(t, pb, inv, fake, Options{})
	for host, want := range map[string]HostStats{
		"h01": {Host: "h01", OK: 5, Changed: 3},
		"h02": {Host: "h02", OK: 3, Ignored: 2, Unreachable: 1},
		"h03": {Host: "h03", OK: 3, Ignored: 2, Unreachable: 1},
	} {
		got := out.stats(host)
		got.TimedOut, got.Cancelled = false, false
		if got != want {
			t.Errorf("%s: recap %+v, want %+v", host, got, want)
		}
	}
	if got := out.statuses("after"); len(got) != 1 || got[0] != "h01=ok" {
		t.Errorf("after ran as %v", got)
	}
	if n := fake.Dials("h02"); n != 3 { // the first, then before two and strict
		t.Errorf("h02 dialed %d times", n)
	}
}

func TestTaskAnyErrorsFatalEndsThePlay(t *testing.T) {
	for _, c := range []struct {
		keyword string
		ran     int
	}{{"any_errors_fatal: true", 0}, {"any_errors_fatal: false", 2}} {
		inv := testInventory(t, 3)
		pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - block:
        - {name: one, shell: "1"}
      `+c.keyword+`
    - {name: two, shell: "2"}
`)
		fake := &remotetest.Fake{Scripts: map[string]remotetest.Script{"h02": {ExitCode: 1}}}
		out := runTest(t, pb, inv, fake, Options{})
		if got := out.statuses("two"); len(got) != c.ran {
			t.Errorf("%s: two ran as %v", c.keyword, got)
		}
		if stopped := out.report.Stopped != ""; stopped != (c.ran == 0) {
			t.Errorf("%s: stopped = %q", c.keyword, out.report.Stopped)
		}
	}
}

func TestParseJobState(t *testing.T) {
	const tok = "rctlX"
	st, err := parseJobState(tok, "noise\nrctlX status\n{\"started\": 1, \"finished\": 1, \"ansible_job_id\": \"j1.2\", \"rc\": 3}\n"+
		"rctlX stdout 6\nab\ncd\nrctlX stderr 0\n")
	if err != nil {
		t.Fatal(err)
	}
	if !st.finished() || st.timedOut() || st.output() != (moduleOutput("ab\ncd\n", "", 3)) {
		t.Errorf("state = %+v", st)
	}
	st, err = parseJobState(tok, "rctlX status\n{\"msg\": \"Timeout exceeded\", \"failed\": true, \"child_pid\": 9}\n")
	if err != nil || !st.finished() || !st.timedOut() {
		t.Errorf("watchdog state = %+v, %v", st, err)
	}
	if st, err := parseJobState(tok, "rctlX missing\n"); err != nil || !st.missing || st.finished() {
		t.Errorf("missing = %+v, %v", st, err)
	}
	if _, err := parseJobState(tok, "rctlX status\nnot json\n"); err == nil {
		t.Error("a broken job file was read")
	}
}

func TestWatchdogAfterAsAnsible(t *testing.T) {
	for limit, want := range map[int]int{1: 10, 2: 10, 5: 10, 6: 15, 10: 15, 60: 65} {
		if got := watchdogAfter(limit); got != want {
			t.Errorf("watchdogAfter(%d) = %d, want %d", limit, got, want)
		}
	}
}

func moduleOutput(stdout, stderr string, rc int) module.Output {
	return module.Output{Stdout: stdout, Stderr: stderr, RC: rc}
}

func TestShellDirExpandsHomesOnly(t *testing.T) {
	for in, want := range map[string]string{
		"~/.ansible_async":     "~/.ansible_async",
		"~root/.ansible_async": "~root/.ansible_async",
		"~":                    "~",
		"/var/tmp/a b":         "'/var/tmp/a b'",
		"~$(x)/y":              "'~$(x)/y'",
		"~/a b":                "~/'a b'",
	} {
		if got := shellDir(in); got != want {
			t.Errorf("shellDir(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestResetConnectionDialsAgain(t *testing.T) {
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - {name: one, shell: "1"}
    - meta: reset_connection
    - {name: said, debug: {msg: no connection needed}}
    - {name: two, shell: "2"}
    - {name: three, shell: "3"}
`)
	fake := &remotetest.Fake{}
	out := runTest(t, pb, inv, fake, Options{})
	if n := fake.Dials("h01"); n != 2 {
		t.Errorf("h01 dialed %d times, want 2", n)
	}
	if n := fake.Open(); n != 0 {
		t.Errorf("%d connections left open", n)
	}
	if s := out.stats("h01"); s.OK != 4 || s.Failed != 0 { // meta: is not counted, as Ansible's
		t.Errorf("recap %+v", s)
	}
}

func TestFreeStrategyAsAnsible(t *testing.T) {
	inv := testInventory(t, 3)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  strategy: free
  tasks:
    - {name: once, shell: "1", run_once: true}
`)
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{})
	if got := out.statuses("once"); len(got) != 3 { // Ansible warns and runs it everywhere
		t.Errorf("run_once with strategy free ran as %v", got)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"site.yml": "- hosts: all\n  strategy: free\n  tasks:\n    - add_host: name=x\n"})
	if _, err := Load(filepath.Join(dir, "site.yml"), LoadOptions{}); err == nil || !strings.Contains(err.Error(), "bypasses the host loop") {
		t.Errorf("add_host with strategy free: %v", err)
	}
}

func TestLaterPlaysKeepTheLimit(t *testing.T) {
	inv := testInventory(t, 3)
	pb := parseTest(t, inv, `
- hosts: fleet
  gather_facts: false
  tasks:
    - add_host: {name: newhost, groups: made}
    - add_host: {name: h02, groups: made}
    - group_by: {key: "by_{{ inventory_hostname }}"}
- hosts: all
  gather_facts: false
  tasks:
    - {name: everyone, debug: {msg: hi}}
- hosts: made
  gather_facts: false
  tasks:
    - {name: made, debug: {msg: hi}}
`)
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{Selection: Selection{Limit: "h01"}})
	if got := out.statuses("everyone"); !slices.Equal(got, []string{"h01=ok"}) { // as Ansible's: the limit holds
		t.Errorf("the play on all ran as %v", got)
	}
	if got := out.statuses("made"); len(got) != 0 {
		t.Errorf("the play on made ran as %v", got)
	}
	out = runTest(t, pb, inv, &remotetest.Fake{}, Options{})
	if got := out.statuses("made"); !slices.Equal(got, []string{"h02=ok", "newhost=ok"}) && !slices.Equal(got, []string{"newhost=ok", "h02=ok"}) {
		t.Errorf("without a limit, the play on made ran as %v", got)
	}
}
