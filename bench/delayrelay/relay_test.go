package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTimeout bounds every wait in these tests.
const testTimeout = 10 * time.Second

// startRelay relays a fresh loopback listener to target with delay and
// returns the listener's address. The relay stops when the test ends.
func startRelay(t *testing.T, delay time.Duration, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Relay{Delay: delay, Logf: t.Logf}).Serve(ctx, ln, target) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// startServer runs handle on every connection accepted on a loopback
// listener until the test ends, and returns the listener's address.
func startServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			handle(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatal(err)
	}
	return c.(*net.TCPConn)
}

// echo copies a connection back to itself, then closes it.
func echo(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	io.Copy(c, c)
}

func TestRelayKeepsDataAndOrder(t *testing.T) {
	addr := startRelay(t, 5*time.Millisecond, startServer(t, echo))
	c := dial(t, addr)

	// Many writes of different sizes, some larger than a chunk, sent faster
	// than the delay: the echo must come back complete and in order.
	var msgs [][]byte
	var sent bytes.Buffer
	for i := range 200 {
		msg := bytes.Repeat([]byte{byte('a' + i%26)}, 1+i*397%(3*chunkSize))
		msgs = append(msgs, msg)
		sent.Write(msg)
	}
	go func() {
		for _, msg := range msgs {
			if _, err := c.Write(msg); err != nil {
				return
			}
		}
		c.CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the echo: %v", err)
	}
	if !bytes.Equal(got, sent.Bytes()) {
		t.Fatalf("echo differs: got %d bytes, sent %d", len(got), sent.Len())
	}
}

func TestRelayDelaysEachDirection(t *testing.T) {
	const delay = 30 * time.Millisecond
	addr := startRelay(t, delay, startServer(t, echo))
	c := dial(t, addr)

	start := time.Now()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	// A lower bound only: the round trip crosses the relay twice, so it can
	// never be faster than two delays, however loaded the machine is.
	if rtt := time.Since(start); rtt < 2*delay {
		t.Errorf("round trip took %v, want at least %v (2 × delay)", rtt, 2*delay)
	}
}

func TestRelayPassesHalfClose(t *testing.T) {
	// The server answers only after the client has finished sending.
	addr := startRelay(t, time.Millisecond, startServer(t, func(c net.Conn) {
		defer c.Close()
		c.SetDeadline(time.Now().Add(testTimeout))
		req, err := io.ReadAll(c)
		if err != nil {
			return
		}
		c.Write([]byte("got " + string(req)))
	}))
	c := dial(t, addr)
	if _, err := c.Write([]byte("request")); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	reply, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the reply: %v", err)
	}
	if string(reply) != "got request" {
		t.Errorf("reply = %q, want %q", reply, "got request")
	}
}

func TestRelayClosesClientWhenTargetIsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()

	c := dial(t, startRelay(t, time.Millisecond, down))
	n, err := c.Read(make([]byte, 1))
	if n != 0 || err == nil {
		t.Fatalf("Read = %d, %v; want the relay to close the connection", n, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("Read timed out: the relay kept the connection open")
	}
}

func TestParseForwards(t *testing.T) {
	got, err := parseForwards([]string{"127.1.0.1:2222=127.1.0.1:3222", "[::1]:1=[::1]:2"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Forward{{"127.1.0.1:2222", "127.1.0.1:3222"}, {"[::1]:1", "[::1]:2"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("parseForwards = %v, want %v", got, want)
	}

	for _, bad := range [][]string{nil, {"127.0.0.1:1"}, {"127.0.0.1=127.0.0.1:2"}, {"127.0.0.1:1=nohost"}} {
		if _, err := parseForwards(bad); err == nil {
			t.Errorf("parseForwards(%q) succeeded, want an error", bad)
		}
	}
}

func TestRunWritesPidFileAndStopsOnCancel(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "relay.pid")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-delay", "1ms", "-pidfile", pidFile, "127.0.0.1:0=127.0.0.1:1"}, &stderr)
	}()

	deadline := time.Now().Add(testTimeout)
	for {
		if _, err := os.Stat(pidFile); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before writing its pid file: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no pid file written")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := os.Stat(pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file still there after exit (stat: %v)", err)
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-delay", "-1ms", "127.0.0.1:0=127.0.0.1:1"},
		{"127.0.0.1:0"},
	} {
		var stderr strings.Builder
		if err := run(context.Background(), args, &stderr); err == nil {
			t.Errorf("run(%q) succeeded, want an error", args)
		}
	}
}
