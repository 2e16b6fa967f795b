package playbook

import "fmt"

// askPrompts answers the play's vars_prompt into play.PromptVars, as
// Ansible does when the play starts: a variable -e gives is not asked; on
// a terminal each prompt is asked (an empty answer takes the default); with
// no terminal the default is taken, and a prompt without one stops the
// play (Ansible would set the string "None"). A private answer is a secret.
// It returns why the play stops, "" to go on.
func (e *executor) askPrompts(play *Play) string {
	answers := map[string]any{}
	for _, vp := range play.Prompts {
		if _, ok := e.opts.ExtraVars[vp.Name]; ok {
			continue
		}
		if e.opts.Prompt == nil {
			if !vp.HasDefault {
				return fmt.Sprintf("vars_prompt %q: stdin is not a terminal, so remotectl does not prompt; give it with -e %s=VALUE (or a default: in the prompt)", vp.Name, vp.Name)
			}
			answers[vp.Name] = vp.Default
			continue
		}
		v, err := askPrompt(e.opts.Prompt, vp)
		if err != nil {
			return fmt.Sprintf("vars_prompt %q: %v", vp.Name, err)
		}
		if v == "" && vp.HasDefault {
			answers[vp.Name] = vp.Default
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
