package checks

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/remotectl/remotectl/remote"
)

// fakeExec is an Executor made of a function: the tests decide what each
// command does.
type fakeExec struct {
	os  remote.OSFamily
	run func(ctx context.Context, cmd *remote.Cmd) (remote.Result, error)
}

func (f *fakeExec) Run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
	return f.run(ctx, cmd)
}

func (f *fakeExec) OS() remote.OSFamily { return f.os }

// probeReply is what a faked probe prints.
type probeReply struct {
	out    string
	stderr string
	code   int
	hang   bool // the probe never finishes: the script runs until it is stopped
}

// fakeHost answers gather scripts from a table of probe replies, keyed by
// the probe's code as the script writes it ("_svc 'sshd'" on POSIX hosts,
// the script block's body on Windows), and command checks from another
// table. It records what it was asked.
type fakeHost struct {
	os       remote.OSFamily
	mu       sync.Mutex
	probes   map[string]probeReply
	commands map[string]func(ctx context.Context, cmd *remote.Cmd) (remote.Result, error)
	gathers  int      // gather scripts run
	asked    []string // probe codes, in order, over all gathers
	ran      []string // command checks run
}

func newFakeHost(os remote.OSFamily, probes map[string]probeReply) *fakeHost {
	return &fakeHost{os: os, probes: probes, commands: make(map[string]func(context.Context, *remote.Cmd) (remote.Result, error))}
}

func (h *fakeHost) setProbe(code string, r probeReply) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.probes[code] = r
}

func (h *fakeHost) exec() *fakeExec { return &fakeExec{os: h.os, run: h.run} }

var (
	posixNonceRE = regexp.MustCompile(`(?m)^M='::rctl:([0-9a-f]+)'$`)
	posixProbeRE = regexp.MustCompile(`(?m)^_s (\d+) (.*)$`)
	winNonceRE   = regexp.MustCompile(`(?m)^\$M='::rctl:([0-9a-f]+)'$`)
	winProbeRE   = regexp.MustCompile(`(?m)^S (\d+) \{(.*)\}$`)
)

func (h *fakeHost) run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
	if err := ctx.Err(); err != nil {
		return remote.Result{}, err
	}
	script, nonceRE, probeRE := cmd.Shell, posixNonceRE, posixProbeRE
	if h.os == remote.OSWindows && len(cmd.Args) > 0 && cmd.Args[0] == "powershell.exe" {
		script, nonceRE, probeRE = decodePowerShell(cmd.Args[len(cmd.Args)-1]), winNonceRE, winProbeRE
	}
	nonce := nonceRE.FindStringSubmatch(script)
	if nonce == nil {
		h.mu.Lock()
		h.ran = append(h.ran, cmd.Shell)
		run := h.commands[cmd.Shell]
		h.mu.Unlock()
		if run == nil {
			return remote.Result{ExitCode: 127}, nil
		}
		return run(ctx, cmd)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gathers++
	for _, m := range probeRE.FindAllStringSubmatch(script, -1) {
		h.asked = append(h.asked, m[2])
		r, ok := h.probes[m[2]]
		if !ok {
			r = probeReply{stderr: "not faked: " + m[2], code: 127}
		}
		mark := "::rctl:" + nonce[1]
		if r.hang {
			// As the script does: the begin marker, then nothing.
			fmt.Fprintf(cmd.Stdout, "%s begin %s\n", mark, m[1])
			h.mu.Unlock()
			<-ctx.Done()
			h.mu.Lock()
			return remote.Result{}, &remote.Error{Class: remote.ClassTimeout, Op: "run", Err: ctx.Err()}
		}
		fmt.Fprintf(cmd.Stdout, "%s begin %s\n%s\n%s stderr\n%s\n%s end %d\n", mark, m[1], r.out, mark, r.stderr, mark, r.code)
	}
	return remote.Result{}, nil
}

func decodePowerShell(b64 string) string {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return ""
	}
	units := make([]uint16, len(raw)/2)
	for i := range units {
		units[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	return string(utf16.Decode(units))
}

// mustParse parses a check file or fails the test.
func mustParse(t *testing.T, src string) []*Check {
	t.Helper()
	s, err := Parse("checks.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s.Checks
}

// summary renders results as "type id property status" lines.
func summary(results []Result) []string {
	out := make([]string, len(results))
	for i, r := range results {
		out[i] = r.Type + " " + r.ID + " " + r.Property + " " + string(r.Status)
	}
	return out
}

func find(t *testing.T, results []Result, id, prop string) Result {
	t.Helper()
	for _, r := range results {
		if r.ID == id && r.Property == prop {
			return r
		}
	}
	t.Fatalf("no result for %s %s in %v", id, prop, summary(results))
	return Result{}
}

// writeAll writes s to w, for faked commands.
func writeAll(t *testing.T, w io.Writer, s string) {
	t.Helper()
	if _, err := io.WriteString(w, s); err != nil {
		t.Error(err)
	}
}
