package remotetest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// sshdDial logs in to host h of s as user with auth (the fleet key when none)
// and closes the client at cleanup.
func sshdDial(t *testing.T, s *SSHD, h SSHHost, user string, auth ...ssh.AuthMethod) *ssh.Client {
	t.Helper()
	c, err := sshdTryDial(s, h, user, auth...)
	if err != nil {
		t.Fatalf("login as %s on %s: %v", user, h.HostPort(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func sshdTryDial(s *SSHD, h SSHHost, user string, auth ...ssh.AuthMethod) (*ssh.Client, error) {
	cfg := s.ClientConfig(user)
	if len(auth) > 0 {
		cfg.Auth = auth
	}
	return ssh.Dial("tcp", h.HostPort(), cfg)
}

// serverAddrOf runs `echo $SSH_CONNECTION` and returns the server side
// "addr port" sshd reports.
func serverAddrOf(c *ssh.Client) (string, error) {
	sess, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer sess.Close()
	out, err := sess.Output("echo $SSH_CONNECTION")
	if err != nil {
		return "", err
	}
	f := strings.Fields(string(out))
	if len(f) != 4 {
		return "", fmt.Errorf("SSH_CONNECTION = %q", out)
	}
	return f[2] + " " + f[3], nil
}

func pidAlive(pid int) bool {
	return slices.ContainsFunc(listProcesses(), func(p procInfo) bool { return p.pid == pid && p.state != 'Z' })
}

func TestStartSSHDOneHost(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s := StartSSHD(t, SSHDOptions{})
	if len(s.Hosts) != 1 || len(s.Pids()) != 1 {
		t.Fatalf("got %d hosts, %d sshd processes; want 1, 1", len(s.Hosts), len(s.Pids()))
	}
	h := s.Hosts[0]
	if h.Name != "h001" || !strings.HasPrefix(h.Addr, "127.") || strings.HasPrefix(h.Addr, "127.0.") {
		t.Errorf("host %+v: want name h001 and an address 127.X.Y.Z with X != 0", h)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	wantUser := me.Username
	if os.Geteuid() == 0 {
		wantUser = FleetUser // never log in as root
	}
	if s.User != wantUser {
		t.Errorf("User = %q, want %q", s.User, wantUser)
	}

	c := sshdDial(t, s, h, s.User)
	if got, err := serverAddrOf(c); err != nil || got != h.Addr+" "+strconv.Itoa(h.Port) {
		t.Errorf("server side of the connection: %q, %v; want %s %d", got, err, h.Addr, h.Port)
	}
	if stdout, stderr, err := sshRun(t, c, "echo hello; echo oops >&2; exit 3", ""); stdout != "hello\n" || stderr != "oops\n" || exitCodeOf(t, err) != 3 {
		t.Errorf("got %q %q %v; want hello, oops, status 3", stdout, stderr, err)
	}

	// Every host key type in known_hosts is accepted.
	for _, k := range s.HostKeys {
		cfg := s.ClientConfig(s.User)
		cfg.HostKeyAlgorithms = []string{k.Type()}
		if k.Type() == ssh.KeyAlgoRSA {
			cfg.HostKeyAlgorithms = []string{ssh.KeyAlgoRSASHA256}
		}
		c, err := ssh.Dial("tcp", h.HostPort(), cfg)
		if err != nil {
			t.Errorf("host key %s: %v", k.Type(), err)
			continue
		}
		c.Close()
	}

	targets := s.Targets()
	want := []string{s.KeyFile}
	if len(targets) != 1 || targets[0].Name != "h001" || targets[0].Addr() != h.Addr || targets[0].Port != h.Port ||
		targets[0].User != s.User || !reflect.DeepEqual(targets[0].SSH.IdentityFiles, want) ||
		targets[0].SSH.KnownHostsFile != s.KnownHosts || targets[0].SSH.ConfigFile != s.SSHConfig {
		t.Errorf("Targets() = %+v", targets)
	}
	if cfg, err := os.ReadFile(s.SSHConfig); err != nil || len(cfg) != 0 {
		t.Errorf("SSHConfig %s: %q, %v; want an empty file", s.SSHConfig, cfg, err)
	}

	pids := s.Pids()
	c.Close()
	s.Stop()
	if len(s.Pids()) != 0 || pidAlive(pids[0]) {
		t.Errorf("sshd %v still running after Stop", pids)
	}
	if conn, err := net.Dial("tcp", h.HostPort()); err == nil {
		conn.Close()
		t.Error("dial after Stop succeeded")
	}
}

func TestStartSSHDFleet(t *testing.T) {
	checkNoGoroutineLeaks(t)
	const hosts = 40
	s := StartSSHD(t, SSHDOptions{Hosts: hosts})
	if got := len(s.Pids()); got != 3 {
		t.Errorf("%d sshd processes for %d hosts, want 3 (16 listen addresses each)", got, hosts)
	}
	seen := map[string]bool{}
	for i, h := range s.Hosts {
		if want := fmt.Sprintf("h%03d", i+1); h.Name != want || h.Port != s.Hosts[0].Port || seen[h.Addr] {
			t.Errorf("host %d = %+v; want name %s, port %d and a fresh address", i, h, want, s.Hosts[0].Port)
		}
		seen[h.Addr] = true
	}
	if len(s.Hosts) != hosts {
		t.Fatalf("%d hosts, want %d", len(s.Hosts), hosts)
	}

	// Eight logins at a time stays below the default MaxStartups (10).
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	errs := make([]error, len(s.Hosts))
	for i, h := range s.Hosts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, err := sshdTryDial(s, h, s.User)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			got, err := serverAddrOf(c)
			if err == nil && got != h.Addr+" "+strconv.Itoa(h.Port) {
				err = fmt.Errorf("landed on %s", got)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s (%s): %v", s.Hosts[i].Name, s.Hosts[i].HostPort(), err)
		}
	}
}

func TestSSHDKillSessionsAndStop(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s := StartSSHD(t, SSHDOptions{})
	h := s.Hosts[0]
	c := sshdDial(t, s, h, s.User)
	marker := fmt.Sprintf("remotetest-marker-%d-%d", os.Getpid(), time.Now().UnixNano())

	startSleeper := func(c *ssh.Client, marker string) *ssh.Session {
		t.Helper()
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.Start("sleep 3600; echo " + marker); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the session's shell runs", func() bool { return len(ProcessesMatching(marker)) == 1 })
		return sess
	}

	sess := startSleeper(c, marker)
	shell := ProcessesMatching(marker)[0]
	if d := s.Descendants(); !slices.Contains(d, shell) {
		t.Errorf("Descendants() = %v, want it to contain the session's shell %d", d, shell)
	}
	s.KillSessions()
	if got := ProcessesMatching(marker); len(got) != 0 {
		t.Errorf("processes %v survived KillSessions", got)
	}
	if err := sess.Wait(); err == nil {
		t.Error("session survived KillSessions")
	}
	if len(s.Pids()) != 1 {
		t.Fatal("the listener died with the sessions")
	}

	// A command without PTY outlives its connection, out of sshd's tree.
	orphanMarker := marker + "-orphan"
	c2 := sshdDial(t, s, h, s.User)
	startSleeper(c2, orphanMarker)
	orphan := ProcessesMatching(orphanMarker)[0]
	c2.Close()
	waitUntil(t, "the orphaned shell left sshd's process tree", func() bool {
		return !slices.Contains(fleetProcesses(s.Pids(), nil), orphan)
	})
	if d := s.Descendants(); !slices.Contains(d, orphan) {
		t.Errorf("Descendants() = %v, want it to contain the orphaned shell %d", d, orphan)
	}

	c3 := sshdDial(t, s, h, s.User)
	liveMarker := marker + "-live"
	startSleeper(c3, liveMarker)
	listener := s.Pids()[0]
	s.Stop()
	for _, m := range []string{orphanMarker, liveMarker} {
		if got := ProcessesMatching(m); len(got) != 0 {
			t.Errorf("processes %v (%s) survived Stop", got, m)
		}
	}
	if pidAlive(listener) {
		t.Errorf("listener %d survived Stop", listener)
	}
}

func TestSSHDTestUsers(t *testing.T) {
	checkNoGoroutineLeaks(t)
	const sudoer = "rctestnopw"
	home := EnsureTestUser(t, sudoer, "nopw-Pa55", SudoNoPasswd)
	if again := EnsureTestUser(t, sudoer, "nopw-Pa55", SudoNoPasswd); again != home {
		t.Errorf("second EnsureTestUser returned home %q, first %q", again, home)
	}
	if u, err := user.Lookup(sudoer); err != nil || u.HomeDir != home {
		t.Fatalf("user %s: %+v, %v; want home %s", sudoer, u, err, home)
	}

	s := StartSSHD(t, SSHDOptions{PasswordAuth: true, Users: []string{sudoer}})
	h := s.Hosts[0]
	if s.PasswordUser != TestUser || s.Password != TestUserPassword {
		t.Errorf("PasswordUser, Password = %q, %q", s.PasswordUser, s.Password)
	}

	t.Run("nopasswd sudo with the fleet key", func(t *testing.T) {
		c := sshdDial(t, s, h, sudoer)
		// The session starts in the user's own, writable home.
		if out, _, err := sshRun(t, c, "id -un; pwd; touch owned && rm owned", ""); err != nil || out != sudoer+"\n"+home+"\n" {
			t.Errorf("id -un; pwd; touch: %q, %v", out, err)
		}
		if out, _, err := sshRun(t, c, "sudo -n id -u", ""); err != nil || out != "0\n" {
			t.Errorf("sudo -n id -u: %q, %v; want 0", out, err)
		}
	})

	t.Run("password login and password sudo", func(t *testing.T) {
		c := sshdDial(t, s, h, TestUser, ssh.Password(TestUserPassword))
		if out, _, err := sshRun(t, c, "id -un", ""); err != nil || out != TestUser+"\n" {
			t.Errorf("id -un: %q, %v", out, err)
		}
		if _, stderr, err := sshRun(t, c, "sudo -n true", ""); exitCodeOf(t, err) != 1 || !strings.Contains(stderr, "password is required") {
			t.Errorf("sudo -n true: %q, %v; want status 1, a password is required", stderr, err)
		}
		if out, _, err := sshRun(t, c, "sudo -S -p '' id -u", TestUserPassword+"\n"); err != nil || out != "0\n" {
			t.Errorf("sudo -S with the password: %q, %v; want 0", out, err)
		}
		// Credentials are not cached between commands.
		if _, _, err := sshRun(t, c, "sudo -n true", ""); exitCodeOf(t, err) != 1 {
			t.Errorf("sudo -n right after a successful sudo -S: %v, want status 1", err)
		}
	})

	t.Run("fleet key logs in as the password user too", func(t *testing.T) {
		c := sshdDial(t, s, h, TestUser)
		if out, _, err := sshRun(t, c, "id -un", ""); err != nil || out != TestUser+"\n" {
			t.Errorf("id -un: %q, %v", out, err)
		}
	})

	t.Run("refused", func(t *testing.T) {
		if c, err := sshdTryDial(s, h, TestUser, ssh.Password("wrong")); err == nil {
			c.Close()
			t.Error("wrong password accepted")
		}
		if c, err := sshdTryDial(s, h, "root", ssh.Password("anything")); err == nil {
			c.Close()
			t.Error("root password login accepted (PermitRootLogin prohibit-password)")
		}
	})
}

func TestSSHDOptions(t *testing.T) {
	checkNoGoroutineLeaks(t)
	ca, _ := NewTestKey(t)
	s := StartSSHD(t, SSHDOptions{
		AllowTCPForwarding: true,
		TrustedUserCA:      ca.PublicKey(),
		Extra: []string{
			"SetEnv REMOTETEST_EXTRA=first",
			"SetEnv REMOTETEST_EXTRA=second", // sshd keeps the first value
			"Match User nobody",
			"\tX11Forwarding no",
		},
	})
	h := s.Hosts[0]

	t.Run("extra lines", func(t *testing.T) {
		c := sshdDial(t, s, h, s.User)
		if out, _, err := sshRun(t, c, "echo $REMOTETEST_EXTRA", ""); err != nil || out != "first\n" {
			t.Errorf("SetEnv from Extra: %q, %v", out, err)
		}
	})

	t.Run("AcceptEnv", func(t *testing.T) {
		c := sshdDial(t, s, h, s.User)
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		if err := sess.Setenv("REMOTETEST_SENT", "yes"); err != nil {
			t.Fatalf("Setenv REMOTETEST_SENT: %v", err)
		}
		if err := sess.Setenv("OTHER_VAR", "no"); err == nil {
			t.Error("sshd accepted OTHER_VAR, want only " + sshdAcceptEnv)
		}
		if out, err := sess.Output("echo $REMOTETEST_SENT"); err != nil || string(out) != "yes\n" {
			t.Errorf("echo $REMOTETEST_SENT: %q, %v", out, err)
		}
	})

	t.Run("certificate", func(t *testing.T) {
		key, keyFile := NewTestKey(t)
		cert, _ := NewTestCert(t, ca, key, keyFile, s.User)
		c := sshdDial(t, s, h, s.User, ssh.PublicKeys(cert))
		if out, _, err := sshRun(t, c, "echo certified", ""); err != nil || out != "certified\n" {
			t.Errorf("run with a certificate login: %q, %v", out, err)
		}
		other, _ := NewTestCert(t, ca, key, "", "someone-else")
		if c, err := sshdTryDial(s, h, s.User, ssh.PublicKeys(other)); err == nil {
			c.Close()
			t.Error("certificate for another principal accepted")
		}
	})

	t.Run("TCP forwarding", func(t *testing.T) {
		echo := startEchoListener(t)
		c := sshdDial(t, s, h, s.User)
		conn, err := c.Dial("tcp", echo)
		if err != nil {
			t.Fatalf("Dial through sshd: %v", err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "ping\n"); err != nil {
			t.Fatal(err)
		}
		if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || line != "ping\n" {
			t.Errorf("echo through sshd: %q, %v", line, err)
		}
	})

	t.Run("forwarding disabled by default", func(t *testing.T) {
		plain := StartSSHD(t, SSHDOptions{})
		c := sshdDial(t, plain, plain.Hosts[0], plain.User)
		if _, err := c.Dial("tcp", startEchoListener(t)); err == nil {
			t.Error("sshd forwarded a connection without AllowTCPForwarding")
		}
	})

	t.Run("sftp", func(t *testing.T) {
		c := sshdDial(t, s, h, s.User)
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		if err := sess.RequestSubsystem("sftp"); err != nil {
			t.Errorf("sftp subsystem: %v", err)
		}
	})
}

func TestSSHDMaxStartups(t *testing.T) {
	checkNoGoroutineLeaks(t)
	s := StartSSHD(t, SSHDOptions{MaxStartups: "1"})
	hp := s.Hosts[0].HostPort()
	// The first connection stays unauthenticated: it holds the only startup.
	first, err := net.Dial("tcp", hp)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if line, err := bufio.NewReader(first).ReadString('\n'); err != nil || !strings.HasPrefix(line, "SSH-2.0-") {
		t.Fatalf("first connection: %q, %v", line, err)
	}
	second, err := net.Dial("tcp", hp)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if err := second.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(second).ReadString('\n')
	if strings.HasPrefix(line, "SSH-2.0-") {
		t.Fatalf("second connection got a banner past MaxStartups 1: %q", line)
	}
	if err == nil && !strings.Contains(line, "MaxStartups") {
		t.Errorf("second connection: %q; want it dropped", line)
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("second connection: %v; want it dropped", err)
	}
}

func TestBuildSSHDConfig(t *testing.T) {
	p := sshdConfigParams{
		opts: SSHDOptions{
			MaxStartups: "5:30:10",
			Extra:       []string{"LogLevel DEBUG3", "match Address 127.0.0.1", "  PermitTTY no"},
		},
		hostKeys:           []string{"/k/ed", "/k/rsa"},
		authorizedKeys:     "/ak/%u",
		perSourcePenalties: true,
	}
	cfg := buildSSHDConfig(p, []string{"127.1.2.3:2222", "127.1.2.4:2222"}, "/run/x.pid")
	lines := strings.Split(strings.TrimSuffix(cfg, "\n"), "\n")
	index := func(line string) int {
		t.Helper()
		i := slices.Index(lines, line)
		if i < 0 {
			t.Fatalf("config lacks %q:\n%s", line, cfg)
		}
		return i
	}
	if index("LogLevel DEBUG3") > index("LogLevel VERBOSE") {
		t.Error("Extra lines must come before the defaults they override")
	}
	if m := index("match Address 127.0.0.1"); m != len(lines)-2 || index("  PermitTTY no") != len(lines)-1 {
		t.Error("a Match block from Extra must come last")
	}
	for _, l := range []string{"ListenAddress 127.1.2.3:2222", "ListenAddress 127.1.2.4:2222", "HostKey /k/ed", "HostKey /k/rsa",
		"PidFile /run/x.pid", "AuthorizedKeysFile /ak/%u", "MaxStartups 5:30:10", "PasswordAuthentication no",
		"AllowTcpForwarding no", "KbdInteractiveAuthentication no", "UsePAM no", "PerSourcePenalties no"} {
		index(l)
	}
	if strings.Contains(cfg, "TrustedUserCAKeys") {
		t.Error("TrustedUserCAKeys written without a CA")
	}
}

func TestParseOpenSSHVersion(t *testing.T) {
	for _, tt := range []struct {
		in           string
		major, minor int
	}{
		{"OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15 3 Sep 2024", 9, 2},
		{"unknown option -- V\nOpenSSH_8.4p1, OpenSSL 1.1.1\nusage: sshd [-46DdeiqTt]", 8, 4},
		{"OpenSSH_10.0p2", 10, 0},
	} {
		major, minor, err := parseOpenSSHVersion(tt.in)
		if err != nil || major != tt.major || minor != tt.minor {
			t.Errorf("parseOpenSSHVersion(%q) = %d, %d, %v", tt.in, major, minor, err)
		}
	}
	if _, _, err := parseOpenSSHVersion("sshd: command not found"); err == nil {
		t.Error("parsed a version out of nothing")
	}
	for _, tt := range []struct {
		major, minor int
		want         bool
	}{{9, 2, false}, {9, 8, true}, {10, 0, true}, {8, 9, false}} {
		if got := (sshdBinary{major: tt.major, minor: tt.minor}).hasPerSourcePenalties(); got != tt.want {
			t.Errorf("%d.%d hasPerSourcePenalties = %v", tt.major, tt.minor, got)
		}
	}
}

func TestReserveHostAddrs(t *testing.T) {
	addrs, port, err := reserveHostAddrs(600)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range addrs {
		b := a.As4()
		if b[0] != 127 || b[1] == 0 || b[3] == 0 || b[3] == 255 || seen[a.String()] {
			t.Errorf("bad or repeated address %s", a)
		}
		seen[a.String()] = true
	}
	if len(addrs) != 600 || port <= 0 {
		t.Errorf("got %d addresses, port %d", len(addrs), port)
	}
	// The probes were released: the port is free again on every address.
	for _, a := range []int{0, 599} {
		l, err := net.Listen("tcp", net.JoinHostPort(addrs[a].String(), strconv.Itoa(port)))
		if err != nil {
			t.Errorf("port %d still taken on %s: %v", port, addrs[a], err)
			continue
		}
		l.Close()
	}
}

func TestValidateTestUser(t *testing.T) {
	for _, tt := range []struct{ name, password, mode string }{
		{"Bad", "pw", SudoPasswd},
		{"ok", "", SudoPasswd},
		{"ok", "a:b", SudoPasswd},
		{"ok", "pw", "sometimes"},
		{"a.b", "pw", SudoNoPasswd},
	} {
		if err := validateTestUser(tt.name, tt.password, tt.mode); err == nil {
			t.Errorf("validateTestUser(%q, %q, %q) accepted", tt.name, tt.password, tt.mode)
		}
	}
	if err := validateTestUser("rc_test-1", "pw", SudoNoPasswd); err != nil {
		t.Error(err)
	}
}

// OpenSSH skips post-authentication privilege separation for root and then
// refuses "signal" requests ("session signalling requires privilege
// separation"): signals reach the command only for other users.
func TestSSHDSignalsNeedNonRootUser(t *testing.T) {
	checkNoGoroutineLeaks(t)
	const signalled = "rctestsig"
	EnsureTestUser(t, signalled, "sig-Pa55", SudoNoPasswd)
	s := StartSSHD(t, SSHDOptions{Users: []string{signalled, "root"}})

	c := sshdDial(t, s, s.Hosts[0], signalled)
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	// exec: the signal goes to the session's process, which must be sleep.
	// A signal sent before the shell has exec'd sleep can be lost, so wait
	// for a sleep whose whole command line is unique to this test.
	sleep := fmt.Sprintf("sleep 3600.%09d", time.Now().UnixNano()%1e9)
	if err := sess.Start("exec " + sleep); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, sleep+" runs", func() bool {
		return slices.ContainsFunc(listProcesses(), func(p procInfo) bool { return p.cmdline == sleep })
	})
	if err := sess.Signal(ssh.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var exit *ssh.ExitError
	if err := sess.Wait(); !errors.As(err, &exit) || exit.Signal() != "TERM" {
		t.Errorf("Wait after SIGTERM as %s: %v, want an exit by signal TERM", signalled, err)
	}

	if os.Geteuid() != 0 {
		return
	}
	root := sshdDial(t, s, s.Hosts[0], "root")
	rs, err := root.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if err := rs.Start("exec sleep 3600"); err != nil {
		t.Fatal(err)
	}
	if err := rs.Signal(ssh.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "sshd refused to signal a root session", func() bool {
		return strings.Contains(s.Logs(), "session signalling requires privilege separation")
	})
}

// outcomeTB records whether a helper skipped or failed the test.
type outcomeTB struct {
	testing.TB
	outcome string
}

func (o *outcomeTB) Helper() {}

func (o *outcomeTB) Skip(args ...any) {
	o.outcome = "skip: " + fmt.Sprint(args...)
	runtime.Goexit()
}

func (o *outcomeTB) Fatal(args ...any) {
	o.outcome = "fatal: " + fmt.Sprint(args...)
	runtime.Goexit()
}

func TestUnavailableSkipsUnlessCI(t *testing.T) {
	run := func(ci string) string {
		t.Setenv("CI", ci)
		o := &outcomeTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			unavailable(o, "sshd not found")
		}()
		<-done
		return o.outcome
	}
	if got := run(""); got != "skip: remotetest: sshd not found" {
		t.Errorf("without CI: %q, want a skip", got)
	}
	if got := run("true"); !strings.HasPrefix(got, "fatal: remotetest: sshd not found") {
		t.Errorf("with CI=true: %q, want a failure", got)
	}
}
