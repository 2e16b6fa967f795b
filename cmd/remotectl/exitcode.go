package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/internal/errkind"
	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/report"
)

// usageError is a mistake in how remotectl was called.
type usageError = errkind.Usage

// classifyArgs makes the errors of the argument checks of c and its
// subcommands usage errors (cobra's NoArgs, MaximumNArgs, ... return plain
// errors, which exitCodeOf would count as failures).
func classifyArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError{Err: err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		classifyArgs(sub)
	}
}

// rootError classifies an error the root command returned itself: root only
// dispatches, so an error of its own that no class claims (cobra's "unknown
// command") is a usage error.
func rootError(root, failed *cobra.Command, err error) error {
	if failed == root && err != nil && exitCodeOf(err) == report.ExitFailed {
		return usageError{Err: err}
	}
	return err
}

// inputError is invalid data: an inventory, a playbook, a check file.
type inputError = errkind.Input

// outputError is a failure to write a command's main output (standard
// output) once its work is done: exit 74, as report.OutputFailedCode decides from
// code, the exit code the hosts decided.
type outputError struct {
	err  error
	code int
}

func (e outputError) Error() string { return e.err.Error() }
func (e outputError) Unwrap() error { return e.err }

// withOutputFailure applies the rule of a failed write of standard output
// to the error a command returned; out is standard output, remembering
// its first write error. A command that decided its exit code from its
// hosts (exitError) has applied report.OutputFailedCode itself; any other one that
// wrote its output in vain, whether it returned nil or the write error
// itself, ends with 74 and the write error.
func withOutputFailure(err error, out *ops.ErrWriter) error {
	werr := out.TakeErr()
	var ee exitError
	if werr == nil || errors.As(err, &ee) || (err != nil && exitCodeOf(err) != report.ExitFailed) {
		return err
	}
	if err == nil {
		err = fmt.Errorf("standard output: %w", werr)
	}
	return outputError{err: err}
}

// exitError carries an exit code decided from a run's summary.
type exitError struct{ code int }

func (e exitError) Error() string { return "" }

// exitCodeOf maps the error a command returned to the process exit code.
func exitCodeOf(err error) int {
	var (
		ue errkind.Usage
		ie errkind.Input
		ee exitError
		we outputError
		le ops.LockedError
	)
	switch {
	case err == nil:
		return report.ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &we):
		return report.OutputFailedCode(we.code, false)
	case errors.As(err, &le):
		return report.ExitLocked
	case errors.As(err, &ue):
		return report.ExitUsage
	case errors.As(err, &ie):
		return report.ExitInput
	case errors.Is(err, context.Canceled):
		return report.ExitInterrupted
	case errors.Is(err, context.DeadlineExceeded):
		// The run's --deadline passed before any host ran (while a dynamic
		// inventory did): the hosts never started count as timed out.
		return report.ExitTimedOut
	default:
		// An error no class claims is a failure of the run, not of how
		// remotectl was called: usage errors say so with their type.
		return report.ExitFailed
	}
}
