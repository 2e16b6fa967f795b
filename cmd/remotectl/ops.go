package main

import (
	"cmp"
	"errors"

	"github.com/remotectl/remotectl/checks/plan"
	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
	"github.com/remotectl/remotectl/runrec"
)

// newOpsRun returns the unattended-operations side of a run of cmd (see
// ops.Run), with the settings loadSettings resolved, or the error that made
// them invalid.
func (a *app) newOpsRun(cmd ops.Command) (*ops.Run, error) {
	if a.opsErr != nil {
		return nil, a.opsErr
	}
	codes := opsExitCodes(a.g.Output == report.FormatNagios)
	if cmd.Name == "play" {
		codes.DeadlinePassed = report.PlayDeadlineCode
	}
	return ops.New(cmd, a.ops, ops.Deps{
		Err:      a.io.Err,
		Getenv:   a.io.Getenv,
		History:  runrec.Store{Dir: runrec.DefaultDir(a.io.Getenv)},
		Terminal: a.g.terminal(a.io),
		Scope:    ops.Scope{Inventories: a.g.AbsInventories(a.cwd), Hosts: a.g.Hosts, Limit: a.g.Limit},
		Verbose:  a.g.Verbose > 0,
		Codes:    codes,
	}), nil
}

// opsExitCodes are the exit-code rules the end of a run applies; nagios:
// the codes are Nagios plugin states.
func opsExitCodes(nagios bool) ops.ExitCodes {
	c := ops.ExitCodes{
		OK:             report.ExitOK,
		Interrupted:    report.ExitInterrupted,
		DeadlinePassed: report.WithDeadlineBit,
		OutputFailed:   func(code int) int { return report.OutputFailedCode(code, nagios) },
	}
	if nagios { // a Nagios plugin has its own codes; its state already says what timed out
		c.DeadlinePassed = func(code int) int { return code }
	}
	return c
}

// rerunTargets keeps, with --rerun, the targets the earlier run selects;
// with none left, the command ends with exit 0.
func rerunTargets(r *ops.Run, targets []remote.Target) ([]remote.Target, error) {
	kept, err := r.Rerun(targets)
	if errors.Is(err, ops.ErrNothingToRerun) {
		return nil, exitError{report.ExitOK}
	}
	return kept, err
}

// rerunPlans keeps, with --rerun, the plans of the hosts the earlier run
// selects (see rerunTargets).
func rerunPlans(r *ops.Run, g globals, plans []*plan.Host) ([]*plan.Host, error) {
	if r.Options().Rerun == "" {
		return plans, nil
	}
	targets, err := rerunTargets(r, g.targets(plan.Hosts(plans)))
	if err != nil {
		return nil, err
	}
	return plan.Keep(plans, targets), nil
}

// terminal describes standard error for the status line.
func (g globals) terminal(io *streams) ops.Terminal {
	return ops.Terminal{Err: io.Err, TTY: io.ErrTTY, Term: io.Getenv("TERM"), Quiet: g.Quiet, Format: g.Output, DrawBelow: drawBelow(io)}
}

// drawBelow sends the rest of the command's standard error and prompts
// through the status line s: a warning written while the line is shown (a
// host key added to known_hosts, TLS not verified) erases it first, and a
// prompt (a key's passphrase) takes it off the screen until answered.
func drawBelow(io *streams) func(*ops.StatusLine) {
	return func(s *ops.StatusLine) {
		s.SetWidth(cmp.Or(io.Width, 80)) // stdout's terminal, most likely standard error's too
		io.Err = s.Writer(io.Err)
		if read := io.ReadSecret; read != nil {
			io.ReadSecret = s.Prompt(read)
		}
	}
}
