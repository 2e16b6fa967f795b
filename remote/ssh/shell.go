package ssh

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
)

// Pooled commands (remote.Cmd.Pooled) run on a shell the transport keeps
// open on the connection instead of a session of their own.
//
// A session costs the server more than most of the commands remotectl
// runs in it: sshd forks a process for it, execs the login shell, which
// starts the guard and execs /bin/sh (command.go) — about 4 ms of server
// CPU before the command's first instruction, measured on Debian's
// OpenSSH 10. A playbook's modules run one to three short helper scripts
// per task (stat a path, compare a checksum, read a file), so for a warm
// run that pays no handshake, sessions are most of the server's work. A
// pooled shell is one long-lived /bin/sh reading its program from its
// input: each script costs it two forks (the script's subshell and its
// guard).
//
// The protocol, on the shell's three streams:
//
//   - the shell is given a token (128 random bits, hex) when it starts;
//   - the client writes a command (shellCommand): the script as a quoted
//     string, and the program that runs it;
//   - the shell runs the script in a subshell, its input /dev/null, its
//     output and errors on the shell's own, then writes the mark
//     "\x01<token> <status>\n" on both streams; the client passes on what
//     comes before the mark and reads the exit status from it (only the
//     bytes that could begin a mark are held back until the next read);
//   - the client then writes an empty line, the cue for the command's guard
//     to end quietly (below), and the shell reads on.
//
// Ctrl-C, timeouts and lost connections keep their guarantee: while a
// script runs, a guard in the shell's background reads the shell's input
// (the script itself reads /dev/null). An empty line means the command is
// over; the end of the input — the client closed the shell because its
// ctx ended, or the connection died — makes it TERM, then KILL, the
// shell's process group: the shell, the script and everything it started.
// The client then closes the session and, should even that not end it,
// the connection, as for a command in a session of its own.
//
// What a pooled command gives up, and why only remotectl's own helper
// scripts are pooled (never a task's command, shell, raw or script): a
// command killed by a signal reports the shell's 128+N as its exit status
// instead of the signal; $0 and the line numbers in the shell's own error
// messages are the pool shell's. Commands with input, a terminal, or a
// become method that reads a password (sudo -S, su) always get a session:
// the shell's input is its control channel, and a password must be checked
// by each command, never inherited from an earlier one. With passwordless
// sudo the whole shell runs under sudo, one shell per become user.
//
// A shell lives as long as its connection is used by one run: the
// transport's Close ends its shells, and so does an agent giving a held
// connection back (CloseShells), so that no shell outlives the run that
// started it.

// maxShells bounds the pooled shells of one connection (all become users):
// a play runs one task at a time per host, and every shell holds one of
// the server's MaxSessions (10 by default).
const maxShells = 3

// shellStartTimeout bounds the wait for a new pool shell's first mark
// (sudo and the login shell start before it), as the OS probe is bounded.
const shellStartTimeout = osProbeTimeout

// The pool shell is /bin/sh reading its program from its input (-s):
// the shell parses what it reads in blocks, where its read builtin would
// read a byte per system call. shellStart is the start of that program;
// shellCommand is the program text of one command: the script as a
// quoted string, run by eval in a subshell (with $# = 0), so that no
// script, whatever its syntax, can leave the shell's own parser in the
// middle of a word. The guard's read builtin takes the one line meant for
// it while the shell waits for it, its parser idle.
func shellStart(token string) string {
	return "exec 3<&0; set --; rctl_m=" + token + "\n" +
		`printf '\001%s 0\n' "$rctl_m"; printf '\001%s 0\n' "$rctl_m" >&2` + "\n"
}

func shellCommand(body string) string {
	return "rctl_s=" + quote(body) + "\n" +
		`{ (trap '' TERM INT HUP; IFS= read -r rctl_l || { kill -TERM 0; sleep 1; kill -KILL 0; }) <&3 >/dev/null 2>&1 & ` +
		`rctl_w=$!; (eval "$rctl_s") </dev/null 3<&-; rctl_rc=$?; ` +
		`printf '\001%s %d\n' "$rctl_m" "$rctl_rc"; printf '\001%s %d\n' "$rctl_m" "$rctl_rc" >&2; wait "$rctl_w"; }` + "\n"
}

// shell is one pool shell and its session.
type shell struct {
	key    string // the become user it runs as ("" without become)
	sess   *gossh.Session
	stdin  *stdinWriter
	stdout *markReader
	stderr *markReader
	done   chan struct{} // closed when the session has ended
}

// poolable reports whether cmd may run on a pool shell, and under which
// key (the become user's).
func poolable(cmd *remote.Cmd, become becomeSpec) (string, bool) {
	if !cmd.Pooled || cmd.Stdin != nil || cmd.PTY {
		return "", false
	}
	if !become.enabled() {
		return "", true
	}
	if become.method == "" && become.mode == sudoNoPassword {
		return "sudo:" + become.user, true
	}
	return "", false
}

// errNoShell says that a pooled command found no pool shell (the pool is
// full, or none could start for its become user): it takes a session,
// which reports any trouble with the connection.
var errNoShell = errors.New("no pool shell")

// runPooled runs cmd on a pool shell, or returns errNoShell.
func (t *Transport) runPooled(ctx context.Context, cmd *remote.Cmd, key string, become becomeSpec) (remote.Result, error) {
	body, err := innerScript(cmd, guardPool)
	if err != nil {
		return remote.Result{ExitCode: -1}, &remote.Error{Class: remote.ClassOther, Op: opRun, Err: err}
	}
	if strings.IndexByte(body, 0) >= 0 {
		return remote.Result{}, errNoShell
	}
	sh := t.takeShell(ctx, key, become)
	if sh == nil {
		return remote.Result{}, errNoShell
	}
	rc, err := t.shellRun(ctx, sh, body, cmd.Stdout, cmd.Stderr)
	if err != nil {
		t.dropShell(sh)
		return remote.Result{ExitCode: -1}, err
	}
	t.putShell(sh)
	return remote.Result{ExitCode: rc}, nil
}

// takeShell returns an idle shell for key, or starts one; nil when the
// pool is full, closed, or a shell for key could not be started before.
func (t *Transport) takeShell(ctx context.Context, key string, become becomeSpec) *shell {
	t.mu.Lock()
	for {
		if t.closed || t.noShell[key] {
			t.mu.Unlock()
			return nil
		}
		idle := t.shells[key]
		if len(idle) == 0 {
			break
		}
		sh := idle[len(idle)-1]
		t.shells[key] = idle[:len(idle)-1]
		select {
		case <-sh.done: // ended while idle (killed on the host)
			t.shellCount--
			go sh.close()
			continue
		default:
		}
		t.mu.Unlock()
		return sh
	}
	if t.shellCount >= maxShells {
		t.mu.Unlock()
		return nil
	}
	t.shellCount++
	t.mu.Unlock()
	sh, err := t.startShell(ctx, key, become)
	if err != nil {
		t.mu.Lock()
		t.shellCount--
		if ctx.Err() == nil {
			t.noShell[key] = true
		}
		t.mu.Unlock()
		return nil
	}
	return sh
}

// putShell gives a shell back to the pool after a command.
func (t *Transport) putShell(sh *shell) {
	t.mu.Lock()
	if !t.closed {
		t.shells[sh.key] = append(t.shells[sh.key], sh)
		t.mu.Unlock()
		return
	}
	t.shellCount--
	t.mu.Unlock()
	sh.close()
}

// dropShell forgets a shell that failed and closes it.
func (t *Transport) dropShell(sh *shell) {
	t.mu.Lock()
	t.shellCount--
	t.mu.Unlock()
	sh.close()
}

// CloseShells ends the idle pool shells; the next pooled command starts a
// new one. An agent calls it when a run gives a held connection back.
func (t *Transport) CloseShells() {
	t.mu.Lock()
	var idle []*shell
	for key, shells := range t.shells {
		idle = append(idle, shells...)
		delete(t.shells, key)
	}
	t.shellCount -= len(idle)
	t.mu.Unlock()
	for _, sh := range idle {
		sh.close()
	}
}

// startShell opens a session running shellLoop (under sudo -n for a
// become user) and waits for its first mark, which says it runs.
func (t *Transport) startShell(ctx context.Context, key string, become becomeSpec) (*shell, error) {
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	sess, err := t.newSession(ctx)
	if err != nil {
		return nil, err
	}
	pipes, err := openPipes(sess)
	if err != nil {
		_ = sess.Close()
		return nil, err
	}
	line := "exec /bin/sh -s"
	if become.enabled() {
		line = "exec " + quoteArgs(append(become.sudoArgs(), "/bin/sh", "-s"))
	}
	if err := sess.Start(line); err != nil {
		_ = sess.Close()
		return nil, err
	}
	if _, err := io.WriteString(pipes.stdin, shellStart(token)); err != nil {
		_ = sess.Close()
		return nil, err
	}
	mark := []byte("\x01" + token + " ")
	sh := &shell{key: key, sess: sess, stdin: pipes.stdin, done: make(chan struct{}),
		stdout: &markReader{r: pipes.stdout, mark: mark}, stderr: &markReader{r: pipes.stderr, mark: mark}}
	go func() {
		_ = sess.Wait()
		close(sh.done)
	}()
	startCtx, cancel := context.WithTimeout(ctx, shellStartTimeout)
	defer cancel()
	if _, err := t.await(startCtx, sh, io.Discard, io.Discard); err != nil {
		sh.close()
		return nil, err
	}
	return sh, nil
}

// shellRun sends body to sh and waits for its exit status.
func (t *Transport) shellRun(ctx context.Context, sh *shell, body string, stdout, stderr io.Writer) (int, error) {
	if _, err := io.WriteString(sh.stdin, shellCommand(body)); err != nil {
		return -1, t.sessionError(err)
	}
	out, errOut := newGate(stdout), newGate(stderr)
	defer out.close()
	defer errOut.close()
	rc, err := t.await(ctx, sh, out, errOut)
	if err != nil {
		return -1, err
	}
	// The command is over: the guard's cue to end quietly.
	if _, err := io.WriteString(sh.stdin, "\n"); err != nil {
		return -1, t.sessionError(err)
	}
	return rc, nil
}

// await copies both streams of sh up to their marks and returns the
// status in the stdout mark. When ctx ends first, the shell is stopped as
// a session's command is (terminate) and ctx's error returned.
func (t *Transport) await(ctx context.Context, sh *shell, stdout, stderr io.Writer) (int, error) {
	ended := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { t.terminate(sh.sess, sh.stdin, ended, false) })
	var errRC int
	var errErr error
	var wg sync.WaitGroup
	wg.Go(func() { errRC, errErr = sh.stderr.copyToMark(stderr) })
	rc, err := sh.stdout.copyToMark(stdout)
	wg.Wait()
	close(ended)
	if !stop() {
		return -1, classify(opRun, ctx.Err())
	}
	if err == nil {
		err = errErr
	}
	if err == nil && errRC != rc {
		err = errors.New("the pool shell's marks disagree")
	}
	if err != nil {
		if lost := t.c.ka.lost(); lost != nil || t.isClosed() {
			return -1, t.sessionError(err)
		}
		return -1, &remote.Error{Class: remote.ClassLost, Op: opRun, Hint: hintLost,
			Err: errors.New("the shell running the command on the connection ended before the command did")}
	}
	return rc, nil
}

// close ends the shell: the end of its input stops it (and, should a
// command still run, makes its guard kill it); the channel is closed with
// it.
func (sh *shell) close() {
	_ = sh.stdin.Close()
	_ = sh.sess.Close()
}

// markReader reads one stream of a pool shell, a command's output at a
// time: what comes before the next mark ("\x01<token> ") goes to the
// command's writer; the status after the mark ends the command.
type markReader struct {
	r    io.Reader
	mark []byte
	pend []byte // read, not yet written: possibly the start of a mark
	buf  [4096]byte
}

// copyToMark writes the stream to w up to the next mark and returns the
// status written after it. Only bytes that may begin the mark are held
// back, until the next read tells.
func (m *markReader) copyToMark(w io.Writer) (int, error) {
	for {
		if i := bytes.Index(m.pend, m.mark); i >= 0 {
			if i > 0 {
				_, _ = w.Write(m.pend[:i])
				m.pend = append(m.pend[:0], m.pend[i:]...)
			}
			if end := bytes.IndexByte(m.pend[len(m.mark):], '\n'); end >= 0 {
				status := string(m.pend[len(m.mark) : len(m.mark)+end])
				m.pend = append(m.pend[:0], m.pend[len(m.mark)+end+1:]...)
				rc, err := strconv.Atoi(status)
				if err != nil {
					return -1, errors.New("the pool shell wrote a malformed status")
				}
				return rc, nil
			}
		} else if keep := markPrefix(m.pend, m.mark); keep < len(m.pend) {
			_, _ = w.Write(m.pend[:len(m.pend)-keep])
			m.pend = append(m.pend[:0], m.pend[len(m.pend)-keep:]...)
		}
		n, err := m.r.Read(m.buf[:])
		m.pend = append(m.pend, m.buf[:n]...)
		if err != nil && n == 0 {
			return -1, err
		}
	}
}

// markPrefix is the length of the longest end of p that begins mark: the
// bytes held back until the next read tells whether they are output.
func markPrefix(p, mark []byte) int {
	for k := min(len(p), len(mark)-1); k > 0; k-- {
		if bytes.HasPrefix(mark, p[len(p)-k:]) {
			return k
		}
	}
	return 0
}
