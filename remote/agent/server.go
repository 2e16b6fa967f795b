package agent

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/ssh"
	"github.com/remotectl/remotectl/remote/winrm"
)

// DefaultPersist is how long `remotectl agent start` without --persist
// holds idle connections, and waits with none before it exits.
const DefaultPersist = 10 * time.Minute

// aliveTimeout bounds the keepalive round trip that checks an idle held
// connection before it is reused.
const aliveTimeout = 3 * time.Second

// secretsWait bounds the wait for the full dial request the agent asked a
// client for.
const secretsWait = time.Minute

// ServerConfig configures Serve.
type ServerConfig struct {
	// Socket is the socket path (see SocketPath).
	Socket string
	// Persist is how long the agent runs holding nothing before it exits,
	// until a run tells it its own --persist.
	Persist time.Duration
	// Log receives one line per connection opened, replaced, refused or
	// closed (nil discards). Secrets are never logged.
	Log io.Writer
}

// server is the running agent.
type server struct {
	cfg ServerConfig
	ln  *net.UnixListener
	uid int

	mu       sync.Mutex
	pools    map[string][]*held // by connection key
	leases   map[string]*held
	dialers  map[string]*runDialer // by run and options
	exitIdle time.Duration         // the last run's persist
	lastBusy time.Time             // when the agent last held or served something
	trimmed  time.Time             // when settled last returned true
	active   int                   // client connections open
	started  time.Time
	stopped  bool
	stop     chan struct{}
}

// held is one connection the agent holds: SSH (ssh set) or WinRM (an
// HTTP client with its keep-alive connections, security contexts and the
// shell it reuses).
type held struct {
	key      string
	host     string
	addr     string
	tr       remote.Transport
	ssh      *ssh.Transport // tr, for an SSH connection; nil otherwise
	dialer   *runDialer
	persist  time.Duration
	created  time.Time
	lastUsed time.Time
	refs     int // the lease and the operations running on it
	sessions int
}

// runDialer is the SSH dialer of one client run (one set of options),
// shared by the connections it opened (it holds their jump hosts), closed
// once none uses it for dialerLinger.
type runDialer struct {
	key      string
	d        *ssh.Dialer   // an SSH run's
	w        *winrm.Dialer // a WinRM run's
	refs     int           // the connections it opened, and checks in progress
	lastUsed time.Time
}

// dialerLinger is how long an unused run dialer is kept: the hosts of one
// run are dialed within moments of each other.
const dialerLinger = 30 * time.Second

// Serve runs the agent on cfg.Socket until ctx is done, a client asks it to
// stop, or it has held nothing for its persist time. It refuses to start
// when another agent answers on the socket.
func Serve(ctx context.Context, cfg ServerConfig) error {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Persist <= 0 {
		cfg.Persist = DefaultPersist
	}
	if err := privateDir(filepath.Dir(cfg.Socket)); err != nil {
		return err
	}
	lock, err := lockAgent(lockPath(cfg.Socket))
	if err != nil {
		return err
	}
	defer lock.Close()
	ln, err := listen(cfg.Socket)
	if err != nil {
		return err
	}
	s := &server{cfg: cfg, ln: ln, uid: os.Getuid(), pools: map[string][]*held{}, leases: map[string]*held{},
		dialers: map[string]*runDialer{}, exitIdle: cfg.Persist, lastBusy: time.Now(), started: time.Now(), stop: make(chan struct{})}
	s.logf("agent %d listening on %s", os.Getpid(), cfg.Socket)
	go s.reap(ctx)
	err = s.accept()
	s.shutdown()
	s.closeAll()
	s.logf("agent %d stopped", os.Getpid())
	return err
}

// lockPath is the lock file of the agent on socket: beside it, named
// after it.
func lockPath(socket string) string { return strings.TrimSuffix(socket, ".sock") + ".lock" }

// lockAgent takes the lock only the running agent holds (flock, released
// when the process ends): two runs that start an agent at once leave one.
func lockAgent(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another agent runs (%s is locked): remotectl agent status", path)
	}
	return f, nil
}

// listen binds the socket, mode 0600, replacing a stale one (a socket no
// agent answers on).
func listen(path string) (*net.UnixListener, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("an agent is already running on %s (remotectl agent stop ends it)", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

func (s *server) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, time.Now().Format(time.DateTime)+" "+format+"\n", args...)
}

// accept serves clients until the listener is closed.
func (s *server) accept() error {
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			s.mu.Lock()
			stopped := s.stopped
			s.mu.Unlock()
			if stopped {
				return nil
			}
			return err
		}
		if uid, err := peerUID(c); err != nil || uid != s.uid {
			s.logf("refused a connection from uid %d: only uid %d may use this agent%s", uid, s.uid, errSuffix(err))
			_ = writeJSON(c, frameReply, reply{Err: encodeError(&remote.Error{Class: remote.ClassPermission, Op: "agent",
				Err: fmt.Errorf("this agent serves uid %d only", s.uid)})})
			c.Close()
			continue
		}
		s.mu.Lock()
		s.active++
		s.mu.Unlock()
		go func() {
			s.serveConn(c)
			c.Close()
			s.mu.Lock()
			s.active--
			s.lastBusy = time.Now()
			s.mu.Unlock()
		}()
	}
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " (" + err.Error() + ")"
}

// peerUID returns the uid of the process at the other end (SO_PEERCRED).
func peerUID(c *net.UnixConn) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	uid := -1
	var credErr error
	err = raw.Control(func(fd uintptr) {
		var cred *syscall.Ucred
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
		if cred != nil {
			uid = int(cred.Uid)
		}
	})
	return uid, errors.Join(err, credErr)
}

// serveConn reads a connection's request and serves it.
func (s *server) serveConn(c *net.UnixConn) {
	typ, payload, err := readFrame(c, nil)
	if err != nil || typ != frameRequest {
		return
	}
	var req request
	if err := decodeJSON(payload, &req); err != nil {
		s.logf("bad request: %v", err)
		return
	}
	switch req.Op {
	case "dial":
		s.serveDial(c, req)
	case "run", "upload", "download", "puttree", "gettree", "os", "dialnet":
		s.serveOp(c, req)
	case "status":
		_ = writeJSON(c, frameReply, reply{Status: &Report{Pid: os.Getpid(), Started: s.started, Held: s.status()}})
	case "stop":
		_ = writeJSON(c, frameReply, reply{})
		s.shutdown()
	default:
		_ = writeJSON(c, frameReply, reply{Err: encodeError(fmt.Errorf("agent: unknown request %q", req.Op))})
	}
}

// shutdown stops accepting; Serve then closes every connection.
func (s *server) shutdown() {
	s.mu.Lock()
	if !s.stopped {
		s.stopped = true
		close(s.stop)
	}
	s.mu.Unlock()
	s.ln.Close()
}

// serveDial leases a connection for the request's target, holding it until
// the client's connection ends. The request carries no secret: when no
// held connection can serve it, the agent asks for the full request (with
// the run's passwords and the values of its secret variables) and dials.
// A held connection is offered with its host key, which the client checks
// against its known_hosts: one it rejects is closed and a new one dialed.
func (s *server) serveDial(c *net.UnixConn, req request) {
	if req.Key == "" {
		return
	}
	ctx, cancel := withDeadline(context.Background(), req.Deadline)
	defer cancel()
	h, err := s.reuse(ctx, req.Key, req.Persist)
	for offered := h != nil; ; offered = false {
		if err == nil && h == nil {
			h, err = s.dialFull(ctx, c, req)
		}
		if err != nil {
			_ = writeJSON(c, frameReply, reply{Err: encodeError(err)})
			return
		}
		reason := "no host key recorded for it" // never so after a handshake: not offered unchecked
		if !offered || h.ssh == nil || h.ssh.HostKey() != nil {
			reason = s.lend(c, h, offered)
		}
		if reason == "" {
			return // released; returning closes c: the client's Close knows the connection is back
		}
		s.logf("%s: not reusing the held connection: %s", h.host, reason)
		s.drop(h)
		h = nil
	}
}

// lend leases h to the client until its connection ends, and returns "";
// or, for a held connection offered to the client, the reason the client
// gives for rejecting it.
func (s *server) lend(c *net.UnixConn, h *held, offered bool) string {
	lease := newLease()
	s.mu.Lock()
	s.leases[lease] = h
	s.mu.Unlock()
	rep := reply{Lease: lease}
	if offered && h.ssh != nil {
		rep.HostKey = h.ssh.HostKey().Marshal()
	}
	reason := ""
	if writeJSON(c, frameReply, rep) == nil {
		reason = awaitRelease(c, offered)
	}
	s.mu.Lock()
	delete(s.leases, lease)
	s.mu.Unlock()
	if h.ssh != nil {
		// No pool shell outlives the run that started it.
		h.ssh.CloseShells()
	}
	if reason == "" {
		s.release(h)
	}
	return reason
}

// awaitRelease waits for the end of a lease: the end of the client's
// connection (its Close, or its death), and returns "". A client offered a
// held connection either keeps it (sends nothing) or rejects it at once
// with a "reject" request, whose reason is returned.
func awaitRelease(c *net.UnixConn, offered bool) string {
	if offered {
		typ, payload, err := readFrame(c, nil)
		if err != nil {
			return ""
		}
		var req request
		if typ == frameRequest && decodeJSON(payload, &req) == nil && req.Op == "reject" {
			return cmp.Or(req.Reason, "rejected by the run")
		}
	}
	_, _ = io.Copy(io.Discard, c)
	return ""
}

// dialFull asks the client for the full request and dials it; the dial is
// cancelled when the client goes away.
func (s *server) dialFull(ctx context.Context, c *net.UnixConn, req request) (*held, error) {
	if err := writeJSON(c, frameReply, reply{NeedSecrets: true}); err != nil {
		return nil, err
	}
	// The client answers at once; a busy machine may delay it, so wait as
	// long as the dial may take (its deadline, at most secretsWait).
	wait := time.Now().Add(secretsWait)
	if dl, ok := ctx.Deadline(); ok && dl.Before(wait) {
		wait = dl
	}
	_ = c.SetReadDeadline(wait)
	typ, payload, err := readFrame(c, nil)
	_ = c.SetReadDeadline(time.Time{})
	var full request
	if err == nil && typ == frameRequest {
		err = decodeJSON(payload, &full)
	}
	if err != nil || full.Dial == nil {
		return nil, fmt.Errorf("agent protocol: no full dial request: %v", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	readDone := make(chan struct{})
	go func() {
		// The client sends nothing until it has the reply: a byte or the
		// end of its connection means it gave up.
		defer close(readDone)
		var b [1]byte
		if _, err := c.Read(b[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
			cancel()
		}
	}()
	defer func() {
		_ = c.SetReadDeadline(time.Now()) // ends the read above
		<-readDone
		_ = c.SetReadDeadline(time.Time{})
	}()
	rd, err := s.runDialer(full.Dial.Run+"/dial", full.Dial)
	if err != nil {
		return nil, &remote.Error{Class: remote.ClassConfig, Op: "config", Err: err}
	}
	return s.dial(ctx, req.Key, rd, full.Dial)
}

func withDeadline(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if deadline.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline)
}

func newLease() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// reuse returns an idle held connection of key that still answers, nil
// when there is none. Whether the run's known_hosts still accepts its host
// key is the client's to check (see serveDial).
func (s *server) reuse(ctx context.Context, key string, persist time.Duration) (*held, error) {
	for {
		h := s.takeIdle(key, persist)
		if h == nil {
			return nil, nil
		}
		if h.ssh == nil {
			// WinRM: a keep-alive connection the server closed is
			// replaced (and authenticated again) by the next request, a
			// shell it no longer has by a new one before the command
			// starts (winrm.Transport): there is nothing to probe.
			return h, nil
		}
		if err := alive(ctx, h); err != nil {
			s.logf("%s: not reusing the held connection: %v", h.host, err)
			s.drop(h)
			continue
		}
		h.ssh.ForgetSudo() // probed again, as a run of its own would
		return h, nil
	}
}

// alive tells whether a held connection still answers a keepalive: one
// that died is replaced before any command starts on it.
func alive(ctx context.Context, h *held) error {
	actx, cancel := context.WithTimeout(ctx, aliveTimeout)
	defer cancel()
	if err := h.ssh.Alive(actx); err != nil {
		return fmt.Errorf("the held connection is gone: %w", err)
	}
	return nil
}

// takeIdle marks an idle connection of key used and returns it, nil when
// there is none.
func (s *server) takeIdle(key string, persist time.Duration) *held {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exitIdle = persist
	for _, h := range s.pools[key] {
		if h.refs == 0 {
			h.refs, h.persist, h.lastUsed = 1, persist, time.Now()
			return h
		}
	}
	return nil
}

// dial opens a new connection with the run's dialer rd, whose reference
// it keeps, and holds it.
func (s *server) dial(ctx context.Context, key string, rd *runDialer, dr *dialRequest) (*held, error) {
	t := dr.Target
	now := time.Now()
	h := &held{key: key, host: t.Name, addr: connName(t), dialer: rd,
		persist: dr.Persist, created: now, lastUsed: now, refs: 1}
	var err error
	if rd.w != nil {
		h.addr = "winrm:" + h.addr
		h.tr, err = rd.w.Dial(ctx, t)
	} else if h.ssh, err = rd.d.DialSSH(ctx, t); err == nil {
		h.tr = h.ssh
	}
	if err != nil {
		s.putDialer(rd)
		return nil, err
	}
	s.mu.Lock()
	s.pools[key] = append(s.pools[key], h)
	s.mu.Unlock()
	s.logf("%s: connected (%s)", h.host, h.addr)
	return h, nil
}

// connName is [user@]address[:port] as the target gives them.
func connName(t remote.Target) string {
	name := t.Addr()
	if t.User != "" {
		name = t.User + "@" + name
	}
	if t.Port != 0 {
		name += ":" + strconv.Itoa(t.Port)
	}
	return name
}

// runDialer returns the SSH dialer of a run's options (name: the run and
// what the dialer is for), made on first use and shared by the run's
// connections. It lingers a moment once unused, for the run's next hosts.
func (s *server) runDialer(name string, dr *dialRequest) (*runDialer, error) {
	key := name + "/" + digest(dr.Kind, optionsToJSON(dr.Options), dr.WinRM, dr.Env)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rd, ok := s.dialers[key]; ok {
		rd.refs++
		return rd, nil
	}
	env := dr.Env
	getenv := func(name string) string { return env[name] }
	rd := &runDialer{key: key, refs: 1}
	if dr.Kind == remote.KindWinRM {
		o := dr.WinRM
		rd.w = winrm.NewDialer(winrm.Options{Warn: s.cfg.Log, Password: o.Password, Getenv: getenv,
			ConnectTimeout: o.ConnectTimeout, OperationTimeout: o.OperationTimeout, CleanupTimeout: o.CleanupTimeout})
	} else {
		opts := dr.Options
		opts.Getenv, opts.Warn = getenv, s.cfg.Log
		d, err := ssh.NewDialer(opts)
		if err != nil {
			return nil, err
		}
		rd.d = d
	}
	s.dialers[key] = rd
	return rd, nil
}

// putDialer drops a reference to rd.
func (s *server) putDialer(rd *runDialer) {
	s.mu.Lock()
	rd.refs--
	rd.lastUsed = time.Now()
	s.mu.Unlock()
}

// closeDialers closes the dialers unused since before, all when before is
// zero.
func (s *server) closeDialers(before time.Time) {
	s.mu.Lock()
	var unused []*runDialer
	for key, rd := range s.dialers {
		if rd.refs <= 0 && (before.IsZero() || rd.lastUsed.Before(before)) {
			unused = append(unused, rd)
			delete(s.dialers, key)
		}
	}
	s.mu.Unlock()
	for _, rd := range unused {
		if rd.d != nil {
			_ = rd.d.Close()
		}
	}
}

// use takes a reference on a leased connection for one operation.
func (s *server) use(lease string) *held {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.leases[lease]
	if h != nil {
		h.refs++
		h.sessions++
	}
	return h
}

// release drops a reference; an unreferenced connection is idle from now.
func (s *server) release(h *held) {
	s.mu.Lock()
	h.refs--
	h.lastUsed = time.Now()
	s.lastBusy = h.lastUsed
	s.mu.Unlock()
}

// drop closes a held connection and forgets it.
func (s *server) drop(h *held) {
	s.mu.Lock()
	s.forget(h)
	s.mu.Unlock()
	s.closeHeld(h)
}

// forget removes h from its pool; s.mu is held.
func (s *server) forget(h *held) {
	pool := s.pools[h.key]
	if i := slices.Index(pool, h); i >= 0 {
		pool = slices.Delete(pool, i, i+1)
	}
	if len(pool) == 0 {
		delete(s.pools, h.key)
	} else {
		s.pools[h.key] = pool
	}
	s.lastBusy = time.Now()
}

// closeHeld closes a connection no longer in any pool.
func (s *server) closeHeld(h *held) {
	_ = h.tr.Close()
	s.putDialer(h.dialer)
}

// reap closes connections idle for their persist time and stops the agent
// once it has held nothing for its own.
func (s *server) reap(ctx context.Context) {
	tick := time.NewTicker(min(s.cfg.Persist/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			s.shutdown()
			return
		case <-s.stop:
			return
		case <-tick.C:
		}
		now := time.Now()
		expired, empty := s.expired(now)
		// Closed side by side: a WinRM connection deletes its shell on
		// the server, which may take its cleanup timeout when the server
		// is gone.
		var wg sync.WaitGroup
		for _, h := range expired {
			s.logf("%s: idle for %s, closing", h.host, h.persist)
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.closeHeld(h)
			}()
		}
		wg.Wait()
		s.closeDialers(now.Add(-dialerLinger))
		if s.settled(now) {
			// Held connections are all an idle agent keeps: give the
			// memory the runs used back to the system (GC headroom,
			// freed buffers), once per idle spell.
			debug.FreeOSMemory()
		}
		if empty {
			s.logf("nothing held for %s, exiting", s.exitIdle)
			s.shutdown()
			return
		}
	}
}

// trimAfter is how long the agent serves nothing before it returns its
// free memory to the system.
const trimAfter = 2 * time.Second

// settled reports, once per idle spell, that no client has been
// connected for trimAfter.
func (s *server) settled(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active > 0 || now.Sub(s.lastBusy) < trimAfter || !s.lastBusy.After(s.trimmed) {
		return false
	}
	s.trimmed = now
	return true
}

// expired takes the connections idle past their persist time out of
// their pools (no dial can take them any more) and returns them, and
// whether the agent has been holding and serving nothing for its own.
func (s *server) expired(now time.Time) (out []*held, empty bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pool := range s.pools {
		for _, h := range pool {
			if h.refs == 0 && now.Sub(h.lastUsed) >= h.persist {
				out = append(out, h)
			}
		}
	}
	for _, h := range out {
		s.forget(h)
	}
	if len(out) > 0 {
		return out, false
	}
	empty = len(s.pools) == 0 && s.active == 0 && now.Sub(s.lastBusy) >= s.exitIdle
	return out, empty
}

// status lists the held connections.
func (s *server) status() []Held {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Held
	for _, pool := range s.pools {
		for _, h := range pool {
			out = append(out, Held{Host: h.host, Addr: h.addr, Created: h.created, LastUsed: h.lastUsed,
				Sessions: h.sessions, InUse: h.refs > 0})
		}
	}
	slices.SortFunc(out, func(a, b Held) int {
		if a.Host != b.Host {
			if a.Host < b.Host {
				return -1
			}
			return 1
		}
		return a.Created.Compare(b.Created)
	})
	return out
}

// closeAll closes every held connection (the agent is stopping).
func (s *server) closeAll() {
	s.mu.Lock()
	var all []*held
	for _, pool := range s.pools {
		all = append(all, pool...)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, h := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.drop(h)
		}()
	}
	wg.Wait()
	s.closeDialers(time.Time{})
}

// connKey is the identity of a connection: everything that decides what
// is connected to, as whom and how (the target's settings, the run's SSH
// options, the values of the environment variables they name), hashed so
// that no secret is kept in the clear as a key. Two runs with the same key
// share held connections; any difference opens a new one.
func connKey(dr *dialRequest) string {
	t := dr.Target
	t.Vars, t.ConnectTimeout = nil, 0
	o := optionsToJSON(dr.Options)
	o.HintArgs, o.ConnectTimeout, o.WorkDir = nil, 0, ""
	return digest(t, o, dr.Env)
}

// digest hashes the JSON encodings of vs (map keys sorted: the same value,
// the same digest).
func digest(vs ...any) string {
	h := sha256.New()
	for _, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			return "unshared-" + newLease() // never equal to another key
		}
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
