package ops

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
	"github.com/remotectl/remotectl/runrec"
)

// ExecReportOptions adapts the exec renderer's options to the run: on a
// terminal, the status line is drawn below the output.
func (r *Run) ExecReportOptions(o report.Options, targets []remote.Target) report.Options {
	if p := r.startProgress(targets); p != nil {
		o.Out, o.Err = p.Writer(o.Out), p.Writer(o.Err)
	}
	o.Run = *r.RunInfo()
	return o
}

// CheckReportOptions adapts the check renderer's options to the run: on a
// terminal, the results are written below the status line.
func (r *Run) CheckReportOptions(o report.CheckOptions, targets []remote.Target) report.CheckOptions {
	if p := r.startProgress(targets); p != nil {
		o.Out = p.Writer(o.Out)
	}
	o.Run = *r.RunInfo()
	return o
}

// Outcome is what finishing a run needs from its summary, whatever the
// command.
type Outcome struct {
	Hosts    []runrec.Host
	Counts   string // "ok 10, failed 1, unreachable 1" (see CountsPhrase)
	Duration time.Duration
	Code     int // the exit code the hosts decided
	// Unfinished: hosts that did not end on their own (timed out,
	// cancelled, not started).
	Unfinished int
	// Report writes the --report document of a run that did not render it
	// from its events (play); nil when it did (exec, check).
	Report func(io.Writer) error
	// Metrics renders the --prometheus-textfile document, given its path;
	// it must be set when the run writes one.
	Metrics func(path string) ([]byte, error)
}

// FinishExec completes an exec run (see Finish). It returns the exit code.
func (r *Run) FinishExec(sum *report.Summary, code int) int {
	return r.Finish(&Outcome{
		Hosts: runrec.ExecHosts(sum, r.outputs),
		Counts: CountsPhrase([]Count{{"ok", sum.OK}, {"failed", sum.Failed}, {"unreachable", sum.Unreachable},
			{"timed out", sum.TimedOut}, {"cancelled", sum.Cancelled}}),
		Duration:   sum.Duration,
		Code:       code,
		Unfinished: sum.TimedOut + sum.Cancelled,
		Metrics: func(path string) ([]byte, error) {
			return []byte(report.ExecMetrics(sum, report.TextfileRun(path), r.clock.Now())), nil
		},
	})
}

// FinishChecks completes a check run, as FinishExec; its textfile holds
// the metrics the run rendered (report's prometheus format), labelled with
// the textfile's run.
func (r *Run) FinishChecks(sum *report.CheckSummary, code int) int {
	return r.Finish(&Outcome{
		Hosts: runrec.CheckHosts(sum),
		Counts: CountsPhrase([]Count{{"ok", sum.HostsOK}, {"failed", sum.HostsFailed}, {"error", sum.HostsError},
			{"unreachable", sum.HostsUnreachable}, {"timed out", sum.HostsTimedOut}, {"cancelled", sum.HostsCancelled}}) +
			fmt.Sprintf("; properties: %d passed, %d failed, %d errors", sum.Passed, sum.Failed, sum.Errors),
		Duration:   sum.Duration,
		Code:       code,
		Unfinished: sum.HostsTimedOut + sum.HostsCancelled,
		Metrics: func(path string) ([]byte, error) {
			if r.checkMetrics.err != nil {
				return nil, r.checkMetrics.err
			}
			return []byte(report.WithLabel(r.checkMetrics.buf.String(), "run", report.TextfileRun(path))), nil
		},
	})
}

// FinishPlay completes a play run, as FinishExec: one host record per host
// of the recap; the --report document is the run's -o json document.
func (r *Run) FinishPlay(rep *report.PlayRun, code int) int {
	hosts := make([]runrec.Host, 0, len(rep.Recap))
	ok := 0
	for _, s := range rep.Recap {
		status := s.Status()
		if status == report.StatusOK {
			ok++
		}
		hosts = append(hosts, runrec.Host{Name: s.Host, Status: status})
	}
	failed, unreachable, timedOut := rep.Totals()
	return r.Finish(&Outcome{
		Hosts:      hosts,
		Counts:     CountsPhrase([]Count{{"ok", ok}, {"failed", failed}, {"unreachable", unreachable}, {"timed out", timedOut}}),
		Duration:   rep.Duration,
		Code:       code,
		Unfinished: timedOut,
		Report:     func(w io.Writer) error { return report.WritePlayJSON(w, rep) },
		Metrics: func(path string) ([]byte, error) {
			return []byte(report.PlayMetrics(rep, report.TextfileRun(path))), nil
		},
	})
}

// Finish does what every command does at the end of a run: the deadline's
// exit code, the host log lines, the --report and --prometheus-textfile
// documents, the run record, syslog and the log's last line. It returns the
// exit code.
func (r *Run) Finish(oc *Outcome) int {
	r.branches.wait()
	codes := r.d.Codes
	interrupted := oc.Code == codes.Interrupted
	expired := r.deadlineExpired()
	if expired && !interrupted {
		oc.Code = codes.DeadlinePassed(oc.Code)
		fmt.Fprintf(r.d.Err, "remotectl: the run's deadline (--deadline %s) passed: %d host(s) did not finish; hint: raise --deadline, or lower the per-host --timeout\n",
			r.o.Deadline, oc.Unfinished)
	}
	r.logHosts(oc.Hosts)
	if r.o.Report != "" && oc.Report != nil {
		r.reportDoc = &branch{}
		r.reportDoc.err = oc.Report(&r.reportDoc.buf)
	}
	switch {
	case r.o.Report != "" && r.reportDoc.file != nil:
		if err := r.reportDoc.commit(); err != nil {
			r.OutputFailed(fmt.Errorf("--%s: %w", FlagReport, err))
		}
	case r.o.Report != "":
		r.writeDoc(FlagReport, r.o.Report, func() ([]byte, error) { return r.reportDoc.buf.Bytes(), r.reportDoc.err })
	}
	if r.o.Textfile != "" {
		r.writeDoc(FlagTextfile, r.o.Textfile, func() ([]byte, error) { return oc.Metrics(r.o.Textfile) })
	}
	oc.Code = r.outputCode(oc.Code)
	r.saveRecord(oc, expired, interrupted)
	kind := "run"
	if r.cmd.DryRun {
		kind = "dry run"
	}
	line := fmt.Sprintf("%s %s %s: %d hosts: %s in %s; exit %d", r.cmd.Name, kind, r.id, len(oc.Hosts), oc.Counts, oc.Duration.Round(time.Millisecond), oc.Code)
	r.sendSyslog(line, oc.Code == codes.OK)
	level := slog.LevelInfo
	if oc.Code != codes.OK {
		level = slog.LevelWarn
	}
	r.log.Log(context.Background(), level, "run ended", "run", r.id, "hosts", len(oc.Hosts), "summary", oc.Counts,
		"duration", oc.Duration, "exit_code", oc.Code, "deadline_expired", expired, "interrupted", interrupted)
	return r.outputCode(oc.Code) // the log's last line may fail too
}

// recording reports whether the run goes to the history.
func (r *Run) recording() bool { return r.o.KeepRuns > 0 && r.d.History.Dir != "" }

// saveRecord writes the run record and applies the retention settings. A
// failure is a warning: the run itself is done.
func (r *Run) saveRecord(oc *Outcome, expired, interrupted bool) {
	if !r.recording() || r.start.IsZero() {
		return
	}
	now := r.clock.Now()
	rec := &runrec.Record{
		ID:              r.id,
		Command:         r.cmd.Name,
		Args:            r.d.Secrets.RedactStrings(r.cmd.Args),
		Key:             r.key,
		Inventories:     r.d.Scope.Inventories,
		Pattern:         r.d.Scope.Hosts,
		Limit:           r.d.Scope.Limit,
		RunID:           r.o.RunID,
		Shard:           r.d.Scope.Shard,
		Start:           r.start,
		DurationMS:      now.Sub(r.start).Milliseconds(),
		ExitCode:        oc.Code,
		DeadlineExpired: expired,
		Interrupted:     interrupted,
		DryRun:          r.cmd.DryRun,
		Hosts:           oc.Hosts,
	}
	if err := r.d.History.Save(rec); err != nil {
		r.warn("run history: %v; hint: --keep-runs 0 turns the history off", err)
		return
	}
	maxAge := time.Duration(r.o.KeepDays) * 24 * time.Hour
	if _, err := r.d.History.Prune(r.o.KeepRuns, maxAge, now); err != nil {
		r.warn("run history: removing old runs: %v", err)
	}
	r.log.Debug("run recorded", "run", r.id, "dir", r.d.History.Dir)
}

// writeDoc writes a --report or --prometheus-textfile document atomically;
// a failure is an output failure.
func (r *Run) writeDoc(flag, path string, doc func() ([]byte, error)) {
	data, err := doc()
	if err == nil {
		err = runrec.WriteFileAtomic(path, data, 0o644)
	}
	if err != nil {
		r.OutputFailed(fmt.Errorf("--%s: %w", flag, err))
	}
}

// logHosts logs each host's outcome.
func (r *Run) logHosts(hosts []runrec.Host) {
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

// Count is a count with its name, for summary lines.
type Count struct {
	Name string
	N    int
}

// CountsPhrase returns "ok 10, failed 1", leaving out zero counts but the
// first.
func CountsPhrase(counts []Count) string {
	var parts []string
	for i, c := range counts {
		if c.N > 0 || i == 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.N))
		}
	}
	return strings.Join(parts, ", ")
}
