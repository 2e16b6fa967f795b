package playbook

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/internal/omap"
)

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
	info := checks.HostInfo{Name: r.host.host.Name, Vars: omap.PlainMap(r.vars)} // goss templates index plain maps
	rendered, errs := (&checks.Suite{Checks: a.Checks}).For(info, a.Checks)
	become, user := r.become()
	if how := r.becomeHow(); become && how.method != becomeSudo {
		return failed("check: the goss checks become another user with sudo only, not %s; hint: run the check task with become_method: sudo", how.method), nil
	}
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
