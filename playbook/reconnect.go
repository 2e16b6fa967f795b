package playbook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/remotectl/remotectl/playbook/jinja"
	"github.com/remotectl/remotectl/remote"
)

// A host's connection may be lost and dialed again within a batch: a task
// with ignore_unreachable whose host dropped, wait_for_connection and
// reboot. The host then holds a connection of its own (closed when its job
// ends) in place of the one its Runner dialed.

// reconnect dials the host again, within timeout when it is not 0 (the
// target's connect timeout otherwise), and makes the new connection the
// host's.
func (h *hostRun) reconnect(ctx context.Context, timeout time.Duration) error {
	target := *h.target
	if timeout > 0 {
		target.ConnectTimeout = timeout
	}
	tr, err := limitedDialer{d: h.br.e.opts.Dialer, sem: h.br.e.sem}.Dial(ctx, target)
	if err != nil {
		return err
	}
	h.dropConn()
	h.tr, h.ownTr, h.lost = tr, tr, false
	return nil
}

// dropConn closes the connection the host dialed itself, if any.
func (h *hostRun) dropConn() {
	if h.ownTr != nil {
		_ = h.ownTr.Close()
		h.ownTr = nil
	}
}

// needsConnection reports whether an action talks to the host: a module,
// or one of the executor's actions that runs commands.
func needsConnection(a Action) bool {
	switch x := a.(type) {
	case *ModuleAction:
		return true
	case *BuiltinAction:
		switch x.Name {
		case "setup", "gather_facts", "async_status":
			return true
		}
		return false
	case *DebugAction, *IncludeAction, connectAction:
		return false
	}
	return true
}

// unreachableErr reports whether a task's error says the host cannot be
// reached (its connection lost or refused), rather than the run's end.
func unreachableErr(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return false
	}
	class := remote.ClassOf(err)
	return class.Unreachable() || class == remote.ClassTimeout
}

// ignoresUnreachable reports whether the task's unreachable result is
// ignored (ignore_unreachable): the host stays in the play, connected
// again before its next task that needs it.
func (h *hostRun) ignoresUnreachable(ctx context.Context, task *Task, err error) bool {
	return task.IgnoreUnreachable && unreachableErr(ctx, err)
}

// lostTransport stands for a connection that could not be made: every use
// fails with why. A host whose play may connect it later
// (wait_for_connection, ignore_unreachable) starts its job with it.
type lostTransport struct{ err error }

func (l lostTransport) Run(context.Context, *remote.Cmd) (remote.Result, error) {
	return remote.Result{}, l.err
}
func (l lostTransport) Upload(context.Context, string, io.Reader, fs.FileMode) error { return l.err }
func (l lostTransport) Download(context.Context, string, io.Writer) error            { return l.err }
func (l lostTransport) OS() remote.OSFamily                                          { return remote.OSLinux }
func (l lostTransport) Close() error                                                 { return nil }

// patientDialer is the Runner's dialer of a batch whose play may connect a
// host later: a host it cannot reach gets a lostTransport, and its job
// runs (its tasks report it unreachable until it connects).
type patientDialer struct {
	d     remote.Dialer
	retry remote.RetryPolicy // the Runner's, applied here: the Runner sees no failure
}

func (p patientDialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	tr, err := p.retry.Dial(ctx, p.d, t)
	if err != nil && unreachableErr(ctx, err) {
		return lostTransport{err: err}, nil
	}
	return tr, err
}

// connectsLater reports whether a plan's hosts may connect after a
// failed first attempt: a task of it waits for the connection or ignores
// unreachable hosts.
func (p *PlayPlan) connectsLater() bool {
	for _, t := range p.steps() {
		if t.IgnoreUnreachable {
			return true
		}
		if a, ok := t.Action.(*BuiltinAction); ok && a.Name == "wait_for_connection" {
			return true
		}
	}
	return false
}

// intArg reads a numeric argument of an executor action, def when absent.
func intArg(args map[string]any, key string, def int) (int, error) {
	v, ok := args[key]
	if !ok || v == nil {
		return def, nil
	}
	f, err := toFloat(v)
	if err != nil {
		return 0, fmt.Errorf("%s must be a number, not %s", key, jinja.String(v))
	}
	return int(f), nil
}

// runWaitForConnection is wait_for_connection: after delay, dial the host
// again (each attempt within connect_timeout) and run a trivial command,
// every sleep seconds until it works or timeout passes.
func runWaitForConnection(ctx context.Context, r *actionRun, args map[string]any) (*Outcome, error) {
	var n [4]int
	for i, p := range []struct {
		key string
		def int
	}{{"connect_timeout", 5}, {"delay", 0}, {"sleep", 1}, {"timeout", 600}} {
		v, err := intArg(args, p.key, p.def)
		if err != nil {
			return failed("%v", err), nil
		}
		n[i] = v
	}
	connectTimeout, delay, sleep, timeout := time.Duration(n[0])*time.Second, time.Duration(n[1])*time.Second,
		time.Duration(n[2])*time.Second, time.Duration(n[3])*time.Second
	if r.check {
		return &Outcome{Skipped: true, Result: map[string]any{"skipped": true, "changed": false}}, nil
	}
	start := time.Now()
	if !remote.Sleep(ctx, delay) {
		return nil, ctx.Err()
	}
	h := r.host
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		last = h.probe(ctx, connectTimeout, "true")
		if last == nil {
			return &Outcome{Result: map[string]any{"changed": false, "elapsed": int(time.Since(start).Seconds())}}, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !remote.Sleep(ctx, sleep) {
			return nil, ctx.Err()
		}
	}
	msg := fmt.Sprintf("timed out waiting for ping module test: %v", last)
	return &Outcome{Failed: true, Msg: msg, Result: map[string]any{"failed": true, "changed": false, "msg": msg,
		"elapsed": int(time.Since(start).Seconds())}}, nil
}

// probe connects the host again and runs command on it (with the task's
// privileges); an error says why it did not work.
func (h *hostRun) probe(ctx context.Context, connectTimeout time.Duration, command string) error {
	if err := h.reconnect(ctx, connectTimeout); err != nil {
		h.lost = true
		return err
	}
	_, _, rc, err := h.shell(ctx, command)
	if err != nil {
		h.lost = true
		return err
	}
	if rc != 0 {
		return fmt.Errorf("%s exited %d", command, rc)
	}
	return nil
}

// shell runs a command line on the host with the running task's become.
func (h *hostRun) shell(ctx context.Context, line string) (stdout, stderr string, rc int, err error) {
	run := &actionRun{host: h, task: h.current, tr: h.tr, target: h.target}
	return run.exec(ctx, &remote.Cmd{Shell: line})
}

// rebootDefaults are ansible.builtin.reboot's, for Linux.
const (
	rebootTestCommand     = "whoami"
	rebootBootTimeCommand = "cat /proc/sys/kernel/random/boot_id"
	rebootMessage         = "Reboot initiated by Ansible"
)

var rebootSearchPaths = []any{"/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin"}

// runReboot is ansible.builtin.reboot: the boot time read, the reboot
// command run (a connection lost meanwhile is the reboot), then, after
// post_reboot_delay, the host dialed again until the boot time differs,
// and test_command run until it succeeds, within reboot_timeout each.
func runReboot(ctx context.Context, r *actionRun, args map[string]any) (*Outcome, error) {
	if r.target.Transport == remote.KindLocal {
		return rebootResult(false, 0, fmt.Sprintf("Running %s with local connection would reboot the control node.", r.task.Key)), nil
	}
	if r.check {
		return &Outcome{Changed: true, Result: map[string]any{"changed": true, "elapsed": 0, "rebooted": true}}, nil
	}
	var n [4]int
	for i, p := range []struct {
		key string
		def int
	}{{"reboot_timeout", 600}, {"connect_timeout", 0}, {"pre_reboot_delay", 0}, {"post_reboot_delay", 0}} {
		def := p.def
		if old, ok := args[p.key+"_sec"]; ok { // the names Ansible still reads
			if f, err := toFloat(old); err == nil {
				def = int(f)
			}
		}
		v, err := intArg(args, p.key, def)
		if err != nil {
			return failed("%v", err), nil
		}
		n[i] = max(v, 0)
	}
	timeout, connectTimeout := time.Duration(n[0])*time.Second, time.Duration(n[1])*time.Second
	h := r.host
	bootCmd := strArg(args, "boot_time_command", rebootBootTimeCommand)
	before, err := h.bootTime(ctx, bootCmd)
	if err != nil {
		if !unreachableErr(ctx, err) && remote.ClassOf(err) != remote.ClassOther {
			return nil, err
		}
		return &Outcome{Failed: true, Msg: err.Error(), Result: map[string]any{"failed": true, "reboot": false, "msg": err.Error(), "changed": false}}, nil
	}
	command, err := h.rebootCommand(ctx, args, n[2])
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return failed("%v", err), nil
	}
	stdout, stderr, rc, err := h.shell(ctx, command)
	start := time.Now()
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil: // the host went down under the command: the reboot began
		h.lost = true
	case rc != 0:
		msg := fmt.Sprintf("Reboot command failed. Error was: '%s, %s'", strings.TrimSpace(stdout), strings.TrimSpace(stderr))
		return rebootResult(false, int(time.Since(start).Seconds()), msg), nil
	}
	if !remote.Sleep(ctx, time.Duration(n[3])*time.Second) {
		return nil, ctx.Err()
	}
	check := func() error {
		if err := h.reconnect(ctx, connectTimeout); err != nil {
			return err
		}
		now, err := h.bootTime(ctx, bootCmd)
		if err != nil {
			h.lost = true
			return err
		}
		if now == "" || now == before {
			return errors.New("boot time has not changed")
		}
		return nil
	}
	if msg, err := untilSuccess(ctx, timeout, "last boot time check", check); err != nil || msg != "" {
		if err != nil {
			return nil, err
		}
		return rebootResult(true, int(time.Since(start).Seconds()), msg), nil
	}
	test := strArg(args, "test_command", rebootTestCommand)
	testIt := func() error {
		if h.lost {
			if err := h.reconnect(ctx, 0); err != nil {
				return err
			}
		}
		out, errOut, rc, err := h.shell(ctx, test)
		if err != nil {
			h.lost = true
			return err
		}
		if rc != 0 {
			return fmt.Errorf("Test command failed: %s %s", errOut, out)
		}
		return nil
	}
	if msg, err := untilSuccess(ctx, timeout, "post-reboot test command", testIt); err != nil || msg != "" {
		if err != nil {
			return nil, err
		}
		return rebootResult(true, int(time.Since(start).Seconds()), msg), nil
	}
	return &Outcome{Changed: true, Result: map[string]any{"changed": true, "rebooted": true, "elapsed": int(time.Since(start).Seconds())}}, nil
}

// rebootResult is a reboot's result: failed with msg when msg is set.
func rebootResult(rebooted bool, elapsed int, msg string) *Outcome {
	res := map[string]any{"changed": false, "rebooted": rebooted, "elapsed": elapsed, "failed": true, "msg": msg}
	return &Outcome{Failed: true, Msg: msg, Result: res}
}

// untilSuccess runs try until it works, within timeout, sleeping as
// Ansible's reboot does between failures (2^n seconds and a random
// fraction, at most 12). It returns Ansible's message when time runs out;
// an error only when ctx ends.
func untilSuccess(ctx context.Context, timeout time.Duration, what string, try func() error) (string, error) {
	deadline := time.Now().Add(timeout)
	for fails := 0; time.Now().Before(deadline); fails++ {
		if try() == nil {
			return "", nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		sleep := time.Duration(1<<min(fails, 4))*time.Second + time.Duration(rand.IntN(1000))*time.Millisecond
		if sleep > 12*time.Second {
			sleep = 12*time.Second + time.Duration(rand.IntN(1000))*time.Millisecond
		}
		if !remote.Sleep(ctx, sleep) {
			return "", ctx.Err()
		}
	}
	return fmt.Sprintf("Timed out waiting for %s (timeout=%d)", what, int(timeout.Seconds())), nil
}

// bootTime runs the boot time command: its output, trimmed.
func (h *hostRun) bootTime(ctx context.Context, command string) (string, error) {
	out, errOut, rc, err := h.shell(ctx, command)
	if err != nil {
		return "", err
	}
	if rc != 0 {
		return "", remote.Wrap(remote.ClassOther, "reboot", fmt.Errorf("%s: failed to get host boot time info, rc: %d, stdout: %s, stderr: %s",
			h.current.Key, rc, out, errOut))
	}
	return strings.TrimSpace(out), nil
}

// rebootCommand is the command that reboots the host: reboot_command, or
// shutdown -r with pre_reboot_delay in minutes and msg, its program found
// in search_paths unless absolute, as Ansible's.
func (h *hostRun) rebootCommand(ctx context.Context, args map[string]any, preDelay int) (string, error) {
	line := strArg(args, "reboot_command", "")
	bin, rest := "shutdown", fmt.Sprintf("-r %d \"%s\"", preDelay/60, strArg(args, "msg", rebootMessage))
	if line != "" {
		bin, rest, _ = strings.Cut(line, " ")
	}
	if strings.HasPrefix(bin, "/") {
		return strings.TrimSpace(bin + " " + rest), nil
	}
	paths := rebootSearchPaths
	if v, ok := args["search_paths"]; ok {
		paths = asList(v)
	}
	var tests []string
	for _, p := range paths {
		d := jinja.String(p)
		tests = append(tests, fmt.Sprintf("[ -e %s ] && { printf '%%s' %s; exit 0; }", shellQuote(d+"/"+bin), shellQuote(d+"/"+bin)))
	}
	out, _, _, err := h.shell(ctx, strings.Join(tests, "\n")+"\nexit 1")
	if err != nil {
		return "", err
	}
	if out == "" {
		return "", fmt.Errorf("Unable to find command \"%s\" in search paths: %s", bin, jinja.String(paths))
	}
	return strings.TrimSpace(out + " " + rest), nil
}

// strArg reads a string argument, def when absent or empty.
func strArg(args map[string]any, key, def string) string {
	if v, ok := args[key]; ok && v != nil {
		if s := jinja.String(v); s != "" {
			return s
		}
	}
	return def
}

// unreachableIgnored reports a task whose host could not be reached, with
// ignore_unreachable: unreachable, ignored (Ansible counts it ok and
// ignored), the host staying in the play.
func (h *hostRun) unreachableIgnored(r *TaskResult, err error) {
	h.lost = true
	r.Status, r.Ignored = StatusUnreachable, true
	r.ErrorClass = remote.ClassOf(err).String()
	msg := err.Error()
	if hint := remote.HintOf(err); hint != "" {
		msg += "; hint: " + hint
	}
	r.Msg = h.br.e.pb.Secrets.Redact(msg)
	h.br.e.emit(Event{Kind: EventResult, Result: r})
}

// delegateFactsTo is the host a task's facts go to: its delegate with
// delegate_facts, "" (this host) otherwise.
func (h *hostRun) delegateFactsTo(task *Task, vars map[string]any) string {
	if !task.DelegateFacts || task.DelegateTo == nil {
		return ""
	}
	name, err := task.DelegateTo.render(vars)
	if err != nil || name == h.host.Name {
		return ""
	}
	return name
}

// factsHost is where the running task's facts go: this host's memory, or
// its delegate's (delegate_facts).
func (h *hostRun) factsHost() (*hostMemory, string) {
	if h.factsTo == "" {
		return h.mem, h.host.Name
	}
	return h.br.e.memory(h.factsTo), h.factsTo
}

// errorsFatal is the task's any_errors_fatal: its own, its block's or
// role's, else the play's.
func (h *hostRun) errorsFatal(task *Task) bool {
	if task.AnyErrorsFatal != nil {
		return *task.AnyErrorsFatal
	}
	return h.br.plan.Play.AnyErrorsFatal
}

// isMeta reports whether a task is a meta: task, which Ansible never counts
// in the recap.
func isMeta(t *Task) bool {
	a, ok := t.Action.(*BuiltinAction)
	return ok && a.Name == "meta"
}
