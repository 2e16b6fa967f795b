// Package local is the transport for the controller itself: commands run
// with os/exec and files are copied on the local file system, so "localhost"
// works with no inventory and no SSH server.
//
// Commands behave as they would on a remote POSIX host:
//   - Cmd.Args runs the program directly (found on PATH), Cmd.Shell runs
//     through /bin/sh -c (cmd /C on Windows);
//   - a program that is not found exits 127, and one that cannot be executed
//     exits 126, each with a message on standard error, as a shell reports
//     them: they are results, not transport failures;
//   - a command killed by a signal has ExitCode -1 and Signal set to the
//     signal's name without "SIG" ("KILL", "TERM", ...);
//   - when the context is done, the command's whole process group is sent
//     SIGTERM and, 2 s later, SIGKILL, so no child is left behind; Run then
//     returns a ClassTimeout or ClassCancelled error. (On Windows only the
//     process itself is killed.)
//
// Every command gets REMOTECTL_HOST set to the target's inventory name.
//
// After a command exits, output still written by background processes it
// left holding its stdout or stderr is collected for 2 s more.
//
// Cmd.PTY is ignored (commands get pipes) and Cmd.Become is not supported.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// killDelay is how long a command has to exit after SIGTERM before SIGKILL,
// and how long output is collected after it exits.
const killDelay = 2 * time.Second

// Exit codes of commands that cannot start, as POSIX shells report them.
const (
	exitNotExecutable = 126
	exitNotFound      = 127
)

// Dialer opens transports to the controller itself. The zero Dialer is ready
// to use.
type Dialer struct{}

// Dial implements remote.Dialer. It never fails unless ctx is done.
func (Dialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	if err := ctx.Err(); err != nil {
		return nil, remote.Wrap(remote.ClassOf(err), "dial", err)
	}
	return &transport{name: t.Name, become: t.Become}, nil
}

// HostEnv is the environment variable that tells a command run by the local
// transport which inventory host it runs as, so several local "hosts" (for
// example in tests or in a playbook delegating to the controller) can tell
// themselves apart.
const HostEnv = "REMOTECTL_HOST"

type transport struct {
	name   string
	become bool // the target asks for become, which this transport refuses
	closed atomic.Bool
}

// Run runs cmd on the controller. See the package documentation.
func (t *transport) Run(ctx context.Context, c *remote.Cmd) (remote.Result, error) {
	if err := t.check("run"); err != nil {
		return remote.Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return remote.Result{}, &remote.Error{Class: remote.ClassOf(err), Op: "run", Err: err}
	}
	argv, err := commandLine(c)
	if err != nil {
		return remote.Result{}, err
	}
	if err := checkDir(c.Dir); err != nil {
		return remote.Result{}, err
	}
	env, err := environ(c.Env, t.name)
	if err != nil {
		return remote.Result{}, err
	}

	start := time.Now()
	path, err := lookPath(argv[0])
	if err != nil {
		return cannotStart(c.Stderr, argv[0], err, start)
	}
	cmd := exec.CommandContext(ctx, path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Dir = c.Dir
	cmd.Env = env
	cmd.Stdin = c.Stdin
	cmd.Stdout = c.Stdout
	cmd.Stderr = c.Stderr
	cmd.WaitDelay = killDelay
	startProcessGroup(cmd)
	var interrupted atomic.Bool
	cmd.Cancel = func() error {
		interrupted.Store(true)
		return terminate(cmd.Process)
	}

	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return remote.Result{}, &remote.Error{Class: remote.ClassOf(ctx.Err()), Op: "run", Err: err}
		}
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return cannotStart(c.Stderr, argv[0], err, start)
		}
		return remote.Result{}, remote.Wrap(remote.ClassOther, "run", err)
	}
	waitErr := cmd.Wait()
	res := remote.Result{Duration: time.Since(start)}
	if interrupted.Load() {
		kill(cmd.Process) // whatever ignored SIGTERM
		return res, &remote.Error{Class: remote.ClassOf(ctx.Err()), Op: "run", Err: ctx.Err()}
	}
	res.ExitCode, res.Signal = exitStatus(cmd.ProcessState)
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		// The command ran, but its input or output could not be copied.
		return res, remote.Wrap(remote.ClassOther, "run", waitErr)
	}
	return res, nil
}

// commandLine returns the argv that runs c.
func commandLine(c *remote.Cmd) ([]string, error) {
	switch {
	case c.Become:
		return nil, errBecome("run")
	case c.Shell != "" && len(c.Args) > 0:
		return nil, remote.Errorf(remote.ClassOther, "run", "the command sets both Shell (%q) and Args (%q); set one", c.Shell, c.Args)
	case c.Shell != "":
		if runtime.GOOS == "windows" {
			return []string{"cmd", "/C", c.Shell}, nil
		}
		return []string{"/bin/sh", "-c", c.Shell}, nil
	case len(c.Args) == 0 || c.Args[0] == "":
		return nil, remote.Errorf(remote.ClassOther, "run", "empty command: set Args or Shell")
	}
	return c.Args, nil
}

// checkDir makes sure a command's working directory exists: a command that
// cannot enter it never starts.
func checkDir(dir string) error {
	if dir == "" {
		return nil
	}
	info, err := os.Stat(dir)
	if err == nil && !info.IsDir() {
		err = fmt.Errorf("%s is not a directory", dir)
	}
	if err != nil {
		return &remote.Error{Class: remote.ClassOther, Op: "run",
			Err:  fmt.Errorf("working directory: %w", err),
			Hint: "create the directory or fix the command's working directory"}
	}
	return nil
}

// environ returns the controller's environment with extra added, in a stable
// order; extra wins over inherited variables of the same name.
func environ(extra map[string]string, host string) ([]string, error) {
	env := append(os.Environ(), HostEnv+"="+host)
	if len(extra) == 0 {
		return env, nil
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return nil, remote.Errorf(remote.ClassOther, "run", "invalid environment variable name %q", k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, k+"="+extra[k])
	}
	return env, nil
}

// lookPath finds a program on PATH. A name with a path separator is used as
// it is, relative to the command's working directory.
func lookPath(name string) (string, error) {
	if strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
		return name, nil
	}
	return exec.LookPath(name)
}

// cannotStart reports a program that could not be started the way a shell
// does: a message on stderr and exit code 127 (not found) or 126 (found but
// not executable).
func cannotStart(stderr io.Writer, name string, err error, start time.Time) (remote.Result, error) {
	code, msg := exitNotFound, "command not found"
	if errors.Is(err, fs.ErrPermission) {
		code, msg = exitNotExecutable, "permission denied"
	}
	if stderr != nil {
		if _, werr := fmt.Fprintf(stderr, "%s: %s\n", name, msg); werr != nil {
			return remote.Result{}, remote.Wrap(remote.ClassOther, "run", werr)
		}
	}
	return remote.Result{ExitCode: code, Duration: time.Since(start)}, nil
}

// Upload writes src to the local file dst with mode (0644 when 0), replacing
// dst atomically. The parent directory must exist.
func (t *transport) Upload(ctx context.Context, dst string, src io.Reader, mode fs.FileMode) error {
	if err := t.check("upload"); err != nil {
		return err
	}
	if mode == 0 {
		mode = 0o644
	}
	dir := filepath.Dir(dst)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		if err == nil {
			err = fmt.Errorf("%s is not a directory", dir)
		}
		return &remote.Error{Class: remote.ClassOther, Op: "upload", Err: err,
			Hint: fmt.Sprintf("create %s first: uploads do not create directories", dir)}
	}
	if info, err := os.Stat(dst); err == nil && info.IsDir() {
		return &remote.Error{Class: remote.ClassOther, Op: "upload",
			Err:  fmt.Errorf("%s is a directory", dst),
			Hint: "name the file to write, not its directory"}
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".remotectl-*")
	if err != nil {
		return fileError(ctx, "upload", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = io.Copy(tmp, ctxReader{ctx, src})
	if err == nil {
		err = tmp.Chmod(mode.Perm())
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		return fileError(ctx, "upload", err)
	}
	return nil
}

// Download copies the local file src to dst.
func (t *transport) Download(ctx context.Context, src string, dst io.Writer) error {
	if err := t.check("download"); err != nil {
		return err
	}
	f, err := os.Open(src)
	if err != nil {
		return fileError(ctx, "download", err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.IsDir() {
		return remote.Errorf(remote.ClassOther, "download", "%s is a directory", src)
	}
	if _, err := io.Copy(dst, ctxReader{ctx, f}); err != nil {
		return fileError(ctx, "download", err)
	}
	return nil
}

// fileError classifies a file-copy failure, with a hint for the usual ones.
func fileError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return &remote.Error{Class: remote.ClassOf(ctx.Err()), Op: op, Err: err}
	}
	e := &remote.Error{Class: remote.ClassOther, Op: op, Err: err}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		e.Hint = "check the path"
	case errors.Is(err, fs.ErrPermission):
		e.Hint = "check the file's permissions or run as a user who may access it"
	}
	return e
}

// ctxReader stops a copy once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// OS returns the controller's operating-system family.
func (t *transport) OS() remote.OSFamily {
	switch runtime.GOOS {
	case "linux", "android":
		return remote.OSLinux
	case "windows":
		return remote.OSWindows
	case "darwin", "ios", "freebsd", "openbsd", "netbsd", "dragonfly", "solaris", "illumos", "aix", "hurd":
		return remote.OSUnix
	}
	return remote.OSUnknown
}

// OnController reports whether the host is the machine remotectl runs on,
// readable directly: checks then read /proc, the account files, sysfs and
// files' status in Go instead of running their gather script
// (checks.LocalExecutor). It is false when the target asks for become,
// which this transport refuses, or once the transport is closed.
func (t *transport) OnController() bool { return !t.become && !t.closed.Load() }

// Close marks the transport closed; there is no connection to release.
func (t *transport) Close() error {
	t.closed.Store(true)
	return nil
}

func (t *transport) check(op string) error {
	if t.closed.Load() {
		return remote.Errorf(remote.ClassOther, op, "the local transport is closed")
	}
	if t.become {
		return errBecome(op)
	}
	return nil
}

// errBecome refuses become, which would need sudo on the controller.
func errBecome(op string) error {
	return &remote.Error{Class: remote.ClassOther, Op: op,
		Err:  errors.New("become (sudo) is not supported by the local transport"),
		Hint: "run remotectl itself as the user the command needs"}
}
