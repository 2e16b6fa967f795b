//go:build linux

package agent

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
	"github.com/remotectl/remotectl/remote/winrm"
)

// winrmAgentMode is one way of reaching the WS-Management test server.
type winrmAgentMode struct {
	name   string
	server remotetest.WSManOptions
	auth   string
}

// winrmAgentModes are both modes the transport's own conformance test
// runs: Basic over HTTPS, and NTLM with sealed messages over plain HTTP.
var winrmAgentModes = []winrmAgentMode{
	{"basic over HTTPS", remotetest.WSManOptions{Auth: "basic", HTTPS: true}, "basic"},
	{"NTLM sealed over HTTP", remotetest.WSManOptions{Seal: true}, "ntlm"},
}

// winrmAgentTarget returns a target reaching s at addr:port as mode
// says, with the server's CA and credentials.
func winrmAgentTarget(s *remotetest.WSManServer, mode winrmAgentMode, port int) remote.Target {
	https := mode.server.HTTPS
	w := remote.WinRMSettings{HTTPS: &https, Auth: mode.auth}
	if https {
		w.CACert = s.CACertFile
	}
	return remote.Target{Name: "win-" + strconv.Itoa(port), Address: s.Host, Port: port, Transport: remote.KindWinRM,
		User: s.User, Password: s.Password, ConnectTimeout: 10 * time.Second, WinRM: w}
}

// winrmDialer returns a client of the agent for WinRM hosts: one run.
func (a *testAgent) winrmDialer(t *testing.T, persist time.Duration) *WinRMDialer {
	t.Helper()
	d, err := NewWinRMDialer(WinRMConfig{Socket: a.socket, Persist: persist,
		Options: winrm.Options{OperationTimeout: time.Second, Getenv: func(string) string { return "" }}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// countOps counts the requests of op the server saw.
func countOps(s *remotetest.WSManServer, op string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Op == op {
			n++
		}
	}
	return n
}

// TestWinRMConformance runs the transport conformance suite on WinRM
// connections held by the agent, in both modes.
func TestWinRMConformance(t *testing.T) {
	for _, mode := range winrmAgentModes {
		t.Run(mode.name, func(t *testing.T) {
			s := remotetest.StartWSMan(t, mode.server)
			a := startAgent(t, time.Minute)
			const transfers = "the agent's WinRM connections use the PowerShell transfer scripts, which this server's " +
				"/bin/sh does not run: transfers through the agent are TestWinRMHeldAcrossRuns' (with the PowerShell simulator)"
			t.Run("suite", func(t *testing.T) {
				remotetest.RunConformance(t, remotetest.ConformanceEnv{
					Dialer: a.winrmDialer(t, time.Minute),
					Target: winrmAgentTarget(s, mode, s.Port),
					OS:     remote.OSWindows,
					Shell:  remotetest.DialectCmdAsSh,
					Skip: map[string]string{remotetest.CaseFiles: transfers, remotetest.CaseDownloadMissing: transfers,
						remotetest.CaseDownloadSymlink: transfers},
				})
			})
			for _, h := range a.status(t) {
				if h.InUse || !strings.HasPrefix(h.Addr, "winrm:") {
					t.Errorf("held %+v: want an idle WinRM connection", h)
				}
			}
		})
	}
}

// TestWinRMHeldAcrossRuns checks that a second run reuses the held WinRM
// connection (no new shell, no new NTLM handshake), that files cross it,
// and that a run with other credentials or other CA certificates gets a
// connection of its own.
func TestWinRMHeldAcrossRuns(t *testing.T) {
	for _, mode := range winrmAgentModes {
		t.Run(mode.name, func(t *testing.T) {
			opts := mode.server
			ps, err := remotetest.NewPowerShell(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			opts.PowerShell = ps
			s := remotetest.StartWSMan(t, opts)
			a := startAgent(t, time.Minute)
			target := winrmAgentTarget(s, mode, s.Port)
			if target.WinRM.CACert != "" {
				// A copy the test changes below.
				target.WinRM.CACert = filepath.Join(t.TempDir(), "ca.pem")
				if err := os.WriteFile(target.WinRM.CACert, s.CACertPEM, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			out, res, err := run(t, a.winrmDialer(t, time.Minute), target, "echo one")
			if err != nil || res.ExitCode != 0 || strings.TrimSpace(out) != "one" {
				t.Fatalf("first run: %q, exit %d, %v\n%s", out, res.ExitCode, err, a.log)
			}
			creates, before := countOps(s, remotetest.WSManOpCreate), len(s.Requests())
			out, res, err = run(t, a.winrmDialer(t, time.Minute), target, "echo two; exit 3")
			if err != nil || res.ExitCode != 3 || strings.TrimSpace(out) != "two" {
				t.Fatalf("second run: %q, exit %d, %v", out, res.ExitCode, err)
			}
			if n := countOps(s, remotetest.WSManOpCreate); n != creates {
				t.Errorf("the second run created %d shell(s): want the held one reused", n-creates)
			}
			// Its first request is its command, on a kept-alive connection
			// already authenticated (no handshake leg before it).
			if first := s.Requests()[before]; first.Op != remotetest.WSManOpCommand || first.Status != 200 {
				t.Errorf("the second run began with %+v: want its command, on the held connection", first)
			}
			held := a.status(t)
			if len(held) != 1 || held[0].Sessions != 2 || !strings.HasPrefix(held[0].Addr, "winrm:") {
				t.Fatalf("held %+v, want one WinRM connection with 2 sessions", held)
			}
			winrmTransfer(t, a, target)

			// Other credentials: a connection of their own, refused as
			// without the agent.
			wrong := target
			wrong.Password = "not-the-password"
			_, _, err = run(t, a.winrmDialer(t, time.Minute), wrong, "echo never")
			_, _, direct := run(t, winrm.NewDialer(winrm.Options{}), wrong, "echo never")
			if remote.ClassOf(err) != remote.ClassAuth || remote.ClassOf(err) != remote.ClassOf(direct) {
				t.Errorf("wrong password through the agent: %v; without: %v; want both auth", err, direct)
			}
			if len(a.status(t)) != 1 {
				t.Errorf("the refused connection is held: %+v", a.status(t))
			}
			if target.WinRM.CACert == "" {
				return
			}
			// The CA file's contents change (the same certificate twice):
			// the held connection was verified against other contents.
			if err := os.WriteFile(target.WinRM.CACert, bytes.Repeat(s.CACertPEM, 2), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, _, err := run(t, a.winrmDialer(t, time.Minute), target, "true"); err != nil {
				t.Fatal(err)
			}
			if held := a.status(t); len(held) != 2 {
				t.Errorf("after the CA file changed: held %+v, want a second connection", held)
			}
		})
	}
}

// winrmTransfer uploads and downloads a file through the held connection
// (the PowerShell transfer scripts, run by the server's simulator).
func winrmTransfer(t *testing.T, a *testAgent, target remote.Target) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	tr, err := a.winrmDialer(t, time.Minute).Dial(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, ok := tr.(remote.TreeCopier); ok {
		t.Errorf("a WinRM lease is a TreeCopier: winrm.Transport is not")
	}
	if tr.OS() != remote.OSWindows {
		t.Errorf("OS %v", tr.OS())
	}
	data := bytes.Repeat([]byte("held\r\n\x00\xff"), 40000)
	if err := tr.Upload(ctx, `C:\Windows\Temp\held.bin`, bytes.NewReader(data), 0o644); err != nil {
		t.Fatalf("upload: %v", err)
	}
	var got bytes.Buffer
	if err := tr.Download(ctx, `C:\Windows\Temp\held.bin`, &got); err != nil {
		t.Fatalf("download: %v", err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Errorf("downloaded %d bytes, want the %d uploaded", got.Len(), len(data))
	}
	err = tr.Download(ctx, `C:\Windows\Temp\missing.bin`, io.Discard)
	if remote.ClassOf(err) != remote.ClassNotFound {
		t.Errorf("download of a missing file: %v, want not-found", err)
	}
}

// winrmRelay forwards TCP connections to a backend that can be replaced,
// cutting the connections it carries: a server restarted on the same
// address.
type winrmRelay struct {
	ln net.Listener

	mu      sync.Mutex
	backend string
	conns   []net.Conn
}

func startWinRMRelay(t *testing.T, backend string) *winrmRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &winrmRelay{ln: ln, backend: backend}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		r.restart("")
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			b, err := net.Dial("tcp", r.backend)
			if err != nil {
				r.mu.Unlock()
				c.Close()
				continue
			}
			r.conns = append(r.conns, c, b)
			r.mu.Unlock()
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = io.Copy(b, c); b.Close() }()
			go func() { defer wg.Done(); _, _ = io.Copy(c, b); c.Close() }()
		}
	}()
	return r
}

func (r *winrmRelay) port() int { return r.ln.Addr().(*net.TCPAddr).Port }

// restart cuts every connection and sends the next ones to backend.
func (r *winrmRelay) restart(backend string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
	r.conns, r.backend = nil, backend
}

// TestWinRMServerRestarted restarts the server behind a held connection
// (its connections cut, its shells gone): the next run authenticates
// again and gets a new shell transparently, its command run once.
func TestWinRMServerRestarted(t *testing.T) {
	mode := winrmAgentModes[1]
	first := remotetest.StartWSMan(t, mode.server)
	relay := startWinRMRelay(t, net.JoinHostPort(first.Host, strconv.Itoa(first.Port)))
	a := startAgent(t, time.Minute)
	target := winrmAgentTarget(first, mode, relay.port())
	marker := filepath.Join(t.TempDir(), "runs")
	cmd := "echo x >> " + marker + "; cat " + marker + " | wc -l"
	if out, _, err := run(t, a.winrmDialer(t, time.Minute), target, cmd); err != nil || strings.TrimSpace(out) != "1" {
		t.Fatalf("first run: %q, %v\n%s", out, err, a.log)
	}
	second := remotetest.StartWSMan(t, mode.server)
	relay.restart(net.JoinHostPort(second.Host, strconv.Itoa(second.Port)))
	first.Close()
	out, res, err := run(t, a.winrmDialer(t, time.Minute), target, cmd)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("run after the restart: %v (exit %d)\n%s", err, res.ExitCode, a.log)
	}
	if strings.TrimSpace(out) != "2" {
		t.Errorf("the command ran %s times in all, want 2 (never twice for one run)", strings.TrimSpace(out))
	}
	// The held shell is unknown to the new server: its Command is
	// refused (shell not found: nothing started), a new shell is made and
	// the command started there, once.
	started := 0
	for _, r := range second.Requests() {
		if r.Op == remotetest.WSManOpCommand && r.Status == 200 {
			started++
		}
	}
	if countOps(second, remotetest.WSManOpCreate) != 1 || started != 1 {
		t.Errorf("the restarted server saw %+v: want one new shell, one command started", second.Requests())
	}
	if held := a.status(t); len(held) != 1 || held[0].Sessions != 2 {
		t.Errorf("held %+v, want the one connection, 2 sessions", held)
	}
}

// TestWinRMIdleExpiry checks that a held WinRM connection idle for its
// persist time is closed, its shell deleted on the server.
func TestWinRMIdleExpiry(t *testing.T) {
	mode := winrmAgentModes[0]
	s := remotetest.StartWSMan(t, mode.server)
	a := startAgent(t, time.Minute)
	if _, _, err := run(t, a.winrmDialer(t, time.Second), winrmAgentTarget(s, mode, s.Port), "true"); err != nil {
		t.Fatal(err)
	}
	if s.Shells() != 1 {
		t.Fatalf("%d shells open while held, want the shared one", s.Shells())
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(a.status(t)) > 0 || s.Shells() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still held after 30s: %+v, %d shells", a.status(t), s.Shells())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if countOps(s, remotetest.WSManOpDelete) != 1 {
		t.Errorf("the shell was not deleted: %+v", s.Requests())
	}
}

// TestWinRMClientKilledMidRun checks that a client gone mid-command gets
// the command terminated and its shell deleted, the connection back.
func TestWinRMClientKilledMidRun(t *testing.T) {
	mode := winrmAgentModes[1]
	s := remotetest.StartWSMan(t, mode.server)
	a := startAgent(t, time.Minute)
	d := a.winrmDialer(t, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	tr, err := d.Dial(ctx, winrmAgentTarget(s, mode, s.Port))
	if err != nil {
		t.Fatal(err)
	}
	lease := tr.(*WinRMTransport).t
	c, err := d.cl.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := request{Op: "run", Lease: lease.lease, Run: &runRequest{Shell: "echo started; exec sleep 600"}}
	if err := writeJSON(c, frameRequest, req); err != nil {
		t.Fatal(err)
	}
	if typ, payload, err := readFrame(c, nil); err != nil || typ != frameStdout || string(payload) != "started\r\n" && string(payload) != "started\n" {
		t.Fatalf("first frame %q %q, %v", typ, payload, err)
	}
	c.Close() // the client dies
	lease.conn.Close()
	deadline := time.Now().Add(20 * time.Second)
	for len(s.Processes()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the command of the dead client still runs: %v", s.Processes())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := s.Signals(); len(got) == 0 || got[0] != "terminate" {
		t.Errorf("signals %v, want terminate", got)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		held := a.status(t)
		if len(held) == 1 && !held[0].InUse {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("held %+v, want the connection back, idle", held)
		}
	}
}

// TestWinRMKerberosHeld checks Kerberos (sealed over HTTP) through the
// agent: the run's Kerberos environment crosses the socket, the second
// run reuses the authenticated connection, and another credential cache
// gets a connection of its own.
func TestWinRMKerberosHeld(t *testing.T) {
	const realm = "AGENT.TEST"
	kdc := remotetest.StartKDC(t, realm)
	kdc.AddUser(t, remotetest.WSManUser, remotetest.WSManPassword)
	spnHost := "win1." + remotetest.KDCDomain
	s := remotetest.StartWSMan(t, remotetest.WSManOptions{Auth: remotetest.WSManAuthNTLM,
		Kerberos: &remotetest.WSManKerberos{Keytab: kdc.AddService(t, "HTTP/"+spnHost), Realm: realm}})
	env := map[string]string{"KRB5_CONFIG": kdc.Config,
		"KRB5CCNAME":         "FILE:" + kdc.Kinit(t, remotetest.WSManUser, remotetest.WSManPassword, ""),
		"KRB5_CLIENT_KTNAME": "FILE:" + filepath.Join(t.TempDir(), "none")}
	a := startAgent(t, time.Minute)
	dialer := func() *WinRMDialer {
		d, err := NewWinRMDialer(WinRMConfig{Socket: a.socket, Persist: time.Minute,
			Options: winrm.Options{OperationTimeout: time.Second, Getenv: func(k string) string { return env[k] }}})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	https := false
	target := remote.Target{Name: "win-krb", Address: s.Host, Port: s.Port, Transport: remote.KindWinRM,
		WinRM: remote.WinRMSettings{HTTPS: &https, Auth: "kerberos", KerberosHostname: spnHost}}
	for i := range 2 {
		before := len(s.Requests())
		if out, res, err := run(t, dialer(), target, "echo krb"); err != nil || res.ExitCode != 0 || strings.TrimSpace(out) != "krb" {
			t.Fatalf("run %d: %q, %v\n%s", i, out, err, a.log)
		}
		if first := s.Requests()[before]; i == 1 && (first.Op != remotetest.WSManOpCommand || first.Auth != remotetest.WSManAuthKerberos) {
			t.Errorf("the second run began with %+v: want its command on the held, Kerberos-authenticated connection", first)
		}
	}
	if held := a.status(t); len(held) != 1 || held[0].Sessions != 2 {
		t.Fatalf("held %+v, want one connection, 2 sessions", held)
	}
	env["KRB5CCNAME"] = "FILE:" + kdc.Kinit(t, remotetest.WSManUser, remotetest.WSManPassword, "")
	if _, _, err := run(t, dialer(), target, "true"); err != nil {
		t.Fatal(err)
	}
	if held := a.status(t); len(held) != 2 {
		t.Errorf("another credential cache: held %+v, want a second connection", held)
	}
}
