package checks

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// testCA is a certificate authority for tests.
type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	pemFile string // the CA certificate, PEM, in a temp dir
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "remotectl test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pemFile: file}
}

// issue returns a server certificate for localhost and 127.0.0.1 valid
// from notBefore to notAfter.
func (ca *testCA) issue(t *testing.T, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key}
}

// testHandler serves the paths the HTTP checks use.
func testHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-App", "demo")
		fmt.Fprintln(w, "hello world")
		fmt.Fprintln(w, "version 1.2.3")
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "s3cret" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		fmt.Fprintln(w, "welcome")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "method=%s\nx-req=%s\nhost=%s\nbody=%s\n", r.Method, r.Header.Get("X-Req"), r.Host, body)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	return mux
}

func TestHTTPChecks(t *testing.T) {
	srv := httptest.NewServer(testHandler())
	defer srv.Close()
	closed := closedPort(t)
	results := Run(context.Background(), nil, HostInfo{Name: "h"}, mustParse(t, fmt.Sprintf(`
http:
  %[1]s/ok: {status: 200, body: [hello, "/^version 1\\./", "!error"], headers: ["X-App: demo"]}
  %[1]s/moved: {status: 301, no-follow-redirects: true, headers: ["/^Location: \\/ok$/"]}
  %[1]s/moved?follow: {status: 200, body: [hello]}
  %[1]s/down: {status: 200, body: [maintenance]}
  %[1]s/auth: {status: 200, username: admin, password: s3cret}
  %[1]s/auth?anonymous: {status: 401}
  %[1]s/echo:
    method: post
    request-headers: ["X-Req: 42", "Host: app.example"]
    request-body: payload
    status: 200
    body: [method=POST, x-req=42, host=app.example, body=payload]
  %[1]s/slow: {status: 200, body: [x], timeout: 100}
  http://127.0.0.1:%[2]d/: {status: 200, headers: [x]}
`, srv.URL, closed)), RunOptions{})
	want := []string{
		srv.URL + "/ok status pass", srv.URL + "/ok headers pass", srv.URL + "/ok body pass",
		srv.URL + "/moved status pass", srv.URL + "/moved headers pass",
		srv.URL + "/moved?follow status pass", srv.URL + "/moved?follow body pass",
		// goss skips the other properties once status did not pass
		// (resource/http.go's shouldSkip; goss v0.4's binary agrees).
		srv.URL + "/down status fail", srv.URL + "/down body skip",
		srv.URL + "/auth status pass",
		srv.URL + "/auth?anonymous status pass",
		srv.URL + "/echo status pass", srv.URL + "/echo body pass",
		// goss: no response (timeout, connection refused) is an error, not a failure.
		srv.URL + "/slow status error", srv.URL + "/slow body skip",
		fmt.Sprintf("http://127.0.0.1:%d/ status error", closed), fmt.Sprintf("http://127.0.0.1:%d/ headers skip", closed),
	}
	var got []string
	for _, r := range results {
		got = append(got, r.ID+" "+r.Property+" "+string(r.Status))
		if r.Vantage != FromController {
			t.Errorf("%s: vantage %q", r.ID, r.Vantage)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("results:\n got %q\nwant %q", got, want)
	}
	if r := find(t, results, srv.URL+"/down", "status"); r.Actual != "503" || r.Expected != "200" {
		t.Errorf("down = %+v", r)
	}
	if r := find(t, results, srv.URL+"/slow", "status"); !strings.HasPrefix(r.Message, "no response: timed out: ") {
		t.Errorf("slow = %+v", r)
	}
	if r := find(t, results, fmt.Sprintf("http://127.0.0.1:%d/", closed), "status"); !strings.Contains(r.Message, "connection refused") {
		t.Errorf("refused = %+v", r)
	}
}

func TestTLSChecks(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	start := func(cert tls.Certificate) *httptest.Server {
		srv := httptest.NewUnstartedServer(testHandler())
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes the checks reject on purpose
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv
	}
	soon := start(ca.issue(t, now.Add(-time.Hour), now.Add(5*24*time.Hour+time.Hour)))
	expired := start(ca.issue(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour)))
	soonAddr := strings.TrimPrefix(soon.URL, "https://")
	expiredAddr := strings.TrimPrefix(expired.URL, "https://")

	results := Run(context.Background(), nil, HostInfo{Name: "h"}, mustParse(t, fmt.Sprintf(`
http:
  %[1]s/ok: {status: 200, ca-file: %[3]q}
  %[1]s/ok?unverified: {status: 200}
  %[1]s/ok?insecure: {status: 200, allow-insecure: true}
tls:
  %[2]s:
    server-name: localhost
    ca-file: %[3]q
    chain-valid: true
    names-match: true
    days-left: {and: [{ge: 4}, {lt: 14}]}
    issuer: remotectl test CA
    dns-names: [localhost]
  %[2]s?wrong-name:
    address: %[2]s
    server-name: www.example.com
    ca-file: %[3]q
    chain-valid: true
    names-match: false
  %[2]s?system-roots:
    address: %[2]s
    chain-valid: false
  %[4]s:
    ca-file: %[3]q
    chain-valid: false
    days-left: {lt: 0}
  127.0.0.1:%[5]d: {days-left: {gt: 0}, chain-valid: true}
`, soon.URL, soonAddr, ca.pemFile, expiredAddr, closedPort(t))), RunOptions{})
	want := []string{
		"status pass", "status error", "status pass", // an unverified certificate: no response, an error as in goss
		"chain-valid pass", "names-match pass", "days-left pass", "issuer pass", "dns-names pass",
		"chain-valid pass", "names-match pass",
		"chain-valid pass",
		"chain-valid pass", "days-left pass",
		"chain-valid fail", "days-left skip",
	}
	var got []string
	for _, r := range results {
		got = append(got, r.Property+" "+string(r.Status))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("results:\n got %q\nwant %q\n%+v", got, want, results)
	}
	if r := results[1]; !strings.Contains(r.Message, "certificate signed by unknown authority") {
		t.Errorf("unverified https = %+v", r)
	}
	if r := results[5]; r.Actual != "5" || !strings.HasPrefix(r.Message, "expires ") {
		t.Errorf("days-left = %+v", r)
	}
	if r := results[9]; r.Actual != "false" || !strings.Contains(r.Message, "www.example.com") {
		t.Errorf("names-match = %+v", r)
	}
	if r := results[11]; !strings.Contains(r.Message, "expired") {
		t.Errorf("expired chain = %+v", r)
	}
	if r := results[13]; !strings.HasPrefix(r.Actual, "cannot connect: ") {
		t.Errorf("closed port = %+v", r)
	}
}

func TestAddrChecks(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	closedUDP := func() int {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}()
	results := Run(context.Background(), nil, HostInfo{Name: "h"}, mustParse(t, fmt.Sprintf(`
addr:
  tcp://%s: {reachable: true, local-address: 127.0.0.1}
  tcp://127.0.0.1:%d: {reachable: false, timeout: 2000}
  udp://%s: {reachable: true}
  udp://127.0.0.1:%d: {reachable: true}
  tcp: {reachable: false}
  sctp://127.0.0.1:1: {reachable: false}
`, tcp.Addr(), closedPort(t), udp.LocalAddr(), closedUDP)), RunOptions{})
	for _, r := range results {
		if r.Status != Pass {
			t.Errorf("%s %s: %s (actual %s) %s", r.ID, r.Property, r.Status, r.Actual, r.Message)
		}
	}
	// goss's binary: a UDP address is reachable when it can be dialed, a
	// closed port too (UDP has no handshake); an id that is no address is
	// not reachable.
	if r := results[3]; !strings.Contains(r.Message, "no handshake") {
		t.Errorf("closed udp = %+v", r)
	}
	if r := results[4]; !strings.Contains(r.Message, `addr "tcp": address tcp: missing port in address; hint: write tcp://HOST:PORT`) {
		t.Errorf("addr without a port = %+v", r)
	}
	if r := results[5]; !strings.Contains(r.Message, `unknown network "sctp"`) {
		t.Errorf("addr of another network = %+v", r)
	}
}

func TestDNSChecksWithServer(t *testing.T) {
	dns := startTestDNS(t)
	dns.add("www.example.test", 1, rrA("192.0.2.10"))
	dns.add("www.example.test", 28, rrAAAA("2001:db8::10"))
	dns.add("alias.example.test", 5, rrName("www.example.test"))
	dns.add("example.test", 15, rrMX(10, "mail.example.test"))
	dns.add("example.test", 16, rrTXT("v=spf1 -all"))
	dns.add("example.test", 16, rrTXT("part one", "part two"))
	dns.add("example.test", 2, rrName("ns1.example.test"))
	dns.add("_sip._tcp.example.test", 33, rrSRV(10, 60, 5060, "sip.example.test"))
	dns.add("10.2.0.192.in-addr.arpa", 12, rrName("www.example.test"))
	dns.add("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", 12, rrName("www.example.test"))
	dns.add("example.test", 257, append([]byte{0, 5}, "issueletsencrypt.org"...))
	dns.add("example.test", 257, append([]byte{128, 5}, "iodefmailto:ca@example.test"...))
	dns.add("www.example.test", 44, []byte{4, 2, 0x0a, 0x1b, 0xff})
	for i := range 40 { // more than fits in 512 bytes: truncated over UDP, then TCP
		dns.add("big.example.test", 16, rrTXT(fmt.Sprintf("record number %02d of a long answer", i)))
	}

	checks := mustParse(t, fmt.Sprintf(`
dns:
  www.example.test: {server: %[1]s, resolvable: true, addrs: {consist-of: [192.0.2.10, "2001:db8::10"]}}
  A:www.example.test: {server: %[1]s, resolvable: true, addrs: {equal: [192.0.2.10]}}
  AAAA:www.example.test: {server: %[1]s, resolvable: true, addrs: ["2001:db8::10"]}
  CNAME:alias.example.test: {server: %[1]s, resolvable: true, addrs: [www.example.test.]}
  A:alias.example.test: {server: %[1]s, resolvable: true, addrs: {equal: [192.0.2.10]}}
  MX:example.test: {server: %[1]s, resolvable: true, addrs: ["10 mail.example.test."]}
  TXT:example.test: {server: %[1]s, resolvable: true, addrs: {consist-of: ["v=spf1 -all", part one, part two]}}
  NS:example.test: {server: %[1]s, resolvable: true, addrs: [ns1.example.test.]}
  SRV:_sip._tcp.example.test: {server: %[1]s, resolvable: true, addrs: ["10 60 5060 sip.example.test."]}
  PTR:192.0.2.10: {server: %[1]s, resolvable: true, addrs: [www.example.test.]}
  PTR:2001:db8::10: {server: %[1]s, resolvable: true, addrs: [www.example.test.]}
  TXT:big.example.test: {server: %[1]s, resolvable: true, addrs: {have-len: 40}}
  CAA:example.test: {server: %[1]s, resolvable: true, addrs: ["0 issue letsencrypt.org", "128 iodef mailto:ca@example.test"]}
  SSHFP:www.example.test: {server: %[1]s, resolvable: true, addrs: ["4 2 0A1BFF"]}
  missing.example.test: {server: %[1]s, resolvable: false, addrs: [x]}
  MX:www.example.test: {server: %[1]s, resolvable: true}
  localhost: {resolvable: true}
`, dns.addr))
	results := Run(context.Background(), nil, HostInfo{Name: "h"}, checks, RunOptions{})
	for _, r := range results {
		wantStatus := Pass
		switch {
		case r.ID == "missing.example.test" && r.Property == "addrs":
			wantStatus = Skip
		case r.ID == "MX:www.example.test":
			wantStatus = Fail // the name exists, with no MX record
		}
		if r.Status != wantStatus {
			t.Errorf("%s %s: %s, want %s (actual %s) %s", r.ID, r.Property, r.Status, wantStatus, r.Actual, r.Message)
		}
	}
	if r := find(t, results, "missing.example.test", "resolvable"); !strings.Contains(r.Message, "NXDOMAIN") {
		t.Errorf("missing name = %+v", r)
	}

	// A server that does not answer is an error, as in goss.
	silent := mustParse(t, fmt.Sprintf("dns:\n  A:www.example.test: {server: \"127.0.0.1:%d\", resolvable: true, timeout: 300}\n", closedPort(t)))
	results = Run(context.Background(), nil, HostInfo{Name: "h"}, silent, RunOptions{})
	if r := results[0]; r.Status != Error || !strings.Contains(r.Message, "did not answer") {
		t.Errorf("unreachable server = %+v", r)
	}

	// From the host, the queries go through the host's connection, over TCP.
	host := &dialingExec{}
	fromHost := mustParse(t, fmt.Sprintf(`
dns:
  MX:example.test: {from: host, server: %[1]s, resolvable: true, addrs: ["10 mail.example.test."]}
  TXT:example.test: {from: host, resolvable: true}
`, dns.addr))
	results = Run(context.Background(), host, HostInfo{Name: "h"}, fromHost, RunOptions{})
	if r := results[0]; r.Status != Pass || r.Vantage != FromHost {
		t.Errorf("MX from host = %+v", r)
	}
	if r := results[2]; r.Status != Error || !strings.Contains(r.Message, "need server:") {
		t.Errorf("TXT from host without server = %+v", r)
	}
	if got := host.dialed(); !reflect.DeepEqual(got, []string{"tcp " + dns.addr}) {
		t.Errorf("dials through the host = %q", got)
	}
}

func TestNetworkChecksFromHost(t *testing.T) {
	srv := httptest.NewServer(testHandler())
	defer srv.Close()
	host := &dialingExec{}
	addr := strings.TrimPrefix(srv.URL, "http://")
	results := Run(context.Background(), host, HostInfo{Name: "h"}, mustParse(t, fmt.Sprintf(`
http:
  %[1]s/ok: {from: host, status: 200, body: [hello]}
addr:
  tcp://%[2]s: {from: host, reachable: true}
  udp://%[2]s: {from: host, reachable: true}
`, srv.URL, addr)), RunOptions{})
	want := []string{"http " + srv.URL + "/ok status pass", "http " + srv.URL + "/ok body pass",
		"addr tcp://" + addr + " reachable pass", "addr udp://" + addr + " reachable error"}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
	if got := host.dialed(); len(got) != 2 || got[0] != "tcp "+addr || got[1] != "tcp "+addr {
		t.Errorf("dials through the host = %q", got)
	}
	for _, r := range results {
		if r.Vantage != FromHost {
			t.Errorf("%s vantage %q", r.ID, r.Vantage)
		}
	}
}

// TestProbesAreBounded checks that no more than Parallel network probes run
// at once.
func TestProbesAreBounded(t *testing.T) {
	var mu sync.Mutex
	inFlight, peak := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	defer srv.Close()
	var b strings.Builder
	b.WriteString("http:\n")
	for i := range 12 {
		fmt.Fprintf(&b, "  %s/%d: {status: 200}\n", srv.URL, i)
	}
	results := Run(context.Background(), nil, HostInfo{Name: "h"}, mustParse(t, b.String()), RunOptions{Parallel: 3})
	for _, r := range results {
		if r.Status != Pass {
			t.Errorf("%+v", r)
		}
	}
	if peak > 3 {
		t.Errorf("%d probes ran at once, want at most 3", peak)
	}
}

// dialingExec is a host whose connection can open TCP connections (as SSH
// direct-tcpip channels do); it records them.
type dialingExec struct {
	mu    sync.Mutex
	dials []string
}

func (d *dialingExec) Run(context.Context, *remote.Cmd) (remote.Result, error) {
	return remote.Result{}, remote.Errorf(remote.ClassOther, "run", "no commands on this fake")
}

func (d *dialingExec) OS() remote.OSFamily { return remote.OSLinux }

func (d *dialingExec) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.dials = append(d.dials, network+" "+addr)
	d.mu.Unlock()
	if network != "tcp" {
		return nil, fmt.Errorf("direct-tcpip carries tcp only, not %s", network)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

func (d *dialingExec) dialed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dials...)
}

// closedPort returns a loopback TCP port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}
