//go:build unix

package ssh

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// pooled runs a pooled shell line on tr and returns its output and status.
func pooled(t *testing.T, ctx context.Context, tr remote.Transport, line string, become bool) (string, string, int, error) {
	t.Helper()
	var out, errb bytes.Buffer
	res, err := tr.Run(ctx, &remote.Cmd{Shell: line, Stdout: &out, Stderr: &errb, Become: become, Pooled: true})
	return out.String(), errb.String(), res.ExitCode, err
}

// TestSSHDPoolShell checks the pool shell against a real sshd: pooled
// commands share one shell per become user, keep their streams, status,
// environment and directory apart, and a stopped one leaves no process
// and no broken pool behind.
func TestSSHDPoolShell(t *testing.T) {
	_, targets := startFleet(t, remotetest.SSHDOptions{})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, targets[0])
	ctx := testContext(t)

	// $$ in a subshell is the shell's pid: the same for every pooled
	// command of the connection, another for a session's.
	first, _, _, err := pooled(t, ctx, tr, "echo $$", false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if again, _, _, err := pooled(t, ctx, tr, "echo $$", false); err != nil || again != first {
			t.Fatalf("pooled command %d ran in %q (%v), the first in %q: want one shell", i, again, err, first)
		}
	}
	var session bytes.Buffer
	if _, err := tr.Run(ctx, &remote.Cmd{Shell: "echo $$", Stdout: &session}); err != nil || session.String() == first {
		t.Fatalf("a command that is not pooled ran in %q (%v): want a session of its own", session.String(), err)
	}

	t.Run("streams and status", func(t *testing.T) {
		out, errOut, rc, err := pooled(t, ctx, tr, "printf 'no newline'; printf 'err\\001' >&2; exit 7", false)
		if err != nil || out != "no newline" || errOut != "err\x01" || rc != 7 {
			t.Errorf("got %q %q %d %v", out, errOut, rc, err)
		}
		out, _, rc, err = pooled(t, ctx, tr, "cd /; x=changed; umask 077; trap 'echo trapped' EXIT", false)
		if err != nil || rc != 0 || out != "trapped\n" {
			t.Errorf("got %q %d %v", out, rc, err)
		}
		// Nothing of the last script stayed in the shell.
		out, _, _, err = pooled(t, ctx, tr, `echo "${x-unset} $# $(umask)"`, false)
		if err != nil || out != "unset 0 0022\n" {
			t.Errorf("a script's state leaked into the next: %q %v", out, err)
		}
	})

	t.Run("environment, directory, argv", func(t *testing.T) {
		var out bytes.Buffer
		dir := sharedTempDir(t)
		_, err := tr.Run(ctx, &remote.Cmd{Args: []string{"sh", "-c", `echo "$RCTL_X $(pwd)"`, "a b"},
			Env: map[string]string{"RCTL_X": "it's x"}, Dir: dir, Stdout: &out, Pooled: true})
		if err != nil || out.String() != "it's x "+dir+"\n" {
			t.Errorf("got %q %v", out.String(), err)
		}
	})

	t.Run("large output", func(t *testing.T) {
		out, _, rc, err := pooled(t, ctx, tr, "head -c 3000000 /dev/zero | tr '\\0' x", false)
		if err != nil || rc != 0 || len(out) != 3000000 || strings.Trim(out, "x") != "" {
			t.Errorf("got %d bytes, rc %d, %v", len(out), rc, err)
		}
	})

	t.Run("become has a shell of its own", func(t *testing.T) {
		out, _, _, err := pooled(t, ctx, tr, "id -un; echo $$", true)
		if err != nil || !strings.HasPrefix(out, "root\n") || strings.HasSuffix(out, first) {
			t.Errorf("got %q %v", out, err)
		}
		out, _, _, err = pooled(t, ctx, tr, "id -un", false)
		if err != nil || out != fleetUser+"\n" {
			t.Errorf("got %q %v", out, err)
		}
	})

	t.Run("timeout leaves nothing", func(t *testing.T) {
		for _, become := range []bool{false, true} {
			marker := "sleep 300.4242"
			if become {
				marker = "sleep 300.4343"
			}
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			_, _, _, err := pooled(t, cctx, tr, marker+" & "+marker+"; echo never", become)
			cancel()
			wantClass(t, err, remote.ClassTimeout)
			waitGone(t, marker)
			if out, _, _, err := pooled(t, ctx, tr, "echo again", become); err != nil || out != "again\n" {
				t.Fatalf("after the timeout: %q %v", out, err)
			}
		}
	})

	t.Run("closed shells end on the host", func(t *testing.T) {
		pid, _, _, err := pooled(t, ctx, tr, "echo $$", false)
		if err != nil {
			t.Fatal(err)
		}
		shellPid, err := strconv.Atoi(strings.TrimSpace(pid))
		if err != nil || syscall.Kill(shellPid, 0) != nil {
			t.Fatalf("the pool shell's pid %q: %v", pid, err)
		}
		tr.CloseShells()
		for deadline := time.Now().Add(10 * time.Second); syscall.Kill(shellPid, 0) == nil; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the pool shell (pid %d) still runs after CloseShells", shellPid)
			}
		}
		next, _, _, err := pooled(t, ctx, tr, "echo $$", false)
		if err != nil || next == pid {
			t.Errorf("after CloseShells: %q (before %q) %v", next, pid, err)
		}
	})
}

// TestMarkReader feeds a pool shell's stream a byte at a time and in one
// piece: output, including bytes that begin a mark, reaches the writer
// whole and in order; each mark ends one command.
func TestMarkReader(t *testing.T) {
	mark := "\x01" + strings.Repeat("ab", 16) + " "
	stream := "first\x01ab\x01" + mark + "0\n" + mark + "3\n" + "x\x01a" + mark + "255\n"
	want := []struct {
		out string
		rc  int
	}{{"first\x01ab\x01", 0}, {"", 3}, {"x\x01a", 255}}
	for _, oneByte := range []bool{false, true} {
		var r io.Reader = strings.NewReader(stream)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		m := &markReader{r: r, mark: []byte(mark)}
		for i, w := range want {
			var out bytes.Buffer
			rc, err := m.copyToMark(&out)
			if err != nil || rc != w.rc || out.String() != w.out {
				t.Errorf("one byte %v, command %d: got %q %d %v, want %q %d", oneByte, i, out.String(), rc, err, w.out, w.rc)
			}
		}
		if _, err := m.copyToMark(io.Discard); err != io.EOF {
			t.Errorf("after the last mark: %v, want EOF", err)
		}
	}
}
