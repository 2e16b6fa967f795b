package remotetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Test user and sudo settings used by EnsureTestUser and SSHDOptions.PasswordAuth.
const (
	// TestUser is the account StartSSHD creates when PasswordAuth is set.
	// Ensure it only with TestUserPassword and TestUserSudoMode: settings are
	// per user name, shared by every test process on the machine.
	TestUser = "rctest"
	// FleetUser is the default login user of StartSSHD fleets when the
	// tests run as root.
	FleetUser = "rcfleet"
	// TestUserPassword is TestUser's login and sudo password.
	TestUserPassword = "rctest-Pa55word"
	// TestUserSudoMode is TestUser's sudo mode: sudo asks for the password.
	TestUserSudoMode = SudoPasswd

	// SudoNoPasswd lets a test user run sudo without a password (sudo -n works).
	SudoNoPasswd = "nopasswd"
	// SudoPasswd makes sudo ask a test user for their password (sudo -n fails,
	// sudo -S with the password on stdin works). Credentials are never cached.
	SudoPasswd = "passwd"
)

const (
	// sshdMaxListen is OpenSSH's MAX_LISTEN_SOCKS: ListenAddress lines one
	// sshd process accepts.
	sshdMaxListen = 16
	// sshdMaxHosts bounds SSHDOptions.Hosts (about 256 sshd processes).
	sshdMaxHosts = 4096
	// sshdStartTimeout bounds the wait for every listener to come up.
	sshdStartTimeout = 20 * time.Second
	// sshdStopTimeout bounds the wait for killed processes to go away.
	sshdStopTimeout = 10 * time.Second
	// sshdStartAttempts is how often StartSSHD picks new addresses when a
	// port turns out to be taken between probing and sshd binding it.
	sshdStartAttempts = 3
	// sshdPrivsepDir is the privilege-separation directory sshd needs as root.
	sshdPrivsepDir = "/run/sshd"
	// sshdAcceptEnv lists the variables sshd accepts from env requests.
	sshdAcceptEnv = "LANG LC_* REMOTETEST_*"
)

// SSHDOptions configures StartSSHD. The zero value is one host with OpenSSH's
// defaults.
type SSHDOptions struct {
	// Hosts is the number of hosts: distinct loopback addresses 127.X.Y.Z
	// (X != 0, picked at random so parallel tests never collide), all on one
	// free port. One sshd process serves up to 16 of them. 0 means 1.
	Hosts int
	// MaxStartups is written as is ("" means OpenSSH's default "10:30:100").
	// Use e.g. "1000:30:1000" for fan-out tests that must not see drops.
	MaxStartups string
	// AllowTCPForwarding permits direct-tcpip channels (ProxyJump, bastions).
	AllowTCPForwarding bool
	// PasswordAuth enables password authentication and creates TestUser (with
	// TestUserPassword and sudo mode TestUserSudoMode) through
	// EnsureTestUser; TestUser also gets the fleet key. Needs root.
	// Keyboard-interactive stays off: sshd runs with UsePAM no, and OpenSSH
	// on Linux then has no keyboard-interactive device. Use SSHServer to
	// test keyboard-interactive.
	PasswordAuth bool
	// Users are extra login names whose authorized_keys is the fleet key, so
	// tests log in as them with SSHD.Signer / SSHD.KeyFile. The accounts must
	// exist (see EnsureTestUser). Needs root.
	Users []string
	// TrustedUserCA, when set, is written to TrustedUserCAKeys: user
	// certificates it signed are accepted for their principals (NewTestCert).
	TrustedUserCA ssh.PublicKey
	// Extra are sshd_config lines. They are written before the harness's own
	// settings, so they win (sshd keeps the first value of a keyword); a
	// Match block, from its Match line on, is written at the end.
	Extra []string
}

// SSHHost is one host of a fleet: a loopback address and a port.
type SSHHost struct {
	Name string // "h001", "h002", ...
	Addr string // "127.X.Y.Z"
	Port int
}

// HostPort returns "addr:port".
func (h SSHHost) HostPort() string { return net.JoinHostPort(h.Addr, strconv.Itoa(h.Port)) }

// SSHD is a fleet of hosts served by real OpenSSH sshd processes on loopback.
type SSHD struct {
	Hosts []SSHHost
	// User is the login user: the user running the test, or, when that is
	// root, FleetUser (a plain account with password-less sudo). Root logins
	// are avoided on purpose: they run root's shell start-up files (which on
	// developer machines may take locks or be slow) and OpenSSH refuses
	// "signal" requests in root sessions. A test that needs a root login can
	// still list "root" in SSHDOptions.Users.
	User string

	KeyFile    string          // unencrypted ed25519 private key, authorized for User and SSHDOptions.Users
	Signer     ssh.Signer      // the same key
	KnownHosts string          // known_hosts listing every host's [addr]:port with every host key
	HostKeys   []ssh.PublicKey // the host keys (ed25519, ecdsa, rsa), shared by all hosts
	SSHConfig  string          // an empty ssh_config file, so clients never read ~/.ssh/config
	Dir        string          // config, keys and logs; removed at cleanup

	// PasswordUser and Password are set when PasswordAuth was requested.
	PasswordUser string
	Password     string

	tb       testing.TB
	procs    []*sshdProc
	hostKeys ssh.HostKeyCallback
	stopOnce sync.Once
}

// sshdProc is one running sshd listener process.
type sshdProc struct {
	cmd     *exec.Cmd
	logPath string
	addrs   []string
	port    int
	done    chan struct{} // closed once the process has been reaped
}

// errSSHDBindConflict means an address:port was taken by someone else between
// probing and sshd binding it; StartSSHD retries with new addresses.
var errSSHDBindConflict = errors.New("sshd could not bind its listen address")

// StartSSHD starts a fleet of opts.Hosts hosts served by /usr/sbin/sshd on
// loopback and registers t.Cleanup to stop every sshd process and every
// process they started (sessions included), print the sshd logs when the test
// failed, and remove SSHD.Dir.
//
// When sshd is not installed (or the platform is not Linux) the test is
// skipped, or fails when the environment variable CI is "true".
func StartSSHD(t testing.TB, opts SSHDOptions) *SSHD {
	t.Helper()
	bin := requireSSHD(t)
	if err := validateSSHDOptions(&opts); err != nil {
		t.Fatalf("remotetest: StartSSHD: %v", err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatalf("remotetest: StartSSHD: current user: %v", err)
	}
	root := os.Geteuid() == 0
	if (opts.PasswordAuth || len(opts.Users) > 0) && !root {
		unavailable(t, "StartSSHD: PasswordAuth and Users need root (useradd, other users' logins)")
	}

	login := me.Username
	if root {
		EnsureTestUser(t, FleetUser, TestUserPassword, SudoNoPasswd)
		login = FleetUser
	}
	s := &SSHD{User: login, tb: t}
	users := append([]string{login}, opts.Users...)
	if opts.PasswordAuth {
		EnsureTestUser(t, TestUser, TestUserPassword, TestUserSudoMode)
		s.PasswordUser, s.Password = TestUser, TestUserPassword
		users = append(users, TestUser)
	}
	if root {
		if err := os.MkdirAll(sshdPrivsepDir, 0o755); err != nil {
			t.Fatalf("remotetest: StartSSHD: creating %s: %v", sshdPrivsepDir, err)
		}
	}
	params, err := s.prepareDir(users, opts)
	if err != nil {
		t.Fatalf("remotetest: StartSSHD: %v", err)
	}
	params.perSourcePenalties = bin.hasPerSourcePenalties()

	t.Cleanup(func() {
		if t.Failed() {
			s.logLogs()
		}
		s.Stop()
	})
	if err := s.launchWithRetry(bin.path, params, opts.Hosts); err != nil {
		t.Fatalf("remotetest: StartSSHD: %v", err)
	}
	if err := s.writeClientFiles(); err != nil {
		t.Fatalf("remotetest: StartSSHD: %v", err)
	}
	return s
}

// validateSSHDOptions checks opts and fills in defaults.
func validateSSHDOptions(opts *SSHDOptions) error {
	if opts.Hosts == 0 {
		opts.Hosts = 1
	}
	if opts.Hosts < 0 || opts.Hosts > sshdMaxHosts {
		return fmt.Errorf("Hosts = %d; want 1..%d", opts.Hosts, sshdMaxHosts)
	}
	if opts.MaxStartups == "" {
		opts.MaxStartups = "10:30:100"
	}
	if !maxStartupsPattern.MatchString(opts.MaxStartups) {
		return fmt.Errorf("MaxStartups %q is not start or start:rate:full (e.g. 10:30:100)", opts.MaxStartups)
	}
	for _, u := range opts.Users {
		if !userNamePattern.MatchString(u) {
			return fmt.Errorf("user name %q is not a portable login name ([a-z_][a-z0-9_-]*, at most 32 characters)", u)
		}
	}
	return nil
}

var (
	maxStartupsPattern = regexp.MustCompile(`^\d+(:\d+:\d+)?$`)
	userNamePattern    = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
)

// sshdConfigParams is everything an sshd_config is built from, except the
// listen addresses, which change per attempt and process.
type sshdConfigParams struct {
	opts               SSHDOptions
	hostKeys           []string
	authorizedKeys     string // AuthorizedKeysFile pattern
	trustedCAFile      string
	perSourcePenalties bool // the sshd knows PerSourcePenalties (OpenSSH 9.8+)
}

// prepareDir creates s.Dir with the host keys, the client key, one
// authorized_keys file per user and the CA file.
func (s *SSHD) prepareDir(users []string, opts SSHDOptions) (sshdConfigParams, error) {
	var p sshdConfigParams
	dir, err := os.MkdirTemp("", "remotetest-sshd-")
	if err != nil {
		return p, err
	}
	s.Dir = dir
	s.tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	// sshd reads authorized_keys with the login user's rights: every user
	// must be able to traverse the directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		return p, err
	}
	p.opts = opts
	if p.hostKeys, s.HostKeys, err = writeHostKeys(dir); err != nil {
		return p, err
	}
	if err := s.writeClientKey(); err != nil {
		return p, err
	}
	akDir := filepath.Join(dir, "authorized_keys")
	if err := os.Mkdir(akDir, 0o755); err != nil {
		return p, err
	}
	line := ssh.MarshalAuthorizedKey(s.Signer.PublicKey())
	for _, u := range users {
		if err := os.WriteFile(filepath.Join(akDir, u), line, 0o644); err != nil {
			return p, fmt.Errorf("writing authorized_keys for %s: %w", u, err)
		}
	}
	p.authorizedKeys = filepath.Join(akDir, "%u")
	if opts.TrustedUserCA != nil {
		p.trustedCAFile = filepath.Join(dir, "trusted_user_ca")
		if err := os.WriteFile(p.trustedCAFile, ssh.MarshalAuthorizedKey(opts.TrustedUserCA), 0o644); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (s *SSHD) writeClientKey() error {
	key, err := newEd25519Key()
	if err != nil {
		return err
	}
	s.KeyFile = filepath.Join(s.Dir, "id_ed25519")
	s.Signer, err = writeKeyPair(s.KeyFile, key, "remotetest-fleet", nil)
	return err
}

// launchWithRetry starts the sshd processes for hosts hosts, picking new
// addresses when a listen address turns out to be taken.
func (s *SSHD) launchWithRetry(bin string, p sshdConfigParams, hosts int) error {
	var err error
	for attempt := 0; attempt < sshdStartAttempts; attempt++ {
		var addrs []netip.Addr
		var port int
		addrs, port, err = reserveHostAddrs(hosts)
		if err != nil {
			continue
		}
		err = s.launch(bin, p, addrs, port)
		if err == nil {
			return nil
		}
		// Only the listeners' trees: the addresses may be another fleet's.
		if kerr := s.killAll(nil); kerr != nil {
			return errors.Join(err, kerr)
		}
		if !errors.Is(err, errSSHDBindConflict) {
			return err
		}
	}
	return fmt.Errorf("no free loopback address/port after %d attempts: %w", sshdStartAttempts, err)
}

// launch starts one sshd per 16 addresses and waits until all listen.
func (s *SSHD) launch(bin string, p sshdConfigParams, addrs []netip.Addr, port int) error {
	s.procs, s.Hosts = nil, nil
	for i, a := range addrs {
		s.Hosts = append(s.Hosts, SSHHost{Name: fmt.Sprintf("h%03d", i+1), Addr: a.String(), Port: port})
	}
	for i := 0; i*sshdMaxListen < len(addrs); i++ {
		group := addrs[i*sshdMaxListen : min((i+1)*sshdMaxListen, len(addrs))]
		proc, err := s.startProc(bin, p, i, group, port)
		if err != nil {
			return err
		}
		s.procs = append(s.procs, proc)
	}
	deadline := time.Now().Add(sshdStartTimeout)
	for _, proc := range s.procs {
		if err := proc.waitListening(deadline); err != nil {
			return err
		}
	}
	return s.waitProbesGone(deadline)
}

// waitProbesGone waits until the sshd children serving the readiness probes
// have exited, so that they no longer count against MaxStartups when the
// test connects.
func (s *SSHD) waitProbesGone(deadline time.Time) error {
	for len(s.Descendants()) > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("sshd children %v of the readiness probes still running after %v", s.Descendants(), sshdStartTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// startProc writes the config of sshd number n and starts it.
func (s *SSHD) startProc(bin string, p sshdConfigParams, n int, addrs []netip.Addr, port int) (*sshdProc, error) {
	proc := &sshdProc{
		logPath: filepath.Join(s.Dir, fmt.Sprintf("sshd-%d.log", n)),
		port:    port,
		done:    make(chan struct{}),
	}
	var listen []string
	for _, a := range addrs {
		proc.addrs = append(proc.addrs, a.String())
		listen = append(listen, net.JoinHostPort(a.String(), strconv.Itoa(port)))
	}
	cfgPath := filepath.Join(s.Dir, fmt.Sprintf("sshd_config-%d", n))
	cfg := buildSSHDConfig(p, listen, filepath.Join(s.Dir, fmt.Sprintf("sshd-%d.pid", n)))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	// Truncate: a failed earlier attempt's "Bind to port" must not count.
	logFile, err := os.OpenFile(proc.logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	// -D: stay in the foreground (so we own the listener), -e: log to stderr.
	proc.cmd = exec.Command(bin, "-D", "-e", "-f", cfgPath)
	proc.cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	proc.cmd.Stdout, proc.cmd.Stderr = logFile, logFile
	proc.cmd.SysProcAttr = sshdSysProcAttr()
	if err := proc.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() {
		_ = proc.cmd.Wait()
		close(proc.done)
	}()
	return proc, nil
}

// buildSSHDConfig renders an sshd_config. Extra lines come first so they
// override the harness's settings; a Match block in Extra goes last.
func buildSSHDConfig(p sshdConfigParams, listen []string, pidFile string) string {
	extraTop, extraMatch := splitAtMatch(p.opts.Extra)
	yesNo := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	lines := []string{"# Written by remotetest.StartSSHD."}
	lines = append(lines, extraTop...)
	for _, l := range listen {
		lines = append(lines, "ListenAddress "+l)
	}
	for _, k := range p.hostKeys {
		lines = append(lines, "HostKey "+k)
	}
	lines = append(lines,
		"PidFile "+pidFile,
		"AuthorizedKeysFile "+p.authorizedKeys,
		"AddressFamily inet",
		"UsePAM no",
		"StrictModes no",
		"PermitRootLogin prohibit-password",
		"PubkeyAuthentication yes",
		"PasswordAuthentication "+yesNo(p.opts.PasswordAuth),
		// Without PAM, OpenSSH on Linux has no keyboard-interactive device:
		// advertising the method would only make clients that try it fail.
		"KbdInteractiveAuthentication no",
		"PermitEmptyPasswords no",
		"MaxStartups "+p.opts.MaxStartups,
		"AllowTcpForwarding "+yesNo(p.opts.AllowTCPForwarding),
		"AllowAgentForwarding no",
		"X11Forwarding no",
		"PrintMotd no",
		"PrintLastLog no",
		"AcceptEnv "+sshdAcceptEnv,
		"Subsystem sftp internal-sftp",
		"LogLevel VERBOSE",
	)
	if p.trustedCAFile != "" {
		lines = append(lines, "TrustedUserCAKeys "+p.trustedCAFile)
	}
	if p.perSourcePenalties {
		// Every test connection comes from 127.0.0.1: penalising it for
		// failed logins would refuse the next tests' connections.
		lines = append(lines, "PerSourcePenalties no")
	}
	lines = append(lines, extraMatch...)
	return joinLines(lines)
}

// splitAtMatch splits sshd_config lines before the first Match line.
func splitAtMatch(lines []string) (top, match []string) {
	for i, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], "Match") {
			return lines[:i], lines[i:]
		}
	}
	return lines, nil
}

// waitListening waits until sshd logged that it listens on every address
// and each answers with an SSH banner.
func (p *sshdProc) waitListening(deadline time.Time) error {
	for {
		exited := false
		select {
		case <-p.done:
			exited = true
		default:
		}
		log := readLog(p.logPath)
		if strings.Contains(log, "Bind to port") {
			return fmt.Errorf("%w; its log:\n%s", errSSHDBindConflict, log)
		}
		if exited {
			return fmt.Errorf("sshd exited during startup (%v); its log:\n%s", p.cmd.ProcessState, log)
		}
		if p.loggedAllListening(log) {
			return p.checkBanners(deadline)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sshd did not listen on %d addresses within %v; its log:\n%s", len(p.addrs), sshdStartTimeout, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *sshdProc) loggedAllListening(log string) bool {
	for _, a := range p.addrs {
		if !strings.Contains(log, fmt.Sprintf("Server listening on %s port %d.", a, p.port)) {
			return false
		}
	}
	return true
}

// checkBanners dials every address and reads the SSH identification line.
func (p *sshdProc) checkBanners(deadline time.Time) error {
	for _, a := range p.addrs {
		hp := net.JoinHostPort(a, strconv.Itoa(p.port))
		if err := readSSHBanner(hp, deadline); err != nil {
			return fmt.Errorf("sshd on %s: %w", hp, err)
		}
	}
	return nil
}

func readSSHBanner(hostport string, deadline time.Time) error {
	c, err := net.DialTimeout("tcp", hostport, time.Until(deadline))
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(deadline); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading banner: %w", err)
	}
	if !strings.HasPrefix(line, "SSH-2.0-") {
		return fmt.Errorf("unexpected banner %q: another server holds the port", line)
	}
	return nil
}

// writeClientFiles writes the known_hosts and empty ssh_config files.
func (s *SSHD) writeClientFiles() error {
	var lines []string
	for _, h := range s.Hosts {
		for _, k := range s.HostKeys {
			lines = append(lines, KnownHostsLine(h.HostPort(), k))
		}
	}
	s.KnownHosts = filepath.Join(s.Dir, "known_hosts")
	if err := os.WriteFile(s.KnownHosts, []byte(joinLines(lines)), 0o644); err != nil {
		return err
	}
	s.SSHConfig = filepath.Join(s.Dir, "ssh_config")
	if err := os.WriteFile(s.SSHConfig, nil, 0o644); err != nil {
		return err
	}
	cb, err := knownhosts.New(s.KnownHosts)
	if err != nil {
		return err
	}
	s.hostKeys = cb
	return nil
}

// ClientConfig returns an x/crypto/ssh client configuration that logs in as
// user with the fleet key and checks host keys against KnownHosts.
func (s *SSHD) ClientConfig(user string) *ssh.ClientConfig {
	return &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(s.Signer)},
		HostKeyCallback: s.hostKeys,
		Timeout:         10 * time.Second,
	}
}

// Targets returns one remote.Target per host, set up to log in as User with
// KeyFile only, strict host key checking against KnownHosts, and the empty
// SSHConfig.
func (s *SSHD) Targets() []remote.Target {
	targets := make([]remote.Target, 0, len(s.Hosts))
	for _, h := range s.Hosts {
		targets = append(targets, remote.Target{
			Name:      h.Name,
			Address:   h.Addr,
			Port:      h.Port,
			Transport: remote.KindSSH,
			User:      s.User,
			SSH: remote.SSHSettings{
				IdentityFiles:  []string{s.KeyFile},
				IdentitiesOnly: true,
				HostKeyPolicy:  "strict",
				KnownHostsFile: s.KnownHosts,
				ConfigFile:     s.SSHConfig,
			},
		})
	}
	return targets
}

// Pids returns the process ids of the sshd listener processes (one per 16
// hosts) that have not exited.
func (s *SSHD) Pids() []int {
	var pids []int
	for _, p := range s.procs {
		select {
		case <-p.done:
		default:
			pids = append(pids, p.cmd.Process.Pid)
		}
	}
	return pids
}

// Descendants returns the ids of every live process the fleet started:
// per-connection sshd processes and session commands, including commands
// that outlived their connection (OpenSSH leaves a command without PTY
// running when the client goes away; it is found by its SSH_CONNECTION).
func (s *SSHD) Descendants() []int {
	return fleetProcesses(s.Pids(), s.serverAddrs())
}

// serverAddrs returns the "addr port" of every host, as SSH_CONNECTION ends.
func (s *SSHD) serverAddrs() map[string]bool {
	m := make(map[string]bool, len(s.Hosts))
	for _, h := range s.Hosts {
		m[h.Addr+" "+strconv.Itoa(h.Port)] = true
	}
	return m
}

// KillSessions kills every process in Descendants with SIGKILL, as if each
// connection's server side died, and waits until they are gone. The
// listeners keep accepting connections.
func (s *SSHD) KillSessions() {
	if err := killProcessTrees(s.Pids(), s.serverAddrs(), true, sshdStopTimeout); err != nil {
		s.tb.Errorf("remotetest: SSHD.KillSessions: %v", err)
	}
}

// Stop kills every sshd process of the fleet and everything in Descendants,
// and waits until they are gone. Connections are cut; later dials are
// refused. Stop is idempotent and runs at cleanup.
func (s *SSHD) Stop() {
	s.stopOnce.Do(func() {
		if err := s.killAll(s.serverAddrs()); err != nil {
			s.tb.Errorf("remotetest: SSHD.Stop: %v", err)
		}
	})
}

// killAll kills the listeners, their descendants and the processes whose
// SSH_CONNECTION names one of servers, and reaps the listeners.
func (s *SSHD) killAll(servers map[string]bool) error {
	err := killProcessTrees(s.Pids(), servers, false, sshdStopTimeout)
	timeout := time.After(sshdStopTimeout)
	for _, p := range s.procs {
		select {
		case <-p.done:
		case <-timeout:
			return errors.Join(err, fmt.Errorf("sshd pid %d still running %v after SIGKILL", p.cmd.Process.Pid, sshdStopTimeout))
		}
	}
	return err
}

// Logs returns the sshd logs (LogLevel VERBOSE), one process after another.
func (s *SSHD) Logs() string {
	var b strings.Builder
	for _, p := range s.procs {
		fmt.Fprintf(&b, "==> %s (%s) <==\n%s", filepath.Base(p.logPath), strings.Join(p.addrs, " "), readLog(p.logPath))
	}
	return b.String()
}

func (s *SSHD) logLogs() {
	s.tb.Helper()
	s.tb.Logf("remotetest: sshd logs from %s:\n%s", s.Dir, s.Logs())
}

func readLog(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)\n", path, err)
	}
	return string(b)
}

// ProcessesMatching returns the ids of live processes (the test process
// excluded) whose command line contains marker, e.g. to prove a timed-out
// `sleep 1000; echo MARKER` left nothing behind. It returns nil on platforms
// without /proc.
func ProcessesMatching(marker string) []int {
	self := os.Getpid()
	var pids []int
	for _, p := range listProcesses() {
		if p.pid != self && strings.Contains(p.cmdline, marker) {
			pids = append(pids, p.pid)
		}
	}
	slices.Sort(pids)
	return pids
}

// reserveHostAddrs picks n consecutive loopback addresses in a random part of
// 127.0.0.0/8 (never 127.0.0.x, never .0 or .255) and a port free on all of
// them. The probe listeners are closed before returning.
func reserveHostAddrs(n int) ([]netip.Addr, int, error) {
	addrs := make([]netip.Addr, 0, n)
	a := netip.AddrFrom4([4]byte{127, byte(1 + rand.IntN(250)), byte(rand.IntN(256)), byte(1 + rand.IntN(254))})
	for len(addrs) < n {
		if b := a.As4(); b[3] != 0 && b[3] != 255 {
			addrs = append(addrs, a)
		}
		a = a.Next()
	}
	first, err := net.Listen("tcp", net.JoinHostPort(addrs[0].String(), "0"))
	if err != nil {
		return nil, 0, err
	}
	port := first.Addr().(*net.TCPAddr).Port
	probes := []net.Listener{first}
	defer func() {
		for _, l := range probes {
			_ = l.Close()
		}
	}()
	for _, addr := range addrs[1:] {
		l, err := net.Listen("tcp", net.JoinHostPort(addr.String(), strconv.Itoa(port)))
		if err != nil {
			return nil, 0, err
		}
		probes = append(probes, l)
	}
	return addrs, port, nil
}

// sshdBinary is the sshd executable found on this machine.
type sshdBinary struct {
	path         string
	major, minor int
}

// hasPerSourcePenalties reports whether this sshd knows PerSourcePenalties.
func (b sshdBinary) hasPerSourcePenalties() bool {
	return b.major > 9 || (b.major == 9 && b.minor >= 8)
}

// findSSHD locates sshd and its version once per process.
var findSSHD = sync.OnceValues(func() (sshdBinary, error) {
	if err := sshdPlatformSupported(); err != nil {
		return sshdBinary{}, err
	}
	path := "/usr/sbin/sshd"
	if _, err := os.Stat(path); err != nil {
		p, err := exec.LookPath("sshd")
		if err != nil {
			return sshdBinary{}, errors.New("sshd not found; install OpenSSH's server (apt-get install openssh-server)")
		}
		// sshd re-executes itself and insists on an absolute path.
		if path, err = filepath.Abs(p); err != nil {
			return sshdBinary{}, err
		}
	}
	// `sshd -V` prints the version (older releases print it in their usage
	// message), in both cases on stderr with a non-zero status.
	out, _ := exec.Command(path, "-V").CombinedOutput()
	major, minor, err := parseOpenSSHVersion(string(out))
	if err != nil {
		return sshdBinary{}, fmt.Errorf("%s: %w", path, err)
	}
	return sshdBinary{path: path, major: major, minor: minor}, nil
})

var openSSHVersionPattern = regexp.MustCompile(`OpenSSH_(\d+)\.(\d+)`)

// parseOpenSSHVersion finds "OpenSSH_9.2p1" in text and returns 9, 2.
func parseOpenSSHVersion(text string) (major, minor int, err error) {
	m := openSSHVersionPattern.FindStringSubmatch(text)
	if m == nil {
		return 0, 0, fmt.Errorf("no OpenSSH version in %q", strings.TrimSpace(text))
	}
	major, _ = strconv.Atoi(m[1])
	minor, _ = strconv.Atoi(m[2])
	return major, minor, nil
}

// requireSSHD returns the sshd binary or skips (fails under CI) the test.
func requireSSHD(t testing.TB) sshdBinary {
	t.Helper()
	bin, err := findSSHD()
	if err != nil {
		unavailable(t, "real-sshd tests: %v", err)
	}
	return bin
}

// unavailable skips the test because a prerequisite is missing, or fails it
// when CI=true, where every prerequisite must be installed.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := "remotetest: " + fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: tests may not be skipped)")
	}
	t.Skip(msg)
}

// testUserSpec is what EnsureTestUser was asked for a user.
type testUserSpec struct {
	password, sudoMode, home string
}

// testUsers remembers the users EnsureTestUser configured in this process, so
// each is set up once and conflicting requests are caught.
var testUsers = struct {
	sync.Mutex
	byName map[string]testUserSpec
}{byName: map[string]testUserSpec{}}

// EnsureTestUser creates (once per process) a local user with password and
// sudo rights and returns its home directory (under the system temp
// directory). sudoMode is SudoNoPasswd (sudo -n works) or SudoPasswd (sudo
// needs the password, never cached). Every step is idempotent, so test
// processes running at once may ensure the same user; a name must always be
// used with the same password and mode. The account stays on the machine.
// Needs root and Linux: otherwise the test is skipped (failed when CI=true).
func EnsureTestUser(t testing.TB, name, password, sudoMode string) (home string) {
	t.Helper()
	if err := validateTestUser(name, password, sudoMode); err != nil {
		t.Fatalf("remotetest: EnsureTestUser: %v", err)
	}
	if err := sshdPlatformSupported(); err != nil {
		unavailable(t, "EnsureTestUser: %v", err)
	}
	if os.Geteuid() != 0 {
		unavailable(t, "EnsureTestUser(%q) needs root to create the user", name)
	}
	for _, tool := range []string{"useradd", "chpasswd", "sudo", "visudo"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, "EnsureTestUser: %s not found; install the passwd and sudo packages", tool)
		}
	}
	testUsers.Lock()
	defer testUsers.Unlock()
	want := testUserSpec{password: password, sudoMode: sudoMode}
	if got, ok := testUsers.byName[name]; ok {
		if got.password != password || got.sudoMode != sudoMode {
			t.Fatalf("remotetest: EnsureTestUser(%q): already set up in this process with sudo mode %q and another password; use another name for other settings", name, got.sudoMode)
		}
		return got.home
	}
	home, err := setUpTestUser(name, password, sudoMode)
	if err != nil {
		t.Fatalf("remotetest: EnsureTestUser(%q): %v", name, err)
	}
	want.home = home
	testUsers.byName[name] = want
	return home
}

func validateTestUser(name, password, sudoMode string) error {
	if !userNamePattern.MatchString(name) {
		return fmt.Errorf("user name %q is not a portable login name ([a-z_][a-z0-9_-]*, at most 32 characters)", name)
	}
	if password == "" || strings.ContainsAny(password, ":\n") {
		return errors.New("password must be non-empty and contain no ':' or newline (chpasswd format)")
	}
	if sudoMode != SudoNoPasswd && sudoMode != SudoPasswd {
		return fmt.Errorf("sudo mode %q; want %q or %q", sudoMode, SudoNoPasswd, SudoPasswd)
	}
	return nil
}

// setUpTestUser creates or updates the account, its home, password and sudo
// rule.
func setUpTestUser(name, password, sudoMode string) (string, error) {
	homeRoot := filepath.Join(os.TempDir(), "remotetest-home")
	if err := os.MkdirAll(homeRoot, 0o755); err != nil {
		return "", err
	}
	if err := os.Chmod(homeRoot, 0o755); err != nil {
		return "", err
	}
	u, err := ensureAccount(name, filepath.Join(homeRoot, name))
	if err != nil {
		return "", err
	}
	if err := ensureHome(u); err != nil {
		return "", err
	}
	if err := retryLocked(func() error {
		return runTool(strings.NewReader(name+":"+password+"\n"), "chpasswd")
	}); err != nil {
		return "", err
	}
	if err := installSudoRule(name, sudoMode); err != nil {
		return "", err
	}
	return u.HomeDir, nil
}

// ensureAccount creates the account unless it exists, and looks it up.
func ensureAccount(name, home string) (*user.User, error) {
	if u, err := user.Lookup(name); err == nil {
		return u, nil
	}
	err := retryLocked(func() error {
		err := runTool(nil, "useradd", "--home-dir", home, "--no-create-home",
			"--shell", "/bin/sh", "--user-group", "--comment", "remotectl test user", name)
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 9 { // created meanwhile by another test process
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return user.Lookup(name)
}

// ensureHome creates the user's home directory owned by the user.
func ensureHome(u *user.User) error {
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return fmt.Errorf("gid %q: %w", u.Gid, err)
	}
	if err := os.MkdirAll(u.HomeDir, 0o755); err != nil {
		return err
	}
	return os.Chown(u.HomeDir, uid, gid)
}

// installSudoRule writes /etc/sudoers.d/remotetest-NAME after visudo checked
// it. The temporary file has a '.' in its name, which sudo ignores.
func installSudoRule(name, sudoMode string) error {
	rule := name + " ALL=(ALL:ALL) ALL"
	if sudoMode == SudoNoPasswd {
		rule = name + " ALL=(ALL:ALL) NOPASSWD: ALL"
	}
	content := joinLines([]string{
		"# Written by remotectl's remotetest.EnsureTestUser; safe to delete.",
		"Defaults:" + name + " !requiretty, !lecture, timestamp_timeout=0",
		rule,
	})
	tmp, err := os.CreateTemp("/etc/sudoers.d", ".remotetest-"+name+".*")
	if err != nil {
		return fmt.Errorf("sudoers.d: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o440); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := runTool(nil, "visudo", "-c", "-q", "-f", tmp.Name()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join("/etc/sudoers.d", "remotetest-"+name))
}

// retryLocked runs f until it succeeds, a few times: useradd and chpasswd
// fail while another process holds the passwd/shadow lock.
func retryLocked(f func() error) error {
	var err error
	for delay := 50 * time.Millisecond; delay < 2*time.Second; delay *= 2 {
		if err = f(); err == nil {
			return nil
		}
		time.Sleep(delay + rand.N(delay))
	}
	return err
}

// runTool runs a system tool and returns its output in the error.
func runTool(stdin *strings.Reader, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}
