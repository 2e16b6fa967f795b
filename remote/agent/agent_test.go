//go:build linux

package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
	"github.com/remotectl/remotectl/remote/ssh"
)

// otherUserEnv, when set, makes the test binary a client of the agent on
// that socket (TestOtherUserRefused runs it as another user).
const otherUserEnv = "REMOTECTL_AGENT_TEST_SOCKET"

func TestMain(m *testing.M) {
	if socket := os.Getenv(otherUserEnv); socket != "" {
		_, err := Status(context.Background(), socket)
		fmt.Printf("uid %d: status: %v\n", os.Getuid(), err)
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

const testTimeout = 2 * time.Minute

// testAgent is an agent served in the test process.
type testAgent struct {
	socket string
	log    *syncBuffer
	done   chan error
}

// startAgent serves an agent on a socket in a new directory, stopped at cleanup.
func startAgent(t *testing.T, persist time.Duration) *testAgent {
	t.Helper()
	dir, err := os.MkdirTemp("", "rcagent-") // short: a socket path is at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	a := &testAgent{socket: filepath.Join(dir, SocketName), log: &syncBuffer{}, done: make(chan error, 1)}
	go func() {
		a.done <- Serve(context.Background(), ServerConfig{Socket: a.socket, Persist: persist, Log: a.log})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := waitAgent(ctx, a.socket)
	if err != nil {
		t.Fatalf("agent did not answer: %v\n%s", err, a.log)
	}
	c.Close()
	t.Cleanup(func() {
		_ = Stop(context.Background(), a.socket)
		select {
		case err := <-a.done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("the agent did not stop")
		}
		if t.Failed() {
			t.Logf("agent log:\n%s", a.log)
		}
	})
	return a
}

// dialer returns a client of the agent for the fleet s.
func (a *testAgent) dialer(t *testing.T, s *remotetest.SSHD, persist time.Duration) *Dialer {
	t.Helper()
	d, err := NewDialer(Config{Socket: a.socket, Persist: persist,
		Options: ssh.Options{Home: s.Dir, AgentSocket: "none", ConfigFile: s.SSHConfig}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func (a *testAgent) status(t *testing.T) []Held {
	t.Helper()
	r, err := Status(context.Background(), a.socket)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if r.Pid != os.Getpid() {
		t.Errorf("status: pid %d, want the test's own %d", r.Pid, os.Getpid())
	}
	return r.Held
}

// run dials target, runs shell and closes the transport.
func run(t *testing.T, d remote.Dialer, target remote.Target, shell string) (string, remote.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	tr, err := d.Dial(ctx, target)
	if err != nil {
		return "", remote.Result{}, err
	}
	defer tr.Close()
	var out bytes.Buffer
	res, err := tr.Run(ctx, &remote.Cmd{Shell: shell, Stdout: &out})
	return out.String(), res, err
}

// sharedTempDir is a directory the fleet's login user may write.
func sharedTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "remotectl-agent-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestConformance runs the transport conformance suite through the agent,
// against a real OpenSSH sshd.
func TestConformance(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{MaxStartups: "100:30:200"})
	a := startAgent(t, time.Minute)
	t.Run("suite", func(t *testing.T) {
		remotetest.RunConformance(t, remotetest.ConformanceEnv{
			Dialer:  a.dialer(t, s, time.Minute),
			Target:  s.Targets()[0],
			OS:      remote.OSLinux,
			Shell:   remotetest.DialectPOSIX,
			TempDir: sharedTempDir,
		})
	})
	// Every case dialed a connection of its own, at once: each was given
	// back and is held now.
	held := a.status(t)
	if len(held) == 0 {
		t.Fatalf("no connection held after the suite")
	}
	for _, h := range held {
		if h.InUse {
			t.Errorf("%s still in use after every transport was closed", h.Addr)
		}
	}
}

// TestReuse checks that a second run reuses the held connection and that
// different settings get a connection of their own.
func TestReuse(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{})
	a := startAgent(t, time.Minute)
	target := s.Targets()[0]
	for i := range 3 {
		d := a.dialer(t, s, time.Minute) // a run of its own each time
		out, res, err := run(t, d, target, "echo $SSH_CONNECTION")
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("run %d: %v, exit %d", i, err, res.ExitCode)
		}
		if held := a.status(t); len(held) != 1 || held[0].Sessions != i+1 {
			t.Fatalf("after run %d: held %+v, want one connection with %d sessions (%s)", i, held, i+1, out)
		}
	}
	other := target
	other.SSH.HostKeyPolicy = "accept-new"
	if _, _, err := run(t, a.dialer(t, s, time.Minute), other, "true"); err != nil {
		t.Fatal(err)
	}
	if held := a.status(t); len(held) != 2 {
		t.Errorf("a run with another host key policy: held %+v, want a second connection", held)
	}
	if n := strings.Count(a.log.String(), "connected"); n != 2 {
		t.Errorf("%d connections opened, want 2:\n%s", n, a.log)
	}
}

// TestRedialAfterServerKill kills the server side of a held connection:
// the next run detects it before starting its command and dials again.
func TestRedialAfterServerKill(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{})
	a := startAgent(t, time.Minute)
	d := a.dialer(t, s, time.Minute)
	target := s.Targets()[0]
	marker := filepath.Join(sharedTempDir(t), "runs")
	cmd := "echo x >> " + marker + "; cat " + marker + " | wc -l"
	if out, _, err := run(t, d, target, cmd); err != nil || strings.TrimSpace(out) != "1" {
		t.Fatalf("first run: %q, %v", out, err)
	}
	s.KillSessions()
	out, res, err := run(t, d, target, cmd)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("run after the server side died: %v (exit %d)\n%s", err, res.ExitCode, a.log)
	}
	if strings.TrimSpace(out) != "2" {
		t.Errorf("the command ran %s times in all, want 2 (never twice for one run)", strings.TrimSpace(out))
	}
	if !strings.Contains(a.log.String(), "the held connection is gone") {
		t.Errorf("the agent did not notice the dead connection:\n%s", a.log)
	}
	if held := a.status(t); len(held) != 1 {
		t.Errorf("held %+v, want the new connection only", held)
	}
}

// TestIdleExpiryAndExit checks that an idle connection is closed after the
// persist time and that the agent then exits by itself.
func TestIdleExpiryAndExit(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{})
	dir, err := os.MkdirTemp("", "rcagent-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	a := &testAgent{socket: filepath.Join(dir, SocketName), log: &syncBuffer{}}
	done := make(chan error, 1)
	const persist = 500 * time.Millisecond
	go func() {
		done <- Serve(context.Background(), ServerConfig{Socket: a.socket, Persist: persist, Log: a.log})
	}()
	d, err := NewDialer(Config{Socket: a.socket, Persist: persist, Start: func() error { return nil },
		Options: ssh.Options{Home: t.TempDir(), AgentSocket: "none", ConfigFile: s.SSHConfig}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, _, err := run(t, d, s.Targets()[0], "true"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the agent still runs long after its connection went idle:\n%s", a.log)
	}
	log := a.log.String()
	if !strings.Contains(log, "idle for 500ms, closing") || !strings.Contains(log, "nothing held") {
		t.Errorf("log:\n%s", log)
	}
	if _, err := os.Stat(a.socket); err == nil {
		t.Errorf("the socket is left behind")
	}
	if n := len(s.Descendants()); n != 0 {
		t.Errorf("%d server processes left: the connection was not closed", n)
	}
}

// TestClientKilledMidRun checks that a client gone mid-command (its
// sockets closed, no cancel sent) gets the command killed and the
// connection back for the next run.
func TestClientKilledMidRun(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{})
	a := startAgent(t, time.Minute)
	d := a.dialer(t, s, time.Minute)
	target := s.Targets()[0]
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	tr, err := d.Dial(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.cl.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := request{Op: "run", Lease: tr.(*Transport).lease, Run: &runRequest{Shell: "echo started; exec sleep 600"}}
	if err := writeJSON(c, frameRequest, req); err != nil {
		t.Fatal(err)
	}
	if typ, payload, err := readFrame(c, nil); err != nil || typ != frameStdout || string(payload) != "started\n" {
		t.Fatalf("first frame %q %q, %v", typ, payload, err)
	}
	c.Close() // the client dies
	tr.(*Transport).conn.Close()
	check := "pgrep -f 'slee[p] 600' || echo none"
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, _, err := run(t, d, target, check)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(out) == "none" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command of the dead client still runs: %q", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if held := a.status(t); len(held) == 0 || len(held) > 2 || held[0].InUse || held[len(held)-1].InUse {
		t.Errorf("held %+v, want the connections back, idle", held)
	}
}

// TestOtherUserRefused connects to the agent as another user: the peer's
// credentials are refused even when the socket's permissions would let it
// in.
func TestOtherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	a := startAgent(t, time.Minute)
	// Open the way as far as file permissions go: only SO_PEERCRED is left.
	if err := os.Chmod(filepath.Dir(a.socket), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(a.socket, 0o666); err != nil {
		t.Fatal(err)
	}
	exe := copyExecutable(t)
	cmd := exec.Command(exe)
	cmd.Env = []string{otherUserEnv + "=" + a.socket}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("client as nobody: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "permission-denied") || !strings.Contains(string(out), "serves uid 0 only") {
		t.Errorf("client as uid %d got %q, want a refusal", uid, out)
	}
	if !strings.Contains(a.log.String(), fmt.Sprintf("refused a connection from uid %d", uid)) {
		t.Errorf("agent log:\n%s", a.log)
	}
}

// copyExecutable copies the test binary where another user may run it.
func copyExecutable(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "rcagent-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "agent.test")
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}

// TestMemoryPerHeldConnection logs what an idle held connection costs the
// agent (measured, not asserted: the bound is 100 KB).
func TestMemoryPerHeldConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a fleet of 100 hosts")
	}
	const n = 100
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{Hosts: n, MaxStartups: "1000:30:1000"})
	a := startAgent(t, time.Minute)
	d := a.dialer(t, s, time.Minute)
	before := memInUse()
	var wg sync.WaitGroup
	for _, target := range s.Targets() {
		wg.Go(func() {
			if _, _, err := run(t, d, target, "true"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if held := a.status(t); len(held) != n {
		t.Fatalf("%d held, want %d", len(held), n)
	}
	after := memInUse()
	t.Logf("agent memory per idle held connection: %.1f KB (heap and stacks, %d connections)",
		float64(int64(after)-int64(before))/n/1024, n)
}

// memInUse returns the heap and stack bytes in use after a collection.
func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var _ io.Writer = (*syncBuffer)(nil)

// TestTreesAndTunnels checks the optional capabilities the SSH transport
// has, through the agent: tree copies with progress, and connections from
// the host (remote.NetDialer).
func TestTreesAndTunnels(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{AllowTCPForwarding: true})
	a := startAgent(t, time.Minute)
	d := a.dialer(t, s, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	tr, err := d.Dial(ctx, s.Targets()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()

	src := filepath.Join(t.TempDir(), "tree")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "sub", "f.txt"), []byte("tree file\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	remoteDir := sharedTempDir(t)
	var last [2]int64
	err = tr.(remote.TreeCopier).PutTree(ctx, src, remoteDir, func(done, total int64) { last = [2]int64{done, total} })
	if err != nil {
		t.Fatalf("PutTree: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(remoteDir, "tree", "sub", "f.txt")); err != nil || string(b) != "tree file\n" {
		t.Errorf("PutTree wrote %q, %v", b, err)
	}
	if last != [2]int64{10, 10} {
		t.Errorf("last progress %v, want [10 10]", last)
	}
	back := t.TempDir()
	if err := tr.(remote.TreeCopier).GetTree(ctx, filepath.Join(remoteDir, "tree"), back, nil); err != nil {
		t.Fatalf("GetTree: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(back, "tree", "sub", "f.txt")); err != nil || string(b) != "tree file\n" {
		t.Errorf("GetTree wrote %q, %v", b, err)
	}

	conn, err := tr.(remote.NetDialer).DialContext(ctx, "tcp", s.Hosts[0].HostPort())
	if err != nil {
		t.Fatalf("DialContext: %v", err)
	}
	defer conn.Close()
	banner := make([]byte, 8)
	if _, err := io.ReadFull(conn, banner); err != nil || string(banner) != "SSH-2.0-" {
		t.Errorf("through the host: read %q, %v; want the SSH banner", banner, err)
	}
	if _, err := tr.(remote.NetDialer).DialContext(ctx, "udp", "127.0.0.1:53"); remote.ClassOf(err) != remote.ClassOther {
		t.Errorf("udp through the host: %v, want the SSH transport's refusal", err)
	}
}

// TestHostKeyChangedBetweenRuns changes the host's key in known_hosts
// between two runs: the second is refused (hostkey-changed), not served
// from the connection held since the first.
func TestHostKeyChangedBetweenRuns(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{})
	a := startAgent(t, time.Minute)
	known := filepath.Join(t.TempDir(), "known_hosts")
	orig, err := os.ReadFile(s.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(known, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	target := s.Targets()[0]
	target.SSH.KnownHostsFile = known
	if _, _, err := run(t, a.dialer(t, s, time.Minute), target, "true"); err != nil {
		t.Fatal(err)
	}
	_, other, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(other)
	if err != nil {
		t.Fatal(err)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Hosts[0].HostPort())}, signer.PublicKey())
	if err := os.WriteFile(known, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = run(t, a.dialer(t, s, time.Minute), target, "true")
	if remote.ClassOf(err) != remote.ClassHostKeyChanged {
		t.Fatalf("run after the host key changed in known_hosts: %v, want hostkey-changed", err)
	}
	if held := a.status(t); len(held) != 0 {
		t.Errorf("held %+v, want the connection made with the old key closed", held)
	}
	if !strings.Contains(a.log.String(), "not reusing the held connection: hostkey-changed") {
		t.Errorf("log:\n%s", a.log)
	}
}

// TestErrorsCrossTheSocket checks that an error arrives as it left: the
// same message, class, op, hint and wrapped standard errors.
func TestErrorsCrossTheSocket(t *testing.T) {
	for _, err := range []error{
		&remote.Error{Class: remote.ClassCancelled, Op: "run", Err: context.Canceled},
		&remote.Error{Class: remote.ClassTimeout, Err: context.DeadlineExceeded},
		&remote.Error{Class: remote.ClassTimeout, Op: "run", Err: fmt.Errorf("no result within 1s: %w", context.DeadlineExceeded)},
		&remote.Error{Class: remote.ClassAuth, Op: "auth", Err: errors.New("permission denied (publickey)"), Hint: "check the key"},
		&remote.Error{Class: remote.ClassAuth, Op: "auth", Err: &remote.Error{Class: remote.ClassAuth, Op: "auth", Err: errors.New("denied")}},
		&remote.Error{Class: remote.ClassNotFound, Op: "download", Err: fmt.Errorf("/x: %w", fs.ErrNotExist)},
		&remote.Error{Class: remote.ClassLost, Op: "run"},
		&remote.Error{Class: remote.ClassLost},
		&remote.Error{Class: remote.ClassAuth, Op: "auth"},
		errors.New("plain"),
	} {
		got := encodeError(err).decode()
		if got.Error() != err.Error() || remote.ClassOf(got) != remote.ClassOf(err) || remote.HintOf(got) != remote.HintOf(err) {
			t.Errorf("%q (%v, hint %q) arrived as %q (%v, hint %q)", err, remote.ClassOf(err), remote.HintOf(err),
				got, remote.ClassOf(got), remote.HintOf(got))
		}
		for _, target := range []error{context.Canceled, context.DeadlineExceeded, fs.ErrNotExist} {
			if errors.Is(got, target) != errors.Is(err, target) {
				t.Errorf("%q: errors.Is(%v) = %v after the trip", err, target, errors.Is(got, target))
			}
		}
		var re *remote.Error
		if errors.As(err, &re) {
			var gre *remote.Error
			if !errors.As(got, &gre) || gre.Op != re.Op {
				t.Errorf("%q: op %q after the trip, want %q", err, gre.Op, re.Op)
			}
		}
	}
	if encodeError(nil).decode() != nil {
		t.Errorf("nil did not stay nil")
	}
}

// TestDialWithoutSecrets checks what crosses the socket to find a held
// connection: none of the run's secrets, while the key still tells runs
// with different secrets apart.
func TestDialWithoutSecrets(t *testing.T) {
	env := map[string]string{"PW": "env-password", "BPW": "env-become", "PP": "env-passphrase", "SSH_AUTH_SOCK": "/agent.sock"}
	d, err := NewDialer(Config{Socket: "/nonexistent", Getenv: func(k string) string { return env[k] },
		Options: ssh.Options{Home: t.TempDir(), Password: "ask-pass", BecomePassword: "ask-become", PassphraseEnv: "PP"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	target := remote.Target{Name: "h", PasswordEnv: "PW", BecomePasswordEnv: "BPW", Password: "inventory-password"}
	full := d.dialRequest(target)
	b, err := json.Marshal(d.findRequest(context.Background(), full))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"env-password", "env-become", "env-passphrase", "ask-pass", "ask-become", "inventory-password"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("the secret %q crosses the socket without a new connection", secret)
		}
	}
	for name, change := range map[string]func(){
		"password variable":  func() { env["PW"] = "another" },
		"agent socket":       func() { env["SSH_AUTH_SOCK"] = "/other.sock" },
		"inventory password": func() { target.Password = "another" },
	} {
		change()
		if connKey(d.dialRequest(target)) == connKey(full) {
			t.Errorf("another %s gives the same connection key", name)
		}
		full = d.dialRequest(target)
	}
}

// TestOptionsJSON checks that every SSH option but the three that stay in
// the run crosses the socket, unchanged.
func TestOptionsJSON(t *testing.T) {
	stay := map[string]bool{"Prompter": true, "Warn": true, "Getenv": true}
	wire := reflect.TypeFor[optionsJSON]()
	opts := reflect.TypeFor[ssh.Options]()
	for i := range opts.NumField() {
		f := opts.Field(i)
		w, ok := wire.FieldByName(f.Name)
		switch {
		case stay[f.Name] && ok:
			t.Errorf("ssh.Options.%s crosses the socket", f.Name)
		case !stay[f.Name] && (!ok || w.Type != f.Type):
			t.Errorf("ssh.Options.%s (%v) is not in optionsJSON: the agent would dial without it", f.Name, f.Type)
		}
	}
	in := ssh.Options{Home: "/h", HintArgs: []string{"-i", "x"}, ConnectTimeout: time.Second, KeepaliveCountMax: 4,
		Password: "p", LocalUser: "u", KillGrace: time.Millisecond}
	var out dialRequest
	b, err := json.Marshal(&dialRequest{Options: in, Run: "r"})
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil || !reflect.DeepEqual(out.Options, in) || out.Run != "r" {
		t.Errorf("round trip: %+v, %v; want %+v", out, err, in)
	}
}

// TestOneAgent starts a second agent on the same socket: it refuses, and
// the first keeps serving.
func TestOneAgent(t *testing.T) {
	a := startAgent(t, time.Minute)
	err := Serve(context.Background(), ServerConfig{Socket: a.socket, Persist: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "another agent runs") {
		t.Errorf("second agent: %v, want a refusal", err)
	}
	if held := a.status(t); len(held) != 0 {
		t.Errorf("status %+v", held)
	}
}

// TestStartOnDemand checks that a dial with no agent running starts one
// (once per run), and that an agent that cannot start fails every host of
// the run at once.
func TestStartOnDemand(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{})
	dir, err := os.MkdirTemp("", "rcagent-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	socket := filepath.Join(dir, SocketName)
	done := make(chan error, 1)
	starts := 0
	start := func() error {
		starts++
		go func() { done <- Serve(context.Background(), ServerConfig{Socket: socket, Persist: time.Minute}) }()
		return nil
	}
	d, err := NewDialer(Config{Socket: socket, Persist: time.Minute, Start: start,
		Options: ssh.Options{Home: s.Dir, AgentSocket: "none", ConfigFile: s.SSHConfig}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for range 2 {
		if out, _, err := run(t, d, s.Targets()[0], "echo ok"); err != nil || out != "ok\n" {
			t.Fatalf("run: %q, %v", out, err)
		}
	}
	if starts != 1 {
		t.Errorf("the agent was started %d times, want once", starts)
	}
	if err := Stop(context.Background(), socket); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}

	failing := 0
	d2, err := NewDialer(Config{Socket: socket, Start: func() error { failing++; return errors.New("no such program") },
		Options: ssh.Options{Home: s.Dir, AgentSocket: "none", ConfigFile: s.SSHConfig}})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	for range 3 {
		_, _, err := run(t, d2, s.Targets()[0], "true")
		if err == nil || !strings.Contains(err.Error(), "starting the agent: no such program") {
			t.Errorf("dial without an agent that can start: %v", err)
		}
	}
	if failing != 1 {
		t.Errorf("a failing agent start was tried %d times, want once", failing)
	}
}

// TestFrozenAgent checks that a run whose agent stops answering mid-command
// still returns once its context is done, with the context's class.
func TestFrozenAgent(t *testing.T) {
	dir, err := os.MkdirTemp("", "rcagent-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	socket := filepath.Join(dir, SocketName)
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// A fake agent: it leases, then never answers an operation.
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				typ, payload, err := readFrame(c, nil)
				if err != nil || typ != frameRequest {
					return
				}
				var req request
				_ = decodeJSON(payload, &req)
				if req.Op == "dial" {
					_ = writeJSON(c, frameReply, reply{Lease: "l"})
				}
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	d, err := NewDialer(Config{Socket: socket, Options: ssh.Options{Home: t.TempDir(), AgentSocket: "none", ConfigFile: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tr, err := d.Dial(context.Background(), remote.Target{Name: "h"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.(*Transport).conn.Close() // the fake agent never acknowledges a release
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := tr.Run(ctx, &remote.Cmd{Shell: "true"}); done <- err }()
	select {
	case err := <-done:
		if remote.ClassOf(err) != remote.ClassTimeout {
			t.Errorf("Run with a frozen agent: %v, want a timeout", err)
		}
	case <-time.After(cancelGrace + 20*time.Second):
		t.Fatal("Run with a frozen agent did not return")
	}
}
