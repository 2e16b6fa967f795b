//go:build unix

package ssh

import (
	"context"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// budgetTimeout is the connect timeout of the budget tests. The old code
// retried a timeout 8 times (8 × the timeout plus backoff); the tests only
// ask for less than twice the timeout, which no retry of a timeout fits in.
const budgetTimeout = time.Second

// dialWithRetries dials target with the default retry policy, as the
// Runner does, and returns the error and how long it took.
func dialWithRetries(t *testing.T, target remote.Target) (error, time.Duration) {
	t.Helper()
	d := newTestDialer(t, Options{ConnectTimeout: budgetTimeout})
	start := time.Now()
	tr, err := remote.RetryPolicy{}.Dial(testContext(t), d, target)
	elapsed := time.Since(start)
	if err == nil {
		tr.Close()
	}
	return err, elapsed
}

// serveRaw serves handle on a loopback listener (remotetest.ServeRaw) and
// returns its target.
func serveRaw(t *testing.T, handle func(net.Conn)) remote.Target {
	addr := remotetest.ServeRaw(t, handle)
	return remote.Target{Name: "stuck", Address: addr.IP.String(), Port: addr.Port, Transport: remote.KindSSH, User: "test"}
}

func TestConnectTimeoutBoundsAllAttempts(t *testing.T) {
	tests := []struct {
		name   string
		target func(t *testing.T) remote.Target
	}{
		// Accepts the connection, never sends a banner.
		{"black hole", func(t *testing.T) remote.Target {
			return serveRaw(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
		}},
		// Sends its banner, then nothing more.
		{"banner stall", func(t *testing.T) remote.Target {
			return serveRaw(t, func(c net.Conn) {
				_, _ = io.WriteString(c, "SSH-2.0-OpenSSH_9.2\r\n")
				_, _ = io.Copy(io.Discard, c)
			})
		}},
		// Never accepts: its backlog is full, the SYN goes unanswered, as
		// for an address nothing answers.
		{"unanswered connect", fullBacklogTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err, elapsed := dialWithRetries(t, tt.target(t))
			wantClass(t, err, remote.ClassTimeout)
			if elapsed >= 2*budgetTimeout {
				t.Errorf("dial took %s with a connect timeout of %s (%v); want it bounded by the timeout", elapsed, budgetTimeout, err)
			}
		})
	}
}

// TestConnectDropsRetriedWithinTimeout checks that connections dropped
// right after accept (OpenSSH's MaxStartups) are still retried.
func TestConnectDropsRetriedWithinTimeout(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{})
	var accepted atomic.Int32
	front := serveRaw(t, func(c net.Conn) {
		if accepted.Add(1) <= 2 {
			c.Close()
			return
		}
		back, err := net.Dial("tcp", srv.HostPort())
		if err != nil {
			c.Close()
			return
		}
		go func() { _, _ = io.Copy(back, c); back.Close() }()
		_, _ = io.Copy(c, back)
		c.Close()
	})
	target := serverTarget(t, srv, key)
	target.Address, target.Port = front.Address, front.Port
	target.SSH.KnownHostsFile = remotetest.WriteKnownHosts(t,
		remotetest.KnownHostsLine(net.JoinHostPort(front.Address, strconv.Itoa(front.Port)), srv.HostKey))
	err, _ := dialWithRetries(t, target)
	if err != nil {
		t.Fatalf("dial through two dropped connections: %v", err)
	}
	if n := accepted.Load(); n != 3 {
		t.Errorf("%d connections; want 3 (two dropped, one served)", n)
	}
}

// TestRunnerConnectTimeoutBoundsAllAttempts checks the bound through the
// Runner, with its default retry policy.
func TestRunnerConnectTimeoutBoundsAllAttempts(t *testing.T) {
	target := serveRaw(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	d := newTestDialer(t, Options{ConnectTimeout: budgetTimeout})
	r := &remote.Runner{Dialer: d}
	start := time.Now()
	var last remote.Event
	for ev := range r.Run(context.Background(), []remote.Target{target}, func(context.Context, remote.Transport, remote.HostIO) (remote.Result, error) {
		return remote.Result{}, nil
	}) {
		last = ev
	}
	if elapsed := time.Since(start); elapsed >= 2*budgetTimeout {
		t.Errorf("the host took %s to fail with a connect timeout of %s", elapsed, budgetTimeout)
	}
	wantClass(t, last.Err, remote.ClassTimeout)
}
