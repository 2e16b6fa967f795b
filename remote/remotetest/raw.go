package remotetest

import (
	"net"
	"testing"
)

// ServeRaw listens on a loopback port, accepts connections and hands each
// to handle (in its own goroutine) until the test ends; every connection is
// closed then. It returns the listener's address. With a handle that does
// nothing, it is a black hole: connections are accepted and never answered
// (no SSH banner), as a stuck or firewalled server behaves.
func ServeRaw(t testing.TB, handle func(net.Conn)) *net.TCPAddr {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			go handle(c)
		}
	}()
	return ln.Addr().(*net.TCPAddr)
}
