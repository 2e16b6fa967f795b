//go:build unix

package local

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/remotectl/remotectl/remote"

	"github.com/remotectl/remotectl/remote/remotetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTimeout bounds every wait, so a bug fails a test instead of hanging it.
const testTimeout = 20 * time.Second

func dial(t *testing.T) remote.Transport {
	t.Helper()
	tr, err := Dialer{}.Dial(context.Background(), remote.Target{Name: "localhost", Transport: remote.KindLocal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// run runs c with a bounded context and returns its output.
func run(t *testing.T, c remote.Cmd) (stdout, stderr string, res remote.Result, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	res, err = dial(t).Run(ctx, &c)
	return out.String(), errOut.String(), res, err
}

func TestRunCommands(t *testing.T) {
	dir := t.TempDir()
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		cmd            remote.Cmd
		stdout, stderr string
		exit           int
	}{
		{"exit code", remote.Cmd{Shell: "exit 3"}, "", "", 3},
		{"stdout and stderr apart", remote.Cmd{Shell: "echo out; echo err >&2"}, "out\n", "err\n", 0},
		{"args run without a shell", remote.Cmd{Args: []string{"printf", "%s|", "a b", "$HOME", "*"}}, "a b|$HOME|*|", "", 0},
		{"env added", remote.Cmd{Shell: `echo "$RCTL_A $RCTL_B"`, Env: map[string]string{"RCTL_A": "1", "RCTL_B": "two words"}}, "1 two words\n", "", 0},
		{"env inherited", remote.Cmd{Shell: `test -n "$PATH" && echo yes`}, "yes\n", "", 0},
		{"dir", remote.Cmd{Args: []string{"pwd", "-P"}, Dir: dir}, realDir + "\n", "", 0},
		{"stdin", remote.Cmd{Args: []string{"cat"}, Stdin: strings.NewReader("in\x00put")}, "in\x00put", "", 0},
		{"no stdin reads nothing", remote.Cmd{Args: []string{"cat"}}, "", "", 0},
		{"not found", remote.Cmd{Args: []string{"remotectl-no-such-command"}}, "", "remotectl-no-such-command: command not found\n", 127},
		{"not found by path", remote.Cmd{Args: []string{"./no-such-file"}, Dir: dir}, "", "./no-such-file: command not found\n", 127},
		{"not found in a shell", remote.Cmd{Shell: "remotectl-no-such-command 2>/dev/null"}, "", "", 127},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, res, err := run(t, tt.cmd)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if stdout != tt.stdout || stderr != tt.stderr || res.ExitCode != tt.exit || res.Signal != "" {
				t.Errorf("got stdout %q stderr %q result %+v; want %q, %q, exit %d", stdout, stderr, res, tt.stdout, tt.stderr, tt.exit)
			}
		})
	}
}

func TestRunNotExecutable(t *testing.T) {
	// execve needs an execute bit even for root.
	script := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, res, err := run(t, remote.Cmd{Args: []string{script}})
	if err != nil || res.ExitCode != 126 || !strings.Contains(stderr, "permission denied") {
		t.Errorf("got %+v, %v, stderr %q; want exit 126 and a message", res, err, stderr)
	}
}

func TestRunSignal(t *testing.T) {
	_, _, res, err := run(t, remote.Cmd{Shell: "kill -TERM $$"})
	if err != nil || res.ExitCode != -1 || res.Signal != "TERM" {
		t.Errorf("got %+v, %v; want exit -1, signal TERM", res, err)
	}
}

func TestRunReturnsDespiteBackgroundOutputHolders(t *testing.T) {
	// The background sleep keeps stdout open after the shell exits: Run
	// waits a little for its output, then returns the shell's status.
	stdout, _, res, err := run(t, remote.Cmd{Shell: "sleep 5 & echo hi; exit 4"})
	if err != nil || res.ExitCode != 4 || stdout != "hi\n" {
		t.Errorf("got %q, %+v, %v; want \"hi\\n\", exit 4", stdout, res, err)
	}
}

func TestRunRejectsBadCommands(t *testing.T) {
	tests := []struct {
		name string
		cmd  remote.Cmd
		want string
	}{
		{"empty", remote.Cmd{}, "empty command"},
		{"both", remote.Cmd{Shell: "true", Args: []string{"true"}}, "both"},
		{"become", remote.Cmd{Args: []string{"true"}, Become: true}, "not supported"},
		{"missing dir", remote.Cmd{Args: []string{"true"}, Dir: "/nonexistent/remotectl"}, "working directory"},
		{"bad env", remote.Cmd{Args: []string{"true"}, Env: map[string]string{"A=B": "c"}}, "invalid environment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := run(t, tt.cmd)
			if remote.ClassOf(err) != remote.ClassOther || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v; want a ClassOther error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestRunAfterClose(t *testing.T) {
	tr := dial(t)
	tr.Close()
	if _, err := tr.Run(context.Background(), &remote.Cmd{Args: []string{"true"}}); err == nil {
		t.Error("Run after Close succeeded")
	}
}

func TestRunTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := dial(t).Run(ctx, &remote.Cmd{Args: []string{"sleep", "300"}})
	if !errors.Is(err, remote.ClassTimeout) {
		t.Errorf("err = %v; want ClassTimeout", err)
	}
}

// TestCancelKillsTheProcessGroup starts background children (one of which
// ignores SIGTERM), cancels, and checks that none is left.
func TestCancelKillsTheProcessGroup(t *testing.T) {
	dir := t.TempDir()
	script := `sleep 300 & echo $! > pid1
(trap '' TERM; exec sleep 301) & echo $! > pid2
wait`
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := dial(t).Run(ctx, &remote.Cmd{Shell: script, Dir: dir})
		errc <- err
	}()
	pids := []int{waitForPid(t, filepath.Join(dir, "pid1")), waitForPid(t, filepath.Join(dir, "pid2"))}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, remote.ClassCancelled) {
			t.Errorf("err = %v; want ClassCancelled", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Run did not return after cancel")
	}
	for _, pid := range pids {
		if !gone(pid) {
			t.Errorf("child %d is still running after cancel", pid)
		}
	}
}

// TestCancelEscalatesToKill runs a command that ignores SIGTERM and holds
// its output pipe: it must still be stopped, with SIGKILL.
func TestCancelEscalatesToKill(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &remotetest.SyncBuffer{}
	errc := make(chan error, 1)
	go func() {
		_, err := dial(t).Run(ctx, &remote.Cmd{Shell: "trap '' TERM; sleep 302 & echo $! > pid; wait", Dir: dir, Stdout: out})
		errc <- err
	}()
	pid := waitForPid(t, filepath.Join(dir, "pid"))
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, remote.ClassCancelled) {
			t.Errorf("err = %v; want ClassCancelled", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Run did not return after cancel")
	}
	if !gone(pid) {
		t.Errorf("child %d survived the cancel", pid)
	}
}

// waitForPid reads a pid the test's command writes to file.
func waitForPid(t *testing.T, file string) int {
	t.Helper()
	for deadline := time.Now().Add(testTimeout); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile(file)
		if err != nil || !bytes.HasSuffix(b, []byte("\n")) {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return pid
	}
	t.Fatalf("%s was never written", file)
	return 0
}

// gone reports whether pid has exited (a zombie counts as exited: nobody
// may reap orphans in a container), waiting a while for a kill to land.
func gone(pid int) bool {
	for deadline := time.Now().Add(testTimeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if runtime.GOOS == "linux" {
			stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			if err != nil {
				return true
			}
			// The state follows the command name in parentheses.
			if i := bytes.LastIndexByte(stat, ')'); i >= 0 && bytes.HasPrefix(stat[i+1:], []byte(" Z")) {
				return true
			}
			continue
		}
		if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			return true
		}
	}
	return false
}

func TestUploadDownload(t *testing.T) {
	dir := t.TempDir()
	tr := dial(t)
	ctx := context.Background()
	dst := filepath.Join(dir, "file")
	if err := tr.Upload(ctx, dst, strings.NewReader("content\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dst)
	if err != nil || info.Mode().Perm() != 0o640 {
		t.Fatalf("uploaded file: %v, %v; want mode 0640", info, err)
	}
	if err := tr.Upload(ctx, dst, strings.NewReader("replaced\n"), 0); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := tr.Download(ctx, dst, &got); err != nil || got.String() != "replaced\n" {
		t.Errorf("Download = %q, %v; want the replaced content", got.String(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the directory; want only the uploaded one (no temporary left)", len(entries))
	}
}

func TestUploadDownloadErrors(t *testing.T) {
	dir := t.TempDir()
	tr := dial(t)
	ctx := context.Background()

	err := tr.Upload(ctx, filepath.Join(dir, "missing", "file"), strings.NewReader("x"), 0)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(remote.HintOf(err), "create") {
		t.Errorf("upload into a missing directory: %v (hint %q); want not-exist with a hint", err, remote.HintOf(err))
	}
	if err := tr.Upload(ctx, dir, strings.NewReader("x"), 0); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("upload onto a directory: %v; want an error", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := tr.Upload(cancelled, filepath.Join(dir, "f"), strings.NewReader("x"), 0); !errors.Is(err, remote.ClassCancelled) {
		t.Errorf("upload with a cancelled context: %v; want ClassCancelled", err)
	}
	var sink bytes.Buffer
	if err := tr.Download(ctx, filepath.Join(dir, "missing"), &sink); !errors.Is(err, fs.ErrNotExist) || remote.HintOf(err) == "" {
		t.Errorf("download of a missing file: %v; want not-exist with a hint", err)
	}
	if err := tr.Download(ctx, dir, &sink); err == nil {
		t.Error("download of a directory succeeded")
	}
}

// TestBecomeRefused checks that a target asking for become is refused, for
// commands and file transfers alike, rather than served as the controller's
// own user.
func TestBecomeRefused(t *testing.T) {
	tr, err := Dialer{}.Dial(context.Background(), remote.Target{Name: "localhost", Transport: remote.KindLocal, Become: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	dir := t.TempDir()
	ctx := context.Background()
	_, err = tr.Run(ctx, &remote.Cmd{Args: []string{"true"}})
	errUp := tr.Upload(ctx, filepath.Join(dir, "f"), strings.NewReader("x"), 0o600)
	errDown := tr.Download(ctx, filepath.Join(dir, "f"), io.Discard)
	for op, err := range map[string]error{"run": err, "upload": errUp, "download": errDown} {
		if err == nil || !strings.Contains(err.Error(), "become") || remote.HintOf(err) == "" {
			t.Errorf("%s with become: %v (hint %q); want a refusal with a hint", op, err, remote.HintOf(err))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "f")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("upload with become wrote the file: %v", err)
	}
}

func TestOS(t *testing.T) {
	want := map[string]remote.OSFamily{"linux": remote.OSLinux, "darwin": remote.OSUnix, "freebsd": remote.OSUnix}[runtime.GOOS]
	if got := dial(t).OS(); want != "" && got != want {
		t.Errorf("OS() = %q on %s; want %q", got, runtime.GOOS, want)
	}
}

func TestRunWithContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := dial(t).Run(ctx, &remote.Cmd{Args: []string{"true"}}); !errors.Is(err, remote.ClassCancelled) {
		t.Errorf("Run with a cancelled context: %v; want ClassCancelled", err)
	}
}

func TestDialCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Dialer{}).Dial(ctx, remote.Target{}); !errors.Is(err, remote.ClassCancelled) {
		t.Errorf("Dial with a cancelled context: %v; want ClassCancelled", err)
	}
}

// TestWithRunner runs the local transport under the runner: output streams
// as events and a hung command becomes that host's timeout, its process
// killed.
func TestWithRunner(t *testing.T) {
	dir := t.TempDir()
	commands := map[string]string{
		"fast": "echo hi; echo oops >&2",
		"hung": "echo $$ > hung.pid; exec sleep 300",
	}
	// Jobs do not see their target: the dialer hands each host's command
	// to its transport.
	dialer := remote.DialerFunc(func(ctx context.Context, t remote.Target) (remote.Transport, error) {
		tr, err := Dialer{}.Dial(ctx, t)
		return hostCommand{tr, commands[t.Name]}, err
	})
	job := func(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
		return tr.Run(ctx, &remote.Cmd{Dir: dir, Stdout: hio.Stdout, Stderr: hio.Stderr})
	}
	targets := []remote.Target{{Name: "fast"}, {Name: "hung"}}
	r := &remote.Runner{Dialer: dialer, Timeout: 500 * time.Millisecond}
	var stdout, stderr bytes.Buffer
	errs := make([]error, len(targets))
	for ev := range r.Run(context.Background(), targets, job) {
		switch {
		case ev.Kind == remote.EventOutput && ev.Stream == remote.Stdout:
			stdout.Write(ev.Data)
		case ev.Kind == remote.EventOutput:
			stderr.Write(ev.Data)
		case ev.Kind == remote.EventDone:
			errs[ev.Index] = ev.Err
		}
	}
	if errs[0] != nil || stdout.String() != "hi\n" || stderr.String() != "oops\n" {
		t.Errorf("fast: err %v, stdout %q, stderr %q; want success with its output", errs[0], stdout.String(), stderr.String())
	}
	if !errors.Is(errs[1], remote.ClassTimeout) {
		t.Errorf("hung: err %v; want ClassTimeout", errs[1])
	}
	if pid := waitForPid(t, filepath.Join(dir, "hung.pid")); !gone(pid) {
		t.Errorf("hung: process %d survived its timeout", pid)
	}
}

// hostCommand is a transport that runs one shell command whatever it is
// asked.
type hostCommand struct {
	remote.Transport
	shell string
}

func (h hostCommand) Run(ctx context.Context, c *remote.Cmd) (remote.Result, error) {
	c.Shell = h.shell
	return h.Transport.Run(ctx, c)
}
