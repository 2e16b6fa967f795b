package playbook

import (
	"context"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/playbook/module"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// testModule is a module of the test: it records its calls and returns
// a result with stdout and a diff.
func testModule(check module.CheckSupport, windows bool, calls *[]*module.Call) *module.Module {
	return &module.Module{Name: "probe", Collection: "ansible.builtin", Check: check, Windows: windows, Diff: true,
		Params: []module.Param{{Name: "path", Type: module.Path, Required: true}, {Name: "mode", Type: module.Mode}},
		Run: func(_ context.Context, c *module.Call) (module.Result, error) {
			*calls = append(*calls, c)
			return module.Result{"changed": true, "stdout": "a\nb\n", "path": c.Args.Str("path"),
				"diff": map[string]any{"before": "x\n", "after": "y\n", "before_header": "p", "after_header": "p"}}, nil
		}}
}

func TestModuleCallCheckDiffAndRegister(t *testing.T) {
	var calls []*module.Call
	m := testModule(module.CheckFull, false, &calls)
	src := `
- hosts: fleet
  gather_facts: false
  vars:
    file: /etc/x
  tasks:
    - name: probe
      ping: {data: "{{ file }}"}
      register: out
    - name: show
      debug: {msg: "{{ out.stdout_lines | join(',') }} {{ out.path }} {{ out.changed }}"}
`
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, src)
	a := pb.Plays[0].Tasks[0].Action.(*ModuleAction)
	a.Module, a.Args = m, map[string]any{"path": "{{ file }}", "mode": 420}
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{Check: true, Diff: true})
	if len(calls) != 1 || !calls[0].Check || !calls[0].Diff || calls[0].Args.Str("path") != "/etc/x" || calls[0].Args.Str("mode") != "0644" {
		t.Fatalf("calls = %+v", calls)
	}
	if got := out.msgs("show", "h01"); len(got) != 1 || got[0] != "a,b /etc/x True" {
		t.Errorf("registered = %q", got)
	}
	for _, ev := range out.events {
		if ev.Kind == EventResult && ev.Result.Task == "probe" && ev.Result.Diff == nil {
			t.Errorf("diff mode: no diff in %+v", ev.Result)
		}
	}

	// A module without check mode support is skipped in check mode, as
	// Ansible's; check_mode: false runs it anyway.
	calls = nil
	a.Module = testModule(module.CheckNone, false, &calls)
	out = runTest(t, pb, inv, &remotetest.Fake{}, Options{Check: true})
	if len(calls) != 0 || out.msgs("probe", "h01")[0] != "skipped, remote module does not support check mode" {
		t.Errorf("CheckNone in check mode: calls %d, %q", len(calls), out.msgs("probe", "h01"))
	}
	off := false
	pb.Plays[0].Tasks[0].CheckMode = &off
	runTest(t, pb, inv, &remotetest.Fake{}, Options{Check: true})
	if len(calls) != 1 || calls[0].Check {
		t.Errorf("check_mode: false: calls %+v", calls)
	}

	// A POSIX module on a Windows host fails with a clear message.
	pb.Plays[0].Tasks[0].CheckMode = nil
	calls = nil
	fake := &remotetest.Fake{Default: remotetest.Script{OS: remote.OSWindows}}
	out = runTest(t, pb, inv, fake, Options{})
	if len(calls) != 0 || !strings.Contains(out.msgs("probe", "h01")[0], "runs on POSIX hosts, and this host is Windows") {
		t.Errorf("windows: %q", out.msgs("probe", "h01"))
	}
}

// TestWindowsSetupName: ansible.windows.setup is the executor's setup
// (which gathers a Windows host's facts with the module's PowerShell
// script); on a POSIX host it fails, as the PowerShell module would.
func TestWindowsSetupName(t *testing.T) {
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, "- hosts: fleet\n  gather_facts: false\n  tasks:\n"+
		"    - name: facts\n      ansible.windows.setup: {gather_subset: [min]}\n")
	if a, ok := pb.Plays[0].Tasks[0].Action.(*BuiltinAction); !ok || a.Name != "setup" {
		t.Fatalf("action %#v, want the executor's setup", pb.Plays[0].Tasks[0].Action)
	}
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{})
	if msgs := out.msgs("facts", "h01"); len(msgs) != 1 || !strings.Contains(msgs[0], "ansible.windows.setup is the setup module of Windows hosts") {
		t.Errorf("on a POSIX host: %q", msgs)
	}
}
