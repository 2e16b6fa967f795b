package checks

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote/remotetest"
)

// Tests against real peers from Debian: nginx serving HTTP and HTTPS, and
// dnsmasq serving DNS, each started on 127.0.0.1 with free ports in the
// test's temp dir and stopped at cleanup. Without the program the tests
// are skipped, except in CI (CI=true), where its absence is a failure: the
// CI image must install the packages named below.

// Where the peer programs live, and the Debian packages that provide them.
const (
	nginxBinary   = "/usr/sbin/nginx"
	nginxPackage  = "nginx"
	dnsmasqBinary = "/usr/sbin/dnsmasq"
	dnsmasqPkg    = "dnsmasq-base"
)

// Bounds on the peers' life cycle.
const (
	peerStartTimeout = 15 * time.Second // from exec to accepting connections
	peerStopTimeout  = 10 * time.Second // from SIGTERM to exit, then SIGKILL
	peerStartTries   = 5                // fresh ports after a lost race for one
)

// peerBinary returns path if the program is installed. Otherwise it skips
// the test, or fails it in CI, naming the Debian package to install.
func peerBinary(t *testing.T, path, pkg string) string {
	t.Helper()
	if _, err := exec.LookPath(path); err != nil {
		msg := fmt.Sprintf("%s is not installed (%v); install the Debian package %s", path, err, pkg)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// peerProcess is a server program a test started.
type peerProcess struct {
	name   string
	cmd    *exec.Cmd
	output *remotetest.SyncBuffer
	logs   []string      // log files worth showing when something goes wrong
	done   chan struct{} // closed once the process has exited and been reaped
	err    error         // the exit status; read only after done is closed
}

// startPeer starts argv in its own process group, so that stopping it also
// reaches any worker processes it forked.
func startPeer(name string, argv []string, logs ...string) (*peerProcess, error) {
	p := &peerProcess{name: name, output: &remotetest.SyncBuffer{}, logs: logs, done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitReady waits until every addr accepts TCP connections. It gives up
// when the process exits (a port taken, a bad configuration) or after
// peerStartTimeout, and then stops the process.
func (p *peerProcess) waitReady(addrs ...string) error {
	deadline := time.Now().Add(peerStartTimeout)
	for _, addr := range addrs {
		for {
			conn, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				conn.Close()
				break
			}
			select {
			case <-p.done:
				return fmt.Errorf("%s exited before listening on %s (%v)%s", p.name, addr, p.err, p.diagnostics())
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				p.stop()
				return fmt.Errorf("%s did not listen on %s within %s%s", p.name, addr, peerStartTimeout, p.diagnostics())
			}
		}
	}
	return nil
}

// stop asks the process to exit (SIGTERM), kills its process group if it
// does not within peerStopTimeout, and waits until it has been reaped.
func (p *peerProcess) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(peerStopTimeout):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// diagnostics is the process's output and logs, for an error message.
func (p *peerProcess) diagnostics() string {
	var b strings.Builder
	if out := strings.TrimSpace(p.output.String()); out != "" {
		fmt.Fprintf(&b, "\n%s output:\n%s", p.name, out)
	}
	for _, file := range p.logs {
		if data, err := os.ReadFile(file); err == nil && len(bytes.TrimSpace(data)) > 0 {
			fmt.Fprintf(&b, "\n%s:\n%s", file, bytes.TrimSpace(data))
		}
	}
	return b.String()
}

// startWithFreePorts calls start with ports that were free a moment ago.
// Another process may take one in between, so a failed start is retried
// with fresh ports. The process is stopped at the test's cleanup.
func startWithFreePorts(t *testing.T, pick func(*testing.T) int, n int, start func(ports []int) (*peerProcess, error)) []int {
	t.Helper()
	var errs []error
	for range peerStartTries {
		ports := make([]int, n)
		for i := range ports {
			ports[i] = pick(t)
		}
		p, err := start(ports)
		if err == nil {
			t.Cleanup(func() {
				p.stop()
				if t.Failed() {
					t.Logf("%s exited (%v)%s", p.name, p.err, p.diagnostics())
				}
			})
			return ports
		}
		errs = append(errs, err)
	}
	t.Fatalf("could not start the peer in %d tries:\n%v", peerStartTries, errors.Join(errs...))
	return nil
}

// freeUDPTCPPort returns a port free for both UDP and TCP, as a DNS
// server needs, on every one of the loopback addresses hosts (the first
// picks the port).
func freeUDPTCPPort(t *testing.T, hosts ...string) int {
	t.Helper()
	for range 20 {
		first, err := net.ListenPacket("udp", net.JoinHostPort(hosts[0], "0"))
		if err != nil {
			t.Fatal(err)
		}
		port := first.LocalAddr().(*net.UDPAddr).Port
		free := portFree(hosts, strconv.Itoa(port))
		first.Close()
		if free {
			return port
		}
	}
	t.Fatalf("found no port free for both UDP and TCP on %v in 20 tries", hosts)
	return 0
}

// portFree reports whether port can be bound over TCP on every host, and
// over UDP on every host but the first (whose UDP socket the caller holds).
func portFree(hosts []string, port string) bool {
	var held []io.Closer
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i, h := range hosts {
		addr := net.JoinHostPort(h, port)
		tcp, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		held = append(held, tcp)
		if i == 0 {
			continue
		}
		udp, err := net.ListenPacket("udp", addr)
		if err != nil {
			return false
		}
		held = append(held, udp)
	}
	return true
}

// wantResult is the expected result of one property. actual is compared
// exactly unless actualRE, a regular expression, is set instead (for
// values that hold ports or dates).
type wantResult struct {
	id, property string
	status       Status
	expected     string
	actual       string
	actualRE     string
}

// checkResults compares results with want, in order, reporting every
// difference along with the result's message.
func checkResults(t *testing.T, results []Result, want []wantResult) {
	t.Helper()
	if len(results) != len(want) {
		t.Errorf("%d results, want %d:\n got %q", len(results), len(want), summary(results))
	}
	for i := range min(len(results), len(want)) {
		r, w := results[i], want[i]
		name := fmt.Sprintf("result %d (%s %s)", i, r.ID, r.Property)
		if r.ID != w.id || r.Property != w.property {
			t.Errorf("%s: want %s %s", name, w.id, w.property)
			continue
		}
		if r.Status != w.status {
			t.Errorf("%s: status %s, want %s (actual %q, message %q)", name, r.Status, w.status, r.Actual, r.Message)
		}
		if r.Expected != w.expected {
			t.Errorf("%s: expected %q, want %q", name, r.Expected, w.expected)
		}
		switch {
		case w.actualRE != "" && r.Status == Error: // an error's why is its message
			if !regexp.MustCompile(w.actualRE).MatchString(r.Message) {
				t.Errorf("%s: message %q does not match %q", name, r.Message, w.actualRE)
			}
		case w.actualRE != "":
			if !regexp.MustCompile(w.actualRE).MatchString(r.Actual) {
				t.Errorf("%s: actual %q does not match %q (message %q)", name, r.Actual, w.actualRE, r.Message)
			}
		case r.Actual != w.actual:
			t.Errorf("%s: actual %q, want %q (message %q)", name, r.Actual, w.actual, r.Message)
		}
		if r.Vantage != FromController {
			t.Errorf("%s: vantage %q, want controller", name, r.Vantage)
		}
	}
}

// runPeerChecks parses a check file, renders its templates with vars, and
// runs it from the controller (no host connection).
func runPeerChecks(t *testing.T, src string, vars map[string]any) []Result {
	t.Helper()
	suite, err := Parse("peers.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	host := HostInfo{Name: "peer", Vars: vars}
	rendered, failed := suite.For(host, suite.Checks)
	for _, r := range failed {
		t.Errorf("%s %s: %s", r.Pos, r.ID, r.Message)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return Run(ctx, nil, host, rendered, RunOptions{DefaultTimeout: 10 * time.Second})
}

// nginxConf serves the same locations over HTTP and HTTPS. Paths are
// relative to the prefix (-p), the test's temp dir; %[1]s is the "user"
// line, %[2]d the HTTP port, %[3]d the HTTPS port.
const nginxConf = `%[1]s
worker_processes 1;
pid nginx.pid;
error_log error.log info;
events { worker_connections 64; }
http {
    access_log access.log;
    client_body_temp_path tmp/client_body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    types { text/html html; }
    default_type text/plain;

    server {
        listen 127.0.0.1:%[2]d;
        listen 127.0.0.1:%[3]d ssl;
        server_name localhost;
        ssl_certificate server.pem;
        ssl_certificate_key server.key;
        root html;

        location = /ok {
            add_header X-App demo;
            return 200 "hello world\nversion 1.22\n";
        }
        location = /moved { return 301 /ok; }
        location = /down { return 503; }
    }
}
`

// nginxPeer is a running nginx.
type nginxPeer struct {
	httpAddr, httpsAddr string // 127.0.0.1:port
	caFile              string // PEM of the CA that issued the server certificate
}

// startNginx runs nginx in the foreground (daemon off) with everything it
// writes in a temp dir, serving a certificate for localhost and 127.0.0.1
// that expires in 5 days (and an hour, so that it shows 5 whole days left).
// As root, its workers run as root too: they must read the temp dir, which
// only its owner can enter.
func startNginx(t *testing.T) *nginxPeer {
	bin := peerBinary(t, nginxBinary, nginxPackage)
	dir := t.TempDir()
	ca := newTestCA(t)
	now := time.Now()
	writePEMCert(t, dir, "server", ca.issue(t, now.Add(-time.Hour), now.Add(5*24*time.Hour+time.Hour)))
	for _, d := range []string{"html", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "html", "index.html"), "<h1>static page</h1>\n")
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	conf := filepath.Join(dir, "nginx.conf")
	errorLog := filepath.Join(dir, "error.log")
	ports := startWithFreePorts(t, closedPort, 2, func(ports []int) (*peerProcess, error) {
		writeFile(t, conf, fmt.Sprintf(nginxConf, user, ports[0], ports[1]))
		// -e: the startup error log, before the configuration names one
		// (the compiled-in default is under /var/log).
		p, err := startPeer("nginx", []string{bin, "-p", dir + "/", "-c", conf, "-e", errorLog, "-g", "daemon off;"}, errorLog)
		if err != nil {
			return nil, err
		}
		return p, p.waitReady(fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1]))
	})
	return &nginxPeer{
		httpAddr:  fmt.Sprintf("127.0.0.1:%d", ports[0]),
		httpsAddr: fmt.Sprintf("127.0.0.1:%d", ports[1]),
		caFile:    ca.pemFile,
	}
}

// writePEMCert writes cert's chain to name.pem and its key to name.key.
func writePEMCert(t *testing.T, dir, name string, cert tls.Certificate) {
	t.Helper()
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, name+".pem"), string(chain))
	writeFile(t, filepath.Join(dir, name+".key"), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// nginxChecks is a check file for the nginx peer; its templates take the
// addresses and the CA file from the host's vars.
const nginxChecks = `
http:
  http://{{ .Vars.http }}/ok:
    status: 200
    body: [hello world, "/^version 1\\.22$/", "!error"]
    headers: ["X-App: demo", "/^Server: nginx/", "Content-Type: text/plain"]
  http://{{ .Vars.http }}/ok?wrong-body:
    status: 200
    body: [goodbye]
  http://{{ .Vars.http }}/index.html:
    status: 200
    body: ["<h1>static page</h1>"]
    headers: ["Content-Type: text/html", "Content-Length: 21", "/^Last-Modified: /", "/^Etag: /"]
  http://{{ .Vars.http }}/moved:
    status: 301
    no-follow-redirects: true
    headers: ["Location: http://{{ .Vars.http }}/ok"]
  http://{{ .Vars.http }}/moved?follow:
    status: 200
    body: [hello world]
  http://{{ .Vars.http }}/down:
    status: 503
    body: ["<title>503 Service Temporarily Unavailable</title>"]
  http://{{ .Vars.http }}/down?expect-up:
    status: 200
  http://{{ .Vars.http }}/missing:
    status: 404
  https://{{ .Vars.https }}/ok:
    status: 200
    ca-file: "{{ .Vars.ca }}"
    body: [hello world]
  https://{{ .Vars.https }}/ok?system-roots:
    status: 200
  https://{{ .Vars.https }}/ok?insecure:
    status: 200
    allow-insecure: true
  https://{{ .Vars.https }}/moved:
    status: 301
    no-follow-redirects: true
    ca-file: "{{ .Vars.ca }}"
    headers: ["Location: https://{{ .Vars.https }}/ok"]
  https://{{ .Vars.https }}/moved?follow:
    status: 200
    ca-file: "{{ .Vars.ca }}"
    body: [version 1.22]
tls:
  "{{ .Vars.https }}":
    ca-file: "{{ .Vars.ca }}"
    chain-valid: true
    names-match: true
    days-left: {and: [{ge: 4}, {le: 5}]}
    issuer: remotectl test CA
    dns-names: [localhost]
  "{{ .Vars.https }}?renewal-due":
    address: "{{ .Vars.https }}"
    server-name: localhost
    ca-file: "{{ .Vars.ca }}"
    days-left: {gt: 30}
  "{{ .Vars.https }}?wrong-name":
    address: "{{ .Vars.https }}"
    server-name: www.example.com
    ca-file: "{{ .Vars.ca }}"
    chain-valid: true
    names-match: true
  "{{ .Vars.https }}?system-roots":
    address: "{{ .Vars.https }}"
    server-name: localhost
    chain-valid: true
    names-match: true
`

func TestPeersNginx(t *testing.T) {
	ng := startNginx(t)
	results := runPeerChecks(t, nginxChecks, map[string]any{"http": ng.httpAddr, "https": ng.httpsAddr, "ca": ng.caFile})

	h, s := "http://"+ng.httpAddr, "https://"+ng.httpsAddr
	okBody := "hello world\nversion 1.22"
	unknownCA := `^no response: .*certificate signed by unknown authority`
	checkResults(t, results, []wantResult{
		{h + "/ok", "status", Pass, "200", "200", ""},
		{h + "/ok", "headers", Pass, `["X-App: demo", "/^Server: nginx/", "Content-Type: text/plain"]`, "", `(?m)^X-App: demo$`},
		{h + "/ok", "body", Pass, `[hello world, /^version 1\.22$/, "!error"]`, okBody, ""},
		{h + "/ok?wrong-body", "status", Pass, "200", "200", ""},
		{h + "/ok?wrong-body", "body", Fail, "[goodbye]", okBody, ""},
		{h + "/index.html", "status", Pass, "200", "200", ""},
		{h + "/index.html", "headers", Pass, `["Content-Type: text/html", "Content-Length: 21", "/^Last-Modified: /", "/^Etag: /"]`, "", `(?m)^Etag: "`},
		{h + "/index.html", "body", Pass, `["<h1>static page</h1>"]`, "<h1>static page</h1>", ""},
		{h + "/moved", "status", Pass, "301", "301", ""},
		{h + "/moved", "headers", Pass, "[Location: " + h + "/ok]", "", `(?m)^Location: ` + regexp.QuoteMeta(h) + `/ok$`},
		{h + "/moved?follow", "status", Pass, "200", "200", ""},
		{h + "/moved?follow", "body", Pass, "[hello world]", okBody, ""},
		{h + "/down", "status", Pass, "503", "503", ""},
		{h + "/down", "body", Pass, `["<title>503 Service Temporarily Unavailable</title>"]`, "", `<center><h1>503 Service Temporarily Unavailable</h1></center>`},
		{h + "/down?expect-up", "status", Fail, "200", "503", ""},
		{h + "/missing", "status", Pass, "404", "404", ""},
		{s + "/ok", "status", Pass, "200", "200", ""},
		{s + "/ok", "body", Pass, "[hello world]", okBody, ""},
		{s + "/ok?system-roots", "status", Error, "200", "", unknownCA}, // goss: no response is an error
		{s + "/ok?insecure", "status", Pass, "200", "200", ""},
		{s + "/moved", "status", Pass, "301", "301", ""},
		{s + "/moved", "headers", Pass, "[Location: " + s + "/ok]", "", `(?m)^Location: ` + regexp.QuoteMeta(s) + `/ok$`},
		{s + "/moved?follow", "status", Pass, "200", "200", ""},
		{s + "/moved?follow", "body", Pass, "[version 1.22]", okBody, ""},
		{ng.httpsAddr, "chain-valid", Pass, "true", "true", ""},
		{ng.httpsAddr, "names-match", Pass, "true", "true", ""},
		{ng.httpsAddr, "days-left", Pass, "{and: [{ge: 4}, {le: 5}]}", "5", ""},
		{ng.httpsAddr, "issuer", Pass, "remotectl test CA", "remotectl test CA", ""},
		{ng.httpsAddr, "dns-names", Pass, "[localhost]", "[localhost]", ""},
		{ng.httpsAddr + "?renewal-due", "days-left", Fail, "{gt: 30}", "5", ""},
		{ng.httpsAddr + "?wrong-name", "chain-valid", Pass, "true", "true", ""},
		{ng.httpsAddr + "?wrong-name", "names-match", Fail, "true", "false", ""},
		{ng.httpsAddr + "?system-roots", "chain-valid", Fail, "true", "false", ""},
		{ng.httpsAddr + "?system-roots", "names-match", Pass, "true", "true", ""},
	})
	if r := find(t, results, ng.httpsAddr+"?wrong-name", "names-match"); !strings.Contains(r.Message, "www.example.com") {
		t.Errorf("names-match message %q does not name the server name checked", r.Message)
	}
	if r := find(t, results, ng.httpsAddr+"?system-roots", "chain-valid"); !strings.Contains(r.Message, "unknown authority") {
		t.Errorf("chain-valid message %q does not say why the chain is invalid", r.Message)
	}
	if r := find(t, results, ng.httpsAddr+"?renewal-due", "days-left"); !strings.HasPrefix(r.Message, "expires ") {
		t.Errorf("days-left message %q does not give the expiry date", r.Message)
	}
}

// dnsmasqRecords are dnsmasq's options for records of every type a dns
// check supports, under example.test. dnsmasq answers NS queries only in
// its authoritative mode, and only there: on the address given to
// --auth-server it serves the --auth-zone zones and refuses every other
// name, --ptr-record ones included. So it listens twice: on 127.0.0.1 as
// an ordinary server (every record; example.test is --local, so an
// unknown name there is NXDOMAIN, not a question for an upstream server)
// and on 127.0.0.2 authoritatively for example.test, for NS.
var dnsmasqRecords = []string{
	"--local=/example.test/",
	"--host-record=www.example.test,192.0.2.10,2001:db8::10", // A, AAAA and both PTRs
	"--cname=alias.example.test,www.example.test",
	"--mx-host=example.test,mail.example.test,10",
	"--txt-record=example.test,v=spf1 -all",
	"--txt-record=multi.example.test,part one,part two",
	"--srv-host=_sip._tcp.example.test,sip.example.test,5060,10,60",
	"--ptr-record=20.2.0.192.in-addr.arpa,printer.example.test",
	"--auth-zone=example.test",
	"--auth-server=ns1.example.test,127.0.0.2",
}

// dnsmasqPeer is a running dnsmasq.
type dnsmasqPeer struct {
	addr     string // 127.0.0.1:port, every record
	authAddr string // 127.0.0.2:port, authoritative for example.test
}

// startDnsmasq runs dnsmasq in the foreground on a port free on both
// loopback addresses (UDP and TCP), with no configuration file, upstream
// servers or /etc/hosts, logging to its stderr. As root it drops to nobody
// once its sockets are bound.
func startDnsmasq(t *testing.T) *dnsmasqPeer {
	bin := peerBinary(t, dnsmasqBinary, dnsmasqPkg)
	dir := t.TempDir()
	pick := func(t *testing.T) int { return freeUDPTCPPort(t, "127.0.0.1", "127.0.0.2") }
	ports := startWithFreePorts(t, pick, 1, func(ports []int) (*peerProcess, error) {
		port := strconv.Itoa(ports[0])
		args := []string{bin,
			"--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
			"--port=" + port, "--listen-address=127.0.0.1,127.0.0.2", "--bind-interfaces",
			"--pid-file=" + filepath.Join(dir, "dnsmasq.pid"), "--log-facility=-", "--log-queries",
		}
		if os.Geteuid() == 0 {
			args = append(args, "--user=nobody", "--group=nogroup")
		}
		p, err := startPeer("dnsmasq", append(args, dnsmasqRecords...))
		if err != nil {
			return nil, err
		}
		return p, p.waitReady("127.0.0.1:"+port, "127.0.0.2:"+port)
	})
	return &dnsmasqPeer{
		addr:     fmt.Sprintf("127.0.0.1:%d", ports[0]),
		authAddr: fmt.Sprintf("127.0.0.2:%d", ports[0]),
	}
}

// dnsmasqChecks asks the dnsmasq peer for every record type.
const dnsmasqChecks = `
dns:
  www.example.test: {server: "{{ .Vars.dns }}", resolvable: true, addrs: {consist-of: [192.0.2.10, "2001:db8::10"]}}
  A:www.example.test: {server: "{{ .Vars.dns }}", resolvable: true, addrs: {equal: [192.0.2.10]}}
  AAAA:www.example.test: {server: "{{ .Vars.dns }}", resolvable: true, addrs: {equal: ["2001:db8::10"]}}
  A:WWW.Example.Test: {server: "{{ .Vars.dns }}", resolvable: true, addrs: [192.0.2.99]}
  CNAME:alias.example.test: {server: "{{ .Vars.dns }}", resolvable: true, addrs: [www.example.test.]}
  A:alias.example.test: {server: "{{ .Vars.dns }}", resolvable: true, addrs: {equal: [192.0.2.10]}}
  MX:example.test: {server: "{{ .Vars.dns }}", resolvable: true, addrs: {equal: ["10 mail.example.test."]}}
  TXT:example.test: {server: "{{ .Vars.dns }}", resolvable: true, addrs: {equal: ["v=spf1 -all"]}}
  TXT:multi.example.test: {server: "{{ .Vars.dns }}", resolvable: true, addrs: {consist-of: [part one, part two]}}
  SRV:_sip._tcp.example.test: {server: "{{ .Vars.dns }}", resolvable: true, addrs: {equal: ["10 60 5060 sip.example.test."]}}
  NS:example.test: {server: "{{ .Vars.auth }}", resolvable: true, addrs: {equal: [ns1.example.test.]}}
  PTR:192.0.2.10: {server: "{{ .Vars.dns }}", resolvable: true, addrs: {equal: [www.example.test.]}}
  PTR:2001:db8::10: {server: "{{ .Vars.dns }}", resolvable: true, addrs: {equal: [www.example.test.]}}
  PTR:192.0.2.20: {server: "{{ .Vars.dns }}", resolvable: true, addrs: {equal: [printer.example.test.]}}
  MX:www.example.test: {server: "{{ .Vars.dns }}", resolvable: true}
  missing.example.test: {server: "{{ .Vars.dns }}", resolvable: false, addrs: [192.0.2.10]}
  A:missing.example.test: {server: "{{ .Vars.dns }}", resolvable: true, addrs: [192.0.2.10]}
  A:elsewhere.invalid: {server: "{{ .Vars.auth }}", resolvable: false}
`

func TestPeersDnsmasq(t *testing.T) {
	dns := startDnsmasq(t)
	results := runPeerChecks(t, dnsmasqChecks, map[string]any{"dns": dns.addr, "auth": dns.authAddr})

	const nx = "missing.example.test does not resolve: no such name (NXDOMAIN)"
	checkResults(t, results, []wantResult{
		{"www.example.test", "resolvable", Pass, "true", "true", ""},
		{"www.example.test", "addrs", Pass, `{consist-of: [192.0.2.10, "2001:db8::10"]}`, `[192.0.2.10, "2001:db8::10"]`, ""},
		{"A:www.example.test", "resolvable", Pass, "true", "true", ""},
		{"A:www.example.test", "addrs", Pass, "{equal: [192.0.2.10]}", "[192.0.2.10]", ""},
		{"AAAA:www.example.test", "resolvable", Pass, "true", "true", ""},
		{"AAAA:www.example.test", "addrs", Pass, `{equal: ["2001:db8::10"]}`, `["2001:db8::10"]`, ""},
		{"A:WWW.Example.Test", "resolvable", Pass, "true", "true", ""},
		{"A:WWW.Example.Test", "addrs", Fail, "[192.0.2.99]", "[192.0.2.10]", ""},
		{"CNAME:alias.example.test", "resolvable", Pass, "true", "true", ""},
		{"CNAME:alias.example.test", "addrs", Pass, "[www.example.test.]", "[www.example.test.]", ""},
		{"A:alias.example.test", "resolvable", Pass, "true", "true", ""},
		{"A:alias.example.test", "addrs", Pass, "{equal: [192.0.2.10]}", "[192.0.2.10]", ""},
		{"MX:example.test", "resolvable", Pass, "true", "true", ""},
		{"MX:example.test", "addrs", Pass, "{equal: [10 mail.example.test.]}", "[10 mail.example.test.]", ""},
		{"TXT:example.test", "resolvable", Pass, "true", "true", ""},
		{"TXT:example.test", "addrs", Pass, "{equal: [v=spf1 -all]}", "[v=spf1 -all]", ""},
		{"TXT:multi.example.test", "resolvable", Pass, "true", "true", ""},
		{"TXT:multi.example.test", "addrs", Pass, "{consist-of: [part one, part two]}", "[part one, part two]", ""},
		{"SRV:_sip._tcp.example.test", "resolvable", Pass, "true", "true", ""},
		{"SRV:_sip._tcp.example.test", "addrs", Pass, "{equal: [10 60 5060 sip.example.test.]}", "[10 60 5060 sip.example.test.]", ""},
		{"NS:example.test", "resolvable", Pass, "true", "true", ""},
		{"NS:example.test", "addrs", Pass, "{equal: [ns1.example.test.]}", "[ns1.example.test.]", ""},
		{"PTR:192.0.2.10", "resolvable", Pass, "true", "true", ""},
		{"PTR:192.0.2.10", "addrs", Pass, "{equal: [www.example.test.]}", "[www.example.test.]", ""},
		{"PTR:2001:db8::10", "resolvable", Pass, "true", "true", ""},
		{"PTR:2001:db8::10", "addrs", Pass, "{equal: [www.example.test.]}", "[www.example.test.]", ""},
		{"PTR:192.0.2.20", "resolvable", Pass, "true", "true", ""},
		{"PTR:192.0.2.20", "addrs", Pass, "{equal: [printer.example.test.]}", "[printer.example.test.]", ""},
		{"MX:www.example.test", "resolvable", Fail, "true", "false", ""}, // the name exists, without MX records
		{"missing.example.test", "resolvable", Pass, "false", "false", ""},
		{"missing.example.test", "addrs", Skip, "[192.0.2.10]", "", ""},
		{"A:missing.example.test", "resolvable", Fail, "true", "false", ""},
		{"A:missing.example.test", "addrs", Skip, "[192.0.2.10]", "", ""},
		{"A:elsewhere.invalid", "resolvable", Pass, "false", "false", ""},
	})
	if r := find(t, results, "missing.example.test", "addrs"); r.Message != nx {
		t.Errorf("missing name: addrs message %q, want %q", r.Message, nx)
	}
	if r := find(t, results, "A:missing.example.test", "resolvable"); !strings.Contains(r.Message, "NXDOMAIN") {
		t.Errorf("missing name: resolvable message %q does not say NXDOMAIN", r.Message)
	}
	if r := find(t, results, "A:elsewhere.invalid", "resolvable"); !strings.Contains(r.Message, "REFUSED") {
		t.Errorf("refused name: resolvable message %q does not say REFUSED", r.Message)
	}
}

// TestDNSErrorAnswersDoNotResolve: a server that refuses or fails a query
// (as dnsmasq refuses names outside its zones) answers that the name does
// not resolve through it, as NXDOMAIN does and as goss reports it; the
// check can be evaluated.
func TestDNSErrorAnswersDoNotResolve(t *testing.T) {
	spec := &DNSSpec{Name: "elsewhere.invalid", Type: "A"}
	for rcode, name := range map[byte]string{2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"} {
		answer := []byte{0x12, 0x34, 0x81, 0x80 | rcode, 0, 0, 0, 0, 0, 0, 0, 0}
		_, err := parseAnswers(answer, 0x1234, dnsTypeCodes["A"])
		o := lookupResult(spec, nil, err)
		if o.err != "" {
			t.Errorf("%s: not evaluated: %s", name, o.err)
			continue
		}
		if v := o.values["resolvable"]; v.kind != kindBool || v.b {
			t.Errorf("%s: resolvable = %v, want false", name, v)
		}
		if note := o.notes["resolvable"]; !strings.Contains(note, name) {
			t.Errorf("%s: note %q does not name the answer", name, note)
		}
	}
}
