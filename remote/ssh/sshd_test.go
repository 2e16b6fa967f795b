//go:build unix

package ssh

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// Tier 4: the transport against real OpenSSH sshd processes on loopback.

// runJob runs job on targets with a Runner and returns the EventDone of
// each target and all output, by target index.
func runJob(t *testing.T, r *remote.Runner, targets []remote.Target, job remote.Job) (done []remote.Event, stdout, stderr []string) {
	t.Helper()
	done = make([]remote.Event, len(targets))
	outs := make([]strings.Builder, len(targets))
	errs := make([]strings.Builder, len(targets))
	for ev := range r.Run(testContext(t), targets, job) {
		switch ev.Kind {
		case remote.EventOutput:
			if ev.Stream == remote.Stderr {
				errs[ev.Index].Write(ev.Data)
			} else {
				outs[ev.Index].Write(ev.Data)
			}
		case remote.EventDone:
			done[ev.Index] = ev
		}
	}
	for i := range targets {
		stdout = append(stdout, outs[i].String())
		stderr = append(stderr, errs[i].String())
	}
	return done, stdout, stderr
}

// fleetUser is the login used by the fan-out tests: a plain account, since
// the shell start-up files of the developer's own account (root's .bashrc
// running pyenv, say) can serialize hundreds of concurrent sessions.
const fleetUser = "rctestnp"

// startFleet starts hosts sshd hosts and returns targets logging in as
// fleetUser.
func startFleet(t *testing.T, opts remotetest.SSHDOptions) (*remotetest.SSHD, []remote.Target) {
	t.Helper()
	remotetest.EnsureTestUser(t, fleetUser, "Np-pass-123", remotetest.SudoNoPasswd)
	opts.Users = append(opts.Users, fleetUser)
	s := remotetest.StartSSHD(t, opts)
	targets := s.Targets()
	for i := range targets {
		targets[i].User = fleetUser
	}
	return s, targets
}

// sharedTempDir returns a new directory that fleetUser may use (t.TempDir
// lives in a directory only the test's user may enter), removed at cleanup.
func sharedTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "remotectl-ssh-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// cmdJob runs cmd (a copy per host), writing to the host's output.
func cmdJob(cmd remote.Cmd) remote.Job {
	return func(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
		c := cmd
		c.Stdout, c.Stderr = hio.Stdout, hio.Stderr
		return tr.Run(ctx, &c)
	}
}

func TestSSHDFanOut(t *testing.T) {
	_, targets := startFleet(t, remotetest.SSHDOptions{Hosts: 50, MaxStartups: "1000:30:1000"})
	d := newTestDialer(t, Options{})
	job := func(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
		name := tr.(*Transport).target.Name
		code := int(name[len(name)-1]-'0') % 4
		return tr.Run(ctx, &remote.Cmd{
			Shell:  fmt.Sprintf("echo out-%s; echo err-%s >&2; exit %d", name, name, code),
			Stdout: hio.Stdout, Stderr: hio.Stderr,
		})
	}
	done, stdout, stderr := runJob(t, &remote.Runner{Dialer: d, Forks: 64}, targets, job)
	for i, ev := range done {
		name := targets[i].Name
		if ev.Err != nil {
			t.Errorf("%s: %v", name, ev.Err)
			continue
		}
		if want := int(name[len(name)-1]-'0') % 4; ev.Result.ExitCode != want {
			t.Errorf("%s: exit %d, want %d", name, ev.Result.ExitCode, want)
		}
		if stdout[i] != "out-"+name+"\n" || stderr[i] != "err-"+name+"\n" {
			t.Errorf("%s: stdout %q stderr %q", name, stdout[i], stderr[i])
		}
	}
}

// TestSSHDDefaultMaxStartups fans out to 200 hosts whose sshd processes
// keep OpenSSH's default MaxStartups 10:30:100, so some connections are
// dropped during the key exchange: they must be classified as transient and
// succeed when the Runner retries them.
func TestSSHDDefaultMaxStartups(t *testing.T) {
	if testing.Short() {
		t.Skip("200 hosts: skipped in -short mode")
	}
	s, targets := startFleet(t, remotetest.SSHDOptions{Hosts: 200})
	d := newTestDialer(t, Options{})
	var dials atomic.Int32
	counting := remote.DialerFunc(func(ctx context.Context, tg remote.Target) (remote.Transport, error) {
		dials.Add(1)
		return d.Dial(ctx, tg)
	})
	r := &remote.Runner{Dialer: counting, Forks: 200,
		Retry: remote.RetryPolicy{Attempts: 12, Base: 200 * time.Millisecond, Max: 2 * time.Second}}
	done, stdout, _ := runJob(t, r, targets, cmdJob(remote.Cmd{Args: []string{"echo", "ok"}}))
	for i, ev := range done {
		if ev.Err != nil || stdout[i] != "ok\n" {
			t.Errorf("%s: %v (%q)", s.Hosts[i].Name, ev.Err, stdout[i])
		}
	}
	t.Logf("%d dials for %d hosts", dials.Load(), len(done))
}

func TestSSHDLargeOutputBoundedMemory(t *testing.T) {
	_, targets := startFleet(t, remotetest.SSHDOptions{})
	d := newTestDialer(t, Options{})
	const size = 50 << 20
	var maxHeap atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > maxHeap.Load() {
				maxHeap.Store(ms.HeapInuse)
			}
		}
	})
	var got int64
	lines := 0
	r := &remote.Runner{Dialer: d}
	for ev := range r.Run(testContext(t), targets, cmdJob(remote.Cmd{
		Shell: fmt.Sprintf("head -c %d /dev/zero | tr '\\000' 'x' | fold -w 99", size)})) {
		switch ev.Kind {
		case remote.EventOutput:
			got += int64(len(ev.Data))
			lines += bytes.Count(ev.Data, []byte("\n"))
		case remote.EventDone:
			if ev.Err != nil || ev.Result.ExitCode != 0 {
				t.Fatalf("done: %+v %v", ev.Result, ev.Err)
			}
		}
	}
	close(stop)
	sampler.Wait()
	wantBytes := int64(size + (size-1)/99) // fold adds no newline after the last line
	if got != wantBytes {
		t.Errorf("received %d bytes, want %d", got, wantBytes)
	}
	if peak := maxHeap.Load(); peak > 48<<20 {
		t.Errorf("heap in use peaked at %d MiB while streaming 50 MiB: output is being buffered", peak>>20)
	}
}

func TestSSHDNonUTF8AndStreams(t *testing.T) {
	_, targets := startFleet(t, remotetest.SSHDOptions{})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, targets[0])
	var out, errb bytes.Buffer
	res, err := tr.Run(testContext(t), &remote.Cmd{Shell: `printf 'caf\351 \377\n'; printf 'warn\n' >&2; exit 7`,
		Stdout: &out, Stderr: &errb})
	if err != nil || res.ExitCode != 7 || out.String() != "caf\xe9 \xff\n" || errb.String() != "warn\n" {
		t.Errorf("got %+v %v %q %q", res, err, out.String(), errb.String())
	}
	res, err = tr.Run(testContext(t), &remote.Cmd{Shell: "kill -TERM $$"})
	if err != nil || res.Signal != "TERM" || res.ExitCode != 128+15 {
		t.Errorf("signal: %+v %v", res, err)
	}
}

func TestSSHDEnvDirStdinPTY(t *testing.T) {
	_, targets := startFleet(t, remotetest.SSHDOptions{})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, targets[0])
	dir := sharedTempDir(t)
	tests := []struct {
		name string
		cmd  remote.Cmd
		want *regexp.Regexp
	}{
		{"env accepted and refused by AcceptEnv", remote.Cmd{Shell: `echo "$REMOTETEST_A|$NOT_ACCEPTED"`,
			Env: map[string]string{"REMOTETEST_A": "a'1", "NOT_ACCEPTED": "b 2"}}, regexp.MustCompile(`^a'1\|b 2\n$`)},
		{"dir", remote.Cmd{Args: []string{"pwd"}, Dir: dir}, regexp.MustCompile("^" + regexp.QuoteMeta(dir) + "\n$")},
		{"stdin", remote.Cmd{Args: []string{"wc", "-c"}, Stdin: strings.NewReader(strings.Repeat("z", 100000))},
			regexp.MustCompile(`^\s*100000\n$`)},
		{"no pty", remote.Cmd{Shell: "tty || true"}, regexp.MustCompile("not a tty")},
		{"pty", remote.Cmd{Shell: "tty; stty size", PTY: true}, regexp.MustCompile(`^/dev/pts/\d+\r?\n24 80\r?\n$`)},
		// Commands reading a pty end at the end of the input, with or
		// without any: sshd does not pass a channel EOF to a terminal.
		{"pty without input, cat", remote.Cmd{Args: []string{"cat"}, PTY: true}, regexp.MustCompile(`^$`)},
		{"pty without input, head", remote.Cmd{Args: []string{"head", "-1"}, PTY: true}, regexp.MustCompile(`^$`)},
		{"pty without input, read", remote.Cmd{Shell: `read -r x; echo "read=$? [$x]"`, PTY: true},
			regexp.MustCompile(`^read=1 \[\]\r\n$`)},
		{"pty with input", remote.Cmd{Args: []string{"cat"}, PTY: true, Stdin: strings.NewReader("one\ntwo\n")},
			regexp.MustCompile(`^one\r\ntwo\r\n$`)},
		{"pty with an unfinished line", remote.Cmd{Args: []string{"cat"}, PTY: true, Stdin: strings.NewReader("one\ntwo")},
			regexp.MustCompile(`^one\r\ntwo$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			tt.cmd.Stdout = &out
			// Well within testTimeout: a command waiting for input that
			// never ends fails here.
			ctx, cancel := context.WithTimeout(testContext(t), 10*time.Second)
			defer cancel()
			res, err := tr.Run(ctx, &tt.cmd)
			if err != nil || res.ExitCode != 0 || !tt.want.MatchString(out.String()) {
				t.Errorf("got %+v %v %q, want match %s", res, err, out.String(), tt.want)
			}
		})
	}
}

// TestSSHDTimeoutLeavesNothing stops commands a second after they started,
// with each guard and login, and checks that no process is left on the
// host. (The deadline is armed once the command runs, so that a slow login
// shell start-up is never cut: killing it half-way can leave its own state,
// such as a lock file, behind.)
func TestSSHDTimeoutLeavesNothing(t *testing.T) {
	s, targets := startFleet(t, remotetest.SSHDOptions{})
	d := newTestDialer(t, Options{})
	cases := []struct {
		name   string
		user   string
		become bool
		stdin  bool
		pty    bool
	}{
		// Root logins are not used (see remotetest.SSHD.User); the paths they
		// take (no "signal" requests) are those of the become cases.
		{"fleet user", s.User, false, false, false},
		{"user", fleetUser, false, false, false},
		{"user with stdin", fleetUser, false, true, false},
		{"user with pty", fleetUser, false, false, true},
		{"user become root", fleetUser, true, false, false},
		{"user become root with stdin", fleetUser, true, true, false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			marker := fmt.Sprintf("sleep 300.%d%d", 123, i)
			target := targets[0]
			target.User = c.user
			cmd := &remote.Cmd{Shell: fmt.Sprintf("%s & echo started; %s; echo never", marker, marker),
				Become: c.become, PTY: c.pty}
			if c.stdin {
				cmd.Stdin = strings.NewReader("input")
			}
			job := func(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
				ctx, cancel := context.WithCancel(ctx)
				defer cancel()
				started := remotetest.NewNotifyWriter("started")
				go func() {
					select {
					case <-started.Seen():
						time.AfterFunc(time.Second, cancel)
					case <-ctx.Done():
					}
				}()
				cmd.Stdout, cmd.Stderr = io.MultiWriter(hio.Stdout, started), hio.Stderr
				return tr.Run(ctx, cmd)
			}
			done, stdout, _ := runJob(t, &remote.Runner{Dialer: d}, []remote.Target{target}, job)
			wantClass(t, done[0].Err, remote.ClassCancelled)
			if !strings.Contains(stdout[0], "started") || strings.Contains(stdout[0], "never") {
				t.Errorf("stdout %q: want the output received before the command was stopped", stdout[0])
			}
			waitGone(t, marker)
		})
	}
}

// TestSSHDTimeoutKeepsConnection stops a command on a transport that stays
// open: the stdin guard alone must clean up.
func TestSSHDTimeoutKeepsConnection(t *testing.T) {
	_, targets := startFleet(t, remotetest.SSHDOptions{})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, targets[0])
	marker := "sleep 300.778"
	ctx, cancel := context.WithTimeout(testContext(t), 2*time.Second)
	defer cancel()
	_, err := tr.Run(ctx, &remote.Cmd{Shell: marker + "; echo never"})
	wantClass(t, err, remote.ClassTimeout)
	waitGone(t, marker)
	var out bytes.Buffer
	if _, err := tr.Run(testContext(t), &remote.Cmd{Args: []string{"echo", "still here"}, Stdout: &out}); err != nil || out.String() != "still here\n" {
		t.Fatalf("after the timeout: %v %q", err, out.String())
	}
}

func TestSSHDSessionKilledIsLost(t *testing.T) {
	s, targets := startFleet(t, remotetest.SSHDOptions{})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, targets[0])
	out := remotetest.NewNotifyWriter("running")
	go func() {
		<-out.Seen()
		s.KillSessions()
	}()
	_, err := tr.Run(testContext(t), &remote.Cmd{Shell: "echo running; sleep 30", Stdout: out})
	wantClass(t, err, remote.ClassLost)
	if out.String() != "running\n" {
		t.Errorf("output %q", out.String())
	}
}

func TestSSHDHostKeysAndAuth(t *testing.T) {
	s, targets := startFleet(t, remotetest.SSHDOptions{})
	target := targets[0]
	t.Run("unknown host", func(t *testing.T) {
		tg := target
		tg.SSH.KnownHostsFile = remotetest.WriteKnownHosts(t)
		_, err := newTestDialer(t, Options{}).Dial(testContext(t), tg)
		wantClass(t, err, remote.ClassHostKeyUnknown)
	})
	t.Run("changed host key", func(t *testing.T) {
		tg := target
		tg.SSH.KnownHostsFile = remotetest.WriteKnownHosts(t, remotetest.KnownHostsLine(s.Hosts[0].HostPort(), newPub(t)))
		_, err := newTestDialer(t, Options{}).Dial(testContext(t), tg)
		wantClass(t, err, remote.ClassHostKeyChanged)
	})
	t.Run("several host key types: the recorded one is negotiated", func(t *testing.T) {
		for _, k := range s.HostKeys {
			tg := target
			tg.SSH.KnownHostsFile = remotetest.WriteKnownHosts(t, remotetest.KnownHostsLine(s.Hosts[0].HostPort(), k))
			dialTransport(t, newTestDialer(t, Options{}), tg)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		tg := target
		_, other := remotetest.NewTestKey(t)
		tg.SSH.IdentityFiles = []string{other}
		_, err := newTestDialer(t, Options{}).Dial(testContext(t), tg)
		wantClass(t, err, remote.ClassAuth)
	})
	t.Run("black-holed host", func(t *testing.T) {
		srv := remotetest.StartSSHServer(t, remotetest.SSHServerOptions{HangHandshake: true, Password: "x"})
		tg := target
		tg.Address, tg.Port, tg.ConnectTimeout = srv.Addr, srv.Port, 500*time.Millisecond
		_, err := newTestDialer(t, Options{}).Dial(testContext(t), tg)
		wantClass(t, err, remote.ClassTimeout)
	})
	t.Run("refused port", func(t *testing.T) {
		s.Stop()
		_, err := newTestDialer(t, Options{}).Dial(testContext(t), target)
		wantClass(t, err, remote.ClassRefused)
	})
}

func TestSSHDPassword(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{PasswordAuth: true})
	target := s.Targets()[0]
	target.User, target.SSH.IdentityFiles = s.PasswordUser, nil
	d := newTestDialer(t, Options{Password: s.Password})
	dialTransport(t, d, target)
	_, err := newTestDialer(t, Options{Password: "wrong"}).Dial(testContext(t), target)
	wantClass(t, err, remote.ClassAuth)
}

func TestSSHDSudo(t *testing.T) {
	s, _ := startFleet(t, remotetest.SSHDOptions{PasswordAuth: true})
	whoami := func(t *testing.T, d *Dialer, user string, stdin string) (string, error) {
		target := s.Targets()[0]
		target.User, target.Become = user, true
		tr := dialTransport(t, d, target)
		var out bytes.Buffer
		res, err := tr.Run(testContext(t), &remote.Cmd{Shell: "id -un; cat", Stdin: strings.NewReader(stdin), Stdout: &out})
		if err == nil && res.ExitCode != 0 {
			t.Fatalf("exit %d", res.ExitCode)
		}
		return out.String(), err
	}
	t.Run("without password", func(t *testing.T) {
		got, err := whoami(t, newTestDialer(t, Options{}), fleetUser, "in\n")
		if err != nil || got != "root\nin\n" {
			t.Errorf("got %q, %v", got, err)
		}
	})
	t.Run("password needed, none given", func(t *testing.T) {
		_, err := whoami(t, newTestDialer(t, Options{}), s.PasswordUser, "")
		wantClass(t, err, remote.ClassSudoPassword)
		if !strings.Contains(remote.HintOf(err), "--ask-become-pass") {
			t.Errorf("hint %q", remote.HintOf(err))
		}
	})
	t.Run("password given", func(t *testing.T) {
		got, err := whoami(t, newTestDialer(t, Options{BecomePassword: s.Password}), s.PasswordUser, "data\n")
		if err != nil || got != "root\ndata\n" {
			t.Errorf("got %q, %v: the password must not reach the command's stdin", got, err)
		}
	})
	t.Run("password from the target's environment", func(t *testing.T) {
		t.Setenv("RCTL_TEST_BECOME", s.Password)
		target := s.Targets()[0]
		target.User, target.Become, target.BecomePasswordEnv = s.PasswordUser, true, "RCTL_TEST_BECOME"
		tr := dialTransport(t, newTestDialer(t, Options{}), target)
		var out bytes.Buffer
		if _, err := tr.Run(testContext(t), &remote.Cmd{Args: []string{"id", "-u"}, Stdout: &out}); err != nil || out.String() != "0\n" {
			t.Errorf("got %q, %v", out.String(), err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		_, err := whoami(t, newTestDialer(t, Options{BecomePassword: "wrong"}), s.PasswordUser, "")
		wantClass(t, err, remote.ClassSudoPassword)
	})
	t.Run("become another user and upload", func(t *testing.T) {
		target := s.Targets()[0]
		target.User, target.Become, target.BecomeUser = fleetUser, true, "root"
		tr := dialTransport(t, newTestDialer(t, Options{}), target)
		dir := t.TempDir()
		dst := filepath.Join(dir, "owned-by-root")
		if err := tr.Upload(testContext(t), dst, strings.NewReader("secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(dst)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("stat: %v %v", st, err)
		}
		var got bytes.Buffer
		if err := tr.Download(testContext(t), dst, &got); err != nil || got.String() != "secret\n" {
			t.Errorf("download: %q %v", got.String(), err)
		}
	})
}

func TestSSHDProxyJump(t *testing.T) {
	bastion := remotetest.StartSSHD(t, remotetest.SSHDOptions{AllowTCPForwarding: true})
	fleet, targets := startFleet(t, remotetest.SSHDOptions{Hosts: 8})
	home := t.TempDir()
	bh := bastion.Hosts[0]
	cfg := writeFile(t, home, ".ssh/config", fmt.Sprintf(
		"Host jump\n  HostName %s\n  Port %d\n  User %s\n  IdentityFile %s\n  UserKnownHostsFile %s\n",
		bh.Addr, bh.Port, bastion.User, bastion.KeyFile, bastion.KnownHosts))
	d := newTestDialer(t, Options{Home: home, ConfigFile: cfg})
	for i := range targets {
		targets[i].SSH.ProxyJump = "jump"
		targets[i].SSH.ConfigFile = ""
	}
	var mu sync.Mutex
	via := map[string]string{}
	job := func(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
		st := tr.(*Transport)
		if st.c.bastion != nil {
			mu.Lock()
			via[st.target.Name] = st.c.bastion.key
			mu.Unlock()
		}
		return tr.Run(ctx, &remote.Cmd{Args: []string{"echo", "ok"}, Stdout: hio.Stdout})
	}
	done, stdout, _ := runJob(t, &remote.Runner{Dialer: d, Forks: 8}, targets, job)
	wantVia := bastion.User + "@" + bh.HostPort()
	for i, ev := range done {
		name := targets[i].Name
		if ev.Err != nil || stdout[i] != "ok\n" || via[name] != wantVia {
			t.Errorf("%s: %v %q, went through %q, want %q", name, ev.Err, stdout[i], via[name], wantVia)
		}
	}
	if n := strings.Count(fleet.Logs(), "Accepted publickey"); n != len(targets) {
		t.Errorf("the fleet accepted %d logins, want %d", n, len(targets))
	}
	accepted := strings.Count(bastion.Logs(), "Accepted publickey")
	if accepted != 1 {
		t.Errorf("the bastion accepted %d logins, want 1 shared connection", accepted)
	}
}

func TestSSHDFiles(t *testing.T) {
	s, targets := startFleet(t, remotetest.SSHDOptions{})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, targets[0])
	src := filepath.Join(t.TempDir(), "site")
	writeFile(t, src, "index.html", "<h1>hi</h1>")
	writeFile(t, src, "img/logo.bin", "\x00\x01\xff")
	remoteDir := filepath.Join(sharedTempDir(t), "srv")
	if err := tr.PutTree(testContext(t), src, remoteDir, nil); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), s.Hosts[0].Name)
	if err := tr.GetTree(testContext(t), filepath.Join(remoteDir, "site"), local, nil); err != nil {
		t.Fatal(err)
	}
	assertSameTree(t, src, filepath.Join(local, "site"))
}
