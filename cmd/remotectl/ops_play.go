package main

import (
	"io"

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
		status := s.Status()
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
		Report: func(w io.Writer) error { return report.WritePlayJSON(w, rep) },
		Metrics: func(path string) ([]byte, error) {
			return []byte(report.PlayMetrics(rep, report.TextfileRun(path))), nil
		},
	})
}
