package playbook

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"strings"
	"time"

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
	Result map[string]any
	Diff   any // the result's diff, in diff mode
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
		if s, ok := m[k].(string); ok {
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
	if r.task.BecomeUser != "" {
		user = r.task.BecomeUser
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
	cmd.Become, cmd.BecomeUser = r.become()
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

// pathExists tests a path on the host.
func (r *actionRun) pathExists(ctx context.Context, p string) (bool, error) {
	cmd := &remote.Cmd{Args: []string{"test", "-e", p}}
	if r.windows() {
		cmd = &remote.Cmd{Shell: powershell(fmt.Sprintf("if (Test-Path -LiteralPath %s) { exit 0 } else { exit 1 }", psQuote(p)))}
	}
	_, _, rc, err := r.exec(ctx, cmd)
	return rc == 0, err
}

// guards applies creates/removes: a non-nil Outcome (ok, not run, or
// failed when a path cannot be rendered) means the command must not run.
func (r *actionRun) guards(ctx context.Context, creates, removes Text) (*Outcome, error) {
	for _, g := range []struct {
		path       Text
		runIfThere bool
		why        string
	}{{creates, false, "exists (creates)"}, {removes, true, "does not exist (removes)"}} {
		if g.path.Raw == "" {
			continue
		}
		p, err := r.render(g.path)
		if err != nil {
			return failed("%v", err), nil
		}
		there, err := r.pathExists(ctx, p)
		if err != nil {
			return nil, err
		}
		if there != g.runIfThere {
			return &Outcome{Msg: "not run: " + p + " " + g.why}, nil
		}
	}
	return nil, nil
}

func rcPtr(rc int) *int { return &rc }

// failed is an Outcome for an action that could not do its work.
func failed(format string, args ...any) *Outcome {
	return &Outcome{Failed: true, Msg: fmt.Sprintf(format, args...)}
}

// commandOutcome is the outcome of a command: changed when it ran, even
// when it failed, as Ansible's command module (a command cannot tell what
// it changed; changed_when can).
func commandOutcome(stdout, stderr string, rc int) *Outcome {
	o := &Outcome{Changed: true, Failed: rc != 0, RC: rcPtr(rc), Stdout: stdout, Stderr: stderr}
	if rc != 0 {
		o.Msg = fmt.Sprintf("non-zero exit status %d", rc)
	}
	return o
}

// CommandAction runs a command: shell: through the remote shell (pipes,
// redirections), command: as an argv.
type CommandAction struct {
	Shell            bool
	Cmd              Text
	Argv             []Text
	Creates, Removes Text
	Chdir            Text
}

func (a *CommandAction) Kind() string {
	if a.Shell {
		return "shell"
	}
	return "command"
}

func (a *CommandAction) summary() string {
	if a.Cmd.Raw != "" {
		return a.Cmd.Raw
	}
	parts := make([]string, len(a.Argv))
	for i, t := range a.Argv {
		parts[i] = t.Raw
	}
	return strings.Join(parts, " ")
}

func (a *CommandAction) readOnly() bool { return false }

func (a *CommandAction) run(ctx context.Context, r *actionRun) (*Outcome, error) {
	if out, err := r.guards(ctx, a.Creates, a.Removes); out != nil || err != nil {
		return out, err
	}
	cmd := &remote.Cmd{}
	var err error
	if cmd.Dir, err = r.render(a.Chdir); err != nil {
		return failed("%v", err), nil
	}
	switch {
	case a.Shell:
		if cmd.Shell, err = r.render(a.Cmd); err != nil {
			return failed("%v", err), nil
		}
	case len(a.Argv) > 0:
		for _, t := range a.Argv {
			s, err := r.render(t)
			if err != nil {
				return failed("%v", err), nil
			}
			cmd.Args = append(cmd.Args, s)
		}
	default:
		line, err := r.render(a.Cmd)
		if err != nil {
			return failed("%v", err), nil
		}
		if cmd.Args, err = splitWords(line); err != nil {
			return failed("command: %v", err), nil
		}
	}
	stdout, stderr, rc, err := r.exec(ctx, cmd)
	if err != nil {
		return nil, err
	}
	return commandOutcome(stdout, stderr, rc), nil
}

// ScriptAction uploads a local script and runs it.
type ScriptAction struct {
	Src              string
	Args             Text
	Creates, Removes Text
	content          []byte
}

func (a *ScriptAction) Kind() string    { return "script" }
func (a *ScriptAction) summary() string { return strings.TrimSpace(a.Src + " " + a.Args.Raw) }
func (a *ScriptAction) readOnly() bool  { return false }

func (a *ScriptAction) run(ctx context.Context, r *actionRun) (*Outcome, error) {
	if out, err := r.guards(ctx, a.Creates, a.Removes); out != nil || err != nil {
		return out, err
	}
	args, err := r.render(a.Args)
	if err != nil {
		return failed("%v", err), nil
	}
	remotePath := "/tmp/.remotectl-script-" + randomSuffix() + path.Ext(a.Src)
	run := shellQuote(remotePath) + " " + args
	cleanup := &remote.Cmd{Args: []string{"rm", "-f", remotePath}}
	if r.windows() {
		remotePath = `C:\Windows\Temp\remotectl-script-` + randomSuffix() + ".ps1"
		run = "powershell -NoProfile -NonInteractive -ExecutionPolicy Bypass -File " + remotePath + " " + args
		cleanup = &remote.Cmd{Shell: powershell("Remove-Item -Force -LiteralPath " + psQuote(remotePath))}
	}
	if err := r.tr.Upload(ctx, remotePath, bytes.NewReader(a.content), 0o700); err != nil {
		return uploadFailure(err)
	}
	stdout, stderr, rc, err := r.exec(ctx, &remote.Cmd{Shell: strings.TrimSpace(run)})
	if _, _, _, cerr := r.exec(ctx, cleanup); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return commandOutcome(stdout, stderr, rc), nil
}

// uploadFailure tells a failed upload of a reachable host (permissions,
// no space) from a broken connection.
func uploadFailure(err error) (*Outcome, error) {
	if c := remote.ClassOf(err); c.Unreachable() || c == remote.ClassTimeout || c == remote.ClassCancelled {
		return nil, err
	}
	return failed("%v", remote.Wrap(remote.FileClass(err), "upload", err)), nil // class: upload: ..., once
}

// CopyAction puts a file on the host: copy: (src or content) or template:
// (src rendered with the variables). The host's file is only replaced, and
// the task only changed, when its checksum (or mode) differs.
type CopyAction struct {
	Template bool
	Src      string
	Content  Text // the content; for template:, the parsed template file
	Dest     Text
	Mode     *fs.FileMode
	Owner    Text
}

func (a *CopyAction) Kind() string {
	if a.Template {
		return "template"
	}
	return "copy"
}

func (a *CopyAction) summary() string {
	src := a.Src
	if src == "" {
		src = "content"
	}
	return src + " -> " + a.Dest.Raw
}

func (a *CopyAction) readOnly() bool { return false }

func (a *CopyAction) run(ctx context.Context, r *actionRun) (*Outcome, error) {
	content, err := r.render(a.Content)
	if err != nil {
		return failed("%v", err), nil
	}
	dest, err := r.render(a.Dest)
	if err != nil {
		return failed("%v", err), nil
	}
	owner, err := r.render(a.Owner)
	if err != nil {
		return failed("%v", err), nil
	}
	sum := sha256.Sum256([]byte(content))
	want := hex.EncodeToString(sum[:])
	extra := map[string]any{"dest": dest, "checksum": want}
	have, mode, err := r.remoteState(ctx, dest)
	if err != nil {
		return nil, err
	}
	modeOK := a.Mode == nil || r.windows() || mode == fmt.Sprintf("%o", *a.Mode)
	if have == want && modeOK && owner == "" {
		return &Outcome{Extra: extra}, nil
	}
	if have == want && owner == "" {
		return r.chmod(ctx, dest, *a.Mode, extra)
	}
	if out, err := r.install(ctx, []byte(content), dest, a.Mode, owner); out != nil || err != nil {
		return out, err
	}
	return &Outcome{Changed: have != want || !modeOK, Extra: extra}, nil
}

// remoteState returns the sha256 and octal mode of a file on the host, ""
// when it does not exist.
func (r *actionRun) remoteState(ctx context.Context, dest string) (sum, mode string, err error) {
	cmd := &remote.Cmd{Shell: fmt.Sprintf("if [ -f %[1]s ]; then sha256sum -- %[1]s | cut -d' ' -f1; stat -c %%a -- %[1]s; fi", shellQuote(dest))}
	if r.windows() {
		cmd = &remote.Cmd{Shell: powershell(fmt.Sprintf("if (Test-Path -LiteralPath %[1]s) { (Get-FileHash -Algorithm SHA256 -LiteralPath %[1]s).Hash.ToLower() }", psQuote(dest)))}
	}
	stdout, _, _, err := r.exec(ctx, cmd)
	if err != nil {
		return "", "", err
	}
	fields := strings.Fields(stdout)
	if len(fields) > 0 {
		sum = fields[0]
	}
	if len(fields) > 1 {
		mode = fields[1]
	}
	return sum, mode, nil
}

func (r *actionRun) chmod(ctx context.Context, dest string, mode fs.FileMode, extra map[string]any) (*Outcome, error) {
	_, stderr, rc, err := r.exec(ctx, &remote.Cmd{Args: []string{"chmod", fmt.Sprintf("%o", mode), dest}})
	if err != nil {
		return nil, err
	}
	if rc != 0 {
		return failed("chmod %s: %s", dest, strings.TrimSpace(stderr)), nil
	}
	return &Outcome{Changed: true, Extra: extra}, nil
}

// install uploads content to a temporary file, then moves it into place
// with the mode (and owner) asked for, through sudo when the task becomes
// another user. A nil Outcome and error mean success.
func (r *actionRun) install(ctx context.Context, content []byte, dest string, mode *fs.FileMode, owner string) (*Outcome, error) {
	if r.windows() {
		if err := r.tr.Upload(ctx, dest, bytes.NewReader(content), 0o644); err != nil {
			return uploadFailure(err)
		}
		return nil, nil
	}
	perm := fs.FileMode(0o644)
	if mode != nil {
		perm = *mode
	}
	tmp := path.Join(path.Dir(dest), ".remotectl-"+randomSuffix())
	if become, _ := r.become(); become {
		tmp = "/tmp/.remotectl-" + randomSuffix()
	}
	if err := r.tr.Upload(ctx, tmp, bytes.NewReader(content), 0o600); err != nil {
		return uploadFailure(err)
	}
	script := fmt.Sprintf("chmod %o %s && mv -f %s %s", perm, shellQuote(tmp), shellQuote(tmp), shellQuote(dest))
	if owner != "" {
		script = fmt.Sprintf("chown %s %s && %s", shellQuote(owner), shellQuote(tmp), script)
	}
	script += fmt.Sprintf(" || { rc=$?; rm -f %s; exit $rc; }", shellQuote(tmp))
	_, stderr, rc, err := r.exec(ctx, &remote.Cmd{Shell: script})
	if err != nil {
		return nil, err
	}
	if rc != 0 {
		return failed("installing %s: %s", dest, strings.TrimSpace(stderr)), nil
	}
	return nil, nil
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
		return &Outcome{Msg: msg}, nil
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
	shown := r.host.br.e.pb.Secrets.RedactValue(v)
	text, err := json.Marshal(shown)
	if err != nil {
		text = []byte(fmt.Sprint(shown))
	}
	return &Outcome{Msg: a.Var.Src + " = " + string(text), Extra: map[string]any{"value": v}}, nil
}

// DefaultWaitTimeout bounds wait_for without a timeout:.
const DefaultWaitTimeout = 300 * time.Second

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

// powershell wraps a PowerShell script in a command line that works from
// cmd and PowerShell shells alike.
func powershell(script string) string {
	return `powershell -NoProfile -NonInteractive -Command "` + strings.ReplaceAll(script, `"`, `\"`) + `"`
}

func randomSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// splitWords splits a command line into words: spaces separate, single and
// double quotes group, backslash escapes (outside single quotes).
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\\' && i+1 < len(line) && quote != '\'':
			i++
			cur.WriteByte(line[i])
			inWord = true
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", quote, line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	return words, nil
}
