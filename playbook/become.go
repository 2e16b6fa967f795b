package playbook

import (
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/playbook/jinja"
	"github.com/remotectl/remotectl/playbook/module"
	"github.com/remotectl/remotectl/remote"
)

// The become methods remotectl implements: Ansible's sudo and su become
// plugins (su over SSH: remote/ssh's su.go).
const (
	becomeSudo = "sudo"
	becomeSu   = "su"
)

// becomeMethodName returns the plugin a become_method names (its FQCN
// shortened), and whether remotectl implements it.
func becomeMethodName(m string) (string, bool) {
	m = strings.TrimPrefix(strings.TrimPrefix(m, "ansible.builtin."), "ansible.legacy.")
	return m, m == becomeSudo || m == becomeSu
}

// becomeMethod reads a become_method keyword: sudo or su, or a template
// decided per host (a method it names that remotectl lacks then fails the
// task before anything runs).
func (p *parser) becomeMethod(v *yaml.Node) string {
	raw := p.Str(v, "become_method")
	if jinja.IsTemplate(raw) {
		p.checkTemplates(v)
		return raw
	}
	m, ok := becomeMethodName(raw)
	if !ok {
		p.Errorf(v, "become_method: sudo or su", "become_method %q: remotectl becomes another user with sudo or su only", raw)
		return ""
	}
	return m
}

// becomeHow is how a task becomes its user, besides whether and whom.
type becomeHow struct {
	method   string // sudo or su
	flags    string // su's become_flags
	password string // from the host's variables; "" leaves the run's (-K)
}

// becomeHow returns the task's become method, flags and password as
// Ansible's PlayContext decides them: the host's variables
// (ansible_become_method, ansible_become_flags, ansible_become_password)
// over the task's keywords (inherited from its block, role and play), over
// the command line and ansible.cfg (the target's BecomeMethod), over sudo.
func (r *actionRun) becomeHow() becomeHow {
	h := becomeHow{method: cmpOr(r.task.BecomeMethod, r.target.BecomeMethod, becomeSudo)}
	if jinja.IsTemplate(h.method) { // become_method: "{{ method }}"
		if m, err := (Text{Raw: h.method, eng: r.task.eng}).render(r.vars); err == nil {
			h.method = m
		}
		if name, ok := becomeMethodName(h.method); ok {
			h.method = name
		}
	}
	if m := r.hostVarString("ansible_become_method"); m != "" {
		if name, ok := becomeMethodName(m); ok {
			h.method = name
		} else {
			h.method = m // refused by the transport, naming it
		}
	}
	if r.task.BecomeFlags != nil {
		h.flags = *r.task.BecomeFlags
	}
	for _, name := range []string{"ansible_become_flags", "ansible_" + h.method + "_flags"} {
		if _, ok := r.vars[name]; ok {
			h.flags = r.hostVarString(name)
		}
	}
	for _, name := range becomePasswordVars(h.method) {
		if v := r.hostVarString(name); v != "" {
			h.password = v
			break
		}
	}
	return h
}

// becomePasswordVars are the variables the become plugin reads its
// password from, in its order (sudo.py's and su.py's become_pass).
func becomePasswordVars(method string) []string {
	return []string{"ansible_become_password", "ansible_become_pass", "ansible_" + method + "_pass"}
}

// hostVarString is a variable of the task as a string, templated; "" when
// it is unset or cannot be rendered.
func (r *actionRun) hostVarString(name string) string {
	v, ok := r.vars[name]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		return jinja.String(v) // a number, or a value marked unsafe
	}
	if jinja.IsTemplate(s) {
		out, err := (Text{Raw: s, eng: r.task.eng}).render(r.vars)
		if err != nil {
			return ""
		}
		s = out
	}
	return s
}

// moduleBecome is the task's become as modules see it.
func (r *actionRun) moduleBecome() module.Become {
	become, user := r.become()
	how := r.becomeHow()
	return module.Become{Enabled: become, User: user, Method: how.method, Flags: how.flags, Password: how.password}
}

// applyBecome sets the task's become on a command.
func (r *actionRun) applyBecome(cmd *remote.Cmd) {
	cmd.Become, cmd.BecomeUser = r.become()
	how := r.becomeHow()
	cmd.BecomeMethod, cmd.BecomeFlags, cmd.BecomePassword = how.method, how.flags, how.password
}

// cmpOr is the first of ss that is not empty.
func cmpOr(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
