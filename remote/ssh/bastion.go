package ssh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/remotectl/remotectl/remote"
)

// maxJumpDepth bounds ProxyJump chains, including jump hosts that have a
// ProxyJump of their own in ssh_config (and loops between them).
const maxJumpDepth = 8

// jumpHost is one element of a ProxyJump list.
type jumpHost struct {
	user string
	host string
	port int // 0 = from ssh_config, else 22
}

// parseJumpList parses "[user@]host[:port],..." (and ssh://user@host:port).
func parseJumpList(s string) ([]jumpHost, error) {
	var hops []jumpHost
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("empty host in ProxyJump %q", s)
		}
		h, err := parseJumpHost(item)
		if err != nil {
			return nil, fmt.Errorf("ProxyJump %q: %w", s, err)
		}
		hops = append(hops, h)
	}
	return hops, nil
}

func parseJumpHost(s string) (jumpHost, error) {
	if strings.HasPrefix(s, "ssh://") {
		u, err := url.Parse(s)
		if err != nil {
			return jumpHost{}, err
		}
		h := jumpHost{host: u.Hostname(), user: u.User.Username()}
		if p := u.Port(); p != "" {
			if h.port, err = strconv.Atoi(p); err != nil {
				return jumpHost{}, fmt.Errorf("bad port in %q", s)
			}
		}
		return h, nil
	}
	var h jumpHost
	if i := strings.LastIndex(s, "@"); i >= 0 {
		h.user, s = s[:i], s[i+1:]
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		// No port: a host name, an IPv6 address, bracketed or not.
		switch {
		case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"):
			host = s[1 : len(s)-1]
		case strings.Contains(s, ":") && net.ParseIP(s) == nil:
			return jumpHost{}, fmt.Errorf("bad host:port %q", s)
		default:
			host = s
		}
		port = ""
	}
	h.host = host
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n <= 0 || n > 65535 {
			return jumpHost{}, fmt.Errorf("bad port in %q", s)
		}
		h.port = n
	}
	if h.host == "" {
		return jumpHost{}, fmt.Errorf("no host in %q", s)
	}
	return h, nil
}

// bastionPool shares one connection per jump host among every target that
// goes through it. Connections are keyed by the chain that reaches them
// ("user@a:22>user@b:22"), reference counted, and closed when their last
// user releases them or when the Dialer is closed.
type bastionPool struct {
	d *Dialer

	mu     sync.Mutex
	conns  map[string]*bastionConn
	ctx    context.Context // cancelled by closeAll: stops dials in progress
	cancel context.CancelFunc
	closed bool
}

// bastionConn is a connection to a jump host.
type bastionConn struct {
	pool  *bastionPool
	key   string
	name  string
	ready chan struct{} // closed when the dial finished (conn or err set)
	conn  *conn
	err   error
	sem   chan struct{} // caps concurrent channel opens

	refs int // guarded by pool.mu
	gone bool
}

// acquire returns a connection to the last host of hops, reached through
// the ones before it, dialing it (once, however many callers wait for it)
// when there is none yet. The caller must release it.
func (bp *bastionPool) acquire(ctx context.Context, hops []jumpHost, depth int) (*bastionConn, error) {
	if depth+len(hops) > maxJumpDepth {
		return nil, &remote.Error{Class: remote.ClassOther, Op: opBastion,
			Err:  fmt.Errorf("ProxyJump chain longer than %d hosts", maxJumpDepth),
			Hint: "check ssh_config for ProxyJump loops between jump hosts"}
	}
	last := hops[len(hops)-1]
	p, err := bp.d.resolveHost(last.host, last.user, last.port, "")
	if err != nil {
		return nil, &remote.Error{Class: remote.ClassOther, Op: opBastion, Err: err}
	}
	via := hops[:len(hops)-1]
	if len(via) == 0 && p.proxyJump != "" {
		// The first jump host may have a ProxyJump of its own in ssh_config.
		if via, err = parseJumpList(p.proxyJump); err != nil {
			return nil, &remote.Error{Class: remote.ClassOther, Op: opBastion, Err: err}
		}
		depth++
	}
	var parent *bastionConn
	if len(via) > 0 {
		if parent, err = bp.acquire(ctx, via, depth); err != nil {
			return nil, err
		}
	}
	key := p.id()
	if parent != nil {
		key = parent.key + ">" + key
	}

	bp.mu.Lock()
	if bp.closed {
		bp.mu.Unlock()
		parent.release()
		return nil, &remote.Error{Class: remote.ClassCancelled, Op: opBastion, Err: errors.New("the dialer is closed")}
	}
	if bp.conns == nil {
		bp.conns = map[string]*bastionConn{}
		bp.ctx, bp.cancel = context.WithCancel(context.Background())
	}
	b, ok := bp.conns[key]
	if !ok {
		b = &bastionConn{pool: bp, key: key, name: p.name, ready: make(chan struct{}),
			sem: make(chan struct{}, bp.d.opts.BastionChannels)}
		bp.conns[key] = b
	}
	b.refs++
	bp.mu.Unlock()

	if !ok {
		go b.establish(bp.ctx, p, parent)
	} else {
		parent.release() // the existing connection holds its own reference
	}
	select {
	case <-b.ready:
	case <-ctx.Done():
		b.release()
		// Say which jump host did not answer, and where: the error is
		// shown for the host behind it.
		e := classify(opBastion, ctx.Err()).(*remote.Error)
		e.Err = fmt.Errorf("jump host %s (%s): not connected: %w", last.host, p.id(), ctx.Err())
		return nil, e
	}
	if b.err != nil {
		b.release()
		return nil, b.err
	}
	return b, nil
}

// establish dials the jump host (through parent, if any). It runs on its
// own goroutine, bounded by the connect timeout and the pool's lifetime, so
// that a caller that gives up does not fail the others waiting for the same
// connection.
func (b *bastionConn) establish(ctx context.Context, p *hostParams, parent *bastionConn) {
	defer close(b.ready)
	p.proxyJump = ""
	var c *conn
	var err error
	if parent != nil {
		c, err = b.pool.d.connectVia(ctx, p, parent)
	} else {
		c, err = b.pool.d.connect(ctx, p, opBastion)
	}
	if err != nil {
		parent.release()
		var re *remote.Error
		if errors.As(err, &re) {
			e := *re
			e.Op = opBastion
			e.Err = fmt.Errorf("jump host %s: %w", p.id(), re.Err)
			err = &e
		}
		b.err = err
		b.pool.forget(b)
		return
	}
	c.bastion = parent
	b.conn = c
	go func() {
		// A dead jump host must not be handed out again.
		_ = c.client.Wait()
		b.pool.forget(b)
	}()
}

// connectVia connects to p through an already established jump host.
func (d *Dialer) connectVia(ctx context.Context, p *hostParams, parent *bastionConn) (*conn, error) {
	cctx, cancel := context.WithTimeout(ctx, remote.ConnectTimeLeft(ctx, p.connectTimeout))
	defer cancel()
	netConn, err := parent.dialChannel(cctx, p.addr())
	if err != nil {
		return nil, d.connectError(ctx, cctx, p, opBastion, err)
	}
	checker := d.hostKeyChecker(p)
	slot := &guardSlot{}
	plan := d.buildAuth(context.WithValue(ctx, guardKey{}, slot), p)
	client, err := d.handshake(ctx, cctx, p, netConn, checker, plan, slot, opBastion)
	if err != nil {
		return nil, err
	}
	return &conn{client: client, ka: startKeepalive(client, p.keepaliveInterval, p.keepaliveCountMax)}, nil
}

// dialChannel opens a direct-tcpip channel to addr through the jump host,
// waiting for a free slot under the per-bastion cap.
func (b *bastionConn) dialChannel(ctx context.Context, addr string) (net.Conn, error) {
	select {
	case b.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, classify(opDial, ctx.Err())
	}
	defer func() { <-b.sem }()
	c, err := b.conn.client.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, classify(opDial, ctx.Err())
		}
		return nil, classify(opDial, fmt.Errorf("through jump host %s to %s: %w", b.name, addr, err))
	}
	return c, nil
}

// forget removes b from the pool so that the next acquire dials afresh.
func (bp *bastionPool) forget(b *bastionConn) {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	if bp.conns[b.key] == b {
		delete(bp.conns, b.key)
	}
}

// release drops one reference; the last one closes the connection. It is a
// no-op on nil.
func (b *bastionConn) release() {
	if b == nil {
		return
	}
	bp := b.pool
	bp.mu.Lock()
	b.refs--
	last := b.refs == 0 && !b.gone
	if last {
		b.gone = true
		if bp.conns[b.key] == b {
			delete(bp.conns, b.key)
		}
	}
	bp.mu.Unlock()
	if !last {
		return
	}
	<-b.ready
	if b.conn != nil {
		b.conn.close() // also releases the parent
	}
}

// closeAll closes every jump host connection (Dialer.Close).
func (bp *bastionPool) closeAll() error {
	bp.mu.Lock()
	bp.closed = true
	conns := bp.conns
	bp.conns = nil
	if bp.cancel != nil {
		bp.cancel()
	}
	bp.mu.Unlock()
	var errs []error
	for _, b := range conns {
		<-b.ready
		if b.conn != nil {
			b.conn.ka.stop()
			if err := b.conn.client.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
