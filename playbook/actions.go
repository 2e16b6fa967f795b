package playbook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/remotectl/remotectl/playbook/jinja"
	"github.com/remotectl/remotectl/remote"
)

// Action is what a task does on a host.
type Action interface {
	// Kind is the action's name as written in a task: shell, copy, ...
	Kind() string
	// summary describes the action's arguments in one short line.
	summary() string
	// readOnly reports whether the action leaves hosts as they are, so it
	// runs in check mode.
	readOnly() bool
	// run performs the action. An error means the host cannot go on (its
	// connection broke, its deadline passed); a failure of the action itself
	// is Outcome.Failed.
	run(ctx context.Context, r *actionRun) (*Outcome, error)
}

// Outcome is what an action did.
type Outcome struct {
	Changed bool
	Failed  bool
	Msg     string
	RC      *int
	Stdout  string
	Stderr  string
	// Extra are further fields of the registered result (dest, checksum, ...).
	Extra map[string]any
	// Result is a module's whole result (Ansible's keys), nil for the
	// actions that predate the module registry.
	Result  map[string]any
	Diff    any  // the result's diff, in diff mode
	Skipped bool // the module skipped the work (check mode, creates:)
	// ActionOnly marks the result of an action that ran no module (pause):
	// Ansible adds stdout_lines and stderr_lines to module results only.
	ActionOnly bool
}

// registered is what register: stores: stdout, stderr, their lines, rc,
// changed, failed, msg and the action's own fields.
func (o *Outcome) registered() map[string]any {
	if o.Result != nil {
		return o.moduleRegistered()
	}
	m := map[string]any{
		"changed":      o.Changed,
		"failed":       o.Failed,
		"skipped":      false,
		"msg":          o.Msg,
		"stdout":       o.Stdout,
		"stderr":       o.Stderr,
		"stdout_lines": splitLines(o.Stdout),
		"stderr_lines": splitLines(o.Stderr),
	}
	if o.RC != nil {
		m["rc"] = *o.RC
	}
	for k, v := range o.Extra {
		m[k] = v
	}
	return m
}

func splitLines(s string) []any {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return []any{}
	}
	parts := strings.Split(s, "\n")
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = strings.TrimSuffix(p, "\r")
	}
	return out
}

// moduleRegistered is what register: stores of a module's result: its
// keys, changed and failed as the task decided them, stdout_lines and
// stderr_lines beside stdout and stderr.
func (o *Outcome) moduleRegistered() map[string]any {
	m := maps.Clone(o.Result)
	m["changed"], m["failed"] = o.Changed, o.Failed
	if o.Msg != "" {
		m["msg"] = o.Msg
	}
	for _, k := range []string{"stdout", "stderr"} {
		if s, ok := m[k].(string); ok && !o.ActionOnly {
			m[k+"_lines"] = splitLines(s)
		}
	}
	maps.Copy(m, o.Extra)
	return m
}

// actionRun is one action on one host: its connection and variables.
type actionRun struct {
	host        *hostRun
	task        *Task
	vars        map[string]any
	check, diff bool // the task runs in check mode, in diff mode
	// tr and target are the connection the action uses: the host's, or
	// the delegate's (delegate_to).
	tr     remote.Transport
	target *remote.Target
}

func (r *actionRun) render(t Text) (string, error) { return t.render(r.vars) }

// become returns the privilege settings of the task: the task's, else the
// play's, else the inventory's.
func (r *actionRun) become() (bool, string) {
	play := r.host.br.plan.Play
	become, user := r.target.Become || play.Become, play.BecomeUser
	if user == "" {
		user = r.target.BecomeUser
	}
	if r.task.Become != nil {
		become = *r.task.Become
	}
	become = r.host.keyword(r.task, "become", become, become) // become: "{{ x }}"
	if r.task.BecomeUser != "" {
		user = r.task.BecomeUser
	}
	if jinja.IsTemplate(user) { // become_user: "{{ postgresql_user }}"
		if v, err := (Text{Raw: user, eng: r.task.eng}).render(r.vars); err == nil {
			user = v
		}
	}
	return become, user
}

// maxCaptured bounds the output kept of one command.
const maxCaptured = 1 << 20

// cappedBuffer keeps the first maxCaptured bytes written to it.
type cappedBuffer struct {
	bytes.Buffer
	truncated bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := maxCaptured - c.Len(); room < len(p) {
		c.truncated = true
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

// exec runs cmd on the host, capturing its output. The error is a
// transport failure; a non-zero exit is in the returned code.
func (r *actionRun) exec(ctx context.Context, cmd *remote.Cmd) (stdout, stderr string, rc int, err error) {
	var out, errb cappedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	r.applyBecome(cmd)
	res, err := r.tr.Run(ctx, cmd)
	if err != nil {
		return "", "", 0, err
	}
	rc = res.ExitCode
	if res.Signal != "" && rc == 0 {
		rc = -1
	}
	return out.String(), errb.String(), rc, nil
}

func (r *actionRun) windows() bool { return r.tr.OS() == remote.OSWindows }

func rcPtr(rc int) *int { return &rc }

// failed is an Outcome for an action that could not do its work.
func failed(format string, args ...any) *Outcome {
	return &Outcome{Failed: true, Msg: fmt.Sprintf(format, args...)}
}

// DebugAction prints a message or a variable.
type DebugAction struct {
	Msg Text
	Var *Cond
}

func (a *DebugAction) Kind() string { return "debug" }

func (a *DebugAction) summary() string {
	if a.Var != nil {
		return "var " + a.Var.Src
	}
	return a.Msg.Raw
}

func (a *DebugAction) readOnly() bool { return true }

func (a *DebugAction) run(_ context.Context, r *actionRun) (*Outcome, error) {
	if a.Var == nil {
		msg, err := r.render(a.Msg)
		if err != nil {
			return failed("%v", err), nil
		}
		return &Outcome{Msg: msg, Result: map[string]any{"msg": msg, "changed": false}}, nil
	}
	v, err := a.Var.evalValue(r.vars)
	switch {
	case jinja.IsUndefined(err):
		v = "VARIABLE IS NOT DEFINED!" // as Ansible's debug var shows it
	case err != nil:
		return failed("%s: %v", a.Var.Pos, err), nil
	}
	// Masked before it is encoded: JSON escapes some bytes a secret may hold
	// ("\"", "<"), after which the encoded secret would not be found.
	shown := redactValue(r.host.br.e.pb.Secrets, v)
	text, err := json.Marshal(shown)
	if err != nil {
		text = []byte(fmt.Sprint(shown))
	}
	return &Outcome{Msg: a.Var.Src + " = " + string(text), Extra: map[string]any{"value": v}}, nil
}

// connectAction stands for the connection in results of hosts that could
// not be reached.
type connectAction struct{}

func (connectAction) Kind() string                                      { return "connect" }
func (connectAction) summary() string                                   { return "" }
func (connectAction) readOnly() bool                                    { return true }
func (connectAction) run(context.Context, *actionRun) (*Outcome, error) { return &Outcome{}, nil }

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// psQuote quotes s for PowerShell.
func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func randomSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
