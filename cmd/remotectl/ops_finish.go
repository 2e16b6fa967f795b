package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
	"github.com/remotectl/remotectl/runrec"
)

// execReportOptions adapts the exec renderer's options to the run: on a
// terminal, the progress line is drawn below output.
func (r *opsRun) execReportOptions(o report.Options, targets []remote.Target) report.Options {
	if r.progress = r.a.newFleetProgress(targets); r.progress != nil {
		o.Out, o.Err = r.progress.writer(o.Out), r.progress.writer(o.Err)
	}
	return o
}

// checkReportOptions notes the Nagios mode, whose exit codes are its own.
func (r *opsRun) checkReportOptions(o report.CheckOptions) report.CheckOptions {
	r.nagios = o.Format == report.FormatNagios
	return o
}

// outcome is what finishing a run needs from its summary, whatever the
// command.
type outcome struct {
	hosts    []runrec.Host
	counts   string // "ok 10, failed 1, unreachable 1"
	duration time.Duration
	code     int
	// unfinished: hosts that did not end on their own (timed out,
	// cancelled, not started).
	unfinished int
}

// finishExec completes an exec run: the deadline's exit bit, the run record, the report and metrics files, syslog and the log.
// It returns the exit code.
func (r *opsRun) finishExec(sum *report.Summary, code int) int {
	r.branches.wait()
	oc := outcome{
		hosts:      runrec.ExecHosts(sum, r.outputs),
		counts:     countsPhrase([]countOf{{"ok", sum.OK}, {"failed", sum.Failed}, {"unreachable", sum.Unreachable}, {"timed out", sum.TimedOut}, {"cancelled", sum.Cancelled}}),
		duration:   sum.Duration,
		code:       code,
		unfinished: sum.TimedOut + sum.Cancelled,
	}
	return r.finish(&oc, func(path, run string) ([]byte, error) {
		return []byte(report.ExecMetrics(sum, run, time.Now())), nil
	})
}

// finishChecks completes a check run, as finishExec.
func (r *opsRun) finishChecks(sum *report.CheckSummary, code int) int {
	r.branches.wait()
	oc := outcome{
		hosts: runrec.CheckHosts(sum),
		counts: countsPhrase([]countOf{{"ok", sum.HostsOK}, {"failed", sum.HostsFailed}, {"error", sum.HostsError},
			{"unreachable", sum.HostsUnreachable}, {"timed out", sum.HostsTimedOut}, {"cancelled", sum.HostsCancelled}}) +
			fmt.Sprintf("; properties: %d passed, %d failed, %d errors", sum.Passed, sum.Failed, sum.Errors),
		duration:   sum.Duration,
		code:       code,
		unfinished: sum.HostsTimedOut + sum.HostsCancelled,
	}
	return r.finish(&oc, func(_, run string) ([]byte, error) {
		if r.checkMetrics.err != nil {
			return nil, r.checkMetrics.err
		}
		return []byte(report.WithLabel(r.checkMetrics.buf.String(), "run", run)), nil
	})
}

// finish does what every command does at the end of a run; metrics renders
// the --prometheus-textfile document.
func (r *opsRun) finish(oc *outcome, metrics func(path, run string) ([]byte, error)) int {
	interrupted := oc.code == exitInterrupted
	expired := r.deadlineExpired()
	if expired && !interrupted {
		if !r.nagios { // a Nagios plugin has its own codes; its state already says what timed out
			oc.code = withDeadlineBit(oc.code)
		}
		fmt.Fprintf(r.a.io.Err, "remotectl: the run's deadline (--deadline %s) passed: %d host(s) did not finish; hint: raise --deadline, or lower the per-host --timeout\n",
			r.o.Deadline, oc.unfinished)
	}
	r.logHosts(oc.hosts)
	switch {
	case r.o.Report != "" && r.reportDoc.file != nil:
		if err := r.reportDoc.commit(); err != nil {
			r.outputFailed(fmt.Errorf("--%s: %w", flagReport, err))
		}
	case r.o.Report != "":
		r.writeDoc(flagReport, r.o.Report, func() ([]byte, error) { return r.reportDoc.buf.Bytes(), r.reportDoc.err })
	}
	if r.o.Textfile != "" {
		r.writeDoc(flagTextfile, r.o.Textfile, func() ([]byte, error) { return metrics(r.o.Textfile, report.TextfileRun(r.o.Textfile)) })
	}
	oc.code = r.outputCode(oc.code)
	r.saveRecord(oc, expired, interrupted)
	kind := "run"
	if r.dryRun {
		kind = "dry run"
	}
	line := fmt.Sprintf("%s %s %s: %d hosts: %s in %s; exit %d", r.command, kind, r.id, len(oc.hosts), oc.counts, oc.duration.Round(time.Millisecond), oc.code)
	r.sendSyslog(line, oc.code == exitOK)
	level := slog.LevelInfo
	if oc.code != exitOK {
		level = slog.LevelWarn
	}
	r.log.Log(context.Background(), level, "run ended", "run", r.id, "hosts", len(oc.hosts), "summary", oc.counts,
		"duration", oc.duration, "exit_code", oc.code, "deadline_expired", expired, "interrupted", interrupted)
	return r.outputCode(oc.code) // the log's last line may fail too
}

// saveRecord writes the run record and applies the retention settings. A
// failure is a warning: the run itself is done.
func (r *opsRun) saveRecord(oc *outcome, expired, interrupted bool) {
	if r.store == nil || r.start.IsZero() {
		return
	}
	rec := &runrec.Record{
		ID:              r.id,
		Command:         r.command,
		Args:            r.secrets.RedactStrings(r.args),
		Key:             r.key,
		Inventories:     r.a.absInventories(),
		Pattern:         r.a.g.Hosts,
		Limit:           r.a.g.Limit,
		Start:           r.start,
		DurationMS:      time.Since(r.start).Milliseconds(),
		ExitCode:        oc.code,
		DeadlineExpired: expired,
		Interrupted:     interrupted,
		DryRun:          r.dryRun,
		Hosts:           oc.hosts,
	}
	if err := r.store.Save(rec); err != nil {
		r.warn("run history: %v; hint: --keep-runs 0 turns the history off", err)
		return
	}
	maxAge := time.Duration(r.o.KeepDays) * 24 * time.Hour
	if _, err := r.store.Prune(r.o.KeepRuns, maxAge, time.Now()); err != nil {
		r.warn("run history: removing old runs: %v", err)
	}
	r.log.Debug("run recorded", "run", r.id, "dir", r.store.Dir)
}

// writeDoc writes a --report or --prometheus-textfile document atomically;
// a failure is an output failure (exit 74).
func (r *opsRun) writeDoc(flag, path string, doc func() ([]byte, error)) {
	data, err := doc()
	if err == nil {
		err = runrec.WriteFileAtomic(path, data, 0o644)
	}
	if err != nil {
		r.outputFailed(fmt.Errorf("--%s: %w", flag, err))
	}
}

// logHosts logs each host's outcome.
func (r *opsRun) logHosts(hosts []runrec.Host) {
	for i := range hosts {
		h := &hosts[i]
		attrs := []any{"run", r.id, "host", h.Name, "status", h.Status, "duration_ms", h.DurationMS}
		if h.ExitCode != nil {
			attrs = append(attrs, "exit_code", *h.ExitCode)
		}
		if h.ErrorClass != "" {
			attrs = append(attrs, "error_class", h.ErrorClass, "error", h.Error)
		}
		level := slog.LevelInfo
		if h.Status != runrec.StatusOK {
			level = slog.LevelWarn
		}
		r.log.Log(context.Background(), level, "host done", attrs...)
	}
}

// countOf is a count with its name, for summary lines.
type countOf struct {
	name string
	n    int
}

// countsPhrase returns "ok 10, failed 1", leaving out zero counts but ok.
func countsPhrase(counts []countOf) string {
	var parts []string
	for i, c := range counts {
		if c.n > 0 || i == 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.name, c.n))
		}
	}
	return strings.Join(parts, ", ")
}
