//go:build unix

package ssh

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/remotectl/remotectl/remote"

	"github.com/remotectl/remotectl/remote/remotetest"
)

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "''"},
		{"abc", "abc"},
		{"/usr/bin/env", "/usr/bin/env"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
		{"a=b", "'a=b'"},
		{"~", "'~'"},
		{"*", "'*'"},
		{"x\ny", "'x\ny'"},
	}
	for _, tt := range tests {
		if got := quote(tt.in); got != tt.want {
			t.Errorf("quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// shellEcho runs `printf %s ARG` through /bin/sh with ARG quoted and returns
// what the shell passed to printf.
func shellEcho(t testing.TB, arg string) string {
	t.Helper()
	out, err := exec.Command("/bin/sh", "-c", "printf %s "+quote(arg)).Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	return string(out)
}

func TestQuoteRoundTripsThroughSh(t *testing.T) {
	for _, s := range quoteSeeds {
		if got := shellEcho(t, s); got != s {
			t.Errorf("sh saw %q, want %q", got, s)
		}
	}
}

var quoteSeeds = []string{
	"", "plain", "two words", "it's", `back\slash`, `"double"`, "$(id)", "`id`", "a;b|c&d",
	"tab\there", "new\nline", "'", "''", `'\''`, "\xff\xfe non-UTF-8", "ünïcødé", "-n", "*?[a]", "!x",
}

func FuzzQuote(f *testing.F) {
	for _, s := range quoteSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			t.Skip("argv strings cannot hold NUL")
		}
		if got := shellEcho(t, s); got != s {
			t.Fatalf("sh saw %q, want %q", got, s)
		}
	})
}

// runLocal runs a command line built by buildCommand with the local /bin/sh
// in its own process group, as sshd would, keeping stdin open until the
// command ends, as the client does.
func runLocal(t *testing.T, line string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", line)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestBuildCommandRunsWithSh(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name       string
		cmd        remote.Cmd
		wantOut    string
		wantStderr string
		wantCode   int
	}{
		{name: "args are quoted", cmd: remote.Cmd{Args: []string{"printf", "%s|", "a b", "it's", "$HOME", ""}},
			wantOut: "a b|it's|$HOME||"},
		{name: "shell line as is", cmd: remote.Cmd{Shell: "echo one | tr o O; echo two >&2; exit 3"},
			wantOut: "One\n", wantStderr: "two\n", wantCode: 3},
		{name: "environment exported", cmd: remote.Cmd{Shell: `printf '%s|%s' "$A" "$B_2"`,
			Env: map[string]string{"A": "x y'z", "B_2": "$(id)"}}, wantOut: "x y'z|$(id)"},
		{name: "directory", cmd: remote.Cmd{Args: []string{"pwd"}, Dir: dir}, wantOut: dir + "\n"},
		{name: "missing directory", cmd: remote.Cmd{Args: []string{"pwd"}, Dir: dir + "/missing"}, wantCode: 1},
		{name: "command not found", cmd: remote.Cmd{Args: []string{"remotectl-no-such-command"}}, wantCode: 127},
		{name: "stdin is empty", cmd: remote.Cmd{Shell: "cat; echo done"}, wantOut: "done\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, err := buildCommand(&tt.cmd, becomeSpec{})
			if err != nil {
				t.Fatal(err)
			}
			out, errOut, code := runLocal(t, line)
			if out != tt.wantOut || code != tt.wantCode || (tt.wantStderr != "" && errOut != tt.wantStderr) {
				t.Errorf("got stdout %q stderr %q exit %d; want %q %q %d\ncommand line:\n%s",
					out, errOut, code, tt.wantOut, tt.wantStderr, tt.wantCode, line)
			}
		})
	}
}

func TestBuildCommandErrors(t *testing.T) {
	for _, cmd := range []remote.Cmd{
		{},
		{Args: []string{"a"}, Shell: "b"},
		{Args: []string{"env"}, Env: map[string]string{"BAD-NAME": "x"}},
		{Args: []string{"env"}, Env: map[string]string{"1X": "x"}},
	} {
		if _, err := buildCommand(&cmd, becomeSpec{}); err == nil {
			t.Errorf("buildCommand(%+v) succeeded, want an error", cmd)
		}
	}
}

func TestBuildCommandBecome(t *testing.T) {
	line, err := buildCommand(&remote.Cmd{Args: []string{"id"}}, becomeSpec{user: "app", mode: sudoNoPassword})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, "exec sudo -n -u app -- /bin/sh -c ") || !strings.HasSuffix(line, ` remotectl "$PPID"`) {
		t.Errorf("become line = %s", line)
	}
	line, err = buildCommand(&remote.Cmd{Args: []string{"id"}}, becomeSpec{mode: sudoPassword})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, "exec sudo -k -S -p '' -u root -- /bin/sh -c ") {
		t.Errorf("become with password line = %s", line)
	}
}

// TestStdinGuardKillsGroup runs a guarded command locally and closes its
// stdin, as the client does when ctx is done: the command and its children
// must die.
func TestStdinGuardKillsGroup(t *testing.T) {
	marker := "sleep 300.271"
	line, err := buildCommand(&remote.Cmd{Shell: marker + " & echo started; " + marker + "; echo never"}, becomeSpec{})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", line)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := remotetest.NewNotifyWriter("started")
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	<-out.Seen()
	stdin.Close()
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("command ended with %v, want killed by a signal", err)
	}
	if strings.Contains(out.String(), "never") {
		t.Error("the command ran to completion")
	}
	waitGone(t, marker)
}

// TestStdinGuardLetsCommandFinish checks that a command that ends by itself
// is not disturbed by its guard and that the guard does not outlive it.
func TestStdinGuardLetsCommandFinish(t *testing.T) {
	line, err := buildCommand(&remote.Cmd{Shell: "echo finished-271; exit 4"}, becomeSpec{})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", line)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err == nil {
		t.Fatal("exit status 4 was lost")
	}
	stdin.Close() // as sshd does once the command is reaped
	if out.String() != "finished-271\n" {
		t.Errorf("stdout = %q", out.String())
	}
	waitGone(t, "finished-271")
}
