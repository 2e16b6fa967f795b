package module

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/remotectl/remotectl/remote"
)

// Command is one command a module runs on the host.
type Command struct {
	Argv   []string // run as is (no shell); or
	Script string   // run by the host's shell: sh -c on POSIX, the transport's shell on Windows
	Stdin  []byte
	Dir    string
	Env    map[string]string
	// NoBecome runs the command as the login user even when the task
	// becomes another (reading a file the login user uploaded).
	NoBecome bool
	// UserCommand marks the task's own command (command, shell, raw,
	// script, an async job): it runs in a session of its own, exactly as
	// written. remotectl's helper scripts may run on a shell the
	// connection keeps open (remote.Cmd.Pooled).
	UserCommand bool
}

// Output is what a command printed and its exit code (-1 when killed by
// a signal). Output beyond MaxCaptured is cut.
type Output struct {
	Stdout, Stderr string
	RC             int
}

// MaxCaptured bounds the output kept of one stream of one command.
const MaxCaptured = 8 << 20

// Host is the host a module works on.
type Host interface {
	// Name is the host's inventory name.
	Name() string
	// OS is the host's family: POSIX hosts or Windows.
	OS() remote.OSFamily
	// Run runs a command with the task's privileges (become) and
	// environment. An error means the connection broke or ctx ended; a
	// command that ran and failed is Output.RC != 0.
	Run(ctx context.Context, c Command) (Output, error)
	// WriteFile puts data at path, atomically (a temporary file in the
	// same directory renamed over it), with mode, as the become user when
	// the task becomes one.
	WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) error
	// ReadFile reads a file on the host (as the become user).
	ReadFile(ctx context.Context, path string) ([]byte, error)
	// Vars are the host's inventory variables.
	Vars() map[string]any
}

// Become is who a task runs as.
type Become struct {
	Enabled bool
	User    string // "" means root
	Method  string // "sudo" (default) or "su"
	// Flags are the method's become_flags (su's); Password the host's
	// become password ("" leaves the connection's, -K).
	Flags, Password string
}

// NewHost returns the Host of a connection: commands run through tr with
// the task's become and environment.
func NewHost(tr remote.Transport, t *remote.Target, become Become, env map[string]string) Host {
	return &transportHost{tr: tr, target: t, become: become, env: env}
}

type transportHost struct {
	tr     remote.Transport
	target *remote.Target
	become Become
	env    map[string]string
}

func (h *transportHost) Name() string         { return h.target.Name }
func (h *transportHost) OS() remote.OSFamily  { return h.tr.OS() }
func (h *transportHost) Vars() map[string]any { return h.target.Vars }

type capped struct {
	bytes.Buffer
}

func (c *capped) Write(p []byte) (int, error) {
	if room := MaxCaptured - c.Len(); room < len(p) {
		if room > 0 {
			c.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

func (h *transportHost) Run(ctx context.Context, c Command) (Output, error) {
	var out, errb capped
	cmd := &remote.Cmd{Args: c.Argv, Shell: c.Script, Dir: c.Dir, Stdout: &out, Stderr: &errb, Pooled: !c.UserCommand}
	if len(c.Stdin) > 0 {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	if len(h.env) > 0 || len(c.Env) > 0 {
		cmd.Env = map[string]string{}
		for k, v := range h.env {
			cmd.Env[k] = v
		}
		for k, v := range c.Env {
			cmd.Env[k] = v
		}
	}
	if !c.NoBecome {
		cmd.Become, cmd.BecomeUser = h.become.Enabled, h.become.User
		cmd.BecomeMethod, cmd.BecomeFlags, cmd.BecomePassword = h.become.Method, h.become.Flags, h.become.Password
	}
	res, err := h.tr.Run(ctx, cmd)
	if err != nil {
		return Output{}, err
	}
	rc := res.ExitCode
	if res.Signal != "" && rc == 0 {
		rc = -1
	}
	return Output{Stdout: out.String(), Stderr: errb.String(), RC: rc}, nil
}

// WriteFile uploads as the login user; with become the data goes through
// the become command's input (sudo or su), written by the become user to
// a temporary file beside path and moved into place, so that no file of
// the login user has to be readable by the become user (an unprivileged
// one included).
func (h *transportHost) WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) error {
	if h.OS() == remote.OSWindows || !h.become.Enabled {
		return h.tr.Upload(ctx, path, bytes.NewReader(data), mode)
	}
	tmp := Quote(path + ".rctmp" + RandomSuffix())
	script := fmt.Sprintf("umask 077 && cat > %s && chmod %o %s && mv -f %s %s || { rc=$?; rm -f %s; exit $rc; }",
		tmp, mode.Perm(), tmp, tmp, Quote(path), tmp)
	out, err := h.Run(ctx, Command{Script: script, Stdin: data})
	if err != nil {
		return err
	}
	if out.RC != 0 {
		return fmt.Errorf("cannot write %s: %s", path, strings.TrimSpace(out.Stderr))
	}
	return nil
}

func (h *transportHost) ReadFile(ctx context.Context, path string) ([]byte, error) {
	if h.OS() == remote.OSWindows || !h.become.Enabled {
		var b bytes.Buffer
		if err := h.tr.Download(ctx, path, &b); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	out, err := h.Run(ctx, Command{Argv: []string{"cat", "--", path}})
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return nil, fmt.Errorf("cannot read %s: %s", path, strings.TrimSpace(out.Stderr))
	}
	return []byte(out.Stdout), nil
}

// Quote quotes s for a POSIX shell.
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// PSQuote quotes s for PowerShell (a single-quoted literal).
func PSQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// RandomSuffix is a random name part for temporary files.
func RandomSuffix() string {
	var b [8]byte
	_, _ = io.ReadFull(rand.Reader, b[:])
	return hex.EncodeToString(b[:])
}
