package report

// The fixed exit codes of the tool (the hosts' outcomes are the exit bits
// above). This file and exit.go are the only places that decide exit codes.
const (
	ExitOK          = 0
	ExitUsage       = 64 // usage error (flags, arguments, unknown host pattern)
	ExitInput       = 65 // invalid input (inventory, playbook, check file)
	ExitOutput      = 74 // the run ended but some output could not be written (EX_IOERR)
	ExitLocked      = 75 // another run holds the lock
	ExitInterrupted = 130
)

// ExitCodesHelp documents the exit codes of exec, copy and fetch (help
// and man pages).
const ExitCodesHelp = `Exit codes:
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

// CheckExitCodesHelp documents the exit codes of check.
const CheckExitCodesHelp = ExitCodesHelp + `

For check, bit 1 means some property failed, and bit 2 also means some property could
not be evaluated (state error). With -o nagios, check exits with the Nagios plugin state
instead: 0 OK (every property passed or was skipped), 1 WARNING (some property or host
could not be checked), 2 CRITICAL (some property failed), 3 UNKNOWN (nothing could be
evaluated, or invalid input or usage).`

// PlayExitCodesHelp documents the exit codes of play: ansible-playbook's
// for the hosts' outcomes, remotectl's fixed codes otherwise.
const PlayExitCodesHelp = `Exit codes (ansible-playbook's for the hosts):
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

// WithDeadlineBit adds the timeout bit to the code of a run whose
// --deadline passed: hosts it stopped count as timed out, whether they were
// running or never started (an interruption, 130, is Ctrl-C's alone).
func WithDeadlineBit(code int) int {
	if code >= ExitUsage { // a fixed code: 65, 130, ...
		return code
	}
	return code | ExitTimedOut
}

// OutputFailedCode is the exit code of a run some output of which could not
// be written: 74, whatever the hosts did (the recap and the run record tell
// that), but an interruption stays 130, invalid host settings 65, and a
// Nagios plugin keeps its state, at least WARNING (Nagios has no other
// codes).
func OutputFailedCode(code int, nagios bool) int {
	switch {
	case code == ExitInterrupted || code == ExitInput:
		return code
	case nagios:
		return max(code, int(NagiosWarning))
	}
	return ExitOutput
}

// RunExitCode decides the exit code of a run from the hosts' exit bits
// (report's ExitBits): 130 when interrupted; else 65 when some host's
// settings could not work (configError), whatever the other hosts did.
func RunExitCode(bits int, configError, interrupted bool) int {
	switch {
	case interrupted:
		return ExitInterrupted
	case configError:
		return ExitInput
	}
	return bits
}

// SummaryExitCode decides the exit code of an exec, copy or fetch run.
func SummaryExitCode(s *Summary, interrupted bool) int {
	return RunExitCode(s.ExitBits(), s.ConfigError(), interrupted)
}

// CheckExitCode decides the exit code of a check run (see
// CheckSummary.ExitBits). With nagios, the plugin state the status
// line shows, interrupted or not (Nagios plugins have no other codes).
func CheckExitCode(s *CheckSummary, nagios, interrupted bool) int {
	if nagios {
		return int(s.NagiosState())
	}
	return RunExitCode(s.ExitBits(), s.ConfigError(), interrupted)
}

// PlayRunExitCode decides the exit code of a play run, ansible-playbook's.
func PlayRunExitCode(rep *PlayRun, interrupted bool) int {
	return RunExitCode(rep.PlayExitCode(), rep.ConfigError(), interrupted)
}

// PlayDeadlineCode is the code of a play run whose --deadline stopped
// hosts: they failed (2), unless some host was unreachable (4).
func PlayDeadlineCode(code int) int {
	if code >= ExitUsage {
		return code
	}
	return max(code, PlayExitFailed)
}

// DoctorExitCode decides the exit code of doctor: 0 when every host is
// healthy, 2 when some host has a blocking problem.
func DoctorExitCode(healthy, interrupted bool) int {
	switch {
	case interrupted:
		return ExitInterrupted
	case !healthy:
		return ExitUnreachable
	}
	return ExitOK
}
