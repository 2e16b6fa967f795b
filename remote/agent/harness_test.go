//go:build linux

package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// The cases an independent harness checks on a fleet whose connections the
// agent holds: a host restarted between runs (its sshd replaced, the held
// connection dead), a host key changed with the restart, sshd killed while
// a command runs on the held connection.

// restartTestSSHD restarts the one-process fleet s as a host reboot would:
// its listener and every process serving a connection killed, then sshd
// started again on the same address and port, with the same settings or,
// newHostKey, a host key of its own. The new sshd is stopped at cleanup.
func restartTestSSHD(t *testing.T, s *remotetest.SSHD, newHostKey bool) {
	t.Helper()
	s.KillSessions()
	for _, pid := range s.Pids() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	cfg, err := os.ReadFile(filepath.Join(s.Dir, "sshd_config-0"))
	if err != nil {
		t.Fatal(err)
	}
	if newHostKey {
		cfg = replaceHostKeys(t, cfg, filepath.Join(s.Dir, "restarted_host_key"))
	}
	cfgPath := filepath.Join(s.Dir, "sshd_config-restarted")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !portFree(s.Hosts[0].HostPort()) { // the old listener's socket closes as it dies
		if time.Now().After(deadline) {
			t.Fatalf("%s still answers after its sshd was killed", s.Hosts[0].HostPort())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A file, not a pipe: the processes serving connections inherit it and
	// outlive the listener.
	logPath := filepath.Join(s.Dir, "sshd-restarted.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", cfgPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	for portFree(s.Hosts[0].HostPort()) {
		select {
		case <-done:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("the restarted sshd exited: %s", b)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("the restarted sshd does not listen: %s", b)
		}
	}
}

// portFree tells whether nothing accepts connections on hostport.
func portFree(hostport string) bool {
	c, err := net.DialTimeout("tcp", hostport, time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// replaceHostKeys returns the sshd_config cfg with one new ed25519 host
// key, written to path, instead of its own.
func replaceHostKeys(t *testing.T, cfg []byte, path string) []byte {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(cfg), "\n") {
		if !strings.HasPrefix(line, "HostKey ") {
			out = append(out, line)
		}
	}
	return []byte(strings.Join(out, "\n") + "\nHostKey " + path + "\n")
}

// TestHostRestartedBetweenRuns: the next run finds the held connection dead
// and dials the restarted host, running its command once.
func TestHostRestartedBetweenRuns(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{})
	a := startAgent(t, time.Minute)
	target := s.Targets()[0]
	marker := filepath.Join(sharedTempDir(t), "runs")
	cmd := "echo x >> " + marker + "; cat " + marker + " | wc -l"
	if out, _, err := run(t, a.dialer(t, s, time.Minute), target, cmd); err != nil || strings.TrimSpace(out) != "1" {
		t.Fatalf("first run: %q, %v", out, err)
	}
	restartTestSSHD(t, s, false)
	out, res, err := run(t, a.dialer(t, s, time.Minute), target, cmd)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("run after the host restarted: %v (exit %d)\n%s", err, res.ExitCode, a.log)
	}
	if strings.TrimSpace(out) != "2" {
		t.Errorf("the command ran %s times in all, want 2", strings.TrimSpace(out))
	}
	if log := a.log.String(); !strings.Contains(log, "not reusing the held connection: the held connection is gone") ||
		strings.Count(log, "connected") != 2 {
		t.Errorf("want the dead connection noticed and a second one made:\n%s", log)
	}
	if held := a.status(t); len(held) != 1 || held[0].Sessions != 1 {
		t.Errorf("held %+v, want the new connection only, one session run on it", held)
	}
}

// TestHostKeyChangedOnRestart: a host restarted with another host key,
// known_hosts unchanged: the run is refused (hostkey-changed), never served
// from the connection held since before, and nothing is held.
func TestHostKeyChangedOnRestart(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{})
	a := startAgent(t, time.Minute)
	target := s.Targets()[0]
	if _, _, err := run(t, a.dialer(t, s, time.Minute), target, "true"); err != nil {
		t.Fatal(err)
	}
	restartTestSSHD(t, s, true)
	out, _, err := run(t, a.dialer(t, s, time.Minute), target, "echo ran")
	if remote.ClassOf(err) != remote.ClassHostKeyChanged {
		t.Fatalf("run after the host key changed: %v, want hostkey-changed\n%s", err, a.log)
	}
	if out != "" {
		t.Errorf("the command ran: %q", out)
	}
	if held := a.status(t); len(held) != 0 {
		t.Errorf("held %+v, want nothing", held)
	}
}

// TestServerKilledMidCommand kills the server side of a held connection
// while a command runs on it: the run fails as lost (the command had
// started: it is not run again), and the next run gets a new connection.
func TestServerKilledMidCommand(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{})
	a := startAgent(t, time.Minute)
	target := s.Targets()[0]
	marker := filepath.Join(sharedTempDir(t), "runs")
	if _, _, err := run(t, a.dialer(t, s, time.Minute), target, "true"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	tr, err := a.dialer(t, s, time.Minute).Dial(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	started := make(chan struct{})
	out := writerFunc(func(p []byte) (int, error) {
		if bytes.Contains(p, []byte("started")) {
			close(started)
		}
		return len(p), nil
	})
	type outcome struct {
		res remote.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := tr.Run(ctx, &remote.Cmd{Shell: "echo x >> " + marker + "; echo started; exec sleep 300", Stdout: out})
		done <- outcome{res, err}
	}()
	select {
	case <-started:
	case o := <-done:
		t.Fatalf("the command ended before the kill: %+v", o)
	}
	s.KillSessions()
	o := <-done
	if c := remote.ClassOf(o.err); c != remote.ClassLost {
		t.Errorf("the run whose server died: %v (class %s, exit %d), want lost", o.err, c, o.res.ExitCode)
	}
	tr.Close()
	b, err := os.ReadFile(marker)
	if err != nil || strings.Count(string(b), "x") != 1 {
		t.Errorf("the command ran %d times (%v), want once", strings.Count(string(b), "x"), err)
	}
	if outNext, _, err := run(t, a.dialer(t, s, time.Minute), target, "echo next"); err != nil || outNext != "next\n" {
		t.Errorf("the next run: %q, %v", outNext, err)
	}
	if held := a.status(t); len(held) != 1 {
		t.Errorf("held %+v, want the new connection only", held)
	}
}
