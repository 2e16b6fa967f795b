package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/remotectl/remotectl/nodeset"
)

// NagiosState is the state a Nagios (or Icinga, Naemon, Sensu) plugin
// reports; its value is the plugin's exit code.
type NagiosState int

// Nagios plugin states.
const (
	NagiosOK NagiosState = iota
	NagiosWarning
	NagiosCritical
	NagiosUnknown
)

func (s NagiosState) String() string {
	switch s {
	case NagiosOK:
		return "OK"
	case NagiosWarning:
		return "WARNING"
	case NagiosCritical:
		return "CRITICAL"
	}
	return "UNKNOWN"
}

// NagiosState returns the run's state as a monitoring plugin: CRITICAL when
// some property failed; else UNKNOWN when nothing could be evaluated (no
// property passed: every host unreachable, every property in error); else
// WARNING when something could not be checked (a property in error, a host
// unreachable, timed out or cancelled); else OK.
func (s *CheckSummary) NagiosState() NagiosState {
	switch {
	case s.Failed > 0:
		return NagiosCritical
	case s.Passed == 0:
		return NagiosUnknown
	case s.Errors > 0 || s.HostsError+s.HostsUnreachable+s.HostsTimedOut+s.HostsCancelled > 0:
		return NagiosWarning
	}
	return NagiosOK
}

// nagiosMaxChecks is how many failing checks the status line names.
const nagiosMaxChecks = 3

// checkNagios writes one status line at the end:
//
//	CHECKS CRITICAL - 2 failed on h[03,07]: port tcp:8080 listening; 38 passed | passed=38 failed=2 ...
type checkNagios struct{ out io.Writer }

func (n *checkNagios) host(*CheckHost) error { return nil }

func (n *checkNagios) finish(s *CheckSummary) error {
	_, err := io.WriteString(n.out, NagiosLine(s.NagiosState(), nagiosText(s), nagiosPerfdata(s)))
	return err
}

// NagiosLine formats a plugin's status line: "CHECKS STATE - text | perfdata".
// Line breaks and '|' in text (which would start the performance data) are
// replaced.
func NagiosLine(state NagiosState, text, perfdata string) string {
	text = strings.ReplaceAll(Printable(text), "|", "/")
	line := "CHECKS " + state.String() + " - " + text
	if perfdata != "" {
		line += " | " + perfdata
	}
	return line + "\n"
}

// NagiosUnknownLine is the status line of a plugin that could not check:
// state UNKNOWN, saying why in the first line of err.
func NagiosUnknownLine(err error) string {
	text, _, _ := strings.Cut(err.Error(), "\n")
	return NagiosLine(NagiosUnknown, text, "")
}

// uncheckedKinds are the statuses of hosts that could not be checked, as
// the status line names them.
var uncheckedKinds = []struct{ status, words string }{
	{StatusError, "host error"},
	{StatusUnreachable, "unreachable"},
	{StatusTimeout, "timed out"},
	{StatusCancelled, "cancelled"},
}

// nagiosText says what went wrong first (failures, errors, hosts not
// checked), then how many properties passed.
func nagiosText(s *CheckSummary) string {
	var parts []string
	rows := matrixRows(s.Hosts)
	if s.Failed > 0 {
		parts = append(parts, problemPhrase(s.Failed, "failed", rows, func(r *matrixRow) []string { return r.failed }))
	}
	if s.Errors > 0 {
		parts = append(parts, problemPhrase(s.Errors, plural(s.Errors, "error", "errors"), rows, func(r *matrixRow) []string { return r.errors }))
	}
	for _, u := range uncheckedKinds {
		var names []string
		for i := range s.Hosts {
			if h := &s.Hosts[i]; h.Err != nil && h.Status() == u.status {
				names = append(names, h.Name)
			}
		}
		if len(names) > 0 {
			parts = append(parts, fmt.Sprintf("%d %s: %s", len(names), u.words, nodeset.Fold(names)))
		}
	}
	passed := fmt.Sprintf("%d passed", s.Passed)
	if len(parts) == 0 {
		return passed + " on " + fmt.Sprint(len(s.Hosts)) + " " + plural(len(s.Hosts), "host", "hosts")
	}
	return strings.Join(append(parts, passed), "; ")
}

// problemPhrase returns "2 failed on h[03,07]: port tcp:8080 listening,
// ...", naming the first few check properties.
func problemPhrase(n int, what string, rows []*matrixRow, hostsOf func(*matrixRow) []string) string {
	var labels, hosts []string
	for _, r := range rows {
		if names := hostsOf(r); len(names) > 0 {
			labels = append(labels, r.label)
			hosts = append(hosts, names...)
		}
	}
	if len(labels) > nagiosMaxChecks {
		labels = append(labels[:nagiosMaxChecks], fmt.Sprintf("and %d more", len(labels)-nagiosMaxChecks))
	}
	return fmt.Sprintf("%d %s on %s: %s", n, what, nodeset.Fold(hosts), strings.Join(labels, ", "))
}

// nagiosPerfdata returns the performance data: counts of results and hosts,
// and the run's duration.
func nagiosPerfdata(s *CheckSummary) string {
	return fmt.Sprintf("passed=%d failed=%d skipped=%d errors=%d hosts=%d hosts_ok=%d hosts_failed=%d hosts_error=%d hosts_unreachable=%d hosts_timed_out=%d time=%.3fs",
		s.Passed, s.Failed, s.Skipped, s.Errors, len(s.Hosts), s.HostsOK, s.HostsFailed, s.HostsError, s.HostsUnreachable, s.HostsTimedOut, s.Duration.Seconds())
}
