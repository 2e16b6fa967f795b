package main

import (
	"github.com/remotectl/remotectl/playbook"
	"github.com/remotectl/remotectl/report"
	"github.com/remotectl/remotectl/runrec"
)

// finishPlay completes a play run, as finishExec: the run record (one host
// record per host of the recap), the report and metrics files, syslog and
// the log. sum holds the host counts that decide the exit code.
func (r *opsRun) finishPlay(rep *playbook.Report, sum *report.Summary, code int) int {
	r.branches.wait()
	if r.o.Report != "" {
		// The --report document of a play is its -o json document.
		r.reportDoc = &branch{}
		r.reportDoc.err = report.WritePlayJSON(&r.reportDoc.buf, rep)
	}
	hosts := make([]runrec.Host, 0, len(rep.Recap))
	ok := 0
	for _, s := range rep.Recap {
		status := s.Status()
		if status == report.StatusOK {
			ok++
		}
		hosts = append(hosts, runrec.Host{Name: s.Host, Status: status})
	}
	oc := outcome{
		hosts: hosts,
		counts: countsPhrase([]countOf{{"ok", ok}, {"failed", sum.Failed}, {"unreachable", sum.Unreachable},
			{"timed out", sum.TimedOut}}),
		duration:   rep.Duration,
		code:       code,
		unfinished: sum.TimedOut,
	}
	return r.finish(&oc, func(path, run string) ([]byte, error) {
		return []byte(report.PlayMetrics(rep, run)), nil
	})
}
