//go:build unix

package ssh

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// testTimeout bounds every network operation of a test.
const testTimeout = 30 * time.Second

// newTestDialer returns a Dialer that never reads the real ~/.ssh, ssh_config
// or agent, closed at cleanup. Fields set in opts win.
func newTestDialer(t testing.TB, opts Options) *Dialer {
	t.Helper()
	if opts.Home == "" {
		opts.Home = t.TempDir()
	}
	if opts.ConfigFile == "" {
		opts.ConfigFile = "none"
	}
	if opts.AgentSocket == "" {
		opts.AgentSocket = "none"
	}
	if opts.Warn == nil {
		opts.Warn = io.Discard
	}
	d, err := NewDialer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// testContext is a context bounded by testTimeout.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// serverTarget is a target for an in-process server, logging in with
// keyFile and trusting the server's key through a known_hosts file.
func serverTarget(t testing.TB, srv *remotetest.SSHServer, keyFile string) remote.Target {
	t.Helper()
	return remote.Target{
		Name:      "srv",
		Address:   srv.Addr,
		Port:      srv.Port,
		Transport: remote.KindSSH,
		User:      "test",
		SSH: remote.SSHSettings{
			IdentityFiles:  []string{keyFile},
			IdentitiesOnly: true,
			KnownHostsFile: remotetest.WriteKnownHosts(t, srv.KnownHostsLine),
		},
	}
}

// startShServer starts an in-process server that runs commands with the
// local /bin/sh (see shHandler), authorizing a new test key.
func startShServer(t testing.TB, opts remotetest.SSHServerOptions) (*remotetest.SSHServer, string) {
	t.Helper()
	signer, keyFile := remotetest.NewTestKey(t)
	opts.AuthorizedKeys = append(opts.AuthorizedKeys, signer.PublicKey())
	if opts.Handler == nil {
		opts.Handler = shHandler
	}
	return remotetest.StartSSHServer(t, opts), keyFile
}

// dialTransport dials target and closes the transport at cleanup.
func dialTransport(t testing.TB, d *Dialer, target remote.Target) *Transport {
	t.Helper()
	tr, err := d.DialSSH(testContext(t), target)
	if err != nil {
		t.Fatalf("dial %s: %v (hint: %s)", target.Name, err, remote.HintOf(err))
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// shHandler runs a session's command with the local /bin/sh the way sshd
// does: in its own process group (sshd uses setsid), with the session's
// environment, stdin and output, signal requests delivered to the whole
// group (killpg), and the exit status or signal reported. When the session
// ends early, the group is killed so the handler can return.
func shHandler(s *remotetest.SSHSession) {
	cmd := exec.Command("/bin/sh", "-c", s.Command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = os.Environ()
	for k, v := range s.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = s.Stdout, s.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		s.Exit(126)
		return
	}
	if err := cmd.Start(); err != nil {
		s.Exit(127)
		return
	}
	go func() {
		_, _ = io.Copy(stdin, s.Stdin)
		stdin.Close()
	}()
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case err := <-done:
			reportExit(s, err)
			return
		case sig := <-s.Signals:
			if n, ok := signalNumbers[string(sig)]; ok {
				_ = syscall.Kill(-pgid, n)
			}
		case <-s.Ctx.Done():
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
			return
		}
	}
}

var signalNumbers = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "KILL": syscall.SIGKILL, "TERM": syscall.SIGTERM,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "QUIT": syscall.SIGQUIT,
}

func reportExit(s *remotetest.SSHSession, err error) {
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		s.Exit(0)
		return
	}
	if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		for name, n := range signalNumbers {
			if n == ws.Signal() {
				s.ExitSignal(name, "")
				return
			}
		}
	}
	s.Exit(exitErr.ExitCode())
}

// wantClass fails the test unless err has the class.
func wantClass(t testing.TB, err error, class remote.Class) {
	t.Helper()
	if got := remote.ClassOf(err); got != class {
		t.Fatalf("error class = %v, want %v (err: %v)", got, class, err)
	}
}

// waitGone waits (bounded) until no process matches marker.
func waitGone(t testing.TB, marker string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		pids := remotetest.ProcessesMatching(marker)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL) // do not leak into other tests
			}
			t.Fatalf("processes matching %q still running after the command was stopped: %v", marker, pids)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t testing.TB, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rsaHostKey returns a new RSA key.
func rsaHostKey(t testing.TB) gossh.Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return signer
}

// hostKeySigner returns a new ed25519 host key.
func hostKeySigner(t testing.TB) gossh.Signer {
	t.Helper()
	signer, _ := remotetest.NewTestKey(t)
	return signer
}

func gosshFingerprint(k gossh.PublicKey) string { return gossh.FingerprintSHA256(k) }

func marshalKey(k gossh.PublicKey) []byte { return gossh.MarshalAuthorizedKey(k) }

// newHostCert returns a signer presenting a host certificate for principal,
// signed by ca.
func newHostCert(t testing.TB, ca, host gossh.Signer, principal string) gossh.Signer {
	t.Helper()
	cert := &gossh.Certificate{
		Key: host.PublicKey(), CertType: gossh.HostCert, ValidPrincipals: []string{principal},
		ValidBefore: gossh.CertTimeInfinity,
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewCertSigner(cert, host)
	if err != nil {
		t.Fatal(err)
	}
	return signer
}

// startEchoServer listens on loopback and echoes every connection; it is
// closed at cleanup.
func startEchoServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}
