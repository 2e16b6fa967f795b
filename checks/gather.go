package checks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// A gather collects the host-side observations of a host's checks in one
// round trip: each observation is a request (a small shell function call,
// or a PowerShell block on Windows); all of them go into one script whose
// output is cut into sections by markers holding a random nonce, and the
// checks then evaluate their properties locally from the sections. Requests
// are deduplicated, so ten port checks read the socket tables once.
type gather struct {
	os      remote.OSFamily
	reqs    []request
	byKey   map[string]int
	helpers []string // helper function names, in first-use order
	helper  map[string]bool
	// budget is the timeout of the check being planned: the requests add
	// registers for it may each go that long without output (the longest
	// budget wins for a request checks share).
	budget time.Duration

	// Filled by run.
	sections []section
	err      error // the gather as a whole failed: every request is unknown
	duration time.Duration
}

// request is one observation: code is a shell command line calling a
// helper function (POSIX) or a PowerShell script block body (Windows).
type request struct {
	code    string
	timeout time.Duration // how long the probe may go without output; 0 is no limit
	// call is the POSIX helper and its arguments code calls (nil on
	// Windows): what a gather on the controller itself reads in Go
	// instead (gatherLocal).
	call []string
}

// section is what one request produced.
type section struct {
	out    []byte
	stderr string
	code   int  // exit status (POSIX) or 1 when the PowerShell block threw
	ok     bool // the section was found in the output
}

// failed returns the problem a section reports, or "" when it ran well.
func (s section) failed() string {
	switch {
	case !s.ok:
		return "no output for this probe (the gather script stopped early)"
	case s.code != 0 && s.stderr != "":
		return strings.TrimSpace(s.stderr)
	case s.code != 0:
		return "the probe exited with status " + strconv.Itoa(s.code)
	}
	return ""
}

func newGather(os remote.OSFamily) *gather {
	return &gather{os: os, byKey: make(map[string]int), helper: make(map[string]bool)}
}

// windows reports whether the host runs Windows (PowerShell probes).
func (g *gather) windows() bool { return g.os == remote.OSWindows }

// add registers a request, once per key, and returns its handle. helper
// names the POSIX helper function code calls ("" for none or on Windows).
func (g *gather) add(key, helper, code string) int {
	if i, ok := g.byKey[key]; ok {
		g.reqs[i].timeout = max(g.reqs[i].timeout, g.budget)
		return i
	}
	g.use(helper)
	g.reqs = append(g.reqs, request{code: code, timeout: g.budget})
	g.byKey[key] = len(g.reqs) - 1
	return len(g.reqs) - 1
}

// addCall registers a POSIX request calling helper with args, once per
// key, and returns its handle.
func (g *gather) addCall(key, helper string, args ...string) int {
	h := g.add(key, helper, posixCall(helper, args...))
	g.reqs[h].call = append([]string{helper}, args...)
	return h
}

// addPath registers a POSIX request calling helper on a file's path
// (after args), expanding goss's ~ and ~user first (a path that starts
// with ~ is never a literal name there).
func (g *gather) addPath(key, helper, path string, args ...string) int {
	if !strings.HasPrefix(path, "~") {
		return g.addCall(key, helper, append(args, path)...)
	}
	g.use("_getent", "_tilde")
	h := g.add(key, helper, posixCall("_tilded", append([]string{helper, path}, args...)...))
	g.reqs[h].call = append([]string{"_tilded", helper, path}, args...)
	return h
}

// use puts helpers in the script ("" is none).
func (g *gather) use(helpers ...string) {
	for _, h := range helpers {
		if h != "" && !g.helper[h] {
			g.helper[h] = true
			g.helpers = append(g.helpers, h)
		}
	}
}

// section returns what request h produced.
func (g *gather) section(h int) section {
	if h < len(g.sections) {
		return g.sections[h]
	}
	return section{}
}

// maxGatherOutput bounds what a gather may return (file contents included).
const maxGatherOutput = 64 << 20

// maxEncodedScript bounds one Windows gather's command line: -EncodedCommand
// doubles the script (UTF-16) and base64 adds a third, and cmd.exe accepts
// 8191 characters.
const maxEncodedScript = 7000

// maxPosixScript bounds one POSIX gather script: it reaches the host as one
// argument of a shell's -c, quoted (which can double or triple its single
// quotes) once more with sudo, and Linux refuses arguments over 128 KiB.
const maxPosixScript = 32 << 10

// batch is a run of requests [first, end) that fits in one script.
type batch struct{ first, end int }

// splitBatches groups requests in order so that each script stays within
// limit: base is the size of a script's fixed part, size the size a request
// adds. A request too large on its own still gets a batch (and fails there).
func splitBatches(reqs []request, base, limit int, size func(i int, r request) int) []batch {
	var out []batch
	cur, total := batch{}, base
	for i, r := range reqs {
		n := size(i, r)
		if i > cur.first && total+n > limit {
			cur.end = i
			out = append(out, cur)
			cur, total = batch{first: i}, base
		}
		total += n
	}
	cur.end = len(reqs)
	return append(out, cur)
}

// run executes the requests on the host in one script, or in as few as the
// limits on a command's length allow (a few hundred requests on POSIX
// hosts, a few dozen on Windows). prepare adjusts each command before it
// runs (sudo).
func (g *gather) run(ctx context.Context, exec Executor, prepare func(*remote.Cmd)) {
	if len(g.reqs) == 0 {
		return
	}
	start := time.Now()
	defer func() { g.duration = time.Since(start) }()
	g.sections = make([]section, len(g.reqs))
	if readsLocally(exec, g.os, prepare) {
		g.runLocal(ctx, exec, prepare)
		return
	}
	g.runScripts(ctx, exec, prepare)
}

// runScripts runs every request in gather scripts.
func (g *gather) runScripts(ctx context.Context, exec Executor, prepare func(*remote.Cmd)) {
	nonce := newNonce()
	script := func(b batch) *remote.Cmd {
		return posixScript(nonce, g.helpers, g.reqs[b.first:b.end], b.first)
	}
	batches := posixBatches(g.helpers, g.reqs)
	if g.windows() {
		script = func(b batch) *remote.Cmd { return windowsScript(nonce, b.first, g.reqs[b.first:b.end]) }
		batches = windowsBatches(g.reqs)
	}
	for _, b := range batches {
		// A probe stopped for its timeout ends its script: the requests
		// after it run in a new one.
		for first := b.first; first < b.end; {
			cmd := script(batch{first, b.end})
			prepare(cmd)
			stopped := g.runScript(ctx, exec, nonce, cmd, batch{first, b.end})
			if g.err != nil || stopped < 0 {
				break
			}
			g.sections[stopped] = section{ok: true, code: -1, stderr: fmt.Sprintf(
				"stopped after %s without output (the check's timeout:, or its type's default)", g.reqs[stopped].timeout)}
			first = stopped + 1
		}
		if g.err != nil {
			return
		}
	}
}

// runScript runs one gather script, whose sections are those of b. It
// returns the probe its watch stopped for its timeout, or -1.
func (g *gather) runScript(ctx context.Context, exec Executor, nonce string, cmd *remote.Cmd, b batch) int {
	var stdout limitedBuffer
	var stderr limitedBuffer
	stdout.max, stderr.max = maxGatherOutput, 64<<10
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watch := newProbeWatch(markerPrefix(nonce), g.reqs, b.end, cancel)
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&stdout, watch), &stderr
	res, err := exec.Run(sctx, cmd)
	stopped := watch.close()
	if stdout.overflow {
		g.err = fmt.Errorf("the probes returned more than %d MiB; check fewer or smaller files' contents", maxGatherOutput>>20)
		return -1
	}
	// The probes that finished keep their output, even when the script
	// was stopped (the host's time ran out) or the connection was lost.
	found := splitSections(stdout.Bytes(), nonce)
	for i, s := range found {
		if i >= b.first && i < b.end && (stopped < 0 || i < stopped) {
			g.sections[i] = s
		}
	}
	if stopped >= 0 && ctx.Err() == nil {
		return stopped
	}
	if err != nil {
		g.err = fmt.Errorf("the probe script could not run: %w", err)
		return -1
	}
	if len(found) == 0 && (res.ExitCode != 0 || res.Signal != "") {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = fmt.Sprintf("exit status %d", res.ExitCode)
		}
		g.err = errors.New("the probe script failed: " + msg)
	}
	return -1
}

func newNonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// markerPrefix starts every marker line: "::rctl:NONCE begin N",
// "::rctl:NONCE stderr", "::rctl:NONCE end CODE".
func markerPrefix(nonce string) string { return "::rctl:" + nonce + " " }

// splitSections cuts a gather's output into its sections, by request
// number. A section's output is everything between its begin marker and the
// line break the script writes before the stderr marker.
func splitSections(out []byte, nonce string) map[int]section {
	prefix := []byte(markerPrefix(nonce))
	sections := make(map[int]section)
	index := -1
	const (
		outside = iota
		inOutput
		inStderr
	)
	state := outside
	var cur section
	var body, errText bytes.Buffer
	for len(out) > 0 {
		line := out
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			line, out = out[:i+1], out[i+1:]
		} else {
			out = nil
		}
		trimmed := bytes.TrimRight(line, "\r\n")
		marker, isMarker := bytes.CutPrefix(trimmed, prefix)
		if !isMarker {
			switch state {
			case inOutput:
				body.Write(line)
			case inStderr:
				errText.Write(line)
			}
			continue
		}
		word, arg, _ := strings.Cut(string(marker), " ")
		switch word {
		case "begin":
			n, err := strconv.Atoi(strings.TrimSpace(arg))
			if err != nil {
				state = outside
				continue
			}
			index, cur = n, section{}
			body.Reset()
			errText.Reset()
			state = inOutput
		case "stderr":
			state = inStderr
		case "end":
			if state == outside {
				continue
			}
			cur.out = trimLineEnd(bytes.Clone(body.Bytes()))
			cur.stderr = strings.TrimSpace(errText.String())
			cur.code, _ = strconv.Atoi(strings.TrimSpace(arg))
			cur.ok = true
			sections[index] = cur
			state = outside
		}
	}
	return sections
}

// trimLineEnd removes the one line break the script adds after a
// section's output.
func trimLineEnd(b []byte) []byte {
	if bytes.HasSuffix(b, []byte("\r\n")) {
		return b[:len(b)-2]
	}
	return bytes.TrimSuffix(b, []byte("\n"))
}

// limitedBuffer keeps up to max bytes and notes whether more came.
type limitedBuffer struct {
	bytes.Buffer
	max      int
	overflow bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.Len(); len(p) > room {
		l.overflow = true
		if room > 0 {
			l.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return l.Buffer.Write(p)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// psQuote quotes s as a PowerShell single-quoted string.
func psQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		if r == '\'' || (r >= '\u2018' && r <= '\u201B') {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}
