package agent

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/ssh"
)

// startWait bounds the wait for an agent started on demand to answer.
const startWait = 10 * time.Second

// cancelGrace bounds the wait for the agent's reply once an operation's
// context is done (the SSH transport itself gives a command about a second
// to die).
const cancelGrace = 10 * time.Second

// releaseWait bounds the wait for the agent to take a connection back.
const releaseWait = 2 * time.Second

// Config configures a Dialer.
type Config struct {
	// Socket is the agent's socket ("": SocketPath(Getenv)).
	Socket string
	// Persist is how long the agent holds a connection once idle.
	Persist time.Duration
	// Options are the SSH options the agent dials new connections with, as
	// the run would dial them itself. Prompter and Warn stay in the run:
	// the agent has no terminal, so a secret it would have to prompt for
	// fails the connection (hand it over with --ask-pass, an environment
	// variable, an askpass program or ssh-agent instead).
	Options ssh.Options
	// Getenv reads the run's environment (nil: none).
	Getenv func(string) string
	// Start starts the agent when none answers on Socket (nil: none is
	// started and dialing fails).
	Start func() error
}

// Dialer is a remote.Dialer whose transports are connections held by the
// agent: the first run that needs one makes the agent dial it, the next
// ones reuse it. Check delegates to a local SSH dialer with the same
// options, so that ssh_config problems are found before any host, in the
// run itself.
type Dialer struct {
	cfg   Config
	local *ssh.Dialer
	run   string
	cl    *client
}

// client reaches the agent on its socket, starting it (once) when none
// answers. The dialers of a run's transports share one.
type client struct {
	socket string
	start  func() error

	startMu  sync.Mutex
	started  bool
	startErr error // the agent could not be started: the run's other hosts fail at once
}

var _ remote.Dialer = (*Dialer)(nil)

// NewDialer returns a Dialer of cfg.
func NewDialer(cfg Config) (*Dialer, error) {
	if cfg.Options.WorkDir == "" {
		// A ProxyCommand runs where the run runs, not where the agent does.
		cfg.Options.WorkDir, _ = os.Getwd()
	}
	local, err := ssh.NewDialer(cfg.Options)
	if err != nil {
		return nil, err
	}
	if cfg.Getenv == nil {
		cfg.Getenv = func(string) string { return "" }
	}
	if cfg.Socket == "" {
		if cfg.Socket, err = SocketPath(cfg.Getenv); err != nil {
			return nil, err
		}
	}
	return &Dialer{cfg: cfg, local: local, run: newLease(), cl: &client{socket: cfg.Socket, start: cfg.Start}}, nil
}

// Local returns the run's own SSH dialer (doctor, hostkeys, Check).
func (d *Dialer) Local() *ssh.Dialer { return d.local }

// Check reads the targets' SSH settings as dialing would (ssh.Dialer.Check).
func (d *Dialer) Check(targets []remote.Target) error { return d.local.Check(targets) }

// Close releases the local dialer; the connections stay with the agent.
func (d *Dialer) Close() error { return d.local.Close() }

// Dial leases a connection to t from the agent, which opens it when it
// holds none for t's settings (or holds one that no longer answers).
func (d *Dialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	full := d.dialRequest(t)
	lease, c, err := d.cl.lease(ctx, d.findRequest(ctx, full), full, func(c net.Conn, rep reply) (reply, error) {
		if rep.HostKey == nil {
			return rep, nil
		}
		return d.checkHeld(c, t, rep)
	})
	if err != nil {
		return nil, err
	}
	return &Transport{cl: d.cl, lease: lease, conn: c}, nil
}

// lease asks the agent for the connection find names, with the full
// request when the agent asks for it, and returns the lease and the
// socket connection that holds it. check sees the agent's first answer
// (a held connection offered) and may reject it.
func (cl *client) lease(ctx context.Context, find request, full *dialRequest,
	check func(net.Conn, reply) (reply, error)) (string, net.Conn, error) {
	c, err := cl.connect(ctx)
	if err != nil {
		return "", nil, err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	rep, err := roundTrip(c, find)
	if err == nil {
		rep, err = check(c, rep)
	}
	if err == nil && rep.NeedSecrets {
		rep, err = roundTrip(c, request{Op: "dial", Dial: full})
	}
	if !stop() {
		c.Close()
		return "", nil, classifyCtx("dial", ctx.Err())
	}
	if err != nil {
		err = &remote.Error{Class: remote.ClassOther, Op: "agent", Err: fmt.Errorf("the agent went away: %w", err),
			Hint: "see remotectl agent status; run without --persist to connect directly"}
	} else {
		err = rep.Err.decode()
	}
	if err != nil {
		c.Close()
		return "", nil, err
	}
	return rep.Lease, c, nil
}

// checkHeld checks the host key of the held connection the agent offers
// (rep) against the run's own known_hosts, read by the run's SSH dialer as
// a connection of its own would read it: a key known_hosts no longer
// accepts is not served (the agent closes that connection and dials anew,
// where the handshake meets the run's known_hosts). The run reads its
// ssh_config and known_hosts once for all its hosts; the agent reads none.
func (d *Dialer) checkHeld(c net.Conn, t remote.Target, rep reply) (reply, error) {
	key, err := gossh.ParsePublicKey(rep.HostKey)
	if err == nil {
		err = d.local.CheckHostKey(t, key)
	}
	if err == nil {
		return rep, nil
	}
	return roundTrip(c, request{Op: "reject", Reason: err.Error()})
}

// dialRequest returns what decides a connection to t, as the run would
// dial it.
func (d *Dialer) dialRequest(t remote.Target) *dialRequest {
	t.Vars = nil
	opts := wireOptions(d.cfg.Options)
	absPaths(&t, &opts)
	return &dialRequest{Target: t, Options: opts, Env: d.env(t), Run: d.run, Persist: d.cfg.Persist}
}

// findRequest is a dial's first request: the key of the connection it
// needs, no secret. The full request follows only when the agent asks for
// it (no held connection has that key).
func (d *Dialer) findRequest(ctx context.Context, full *dialRequest) request {
	return request{Op: "dial", Deadline: deadlineOf(ctx), Key: connKey(full), Persist: d.cfg.Persist}
}

// wireOptions returns the options without what cannot cross the socket.
func wireOptions(o ssh.Options) ssh.Options {
	o.Prompter, o.Warn, o.Getenv = nil, nil, nil
	return o
}

// absPaths makes the relative file names of the settings absolute: the
// agent runs in a directory of its own, and serves runs started in others.
func absPaths(t *remote.Target, o *ssh.Options) {
	abs := func(p *string) {
		if *p != "" && *p != "none" && !filepath.IsAbs(*p) && !strings.HasPrefix(*p, "~") {
			if a, err := filepath.Abs(*p); err == nil {
				*p = a
			}
		}
	}
	for _, p := range []*string{&o.Home, &o.ConfigFile, &o.KnownHostsFile, &t.SSH.KnownHostsFile, &t.SSH.ConfigFile} {
		abs(p)
	}
	if strings.Contains(o.AskPassProgram, "/") {
		abs(&o.AskPassProgram)
	}
	t.SSH.IdentityFiles = slices.Clone(t.SSH.IdentityFiles)
	for i := range t.SSH.IdentityFiles {
		abs(&t.SSH.IdentityFiles[i])
	}
}

// env returns the values of the environment variables the settings of t
// name: only these cross the socket.
func (d *Dialer) env(t remote.Target) map[string]string {
	names := []string{"SSH_AUTH_SOCK", d.cfg.Options.PassphraseEnv, t.PasswordEnv, t.BecomePasswordEnv}
	if strings.HasPrefix(t.SSH.IdentityAgent, "$") {
		names = append(names, t.SSH.IdentityAgent[1:])
	}
	env := map[string]string{}
	for _, name := range names {
		if v := d.cfg.Getenv(name); name != "" && v != "" {
			env[name] = v
		}
	}
	return env
}

// connect opens a connection to the agent, starting it (once per Dialer)
// when none answers.
func (cl *client) connect(ctx context.Context) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, "unix", cl.socket)
	if err == nil || ctx.Err() != nil || cl.start == nil {
		return c, agentError(ctx, err)
	}
	cl.startMu.Lock()
	defer cl.startMu.Unlock()
	if c, err := nd.DialContext(ctx, "unix", cl.socket); err == nil {
		return c, nil
	}
	if cl.startErr != nil {
		return nil, cl.startErr // every host of the run: once is enough to wait
	}
	if !cl.started {
		cl.started = true
		if err := cl.start(); err != nil {
			cl.startErr = &remote.Error{Class: remote.ClassOther, Op: "agent", Err: fmt.Errorf("starting the agent: %w", err)}
			return nil, cl.startErr
		}
	}
	c, err = waitAgent(ctx, cl.socket)
	if err != nil && ctx.Err() == nil {
		cl.startErr = &remote.Error{Class: remote.ClassOther, Op: "agent",
			Err:  fmt.Errorf("the agent started did not answer on %s within %s: %w", cl.socket, startWait, err),
			Hint: "run remotectl agent start --foreground to see why, or run without --persist"}
	}
	return c, cmp.Or(cl.startErr, err)
}

// waitAgent waits for an agent just started to answer on socket.
func waitAgent(ctx context.Context, socket string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, startWait)
	defer cancel()
	var nd net.Dialer
	for {
		c, err := nd.DialContext(ctx, "unix", socket)
		if err == nil {
			return c, nil
		}
		if !remote.Sleep(ctx, 20*time.Millisecond) {
			return nil, agentError(ctx, err)
		}
	}
}

// agentError classifies a failure to reach the agent.
func agentError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return classifyCtx("agent", ctx.Err())
	}
	return &remote.Error{Class: remote.ClassOther, Op: "agent", Err: err,
		Hint: "the remotectl agent (--persist) is not running: run without --persist, or see remotectl agent status"}
}

// classifyCtx classifies a done context as the transports do.
func classifyCtx(op string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &remote.Error{Class: remote.ClassTimeout, Op: op, Err: err}
	}
	return &remote.Error{Class: remote.ClassCancelled, Op: op, Err: err}
}

func deadlineOf(ctx context.Context) time.Time {
	t, _ := ctx.Deadline()
	return t
}

// roundTrip sends req and reads the reply frame.
func roundTrip(c net.Conn, req request) (reply, error) {
	werr := writeJSON(c, frameRequest, req)
	// Read even when the write failed: an agent that refuses the client
	// says why before it closes the connection.
	typ, payload, err := readFrame(c, nil)
	if err != nil {
		return reply{}, cmp.Or(werr, err)
	}
	var rep reply
	if typ != frameReply {
		return rep, fmt.Errorf("agent protocol: frame %q instead of a reply", typ)
	}
	return rep, decodeJSON(payload, &rep)
}

// Transport is a connection the agent holds, leased to this run until
// Close. It implements remote.Transport; its methods are safe for
// concurrent use (each operation has a socket connection of its own).
type Transport struct {
	cl    *client
	lease string
	conn  net.Conn // the lease: closing it gives the connection back

	mu     sync.Mutex
	closed bool
	os     remote.OSFamily
	osDone bool
}

var (
	_ remote.Transport  = (*Transport)(nil)
	_ remote.TreeCopier = (*Transport)(nil)
	_ remote.NetDialer  = (*Transport)(nil)
)

// Close gives the connection back to the agent, which keeps it open. It
// waits (briefly) until the agent has taken it back, so that the next dial
// of the same host, in this run or the next, finds it idle.
func (t *Transport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	if uc, ok := t.conn.(*net.UnixConn); ok && uc.CloseWrite() == nil {
		_ = uc.SetReadDeadline(time.Now().Add(releaseWait))
		_, _ = io.Copy(io.Discard, uc) // the agent closes its end once released
	}
	return t.conn.Close()
}

// errClosed is the error of an operation on a closed transport.
func errClosed(op string) error {
	return &remote.Error{Class: remote.ClassOther, Op: op, Err: errors.New("the transport is closed")}
}

// Run runs cmd on the held connection, streaming its input and output.
func (t *Transport) Run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
	rr := &runRequest{Args: cmd.Args, Shell: cmd.Shell, Env: cmd.Env, Dir: cmd.Dir, PTY: cmd.PTY,
		Become: cmd.Become, BecomeUser: cmd.BecomeUser, BecomeMethod: cmd.BecomeMethod, BecomeFlags: cmd.BecomeFlags,
		BecomePassword: cmd.BecomePassword, Stdin: cmd.Stdin != nil, Pooled: cmd.Pooled}
	return t.op(ctx, request{Op: "run", Run: rr}, cmd.Stdin, sinks{frameStdout: cmd.Stdout, frameStderr: cmd.Stderr})
}

// Upload copies src to dst on the host.
func (t *Transport) Upload(ctx context.Context, dst string, src io.Reader, mode fs.FileMode) error {
	if src == nil {
		src = strings.NewReader("")
	}
	_, err := t.op(ctx, request{Op: "upload", Path: dst, Mode: mode}, src, nil)
	return err
}

// Download copies the host's src to dst.
func (t *Transport) Download(ctx context.Context, src string, dst io.Writer) error {
	_, err := t.op(ctx, request{Op: "download", Path: src}, nil, sinks{frameData: dst})
	return err
}

// PutTree copies the local file or directory localPath into remoteDir
// (remote.TreeCopier): the agent reads the files (it runs as the same
// user) and reports the progress.
func (t *Transport) PutTree(ctx context.Context, localPath, remoteDir string, progress remote.ProgressFunc) error {
	local, err := filepath.Abs(localPath)
	if err != nil {
		return err
	}
	_, err = t.op(ctx, request{Op: "puttree", Local: local, Path: remoteDir}, nil, sinks{frameProgress: progressWriter(progress)})
	return err
}

// GetTree copies remotePath into localDir (remote.TreeCopier), the files
// written by the agent.
func (t *Transport) GetTree(ctx context.Context, remotePath, localDir string, progress remote.ProgressFunc) error {
	local, err := filepath.Abs(localDir)
	if err != nil {
		return err
	}
	_, err = t.op(ctx, request{Op: "gettree", Local: local, Path: remotePath}, nil, sinks{frameProgress: progressWriter(progress)})
	return err
}

// progressWriter turns progress frames into calls of p.
func progressWriter(p remote.ProgressFunc) io.Writer {
	return writerFunc(func(b []byte) (int, error) {
		if p != nil && len(b) == 16 {
			p(int64(binary.BigEndian.Uint64(b[:8])), int64(binary.BigEndian.Uint64(b[8:])))
		}
		return len(b), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// DialContext opens a TCP connection from the host to addr
// (remote.NetDialer), relayed by the agent.
func (t *Transport) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return nil, errClosed("dial")
	}
	c, err := t.cl.connect(ctx)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	rep, err := roundTrip(c, request{Op: "dialnet", Lease: t.lease, Network: network, Path: addr, Deadline: deadlineOf(ctx)})
	if !stop() {
		c.Close()
		return nil, classifyCtx("dial", ctx.Err())
	}
	if err == nil {
		err = rep.Err.decode()
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// OS reports the host's operating system family (asked once).
func (t *Transport) OS() remote.OSFamily {
	t.mu.Lock()
	if t.osDone {
		defer t.mu.Unlock()
		return t.os
	}
	t.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var family remote.OSFamily
	if rep, err := t.call(ctx, request{Op: "os"}, nil, nil); err == nil {
		family = rep.OS
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.os, t.osDone = family, true
	return family
}

// sinks are where output frames go, by frame type.
type sinks map[byte]io.Writer

// op runs an operation and returns its result.
func (t *Transport) op(ctx context.Context, req request, in io.Reader, out sinks) (remote.Result, error) {
	rep, err := t.call(ctx, req, in, out)
	if err != nil {
		return remote.Result{ExitCode: -1}, err
	}
	return rep.Result, rep.Err.decode()
}

// call sends req on a new connection to the agent, feeds it in, writes
// the output frames to out and returns the reply. A done ctx is passed on
// as a cancel frame: the agent stops the operation (and kills the remote
// command) and replies as the operation ends.
func (t *Transport) call(ctx context.Context, req request, in io.Reader, out sinks) (reply, error) {
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return reply{}, errClosed(req.Op)
	}
	if err := ctx.Err(); err != nil {
		return reply{}, classifyCtx(req.Op, err)
	}
	c, err := t.cl.connect(ctx)
	if err != nil {
		return reply{}, err
	}
	defer c.Close()
	req.Lease, req.Deadline = t.lease, deadlineOf(ctx)
	w := &lockedWriter{w: c}
	if err := w.json(frameRequest, req); err != nil {
		return reply{}, lostAgent(req.Op, err)
	}
	stop := context.AfterFunc(ctx, func() {
		// The agent stops the operation and replies; one that does not
		// within cancelGrace (stopped, frozen) is not waited for.
		_ = c.SetReadDeadline(time.Now().Add(cancelGrace))
		reason := "cancel"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			reason = "deadline"
		}
		_ = w.frame(frameCancel, []byte(reason))
	})
	defer stop()
	credit := newCredit()
	defer credit.close()
	if in != nil {
		go sendInput(w, in, credit)
	}
	rep, err := readReply(c, req.Op, out, credit)
	if err != nil && ctx.Err() != nil {
		return rep, classifyCtx(req.Op, ctx.Err())
	}
	return rep, err
}

// readReply reads output frames until the reply.
func readReply(c net.Conn, op string, out sinks, credit *credit) (reply, error) {
	var buf []byte
	for {
		typ, payload, err := readFrame(c, buf)
		if err != nil {
			return reply{}, lostAgent(op, err)
		}
		buf = payload
		switch typ {
		case frameReply:
			var rep reply
			if err := decodeJSON(payload, &rep); err != nil {
				return rep, lostAgent(op, err)
			}
			return rep, nil
		case frameCredit:
			if len(payload) == 4 {
				credit.add(int(binary.BigEndian.Uint32(payload)))
			}
		default:
			if w := out[typ]; w != nil {
				_, _ = w.Write(payload)
			}
		}
	}
}

// sendInput sends in as input frames, never more than the window ahead of
// what the agent consumed, then the end of the input.
func sendInput(w *lockedWriter, in io.Reader, credit *credit) {
	buf := make([]byte, dataChunk)
	for {
		window, ok := credit.wait()
		if !ok {
			return
		}
		n, err := in.Read(buf[:min(len(buf), window)])
		if n > 0 {
			if w.frame(frameInput, buf[:n]) != nil {
				return
			}
			credit.add(-n)
		}
		if err != nil {
			_ = w.frame(frameInputEnd, nil)
			return
		}
	}
}

// credit is the input window: bytes the client may still send.
type credit struct {
	mu     sync.Mutex
	n      int
	closed bool
	wake   chan struct{} // holds one token when n may have become positive
}

func newCredit() *credit {
	return &credit{n: inputWindow, wake: make(chan struct{}, 1)}
}

func (c *credit) add(n int) {
	c.mu.Lock()
	c.n += n
	c.mu.Unlock()
	if n > 0 {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// wait returns the window once it is open; false once closed.
func (c *credit) wait() (int, bool) {
	for {
		c.mu.Lock()
		n, closed := c.n, c.closed
		c.mu.Unlock()
		switch {
		case closed:
			return 0, false
		case n > 0:
			return n, true
		}
		<-c.wake
	}
}

func (c *credit) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// lostAgent is the error of an operation whose agent connection failed.
func lostAgent(op string, err error) error {
	return &remote.Error{Class: remote.ClassLost, Op: op,
		Err:  fmt.Errorf("the connection to the remotectl agent was lost: %w", err),
		Hint: "the agent stopped mid-operation: the command may or may not have completed (see remotectl agent status)"}
}
