package winrm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/masterzen/winrm"

	"github.com/remotectl/remotectl/remote"
)

const (
	// stdinChunk is the most input sent in one Send request: its base64
	// form stays well below the envelope size announced.
	stdinChunk = 64 << 10
	// Receive replies with neither output nor an end should not happen (a
	// poll waits for one or the other); if a server sends them anyway, the
	// polls are spaced out between these bounds rather than spun.
	minPollPause = 50 * time.Millisecond
	maxPollPause = time.Second
)

// Transport is a WinRM connection to one Windows host. It implements
// remote.Transport; its methods are safe for concurrent use.
//
// Commands run in a cmd shell (PowerShell ones through powershell.exe
// -EncodedCommand). The shell opened by Dial is reused by one command after
// another; a command with its own environment or working directory, or one
// started while the shared shell is busy, gets a shell of its own, deleted
// after it.
type Transport struct {
	d      *Dialer
	target remote.Target
	cfg    *hostConfig
	client *winrm.Client
	http   *transporter
	ws     *wsman

	mu     sync.Mutex
	idle   string              // the shared shell when no command uses it; "" if none
	shells map[string]struct{} // every shell open, deleted by Close
	closed bool
}

var _ remote.Transport = (*Transport)(nil)

func newTransport(d *Dialer, t remote.Target, cfg *hostConfig) (*Transport, error) {
	h := newTransporter(cfg)
	client, err := newClient(cfg, h)
	if err != nil {
		return nil, err
	}
	return &Transport{
		d:      d,
		target: t,
		cfg:    cfg,
		client: client,
		http:   h,
		ws:     &wsman{url: h.url, params: &client.Parameters, http: h},
		shells: map[string]struct{}{},
	}, nil
}

// Client returns the winrm library client of the host, whose Transporter
// is this transport's (for tools and tests).
func (t *Transport) Client() *winrm.Client { return t.client }

// OS implements remote.Transport: WinRM hosts run Windows.
func (t *Transport) OS() remote.OSFamily { return remote.OSWindows }

// prepare opens the shared shell.
func (t *Transport) prepare(ctx context.Context) error {
	if err := t.http.prepareKerberos(t.cfg); err != nil {
		return classify(opDial, err)
	}
	id, err := t.ws.createShell(ctx, nil, "")
	if err != nil {
		return classify(opDial, err)
	}
	t.mu.Lock()
	t.shells[id] = struct{}{}
	t.idle = id
	t.mu.Unlock()
	return nil
}

// Run runs cmd on the host. Cmd.Args are quoted for the host's shell (cmd
// or PowerShell), Cmd.Shell is passed as is; Cmd.Env and Cmd.Dir become the
// shell's environment and working directory. Output is written to
// cmd.Stdout and cmd.Stderr as it arrives. When ctx is done the command is
// terminated and its shell deleted. Cmd.PTY is ignored; become is not
// supported.
func (t *Transport) Run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
	start := time.Now()
	res, err := t.run(ctx, cmd)
	res.Duration = time.Since(start)
	return res, err
}

// errBecome refuses become: WinRM has no sudo.
func errBecome(op string) error {
	return &remote.Error{Class: remote.ClassOther, Op: op,
		Err:  errors.New("become is not supported over WinRM"),
		Hint: "connect as a user with the rights the command needs"}
}

func (t *Transport) run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
	failed := remote.Result{ExitCode: -1}
	if err := ctx.Err(); err != nil {
		return failed, classify(opRun, err)
	}
	if cmd.Become || t.target.Become {
		return failed, errBecome(opRun)
	}
	line, err := commandLine(t.cfg.shell, cmd)
	if err != nil {
		return failed, &remote.Error{Class: remote.ClassOther, Op: opRun, Err: err}
	}
	return t.exec(ctx, opRun, line, execIO{env: cmd.Env, dir: cmd.Dir, stdin: cmd.Stdin, stdout: cmd.Stdout, stderr: cmd.Stderr})
}

// execIO is what a command gets besides its command line.
type execIO struct {
	env            map[string]string
	dir            string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// exec runs a command line and waits for it (or for ctx).
func (t *Transport) exec(ctx context.Context, op, line string, sio execIO) (remote.Result, error) {
	failed := remote.Result{ExitCode: -1}
	l, commandID, err := t.start(ctx, line, sio)
	if err != nil {
		return failed, classify(op, err)
	}
	res, err := t.wait(ctx, l.id, commandID, sio)
	if err != nil {
		t.abort(ctx, l.id, commandID)
		return failed, classify(op, err)
	}
	t.release(ctx, l)
	return res, nil
}

// lease is a shell held by one command.
type lease struct {
	id     string
	shared bool // the shared shell (no environment nor directory of its own)
	reused bool // taken idle rather than created for this command
}

// start acquires a shell and starts line in it. A shared shell found gone
// (idle timeout, service restart) is replaced once: the command never
// started in it.
func (t *Transport) start(ctx context.Context, line string, sio execIO) (lease, string, error) {
	for attempt := 0; ; attempt++ {
		l, err := t.acquire(ctx, sio.env, sio.dir)
		if err != nil {
			return lease{}, "", err
		}
		id, err := t.ws.command(ctx, l.id, line)
		if err == nil {
			return l, id, nil
		}
		var fault *soapFault
		if errors.As(err, &fault) && fault.shellNotFound() {
			t.forget(l.id)
			if l.reused && attempt == 0 {
				continue
			}
			return lease{}, "", err
		}
		_ = t.discard(ctx, l.id)
		return lease{}, "", err
	}
}

// acquire takes the shared shell when it is idle and suits the command, or
// creates a shell.
func (t *Transport) acquire(ctx context.Context, env map[string]string, dir string) (lease, error) {
	shared := len(env) == 0 && dir == ""
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return lease{}, errClosed
	}
	if shared && t.idle != "" {
		id := t.idle
		t.idle = ""
		t.mu.Unlock()
		return lease{id: id, shared: true, reused: true}, nil
	}
	t.mu.Unlock()
	id, err := t.ws.createShell(ctx, env, dir)
	if err != nil {
		return lease{}, err
	}
	t.mu.Lock()
	closed := t.closed
	if !closed {
		t.shells[id] = struct{}{}
	}
	t.mu.Unlock()
	if closed {
		_ = t.ws.deleteShell(ctx, id)
		return lease{}, errClosed
	}
	return lease{id: id, shared: shared}, nil
}

// release gives back the shell of a command that ran to completion: the
// shared one is kept for the next command, others are deleted.
func (t *Transport) release(ctx context.Context, l lease) {
	t.mu.Lock()
	if l.shared && t.idle == "" && !t.closed {
		t.idle = l.id
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	_ = t.discard(ctx, l.id)
}

// abort stops a command whose outcome is unknown (ctx done, connection
// lost, protocol failure): it signals the command to terminate and deletes
// its shell, within the cleanup timeout, even though ctx is done.
func (t *Transport) abort(ctx context.Context, shellID, commandID string) {
	cleanup, cancel := t.cleanupContext(ctx)
	defer cancel()
	_ = t.ws.terminate(cleanup, shellID, commandID)
	t.forget(shellID)
	_ = t.ws.deleteShell(cleanup, shellID)
}

// discard deletes a shell, within the cleanup timeout.
func (t *Transport) discard(ctx context.Context, shellID string) error {
	t.forget(shellID)
	cleanup, cancel := t.cleanupContext(ctx)
	defer cancel()
	return t.ws.deleteShell(cleanup, shellID)
}

// forget drops a shell from the open ones.
func (t *Transport) forget(shellID string) {
	t.mu.Lock()
	delete(t.shells, shellID)
	if t.idle == shellID {
		t.idle = ""
	}
	t.mu.Unlock()
}

// cleanupContext bounds cleanup work by the cleanup timeout, whether or not
// ctx is done.
func (t *Transport) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), t.d.opts.CleanupTimeout)
}

// wait streams the command's input and output until it ends, ctx is done,
// or an exchange fails.
func (t *Transport) wait(ctx context.Context, shellID, commandID string, sio execIO) (remote.Result, error) {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	t.feed(ctx, stop, shellID, commandID, sio.stdin)
	stdout := &countingWriter{w: sio.stdout}
	stderr := &countingWriter{w: sio.stderr}
	var pause time.Duration
	for {
		before := stdout.n + stderr.n
		done, code, err := t.ws.receive(ctx, shellID, commandID, stdout, stderr)
		var fault *soapFault
		switch {
		case errors.As(err, &fault) && fault.timedOut():
			// The operation timeout passed with nothing new: poll again.
			pause = 0
			continue
		case err != nil:
			if ctx.Err() != nil {
				err = context.Cause(ctx)
			}
			return remote.Result{}, err
		case done:
			return remote.Result{ExitCode: code}, nil
		}
		if stdout.n+stderr.n > before {
			pause = 0
			continue
		}
		pause = min(max(2*pause, minPollPause), maxPollPause)
		remote.Sleep(ctx, pause)
	}
}

// feed sends the command's standard input from r, closing it at the end of
// r, on its own goroutine. A failure to reach the
// server ends the command through fail; a fault (the server refusing input,
// typically because the command has ended) only stops the input, and the
// command's outcome is left to Receive. A reader that blocks keeps the
// goroutine until it returns; nothing is sent once ctx is done.
//
// Without input (r nil), its end is sent at once, before the first
// Receive, on the connection the command was started on: a Send beside
// the Receive long poll would take a connection of its own, opened and
// authenticated for one empty message (and dropped half-authenticated
// when a short command ends first).
func (t *Transport) feed(ctx context.Context, fail context.CancelCauseFunc, shellID, commandID string, r io.Reader) {
	if r == nil {
		err := t.ws.send(ctx, shellID, commandID, nil, true)
		var fault *soapFault
		if err != nil && ctx.Err() == nil && !errors.As(err, &fault) {
			fail(fmt.Errorf("sending standard input: %w", err))
		}
		return
	}
	go func() {
		err := t.sendInput(ctx, shellID, commandID, r)
		var fault *soapFault
		if err == nil || ctx.Err() != nil || errors.As(err, &fault) {
			return
		}
		fail(fmt.Errorf("sending standard input: %w", err))
	}()
}

func (t *Transport) sendInput(ctx context.Context, shellID, commandID string, r io.Reader) error {
	if r == nil {
		return t.ws.send(ctx, shellID, commandID, nil, true)
	}
	buf := make([]byte, stdinChunk)
	for {
		n, readErr := r.Read(buf)
		if ctx.Err() != nil {
			return nil
		}
		eof := readErr != nil
		if n > 0 || eof {
			if err := t.ws.send(ctx, shellID, commandID, buf[:n], eof); err != nil {
				return err
			}
		}
		if eof {
			return nil
		}
	}
}

// Close deletes the transport's shells (ending any command still running)
// and closes its connections. It is safe to call more than once.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	ids := slices.Sorted(maps.Keys(t.shells))
	t.shells = map[string]struct{}{}
	t.idle = ""
	t.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), t.d.opts.CleanupTimeout)
	defer cancel()
	var errs []error
	for _, id := range ids {
		var fault *soapFault
		if err := t.ws.deleteShell(ctx, id); err != nil && !(errors.As(err, &fault) && fault.shellNotFound()) {
			errs = append(errs, fmt.Errorf("deleting shell %s: %w", id, err))
		}
	}
	t.http.close()
	if len(errs) > 0 {
		return classify("close", errors.Join(errs...))
	}
	return nil
}

// countingWriter counts the bytes written through it; a nil w discards.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	if c.w == nil {
		return len(p), nil
	}
	return c.w.Write(p)
}
