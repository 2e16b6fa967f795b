package ssh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
)

// clientVersion is the SSH identification string remotectl sends.
const clientVersion = "SSH-2.0-remotectl"

// Dialer opens SSH transports. It implements remote.Dialer. Everything that
// is expensive and the same for many hosts is done once per Dialer and
// shared: ssh_config and known_hosts parsing, key files and passphrases, the
// agent connection, the login password asked on a terminal, and bastion
// connections. A Dialer is safe for concurrent use; Close it when the run
// is over.
type Dialer struct {
	opts    Options
	policy  hostKeyPolicy
	secrets *secretSource

	knownHosts knownHostsSet
	bastions   bastionPool

	mu      sync.Mutex
	configs map[string]*configEntryCache
	keys    map[string]*keyFile
	certs   map[string]*certCache
	agents  map[string]*agentConn
	warned  map[string]bool
	closed  bool
}

var _ remote.Dialer = (*Dialer)(nil)

type configEntryCache struct {
	once sync.Once
	cfg  *sshConfig
	err  error
}

type certCache struct {
	once sync.Once
	cert *gossh.Certificate
	err  error
}

// NewDialer returns a Dialer for opts. It reads nothing yet: files are
// loaded when the first host needs them.
func NewDialer(opts Options) (*Dialer, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	policy, _ := parsePolicy(opts.HostKeyPolicy)
	d := &Dialer{
		opts:   opts,
		policy: policy,
		secrets: &secretSource{
			passphraseEnv: opts.PassphraseEnv,
			askPass:       opts.AskPassProgram,
			prompter:      opts.Prompter,
			getenv:        opts.Getenv,
		},
		configs: map[string]*configEntryCache{},
		keys:    map[string]*keyFile{},
		certs:   map[string]*certCache{},
		agents:  map[string]*agentConn{},
		warned:  map[string]bool{},
	}
	d.bastions.d = d
	return d, nil
}

// Close releases the connections the Dialer keeps: bastions and the agent.
// Transports already dialed stay usable unless they go through a bastion.
func (d *Dialer) Close() error {
	d.mu.Lock()
	d.closed = true
	agents := d.agents
	d.agents = map[string]*agentConn{}
	d.mu.Unlock()
	for _, a := range agents {
		a.close()
	}
	return d.bastions.closeAll()
}

// Dial connects to t, checks its host key, authenticates and returns the
// transport. Errors are classified (*remote.Error).
func (d *Dialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	return d.dial(ctx, t)
}

// Check reads the settings of the targets as Dial would, without
// connecting: the ssh_config files (read as strictly as OpenSSH reads
// them) and the targets' own settings. It returns every distinct problem
// found, each naming file:line or the host.
func (d *Dialer) Check(targets []remote.Target) error {
	var errs []error
	seen := map[string]bool{}
	for _, t := range targets {
		if _, err := d.resolveTarget(t); err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CheckHostKey checks key, the host key a connection to t was made with,
// as a new connection to t would check the key it is presented now (this
// Dialer's known_hosts files and policy). The remotectl agent checks a
// held connection so for every run before reusing it: a run whose
// known_hosts no longer accepts the key gets a new connection instead.
func (d *Dialer) CheckHostKey(t remote.Target, key gossh.PublicKey) error {
	p, err := d.resolveTarget(t)
	if err != nil {
		return &remote.Error{Class: remote.ClassConfig, Op: "config", Err: err}
	}
	return d.hostKeyChecker(p).callback(p.hostKeyName(), nil, key)
}

// HostKey returns the key the host presented when the connection was made.
func (t *Transport) HostKey() gossh.PublicKey { return t.c.hostKey }

// DialSSH is Dial returning the concrete type, for callers that need the
// SSH-only methods (PutTree, GetTree, DialContext).
func (d *Dialer) DialSSH(ctx context.Context, t remote.Target) (*Transport, error) {
	return d.dial(ctx, t)
}

func (d *Dialer) dial(ctx context.Context, t remote.Target) (*Transport, error) {
	p, err := d.resolveTarget(t)
	if err != nil {
		return nil, &remote.Error{Class: remote.ClassConfig, Op: "config", Err: err,
			Hint: "fix the SSH settings of the host (inventory or ssh_config)"}
	}
	c, err := d.connect(ctx, p, opHandshake)
	if err != nil {
		return nil, err
	}
	return newTransport(d, t, p, c), nil
}

// conn is an authenticated SSH connection with its keepalive.
type conn struct {
	client  *gossh.Client
	ka      *keepalive
	bastion *bastionConn    // the jump host it goes through, nil when direct
	hostKey gossh.PublicKey // the key the host presented
}

// close closes the connection and releases the bastion.
func (c *conn) close() error {
	c.ka.stop()
	err := c.client.Close()
	if c.bastion != nil {
		c.bastion.release()
	}
	return err
}

// connect opens the TCP connection (directly or through the ProxyJump
// chain), then runs the SSH handshake with host key checking and
// authentication. The whole is bounded by the connect timeout, or by what
// is left of it when this is a retry (remote.ConnectTimeLeft).
func (d *Dialer) connect(ctx context.Context, p *hostParams, op string) (*conn, error) {
	cctx, cancel := context.WithTimeout(ctx, remote.ConnectTimeLeft(ctx, p.connectTimeout))
	defer cancel()
	netConn, bastion, err := d.openTCP(cctx, p, op)
	if err != nil {
		return nil, d.connectError(ctx, cctx, p, op, err)
	}
	checker := d.hostKeyChecker(p)
	// Authentication may wait for the user (passphrase, password): it runs
	// under ctx, and the guard set up by handshake stops the connect clock
	// meanwhile.
	slot := &guardSlot{}
	plan := d.buildAuth(context.WithValue(ctx, guardKey{}, slot), p)
	client, err := d.handshake(ctx, cctx, p, netConn, checker, plan, slot, op)
	if err != nil {
		if bastion != nil {
			bastion.release()
		}
		if pc, ok := netConn.(*proxyConn); ok {
			err = pc.explain(err)
		}
		return nil, err
	}
	return &conn{
		client:  client,
		ka:      startKeepalive(client, p.keepaliveInterval, p.keepaliveCountMax),
		bastion: bastion,
		hostKey: checker.presented,
	}, nil
}

// openTCP returns a connection to the host's SSH port: a TCP connection, or
// a direct-tcpip channel through the last jump host.
func (d *Dialer) openTCP(ctx context.Context, p *hostParams, op string) (net.Conn, *bastionConn, error) {
	if p.proxyJump == "" && p.proxyCommand != "" {
		c, err := d.dialProxyCommand(ctx, p)
		return c, nil, err
	}
	if p.proxyJump == "" {
		var nd net.Dialer
		c, err := nd.DialContext(ctx, "tcp", p.addr())
		return c, nil, err
	}
	hops, err := parseJumpList(p.proxyJump)
	if err != nil {
		return nil, nil, &remote.Error{Class: remote.ClassConfig, Op: opBastion, Err: err,
			Hint: "ProxyJump is a comma-separated list of [user@]host[:port]"}
	}
	b, err := d.bastions.acquire(ctx, hops, 0)
	if err != nil {
		return nil, nil, err
	}
	c, err := b.dialChannel(ctx, p.addr())
	if err != nil {
		b.release()
		return nil, nil, err
	}
	return c, b, nil
}

// handshake runs the SSH handshake on netConn. The connect deadline (cctx)
// is enforced with a deadline on the connection and by closing it, because
// gossh.ClientConfig.Timeout does not bound the handshake; time spent
// waiting for the user to type a passphrase or password does not count.
// Cancelling ctx closes the connection at once.
func (d *Dialer) handshake(ctx, cctx context.Context, p *hostParams, netConn net.Conn,
	checker *hostKeyChecker, plan *authPlan, slot *guardSlot, op string) (*gossh.Client, error) {
	guard := newDeadlineGuard(netConn, cctx)
	slot.set(guard)
	stopCancel := context.AfterFunc(ctx, func() { netConn.Close() })
	cfg := &gossh.ClientConfig{
		Config:            p.algorithms,
		User:              p.user,
		Auth:              plan.methods,
		HostKeyCallback:   checker.callback,
		HostKeyAlgorithms: checker.offer(p.hostKeyName()),
		ClientVersion:     clientVersion,
	}
	c, chans, reqs, err := gossh.NewClientConn(newBufferedConn(netConn), p.hostKeyName(), cfg)
	expired := guard.stop()
	cancelled := !stopCancel()
	if err == nil && (expired || cancelled) {
		c.Close()
		err = net.ErrClosed
	}
	if err != nil {
		netConn.Close()
		switch {
		case checker.err != nil:
			return nil, checker.err
		case ctx.Err() != nil:
			return nil, classify(op, ctx.Err())
		case expired:
			return nil, d.timeoutError(p, op)
		}
		return nil, d.handshakeError(ctx, cctx, p, op, err, plan)
	}
	return newClient(c, chans, reqs), nil
}

// connectError classifies a failure before or during the handshake,
// telling a connect timeout from the caller's own deadline or cancel.
func (d *Dialer) connectError(ctx, cctx context.Context, p *hostParams, op string, err error) error {
	var re *remote.Error
	if errors.As(err, &re) {
		return err
	}
	if ctx.Err() != nil {
		return classify(op, ctx.Err())
	}
	// The dial's own deadline (the connect deadline) may fire just before
	// cctx is done.
	if cctx.Err() != nil || remote.NetClass(err) == remote.ClassTimeout {
		return d.timeoutError(p, op)
	}
	return classify(op, fmt.Errorf("%s (%s): %w", p.name, p.addr(), err))
}

// timeoutError is the error for a connect timeout.
func (d *Dialer) timeoutError(p *hostParams, op string) error {
	return &remote.Error{Class: remote.ClassTimeout, Op: op,
		Err:  fmt.Errorf("%s (%s): no answer within the connect timeout of %s", p.name, p.addr(), p.connectTimeout),
		Hint: hintTimeout}
}

// handshakeError classifies a failed handshake, describing what was
// offered when authentication failed.
func (d *Dialer) handshakeError(ctx, cctx context.Context, p *hostParams, op string, err error, plan *authPlan) error {
	cerr := d.connectError(ctx, cctx, p, op, err)
	var re *remote.Error
	if errors.As(cerr, &re) && re.Class == remote.ClassAuth && re.Op == op {
		if len(plan.badIdentities) > 0 {
			// The settings name a key that cannot be used: invalid input.
			return &remote.Error{Class: remote.ClassConfig, Op: op,
				Err: fmt.Errorf("authentication failed for %s: %s", p.id(), plan.describe()),
				Hint: "fix the identity file setting (ansible_ssh_private_key_file, identity_file or IdentityFile): " +
					strings.Join(plan.badIdentities, ", ") + " must be a readable private key"}
		}
		return &remote.Error{Class: remote.ClassAuth, Op: op,
			Err:  fmt.Errorf("authentication failed for %s: %s", p.id(), plan.describe()),
			Hint: plan.authHint()}
	}
	return cerr
}

// hostKeyChecker returns the checker for a host, warning once per Dialer
// when host key checking is off.
func (d *Dialer) hostKeyChecker(p *hostParams) *hostKeyChecker {
	if p.policy == policyOff {
		d.warn("hostkey-off", "warning: host key checking is off for some hosts: "+
			"their identity is not verified and connections may be intercepted")
	}
	files := make([]*knownHostsFile, len(p.knownHostsFiles))
	for i, path := range p.knownHostsFiles {
		files[i] = d.knownHosts.file(path)
	}
	return &hostKeyChecker{files: files, policy: p.policy, accept: d.opts.acceptCommand(p.name)}
}

// sshConfig returns the compiled ssh_config for path ("" = Options').
func (d *Dialer) sshConfig(path string) (*sshConfig, error) {
	if path == "" {
		path = d.opts.ConfigFile
	}
	if path == "none" {
		return &sshConfig{}, nil
	}
	d.mu.Lock()
	c, ok := d.configs[path]
	if !ok {
		c = &configEntryCache{}
		d.configs[path] = c
	}
	d.mu.Unlock()
	c.once.Do(func() {
		c.cfg, c.err = loadSSHConfig(path, d.opts.Home)
		if c.err == nil && len(c.cfg.unsupported) > 0 {
			d.warn("config-unsupported:"+path, fmt.Sprintf("warning: %s: %s never match in remotectl",
				path, strings.Join(c.cfg.unsupported, ", ")))
		}
	})
	return c.cfg, c.err
}

// keyFile returns the shared state of a private key file.
func (d *Dialer) keyFile(path string) *keyFile {
	d.mu.Lock()
	defer d.mu.Unlock()
	k, ok := d.keys[path]
	if !ok {
		k = &keyFile{path: path}
		d.keys[path] = k
	}
	return k
}

// certificate returns the parsed certificate at path (nil when missing).
func (d *Dialer) certificate(path string) (*gossh.Certificate, error) {
	d.mu.Lock()
	c, ok := d.certs[path]
	if !ok {
		c = &certCache{}
		d.certs[path] = c
	}
	d.mu.Unlock()
	c.once.Do(func() { c.cert, c.err = readCertificate(path) })
	return c.cert, c.err
}

// agent returns the shared connection to the agent at socket.
func (d *Dialer) agent(socket string) *agentConn {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.agents[socket]
	if !ok {
		a = &agentConn{socket: socket}
		if d.closed {
			a.close()
		}
		d.agents[socket] = a
	}
	return a
}

// warn writes a warning once per Dialer per key.
func (d *Dialer) warn(key, msg string) {
	d.mu.Lock()
	if d.warned[key] {
		d.mu.Unlock()
		return
	}
	d.warned[key] = true
	d.mu.Unlock()
	fmt.Fprintln(d.opts.Warn, msg)
}

// guardKey is the context key of the guardSlot of a connection attempt.
type guardKey struct{}

// guardSlot lets authentication callbacks find the deadline guard of their
// connection attempt, which exists only once the handshake starts.
type guardSlot struct {
	mu sync.Mutex
	g  *deadlineGuard
}

func (s *guardSlot) set(g *deadlineGuard) {
	s.mu.Lock()
	s.g = g
	s.mu.Unlock()
}

// pauseDeadline stops the connect clock of the attempt ctx belongs to, if
// any, and the connect budget of its retries, until the returned function
// is called.
func pauseDeadline(ctx context.Context) (resume func()) {
	slot, _ := ctx.Value(guardKey{}).(*guardSlot)
	if slot == nil {
		return func() {}
	}
	slot.mu.Lock()
	g := slot.g
	slot.mu.Unlock()
	if g == nil {
		return func() {}
	}
	resumeBudget := remote.PauseConnectClock(ctx)
	resumeGuard := g.pause()
	return func() {
		resumeGuard()
		resumeBudget()
	}
}

// deadlineGuard enforces the connect deadline on a connection during the
// handshake: a deadline on the net.Conn (where supported) and a timer that
// closes it (for channels through a bastion, which have no deadlines).
// Waiting for the user to type a secret pauses it.
type deadlineGuard struct {
	conn net.Conn

	mu        sync.Mutex
	timer     *time.Timer
	remaining time.Duration
	started   time.Time
	paused    int
	expired   bool
	stopped   bool
}

func newDeadlineGuard(c net.Conn, cctx context.Context) *deadlineGuard {
	g := &deadlineGuard{conn: c, remaining: time.Hour}
	if dl, ok := cctx.Deadline(); ok {
		g.remaining = time.Until(dl)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.startLocked()
	return g
}

func (g *deadlineGuard) startLocked() {
	g.started = time.Now()
	_ = g.conn.SetDeadline(g.started.Add(g.remaining))
	if g.timer == nil {
		g.timer = time.AfterFunc(g.remaining, g.fire)
	} else {
		g.timer.Reset(g.remaining)
	}
}

func (g *deadlineGuard) fire() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused > 0 || g.stopped {
		return
	}
	g.expired = true
	g.conn.Close()
}

// pause stops the clock until the returned function is called.
func (g *deadlineGuard) pause() (resume func()) {
	g.mu.Lock()
	if g.paused == 0 && !g.stopped {
		g.timer.Stop()
		g.remaining -= time.Since(g.started)
		_ = g.conn.SetDeadline(time.Time{})
	}
	g.paused++
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.paused--
		if g.paused > 0 || g.stopped {
			return
		}
		if g.remaining <= 0 {
			g.expired = true
			g.conn.Close()
			return
		}
		g.startLocked()
	}
}

// stop ends the guard, clears the deadline and reports whether it expired
// (the timer fired, or the connection's own deadline passed first).
func (g *deadlineGuard) stop() (expired bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopped = true
	g.timer.Stop()
	if g.paused == 0 && time.Since(g.started) >= g.remaining {
		g.expired = true
	}
	if !g.expired {
		_ = g.conn.SetDeadline(time.Time{})
	}
	return g.expired
}
