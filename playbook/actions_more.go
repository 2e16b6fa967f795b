package playbook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/remote"
)

// FetchAction copies a file from the host to the controller: into
// DEST/HOST/SRC, or to DEST itself with flat.
type FetchAction struct {
	Src, Dest Text
	Flat      bool
}

func (a *FetchAction) Kind() string    { return "fetch" }
func (a *FetchAction) summary() string { return a.Src.Raw + " -> " + a.Dest.Raw }
func (a *FetchAction) readOnly() bool  { return false }

func (a *FetchAction) run(ctx context.Context, r *actionRun) (*Outcome, error) {
	src, err := r.render(a.Src)
	if err != nil {
		return failed("%v", err), nil
	}
	dest, err := r.render(a.Dest)
	if err != nil {
		return failed("%v", err), nil
	}
	if !a.Flat {
		dest = filepath.Join(dest, r.host.host.Name, filepath.FromSlash(strings.TrimLeft(src, `/\:`)))
	}
	var content bytes.Buffer
	if err := r.tr.Download(ctx, src, &content); err != nil {
		if c := remote.ClassOf(err); c.Unreachable() || c == remote.ClassTimeout || c == remote.ClassCancelled {
			return nil, err
		}
		return failed("download %s: %v", src, err), nil
	}
	extra := map[string]any{"dest": dest, "src": src}
	if old, err := os.ReadFile(dest); err == nil && sha256.Sum256(old) == sha256.Sum256(content.Bytes()) {
		return &Outcome{Extra: extra}, nil
	}
	if err := writeFileAtomic(dest, content.Bytes()); err != nil {
		return failed("saving %s: %v", dest, err), nil
	}
	return &Outcome{Changed: true, Extra: extra}, nil
}

// writeFileAtomic writes a file through a temporary file and a rename.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".remotectl-fetch-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// CheckAction runs check specs on the host; the task fails when any
// property fails or cannot be evaluated. A failing check task (without
// ignore_errors) is a health gate: the play stops after the batch.
type CheckAction struct {
	Checks       []*checks.Check
	RetryTimeout time.Duration
	Sleep        time.Duration
}

func (a *CheckAction) Kind() string { return "check" }

func (a *CheckAction) summary() string {
	names := make([]string, 0, len(a.Checks))
	for _, c := range a.Checks {
		names = append(names, c.DisplayTitle())
	}
	return strings.Join(names, ", ")
}

func (a *CheckAction) readOnly() bool { return true }

func (a *CheckAction) run(ctx context.Context, r *actionRun) (*Outcome, error) {
	info := checks.HostInfo{Name: r.host.host.Name, Vars: r.vars}
	rendered, errs := (&checks.Suite{Checks: a.Checks}).For(info, a.Checks)
	become, user := r.become()
	results := append(errs, checks.Run(ctx, r.tr, info, rendered, checks.RunOptions{
		RetryTimeout: a.RetryTimeout, Sleep: a.Sleep, Become: become, BecomeUser: user})...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var bad []string
	passed := 0
	for _, res := range results {
		switch res.Status {
		case checks.Pass:
			passed++
		case checks.Fail, checks.Error:
			line := fmt.Sprintf("%s %s: %s", res.Title, res.Property, res.Status)
			if res.Message != "" {
				line += " (" + res.Message + ")"
			} else if res.Expected != "" {
				line += fmt.Sprintf(" (expected %s, got %s)", res.Expected, res.Actual)
			}
			bad = append(bad, line)
		}
	}
	out := &Outcome{Extra: map[string]any{"checks": checkResults(results)}}
	if len(bad) > 0 {
		out.Failed = true
		out.Msg = strings.Join(bad, "; ")
		return out, nil
	}
	out.Msg = fmt.Sprintf("%d properties passed", passed)
	return out, nil
}

// checkResults is what register: keeps of check results.
func checkResults(results []checks.Result) []any {
	out := make([]any, len(results))
	for i, r := range results {
		out[i] = map[string]any{"check": r.Title, "property": r.Property, "status": string(r.Status),
			"expected": r.Expected, "actual": r.Actual, "message": r.Message}
	}
	return out
}
