package remotetest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// SSHServerPasswordUser is the only user SSHServerOptions.Password logs in.
const SSHServerPasswordUser = "test"

// Authentication methods recorded in SSHLogin.Method.
const (
	MethodPublicKey           = "publickey"
	MethodCertificate         = "certificate"
	MethodPassword            = "password"
	MethodKeyboardInteractive = "keyboard-interactive"
)

const (
	// sshServerCloseTimeout bounds how long Close waits for handlers.
	sshServerCloseTimeout = 10 * time.Second
	// sshServerDialTimeout bounds a direct-tcpip dial.
	sshServerDialTimeout = 10 * time.Second
	// permMethod is the Permissions extension carrying the auth method.
	permMethod = "remotetest-method"
)

// errStdoutDropped is returned by SSHSession.Stdout once DropAfter bytes were
// written and the connection was cut.
var errStdoutDropped = errors.New("remotetest: connection cut after DropAfter stdout bytes")

// SSHServerOptions configures StartSSHServer. At least one of
// AuthorizedKeys, CertAuthority and Password must be set.
type SSHServerOptions struct {
	// HostKey is the server's key; nil generates an ed25519 key.
	HostKey ssh.Signer
	// AuthorizedKeys are the public keys accepted for any user name (see
	// NewTestKey).
	AuthorizedKeys []ssh.PublicKey
	// Password enables password and keyboard-interactive authentication
	// (one "Password: " prompt) for SSHServerPasswordUser.
	Password string
	// CertAuthority accepts user certificates it signed, for any user listed
	// in the certificate's principals (see NewTestCert).
	CertAuthority ssh.PublicKey
	// Handler runs each exec or shell request; nil means MiniShell. It must
	// return once SSHSession.Ctx is done.
	Handler func(s *SSHSession)

	// HangHandshake accepts TCP connections and never speaks (a black hole).
	HangHandshake bool
	// NoExitStatus closes every session's channel without exit-status or
	// exit-signal, whatever the handler set.
	NoExitStatus bool
	// IgnoreKeepalive never answers keepalive@openssh.com global requests,
	// and from the moment a session starts a command (exec, shell or
	// subsystem) freezes the connection: the exec reply is sent, then the
	// server neither reads nor writes anything more, without closing the
	// connection — a dead peer.
	IgnoreKeepalive bool
	// DropAfter, when positive, cuts the TCP connection (FIN, no SSH
	// disconnect, no exit status) as soon as a session has written this many
	// bytes to stdout; the client receives exactly that many.
	DropAfter int

	// StallSessions never answers a session channel's open (neither
	// accepted nor refused): a client opening a session waits, as x/crypto's
	// NewSession does on a connection it is tearing down.
	StallSessions bool

	// AllowTCPForwarding accepts direct-tcpip channels to loopback
	// destinations (client.Dial through the server, bastion tests).
	AllowTCPForwarding bool
	// SFTP serves the "sftp" subsystem from the local file system
	// (github.com/pkg/sftp); tests use paths in t.TempDir().
	SFTP bool
}

// SSHLogin is one successful authentication.
type SSHLogin struct {
	User   string
	Method string // MethodPublicKey, MethodCertificate, MethodPassword or MethodKeyboardInteractive
}

// SSHServer is an in-process SSH server on 127.0.0.1 with fault injection,
// for what a real sshd cannot be made to do on demand.
type SSHServer struct {
	Addr           string        // "127.0.0.1"
	Port           int           // the listening port
	HostKey        ssh.PublicKey // the server's host key
	KnownHostsLine string        // "[127.0.0.1]:PORT ssh-ed25519 ...", for a known_hosts file

	tb      testing.TB
	opts    SSHServerOptions
	handler func(*SSHSession)
	config  *ssh.ServerConfig
	ln      net.Listener
	ctx     context.Context // done when the server closes
	cancel  context.CancelFunc
	wg      sync.WaitGroup // every goroutine the server started

	mu         sync.Mutex
	closed     bool
	conns      map[*faultConn]struct{}
	connCount  int
	logins     []SSHLogin
	commands   []string
	signals    []string
	keepalives int
	forwards   []string

	closeOnce sync.Once
}

// StartSSHServer starts an SSH server on a free 127.0.0.1 port and registers
// t.Cleanup to close it, which cuts every connection and waits for every
// goroutine it started.
func StartSSHServer(t testing.TB, opts SSHServerOptions) *SSHServer {
	t.Helper()
	if len(opts.AuthorizedKeys) == 0 && opts.CertAuthority == nil && opts.Password == "" {
		t.Fatal("remotetest: StartSSHServer: no way to log in; set AuthorizedKeys (see NewTestKey), CertAuthority or Password")
	}
	if opts.HostKey == nil {
		key, err := newEd25519Key()
		if err != nil {
			t.Fatalf("remotetest: StartSSHServer: host key: %v", err)
		}
		if opts.HostKey, err = ssh.NewSignerFromKey(key); err != nil {
			t.Fatalf("remotetest: StartSSHServer: host key: %v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("remotetest: StartSSHServer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &SSHServer{
		Addr:    "127.0.0.1",
		Port:    ln.Addr().(*net.TCPAddr).Port,
		HostKey: opts.HostKey.PublicKey(),
		tb:      t,
		opts:    opts,
		handler: opts.Handler,
		ln:      ln,
		ctx:     ctx,
		cancel:  cancel,
		conns:   map[*faultConn]struct{}{},
	}
	if s.handler == nil {
		s.handler = MiniShell
	}
	s.KnownHostsLine = KnownHostsLine(s.HostPort(), s.HostKey)
	s.config = s.serverConfig()
	s.goTracked(s.acceptLoop)
	t.Cleanup(s.Close)
	return s
}

// HostPort returns "127.0.0.1:PORT".
func (s *SSHServer) HostPort() string { return net.JoinHostPort(s.Addr, strconv.Itoa(s.Port)) }

// ConnCount returns the number of TCP connections accepted so far.
func (s *SSHServer) ConnCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connCount
}

// Logins returns the successful authentications, in order.
func (s *SSHServer) Logins() []SSHLogin { return lockedCopy(&s.mu, &s.logins) }

// Commands returns the commands of exec requests ("" for shell requests), in
// the order they started.
func (s *SSHServer) Commands() []string { return lockedCopy(&s.mu, &s.commands) }

// Signals returns the names of the signals clients sent ("TERM", "KILL"...).
func (s *SSHServer) Signals() []string { return lockedCopy(&s.mu, &s.signals) }

// Forwards returns the "host:port" destinations of accepted direct-tcpip
// channels.
func (s *SSHServer) Forwards() []string { return lockedCopy(&s.mu, &s.forwards) }

// Keepalives returns how many keepalive@openssh.com requests arrived (a
// frozen connection reads none).
func (s *SSHServer) Keepalives() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keepalives
}

// DropConnections closes every open connection abruptly (no SSH disconnect
// message); the server keeps accepting new ones.
func (s *SSHServer) DropConnections() {
	s.mu.Lock()
	conns := make([]*faultConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Close stops listening, cuts every connection, ends every session (their
// Ctx is done) and waits for the server's goroutines. It is idempotent and
// runs at cleanup.
func (s *SSHServer) Close() {
	s.closeOnce.Do(func() {
		_ = s.ln.Close()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.DropConnections()
		s.cancel()
		done := make(chan struct{})
		go func() {
			s.wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(sshServerCloseTimeout):
			s.tb.Errorf("remotetest: SSHServer.Close: sessions still running after %v; a custom Handler must return when SSHSession.Ctx is done", sshServerCloseTimeout)
		}
	})
}

// serverConfig builds the x/crypto server configuration from the options.
func (s *SSHServer) serverConfig() *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{ServerVersion: "SSH-2.0-remotetest"}
	cfg.AddHostKey(s.opts.HostKey)
	if len(s.opts.AuthorizedKeys) > 0 || s.opts.CertAuthority != nil {
		cfg.PublicKeyCallback = s.checkPublicKey
	}
	if s.opts.Password != "" {
		cfg.PasswordCallback = func(c ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
			return s.checkPassword(c.User(), string(password), MethodPassword)
		}
		cfg.KeyboardInteractiveCallback = func(c ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			answers, err := challenge("", "", []string{"Password: "}, []bool{false})
			if err != nil {
				return nil, err
			}
			if len(answers) != 1 {
				return nil, fmt.Errorf("want 1 answer, got %d", len(answers))
			}
			return s.checkPassword(c.User(), answers[0], MethodKeyboardInteractive)
		}
	}
	return cfg
}

func (s *SSHServer) checkPassword(user, password, method string) (*ssh.Permissions, error) {
	ok := user == SSHServerPasswordUser &&
		subtle.ConstantTimeCompare([]byte(password), []byte(s.opts.Password)) == 1
	if !ok {
		return nil, fmt.Errorf("wrong user or password for %q", user)
	}
	return methodPermissions(method), nil
}

// checkPublicKey accepts authorized keys and certificates signed by the CA.
func (s *SSHServer) checkPublicKey(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	checker := &ssh.CertChecker{
		IsUserAuthority: func(auth ssh.PublicKey) bool {
			return s.opts.CertAuthority != nil && keysEqual(auth, s.opts.CertAuthority)
		},
		UserKeyFallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			for _, k := range s.opts.AuthorizedKeys {
				if keysEqual(k, key) {
					return methodPermissions(MethodPublicKey), nil
				}
			}
			return nil, errors.New("public key not authorized")
		},
	}
	if _, err := checker.Authenticate(c, key); err != nil {
		return nil, err
	}
	if _, isCert := key.(*ssh.Certificate); isCert {
		return methodPermissions(MethodCertificate), nil
	}
	return methodPermissions(MethodPublicKey), nil
}

func methodPermissions(method string) *ssh.Permissions {
	return &ssh.Permissions{Extensions: map[string]string{permMethod: method}}
}

func keysEqual(a, b ssh.PublicKey) bool {
	return subtle.ConstantTimeCompare(a.Marshal(), b.Marshal()) == 1
}

// goTracked runs f in a goroutine Close waits for.
func (s *SSHServer) goTracked(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

func (s *SSHServer) acceptLoop() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return // listener closed
		}
		fc := newFaultConn(nc)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			fc.Close()
			return
		}
		s.conns[fc] = struct{}{}
		s.connCount++
		s.mu.Unlock()
		s.goTracked(func() { s.serveConn(fc) })
	}
}

// serveConn runs one connection: handshake, then its channels and requests.
func (s *SSHServer) serveConn(fc *faultConn) {
	defer func() {
		fc.Close()
		s.mu.Lock()
		delete(s.conns, fc)
		s.mu.Unlock()
	}()
	if s.opts.HangHandshake {
		_, _ = io.Copy(io.Discard, fc) // until the client or Close hangs up
		return
	}
	sconn, chans, reqs, err := ssh.NewServerConn(fc, s.config)
	if err != nil {
		return // handshake or authentication failed; the client saw why
	}
	defer sconn.Close()
	s.record(func() {
		s.logins = append(s.logins, SSHLogin{User: sconn.User(), Method: sconn.Permissions.Extensions[permMethod]})
	})
	connCtx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	s.goTracked(func() { s.serveGlobalRequests(reqs) })
	for nch := range chans {
		switch nch.ChannelType() {
		case "session":
			if s.opts.StallSessions {
				continue
			}
			s.goTracked(func() { s.serveSession(connCtx, fc, nch) })
		case "direct-tcpip":
			s.goTracked(func() { s.serveDirectTCPIP(connCtx, nch) })
		default:
			_ = nch.Reject(ssh.UnknownChannelType, "remotetest: unsupported channel type "+nch.ChannelType())
		}
	}
}

func (s *SSHServer) serveGlobalRequests(reqs <-chan *ssh.Request) {
	for req := range reqs {
		if req.Type == "keepalive@openssh.com" {
			s.record(func() { s.keepalives++ })
			if s.opts.IgnoreKeepalive {
				continue
			}
		}
		// OpenSSH answers keepalives (and anything unknown) with a failure.
		reply(req, false)
	}
}

// sessionRun is a started command, subsystem or shell of a session.
type sessionRun struct{ done chan struct{} }

// serveSession answers a session channel's requests and runs its command.
func (s *SSHServer) serveSession(connCtx context.Context, fc *faultConn, nch ssh.NewChannel) {
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(connCtx)
	signals := make(chan ssh.Signal, 32)
	sess := &SSHSession{Env: map[string]string{}, Stdin: ch, Signals: signals, Ctx: ctx}
	var run *sessionRun
	for req := range reqs {
		switch req.Type {
		case "pty-req":
			if run == nil {
				sess.PTY = true
			}
			reply(req, run == nil)
		case "env":
			var kv struct{ Name, Value string }
			ok := run == nil && ssh.Unmarshal(req.Payload, &kv) == nil
			if ok {
				sess.Env[kv.Name] = kv.Value
			}
			reply(req, ok)
		case "exec", "shell":
			var cmd struct{ Command string }
			if run != nil || (req.Type == "exec" && ssh.Unmarshal(req.Payload, &cmd) != nil) {
				reply(req, false)
				continue
			}
			sess.Command = cmd.Command
			s.record(func() { s.commands = append(s.commands, cmd.Command) })
			run = s.startCommand(fc, ch, req, sess)
		case "subsystem":
			var sub struct{ Name string }
			if run != nil || !s.opts.SFTP || ssh.Unmarshal(req.Payload, &sub) != nil || sub.Name != "sftp" {
				reply(req, false)
				continue
			}
			run = s.startSFTP(fc, ch, req)
		case "signal":
			var sig struct{ Signal string }
			if ssh.Unmarshal(req.Payload, &sig) == nil {
				s.record(func() { s.signals = append(s.signals, sig.Signal) })
				select {
				case signals <- ssh.Signal(sig.Signal):
				default: // nobody listens; the signal is recorded anyway
				}
			}
			reply(req, true)
		default: // window-change, x11-req, auth-agent-req@openssh.com, ...
			reply(req, false)
		}
	}
	// The client closed the channel, or the connection is gone.
	cancel()
	if run != nil {
		<-run.done
	}
	_ = ch.Close()
}

// startCommand acknowledges req, applies IgnoreKeepalive, and runs the
// handler for sess in a goroutine that sends the exit status when it returns.
func (s *SSHServer) startCommand(fc *faultConn, ch ssh.Channel, req *ssh.Request, sess *SSHSession) *sessionRun {
	reply(req, true)
	if s.opts.IgnoreKeepalive {
		fc.Freeze()
	}
	var stdout io.Writer = ch
	if s.opts.DropAfter > 0 {
		stdout = &dropWriter{w: ch, left: s.opts.DropAfter, cut: fc.CutWrite}
	}
	sess.Stdout, sess.Stderr = stdout, ch.Stderr()
	if sess.PTY {
		// A terminal merges stderr into stdout and turns \n into \r\n.
		sess.Stdout = &crlfWriter{w: stdout}
		sess.Stderr = sess.Stdout
	}
	run := &sessionRun{done: make(chan struct{})}
	s.goTracked(func() {
		defer close(run.done)
		s.handler(sess)
		if sess.Ctx.Err() != nil {
			// The client or the server gave up on the session: there is
			// nobody to report a status to, and none was reached.
			_ = ch.Close()
			return
		}
		s.finishSession(ch, sess.status())
	})
	return run
}

// startSFTP acknowledges req and serves SFTP on ch until the client ends it.
func (s *SSHServer) startSFTP(fc *faultConn, ch ssh.Channel, req *ssh.Request) *sessionRun {
	reply(req, true)
	if s.opts.IgnoreKeepalive {
		fc.Freeze()
	}
	run := &sessionRun{done: make(chan struct{})}
	s.goTracked(func() {
		defer close(run.done)
		status := exitStatus{code: 0}
		srv, err := sftp.NewServer(ch)
		if err != nil {
			fmt.Fprintf(ch.Stderr(), "remotetest: sftp: %v\n", err)
			status.code = 1
		} else {
			if err := srv.Serve(); err != nil && !errors.Is(err, io.EOF) {
				status.code = 1
			}
			_ = srv.Close()
		}
		s.finishSession(ch, status)
	})
	return run
}

// finishSession sends EOF, the exit status (unless NoExitStatus) and closes
// the channel, in OpenSSH's order. Errors mean the client is gone.
func (s *SSHServer) finishSession(ch ssh.Channel, st exitStatus) {
	_ = ch.CloseWrite()
	if !s.opts.NoExitStatus {
		if st.signal != "" {
			msg := struct {
				Signal     string
				CoreDumped bool
				Error      string
				Lang       string
			}{st.signal, false, st.message, ""}
			_, _ = ch.SendRequest("exit-signal", false, ssh.Marshal(&msg))
		} else {
			_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(&struct{ Status uint32 }{uint32(st.code)}))
		}
	}
	_ = ch.Close()
}

// serveDirectTCPIP forwards a direct-tcpip channel to a loopback destination.
func (s *SSHServer) serveDirectTCPIP(connCtx context.Context, nch ssh.NewChannel) {
	var req struct {
		Host     string
		Port     uint32
		OrigHost string
		OrigPort uint32
	}
	if err := ssh.Unmarshal(nch.ExtraData(), &req); err != nil {
		_ = nch.Reject(ssh.ConnectionFailed, "remotetest: malformed direct-tcpip request")
		return
	}
	if !s.opts.AllowTCPForwarding {
		_ = nch.Reject(ssh.Prohibited, "remotetest: TCP forwarding is disabled (SSHServerOptions.AllowTCPForwarding)")
		return
	}
	if ip := net.ParseIP(req.Host); req.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		_ = nch.Reject(ssh.Prohibited, "remotetest: only loopback destinations are forwarded")
		return
	}
	dest := net.JoinHostPort(req.Host, strconv.Itoa(int(req.Port)))
	dialCtx, cancel := context.WithTimeout(connCtx, sshServerDialTimeout)
	target, err := new(net.Dialer).DialContext(dialCtx, "tcp", dest)
	cancel()
	if err != nil {
		_ = nch.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	defer target.Close()
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	s.record(func() { s.forwards = append(s.forwards, dest) })
	s.goTracked(func() { ssh.DiscardRequests(reqs) })
	// When the connection ends, unblock the copy from target.
	stop := context.AfterFunc(connCtx, func() { _ = target.Close() })
	defer stop()
	upDone := make(chan struct{})
	s.goTracked(func() {
		defer close(upDone)
		_, _ = io.Copy(target, ch)
		if tc, ok := target.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	})
	_, _ = io.Copy(ch, target)
	_ = ch.CloseWrite()
	<-upDone
}

// record runs f with the statistics locked.
func (s *SSHServer) record(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// lockedCopy copies *items under mu (the slice header is read under the lock
// too, so appends racing with the read are safe).
func lockedCopy[T any](mu *sync.Mutex, items *[]T) []T {
	mu.Lock()
	defer mu.Unlock()
	return append([]T(nil), *items...)
}

func reply(req *ssh.Request, ok bool) {
	if req.WantReply {
		_ = req.Reply(ok, nil)
	}
}

// faultConn is a server-side connection that can be frozen (reads and writes
// block until it is closed) or half-closed, to simulate dead and cut peers.
type faultConn struct {
	net.Conn
	frozen    atomic.Bool
	closed    chan struct{}
	closeOnce sync.Once
}

func newFaultConn(c net.Conn) *faultConn {
	return &faultConn{Conn: c, closed: make(chan struct{})}
}

// Read discards anything arriving once the connection is frozen and blocks
// until it is closed.
func (c *faultConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.frozen.Load() {
		<-c.closed
		return 0, net.ErrClosed
	}
	return n, err
}

// Write blocks, once the connection is frozen, until it is closed.
func (c *faultConn) Write(p []byte) (int, error) {
	if c.frozen.Load() {
		<-c.closed
		return 0, net.ErrClosed
	}
	return c.Conn.Write(p)
}

// Close closes the connection and releases frozen readers and writers.
func (c *faultConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closed)
		err = c.Conn.Close()
	})
	return err
}

// Freeze makes the connection silent without closing it.
func (c *faultConn) Freeze() { c.frozen.Store(true) }

// CutWrite sends FIN after what was written so far; later writes fail.
func (c *faultConn) CutWrite() {
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
		return
	}
	_ = c.Close()
}

// dropWriter passes through the first left bytes, then calls cut and fails.
type dropWriter struct {
	mu   sync.Mutex
	w    io.Writer
	left int
	cut  func()
}

func (d *dropWriter) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.left <= 0 {
		return 0, errStdoutDropped
	}
	if len(p) < d.left {
		d.left -= len(p)
		return d.w.Write(p)
	}
	n, err := d.w.Write(p[:d.left])
	d.left = 0
	d.cut()
	if err == nil {
		err = errStdoutDropped
	}
	return n, err
}

// crlfWriter translates "\n" into "\r\n", as a terminal's onlcr does.
type crlfWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *crlfWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	written := 0
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			n, err := c.w.Write(p)
			return written + n, err
		}
		if _, err := c.w.Write(append(p[:i:i], '\r', '\n')); err != nil {
			return written, err
		}
		written += i + 1
		p = p[i+1:]
	}
	return written, nil
}

// SSHSession is one exec or shell request as a Handler sees it.
type SSHSession struct {
	Command string            // the exec command line; "" for a shell request
	Env     map[string]string // variables from env requests
	Stdin   io.Reader         // the client's input; EOF when the client sends EOF
	Stdout  io.Writer         // subject to DropAfter; with PTY, \n becomes \r\n
	Stderr  io.Writer         // the stderr stream; with PTY, the same as Stdout
	PTY     bool              // the client requested a pseudo-terminal
	Signals <-chan ssh.Signal // signals the client sends ("TERM", "KILL", ...)
	Ctx     context.Context   // done when the client closes the channel, the connection ends or the server closes

	mu sync.Mutex
	st exitStatus
}

// exitStatus is how a session ended: an exit code, or a signal.
type exitStatus struct {
	code            int
	signal, message string
}

// Exit sets the exit status (0..255) sent when the handler returns. A
// handler that returns without calling Exit or ExitSignal exits with 0.
func (s *SSHSession) Exit(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = exitStatus{code: code}
}

// ExitSignal makes the session end as killed by signal (an ssh.Signal name
// without "SIG", e.g. "KILL") with an optional message, sent when the handler
// returns.
func (s *SSHSession) ExitSignal(signal, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = exitStatus{signal: signal, message: msg}
}

func (s *SSHSession) status() exitStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// MiniShell is the default Handler. It runs Command as a tiny shell language
// so tests read like what they check. Words are split as a POSIX shell does
// ('single', "double" quotes with \ escapes, \x); commands are separated by
// ';' or newlines; # starts a comment. The commands are:
//
//	echo WORDS...   print WORDS joined by spaces, and a newline, to stdout
//	stderr WORDS... the same to stderr
//	exit N          end with exit status N (0..255)
//	true, false     status 0, 1
//	sleep DUR       wait DUR (Go duration like 1.5s, or seconds like 2); a
//	                signal from the client ends the session as killed by that
//	                signal, and closing the channel ends it early
//	signal NAME     end as killed by signal NAME (KILL, TERM, ...)
//	bytes N         write N bytes to stdout: 'x', with every 100th byte '\n'
//	cat             copy stdin to stdout until EOF
//	env [NAME]      print NAME's value (status 1 if unset), or every NAME=VALUE
//	uname [-s]      print "Linux"
//	tty             print "/dev/pts/0" with a PTY, else "not a tty" (status 1)
//
// A shell request (empty Command) reads the script from stdin until EOF.
// The session's status is that of the last command. An unknown command prints
// "remotetest: NAME: command not found" to stderr with status 127, as a shell
// does; a syntax error exits with 2.
func MiniShell(s *SSHSession) {
	text := s.Command
	if text == "" {
		// A shell request: the script arrives on stdin, as with `sh -s`.
		b, err := io.ReadAll(s.Stdin)
		if err != nil {
			return // the channel is gone
		}
		text = string(b)
	}
	script, err := splitScript(text)
	if err != nil {
		fmt.Fprintf(s.Stderr, "remotetest: %v\n", err)
		s.Exit(2)
		return
	}
	status := 0
	for _, words := range script {
		var ended bool
		if status, ended = runMiniCommand(s, words); ended {
			return
		}
	}
	s.Exit(status)
}

// runMiniCommand runs one command. ended means the session is over: its
// status is set (exit, signal) or nobody is left to receive it.
func runMiniCommand(s *SSHSession, words []string) (status int, ended bool) {
	name, args := words[0], words[1:]
	switch name {
	case "echo", "stderr":
		w := s.Stdout
		if name == "stderr" {
			w = s.Stderr
		}
		if _, err := fmt.Fprintln(w, joinWords(args)); err != nil {
			return 0, true
		}
		return 0, false
	case "true":
		return 0, false
	case "false":
		return 1, false
	case "exit":
		return miniExit(s, args)
	case "sleep":
		return miniSleep(s, args)
	case "signal":
		if len(args) != 1 {
			return miniUsage(s, "signal NAME")
		}
		s.ExitSignal(args[0], "killed by remotetest")
		return 0, true
	case "bytes":
		return miniBytes(s, args)
	case "cat":
		if _, err := io.Copy(s.Stdout, s.Stdin); err != nil {
			return 0, true
		}
		return 0, false
	case "env":
		return miniEnv(s, args)
	case "uname":
		fmt.Fprintln(s.Stdout, "Linux")
		return 0, false
	case "tty":
		if !s.PTY {
			fmt.Fprintln(s.Stdout, "not a tty")
			return 1, false
		}
		fmt.Fprintln(s.Stdout, "/dev/pts/0")
		return 0, false
	}
	fmt.Fprintf(s.Stderr, "remotetest: %s: command not found\n", name)
	return 127, false
}

func miniUsage(s *SSHSession, usage string) (int, bool) {
	fmt.Fprintf(s.Stderr, "remotetest: usage: %s\n", usage)
	return 2, false
}

func miniExit(s *SSHSession, args []string) (int, bool) {
	code := 0
	if len(args) > 0 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 0 || n > 255 || len(args) > 1 {
			return miniUsage(s, "exit N (0..255)")
		}
		code = n
	}
	s.Exit(code)
	return code, true
}

func miniSleep(s *SSHSession, args []string) (int, bool) {
	if len(args) != 1 {
		return miniUsage(s, "sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		secs, ferr := strconv.ParseFloat(args[0], 64)
		if ferr != nil || secs < 0 {
			return miniUsage(s, "sleep DURATION (1.5s, 200ms or seconds)")
		}
		d = time.Duration(secs * float64(time.Second))
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return 0, false
	case sig := <-s.Signals:
		s.ExitSignal(string(sig), "")
		return 0, true
	case <-s.Ctx.Done():
		return 0, true
	}
}

func miniBytes(s *SSHSession, args []string) (int, bool) {
	n := -1
	if len(args) == 1 {
		n, _ = strconv.Atoi(args[0])
	}
	if n < 0 {
		return miniUsage(s, "bytes N")
	}
	const chunk = 100 * 320 // a multiple of the line length
	buf := make([]byte, min(n, chunk))
	for i := range buf {
		buf[i] = 'x'
		if (i+1)%100 == 0 {
			buf[i] = '\n'
		}
	}
	for n > 0 {
		k := min(n, len(buf))
		if _, err := s.Stdout.Write(buf[:k]); err != nil {
			return 0, true
		}
		n -= k
	}
	return 0, false
}

func miniEnv(s *SSHSession, args []string) (int, bool) {
	switch len(args) {
	case 0:
		names := make([]string, 0, len(s.Env))
		for k := range s.Env {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			fmt.Fprintf(s.Stdout, "%s=%s\n", k, s.Env[k])
		}
		return 0, false
	case 1:
		v, ok := s.Env[args[0]]
		if !ok {
			return 1, false
		}
		fmt.Fprintln(s.Stdout, v)
		return 0, false
	}
	return miniUsage(s, "env [NAME]")
}

func joinWords(words []string) string {
	return strings.Join(words, " ")
}

// splitScript splits a MiniShell command line into commands of words.
func splitScript(line string) ([][]string, error) {
	var (
		script  [][]string
		words   []string
		word    strings.Builder
		inWord  bool // a word has started (it may be empty: '')
		comment bool
	)
	endWord := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	endCommand := func() {
		endWord()
		if len(words) > 0 {
			script = append(script, words)
			words = nil
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if comment {
			if c == '\n' {
				comment = false
				endCommand()
			}
			continue
		}
		switch {
		case c == ' ' || c == '\t':
			endWord()
		case c == ';' || c == '\n':
			endCommand()
		case c == '#' && !inWord:
			comment = true
		case c == '\\' && i+1 < len(line) && line[i+1] == '\n':
			i++ // backslash-newline continues the line
		case c == '\\':
			inWord = true
			if i+1 < len(line) {
				i++
				word.WriteByte(line[i])
			}
		case c == '\'':
			inWord = true
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated ' quote")
			}
			word.WriteString(line[i+1 : i+1+end])
			i += end + 1
		case c == '"':
			inWord = true
			n, err := readDoubleQuoted(line[i+1:], &word)
			if err != nil {
				return nil, err
			}
			i += n // now at the closing quote
		default:
			inWord = true
			word.WriteByte(c)
		}
	}
	endCommand()
	return script, nil
}

// readDoubleQuoted copies the inside of a "..." string (s starts after the
// opening quote) to w and returns how many bytes it used, closing quote
// included. As in a POSIX shell, \ escapes only $ ` " \ and newline.
func readDoubleQuoted(s string, w *strings.Builder) (int, error) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return i + 1, nil
		case '\\':
			if i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
				i++
				if s[i] != '\n' {
					w.WriteByte(s[i])
				}
				continue
			}
			w.WriteByte(c)
		default:
			w.WriteByte(c)
		}
	}
	return 0, errors.New(`unterminated " quote`)
}
