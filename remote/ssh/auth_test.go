//go:build unix

package ssh

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// startAgent serves an in-memory ssh-agent holding the private keys of
// keyFiles on a socket in a temp dir (never the user's agent).
func startAgent(t testing.TB, keyFiles ...string) string {
	t.Helper()
	keyring := agent.NewKeyring()
	for _, f := range keyFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		key, err := gossh.ParseRawPrivateKey(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := keyring.Add(agent.AddedKey{PrivateKey: key}); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { _ = agent.ServeAgent(keyring, c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
		os.RemoveAll(dir)
	})
	return sock
}

// countingPrompter answers every prompt with answer and counts the calls.
type countingPrompter struct {
	answer string
	calls  atomic.Int32
	mu     sync.Mutex
	asked  []string
}

func (p *countingPrompter) Prompt(_ context.Context, prompt string, echo bool) (string, error) {
	p.calls.Add(1)
	p.mu.Lock()
	p.asked = append(p.asked, prompt)
	p.mu.Unlock()
	return p.answer, nil
}

func TestAuthWrongKey(t *testing.T) {
	srv, _ := startShServer(t, remotetest.SSHServerOptions{})
	_, otherKey := remotetest.NewTestKey(t)
	d := newTestDialer(t, Options{})
	_, err := d.Dial(testContext(t), serverTarget(t, srv, otherKey))
	wantClass(t, err, remote.ClassAuth)
	if !strings.Contains(err.Error(), otherKey) || remote.HintOf(err) == "" {
		t.Errorf("error %q / hint %q should name the key tried and say what to do", err, remote.HintOf(err))
	}
}

// TestAuthBadIdentityFile: an identity file the settings name that cannot
// be loaded does not stop the other credentials (as OpenSSH), but when none
// works it is the cause: a config error naming the file, not "auth".
func TestAuthBadIdentityFile(t *testing.T) {
	srv, keyFile := startShServer(t, remotetest.SSHServerOptions{})
	d := newTestDialer(t, Options{})
	missing := filepath.Join(t.TempDir(), "id_missing")
	notAKey := filepath.Join(t.TempDir(), "id_garbage")
	if err := os.WriteFile(notAKey, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{missing, notAKey} {
		target := serverTarget(t, srv, bad)
		_, err := d.Dial(testContext(t), target)
		wantClass(t, err, remote.ClassConfig)
		if !strings.Contains(err.Error(), bad) || !strings.Contains(remote.HintOf(err), bad) {
			t.Errorf("error %q / hint %q should name %s", err, remote.HintOf(err), bad)
		}
		// With a good key beside it, the bad one is only a note.
		target.SSH.IdentityFiles = append(target.SSH.IdentityFiles, keyFile)
		dialTransport(t, d, target).Close()
	}
}

func TestAuthAgent(t *testing.T) {
	signer, keyFile := remotetest.NewTestKey(t)
	srv := remotetest.StartSSHServer(t, remotetest.SSHServerOptions{AuthorizedKeys: []gossh.PublicKey{signer.PublicKey()}})
	sock := startAgent(t, keyFile)
	d := newTestDialer(t, Options{AgentSocket: sock})
	target := serverTarget(t, srv, keyFile)
	target.SSH.IdentityFiles = nil
	target.SSH.IdentitiesOnly = false
	for range 3 {
		tr := dialTransport(t, d, target)
		tr.Close()
	}
	srv.Close()
	if logins := srv.Logins(); len(logins) != 3 || logins[0].Method != remotetest.MethodPublicKey {
		t.Errorf("logins = %+v", logins)
	}
}

func TestAuthIdentitiesOnlyIgnoresOtherAgentKeys(t *testing.T) {
	_, agentOnly := remotetest.NewTestKey(t)
	signer, keyFile := remotetest.NewTestKey(t)
	srv := remotetest.StartSSHServer(t, remotetest.SSHServerOptions{AuthorizedKeys: []gossh.PublicKey{signer.PublicKey()}})
	d := newTestDialer(t, Options{AgentSocket: startAgent(t, agentOnly)})
	target := serverTarget(t, srv, keyFile)
	p, err := d.resolveTarget(target)
	if err != nil {
		t.Fatal(err)
	}
	plan := &authPlan{}
	signers := d.publicKeySigners(testContext(t), p, plan)
	if len(signers) != 1 || !keysEqual(signers[0].PublicKey(), signer.PublicKey()) {
		t.Errorf("offered %v, want only the identity file", plan.offered)
	}
	dialTransport(t, d, target)
}

func TestAuthDefaultIdentityFiles(t *testing.T) {
	signer, keyFile := remotetest.NewTestKey(t)
	srv := remotetest.StartSSHServer(t, remotetest.SSHServerOptions{AuthorizedKeys: []gossh.PublicKey{signer.PublicKey()}})
	home := t.TempDir()
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, home, ".ssh/id_ed25519", string(data))
	d := newTestDialer(t, Options{Home: home})
	target := serverTarget(t, srv, keyFile)
	target.SSH.IdentityFiles = nil
	dialTransport(t, d, target)
}

func TestAuthEncryptedKey(t *testing.T) {
	const pass = "correct horse"
	signer, keyFile := remotetest.NewEncryptedTestKey(t, pass)
	srv := remotetest.StartSSHServer(t, remotetest.SSHServerOptions{AuthorizedKeys: []gossh.PublicKey{signer.PublicKey()}})
	target := serverTarget(t, srv, keyFile)

	t.Run("passphrase from the environment", func(t *testing.T) {
		t.Setenv("RCTL_TEST_PASSPHRASE", pass)
		d := newTestDialer(t, Options{PassphraseEnv: "RCTL_TEST_PASSPHRASE"})
		dialTransport(t, d, target)
	})
	t.Run("prompted once for many hosts", func(t *testing.T) {
		prompter := &countingPrompter{answer: pass}
		// Ten handshakes at once, each waiting for the one decryption
		// (bcrypt, slow under -race): a generous connect timeout keeps a
		// loaded machine from failing what this test is not about.
		d := newTestDialer(t, Options{Prompter: prompter, ConnectTimeout: time.Minute})
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				tr, err := d.Dial(testContext(t), target)
				if err != nil {
					t.Error(err)
					return
				}
				tr.Close()
			})
		}
		wg.Wait()
		if n := prompter.calls.Load(); n != 1 {
			t.Errorf("prompted %d times, want once", n)
		}
		if !strings.Contains(prompter.asked[0], keyFile) {
			t.Errorf("prompt %q does not name the key", prompter.asked[0])
		}
	})
	t.Run("askpass program", func(t *testing.T) {
		dir := t.TempDir()
		script := writeFile(t, dir, "askpass", "#!/bin/sh\necho '"+pass+"'\n")
		if err := os.Chmod(script, 0o700); err != nil {
			t.Fatal(err)
		}
		d := newTestDialer(t, Options{AskPassProgram: script})
		dialTransport(t, d, target)
	})
	t.Run("wrong passphrase", func(t *testing.T) {
		prompter := &countingPrompter{answer: "wrong"}
		d := newTestDialer(t, Options{Prompter: prompter})
		_, err := d.Dial(testContext(t), target)
		wantClass(t, err, remote.ClassAuth)
		if n := prompter.calls.Load(); n != maxPassphraseTries {
			t.Errorf("asked %d times, want %d", n, maxPassphraseTries)
		}
	})
	t.Run("no terminal never prompts", func(t *testing.T) {
		d := newTestDialer(t, Options{})
		_, err := d.Dial(testContext(t), target)
		wantClass(t, err, remote.ClassAuth)
		if !strings.Contains(err.Error(), "encrypted") || !strings.Contains(remote.HintOf(err), "ssh-agent") {
			t.Errorf("error %q, hint %q: should explain the encrypted key", err, remote.HintOf(err))
		}
	})
}

func TestAuthPassword(t *testing.T) {
	const password = "s3cret pw"
	srv := remotetest.StartSSHServer(t, remotetest.SSHServerOptions{Password: password})
	target := remote.Target{Name: "pw", Address: srv.Addr, Port: srv.Port, User: remotetest.SSHServerPasswordUser,
		SSH: remote.SSHSettings{KnownHostsFile: remotetest.WriteKnownHosts(t, srv.KnownHostsLine)}}

	t.Run("from the target's environment variable", func(t *testing.T) {
		t.Setenv("RCTL_TEST_PW", password)
		tg := target
		tg.PasswordEnv = "RCTL_TEST_PW"
		d := newTestDialer(t, Options{})
		dialTransport(t, d, tg)
	})
	t.Run("from the inventory", func(t *testing.T) {
		tg := target
		tg.Password = password
		dialTransport(t, newTestDialer(t, Options{}), tg)
	})
	t.Run("prompted once per run", func(t *testing.T) {
		prompter := &countingPrompter{answer: password}
		d := newTestDialer(t, Options{Prompter: prompter})
		for range 3 {
			dialTransport(t, d, target).Close()
		}
		if n := prompter.calls.Load(); n != 1 {
			t.Errorf("prompted %d times, want once", n)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		d := newTestDialer(t, Options{Password: "nope"})
		_, err := d.Dial(testContext(t), target)
		wantClass(t, err, remote.ClassAuth)
	})
	t.Run("no password, no terminal", func(t *testing.T) {
		tg := target
		tg.PasswordEnv = "RCTL_TEST_UNSET_PW"
		d := newTestDialer(t, Options{})
		_, err := d.Dial(testContext(t), tg)
		wantClass(t, err, remote.ClassAuth)
		if !strings.Contains(err.Error(), "RCTL_TEST_UNSET_PW") {
			t.Errorf("error %q does not name the unset variable", err)
		}
	})
	srv.Close()
	for _, l := range srv.Logins() {
		if l.Method != remotetest.MethodKeyboardInteractive {
			t.Errorf("login by %s, want keyboard-interactive (tried before password)", l.Method)
		}
	}
}

func TestAuthCertificate(t *testing.T) {
	ca := hostKeySigner(t)
	signer, keyFile := remotetest.NewTestKey(t)
	srv := remotetest.StartSSHServer(t, remotetest.SSHServerOptions{CertAuthority: ca.PublicKey()})
	target := serverTarget(t, srv, keyFile)
	t.Run("key-cert.pub beside the key", func(t *testing.T) {
		remotetest.NewTestCert(t, ca, signer, keyFile, "test")
		d := newTestDialer(t, Options{})
		dialTransport(t, d, target)
	})
	t.Run("CertificateFile in ssh_config", func(t *testing.T) {
		signer2, keyFile2 := remotetest.NewTestKey(t)
		_, certPath := remotetest.NewTestCert(t, ca, signer2, keyFile2, "test")
		moved := filepath.Join(t.TempDir(), "my-cert.pub")
		if err := os.Rename(certPath, moved); err != nil {
			t.Fatal(err)
		}
		home := t.TempDir()
		cfg := writeFile(t, home, ".ssh/config", "Host *\n  CertificateFile "+moved+"\n")
		d := newTestDialer(t, Options{Home: home, ConfigFile: cfg})
		tg := target
		tg.SSH.IdentityFiles = []string{keyFile2}
		dialTransport(t, d, tg)
	})
	srv.Close()
	if logins := srv.Logins(); len(logins) != 2 || logins[0].Method != remotetest.MethodCertificate ||
		logins[1].Method != remotetest.MethodCertificate {
		t.Errorf("logins = %+v, want two certificate logins", logins)
	}
}

// TestTargetIdentityAgentNone: the inventory's IdentityAgent (from
// ansible_ssh_common_args' -o IdentityAgent=none) turns the agent off, as
// in ssh_config: its keys are not offered.
func TestTargetIdentityAgentNone(t *testing.T) {
	_, agentOnly := remotetest.NewTestKey(t)
	d := newTestDialer(t, Options{AgentSocket: startAgent(t, agentOnly)})
	p, err := d.resolveTarget(remote.Target{Name: "h", Address: "127.0.0.1", Port: 22, User: "u"})
	if err != nil || p.agentSocket == "" {
		t.Fatalf("without IdentityAgent: agent %q, %v; want the agent", p.agentSocket, err)
	}
	p, err = d.resolveTarget(remote.Target{Name: "h", Address: "127.0.0.1", Port: 22, User: "u", SSH: remote.SSHSettings{IdentityAgent: "none"}})
	if err != nil || p.agentSocket != "" {
		t.Errorf("IdentityAgent none: agent %q, %v; want no agent", p.agentSocket, err)
	}
}
