package winrm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// testTimeout bounds every test's work against the test server.
const testTimeout = 60 * time.Second

// newTestDialer is a Dialer with a short operation timeout, whose file
// transfers use POSIX shell scripts: a test server without the PowerShell
// simulator runs commands with /bin/sh (the conformance suite's paths are
// POSIX ones). The file tests use the real scripts, with the simulator.
func newTestDialer(opts Options) *Dialer {
	if opts.OperationTimeout == 0 {
		opts.OperationTimeout = time.Second
	}
	d := NewDialer(opts)
	d.scripts = posixScripts
	return d
}

// startHost starts a test server and returns it with a target that reaches
// it with settings w completed from the server (scheme, CA, credentials).
func startHost(t *testing.T, opts remotetest.WSManOptions, w remote.WinRMSettings) (*remotetest.WSManServer, remote.Target) {
	t.Helper()
	s := remotetest.StartWSMan(t, opts)
	return s, targetFor(s, opts, w)
}

func targetFor(s *remotetest.WSManServer, opts remotetest.WSManOptions, w remote.WinRMSettings) remote.Target {
	https := opts.HTTPS
	w.HTTPS = &https
	if w.Auth == "" {
		w.Auth = opts.Auth
	}
	if w.Auth == "" {
		w.Auth = authBasic
		if opts.Seal {
			w.Auth = authNTLM
		}
	}
	if https && w.CACert == "" && !w.Insecure {
		w.CACert = s.CACertFile
	}
	var password string
	if w.Auth == authCertificate {
		w.ClientCert, w.ClientKey = s.ClientCertFile, s.ClientKeyFile
	} else {
		password = s.Password
	}
	return remote.Target{
		Name:           "win-" + strconv.Itoa(s.Port),
		Address:        s.Host,
		Port:           s.Port,
		Transport:      remote.KindWinRM,
		User:           s.User,
		ConnectTimeout: 10 * time.Second,
		Password:       password,
		WinRM:          w,
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// dial connects to target; the transport is closed when the test ends.
func dial(t *testing.T, d *Dialer, target remote.Target) *Transport {
	t.Helper()
	tr, err := d.Dial(testContext(t), target)
	if err != nil {
		t.Fatalf("Dial: %v (hint: %s)", err, remote.HintOf(err))
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr.(*Transport)
}

// output is what one Run produced.
type output struct {
	stdout, stderr string
	res            remote.Result
	err            error
}

func runCmd(ctx context.Context, tr remote.Transport, cmd remote.Cmd) output {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	res, err := tr.Run(ctx, &cmd)
	return output{stdout: stdout.String(), stderr: stderr.String(), res: res, err: err}
}

func mustRun(t *testing.T, tr remote.Transport, cmd remote.Cmd) output {
	t.Helper()
	out := runCmd(testContext(t), tr, cmd)
	if out.err != nil {
		t.Fatalf("Run(%q%q): %v (hint: %s)", cmd.Shell, cmd.Args, out.err, remote.HintOf(out.err))
	}
	return out
}

// countOps counts the logged requests of an operation that got past
// authentication (NTLM handshakes send the first request of a connection
// several times, refused with 401 until the last leg).
func countOps(s *remotetest.WSManServer, op string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Op == op && r.Status != http.StatusUnauthorized {
			n++
		}
	}
	return n
}

// authModes are the ways a client can authenticate, each with a server
// configured for it.
var authModes = []struct {
	name     string
	server   remotetest.WSManOptions
	settings remote.WinRMSettings
	sealed   bool
}{
	{"basic over HTTPS", remotetest.WSManOptions{Auth: "basic", HTTPS: true}, remote.WinRMSettings{Auth: "basic"}, false},
	{"basic over HTTP, unencrypted allowed", remotetest.WSManOptions{Auth: "basic", AllowUnencrypted: true},
		remote.WinRMSettings{Auth: "basic", AllowUnencrypted: true}, false},
	{"NTLM over HTTPS", remotetest.WSManOptions{Auth: "ntlm", HTTPS: true}, remote.WinRMSettings{Auth: "ntlm"}, false},
	{"NTLM sealed over HTTP", remotetest.WSManOptions{Seal: true}, remote.WinRMSettings{Auth: "ntlm"}, true},
	{"NTLM over HTTP, unencrypted allowed", remotetest.WSManOptions{Auth: "ntlm", AllowUnencrypted: true},
		remote.WinRMSettings{Auth: "ntlm", MessageEncryption: "never", AllowUnencrypted: true}, false},
	{"certificate", remotetest.WSManOptions{Auth: "certificate", HTTPS: true}, remote.WinRMSettings{Auth: "certificate"}, false},
}

func TestAuthModes(t *testing.T) {
	for _, mode := range authModes {
		t.Run(mode.name, func(t *testing.T) {
			s, target := startHost(t, mode.server, mode.settings)
			tr := dial(t, newTestDialer(Options{}), target)
			out := mustRun(t, tr, remote.Cmd{Shell: "echo out; echo err >&2; exit 3"})
			if out.stdout != "out\n" || out.stderr != "err\n" || out.res.ExitCode != 3 {
				t.Errorf("stdout %q, stderr %q, exit %d; want out, err, 3", out.stdout, out.stderr, out.res.ExitCode)
			}
			wantAuth := mode.server.Auth
			if mode.server.Seal {
				wantAuth = "ntlm"
			}
			for _, r := range s.Requests() {
				if r.Op == "" || r.Status == http.StatusUnauthorized {
					continue // an NTLM handshake leg
				}
				if r.Auth != wantAuth || r.Sealed != mode.sealed {
					t.Errorf("request %+v: want auth %s, sealed %v", r, wantAuth, mode.sealed)
				}
			}
			if tr.OS() != remote.OSWindows {
				t.Errorf("OS() = %v", tr.OS())
			}
		})
	}
}

// chunkReader returns its data in chunks of a few kilobytes, as a pipe
// would, so that input keeps flowing while output is polled.
type chunkReader struct {
	data []byte
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 7919)], r.data)
	r.data = r.data[n:]
	return n, nil
}

func randomBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// TestStdin sends input while output is polled, in every mode: sealing
// keeps one security session per connection, so -race stays quiet.
func TestStdin(t *testing.T) {
	for _, mode := range authModes {
		t.Run(mode.name, func(t *testing.T) {
			_, target := startHost(t, mode.server, mode.settings)
			tr := dial(t, newTestDialer(Options{}), target)
			input := randomBytes(300<<10, 1)
			out := mustRun(t, tr, remote.Cmd{Shell: "cat; echo done >&2", Stdin: &chunkReader{data: input}})
			if out.stdout != string(input) || out.stderr != "done\n" || out.res.ExitCode != 0 {
				t.Errorf("cat returned %d bytes (want %d), stderr %q, exit %d", len(out.stdout), len(input), out.stderr, out.res.ExitCode)
			}
			// A nil Stdin is an empty input: cat ends at once.
			out = mustRun(t, tr, remote.Cmd{Shell: "cat; echo end"})
			if out.stdout != "end\n" {
				t.Errorf("cat without input: %q", out.stdout)
			}
		})
	}
}

func TestOutput(t *testing.T) {
	_, target := startHost(t, remotetest.WSManOptions{Auth: "basic", HTTPS: true}, remote.WinRMSettings{})
	tr := dial(t, newTestDialer(Options{}), target)
	tests := []struct {
		name   string
		cmd    remote.Cmd
		stdout string
		exit   int
	}{
		{"UTF-8", remote.Cmd{Shell: `printf 'h\303\251llo \342\234\223 \360\237\230\200\n'`}, "héllo ✓ 😀\n", 0},
		{"bytes that are not UTF-8", remote.Cmd{Shell: `printf '\377\376\000x'`}, "\xff\xfe\x00x", 0},
		{"CDATA end in the command", remote.Cmd{Shell: "echo ']]>' 'a]]>b' && echo ok"}, "]]> a]]>b\nok\n", 0},
		{"XML special characters", remote.Cmd{Shell: `echo '<a href="x">&amp;</a>'`}, "<a href=\"x\">&amp;</a>\n", 0},
		{"quoted arguments", remote.Cmd{Args: []string{"echo", "a  b", "x&y", "<z>", ""}}, "a  b x&y <z> \n", 0},
		{"exit code", remote.Cmd{Shell: "exit 42"}, "", 42},
		{"large output", remote.Cmd{Shell: "head -c 1000000 /dev/zero"}, strings.Repeat("\x00", 1000000), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustRun(t, tr, tt.cmd)
			if out.stdout != tt.stdout || out.res.ExitCode != tt.exit {
				t.Errorf("stdout %.60q (%d bytes), exit %d; want %.60q, %d", out.stdout, len(out.stdout), out.res.ExitCode, tt.stdout, tt.exit)
			}
		})
	}
}

// streamWriter reports each write on a channel.
type streamWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes chan string
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	select {
	case w.writes <- string(p):
	default:
	}
	return len(p), nil
}

// TestOutputStreams checks that output arrives while the command still
// runs: the command waits for its own output to be seen.
func TestOutputStreams(t *testing.T) {
	s, target := startHost(t, remotetest.WSManOptions{Auth: "basic", HTTPS: true}, remote.WinRMSettings{})
	tr := dial(t, newTestDialer(Options{}), target)
	flag := filepath.Join(t.TempDir(), "seen")
	stdout := &streamWriter{writes: make(chan string, 16)}
	done := make(chan output, 1)
	go func() {
		res, err := tr.Run(testContext(t), &remote.Cmd{
			Shell:  "echo first; while [ ! -e " + flag + " ]; do sleep 0.05; done; echo second",
			Stdout: stdout,
		})
		done <- output{res: res, err: err}
	}()
	select {
	case first := <-stdout.writes:
		if first != "first\n" {
			t.Errorf("first write %q", first)
		}
	case out := <-done:
		t.Fatalf("the command ended before its first output was streamed: %v", out.err)
	}
	if err := os.WriteFile(flag, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out := <-done
	if out.err != nil || stdout.buf.String() != "first\nsecond\n" {
		t.Errorf("Run: %v, stdout %q", out.err, stdout.buf.String())
	}
	_ = s
}

func TestPowerShell(t *testing.T) {
	_, target := startHost(t, remotetest.WSManOptions{Auth: "basic", HTTPS: true}, remote.WinRMSettings{Shell: "powershell"})
	tr := dial(t, newTestDialer(Options{}), target)
	// The test server decodes -EncodedCommand and runs the script with
	// /bin/sh: a script valid in both shows it arrived intact.
	out := mustRun(t, tr, remote.Cmd{Shell: "echo 'ps ✓ ]]> \"x\" & y'; exit 4"})
	if out.stdout != "ps ✓ ]]> \"x\" & y\n" || out.res.ExitCode != 4 {
		t.Errorf("stdout %q, exit %d", out.stdout, out.res.ExitCode)
	}
}

func TestEnvAndDir(t *testing.T) {
	s, target := startHost(t, remotetest.WSManOptions{Auth: "basic", HTTPS: true}, remote.WinRMSettings{})
	tr := dial(t, newTestDialer(Options{}), target)
	dir := t.TempDir()
	out := mustRun(t, tr, remote.Cmd{
		Shell: `echo "$RCTEST_ONE|$RCTEST_TWO"; pwd -P`,
		Env:   map[string]string{"RCTEST_ONE": `<&"'>`, "RCTEST_TWO": "two words"},
		Dir:   dir,
	})
	realDir, _ := filepath.EvalSymlinks(dir)
	if want := `<&"'>|two words` + "\n" + realDir + "\n"; out.stdout != want {
		t.Errorf("stdout %q, want %q", out.stdout, want)
	}
	// That shell was the command's own, deleted after; the shared one
	// stays for the next command.
	if got := s.Shells(); got != 1 {
		t.Errorf("%d shells open, want the shared one", got)
	}
	if creates, deletes := countOps(s, remotetest.WSManOpCreate), countOps(s, remotetest.WSManOpDelete); creates != 2 || deletes != 1 {
		t.Errorf("%d Create and %d Delete requests, want 2 and 1", creates, deletes)
	}
	if out := runCmd(testContext(t), tr, remote.Cmd{Shell: "true", Env: map[string]string{"A=B": "x"}}); out.err == nil {
		t.Error("an environment variable named A=B was accepted")
	}
}

func TestShellReuse(t *testing.T) {
	s, target := startHost(t, remotetest.WSManOptions{Auth: "ntlm", HTTPS: true}, remote.WinRMSettings{})
	tr := dial(t, newTestDialer(Options{}), target)
	for i := range 3 {
		if out := mustRun(t, tr, remote.Cmd{Shell: "echo " + strconv.Itoa(i)}); out.stdout != strconv.Itoa(i)+"\n" {
			t.Errorf("run %d: %q", i, out.stdout)
		}
	}
	if n := countOps(s, remotetest.WSManOpCreate); n != 1 {
		t.Errorf("%d shells created for 3 commands, want 1", n)
	}
	// Concurrent commands: the shared shell serves one, the others get
	// shells of their own.
	var wg sync.WaitGroup
	outs := make([]output, 4)
	for i := range outs {
		wg.Go(func() { outs[i] = runCmd(testContext(t), tr, remote.Cmd{Shell: "sleep 0.2; echo " + strconv.Itoa(i)}) })
	}
	wg.Wait()
	for i, out := range outs {
		if out.err != nil || out.stdout != strconv.Itoa(i)+"\n" {
			t.Errorf("concurrent run %d: %q, %v", i, out.stdout, out.err)
		}
	}
	if got := s.Shells(); got != 1 {
		t.Errorf("%d shells open after the concurrent commands, want 1", got)
	}
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := s.Shells(); got != 0 {
		t.Errorf("%d shells open after Close", got)
	}
	if err := tr.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if out := runCmd(testContext(t), tr, remote.Cmd{Shell: "true"}); out.err == nil {
		t.Error("Run after Close succeeded")
	}
}

func TestRefusedCommands(t *testing.T) {
	_, target := startHost(t, remotetest.WSManOptions{Auth: "basic", HTTPS: true}, remote.WinRMSettings{})
	target.Become = true
	tr := dial(t, newTestDialer(Options{}), target)
	out := runCmd(testContext(t), tr, remote.Cmd{Shell: "whoami"})
	if out.err == nil || !strings.Contains(out.err.Error(), "become") || remote.HintOf(out.err) == "" {
		t.Errorf("become: %v", out.err)
	}
	ctx := testContext(t)
	errUp := tr.Upload(ctx, filepath.Join(t.TempDir(), "f"), strings.NewReader("x"), 0o600)
	errDown := tr.Download(ctx, "/etc/hostname", io.Discard)
	for op, err := range map[string]error{"upload": errUp, "download": errDown} {
		if err == nil || !strings.Contains(err.Error(), "become") {
			t.Errorf("%s with become: %v; want a refusal", op, err)
		}
	}
	target.Become = false
	tr = dial(t, newTestDialer(Options{}), target)
	out = runCmd(testContext(t), tr, remote.Cmd{Shell: "echo \x01"})
	if out.err == nil || remote.ClassOf(out.err) != remote.ClassOther {
		t.Errorf("a control character: %v", out.err)
	}
}

// TestTimeoutTerminates checks that a command outliving its deadline is
// signalled and its shell deleted, promptly, and that the transport goes on
// working.
func TestTimeoutTerminates(t *testing.T) {
	for _, mode := range []string{"timeout", "cancel"} {
		t.Run(mode, func(t *testing.T) {
			s, target := startHost(t, remotetest.WSManOptions{Seal: true}, remote.WinRMSettings{})
			tr := dial(t, newTestDialer(Options{}), target)
			ctx, cancel := context.WithTimeout(testContext(t), 2*time.Second)
			defer cancel()
			stdout := &streamWriter{writes: make(chan string, 1)}
			if mode == "cancel" {
				ctx, cancel = context.WithCancel(testContext(t))
				defer cancel()
				go func() {
					<-stdout.writes // interrupted once it runs
					cancel()
				}()
			}
			res, err := tr.Run(ctx, &remote.Cmd{Shell: "echo started; sleep 60", Stdout: stdout})
			want := map[string]remote.Class{"timeout": remote.ClassTimeout, "cancel": remote.ClassCancelled}[mode]
			if remote.ClassOf(err) != want || res.ExitCode != -1 {
				t.Fatalf("Run = %+v, %v; want a %v error", res, err, want)
			}
			if got := s.Signals(); !slices.Equal(got, []string{"terminate"}) {
				t.Errorf("signals %q, want [terminate]", got)
			}
			if got := s.Shells(); got != 0 {
				t.Errorf("%d shells open after the interrupted command", got)
			}
			if pids := s.Processes(); len(pids) != 0 {
				t.Errorf("processes still running: %v", pids)
			}
			if out := mustRun(t, tr, remote.Cmd{Shell: "echo again"}); out.stdout != "again\n" {
				t.Errorf("after the interruption: %q", out.stdout)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	basic := remotetest.WSManOptions{Auth: "basic", HTTPS: true}
	withFaults := func(f remotetest.WSManFaults) remotetest.WSManOptions {
		o := basic
		o.Faults = f
		return o
	}

	t.Run("500 on Create", func(t *testing.T) {
		_, target := startHost(t, withFaults(remotetest.WSManFaults{Status500On: "Create"}), remote.WinRMSettings{})
		_, err := newTestDialer(Options{}).Dial(testContext(t), target)
		if remote.ClassOf(err) != remote.ClassProtocol || !strings.Contains(err.Error(), "injected fault") {
			t.Errorf("Dial: %v", err)
		}
	})
	t.Run("500 on Command", func(t *testing.T) {
		s, target := startHost(t, withFaults(remotetest.WSManFaults{Status500On: "Command"}), remote.WinRMSettings{})
		tr := dial(t, newTestDialer(Options{}), target)
		out := runCmd(testContext(t), tr, remote.Cmd{Shell: "echo hi"})
		if remote.ClassOf(out.err) != remote.ClassOther || !strings.Contains(out.err.Error(), "injected fault") {
			t.Errorf("Run: %v", out.err)
		}
		if got := s.Shells(); got != 0 {
			t.Errorf("%d shells left", got)
		}
	})
	t.Run("500 on Receive", func(t *testing.T) {
		s, target := startHost(t, withFaults(remotetest.WSManFaults{Status500On: "Receive"}), remote.WinRMSettings{})
		tr := dial(t, newTestDialer(Options{}), target)
		out := runCmd(testContext(t), tr, remote.Cmd{Shell: "sleep 60"})
		if remote.ClassOf(out.err) != remote.ClassOther || !strings.Contains(out.err.Error(), "injected fault") {
			t.Errorf("Run: %v", out.err)
		}
		if n := countOps(s, remotetest.WSManOpReceive); n != 1 {
			t.Errorf("%d Receive requests, want 1", n)
		}
		if got := s.Signals(); !slices.Equal(got, []string{"terminate"}) || s.Shells() != 0 {
			t.Errorf("signals %q, %d shells: the command must be terminated and its shell deleted", got, s.Shells())
		}
	})
	t.Run("500 on Send: input refused, command unaffected", func(t *testing.T) {
		_, target := startHost(t, withFaults(remotetest.WSManFaults{Status500On: "Send"}), remote.WinRMSettings{})
		tr := dial(t, newTestDialer(Options{}), target)
		if out := mustRun(t, tr, remote.Cmd{Shell: "echo hi"}); out.stdout != "hi\n" {
			t.Errorf("stdout %q", out.stdout)
		}
	})
	t.Run("500 on Signal: the shell is deleted anyway", func(t *testing.T) {
		s, target := startHost(t, withFaults(remotetest.WSManFaults{Status500On: "Signal"}), remote.WinRMSettings{})
		tr := dial(t, newTestDialer(Options{}), target)
		ctx, cancel := context.WithTimeout(testContext(t), 1500*time.Millisecond)
		defer cancel()
		if out := runCmd(ctx, tr, remote.Cmd{Shell: "sleep 60"}); remote.ClassOf(out.err) != remote.ClassTimeout {
			t.Errorf("Run: %v", out.err)
		}
		if got := s.Shells(); got != 0 {
			t.Errorf("%d shells left", got)
		}
	})
	t.Run("500 on Delete", func(t *testing.T) {
		_, target := startHost(t, withFaults(remotetest.WSManFaults{Status500On: "Delete"}), remote.WinRMSettings{})
		tr := dial(t, newTestDialer(Options{}), target)
		if out := mustRun(t, tr, remote.Cmd{Shell: "echo own shell", Dir: t.TempDir()}); out.stdout != "own shell\n" {
			t.Errorf("a command whose shell cannot be deleted: %q", out.stdout)
		}
		if err := tr.Close(); err == nil || !strings.Contains(err.Error(), "injected fault") {
			t.Errorf("Close: %v", err)
		}
	})
	t.Run("slow replies", func(t *testing.T) {
		_, target := startHost(t, withFaults(remotetest.WSManFaults{SlowReply: 300 * time.Millisecond}), remote.WinRMSettings{})
		tr := dial(t, newTestDialer(Options{}), target)
		if out := mustRun(t, tr, remote.Cmd{Shell: "echo slow"}); out.stdout != "slow\n" {
			t.Errorf("stdout %q", out.stdout)
		}
	})
	for _, op := range []string{"Create", "Command", "Receive", "Send"} {
		t.Run("connection dropped on "+op, func(t *testing.T) {
			s, target := startHost(t, withFaults(remotetest.WSManFaults{DropOn: op}), remote.WinRMSettings{})
			d := newTestDialer(Options{})
			if op == "Create" {
				_, err := d.Dial(testContext(t), target)
				if c := remote.ClassOf(err); c != remote.ClassProtocol || !c.Transient() {
					t.Errorf("Dial: %v; want a transient protocol error, retried by the runner", err)
				}
				return
			}
			tr := dial(t, d, target)
			out := runCmd(testContext(t), tr, remote.Cmd{Shell: "cat", Stdin: strings.NewReader("data")})
			if remote.ClassOf(out.err) != remote.ClassLost || remote.HintOf(out.err) == "" {
				t.Errorf("Run: %v; want the connection reported lost", out.err)
			}
			if got := s.Shells(); got != 0 {
				t.Errorf("%d shells left", got)
			}
		})
	}
	t.Run("shell not found on Receive", func(t *testing.T) {
		s, target := startHost(t, withFaults(remotetest.WSManFaults{ShellNotFoundOnReceive: true}), remote.WinRMSettings{})
		tr := dial(t, newTestDialer(Options{}), target)
		out := runCmd(testContext(t), tr, remote.Cmd{Shell: "echo hi"})
		if remote.ClassOf(out.err) != remote.ClassLost || !strings.Contains(out.err.Error(), "2150858843") {
			t.Errorf("Run: %v", out.err)
		}
		if n := countOps(s, remotetest.WSManOpReceive); n != 1 {
			t.Errorf("%d Receive requests: a fault must end the polling", n)
		}
	})
}

func TestUnauthorized(t *testing.T) {
	t.Run("basic: first request", func(t *testing.T) {
		_, target := startHost(t, remotetest.WSManOptions{Auth: "basic", HTTPS: true,
			Faults: remotetest.WSManFaults{UnauthorizedOnRequest: 1}}, remote.WinRMSettings{})
		_, err := newTestDialer(Options{}).Dial(testContext(t), target)
		hint := remote.HintOf(err)
		if remote.ClassOf(err) != remote.ClassAuth || !strings.Contains(hint, "Negotiate, Basic") {
			t.Errorf("Dial: %v (hint %q); want an auth error naming the offered schemes", err, hint)
		}
	})
	t.Run("basic: during a command", func(t *testing.T) {
		s, target := startHost(t, remotetest.WSManOptions{Auth: "basic", HTTPS: true,
			Faults: remotetest.WSManFaults{UnauthorizedOnRequest: 2}}, remote.WinRMSettings{})
		tr := dial(t, newTestDialer(Options{}), target)
		if out := runCmd(testContext(t), tr, remote.Cmd{Shell: "echo hi"}); remote.ClassOf(out.err) != remote.ClassAuth {
			t.Errorf("Run: %v", out.err)
		}
		if out := mustRun(t, tr, remote.Cmd{Shell: "echo again"}); out.stdout != "again\n" {
			t.Errorf("the next command: %q", out.stdout)
		}
		_ = s
	})
	for _, mode := range []struct {
		name string
		opts remotetest.WSManOptions
	}{
		{"NTLM", remotetest.WSManOptions{Auth: "ntlm", HTTPS: true}},
		{"NTLM sealed", remotetest.WSManOptions{Seal: true}},
	} {
		t.Run(mode.name+": the connection is authenticated again", func(t *testing.T) {
			opts := mode.opts
			opts.Faults.UnauthorizedOnRequest = 4 // the first Command
			s, target := startHost(t, opts, remote.WinRMSettings{})
			tr := dial(t, newTestDialer(Options{}), target)
			if out := mustRun(t, tr, remote.Cmd{Shell: "echo hi"}); out.stdout != "hi\n" {
				t.Errorf("stdout %q", out.stdout)
			}
			reqs := s.Requests()
			if r := reqs[3]; r.Status != http.StatusUnauthorized || r.Sealed != mode.opts.Seal {
				t.Errorf("request 4: %+v; want the injected 401", r)
			}
			if n := countOps(s, remotetest.WSManOpCommand); n != 1 {
				t.Errorf("%d Command requests performed, want 1", n)
			}
		})
		t.Run(mode.name+": wrong password", func(t *testing.T) {
			_, target := startHost(t, mode.opts, remote.WinRMSettings{})
			target.Password = "wrong"
			_, err := newTestDialer(Options{}).Dial(testContext(t), target)
			if remote.ClassOf(err) != remote.ClassAuth || !strings.Contains(remote.HintOf(err), "password") {
				t.Errorf("Dial: %v (hint %q)", err, remote.HintOf(err))
			}
		})
	}
}

func TestTLS(t *testing.T) {
	s, target := startHost(t, remotetest.WSManOptions{Auth: "basic", HTTPS: true}, remote.WinRMSettings{})

	untrusted := target
	untrusted.WinRM.CACert = ""
	_, err := newTestDialer(Options{}).Dial(testContext(t), untrusted)
	if remote.ClassOf(err) != remote.ClassProtocol || !strings.Contains(remote.HintOf(err), "winrm_ca_cert") {
		t.Errorf("untrusted certificate: %v (hint %q)", err, remote.HintOf(err))
	}

	var warnings bytes.Buffer
	d := newTestDialer(Options{Warn: &warnings})
	insecure := untrusted
	insecure.WinRM.Insecure = true
	for range 2 {
		tr := dial(t, d, insecure)
		if out := mustRun(t, tr, remote.Cmd{Shell: "echo insecure"}); out.stdout != "insecure\n" {
			t.Errorf("stdout %q", out.stdout)
		}
	}
	if n := strings.Count(warnings.String(), "warning:"); n != 1 || !strings.Contains(warnings.String(), insecure.Name) {
		t.Errorf("warnings: %q; want one naming %s", warnings.String(), insecure.Name)
	}

	plain := target
	plain.WinRM.HTTPS = boolPtr(false)
	plain.WinRM.AllowUnencrypted = true
	if _, err := newTestDialer(Options{}).Dial(testContext(t), plain); remote.ClassOf(err) != remote.ClassProtocol {
		t.Errorf("HTTP to an HTTPS listener: %v", err)
	}

	httpServer, httpTarget := startHost(t, remotetest.WSManOptions{Auth: "basic", AllowUnencrypted: true}, remote.WinRMSettings{AllowUnencrypted: true})
	httpTarget.WinRM.HTTPS = boolPtr(true)
	httpTarget.WinRM.CACert = s.CACertFile
	_, err = newTestDialer(Options{}).Dial(testContext(t), httpTarget)
	if remote.ClassOf(err) != remote.ClassProtocol || !strings.Contains(remote.HintOf(err), "winrm_https: false") {
		t.Errorf("HTTPS to an HTTP listener: %v (hint %q)", err, remote.HintOf(err))
	}
	_ = httpServer
}

func TestDialErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	target := remote.Target{Name: "gone", Address: "127.0.0.1", Port: port, User: "u", Password: "p"}
	_, err = newTestDialer(Options{}).Dial(testContext(t), target)
	if remote.ClassOf(err) != remote.ClassRefused || remote.HintOf(err) == "" {
		t.Errorf("closed port: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newTestDialer(Options{}).Dial(ctx, target); remote.ClassOf(err) != remote.ClassCancelled {
		t.Errorf("cancelled: %v", err)
	}
}

// TestDefaultParametersUntouched checks that the library's shared defaults
// are never used nor changed.
func TestDefaultParametersUntouched(t *testing.T) {
	before := *winrm.DefaultParameters
	_, target := startHost(t, remotetest.WSManOptions{Auth: "ntlm", HTTPS: true}, remote.WinRMSettings{})
	tr := dial(t, newTestDialer(Options{OperationTimeout: 3 * time.Second}), target)
	mustRun(t, tr, remote.Cmd{Shell: "true"})
	after := *winrm.DefaultParameters
	if after.Timeout != before.Timeout || after.Locale != before.Locale || after.EnvelopeSize != before.EnvelopeSize ||
		after.TransportDecorator != nil || after.Dial != nil {
		t.Errorf("winrm.DefaultParameters changed: %+v -> %+v", before, after)
	}
	if p := tr.Client().Parameters; p.Timeout != "PT3S" || p.TransportDecorator == nil {
		t.Errorf("the client's own parameters: %+v", p)
	}
}

// TestLibraryClient runs the winrm library's own command loop over the
// transporter: it works, and a Receive fault ends it instead of making it
// spin.
func TestLibraryClient(t *testing.T) {
	_, target := startHost(t, remotetest.WSManOptions{Auth: "basic", HTTPS: true}, remote.WinRMSettings{})
	tr := dial(t, newTestDialer(Options{}), target)
	stdout, stderr, code, err := tr.Client().RunCmdWithContext(testContext(t), "echo library; exit 5")
	if err != nil || stdout != "library\n" || stderr != "" || code != 5 {
		t.Errorf("RunCmdWithContext = %q, %q, %d, %v", stdout, stderr, code, err)
	}

	s, target := startHost(t, remotetest.WSManOptions{Auth: "basic", HTTPS: true,
		Faults: remotetest.WSManFaults{ShellNotFoundOnReceive: true}}, remote.WinRMSettings{})
	tr = dial(t, newTestDialer(Options{}), target)
	if _, _, _, err := tr.Client().RunCmdWithContext(testContext(t), "echo hi"); err == nil {
		t.Error("a shell-not-found fault was taken for a reply")
	}
	if n := countOps(s, remotetest.WSManOpReceive); n > 2 {
		t.Errorf("%d Receive requests after a fault: the library loop spun", n)
	}
}

// TestRunner runs one command on 20 hosts at once, in every
// authentication mode, through remote.Runner.
func TestRunner(t *testing.T) {
	d := newTestDialer(Options{})
	var targets []remote.Target
	for i := range 20 {
		mode := authModes[i%len(authModes)]
		_, target := startHost(t, mode.server, mode.settings)
		target.Name = fmt.Sprintf("win%02d", i)
		targets = append(targets, target)
	}
	job := func(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
		return tr.Run(ctx, &remote.Cmd{Shell: "echo hello from " + hio.Target.Name + "; exit 7", Stdout: hio.Stdout, Stderr: hio.Stderr})
	}
	runner := &remote.Runner{Dialer: d, Forks: 20, Timeout: 30 * time.Second}
	outputs := map[string]string{}
	done := 0
	for ev := range runner.Run(testContext(t), targets, job) {
		switch ev.Kind {
		case remote.EventOutput:
			outputs[ev.Target.Name] += string(ev.Data)
		case remote.EventDone:
			done++
			if ev.Err != nil || ev.Result.ExitCode != 7 {
				t.Errorf("%s: %+v, %v", ev.Target.Name, ev.Result, ev.Err)
			}
		}
	}
	if done != len(targets) {
		t.Errorf("%d hosts done, want %d", done, len(targets))
	}
	for _, target := range targets {
		if want := "hello from " + target.Name + "\n"; outputs[target.Name] != want {
			t.Errorf("%s: output %q, want %q", target.Name, outputs[target.Name], want)
		}
	}
}

// TestNTLMDomainUser logs in as DOMAIN\user, with and without sealing.
func TestNTLMDomainUser(t *testing.T) {
	for _, opts := range []remotetest.WSManOptions{
		{Auth: "ntlm", HTTPS: true, Domain: "CORP"},
		{Seal: true, Domain: "CORP"},
	} {
		s, target := startHost(t, opts, remote.WinRMSettings{})
		target.User = `CORP\` + s.User
		tr := dial(t, newTestDialer(Options{}), target)
		if out := mustRun(t, tr, remote.Cmd{Shell: "echo domain"}); out.stdout != "domain\n" {
			t.Errorf("seal %v: stdout %q", opts.Seal, out.stdout)
		}
	}
}

// TestEncryptionRequired: with message encryption turned off ("never", as
// Ansible's ansible_winrm_message_encryption), a server that requires
// encryption refuses the first message with access denied; that is the
// host's settings at fault, not the user's rights. A wrong password stays an
// authentication failure, with encryption on or off.
func TestEncryptionRequired(t *testing.T) {
	s, target := startHost(t, remotetest.WSManOptions{Seal: true}, remote.WinRMSettings{MessageEncryption: "never"})
	_, err := newTestDialer(Options{}).Dial(testContext(t), target)
	if remote.ClassOf(err) != remote.ClassConfig || !strings.Contains(err.Error(), "requires message encryption") ||
		!strings.Contains(remote.HintOf(err), "winrm_message_encryption: never") {
		t.Errorf("never against a sealing server: %v (class %v, hint %q); want a config error", err, remote.ClassOf(err), remote.HintOf(err))
	}
	if n := s.Shells(); n != 0 {
		t.Errorf("%d shells left open on the server", n)
	}

	for _, encryption := range []string{"never", "auto"} {
		wrong := target
		wrong.WinRM.MessageEncryption = encryption
		wrong.Password = "wrong"
		_, err := newTestDialer(Options{}).Dial(testContext(t), wrong)
		if remote.ClassOf(err) != remote.ClassAuth || !strings.Contains(remote.HintOf(err), "password") {
			t.Errorf("encryption %s, wrong password: %v (class %v, hint %q); want auth", encryption, err, remote.ClassOf(err), remote.HintOf(err))
		}
	}

	// A user who may not use the service is denied sealed or not: that
	// stays an authentication failure, whatever the server's encryption.
	for _, server := range []remotetest.WSManOptions{{Seal: true}, {Auth: "ntlm", AllowUnencrypted: true}} {
		server.Faults.AccessDenied = true
		_, target := startHost(t, server, remote.WinRMSettings{Auth: "ntlm", MessageEncryption: "never"})
		_, err := newTestDialer(Options{}).Dial(testContext(t), target)
		if remote.ClassOf(err) != remote.ClassAuth || remote.HintOf(err) != hintDenied {
			t.Errorf("%+v, never, user denied: %v (class %v, hint %q); want auth", server, err, remote.ClassOf(err), remote.HintOf(err))
		}
	}
}
