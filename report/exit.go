package report

import (
	"slices"

	"github.com/remotectl/remotectl/remote"
)

// Exit bits: what the hosts of a run did, as bits of its exit code (the
// command adds the fixed codes: usage, input, interrupted...).
const (
	ExitFailed      = 1 // some command exited non-zero, some task or property failed
	ExitUnreachable = 2 // some host unreachable (check: or not checkable)
	ExitTimedOut    = 4 // some host timed out
)

// ExitBits combines the hosts' outcomes into exit bits.
func (s *Summary) ExitBits() int {
	return exitBits(s.Failed > 0, s.Unreachable > 0, s.TimedOut > 0)
}

// ConfigError reports whether some host's settings could not work
// (remote.ClassConfig): the run's input was invalid, whatever the other
// hosts did.
func (s *Summary) ConfigError() bool {
	return slices.ContainsFunc(s.Hosts, func(h HostRecord) bool { return h.Class == remote.ClassConfig })
}

// ExitBits combines the outcomes of a check run into exit bits: 1 some
// property failed; 2 some host unreachable or not checkable, or some
// property in state error (it could not be evaluated: never a failure,
// never a success); 4 some host timed out.
func (s *CheckSummary) ExitBits() int {
	return exitBits(s.Failed > 0, s.Errors > 0 || s.HostsError > 0 || s.HostsUnreachable > 0, s.HostsTimedOut > 0)
}

// ConfigError reports whether some host's settings could not work, as
// Summary.ConfigError.
func (s *CheckSummary) ConfigError() bool {
	return slices.ContainsFunc(s.Hosts, func(h CheckHost) bool { return h.Class == remote.ClassConfig })
}

// ExitBits combines the hosts of the recap (see Totals) into exit bits.
func (r *PlayRun) ExitBits() int {
	failed, unreachable, timedOut := r.Totals()
	return exitBits(failed > 0, unreachable > 0, timedOut > 0)
}

// Exit codes of a play run, as ansible-playbook's: unlike the exit bits
// they do not combine (an unreachable host wins over a failed one).
const (
	PlayExitFailed      = 2 // some host failed (or timed out)
	PlayExitUnreachable = 4 // some host was unreachable
)

// PlayExitCode is the exit code ansible-playbook gives for the hosts of the
// recap: PlayExitUnreachable when some host was unreachable, else
// PlayExitFailed when some host failed or timed out (Ansible's task
// timeouts fail the task), else 0.
func (r *PlayRun) PlayExitCode() int {
	failed, unreachable, timedOut := r.Totals()
	switch {
	case unreachable > 0:
		return PlayExitUnreachable
	case failed > 0 || timedOut > 0:
		return PlayExitFailed
	}
	return 0
}

// ConfigError reports whether some task failed because its host's settings
// could not work, as Summary.ConfigError.
func (r *PlayRun) ConfigError() bool {
	return slices.ContainsFunc(r.Results, func(t *TaskResult) bool { return t.ErrorClass == remote.ClassConfig.String() })
}

func exitBits(failed, unreachable, timedOut bool) int {
	code := 0
	if failed {
		code |= ExitFailed
	}
	if unreachable {
		code |= ExitUnreachable
	}
	if timedOut {
		code |= ExitTimedOut
	}
	return code
}
