package playbook

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/remotectl/remotectl/remote/remotetest"
)

// promptScript is a terminal that answers prompts in turn and records them.
type promptScript struct {
	mu      sync.Mutex
	answers []string
	asked   []string
	echoed  []bool
}

func (p *promptScript) ask(msg string, echo bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked, p.echoed = append(p.asked, msg), append(p.echoed, echo)
	if len(p.answers) == 0 {
		return "", errors.New("EOF")
	}
	a := p.answers[0]
	p.answers = p.answers[1:]
	return a, nil
}

// debugMsgs returns "host=msg" of the named debug task's results.
func (o runOutcome) debugMsgs(task string) []string {
	var out []string
	for _, ev := range o.events {
		if ev.Kind == EventResult && ev.Result.Task == task {
			out = append(out, ev.Result.Host+"="+ev.Result.Msg)
		}
	}
	slices.Sort(out)
	return out
}

// TestPauseOnTerminal: pause without seconds asks once for the batch
// (Ansible's BYPASS_HOST_LOOP) with Ansible's prompt, and only the first
// host registers the answer, as in Ansible.
func TestPauseOnTerminal(t *testing.T) {
	inv := testInventory(t, 3)
	pb := parseTest(t, inv, "- hosts: fleet\n  gather_facts: false\n  tasks:\n"+
		"    - name: wait here\n      pause: {prompt: Go on}\n      register: p\n"+
		"    - name: hidden\n      pause: {echo: false}\n"+
		"    - name: show\n      debug: {msg: \"{{ p.user_input | default('unset') }}\"}\n")
	term := &promptScript{answers: []string{"yes", ""}}
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{Prompt: term.ask})
	if want := []string{"[wait here]\nGo on:", "[hidden]\nPress enter to continue, Ctrl+C to interrupt (output is hidden):"}; !slices.Equal(term.asked, want) {
		t.Errorf("asked %q, want %q", term.asked, want)
	}
	if want := []bool{true, false}; !slices.Equal(term.echoed, want) {
		t.Errorf("echo %v, want %v", term.echoed, want)
	}
	if got, want := out.debugMsgs("show"), []string{"h01=yes", "h02=unset", "h03=unset"}; !slices.Equal(got, want) {
		t.Errorf("debug %q, want %q", got, want)
	}
}

// TestPauseWithoutTerminal: with no terminal a pause without seconds does
// not wait (Ansible: "Not waiting for response to prompt as stdin is not
// interactive") and the play goes on.
func TestPauseWithoutTerminal(t *testing.T) {
	inv := testInventory(t, 2)
	pb := parseTest(t, inv, "- hosts: fleet\n  gather_facts: false\n  tasks:\n"+
		"    - pause:\n      register: p\n"+
		"    - name: show\n      debug: {msg: \"[{{ p.user_input }}] {{ p.stdout }}\"}\n      when: p is defined\n")
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{})
	if got := out.debugMsgs("show"); len(got) != 2 || got[0] != "h01=[] Paused for 0.0 minutes" {
		t.Errorf("debug %q", got)
	}
	if s := out.stats("h02"); s.Failed != 0 || s.Skipped != 1 {
		t.Errorf("h02 stats %+v", s)
	}
}

const varsPromptPlay = "- hosts: fleet\n  gather_facts: false\n  vars_prompt:\n" +
	"    - {name: secret, prompt: Password, confirm: true}\n" +
	"    - {name: colour, prompt: Colour, default: blue, private: false}\n" +
	"    - {name: given}\n" +
	"  tasks:\n    - name: show\n      debug: {msg: \"{{ secret | default('-') }} {{ colour }} {{ given | default('-') }}\"}\n"

// TestVarsPromptOnTerminal: prompts asked with Ansible's wording, confirm
// asked again until both match, an empty answer takes the default, -e
// answers a prompt, a private answer is a secret.
func TestVarsPromptOnTerminal(t *testing.T) {
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, varsPromptPlay)
	term := &promptScript{answers: []string{"s3cret-one", "s3cret-two", "s3cret-one", "s3cret-one", ""}}
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{Prompt: term.ask, ExtraVars: map[string]any{"given": "from-e"}})
	want := []string{"Password: ", "confirm Password: ", "***** VALUES ENTERED DO NOT MATCH ****\nPassword: ", "confirm Password: ", "Colour [blue]: "}
	if !slices.Equal(term.asked, want) {
		t.Errorf("asked %q, want %q", term.asked, want)
	}
	if want := []bool{false, false, false, false, true}; !slices.Equal(term.echoed, want) {
		t.Errorf("echo %v, want %v", term.echoed, want)
	}
	if got := out.debugMsgs("show"); len(got) != 1 || !strings.HasSuffix(got[0], " blue from-e") {
		t.Errorf("debug %q", got)
	}
	if red := pb.Secrets.Redact("pw s3cret-one"); strings.Contains(red, "s3cret-one") {
		t.Errorf("the private answer is not a secret: %q", red)
	}
}

// TestVarsPromptWithoutTerminal: nothing is asked and the play goes on
// (as Ansible's, TestOracleVarsPromptNoTerminal): defaults are taken as
// text, a prompt without one is the string "None", and Ansible's warning
// is given once for all of them.
func TestVarsPromptWithoutTerminal(t *testing.T) {
	inv := testInventory(t, 1)
	pb := parseTest(t, inv, varsPromptPlay)
	var warned []string
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{ExtraVars: map[string]any{"given": "x"},
		Warn: func(m string) { warned = append(warned, m) }})
	if got, want := out.debugMsgs("show"), []string{"h01=None blue x"}; !slices.Equal(got, want) {
		t.Errorf("debug %q, want %q", got, want)
	}
	if len(out.report.Plays) != 1 || out.report.Plays[0].Stopped != "" {
		t.Errorf("report %+v", out.report.Plays)
	}
	if want := []string{"Not prompting as we are not in interactive mode"}; !slices.Equal(warned, want) {
		t.Errorf("warnings %q, want %q", warned, want)
	}
	pb = parseTest(t, inv, strings.Replace(varsPromptPlay, "default: blue", "default: 5", 1))
	out = runTest(t, pb, inv, &remotetest.Fake{}, Options{ExtraVars: map[string]any{"given": "x"}})
	if got, want := out.debugMsgs("show"), []string{"h01=None 5 x"}; !slices.Equal(got, want) {
		t.Errorf("debug %q, want %q", got, want)
	}
}

// TestStep: --step asks before each task once per batch with Ansible's
// wording (not before meta tasks or handlers): "n" skips the task on every
// host, "y" runs it, "c" runs it and stops asking for the rest of the play.
func TestStep(t *testing.T) {
	inv := testInventory(t, 2)
	pb := parseTest(t, inv, "- hosts: fleet\n  gather_facts: false\n  tasks:\n"+
		"    - name: one\n      debug: {msg: one}\n"+
		"    - name: two\n      debug: {msg: two}\n      notify: h\n"+
		"    - meta: flush_handlers\n"+
		"    - name: three\n      debug: {msg: three}\n"+
		"    - name: four\n      debug: {msg: four}\n"+
		"  handlers:\n    - name: h\n      debug: {msg: handled}\n")
	term := &promptScript{answers: []string{"n", "yes", "c"}}
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{Prompt: term.ask, Step: true})
	want := []string{"Perform task: TASK: one (N)o/(y)es/(c)ontinue: ", "Perform task: TASK: two (N)o/(y)es/(c)ontinue: ",
		"Perform task: TASK: three (N)o/(y)es/(c)ontinue: "}
	if !slices.Equal(term.asked, want) {
		t.Errorf("asked %q, want %q", term.asked, want)
	}
	for task, n := range map[string]int{"one": 0, "two": 2, "three": 2, "four": 2} {
		if got := out.debugMsgs(task); len(got) != n {
			t.Errorf("task %s ran on %q, want %d hosts", task, got, n)
		}
	}
	for _, ev := range out.events {
		if ev.Kind == EventTaskStart && ev.Task == "one" {
			t.Errorf("the declined task was announced")
		}
	}
	free := parseTest(t, inv, "- hosts: fleet\n  strategy: free\n  gather_facts: false\n  tasks:\n    - debug: {msg: x}\n")
	out = runTest(t, free, inv, &remotetest.Fake{}, Options{Prompt: term.ask, Step: true})
	if !strings.Contains(out.report.Stopped, "strategy: free") {
		t.Errorf("--step with the free strategy: stopped %q", out.report.Stopped)
	}
}
