//go:build linux

package checks

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
)

// TestAddrLocalAddress: goss's local-address is the address the
// connection comes from; one the controller does not have makes the
// address unreachable, as goss's dial fails. Linux routes all of
// 127.0.0.0/8 to lo, so 127.0.0.2 is this machine's.
func TestAddrLocalAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	from := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		from <- c.RemoteAddr().(*net.TCPAddr).IP.String()
		c.Close()
	}()
	results := Run(context.Background(), nil, HostInfo{Name: "h"}, mustParse(t, fmt.Sprintf(`
addr:
  tcp://%[1]s: {reachable: true, local-address: 127.0.0.2}
  tcp://%[2]s: {reachable: false, local-address: 192.0.2.77}
`, ln.Addr(), other.Addr())), RunOptions{})
	if got, want := summary(results)[0], "addr tcp://"+ln.Addr().String()+" reachable pass"; got != want {
		t.Errorf("result = %q, want %q", got, want)
	}
	if ip := <-from; ip != "127.0.0.2" {
		t.Errorf("the connection came from %s, want 127.0.0.2", ip)
	}
	if r := results[1]; r.Status != Pass || r.Actual != "false" || !strings.Contains(r.Message, "assign") {
		t.Errorf("unassignable local-address = %+v", r)
	}
}

// TestAddrLocalAddressFromHostRefused: from: host cannot choose the local
// address, so the file is refused rather than the address ignored.
func TestAddrLocalAddressFromHostRefused(t *testing.T) {
	_, err := Parse("c.yaml", []byte("addr:\n  tcp://db:5432: {reachable: true, local-address: 10.0.0.1, from: host}\n"))
	if err == nil || !strings.Contains(err.Error(), "local-address cannot be used with from: host") {
		t.Errorf("err = %v", err)
	}
	if _, err := Parse("c.yaml", []byte("addr:\n  tcp://db:5432: {reachable: true, local-address: 10.0.0.1}\n")); err != nil {
		t.Errorf("from the controller: %v", err)
	}
}
