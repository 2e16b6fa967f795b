package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/playbook"
	"github.com/remotectl/remotectl/report"
	"github.com/remotectl/remotectl/runrec"
)

// finishPlay completes a play run, as ops.Run.FinishExec: the run record
// (one host record per host of the recap), the report and metrics files,
// syslog and the log. sum holds the host counts that decide the exit code.
func finishPlay(r *ops.Run, rep *playbook.Report, sum *report.Summary, code int) int {
	hosts := make([]runrec.Host, 0, len(rep.Recap))
	ok := 0
	for _, s := range rep.Recap {
		status := playHostStatus(s)
		if status == report.StatusOK {
			ok++
		}
		hosts = append(hosts, runrec.Host{Name: s.Host, Status: status})
	}
	return r.Finish(&ops.Outcome{
		Hosts: hosts,
		Counts: ops.CountsPhrase([]ops.Count{{Name: "ok", N: ok}, {Name: "failed", N: sum.Failed}, {Name: "unreachable", N: sum.Unreachable},
			{Name: "timed out", N: sum.TimedOut}}),
		Duration:   rep.Duration,
		Code:       code,
		Unfinished: sum.TimedOut,
		// The --report document of a play is its -o json document.
		Report:  func(w io.Writer) error { return playbook.WriteJSON(w, rep) },
		Metrics: func(path string) ([]byte, error) { return []byte(playMetrics(rep, textfileRun(path))), nil },
	})
}

// playHostStatus is a host's status in the run record, in the words of exec
// runs so that --rerun failed|unreachable means the same everywhere.
func playHostStatus(s *playbook.HostStats) string {
	switch {
	case s.TimedOut:
		return report.StatusTimeout
	case s.Cancelled:
		return report.StatusCancelled
	case s.Unreachable > 0:
		return report.StatusUnreachable
	case s.Failed > 0:
		return report.StatusFailed
	}
	return report.StatusOK
}

// playMetrics renders the --prometheus-textfile document of a play run.
func playMetrics(rep *playbook.Report, run string) string {
	var b strings.Builder
	b.WriteString("# HELP remotectl_play_host_success Whether the host went through the playbook without a failure (1) or not (0).\n")
	b.WriteString("# TYPE remotectl_play_host_success gauge\n")
	for _, s := range rep.Recap {
		v := 0
		if playHostStatus(s) == report.StatusOK {
			v = 1
		}
		fmt.Fprintf(&b, "remotectl_play_host_success{host=%q,run=%q} %d\n", s.Host, run, v)
	}
	b.WriteString("# HELP remotectl_play_host_changed_tasks Tasks that changed something on the host.\n")
	b.WriteString("# TYPE remotectl_play_host_changed_tasks gauge\n")
	for _, s := range rep.Recap {
		fmt.Fprintf(&b, "remotectl_play_host_changed_tasks{host=%q,run=%q} %d\n", s.Host, run, s.Changed)
	}
	b.WriteString("# HELP remotectl_play_duration_seconds How long the whole run took.\n")
	b.WriteString("# TYPE remotectl_play_duration_seconds gauge\n")
	fmt.Fprintf(&b, "remotectl_play_duration_seconds{run=%q} %g\n", run, rep.Duration.Seconds())
	return b.String()
}
