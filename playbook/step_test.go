package playbook

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/remotectl/remotectl/remote/remotetest"
)

// stepIncludePlay has tasks an include_tasks and an include_role run.
var stepIncludeFiles = map[string]string{
	"site.yml": "- hosts: fleet\n  gather_facts: false\n  tasks:\n" +
		"    - name: first\n      debug: {msg: first}\n" +
		"    - name: inc\n      include_tasks: inc.yml\n" +
		"    - include_role: {name: r}\n" +
		"    - name: last\n      debug: {msg: last}\n",
	"inc.yml":                "- name: child one\n  debug: {msg: c1}\n- name: child two\n  debug: {msg: c2}\n",
	"roles/r/tasks/main.yml": "- name: role task\n  debug: {msg: rt}\n",
}

// stepPrompt is --step's question for a task, as Ansible words it.
func stepPrompt(task string) string {
	return "Perform task: TASK: " + task + " (N)o/(y)es/(c)ontinue: "
}

// TestStepIntoIncludes: --step asks for the tasks include_tasks and
// include_role run too, once for the batch, with the names ansible-playbook
// gives them (its transcript on a terminal: "TASK: child one", "TASK:
// include_role : r", "TASK: r : role task"); "n" skips an included task on
// every host, "c" stops asking.
func TestStepIntoIncludes(t *testing.T) {
	inv := testInventory(t, 2)
	dir := t.TempDir()
	writeFiles(t, dir, stepIncludeFiles)
	pb, err := Load(filepath.Join(dir, "site.yml"), LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	term := &promptScript{answers: []string{"y", "y", "y", "y", "y", "y", "y"}}
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{Prompt: term.ask, Step: true})
	want := []string{stepPrompt("first"), stepPrompt("inc"), stepPrompt("child one"), stepPrompt("child two"),
		stepPrompt("include_role : r"), stepPrompt("r : role task"), stepPrompt("last")}
	if !slices.Equal(term.asked, want) {
		t.Errorf("asked %q,\nwant %q", term.asked, want)
	}
	if got := out.debugMsgs("r : role task"); len(got) != 2 {
		t.Errorf("role task ran on %q", got)
	}

	term = &promptScript{answers: []string{"y", "y", "n", "c"}}
	out = runTest(t, pb, inv, &remotetest.Fake{}, Options{Prompt: term.ask, Step: true})
	if want := want[:4]; !slices.Equal(term.asked, want) {
		t.Errorf("asked %q,\nwant %q", term.asked, want)
	}
	for task, n := range map[string]int{"child one": 0, "child two": 2, "r : role task": 2, "last": 2} {
		if got := out.debugMsgs(task); len(got) != n {
			t.Errorf("task %s ran on %q, want %d hosts", task, got, n)
		}
	}
	_ = os.Remove(dir)
}
