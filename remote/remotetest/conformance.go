package remotetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// The conformance suite: one set of behaviours every remote.Transport must
// show, run against each transport's own test peer (see RunConformance).

// ShellDialect says how the suite writes commands for a host.
type ShellDialect int

const (
	// DialectPOSIX: Cmd.Shell is run by a POSIX sh and Cmd.Args reach the
	// program as they are (the transport quotes them for sh, or runs the
	// program directly). The local and SSH transports.
	DialectPOSIX ShellDialect = iota
	// DialectCmdAsSh: the transport speaks to a Windows host (Cmd.Shell is
	// handed to cmd.exe as is, Cmd.Args are quoted for cmd.exe and the C
	// runtime), but the host is the WS-Management test server, which runs
	// every command line with /bin/sh -c. Shell lines are therefore written
	// in POSIX sh as for DialectPOSIX. Args survive the trip only when cmd's
	// quoting of them means the same to sh: the argument cases whose quoting
	// the two shells read differently ($, quotes, %, backslashes, globs) are
	// skipped with that reason; the cmd quoting itself is tested against a
	// model of cmd.exe and the C runtime in remote/winrm.
	DialectCmdAsSh
)

func (d ShellDialect) String() string {
	switch d {
	case DialectPOSIX:
		return "POSIX sh"
	case DialectCmdAsSh:
		return "cmd quoting run by sh"
	}
	return fmt.Sprintf("ShellDialect(%d)", int(d))
}

// ConformanceEnv is what a transport's test provides to RunConformance.
type ConformanceEnv struct {
	// Dialer opens the transport under test; each case dials its own
	// transport to Target (and closes it), so cases run in parallel.
	Dialer remote.Dialer
	// Target is a host that works.
	Target remote.Target
	// OS is what the transport's OS() must report. (The WinRM transport
	// reports OSWindows, even against the WS-Management test server, which
	// runs commands with /bin/sh.)
	OS remote.OSFamily
	// Shell is how to write commands for the host.
	Shell ShellDialect
	// Skip maps a case name (see RunConformance) to the reason the
	// transport legitimately cannot pass it. Naming an unknown case fails
	// the test, so a renamed case is never skipped silently.
	Skip map[string]string
	// TempDir returns a new directory for the case's files, removed at
	// cleanup, on a file system the test and the host share (every test
	// peer runs on this machine) and that the host's login user may write.
	// nil means t.TempDir, which suits hosts whose commands run as the
	// test's own user.
	TempDir func(t *testing.T) string
}

// Case names, as used in ConformanceEnv.Skip and in subtest names.
const (
	CaseExitCodes       = "exit-codes"
	CaseOutputStreams   = "output-streams"
	CaseArgsQuoting     = "args-quoting"
	CaseShellPipes      = "shell-pipes"
	CaseStdin           = "stdin"
	CaseEnv             = "env"
	CaseDir             = "dir"
	CaseBinaryOutput    = "binary-output"
	CaseStreaming       = "streaming"
	CaseDeadline        = "deadline"
	CaseCancel          = "cancel"
	CaseFiles           = "files"
	CaseDownloadMissing = "download-missing"
	CaseDownloadSymlink = "download-symlink"
	CaseRunAfterClose   = "run-after-close"
	CaseOS              = "os"
	CaseConcurrentRuns  = "concurrent-runs"
)

const (
	// conformanceCaseTimeout bounds each case: every Run, transfer and dial
	// of a case shares one context with this deadline.
	conformanceCaseTimeout = 2 * time.Minute
	// conformanceReturnGrace is how long a call may take to return once its
	// context is done before the suite reports it as hung.
	conformanceReturnGrace = 30 * time.Second
	// streamSize is the output of the streaming case.
	streamSize = 5 << 20
	// bigStdinSize is the input of the large stdin round trip.
	bigStdinSize = 1 << 20
	// concurrentRuns is how many commands run at once on one transport.
	concurrentRuns = 5
)

// conformanceCase is one behaviour, checked on a transport of its own.
type conformanceCase struct {
	name string
	run  func(t *testing.T, h *caseHost)
}

var conformanceCases = []conformanceCase{
	{CaseExitCodes, testExitCodes},
	{CaseOutputStreams, testOutputStreams},
	{CaseArgsQuoting, testArgsQuoting},
	{CaseShellPipes, testShellPipes},
	{CaseStdin, testStdin},
	{CaseEnv, testEnv},
	{CaseDir, testDir},
	{CaseBinaryOutput, testBinaryOutput},
	{CaseStreaming, testStreaming},
	{CaseDeadline, testDeadline},
	{CaseCancel, testCancel},
	{CaseFiles, testFiles},
	{CaseDownloadMissing, testDownloadMissing},
	{CaseDownloadSymlink, testDownloadSymlink},
	{CaseRunAfterClose, testRunAfterClose},
	{CaseOS, testOS},
	{CaseConcurrentRuns, testConcurrentRuns},
}

// RunConformance checks that the transport env.Dialer opens to env.Target
// behaves as remote.Transport promises. Each case is a parallel subtest
// with a transport of its own and a deadline of its own; a call that does
// not return once its context is done fails the case instead of hanging
// the run. The cases:
//
//   - exit-codes: exit codes (0, 1, 3, 255) of Args and Shell commands are
//     Result.ExitCode, with no error;
//   - output-streams: stdout and stderr are kept apart and complete,
//     including a last line without a newline;
//   - args-quoting: spaces, quotes, $, *, backslashes, an empty argument
//     and Unicode reach the program unchanged (printf '%s\n' prints them
//     back; with DialectCmdAsSh, echo prints the portable ones one by one);
//   - shell-pipes: Cmd.Shell runs pipes, redirections and expansions;
//   - stdin: input round-trips through cat, small, 1 MB, and none at all;
//   - env, dir: Cmd.Env and Cmd.Dir apply;
//   - binary-output: bytes that are not UTF-8 arrive exactly;
//   - streaming: 5 MB of output reach the writer while the command still
//     runs (it waits for a file the test creates once it has seen them);
//   - deadline: Run of a command outliving its context's deadline returns
//     a ClassTimeout *remote.Error, the command's shell is gone soon after,
//     and the transport runs the next command;
//   - cancel: the same for a cancelled context, with ClassCancelled;
//   - files: Upload then Download round-trips the bytes, and the mode bits
//     on a POSIX host;
//   - download-missing: downloading a missing file is a classified error;
//   - download-symlink: downloading a path that is a symbolic link to a
//     file gets the file's bytes, as scp and Ansible's fetch do; a transport
//     that copies trees (remote.TreeCopier) copies a link to a file as that file
//     and a link to a directory as that directory, under the link's name;
//   - run-after-close: Run on a closed transport is an error, not a panic
//     nor a hang;
//   - os: OS() reports env.OS;
//   - concurrent-runs: 5 commands run at once on one transport, each with
//     its own input, output and exit code.
func RunConformance(t *testing.T, env ConformanceEnv) {
	t.Helper()
	if env.Dialer == nil {
		t.Fatal("remotetest: RunConformance: ConformanceEnv.Dialer is nil")
	}
	if env.Shell != DialectPOSIX && env.Shell != DialectCmdAsSh {
		t.Fatalf("remotetest: RunConformance: unknown %v", env.Shell)
	}
	for name := range env.Skip {
		if !slices.ContainsFunc(conformanceCases, func(c conformanceCase) bool { return c.name == name }) {
			t.Fatalf("remotetest: RunConformance: ConformanceEnv.Skip names %q, which is not a conformance case", name)
		}
	}
	for _, c := range conformanceCases {
		t.Run(c.name, func(t *testing.T) {
			if reason, ok := env.Skip[c.name]; ok {
				t.Skip(reason)
			}
			t.Parallel()
			c.run(t, newCaseHost(t, env))
		})
	}
}

// caseHost is what a case works with: its bounded context and its own
// transport, closed at cleanup.
type caseHost struct {
	env ConformanceEnv
	ctx context.Context
	tr  remote.Transport
}

func newCaseHost(t *testing.T, env ConformanceEnv) *caseHost {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), conformanceCaseTimeout)
	t.Cleanup(cancel)
	h := &caseHost{env: env, ctx: ctx}
	h.tr = h.dial(t)
	return h
}

// dial opens a transport to the target, closed at cleanup.
func (h *caseHost) dial(t *testing.T) remote.Transport {
	t.Helper()
	tr, err := bounded(t, h.ctx, "Dial", func() (remote.Transport, error) { return h.env.Dialer.Dial(h.ctx, h.env.Target) })
	if err != nil {
		t.Fatalf("Dial %s: %v (hint: %s)", h.env.Target.Name, err, remote.HintOf(err))
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// tempDir returns a directory the host and the test share.
func (h *caseHost) tempDir(t *testing.T) string {
	t.Helper()
	if h.env.TempDir != nil {
		return h.env.TempDir(t)
	}
	return t.TempDir()
}

// outcome is what one Run produced.
type outcome struct {
	res            remote.Result
	err            error
	stdout, stderr string
}

func (o outcome) String() string {
	return fmt.Sprintf("exit %d, err %v, stdout %.200q, stderr %.200q", o.res.ExitCode, o.err, o.stdout, o.stderr)
}

// run runs cmd on tr with ctx, collecting its output unless cmd has
// writers of its own.
func (h *caseHost) run(t *testing.T, ctx context.Context, tr remote.Transport, cmd remote.Cmd) outcome {
	t.Helper()
	var stdout, stderr SyncBuffer
	if cmd.Stdout == nil {
		cmd.Stdout = &stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	res, err := bounded(t, ctx, "Run", func() (remote.Result, error) { return tr.Run(ctx, &cmd) })
	return outcome{res: res, err: err, stdout: stdout.String(), stderr: stderr.String()}
}

// mustRun runs cmd on the case's transport and fails the test unless it
// ran to completion with the exit code, stdout and stderr wanted.
func (h *caseHost) mustRun(t *testing.T, cmd remote.Cmd, exit int, stdout, stderr string) {
	t.Helper()
	got := h.run(t, h.ctx, h.tr, cmd)
	if got.err != nil || got.res.ExitCode != exit || got.stdout != stdout || got.stderr != stderr {
		t.Errorf("%s:\n got %v\nwant exit %d, err <nil>, stdout %.200q, stderr %.200q", describe(cmd), got, exit, stdout, stderr)
	}
}

// describe names a command in failure messages.
func describe(cmd remote.Cmd) string {
	if cmd.Shell != "" {
		return fmt.Sprintf("Shell %.200q", cmd.Shell)
	}
	return fmt.Sprintf("Args %.200q", cmd.Args)
}

// bounded calls f on its own goroutine and returns what it returns. If f
// has not returned conformanceReturnGrace after ctx is done, or panics, the
// test is marked failed and an error saying so is returned (a hung f's
// goroutine is abandoned). It may be called from any goroutine.
func bounded[T any](t *testing.T, ctx context.Context, what string, f func() (T, error)) (T, error) {
	t.Helper()
	type result struct {
		v     T
		err   error
		panic any
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r.panic = p
			}
			done <- r
		}()
		r.v, r.err = f()
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		timer := time.NewTimer(conformanceReturnGrace)
		defer timer.Stop()
		select {
		case r = <-done:
		case <-timer.C:
			err := fmt.Errorf("%s did not return within %s of its context ending (%v): it ignores its context", what, conformanceReturnGrace, ctx.Err())
			t.Error(err)
			return r.v, err
		}
	}
	if r.panic != nil {
		err := fmt.Errorf("%s panicked: %v", what, r.panic)
		t.Error(err)
		return r.v, err
	}
	return r.v, r.err
}

// wantClassified fails the test unless err is a *remote.Error of class.
func wantClassified(t *testing.T, what string, err error, class remote.Class) {
	t.Helper()
	var re *remote.Error
	switch {
	case err == nil:
		t.Errorf("%s: no error, want a %v error", what, class)
	case !errors.As(err, &re):
		t.Errorf("%s: error %q (%T) is not a classified *remote.Error, want class %v", what, err, err, class)
	case re.Class != class:
		t.Errorf("%s: error class %v, want %v (err: %v)", what, re.Class, class, err)
	}
}

// shQuote quotes s for a POSIX shell.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func testExitCodes(t *testing.T, h *caseHost) {
	h.mustRun(t, remote.Cmd{Args: []string{"true"}}, 0, "", "")
	h.mustRun(t, remote.Cmd{Args: []string{"false"}}, 1, "", "")
	h.mustRun(t, remote.Cmd{Args: []string{"sh", "-c", "exit 3"}}, 3, "", "")
	h.mustRun(t, remote.Cmd{Shell: "exit 0"}, 0, "", "")
	h.mustRun(t, remote.Cmd{Shell: "exit 3"}, 3, "", "")
	h.mustRun(t, remote.Cmd{Shell: "echo before; false"}, 1, "before\n", "")
	h.mustRun(t, remote.Cmd{Shell: "exit 255"}, 255, "", "")
}

func testOutputStreams(t *testing.T, h *caseHost) {
	const n = 2000
	var stdout, stderr strings.Builder
	for i := range n {
		fmt.Fprintf(&stdout, "out %d\n", i)
		fmt.Fprintf(&stderr, "err %d\n", i)
	}
	stdout.WriteString("out-tail")
	stderr.WriteString("err-tail")
	h.mustRun(t, remote.Cmd{Shell: fmt.Sprintf(
		`i=0; while [ $i -lt %d ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done; printf out-tail; printf err-tail >&2`, n)},
		0, stdout.String(), stderr.String())
	h.mustRun(t, remote.Cmd{Shell: "printf 'only stdout'"}, 0, "only stdout", "")
	h.mustRun(t, remote.Cmd{Shell: "printf 'only stderr\\n\\n' >&2; exit 2"}, 2, "", "only stderr\n\n")
}

// argCase is one argument of the quoting round trip.
type argCase struct {
	name string
	arg  string
	// cmdAsSh is empty when cmd.exe quoting of arg means the same to
	// /bin/sh, else why it does not (see DialectCmdAsSh).
	cmdAsSh string
}

var argCases = []argCase{
	{"plain", "plain", ""},
	{"spaces", "two  spaces", ""},
	{"leading and trailing blanks", " \tpadded\t ", ""},
	{"empty", "", ""},
	{"unicode", "ünïcødé ✓ 😀 日本", ""},
	{"shell operators", "a;b|c&d <e> (f) g=h, i!", ""},
	{"single quotes among blanks", "it's 'quoted'", ""}, // the blank makes cmd quote it: "it's 'quoted'"
	{"single quote", "it's", "' is not special to cmd.exe, so it is left unquoted, and sh reads an unterminated quote"},
	{"double quotes", `say "hi"`, `cmd.exe quoting escapes " with \ and carets, which sh keeps`},
	{"dollar", "$HOME ${PATH} $(echo no)", `cmd.exe quoting uses double quotes, inside which sh expands $`},
	{"glob", "*", "* is not special to cmd.exe, so it is left unquoted, and sh expands it to the names in the command's directory"},
	{"backslashes", `back\slash\\ \"`, "cmd.exe quoting leaves backslashes literal, sh removes them"},
	{"percent", "%PATH% 100%", "cmd.exe quoting escapes % with carets, which sh keeps"},
	{"backquote", "`echo no`", "` is not special to cmd.exe, so it is left unquoted, and sh runs it"},
}

// testArgsQuoting prints the arguments back with printf '%s\n' (POSIX),
// or one at a time with echo (cmd-as-sh, where the format's % would be
// escaped with carets sh keeps).
func testArgsQuoting(t *testing.T, h *caseHost) {
	var args []string
	var want strings.Builder
	for _, c := range argCases {
		if h.env.Shell == DialectCmdAsSh && c.cmdAsSh != "" {
			t.Run(c.name, func(t *testing.T) { t.Skipf("%s: %s", DialectCmdAsSh, c.cmdAsSh) })
			continue
		}
		args = append(args, c.arg)
		want.WriteString(c.arg + "\n")
	}
	if h.env.Shell == DialectPOSIX {
		h.mustRun(t, remote.Cmd{Args: append([]string{"printf", `%s\n`}, args...)}, 0, want.String(), "")
		// The program itself needs no quoting: one argument is the whole argv.
		h.mustRun(t, remote.Cmd{Args: []string{"printf", "%s|%s|%s\n", "", "x y", ""}}, 0, "|x y|\n", "")
		return
	}
	for _, arg := range args {
		h.mustRun(t, remote.Cmd{Args: []string{"echo", arg}}, 0, arg+"\n", "")
	}
}

func testShellPipes(t *testing.T, h *caseHost) {
	h.mustRun(t, remote.Cmd{Shell: `printf 'b\na\nc\n' | sort | tr a-z A-Z && echo "sum $((6*7))"`}, 0, "A\nB\nC\nsum 42\n", "")
	h.mustRun(t, remote.Cmd{Shell: `echo hidden >/dev/null; { echo to-stdout >&2; } 2>&1; echo to-stderr 1>&2`}, 0, "to-stdout\n", "to-stderr\n")
	h.mustRun(t, remote.Cmd{Shell: `x='a b'; for w in $x; do echo "[$w]"; done; true | false`}, 1, "[a]\n[b]\n", "")
}

func testStdin(t *testing.T, h *caseHost) {
	h.mustRun(t, remote.Cmd{Shell: "cat", Stdin: strings.NewReader("no trailing newline")}, 0, "no trailing newline", "")
	big := randomBytes(bigStdinSize, 7)
	got := h.run(t, h.ctx, h.tr, remote.Cmd{Shell: "cat; echo done >&2", Stdin: &chunkReader{data: big}})
	if got.err != nil || got.res.ExitCode != 0 || got.stdout != string(big) || got.stderr != "done\n" {
		t.Errorf("cat of %d random bytes returned %d bytes (equal: %v), exit %d, err %v, stderr %q",
			len(big), len(got.stdout), got.stdout == string(big), got.res.ExitCode, got.err, got.stderr)
	}
	// A nil Stdin is an empty input: cat ends at once.
	h.mustRun(t, remote.Cmd{Shell: "cat; echo end"}, 0, "end\n", "")
}

func testEnv(t *testing.T, h *caseHost) {
	env := map[string]string{
		"RCTL_CONF_SPACES": "two  words",
		"RCTL_CONF_QUOTES": `it's "quoted"`,
		"RCTL_CONF_DOLLAR": "$HOME `x` %PATH%",
		"RCTL_CONF_UTF8":   "ünï ✓",
	}
	h.mustRun(t, remote.Cmd{
		Shell: `printf '[%s]\n' "$RCTL_CONF_SPACES" "$RCTL_CONF_QUOTES" "$RCTL_CONF_DOLLAR" "$RCTL_CONF_UTF8"`,
		Env:   env,
	}, 0, "[two  words]\n[it's \"quoted\"]\n[$HOME `x` %PATH%]\n[ünï ✓]\n", "")
	// The variables belong to that command alone.
	h.mustRun(t, remote.Cmd{Shell: `echo "[${RCTL_CONF_SPACES-unset}]"`}, 0, "[unset]\n", "")
}

func testDir(t *testing.T, h *caseHost) {
	dir := filepath.Join(h.tempDir(t), "work dir ü")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil { // not narrowed by the umask: the host's user may differ
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "marker"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	resolved, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	h.mustRun(t, remote.Cmd{Shell: "pwd -P; ls", Dir: dir}, 0, resolved+"\nmarker\n", "")
	h.mustRun(t, remote.Cmd{Args: []string{"ls"}, Dir: dir}, 0, "marker\n", "")
}

func testBinaryOutput(t *testing.T, h *caseHost) {
	h.mustRun(t, remote.Cmd{Shell: `printf '\377\376\000\200\r\nx'; printf 'caf\351\n' >&2`}, 0,
		"\xff\xfe\x00\x80\r\nx", "caf\xe9\n")
}

// testStreaming checks that output reaches the writer while the command
// runs: the command prints 5 MB, then waits for a file the test creates
// only once the writer has seen all of it.
func testStreaming(t *testing.T, h *caseHost) {
	flag := filepath.Join(h.tempDir(t), "seen")
	w := newStreamWriter(streamSize)
	done := make(chan outcome, 1)
	go func() {
		done <- h.run(t, h.ctx, h.tr, remote.Cmd{
			Shell: fmt.Sprintf(`head -c %d /dev/zero | tr '\000' x; while [ ! -e %s ]; do sleep 0.05; done; printf end`,
				streamSize, shQuote(flag)),
			Stdout: w,
		})
	}()
	select {
	case <-w.seen:
	case got := <-done:
		t.Fatalf("the command ended before the test let it (%v): its output was not streamed (%d bytes seen)", got, w.count())
	case <-h.ctx.Done():
		t.Fatalf("%d of %d bytes reached the writer while the command ran: output is held back until it ends", w.count(), streamSize)
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.err != nil || got.res.ExitCode != 0 {
		t.Fatalf("Run: %v", got)
	}
	if err := w.check(); err != nil {
		t.Error(err)
	}
}

// stoppableCommand prints "started" and the process ID of its shell, then
// runs far longer than any case.
const stoppableCommand = "echo started $$; sleep 600; echo never"

// stopWait bounds, in tenths of a second, how long a stopped command's
// shell may take to go away (transports send TERM, then KILL a few seconds
// later).
const stopWait = 300

// wantStopped checks that the shell of a stoppableCommand whose output was
// stdout is gone, or goes away soon, asking the host through the case's
// transport, which shows that the transport still runs commands too.
func (h *caseHost) wantStopped(t *testing.T, stdout string) {
	t.Helper()
	var pid int
	if _, err := fmt.Sscanf(stdout, "started %d\n", &pid); err != nil || stdout != fmt.Sprintf("started %d\n", pid) {
		t.Errorf("stdout %q, want the output written before the command was stopped, \"started PID\\n\"", stdout)
		return
	}
	h.mustRun(t, remote.Cmd{Shell: fmt.Sprintf(
		`i=0; while kill -0 %d 2>/dev/null; do i=$((i+1)); if [ $i -ge %d ]; then echo "process %d still runs" >&2; exit 1; fi; sleep 0.1; done`,
		pid, stopWait, pid)}, 0, "", "")
}

// testDeadline runs a command whose context's deadline passes while it
// runs, checks it was stopped, then runs another on the same transport.
func testDeadline(t *testing.T, h *caseHost) {
	ctx, cancel := context.WithTimeout(h.ctx, 2*time.Second)
	defer cancel()
	got := h.run(t, ctx, h.tr, remote.Cmd{Shell: stoppableCommand})
	wantClassified(t, "Run past its deadline", got.err, remote.ClassTimeout)
	if got.stdout == "" {
		// The deadline passed before the command started (a loaded
		// machine): there is nothing to stop.
		t.Log("the command had not started when its deadline passed")
	} else {
		h.wantStopped(t, got.stdout)
	}
	h.mustRun(t, remote.Cmd{Args: []string{"echo", "still usable"}}, 0, "still usable\n", "")
}

// testCancel cancels a command once its first output arrived, checks it
// was stopped, then runs another on the same transport.
func testCancel(t *testing.T, h *caseHost) {
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	w := NewNotifyWriter("\n")
	go func() {
		select {
		case <-w.Seen():
			cancel()
		case <-ctx.Done():
		}
	}()
	got := h.run(t, ctx, h.tr, remote.Cmd{Shell: stoppableCommand, Stdout: w})
	wantClassified(t, "Run cancelled", got.err, remote.ClassCancelled)
	h.wantStopped(t, w.String())
	h.mustRun(t, remote.Cmd{Args: []string{"echo", "still usable"}}, 0, "still usable\n", "")
}

func testFiles(t *testing.T, h *caseHost) {
	dir := h.tempDir(t)
	data := randomBytes(300<<10, 11)
	for _, tc := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{"binary.bin", data, 0o640},
		{"script with space.sh", []byte("#!/bin/sh\necho hi\n"), 0o755},
		{"empty", nil, 0o600},
	} {
		dst := filepath.Join(dir, tc.name)
		_, err := bounded(t, h.ctx, "Upload", func() (struct{}, error) {
			return struct{}{}, h.tr.Upload(h.ctx, dst, bytes.NewReader(tc.data), tc.mode)
		})
		if err != nil {
			t.Errorf("Upload %s: %v (hint: %s)", tc.name, err, remote.HintOf(err))
			continue
		}
		var got bytes.Buffer
		_, err = bounded(t, h.ctx, "Download", func() (struct{}, error) { return struct{}{}, h.tr.Download(h.ctx, dst, &got) })
		if err != nil {
			t.Errorf("Download %s: %v (hint: %s)", tc.name, err, remote.HintOf(err))
		} else if !bytes.Equal(got.Bytes(), tc.data) {
			t.Errorf("Download %s returned %d bytes, want the %d uploaded", tc.name, got.Len(), len(tc.data))
		}
		if h.env.OS == remote.OSWindows {
			continue // no POSIX mode bits
		}
		info, err := os.Stat(dst)
		if err != nil {
			t.Errorf("after Upload: %v", err)
		} else if info.Mode().Perm() != tc.mode {
			t.Errorf("Upload %s: mode %v, want %v", tc.name, info.Mode().Perm(), tc.mode)
		}
	}
}

func testDownloadMissing(t *testing.T, h *caseHost) {
	missing := filepath.Join(h.tempDir(t), "missing")
	var got bytes.Buffer
	_, err := bounded(t, h.ctx, "Download", func() (struct{}, error) { return struct{}{}, h.tr.Download(h.ctx, missing, &got) })
	if err == nil {
		t.Fatalf("Download of a missing file succeeded (%d bytes)", got.Len())
	}
	var re *remote.Error
	if !errors.As(err, &re) {
		t.Errorf("Download of a missing file: error %q (%T) is not a classified *remote.Error", err, err)
	}
	if !strings.Contains(err.Error(), "missing") {
		t.Errorf("Download of a missing file: error %q does not name the file", err)
	}
	// The failure is the file's, not the transport's.
	h.mustRun(t, remote.Cmd{Args: []string{"echo", "ok"}}, 0, "ok\n", "")
}

func testDownloadSymlink(t *testing.T, h *caseHost) {
	dir := h.tempDir(t)
	data := randomBytes(70<<10, 15)
	if err := os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"real.bin": data, "conf.d/app.conf": []byte("k=v\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"link.bin": "real.bin", "conf": "conf.d"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	var got bytes.Buffer
	_, err := bounded(t, h.ctx, "Download", func() (struct{}, error) {
		return struct{}{}, h.tr.Download(h.ctx, filepath.Join(dir, "link.bin"), &got)
	})
	if err != nil {
		t.Errorf("Download of a symbolic link to a file: %v (hint: %s)", err, remote.HintOf(err))
	} else if !bytes.Equal(got.Bytes(), data) {
		t.Errorf("Download of a symbolic link to a file returned %d bytes, want the file's %d", got.Len(), len(data))
	}
	tg, ok := h.tr.(remote.TreeCopier)
	if !ok {
		return
	}
	local := t.TempDir()
	for _, link := range []string{"link.bin", "conf"} {
		_, err := bounded(t, h.ctx, "GetTree", func() (struct{}, error) {
			return struct{}{}, tg.GetTree(h.ctx, filepath.Join(dir, link), local, nil)
		})
		if err != nil {
			t.Errorf("GetTree of the symbolic link %s: %v (hint: %s)", link, err, remote.HintOf(err))
		}
	}
	if info, err := os.Lstat(filepath.Join(local, "link.bin")); err != nil {
		t.Errorf("GetTree of a symbolic link to a file: %v", err)
	} else if !info.Mode().IsRegular() {
		t.Errorf("GetTree of a symbolic link to a file made %v, want the regular file link.bin", info.Mode())
	} else if b, _ := os.ReadFile(filepath.Join(local, "link.bin")); !bytes.Equal(b, data) {
		t.Errorf("GetTree of a symbolic link to a file: link.bin holds %d bytes, want the file's %d", len(b), len(data))
	}
	if b, err := os.ReadFile(filepath.Join(local, "conf", "app.conf")); err != nil || string(b) != "k=v\n" {
		t.Errorf("GetTree of a symbolic link to a directory: conf/app.conf = %q, %v; want the directory's file", b, err)
	}
	if info, err := os.Lstat(filepath.Join(local, "conf")); err == nil && !info.IsDir() {
		t.Errorf("GetTree of a symbolic link to a directory made %v, want a directory", info.Mode())
	}
}

func testRunAfterClose(t *testing.T, h *caseHost) {
	if err := h.tr.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	got := h.run(t, h.ctx, h.tr, remote.Cmd{Args: []string{"echo", "after close"}})
	if got.err == nil {
		t.Errorf("Run after Close: %v, want an error", got)
	}
	if got.stdout != "" {
		t.Errorf("Run after Close ran the command: stdout %q", got.stdout)
	}
}

func testOS(t *testing.T, h *caseHost) {
	got, _ := bounded(t, h.ctx, "OS", func() (remote.OSFamily, error) { return h.tr.OS(), nil })
	if got != h.env.OS {
		t.Errorf("OS() = %q, want %q", got, h.env.OS)
	}
}

// testConcurrentRuns runs commands at once on one transport, each with its
// own input, outputs and exit code, so that any mix-up shows.
func testConcurrentRuns(t *testing.T, h *caseHost) {
	inputs := make([][]byte, concurrentRuns)
	outs := make([]outcome, concurrentRuns)
	var wg sync.WaitGroup
	for i := range concurrentRuns {
		inputs[i] = randomBytes(64<<10+i, uint64(100+i))
		wg.Go(func() {
			outs[i] = h.run(t, h.ctx, h.tr, remote.Cmd{
				Shell: fmt.Sprintf("cat; sleep 0.2; echo job-%d >&2; exit %d", i, 10+i),
				Stdin: &chunkReader{data: inputs[i]},
			})
		})
	}
	wg.Wait()
	for i, got := range outs {
		if got.err != nil || got.res.ExitCode != 10+i || got.stdout != string(inputs[i]) || got.stderr != fmt.Sprintf("job-%d\n", i) {
			t.Errorf("run %d: exit %d (want %d), err %v, %d bytes of stdout (its input: %v), stderr %q",
				i, got.res.ExitCode, 10+i, got.err, len(got.stdout), got.stdout == string(inputs[i]), got.stderr)
		}
	}
}

// randomBytes returns n reproducible bytes covering every byte value.
func randomBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// chunkReader returns its data in chunks of a few kilobytes, as a pipe
// would, so that input keeps flowing while output arrives.
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

// streamWriter checks the streaming case's output as it arrives, without
// keeping it: want bytes of 'x', then "end". It closes seen once the want
// bytes have arrived.
type streamWriter struct {
	want int
	seen chan struct{}

	mu   sync.Mutex
	n    int    // bytes of the want part received
	bad  int    // offset of the first byte that is not 'x', -1 for none
	tail []byte // what came after the want bytes
	once sync.Once
}

func newStreamWriter(want int) *streamWriter {
	return &streamWriter{want: want, seen: make(chan struct{}), bad: -1}
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	head := p[:min(len(p), w.want-w.n)]
	if i := bytes.IndexFunc(head, func(r rune) bool { return r != 'x' }); i >= 0 && w.bad < 0 {
		w.bad = w.n + i
	}
	w.n += len(head)
	w.tail = append(w.tail, p[len(head):]...)
	if w.n == w.want {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *streamWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// check reports whether the whole output was as expected.
func (w *streamWriter) check() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.n < w.want:
		return fmt.Errorf("the output was %d bytes of x, want %d", w.n, w.want)
	case w.bad >= 0:
		return fmt.Errorf("the output has an unexpected byte at offset %d", w.bad)
	case string(w.tail) != "end":
		return fmt.Errorf("the output ended with %.100q after the %d bytes, want %q", w.tail, w.want, "end")
	}
	return nil
}
