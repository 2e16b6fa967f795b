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

// Exit codes. Per-host outcomes combine as bits; tool-level failures are
// fixed values. This file is the only place that decides them.
const (
	exitOK          = 0
	exitFailed      = report.ExitFailed      // some command exited non-zero or some check failed
	exitUnreachable = report.ExitUnreachable // some host unreachable, auth or host-key failure
	exitTimedOut    = report.ExitTimedOut    // some host timed out
	exitUsage       = 64                     // usage error (flags, arguments, unknown host pattern)
	exitInput       = 65                     // invalid input (inventory, playbook, check file)
	exitOutput      = 74                     // the run ended but some output could not be written (EX_IOERR)
	exitLocked      = 75                     // another run holds the lock
	exitInterrupted = 130
)

const exitCodesHelp = `Exit codes:
  0    every host succeeded
  1    some command exited non-zero (or some check failed)
  2    some host was unreachable (DNS, refused, auth, host key, protocol, connection lost)
  4    some host timed out
       (1, 2 and 4 combine: 3 = failures and unreachable hosts, ...)
  64   usage error (bad flag or argument, unknown host pattern)
  65   invalid input (inventory, playbook or check file), or a host's settings that
       cannot work, found when connecting (identity file, ssh option, WinRM auth or
       encryption): error class "config"
  74   the run ended but an output could not be written (--report, --outdir,
       --prometheus-textfile, --log-file, standard output): the recap and the run
       history still tell each host's outcome
  75   another run holds the lock
  130  interrupted (Ctrl-C)`

// checkExitCodesHelp documents the exit codes of check.
const checkExitCodesHelp = exitCodesHelp + `

For check, bit 1 means some property failed, and bit 2 also means some property could
not be evaluated (state error). With -o nagios, check exits with the Nagios plugin state
instead: 0 OK (every property passed or was skipped), 1 WARNING (some property or host
could not be checked), 2 CRITICAL (some property failed), 3 UNKNOWN (nothing could be
evaluated, or invalid input or usage).`

// playExitCodesHelp documents the exit codes of play: ansible-playbook's
// for the hosts' outcomes, remotectl's fixed codes otherwise.
const playExitCodesHelp = `Exit codes (ansible-playbook's for the hosts):
  0    every host succeeded
  2    some host failed (a task failed, or the host timed out)
  4    some host was unreachable (DNS, refused, auth, host key, lost), whatever the others did
  64   usage error (bad flag or argument, unknown host pattern, unreadable vault password)
  65   invalid input (inventory, playbook, vault content, ansible.cfg), found before any
       connection and by --syntax-check (ansible-playbook: 4, its code for unreachable
       hosts too), or a host's settings that cannot work: error class "config"
  74   the run ended but an output could not be written (the recap and history tell all)
  75   another run holds the lock
  130  interrupted (Ctrl-C)`

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
	if failed == root && err != nil && exitCodeOf(err) == exitFailed {
		return usageError{Err: err}
	}
	return err
}

// inputError is invalid data: an inventory, a playbook, a check file.
type inputError = errkind.Input

// outputError is a failure to write a command's main output (standard
// output) once its work is done: exit 74, as outputFailedCode decides from
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
// hosts (exitError) has applied outputFailedCode itself; any other one that
// wrote its output in vain, whether it returned nil or the write error
// itself, ends with 74 and the write error.
func withOutputFailure(err error, out *ops.ErrWriter) error {
	werr := out.TakeErr()
	var ee exitError
	if werr == nil || errors.As(err, &ee) || (err != nil && exitCodeOf(err) != exitFailed) {
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

// withDeadlineBit adds the timeout bit to the code of a run whose
// --deadline passed: hosts it stopped count as timed out, whether they were
// running or never started (an interruption, 130, is Ctrl-C's alone).
func withDeadlineBit(code int) int {
	if code >= exitUsage { // a fixed code: 65, 130, ...
		return code
	}
	return code | exitTimedOut
}

// outputFailedCode is the exit code of a run some output of which could not
// be written: 74, whatever the hosts did (the recap and the run record tell
// that), but an interruption stays 130, invalid host settings 65, and a
// Nagios plugin keeps its state, at least WARNING (Nagios has no other
// codes).
func outputFailedCode(code int, nagios bool) int {
	switch {
	case code == exitInterrupted || code == exitInput:
		return code
	case nagios:
		return max(code, int(report.NagiosWarning))
	}
	return exitOutput
}

// runExitCode decides the exit code of a run from the hosts' exit bits
// (report's ExitBits): 130 when interrupted; else 65 when some host's
// settings could not work (configError), whatever the other hosts did.
func runExitCode(bits int, configError, interrupted bool) int {
	switch {
	case interrupted:
		return exitInterrupted
	case configError:
		return exitInput
	}
	return bits
}

// summaryExitCode decides the exit code of an exec, copy or fetch run.
func summaryExitCode(s *report.Summary, interrupted bool) int {
	return runExitCode(s.ExitBits(), s.ConfigError(), interrupted)
}

// checkExitCode decides the exit code of a check run (see
// report.CheckSummary.ExitBits). With nagios, the plugin state the status
// line shows, interrupted or not (Nagios plugins have no other codes).
func checkExitCode(s *report.CheckSummary, nagios, interrupted bool) int {
	if nagios {
		return int(s.NagiosState())
	}
	return runExitCode(s.ExitBits(), s.ConfigError(), interrupted)
}

// playExitCode decides the exit code of a play run, ansible-playbook's.
func playExitCode(rep *report.PlayRun, interrupted bool) int {
	return runExitCode(rep.PlayExitCode(), rep.ConfigError(), interrupted)
}

// playDeadlineCode is the code of a play run whose --deadline stopped
// hosts: they failed (2), unless some host was unreachable (4).
func playDeadlineCode(code int) int {
	if code >= exitUsage {
		return code
	}
	return max(code, report.PlayExitFailed)
}

// doctorExitCode decides the exit code of doctor: 0 when every host is
// healthy, 2 when some host has a blocking problem.
func doctorExitCode(healthy, interrupted bool) int {
	switch {
	case interrupted:
		return exitInterrupted
	case !healthy:
		return exitUnreachable
	}
	return exitOK
}

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
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &we):
		return outputFailedCode(we.code, false)
	case errors.As(err, &le):
		return exitLocked
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ie):
		return exitInput
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, context.DeadlineExceeded):
		// The run's --deadline passed before any host ran (while a dynamic
		// inventory did): the hosts never started count as timed out.
		return exitTimedOut
	default:
		// An error no class claims is a failure of the run, not of how
		// remotectl was called: usage errors say so with their type.
		return exitFailed
	}
}
