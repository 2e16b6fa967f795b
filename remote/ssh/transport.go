package ssh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
)

// osProbeTimeout bounds the `uname -s` run by OS().
const osProbeTimeout = 10 * time.Second

// Transport is one SSH connection to a host, reused for every command and
// file transfer of a job: each Run opens a session on it, transfers share
// one lazily started SFTP client. It implements remote.Transport and
// the capabilities remote.NetDialer and remote.TreeCopier. Its methods are safe for concurrent use.
type Transport struct {
	d      *Dialer
	target remote.Target
	p      *hostParams
	c      *conn

	mu       sync.Mutex
	sftp     *sftp.Client
	sudo     map[string]sudoMode // by become user
	su       map[string]sudoMode // by become user and flags
	osFamily remote.OSFamily
	osKnown  bool
	closed   bool

	// The pool shells (shell.go): idle ones by become user, how many
	// exist (idle and busy), and the become users none could start for.
	shells     map[string][]*shell
	shellCount int
	noShell    map[string]bool
}

var (
	_ remote.Transport  = (*Transport)(nil)
	_ remote.NetDialer  = (*Transport)(nil)
	_ remote.TreeCopier = (*Transport)(nil)
)

func newTransport(d *Dialer, t remote.Target, p *hostParams, c *conn) *Transport {
	return &Transport{d: d, target: t, p: p, c: c, sudo: map[string]sudoMode{}, su: map[string]sudoMode{},
		shells: map[string][]*shell{}, noShell: map[string]bool{}}
}

// Close closes the SFTP client and the connection and releases the jump
// host. It is safe to call more than once.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	sc := t.sftp
	t.mu.Unlock()
	t.CloseShells()
	if sc != nil {
		sc.Close()
	}
	if err := t.c.close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// Run runs cmd on the host. See the package documentation for how the
// command line is built and how a command whose ctx is done is killed.
func (t *Transport) Run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return remote.Result{ExitCode: -1}, classify(opRun, err)
	}
	// A closed transport refuses before touching the connection: x/crypto's
	// NewSession on a connection it is still tearing down can send the
	// channel open and then wait forever for a reply that cannot come.
	if t.isClosed() {
		return remote.Result{ExitCode: -1}, errTransportClosed()
	}
	become := becomeSpec{}
	pw, havePw := t.becomePasswordOf(cmd)
	if cmd.Become || t.target.Become {
		become.user = firstNonEmpty(cmd.BecomeUser, t.target.BecomeUser)
		var mode sudoMode
		var err error
		switch method := firstNonEmpty(cmd.BecomeMethod, t.target.BecomeMethod); method {
		case "", "sudo":
			mode, err = t.sudoMode(ctx, become.user, pw, havePw)
		case becomeMethodSu:
			become.method, become.flags = becomeMethodSu, cmd.BecomeFlags
			mode, err = t.suMode(ctx, become.user, become.flags, pw, havePw)
		default:
			err = &remote.Error{Class: remote.ClassConfig, Op: opBecome,
				Err: fmt.Errorf("become method %q: the SSH transport becomes another user with sudo or su", method)}
		}
		if err != nil {
			return remote.Result{ExitCode: -1, Duration: time.Since(start)}, err
		}
		become.mode = mode
	}
	if key, ok := poolable(cmd, become); ok {
		if res, err := t.runPooled(ctx, cmd, key, become); !errors.Is(err, errNoShell) {
			res.Duration = time.Since(start)
			return res, err
		}
	}
	line, err := buildCommand(cmd, become)
	if err != nil {
		return remote.Result{ExitCode: -1}, &remote.Error{Class: remote.ClassOther, Op: opRun, Err: err}
	}
	stdin, stderr := cmd.Stdin, cmd.Stderr
	var strip *promptStripper
	if become.mode == sudoPassword {
		stdin = passwordThen(pw, cmd.Stdin)
		if become.method == becomeMethodSu {
			strip = &promptStripper{w: orDiscard(cmd.Stderr)}
			stderr = strip
		}
	}
	res, err := t.exec(ctx, line, execIO{stdin: stdin, stdout: cmd.Stdout, stderr: stderr, env: cmd.Env,
		pty: cmd.PTY, keepStdinOpen: guardFor(cmd) == guardStdin, become: become.enabled()})
	if strip != nil {
		strip.flush()
	}
	res.Duration = time.Since(start)
	return res, err
}

// orDiscard is w, or io.Discard when w is nil.
func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// execIO is what a session reads from and writes to.
type execIO struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	env            map[string]string
	pty            bool
	// keepStdinOpen leaves stdin open after stdin is copied, for the stdin
	// guard: end of file is the cue to kill the command.
	keepStdinOpen bool
	become        bool // the command runs under sudo
}

// exec runs one command line in a new session and waits for it, or for ctx.
// The calling goroutine copies stdout itself and one other goroutine copies
// stderr: with a thousand sessions open at once, every goroutine and buffer
// per session counts (see copyOutput).
// newSession opens a session, giving up when ctx is done: x/crypto's
// NewSession can wait forever for the reply to its channel open on a
// connection the server has just cut (its sessions end a moment before
// the connection does). A session that arrives after ctx is done is closed.
func (t *Transport) newSession(ctx context.Context) (*gossh.Session, error) {
	type opened struct {
		sess *gossh.Session
		err  error
	}
	ch := make(chan opened, 1)
	go func() {
		sess, err := t.c.client.NewSession()
		ch <- opened{sess, err}
	}()
	select {
	case o := <-ch:
		if o.err != nil {
			return nil, t.sessionError(o.err)
		}
		return o.sess, nil
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.sess != nil {
				_ = o.sess.Close()
			}
		}()
		return nil, classify(opRun, ctx.Err())
	}
}

func (t *Transport) exec(ctx context.Context, line string, sio execIO) (remote.Result, error) {
	sess, err := t.newSession(ctx)
	if err != nil {
		return remote.Result{ExitCode: -1}, err
	}
	defer sess.Close()
	if sio.pty {
		modes := gossh.TerminalModes{gossh.ECHO: 0, gossh.VEOF: ttyEOF, gossh.TTY_OP_ISPEED: 38400, gossh.TTY_OP_OSPEED: 38400}
		if err := sess.RequestPty("xterm", 24, 80, modes); err != nil {
			return remote.Result{ExitCode: -1}, &remote.Error{Class: remote.ClassOther, Op: opRun, Err: err,
				Hint: "the server refused a pseudo-terminal (PermitTTY?)"}
		}
	}
	sendEnv(sess, sio.env)
	pipes, err := openPipes(sess)
	if err != nil {
		return remote.Result{ExitCode: -1}, t.sessionError(err)
	}
	stdout, stderr := newGate(sio.stdout), newGate(sio.stderr)
	defer stdout.close()
	defer stderr.close()
	if err := sess.Start(line); err != nil {
		return remote.Result{ExitCode: -1}, t.sessionError(err)
	}
	startStdin(pipes.stdin, sio.stdin, !sio.keepStdinOpen, sio.pty)

	ended := make(chan struct{})
	stopTerminate := context.AfterFunc(ctx, func() { t.terminate(sess, pipes.stdin, ended, !sio.become) })
	var errCopy sync.WaitGroup
	errCopy.Go(func() { copyOutput(stderr, pipes.stderr) })
	copyOutput(stdout, pipes.stdout)
	errCopy.Wait()
	err = sess.Wait()
	close(ended)
	if !stopTerminate() {
		return remote.Result{ExitCode: -1}, classify(opRun, ctx.Err())
	}
	return t.result(err)
}

// sessionPipes are a session's three streams.
type sessionPipes struct {
	stdin          *stdinWriter
	stdout, stderr io.Reader
}

func openPipes(sess *gossh.Session) (sessionPipes, error) {
	in, err := sess.StdinPipe()
	if err != nil {
		return sessionPipes{}, err
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		return sessionPipes{}, err
	}
	errOut, err := sess.StderrPipe()
	if err != nil {
		return sessionPipes{}, err
	}
	return sessionPipes{stdin: &stdinWriter{w: in}, stdout: out, stderr: errOut}, nil
}

// idleReadSize is the buffer a session holds while it waits for output.
const idleReadSize = 512

// burstBufs lend a large buffer to a session while its output flows.
var burstBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyOutput copies a session stream to w until the end of the stream. A
// session waiting for output blocks on a small buffer; when a read fills it,
// more is waiting, and the rest is drained through a buffer borrowed from a
// pool until the stream runs dry again. A thousand quiet sessions thus hold
// one megabyte (two streams each) instead of the 64 MB of an io.Copy per
// stream, while a chatty one reads 32 KB at a time.
//
// Writes go to a gate, which never fails; the stream is read to its end
// whatever happens, so that the connection never stalls on an unread
// channel.
func copyOutput(w io.Writer, r io.Reader) {
	var small [idleReadSize]byte
	for {
		n, err := r.Read(small[:])
		if n > 0 {
			_, _ = w.Write(small[:n])
		}
		if err != nil {
			return
		}
		if n == len(small) && !drainBurst(w, r) {
			return
		}
	}
}

// drainBurst copies what r has buffered through a pooled buffer; it returns
// false at the end of the stream.
func drainBurst(w io.Writer, r io.Reader) bool {
	bp := burstBufs.Get().(*[]byte)
	defer burstBufs.Put(bp)
	buf := *bp
	for {
		n, err := r.Read(buf)
		if n > 0 {
			_, _ = w.Write(buf[:n])
		}
		if err != nil {
			return false
		}
		if n < len(buf) {
			return true
		}
	}
}

// terminate stops a running command whose ctx is done (see command.go).
// The end of file on stdin is the stdin guard's cue to kill the command's
// process group. Signal requests (TERM, then KILL after the grace period)
// are sent only when signals reach the whole group, that is without sudo:
// sudo relays a signal to the command's pid alone, which would orphan its
// children and let the guard think the command is over. The channel is
// closed after one grace period and, when even that does not end the
// session within another, the connection: a peer that ignores the close of
// a channel is frozen, and exec must return. The output received so far
// has been written already.
func (t *Transport) terminate(sess *gossh.Session, stdin io.Closer, ended <-chan struct{}, signals bool) {
	grace := t.d.opts.KillGrace
	// Close waits for a write in progress, which may be blocked until the
	// channel closes: do not wait for it here.
	go stdin.Close()
	if signals {
		_ = sess.Signal(gossh.SIGTERM)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-ended:
		return
	case <-timer.C:
	}
	if signals {
		_ = sess.Signal(gossh.SIGKILL)
	}
	_ = sess.Close()
	timer.Reset(grace)
	select {
	case <-ended:
		return
	case <-timer.C:
	}
	_ = t.c.client.Close()
}

// result converts the outcome of Session.Wait.
func (t *Transport) result(err error) (remote.Result, error) {
	var exitErr *gossh.ExitError
	switch {
	case err == nil:
		return remote.Result{}, nil
	case errors.As(err, &exitErr):
		return remote.Result{ExitCode: exitErr.ExitStatus(), Signal: strings.TrimPrefix(exitErr.Signal(), "SIG")}, nil
	case errors.As(err, new(*gossh.ExitMissingError)):
		if lost := t.c.ka.lost(); lost != nil {
			return remote.Result{ExitCode: -1}, &remote.Error{Class: remote.ClassLost, Op: opRun, Err: lost, Hint: hintLost}
		}
		return remote.Result{ExitCode: -1}, &remote.Error{Class: remote.ClassLost, Op: opRun,
			Err:  errors.New("the command ended without an exit status (connection lost, or the server's session process was killed)"),
			Hint: hintLost}
	}
	return remote.Result{ExitCode: -1}, t.sessionError(err)
}

// sessionError classifies a failure to open or use a session: after the
// keepalive gave up, or on a dropped connection, it is ClassLost.
func (t *Transport) sessionError(err error) error {
	if lost := t.c.ka.lost(); lost != nil {
		return &remote.Error{Class: remote.ClassLost, Op: opRun, Err: lost, Hint: hintLost}
	}
	if t.isClosed() {
		return errTransportClosed()
	}
	return classify(opRun, err)
}

// isClosed reports whether Close was called.
func (t *Transport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// errTransportClosed is the error of a command run on a closed transport.
func errTransportClosed() error {
	return &remote.Error{Class: remote.ClassOther, Op: opRun, Err: errors.New("the transport is closed"),
		Hint: "dial the host again: Close ended this connection"}
}

// sendEnv sends "env" requests without waiting for replies: sshd accepts
// only what AcceptEnv allows, which is why the command line exports the
// variables too.
func sendEnv(sess *gossh.Session, env map[string]string) {
	for name, value := range env {
		payload := gossh.Marshal(struct{ Name, Value string }{name, value})
		_, _ = sess.SendRequest("env", false, payload)
	}
}

// startStdin feeds the command's input and then, when asked to, closes
// stdin (EOF). The copy runs on a goroutine of its own, only when there is
// input: a reader that blocks forever keeps that goroutine until it
// returns; writes fail once the session is closed.
//
// With a pty, sshd does not pass the end of the channel's stdin on to the
// terminal: the end of the input (at once, when there is none) is typed as
// the terminal's end-of-file character instead, as a user would, so that a
// command reading its input (cat, head, read) ends instead of waiting
// forever.
func startStdin(w io.WriteCloser, r io.Reader, closeAfter, pty bool) {
	end := func(last byte) {
		if pty {
			_, _ = w.Write(ttyEOFSequence(last))
		}
		if closeAfter {
			_ = w.Close()
		}
	}
	if r == nil {
		end('\n')
		return
	}
	go func() {
		lw := &lastByteWriter{w: w, last: '\n'}
		_, _ = io.Copy(lw, r)
		end(lw.last)
	}()
}

// ttyEOF is the end-of-file character (VEOF) of the pty remotectl asks
// for: ^D, the usual one.
const ttyEOF = 0x04

// ttyEOFSequence returns what ends a pty's input after the byte last: at
// the start of a line, one VEOF makes a read return nothing (end of file);
// within a line, the first one only hands the line over unfinished.
func ttyEOFSequence(last byte) []byte {
	if last == '\n' {
		return []byte{ttyEOF}
	}
	return []byte{ttyEOF, ttyEOF}
}

// lastByteWriter remembers the last byte written through it.
type lastByteWriter struct {
	w    io.Writer
	last byte
}

func (l *lastByteWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.last = p[n-1]
	}
	return n, err
}

// stdinWriter serializes the writes to a session's stdin and its close:
// x/crypto's channel does not make Write and CloseWrite safe to call
// concurrently.
type stdinWriter struct {
	mu     sync.Mutex
	w      io.WriteCloser
	closed bool
}

func (s *stdinWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, io.ErrClosedPipe
	}
	return s.w.Write(p)
}

func (s *stdinWriter) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.w.Close()
}

// passwordThen returns the sudo password line followed by the user's input.
func passwordThen(password string, r io.Reader) io.Reader {
	line := strings.NewReader(password + "\n")
	if r == nil {
		return line
	}
	return io.MultiReader(line, r)
}

// gate forwards writes to w until closed, so that output arriving after Run
// returned (from a session that could not be waited for) never reaches the
// caller's writer.
type gate struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func newGate(w io.Writer) *gate {
	if w == nil {
		w = io.Discard
	}
	return &gate{w: w}
}

func (g *gate) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return len(p), nil
	}
	return g.w.Write(p)
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// sudoMode finds out, once per become user, whether sudo works without a
// password or with the become password. Probing with `true` first means
// the real command never runs twice, its input is never consumed by a
// failed attempt and its output never holds sudo's complaint.
func (t *Transport) sudoMode(ctx context.Context, user, pw string, havePw bool) (sudoMode, error) {
	t.mu.Lock()
	mode, ok := t.sudo[user]
	t.mu.Unlock()
	if ok {
		return mode, nil
	}
	spec := becomeSpec{user: user, mode: sudoNoPassword}
	out, res, err := t.probe(ctx, quoteArgs(append(spec.sudoArgs(), "true")), nil)
	if err != nil {
		return 0, err
	}
	switch {
	case res.ExitCode == 0:
		mode = sudoNoPassword
	case needsPassword(out):
		if !havePw {
			return 0, &remote.Error{Class: remote.ClassSudoPassword, Op: opBecome,
				Err:  fmt.Errorf("sudo on %s needs a password: %s", t.p.name, firstLine(out)),
				Hint: "pass --ask-become-pass or set become_password_env"}
		}
		spec.mode = sudoPassword
		out, res, err = t.probe(ctx, quoteArgs(append(spec.sudoArgs(), "true")), passwordThen(pw, nil))
		if err != nil {
			return 0, err
		}
		if res.ExitCode != 0 {
			return 0, &remote.Error{Class: remote.ClassSudoPassword, Op: opBecome,
				Err:  fmt.Errorf("sudo on %s rejected the become password: %s", t.p.name, firstLine(out)),
				Hint: "check the become password (--ask-become-pass / become_password_env)"}
		}
		mode = sudoPassword
	default:
		return 0, becomeError(t.p.name, res, out)
	}
	t.mu.Lock()
	t.sudo[user] = mode
	t.mu.Unlock()
	return mode, nil
}

// ForgetSudo forgets what sudo needed on the host, so that the next become
// command probes it again: the remotectl agent calls it when it lends a
// held connection to a new run (the host's sudoers may have changed).
func (t *Transport) ForgetSudo() {
	t.mu.Lock()
	t.sudo = map[string]sudoMode{}
	t.su = map[string]sudoMode{}
	t.mu.Unlock()
}

// probe runs a short command and returns its stderr (and stdout).
func (t *Transport) probe(ctx context.Context, line string, stdin io.Reader) (string, remote.Result, error) {
	var out bytes.Buffer
	res, err := t.exec(ctx, line, execIO{stdin: stdin, stdout: &out, stderr: &out})
	return out.String(), res, err
}

// needsPassword reports whether sudo's message says a password is needed.
func needsPassword(msg string) bool {
	return strings.Contains(msg, "password is required") || strings.Contains(msg, "a terminal is required")
}

// becomeError classifies a sudo failure other than a missing password.
func becomeError(host string, res remote.Result, out string) error {
	if res.ExitCode == 127 || strings.Contains(out, "not found") {
		return &remote.Error{Class: remote.ClassOther, Op: opBecome,
			Err: fmt.Errorf("sudo is not available on %s: %s", host, firstLine(out)), Hint: "install sudo on the host"}
	}
	return &remote.Error{Class: remote.ClassAuth, Op: opBecome,
		Err:  fmt.Errorf("sudo on %s failed (exit %d): %s", host, res.ExitCode, firstLine(out)),
		Hint: "check that the user may run commands as the become user (sudoers)"}
}

// becomePasswordOf returns the become password of cmd: its own (the
// host's ansible_become_password), else the transport's.
func (t *Transport) becomePasswordOf(cmd *remote.Cmd) (string, bool) {
	if cmd.BecomePassword != "" {
		return cmd.BecomePassword, true
	}
	return t.becomePassword()
}

// becomePassword returns the sudo password: the target's environment
// variable, else the run's (--ask-become-pass).
func (t *Transport) becomePassword() (string, bool) {
	if name := t.target.BecomePasswordEnv; name != "" {
		if v := t.d.opts.Getenv(name); v != "" {
			return v, true
		}
	}
	if t.d.opts.BecomePassword != "" {
		return t.d.opts.BecomePassword, true
	}
	return "", false
}

// OS reports the host's operating system family, asking the host once
// (`uname -s`); OSUnknown when that fails.
func (t *Transport) OS() remote.OSFamily {
	t.mu.Lock()
	if t.osKnown {
		defer t.mu.Unlock()
		return t.osFamily
	}
	t.mu.Unlock()
	family := remote.OSUnknown
	if strings.Contains(strings.ToLower(string(t.c.client.ServerVersion())), "windows") {
		family = remote.OSWindows
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), osProbeTimeout)
		defer cancel()
		var out bytes.Buffer
		res, err := t.exec(ctx, "uname -s", execIO{stdout: &out})
		if err == nil && res.ExitCode == 0 {
			family = osFromUname(out.String())
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.osFamily, t.osKnown = family, true
	return family
}

// osFromUname maps `uname -s` output to a family.
func osFromUname(s string) remote.OSFamily {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return remote.OSUnknown
	case strings.EqualFold(s, "Linux"):
		return remote.OSLinux
	case strings.HasPrefix(strings.ToUpper(s), "MINGW"), strings.HasPrefix(strings.ToUpper(s), "CYGWIN"),
		strings.HasPrefix(strings.ToUpper(s), "MSYS"), strings.HasPrefix(strings.ToUpper(s), "WINDOWS"):
		return remote.OSWindows
	}
	return remote.OSUnix
}

// DialContext opens a TCP connection from the host to addr (a direct-tcpip
// channel), so that checks can reach what the host sees.
func (t *Transport) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, &remote.Error{Class: remote.ClassOther, Op: opDial,
			Err: fmt.Errorf("network %q is not supported through SSH (only tcp)", network)}
	}
	c, err := t.c.client.DialContext(ctx, network, addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, classify(opDial, ctx.Err())
		}
		return nil, classify(opDial, fmt.Errorf("from %s to %s: %w", t.p.name, addr, err))
	}
	return c, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// firstLine returns the first non-empty line of s, trimmed.
func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return "(no message)"
}
