package playbook

import (
	"fmt"
	"io"

	"github.com/remotectl/remotectl/playbook/jinja"
)

// notPrompting is Ansible's warning when a vars_prompt is not asked for
// want of a terminal (Display.do_var_prompt).
const notPrompting = "Not prompting as we are not in interactive mode"

// askPrompts answers the play's vars_prompt into play.PromptVars, as
// Ansible does when the play starts (PlaybookExecutor.run and
// Display.do_var_prompt): a variable -e gives is not asked; on a terminal
// each prompt is asked; with no terminal nothing is asked and Ansible's
// warning is given once. An empty answer (or none) takes the default, and
// without a default it is the string "None"; the value is always text, as
// Ansible's to_text makes it (a default of 5 is "5"). A private answer is a
// secret. It returns why the play stops, "" to go on.
func (e *executor) askPrompts(play *Play) string {
	answers := map[string]any{}
	for _, vp := range play.Prompts {
		if _, ok := e.opts.ExtraVars[vp.Name]; ok {
			continue
		}
		v := ""
		if e.opts.Prompt == nil {
			e.warnOnce(notPrompting)
		} else {
			var err error
			if v, err = askPrompt(e.ask, vp); err != nil {
				return fmt.Sprintf("vars_prompt %q: %v", vp.Name, err)
			}
		}
		if v == "" {
			answers[vp.Name] = promptDefault(vp)
			continue
		}
		if vp.Private {
			e.pb.Secrets.Add(v)
		}
		answers[vp.Name] = v
	}
	play.PromptVars = answers
	return ""
}

// promptDefault is the value of a prompt not answered: its default as
// text, else Python's str(None).
func promptDefault(vp VarPrompt) string {
	if !vp.HasDefault {
		return "None"
	}
	return jinja.String(vp.Default)
}

// WarnTo is an Options.Warn writing "remotectl: warning: MSG" lines to w.
func WarnTo(w io.Writer) func(string) {
	return func(msg string) { _, _ = io.WriteString(w, "remotectl: warning: "+msg+"\n") }
}

// warnOnce gives a warning through Options.Warn, once per run for the same
// text, as Ansible's Display.warning.
func (e *executor) warnOnce(msg string) {
	if e.opts.Warn == nil {
		return
	}
	e.warnMu.Lock()
	defer e.warnMu.Unlock()
	if e.warned == nil {
		e.warned = map[string]bool{}
	}
	if !e.warned[msg] {
		e.warned[msg] = true
		e.opts.Warn(msg)
	}
}

// askPrompt asks one vars_prompt with Ansible's wording, twice when it
// must be confirmed, until both answers match.
func askPrompt(ask func(string, bool) (string, error), vp VarPrompt) (string, error) {
	msg := "input for " + vp.Name + ": "
	switch {
	case vp.Prompt != "" && vp.HasDefault:
		msg = fmt.Sprintf("%s [%v]: ", vp.Prompt, vp.Default)
	case vp.Prompt != "":
		msg = vp.Prompt + ": "
	}
	for again := ""; ; again = "***** VALUES ENTERED DO NOT MATCH ****\n" {
		v, err := ask(again+msg, !vp.Private)
		if err != nil || !vp.Confirm {
			return v, err
		}
		second, err := ask("confirm "+msg, !vp.Private)
		if err != nil || second == v {
			return v, err
		}
	}
}
