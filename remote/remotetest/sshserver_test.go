package remotetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// checkNoGoroutineLeaks fails t if goroutines started during the test are
// still running after its cleanups. Call it first, so its cleanup runs last,
// and not from parallel tests.
func checkNoGoroutineLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// waitUntil polls cond until it holds, failing the test after 10 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// newKeyServer starts a server accepting one fresh key and returns the
// server and a signer for that key.
func newKeyServer(t *testing.T, opts SSHServerOptions) (*SSHServer, ssh.Signer) {
	t.Helper()
	signer, _ := NewTestKey(t)
	opts.AuthorizedKeys = append(opts.AuthorizedKeys, signer.PublicKey())
	return StartSSHServer(t, opts), signer
}

func srvClientConfig(s *SSHServer, user string, auth ...ssh.AuthMethod) *ssh.ClientConfig {
	return &ssh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: ssh.FixedHostKey(s.HostKey),
		Timeout:         10 * time.Second,
	}
}

// srvDial logs in to s and closes the client at cleanup.
func srvDial(t *testing.T, s *SSHServer, cfg *ssh.ClientConfig) *ssh.Client {
	t.Helper()
	c, err := ssh.Dial("tcp", s.HostPort(), cfg)
	if err != nil {
		t.Fatalf("dialing %s: %v", s.HostPort(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// sshRun runs cmd in a new session of c with stdin, and returns the outputs
// and the session's error (nil for exit status 0).
func sshRun(t *testing.T, c *ssh.Client, cmd, stdin string) (stdout, stderr string, err error) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	defer sess.Close()
	var out, errOut bytes.Buffer
	sess.Stdin = strings.NewReader(stdin)
	sess.Stdout, sess.Stderr = &out, &errOut
	err = sess.Run(cmd)
	return out.String(), errOut.String(), err
}

func exitCodeOf(t *testing.T, err error) int {
	t.Helper()
	var exit *ssh.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitStatus()
	}
	t.Fatalf("want an exit status, got error %v", err)
	return -1
}

func TestSSHServerMiniShell(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s, signer := newKeyServer(t, SSHServerOptions{})
	c := srvDial(t, s, srvClientConfig(s, "alice", ssh.PublicKeys(signer)))

	lines := strings.Repeat("x", 99) + "\n"
	tests := []struct {
		cmd, stdout, stderr string
		code                int
	}{
		{cmd: "echo hello  world", stdout: "hello world\n"},
		{cmd: `echo 'a  b' "c \"d\" \$x \q" e\ f ''`, stdout: "a  b c \"d\" $x \\q e f \n"},
		{cmd: "stderr oops; exit 3", stderr: "oops\n", code: 3},
		{cmd: "echo one\necho two", stdout: "one\ntwo\n"},
		{cmd: "echo a # echo b; echo c", stdout: "a\n"},
		{cmd: "echo a#b", stdout: "a#b\n"},
		{cmd: "true", code: 0},
		{cmd: "false", code: 1},
		{cmd: "false; true", code: 0},
		{cmd: "true; false", code: 1},
		{cmd: "exit 0; echo unreachable"},
		{cmd: "nosuch arg", stderr: "remotetest: nosuch: command not found\n", code: 127},
		{cmd: "echo 'open", stderr: "remotetest: unterminated ' quote\n", code: 2},
		{cmd: `echo "open`, stderr: "remotetest: unterminated \" quote\n", code: 2},
		{cmd: "exit 256", stderr: "remotetest: usage: exit N (0..255)\n", code: 2},
		{cmd: "bytes 250", stdout: lines + lines + strings.Repeat("x", 50)},
		{cmd: "bytes 0"},
		{cmd: "uname -s", stdout: "Linux\n"},
		{cmd: "tty", stdout: "not a tty\n", code: 1},
		{cmd: "sleep 1ms; echo done", stdout: "done\n"},
		{cmd: "sleep 0.001; echo done", stdout: "done\n"},
		{cmd: "sleep soon", stderr: "remotetest: usage: sleep DURATION (1.5s, 200ms or seconds)\n", code: 2},
		{cmd: "env NOT_SET", code: 1},
	}
	for _, tt := range tests {
		stdout, stderr, err := sshRun(t, c, tt.cmd, "")
		if code := exitCodeOf(t, err); stdout != tt.stdout || stderr != tt.stderr || code != tt.code {
			t.Errorf("%q: got stdout %q stderr %q status %d; want %q %q %d",
				tt.cmd, stdout, stderr, code, tt.stdout, tt.stderr, tt.code)
		}
	}
	want := make([]string, len(tests))
	for i, tt := range tests {
		want[i] = tt.cmd
	}
	if got := s.Commands(); !reflect.DeepEqual(got, want) {
		t.Errorf("Commands() = %q, want %q", got, want)
	}
	if got := s.ConnCount(); got != 1 {
		t.Errorf("ConnCount() = %d, want 1", got)
	}
}

func TestSSHServerStdinEnvAndPTY(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s, signer := newKeyServer(t, SSHServerOptions{})
	c := srvDial(t, s, srvClientConfig(s, "alice", ssh.PublicKeys(signer)))

	if stdout, _, err := sshRun(t, c, "cat; echo end", "line 1\nline 2\n"); err != nil || stdout != "line 1\nline 2\nend\n" {
		t.Errorf("cat: got %q, %v", stdout, err)
	}

	shell, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer shell.Close()
	var shellOut bytes.Buffer
	shell.Stdin, shell.Stdout = strings.NewReader("echo from stdin\nexit 4\n"), &shellOut
	if err := shell.Shell(); err != nil {
		t.Fatal(err)
	}
	if err := shell.Wait(); exitCodeOf(t, err) != 4 || shellOut.String() != "from stdin\n" {
		t.Errorf("shell request with a script on stdin: %q, %v; want from stdin, status 4", shellOut.String(), err)
	}

	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	for k, v := range map[string]string{"B_VAR": "two", "A_VAR": "one"} {
		if err := sess.Setenv(k, v); err != nil {
			t.Fatalf("Setenv(%s): %v", k, err)
		}
	}
	if out, err := sess.Output("env A_VAR; env"); err != nil || string(out) != "one\nA_VAR=one\nB_VAR=two\n" {
		t.Errorf("env: got %q, %v", out, err)
	}

	pty, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	if err := pty.RequestPty("xterm", 24, 80, ssh.TerminalModes{}); err != nil {
		t.Fatalf("RequestPty: %v", err)
	}
	var out bytes.Buffer
	pty.Stdout = &out
	if err := pty.Run("tty; stderr merged"); err != nil {
		t.Fatalf("tty with a PTY: %v", err)
	}
	if got, want := out.String(), "/dev/pts/0\r\nmerged\r\n"; got != want {
		t.Errorf("PTY output %q, want %q", got, want)
	}
}

func TestSSHServerSignals(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s, signer := newKeyServer(t, SSHServerOptions{})
	c := srvDial(t, s, srvClientConfig(s, "alice", ssh.PublicKeys(signer)))

	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.Start("echo started; sleep 1h; echo not reached"); err != nil {
		t.Fatal(err)
	}
	if err := sess.Signal(ssh.SIGTERM); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	var exit *ssh.ExitError
	if err := sess.Wait(); !errors.As(err, &exit) || exit.Signal() != "TERM" {
		t.Fatalf("Wait after SIGTERM = %v, want an exit by signal TERM", err)
	}
	if got := s.Signals(); !reflect.DeepEqual(got, []string{"TERM"}) {
		t.Errorf("Signals() = %q, want [TERM]", got)
	}

	_, _, err = sshRun(t, c, "echo before; signal KILL; echo after", "")
	if !errors.As(err, &exit) || exit.Signal() != "KILL" || exit.Msg() != "killed by remotetest" {
		t.Errorf("signal KILL: got %v, want an exit by signal KILL", err)
	}
}

func TestSSHServerHandlerContextEndsWithChannel(t *testing.T) {
	checkNoGoroutineLeaks(t)
	handlerDone := make(chan struct{})
	s, signer := newKeyServer(t, SSHServerOptions{Handler: func(s *SSHSession) {
		defer close(handlerDone)
		<-s.Ctx.Done()
	}})
	c := srvDial(t, s, srvClientConfig(s, "alice", ssh.PublicKeys(signer)))
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Start("wait for close"); err != nil {
		t.Fatal(err)
	}
	if err := sess.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-handlerDone:
	case <-time.After(10 * time.Second):
		t.Fatal("SSHSession.Ctx not done 10s after the client closed the channel")
	}
}

func TestSSHServerCustomHandlerExit(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s, signer := newKeyServer(t, SSHServerOptions{Handler: func(s *SSHSession) {
		io.WriteString(s.Stdout, "cmd="+s.Command+"\n")
		s.Exit(42)
	}})
	c := srvDial(t, s, srvClientConfig(s, "alice", ssh.PublicKeys(signer)))
	stdout, _, err := sshRun(t, c, "anything at all", "")
	if code := exitCodeOf(t, err); code != 42 || stdout != "cmd=anything at all\n" {
		t.Errorf("got %q, status %d; want cmd=anything at all, 42", stdout, code)
	}
}

func TestSSHServerAuthentication(t *testing.T) {
	checkNoGoroutineLeaks(t)
	ca, _ := NewTestKey(t)
	otherCA, _ := NewTestKey(t)
	userKey, userKeyFile := NewTestKey(t)
	stranger, _ := NewTestKey(t)
	s := StartSSHServer(t, SSHServerOptions{
		AuthorizedKeys: []ssh.PublicKey{userKey.PublicKey()},
		Password:       "s3cret",
		CertAuthority:  ca.PublicKey(),
	})
	certKey, _ := NewTestKey(t)
	cert, certFile := NewTestCert(t, ca, certKey, userKeyFile, "bob")
	badCert, _ := NewTestCert(t, otherCA, certKey, "", "bob")

	answer := func(pw string) ssh.AuthMethod {
		return ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
			if len(questions) != 1 || questions[0] != "Password: " {
				return nil, errors.New("unexpected questions")
			}
			return []string{pw}, nil
		})
	}
	tests := []struct {
		name, user string
		auth       ssh.AuthMethod
		wantMethod string // "" means the login must fail
	}{
		{"authorized key", "alice", ssh.PublicKeys(userKey), MethodPublicKey},
		{"unknown key", "alice", ssh.PublicKeys(stranger), ""},
		{"password", SSHServerPasswordUser, ssh.Password("s3cret"), MethodPassword},
		{"wrong password", SSHServerPasswordUser, ssh.Password("guess"), ""},
		{"password of another user", "alice", ssh.Password("s3cret"), ""},
		{"keyboard-interactive", SSHServerPasswordUser, answer("s3cret"), MethodKeyboardInteractive},
		{"keyboard-interactive wrong", SSHServerPasswordUser, answer("guess"), ""},
		{"certificate", "bob", ssh.PublicKeys(cert), MethodCertificate},
		{"certificate for another principal", "carol", ssh.PublicKeys(cert), ""},
		{"certificate from another CA", "bob", ssh.PublicKeys(badCert), ""},
	}
	var want []SSHLogin
	for _, tt := range tests {
		c, err := ssh.Dial("tcp", s.HostPort(), srvClientConfig(s, tt.user, tt.auth))
		if tt.wantMethod == "" {
			if err == nil {
				c.Close()
				t.Errorf("%s: login succeeded, want it refused", tt.name)
			} else if !strings.Contains(err.Error(), "unable to authenticate") {
				t.Errorf("%s: got %v, want an authentication failure", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		c.Close()
		want = append(want, SSHLogin{User: tt.user, Method: tt.wantMethod})
	}
	if got := s.Logins(); !reflect.DeepEqual(got, want) {
		t.Errorf("Logins() = %v, want %v", got, want)
	}

	// The certificate file is where OpenSSH looks for it and parses back.
	data, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	if certFile != userKeyFile+"-cert.pub" {
		t.Errorf("certificate written to %s, want %s-cert.pub", certFile, userKeyFile)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		t.Fatalf("parsing %s: %v", certFile, err)
	}
	if c, ok := pub.(*ssh.Certificate); !ok || !reflect.DeepEqual(c.ValidPrincipals, []string{"bob"}) {
		t.Errorf("%s holds %T, want a certificate for bob", certFile, pub)
	}
}

func TestTestKeyFiles(t *testing.T) {
	signer, path := NewTestKey(t)
	pem, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v, %v; want 0600", info.Mode(), err)
	}
	parsed, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatalf("ParsePrivateKey(%s): %v", path, err)
	}
	if !keysEqual(parsed.PublicKey(), signer.PublicKey()) {
		t.Error("key file and signer differ")
	}
	pubLine, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if pub, _, _, _, err := ssh.ParseAuthorizedKey(pubLine); err != nil || !keysEqual(pub, signer.PublicKey()) {
		t.Errorf("%s.pub does not hold the public key: %v", path, err)
	}

	enc, encPath := NewEncryptedTestKey(t, "open sesame")
	encPEM, err := os.ReadFile(encPath)
	if err != nil {
		t.Fatal(err)
	}
	var missing *ssh.PassphraseMissingError
	if _, err := ssh.ParsePrivateKey(encPEM); !errors.As(err, &missing) {
		t.Errorf("ParsePrivateKey of the encrypted key: %v, want PassphraseMissingError", err)
	}
	dec, err := ssh.ParsePrivateKeyWithPassphrase(encPEM, []byte("open sesame"))
	if err != nil {
		t.Fatalf("ParsePrivateKeyWithPassphrase: %v", err)
	}
	if !keysEqual(dec.PublicKey(), enc.PublicKey()) {
		t.Error("encrypted key file and signer differ")
	}
}

func TestSSHServerKnownHostsLine(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s, signer := newKeyServer(t, SSHServerOptions{})
	other, _ := newKeyServer(t, SSHServerOptions{})
	if !strings.HasPrefix(s.KnownHostsLine, "[127.0.0.1]:") {
		t.Errorf("KnownHostsLine = %q, want it to start with [127.0.0.1]:", s.KnownHostsLine)
	}
	cb, err := knownhosts.New(WriteKnownHosts(t, s.KnownHostsLine))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ClientConfig{User: "alice", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: cb}
	c := srvDial(t, s, cfg)
	if _, _, err := sshRun(t, c, "true", ""); err != nil {
		t.Errorf("run through a known_hosts-checked connection: %v", err)
	}
	var keyErr *knownhosts.KeyError
	if _, err := ssh.Dial("tcp", other.HostPort(), cfg); !errors.As(err, &keyErr) {
		t.Errorf("dialing a host missing from known_hosts: %v, want a knownhosts.KeyError", err)
	}
}

func TestSSHServerHangHandshake(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s, signer := newKeyServer(t, SSHServerOptions{HangHandshake: true})
	conn, err := net.Dial("tcp", s.HostPort())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// x/crypto's Timeout does not bound the handshake: a deadline does.
	if err := conn.SetDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = ssh.NewClientConn(conn, s.HostPort(), srvClientConfig(s, "alice", ssh.PublicKeys(signer)))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("handshake with a black hole: %v, want a deadline error", err)
	}
	if got := s.ConnCount(); got != 1 {
		t.Errorf("ConnCount() = %d, want 1", got)
	}
}

func TestSSHServerNoExitStatus(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s, signer := newKeyServer(t, SSHServerOptions{NoExitStatus: true})
	c := srvDial(t, s, srvClientConfig(s, "alice", ssh.PublicKeys(signer)))
	for _, cmd := range []string{"echo out; exit 3", "echo out; signal KILL", "echo out"} {
		stdout, _, err := sshRun(t, c, cmd, "")
		var missing *ssh.ExitMissingError
		if !errors.As(err, &missing) || stdout != "out\n" {
			t.Errorf("%q: got %q, %v; want out and ExitMissingError", cmd, stdout, err)
		}
	}
}

func TestSSHServerIgnoreKeepalive(t *testing.T) {
	checkNoGoroutineLeaks(t)

	t.Run("answered normally", func(t *testing.T) {
		s, signer := newKeyServer(t, SSHServerOptions{})
		c := srvDial(t, s, srvClientConfig(s, "alice", ssh.PublicKeys(signer)))
		ok, _, err := c.SendRequest("keepalive@openssh.com", true, nil)
		if err != nil || ok {
			t.Fatalf("keepalive: ok=%v err=%v; want a failure reply, as OpenSSH sends", ok, err)
		}
		if got := s.Keepalives(); got != 1 {
			t.Errorf("Keepalives() = %d, want 1", got)
		}
	})

	t.Run("ignored and frozen", func(t *testing.T) {
		s, signer := newKeyServer(t, SSHServerOptions{IgnoreKeepalive: true})
		c, err := ssh.Dial("tcp", s.HostPort(), srvClientConfig(s, "alice", ssh.PublicKeys(signer)))
		if err != nil {
			t.Fatal(err)
		}
		replies := make(chan error, 2)
		keepalive := func() {
			_, _, err := c.SendRequest("keepalive@openssh.com", true, nil)
			replies <- err
		}
		go keepalive()
		waitUntil(t, "the server received the keepalive", func() bool { return s.Keepalives() == 1 })

		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := sess.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.Start("echo never arrives"); err != nil {
			t.Fatalf("Start: the exec reply must still arrive: %v", err)
		}
		got := make(chan []byte, 1)
		go func() {
			b, _ := io.ReadAll(stdout)
			got <- b
		}()
		// A frozen peer sends nothing: no keepalive reply, no output.
		select {
		case err := <-replies:
			t.Fatalf("keepalive answered (err=%v) by a server ignoring keepalives", err)
		case b := <-got:
			t.Fatalf("output %q arrived from a frozen connection", b)
		case <-time.After(200 * time.Millisecond):
		}
		c.Close()
		if err := <-replies; err == nil {
			t.Error("keepalive on a closed client succeeded")
		}
		if b := <-got; len(b) != 0 {
			t.Errorf("output %q arrived from a frozen connection", b)
		}
		if got := s.Keepalives(); got != 1 {
			t.Errorf("Keepalives() = %d, want 1", got)
		}
	})
}

func TestSSHServerDropAfter(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s, signer := newKeyServer(t, SSHServerOptions{DropAfter: 1000})
	c := srvDial(t, s, srvClientConfig(s, "alice", ssh.PublicKeys(signer)))

	// The limit is per session: a short output passes.
	if stdout, _, err := sshRun(t, c, "bytes 999", ""); err != nil || len(stdout) != 999 {
		t.Fatalf("bytes 999 under DropAfter 1000: got %d bytes, %v", len(stdout), err)
	}
	stdout, _, err := sshRun(t, c, "bytes 5000; exit 3", "")
	var exit *ssh.ExitError
	if err == nil || errors.As(err, &exit) {
		t.Errorf("cut connection: got %v, want an error without exit status", err)
	}
	if len(stdout) != 1000 {
		t.Errorf("received %d bytes before the cut, want 1000", len(stdout))
	}
	// The session ends as soon as the client's reader sees the cut, a
	// moment before the client closes its side: a channel opened in between
	// is sent to a server that can no longer answer and waits forever (the
	// hang this test had under load). Wait returns once the client has shut
	// the connection, which it must do on its own.
	if err := c.Wait(); err == nil {
		t.Error("client Wait on a cut connection: nil error, want the cut")
	}
	if _, err := c.NewSession(); err == nil {
		t.Error("NewSession on a cut connection succeeded")
	}
}

func TestSSHServerDropConnections(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s, signer := newKeyServer(t, SSHServerOptions{})
	cfg := srvClientConfig(s, "alice", ssh.PublicKeys(signer))
	c := srvDial(t, s, cfg)
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Start("sleep 1h"); err != nil {
		t.Fatal(err)
	}
	s.DropConnections()
	var exit *ssh.ExitError
	if err := sess.Wait(); err == nil || errors.As(err, &exit) {
		t.Errorf("Wait on a dropped connection: %v, want an error without exit status", err)
	}
	c2 := srvDial(t, s, cfg)
	if stdout, _, err := sshRun(t, c2, "echo again", ""); err != nil || stdout != "again\n" {
		t.Errorf("after DropConnections: %q, %v", stdout, err)
	}
	if got := s.ConnCount(); got != 2 {
		t.Errorf("ConnCount() = %d, want 2", got)
	}
}

func TestSSHServerCloseRefusesAndIsIdempotent(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s, signer := newKeyServer(t, SSHServerOptions{})
	c := srvDial(t, s, srvClientConfig(s, "alice", ssh.PublicKeys(signer)))
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Start("sleep 1h"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	if err := sess.Wait(); err == nil {
		t.Error("session survived Close")
	}
	if conn, err := net.Dial("tcp", s.HostPort()); err == nil {
		conn.Close()
		t.Error("dial after Close succeeded")
	}
}

func TestSSHServerTCPForwarding(t *testing.T) {
	checkNoGoroutineLeaks(t)
	echo := startEchoListener(t)

	t.Run("allowed", func(t *testing.T) {
		s, signer := newKeyServer(t, SSHServerOptions{AllowTCPForwarding: true})
		c := srvDial(t, s, srvClientConfig(s, "alice", ssh.PublicKeys(signer)))
		conn, err := c.Dial("tcp", echo)
		if err != nil {
			t.Fatalf("Dial through the server: %v", err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "ping\n"); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ping\n" {
			t.Fatalf("echo through the tunnel: %q, %v", buf, err)
		}
		if got := s.Forwards(); !reflect.DeepEqual(got, []string{echo}) {
			t.Errorf("Forwards() = %q, want [%s]", got, echo)
		}
		if _, err := c.Dial("tcp", "192.0.2.1:80"); err == nil || !strings.Contains(err.Error(), "only loopback") {
			t.Errorf("Dial to a non-loopback address: %v, want it refused", err)
		}
	})

	t.Run("disabled", func(t *testing.T) {
		s, signer := newKeyServer(t, SSHServerOptions{})
		c := srvDial(t, s, srvClientConfig(s, "alice", ssh.PublicKeys(signer)))
		if _, err := c.Dial("tcp", echo); err == nil || !strings.Contains(err.Error(), "administratively prohibited") {
			t.Errorf("Dial with forwarding disabled: %v, want administratively prohibited", err)
		}
		if got := s.Forwards(); len(got) != 0 {
			t.Errorf("Forwards() = %q, want none", got)
		}
	})

	t.Run("bastion", func(t *testing.T) {
		jump, signer := newKeyServer(t, SSHServerOptions{AllowTCPForwarding: true})
		target := StartSSHServer(t, SSHServerOptions{AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
		jc := srvDial(t, jump, srvClientConfig(jump, "alice", ssh.PublicKeys(signer)))
		conn, err := jc.Dial("tcp", target.HostPort())
		if err != nil {
			t.Fatalf("Dial the target through the bastion: %v", err)
		}
		cc, chans, reqs, err := ssh.NewClientConn(conn, target.HostPort(), srvClientConfig(target, "alice", ssh.PublicKeys(signer)))
		if err != nil {
			conn.Close()
			t.Fatalf("handshake through the bastion: %v", err)
		}
		tc := ssh.NewClient(cc, chans, reqs)
		defer tc.Close()
		if stdout, _, err := sshRun(t, tc, "echo via bastion", ""); err != nil || stdout != "via bastion\n" {
			t.Errorf("run through the bastion: %q, %v", stdout, err)
		}
		if got := target.Commands(); !reflect.DeepEqual(got, []string{"echo via bastion"}) {
			t.Errorf("target Commands() = %q", got)
		}
	})
}

// startEchoListener serves an echo protocol on 127.0.0.1 until cleanup and
// returns its address.
func startEchoListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			stop := context.AfterFunc(ctx, func() { c.Close() })
			go func() {
				defer stop()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() {
		cancel()
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

func TestSSHServerSFTP(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s, signer := newKeyServer(t, SSHServerOptions{SFTP: true})
	c := srvDial(t, s, srvClientConfig(s, "alice", ssh.PublicKeys(signer)))
	client, err := sftp.NewClient(c)
	if err != nil {
		t.Fatalf("sftp.NewClient: %v", err)
	}
	defer client.Close()
	path := filepath.Join(t.TempDir(), "uploaded.txt")
	f, err := client.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("over sftp\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "over sftp\n" {
		t.Errorf("uploaded file holds %q, %v", got, err)
	}

	noSFTP, signer2 := newKeyServer(t, SSHServerOptions{})
	c2 := srvDial(t, noSFTP, srvClientConfig(noSFTP, "alice", ssh.PublicKeys(signer2)))
	if _, err := sftp.NewClient(c2); err == nil {
		t.Error("sftp.NewClient succeeded on a server without SFTP")
	}
}

func TestSplitScript(t *testing.T) {
	tests := []struct {
		in   string
		want [][]string
	}{
		{"", nil},
		{"  ;; ", nil},
		{"echo a b", [][]string{{"echo", "a", "b"}}},
		{"echo 'a b'\"c d\"e", [][]string{{"echo", "a bc de"}}},
		{`echo "" ''`, [][]string{{"echo", "", ""}}},
		{`echo a\;b; echo c`, [][]string{{"echo", "a;b"}, {"echo", "c"}}},
		{"echo a \\\n b", [][]string{{"echo", "a", "b"}}},
		{`echo "\n\\"`, [][]string{{"echo", `\n\`}}},
		{"a # b\nc", [][]string{{"a"}, {"c"}}},
		{"a#b", [][]string{{"a#b"}}},
		{"x\\", [][]string{{"x"}}},
	}
	for _, tt := range tests {
		got, err := splitScript(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitScript(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"'", `"`, `echo "a\"`} {
		if _, err := splitScript(bad); err == nil {
			t.Errorf("splitScript(%q) succeeded, want an unterminated-quote error", bad)
		}
	}
}

func TestCRLFWriter(t *testing.T) {
	var b bytes.Buffer
	w := &crlfWriter{w: &b}
	for _, s := range []string{"a\nb", "", "\n\n", "c"} {
		if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got, want := b.String(), "a\r\nb\r\n\r\nc"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDropWriter(t *testing.T) {
	var b bytes.Buffer
	cuts := 0
	w := &dropWriter{w: &b, left: 5, cut: func() { cuts++ }}
	if n, err := w.Write([]byte("abc")); n != 3 || err != nil {
		t.Fatalf("first write: %d, %v", n, err)
	}
	if n, err := w.Write([]byte("defg")); n != 2 || !errors.Is(err, errStdoutDropped) {
		t.Fatalf("crossing write: %d, %v; want 2, errStdoutDropped", n, err)
	}
	if n, err := w.Write([]byte("h")); n != 0 || !errors.Is(err, errStdoutDropped) {
		t.Fatalf("write after the cut: %d, %v", n, err)
	}
	if b.String() != "abcde" || cuts != 1 {
		t.Errorf("passed %q with %d cuts; want abcde, 1 cut", b.String(), cuts)
	}
}
