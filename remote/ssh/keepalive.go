package ssh

import (
	"context"
	"fmt"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
)

// keepalive sends keepalive@openssh.com global requests every interval, as
// OpenSSH's ServerAliveInterval does. When countMax requests in a row get no
// answer, the peer is considered dead and the connection is closed, which
// ends every session on it; lost() then says why.
//
// It runs on a timer rather than on a goroutine of its own: a run keeps a
// thousand connections open at once, and a parked goroutine per connection
// costs memory for nothing between ticks. A goroutine exists only while a
// request waits for its reply.
type keepalive struct {
	client   keepaliveSender
	interval time.Duration
	countMax int

	mu      sync.Mutex
	timer   *time.Timer // nil when disabled
	stopped bool
	pending bool // a request is waiting for its reply
	missed  int  // ticks in a row with the request still unanswered
	lostErr error
}

// keepaliveSender is the part of gossh.Client the keepalive uses.
type keepaliveSender interface {
	SendRequest(name string, wantReply bool, payload []byte) (bool, []byte, error)
	Close() error
}

var _ keepaliveSender = (*gossh.Client)(nil)

// startKeepalive starts the keepalive; interval <= 0 disables it (the
// returned value is still usable).
func startKeepalive(client keepaliveSender, interval time.Duration, countMax int) *keepalive {
	k := &keepalive{client: client, interval: interval, countMax: countMax}
	if interval > 0 {
		k.mu.Lock()
		k.timer = time.AfterFunc(interval, k.tick)
		k.mu.Unlock()
	}
	return k
}

// tick runs at every interval: it sends a request unless one is still
// unanswered, in which case it counts a miss, and declares the peer dead
// after countMax misses in a row.
func (k *keepalive) tick() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	if k.pending {
		k.missed++
		if k.missed >= k.countMax {
			k.stopped = true
			k.lostErr = fmt.Errorf("no answer to %d keepalives sent every %s: the host or the network is down",
				k.countMax, k.interval)
			go k.client.Close() // Close may block on a frozen peer; never under k.mu
			return
		}
		k.timer.Reset(k.interval)
		return
	}
	k.pending = true
	k.timer.Reset(k.interval)
	go k.send()
}

// send sends one request and records the answer. OpenSSH answers with a
// failure reply; any reply proves the peer is alive. An error means the
// connection is closed: the keepalive ends.
func (k *keepalive) send() {
	_, _, err := k.client.SendRequest("keepalive@openssh.com", true, nil)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pending, k.missed = false, 0
	if err != nil && !k.stopped {
		k.stopped = true
		k.timer.Stop()
	}
}

// lost returns why the keepalive closed the connection, or nil.
func (k *keepalive) lost() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lostErr
}

// stop ends the keepalive. A request still waiting for its reply ends when
// the connection is closed.
func (k *keepalive) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	if k.timer != nil {
		k.timer.Stop()
	}
}

// Alive asks the host for one keepalive@openssh.com answer, without opening
// a session (the server forks nothing): an error means the connection is
// gone or did not answer before ctx was done. A holder of idle connections
// (the remotectl agent) calls it before reusing one, so that a dead
// connection is replaced before any command starts on it.
func (t *Transport) Alive(ctx context.Context) error {
	if lost := t.c.ka.lost(); lost != nil {
		return &remote.Error{Class: remote.ClassLost, Op: opRun, Err: lost, Hint: hintLost}
	}
	answered := make(chan error, 1)
	go func() {
		_, _, err := t.c.client.SendRequest("keepalive@openssh.com", true, nil)
		answered <- err
	}()
	select {
	case err := <-answered:
		if err != nil {
			return &remote.Error{Class: remote.ClassLost, Op: opRun, Err: err, Hint: hintLost}
		}
		return nil
	case <-ctx.Done():
		return &remote.Error{Class: remote.ClassLost, Op: opRun,
			Err: fmt.Errorf("no answer to a keepalive: %w", ctx.Err()), Hint: hintLost}
	}
}
