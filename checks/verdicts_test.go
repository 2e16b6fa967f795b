package checks

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

// TestDNSServerDownAsGoss: a server that does not answer makes goss's
// untyped lookup (A and AAAA, whose errors goss drops) not resolvable, and
// a typed one an error; either way addrs is not evaluated (goss v0.4's
// binary, system/dns.go LookupHost and resource/dns.go shouldSkip).
func TestDNSServerDownAsGoss(t *testing.T) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	results := Run(context.Background(), nil, HostInfo{Name: "h"}, mustParse(t, fmt.Sprintf(`
dns:
  untyped.example: {resolvable: true, addrs: [192.0.2.1], server: "127.0.0.1:%[1]d", timeout: 500}
  A:typed.example: {resolvable: true, addrs: [192.0.2.1], server: "127.0.0.1:%[1]d", timeout: 500}
`, port)), RunOptions{})
	want := []string{
		"dns untyped.example resolvable fail", "dns untyped.example addrs skip",
		"dns A:typed.example resolvable error", "dns A:typed.example addrs skip",
	}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
}

// TestEmptyOutputListAssertsNothing: goss does not evaluate an output
// property given as an empty list (goss add writes contents: []), so it
// has no result; other empty lists are evaluated.
func TestEmptyOutputListAssertsNothing(t *testing.T) {
	cs := mustParse(t, `
command:
  echo hi: {exit-status: 0, stdout: [], stderr: []}
file:
  /etc/passwd: {exists: true, contents: []}
  /etc/group: {contains: []}
http:
  http://127.0.0.1:1/: {status: 200, body: [], headers: []}
user:
  root: {exists: true, groups: []}
`)
	want := [][]string{{"exit-status"}, {"exists"}, nil, {"status"}, {"exists", "groups"}}
	for i, c := range cs {
		if got := c.Properties(); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("%s %s: properties %q, want %q", c.Type, c.ID, got, want[i])
		}
	}
}

// TestAddrLocalAddressNotAnIP: goss's own Windows tests write
// local-address: true; goss dials from no particular address then, and so
// does this, saying so.
func TestAddrLocalAddressNotAnIP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	results := Run(context.Background(), nil, HostInfo{Name: "h"}, mustParse(t, fmt.Sprintf(`
addr:
  tcp://%s: {reachable: true, local-address: true}
`, ln.Addr())), RunOptions{})
	if r := results[0]; r.Status != Pass || !strings.Contains(r.Message, `local-address "true" is not an IP address: ignored`) {
		t.Errorf("result = %+v", r)
	}
}

// TestAutoAddServiceDisabled: goss autoadd adds a service that exists,
// even disabled and stopped, and no process that does not run.
func TestAutoAddServiceDisabled(t *testing.T) {
	host := newFakeHost(remote.OSLinux, map[string]probeReply{
		posixCall("_getent", "group", "web"):  {out: ""},
		posixCall("_pkg", "web"):              {out: probe(t, "pkg_dpkg_missing.txt")},
		posixCall("_ps"):                      {out: "bash\nsshd\n"},
		posixCall("_svc", "web"):              {out: "Init=systemd\nLoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=disabled\n"},
		posixCall("_getent", "passwd", "web"): {out: ""},
	})
	entries, err := AutoAdd(context.Background(), host.exec(), "web", RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Type+" "+e.ID)
	}
	if want := []string{"service web"}; !reflect.DeepEqual(got, want) {
		t.Errorf("autoadd web = %q, want %q", got, want)
	}
}
