//go:build unix

package ssh

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// Tier 3: the transport against the in-process server. Commands run with the
// local /bin/sh through shHandler, unless a test uses MiniShell.

func TestRunInProcess(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	dir := t.TempDir()
	tests := []struct {
		name       string
		cmd        remote.Cmd
		wantOut    string
		wantErr    string
		wantCode   int
		wantSignal string
	}{
		{name: "streams kept apart", cmd: remote.Cmd{Shell: "echo out; echo err >&2; echo out2"},
			wantOut: "out\nout2\n", wantErr: "err\n"},
		{name: "exit code", cmd: remote.Cmd{Args: []string{"sh", "-c", "exit 42"}}, wantCode: 42},
		{name: "killed by a signal", cmd: remote.Cmd{Shell: "echo before; kill -KILL $$"},
			wantOut: "before\n", wantCode: 128 + 9, wantSignal: "KILL"},
		{name: "args quoted", cmd: remote.Cmd{Args: []string{"printf", "[%s]", "a b", "$X", "it's"}},
			wantOut: "[a b][$X][it's]"},
		{name: "env", cmd: remote.Cmd{Shell: `printf '%s' "$GREETING"`, Env: map[string]string{"GREETING": "hi there"}},
			wantOut: "hi there"},
		{name: "dir", cmd: remote.Cmd{Args: []string{"pwd"}, Dir: dir}, wantOut: dir + "\n"},
		{name: "stdin", cmd: remote.Cmd{Args: []string{"tr", "a-z", "A-Z"}, Stdin: strings.NewReader("shout\n")},
			wantOut: "SHOUT\n"},
		{name: "non-UTF-8 bytes", cmd: remote.Cmd{Shell: `printf '\377\376\000x'`}, wantOut: "\xff\xfe\x00x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			tt.cmd.Stdout, tt.cmd.Stderr = &out, &errb
			res, err := tr.Run(testContext(t), &tt.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.wantOut || errb.String() != tt.wantErr || res.ExitCode != tt.wantCode || res.Signal != tt.wantSignal {
				t.Errorf("got out %q err %q exit %d signal %q; want %q %q %d %q",
					out.String(), errb.String(), res.ExitCode, res.Signal, tt.wantOut, tt.wantErr, tt.wantCode, tt.wantSignal)
			}
		})
	}
	if n := srv.ConnCount(); n != 1 {
		t.Errorf("%d connections for one transport, want 1 (reused)", n)
	}
}

func TestRunEnvRequestsSent(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{Handler: remotetest.MiniShell})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	// MiniShell does not understand the wrapper; only the env request and
	// the command text matter here.
	_, _ = tr.Run(testContext(t), &remote.Cmd{Args: []string{"true"}, Env: map[string]string{"LANG": "C.UTF-8"}})
	srv.Close()
	cmds := srv.Commands()
	if len(cmds) != 1 || !strings.Contains(cmds[0], "export LANG=C.UTF-8") {
		t.Errorf("commands = %q", cmds)
	}
}

func TestRunTimeoutKeepsOutput(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	out := remotetest.NewNotifyWriter("started")
	ctx, cancel := context.WithCancel(testContext(t))
	go func() {
		<-out.Seen()
		cancel()
	}()
	res, err := tr.Run(ctx, &remote.Cmd{Shell: "echo started; sleep 30; echo never", Stdout: out})
	wantClass(t, err, remote.ClassCancelled)
	if res.ExitCode != -1 || out.String() != "started\n" {
		t.Errorf("result %+v, output %q", res, out.String())
	}
	ctx, cancel = context.WithTimeout(testContext(t), 200*time.Millisecond)
	defer cancel()
	_, err = tr.Run(ctx, &remote.Cmd{Args: []string{"sleep", "30"}})
	wantClass(t, err, remote.ClassTimeout)
	// The connection is still usable.
	var after bytes.Buffer
	if _, err := tr.Run(testContext(t), &remote.Cmd{Args: []string{"echo", "alive"}, Stdout: &after}); err != nil || after.String() != "alive\n" {
		t.Fatalf("after a timeout: %v %q", err, after.String())
	}
}

func TestRunSignalRequestsWithoutBecome(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{})
	d := newTestDialer(t, Options{KillGrace: 50 * time.Millisecond})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	out := remotetest.NewNotifyWriter("ready")
	ctx, cancel := context.WithCancel(testContext(t))
	go func() {
		<-out.Seen()
		cancel()
	}()
	// A pty command has the parent guard: only signals can stop it here.
	_, err := tr.Run(ctx, &remote.Cmd{Shell: "trap '' TERM; echo ready; sleep 30", PTY: true, Stdout: out})
	wantClass(t, err, remote.ClassCancelled)
	srv.Close()
	if sig := srv.Signals(); len(sig) != 2 || sig[0] != "TERM" || sig[1] != "KILL" {
		t.Errorf("signals sent = %q, want TERM then KILL", sig)
	}
}

func TestRunNoExitStatusIsLost(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{NoExitStatus: true})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	_, err := tr.Run(testContext(t), &remote.Cmd{Args: []string{"true"}})
	wantClass(t, err, remote.ClassLost)
}

func TestRunDroppedConnectionIsLost(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{DropAfter: 1000})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	var out bytes.Buffer
	_, err := tr.Run(testContext(t), &remote.Cmd{Shell: "head -c 5000 /dev/zero", Stdout: &out})
	wantClass(t, err, remote.ClassLost)
	if out.Len() != 1000 {
		t.Errorf("received %d bytes, want the 1000 sent before the drop", out.Len())
	}
}

func TestKeepaliveDetectsDeadPeer(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{IgnoreKeepalive: true, Handler: remotetest.MiniShell})
	d := newTestDialer(t, Options{KeepaliveInterval: 50 * time.Millisecond, KeepaliveCountMax: 3})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	_, err := tr.Run(testContext(t), &remote.Cmd{Args: []string{"sleep", "30"}})
	wantClass(t, err, remote.ClassLost)
	if !strings.Contains(err.Error(), "keepalive") {
		t.Errorf("error %q does not say the keepalives went unanswered", err)
	}
}

func TestKeepalivesAnsweredKeepConnection(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{})
	d := newTestDialer(t, Options{KeepaliveInterval: 20 * time.Millisecond, KeepaliveCountMax: 2})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	var out bytes.Buffer
	if _, err := tr.Run(testContext(t), &remote.Cmd{Shell: "sleep 0.3; echo ok", Stdout: &out}); err != nil || out.String() != "ok\n" {
		t.Fatalf("run: %v %q", err, out.String())
	}
	if srv.Keepalives() == 0 {
		t.Error("no keepalive was sent")
	}
}

func TestDialErrors(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		d := newTestDialer(t, Options{})
		_, err = d.Dial(testContext(t), remote.Target{Name: "closed", Address: "127.0.0.1", Port: port})
		wantClass(t, err, remote.ClassRefused)
		if remote.HintOf(err) == "" {
			t.Error("no hint")
		}
	})
	t.Run("black hole", func(t *testing.T) {
		srv, key := startShServer(t, remotetest.SSHServerOptions{HangHandshake: true})
		d := newTestDialer(t, Options{ConnectTimeout: 300 * time.Millisecond})
		_, err := d.Dial(testContext(t), serverTarget(t, srv, key))
		wantClass(t, err, remote.ClassTimeout)
		if !strings.Contains(err.Error(), "connect timeout") {
			t.Errorf("error %q does not name the connect timeout", err)
		}
	})
	t.Run("target timeout wins", func(t *testing.T) {
		srv, key := startShServer(t, remotetest.SSHServerOptions{HangHandshake: true})
		d := newTestDialer(t, Options{ConnectTimeout: time.Hour})
		target := serverTarget(t, srv, key)
		target.ConnectTimeout = 200 * time.Millisecond
		_, err := d.Dial(testContext(t), target)
		wantClass(t, err, remote.ClassTimeout)
	})
	t.Run("cancelled", func(t *testing.T) {
		srv, key := startShServer(t, remotetest.SSHServerOptions{HangHandshake: true})
		d := newTestDialer(t, Options{})
		ctx, cancel := context.WithCancel(testContext(t))
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err := d.Dial(ctx, serverTarget(t, srv, key))
		wantClass(t, err, remote.ClassCancelled)
	})
}

func TestHostKeyPolicies(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{})
	fp := srv.HostKey
	t.Run("strict refuses unknown", func(t *testing.T) {
		d := newTestDialer(t, Options{})
		target := serverTarget(t, srv, key)
		target.SSH.KnownHostsFile = remotetest.WriteKnownHosts(t)
		_, err := d.Dial(testContext(t), target)
		wantClass(t, err, remote.ClassHostKeyUnknown)
		if !strings.Contains(err.Error(), gosshFingerprint(fp)) {
			t.Errorf("error %q lacks the fingerprint", err)
		}
	})
	t.Run("strict refuses changed", func(t *testing.T) {
		d := newTestDialer(t, Options{})
		target := serverTarget(t, srv, key)
		target.SSH.KnownHostsFile = remotetest.WriteKnownHosts(t, remotetest.KnownHostsLine(srv.HostPort(), newPub(t)))
		_, err := d.Dial(testContext(t), target)
		wantClass(t, err, remote.ClassHostKeyChanged)
		if !strings.Contains(remote.HintOf(err), "ssh-keygen -R") {
			t.Errorf("hint %q", remote.HintOf(err))
		}
	})
	t.Run("accept-new records then strict accepts", func(t *testing.T) {
		khFile := remotetest.WriteKnownHosts(t)
		d := newTestDialer(t, Options{HostKeyPolicy: "accept-new"})
		target := serverTarget(t, srv, key)
		target.SSH.KnownHostsFile = khFile
		dialTransport(t, d, target)
		strict := newTestDialer(t, Options{})
		dialTransport(t, strict, target)
	})
	t.Run("off warns once", func(t *testing.T) {
		var warn remotetest.SyncBuffer
		d := newTestDialer(t, Options{HostKeyPolicy: "off", Warn: &warn})
		target := serverTarget(t, srv, key)
		target.SSH.KnownHostsFile = remotetest.WriteKnownHosts(t, remotetest.KnownHostsLine(srv.HostPort(), newPub(t)))
		dialTransport(t, d, target)
		dialTransport(t, d, target)
		if n := strings.Count(warn.String(), "host key checking is off"); n != 1 {
			t.Errorf("warned %d times: %q", n, warn.String())
		}
	})
	t.Run("host certificate signed by a known CA", func(t *testing.T) {
		ca := hostKeySigner(t)
		hostSigner := hostKeySigner(t)
		cert := newHostCert(t, ca, hostSigner, "127.0.0.1")
		csrv, ckey := startShServer(t, remotetest.SSHServerOptions{HostKey: cert})
		d := newTestDialer(t, Options{})
		target := serverTarget(t, csrv, ckey)
		target.SSH.KnownHostsFile = remotetest.WriteKnownHosts(t,
			"@cert-authority "+knownHostsName(csrv.HostPort())+" "+strings.TrimSpace(string(marshalKey(ca.PublicKey()))))
		dialTransport(t, d, target)
	})
}

func TestScanAndAccept(t *testing.T) {
	srv1, key := startShServer(t, remotetest.SSHServerOptions{})
	srv2, _ := startShServer(t, remotetest.SSHServerOptions{})
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	khFile := remotetest.WriteKnownHosts(t, srv1.KnownHostsLine)
	d := newTestDialer(t, Options{KnownHostsFile: khFile})
	targets := []remote.Target{
		{Name: "known", Address: srv1.Addr, Port: srv1.Port},
		{Name: "new", Address: srv2.Addr, Port: srv2.Port},
		{Name: "down", Address: "127.0.0.1", Port: closedPort},
	}
	res := d.Scan(testContext(t), targets, ScanOptions{})
	if res[0].Status != StatusKnown || res[1].Status != StatusNew || res[2].Err == nil {
		t.Fatalf("scan = %+v", res)
	}
	wantClass(t, res[2].Err, remote.ClassRefused)
	if res[1].Fingerprint != gosshFingerprint(srv2.HostKey) {
		t.Errorf("fingerprint %s, want %s", res[1].Fingerprint, gosshFingerprint(srv2.HostKey))
	}
	if err := d.Accept(res); err != nil {
		t.Fatal(err)
	}
	srv1.Close()
	if srv1.ConnCount() != 1 || len(srv1.Logins()) != 0 {
		t.Errorf("scan logged in: %d connections, logins %v", srv1.ConnCount(), srv1.Logins())
	}
	// A fresh strict dialer now trusts the accepted host.
	strict := newTestDialer(t, Options{KnownHostsFile: khFile})
	target := serverTarget(t, srv2, key)
	target.SSH.KnownHostsFile = ""
	if _, err := strict.Dial(testContext(t), target); remote.ClassOf(err) == remote.ClassHostKeyUnknown {
		t.Fatalf("accepted key not recorded: %v", err)
	}
	again := strict.Scan(testContext(t), targets[1:2], ScanOptions{})
	if again[0].Status != StatusKnown {
		t.Errorf("after Accept, status = %s", again[0].Status)
	}
}

func TestDialContextThroughHost(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{AllowTCPForwarding: true})
	echo := startEchoServer(t)
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	var nd remote.NetDialer = tr
	c, err := nd.DialContext(testContext(t), "tcp", echo)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping\n" {
		t.Fatalf("echo: %q %v", buf, err)
	}
	if _, err := tr.DialContext(testContext(t), "udp", echo); err == nil {
		t.Error("udp accepted")
	}
}

func TestOS(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	if os := tr.OS(); os != remote.OSLinux {
		t.Errorf("OS() = %q, want linux", os)
	}
	tr.OS()
	srv.Close()
	if n := len(srv.Commands()); n != 1 {
		t.Errorf("OS ran %d commands, want 1 (cached)", n)
	}
	for in, want := range map[string]remote.OSFamily{"Linux\n": remote.OSLinux, "Darwin": remote.OSUnix,
		"FreeBSD": remote.OSUnix, "MINGW64_NT-10.0": remote.OSWindows, "": remote.OSUnknown} {
		if got := osFromUname(in); got != want {
			t.Errorf("osFromUname(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTransportClose(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := tr.Run(testContext(t), &remote.Cmd{Args: []string{"true"}}); err == nil {
		t.Error("Run on a closed transport succeeded")
	}
	var re *remote.Error
	if _, err := tr.Run(testContext(t), &remote.Cmd{Args: []string{"true"}}); !errors.As(err, &re) {
		t.Errorf("error %v is not classified", err)
	}
}
