package report

import (
	"cmp"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/remote"
)

// Formats of check results (RenderChecks), besides text, json and jsonl.
const (
	FormatJUnit      = "junit"
	FormatTAP        = "tap"
	FormatPrometheus = "prometheus"
	FormatNagios     = "nagios"
)

// CheckFormats returns the formats RenderChecks writes, the default first.
//
//   - text: per host as it finishes, a line per property ("✓ port tcp:22
//     listening: true", "✗ ... expected true, got false" on a terminal;
//     "ok", "FAIL", "skip", "ERROR" otherwise), then the fleet matrix (each
//     check property that did not pass, with the folded node sets of the
//     hosts where it failed and where it could not be evaluated), the hosts
//     that could not be checked, grouped by reason with a hint, and counts.
//   - json: one document at the end: {"hosts": [{"host", "status",
//     "duration_ms", "counts": {"pass", "fail", "skip", "error"},
//     "error_class", "error", "hint", "not_started", "results": [...]}],
//     "summary": {"hosts": {"total", "ok", "failed", ...}, "results":
//     {"pass", ...}, "duration_ms"}}. A result is checks.Result as JSON.
//   - jsonl: as each host finishes, one {"type":"result","result":{...}} line per
//     property, then a {"type":"host", ...} line (the host fields of json
//     without results); a {"type":"summary", ...} line at the end.
//   - junit: one <testsuites> document; a <testsuite> per host, a <testcase>
//     per property (classname: the host), <failure>, <error> and <skipped>
//     as JUnit consumers expect. A host that could not be checked has one
//     test case, "connect", in error (or skipped when the run was cancelled).
//   - tap: TAP version 13, one test point per property as hosts finish, a
//     YAML block on the points that did not pass, the plan at the end.
//     Properties that could not be evaluated are "not ok" with severity
//     "error".
//   - prometheus: the text exposition format for node_exporter's textfile
//     collector, sorted, with HELP and TYPE lines: remotectl_check_success,
//     remotectl_check_error, remotectl_check_duration_seconds,
//     remotectl_check_results, remotectl_host_up and
//     remotectl_check_last_run_timestamp_seconds.
//   - nagios: one status line, "CHECKS OK - 40 passed | passed=40 failed=0
//     ...", for a Nagios/Icinga plugin; see NagiosState.
func CheckFormats() []FormatInfo { return infos(checkFormats()) }

// ParseCheckFormat returns the name of a check format ("" is the default,
// text), or an error naming the formats there are.
func ParseCheckFormat(name string) (string, error) {
	r, err := lookupFormat(checkFormats(), name, " for check results")
	if err != nil {
		return "", err
	}
	return r.Name, nil
}

// checkFormatRow is a row of the table of check formats.
type checkFormatRow struct {
	FormatInfo
	new func(opts CheckOptions) checkFormat
}

// checkFormats is the table of check formats, the default first.
func checkFormats() []checkFormatRow {
	return []checkFormatRow{
		{FormatInfo{FormatText, "per host, a line per property, then the fleet matrix"}, func(o CheckOptions) checkFormat { return newCheckText(o) }},
		{FormatInfo{FormatJSON, "one document"}, func(o CheckOptions) checkFormat { return &checkJSON{out: o.Out} }},
		{FormatInfo{FormatJSONL, "one object per result, host and summary"}, func(o CheckOptions) checkFormat { return newCheckJSONL(o.Out) }},
		{FormatInfo{FormatJUnit, "a <testsuite> per host, a <testcase> per property (CI test reports)"}, func(o CheckOptions) checkFormat { return &checkJUnit{out: o.Out} }},
		{FormatInfo{FormatTAP, "TAP version 13"}, func(o CheckOptions) checkFormat { return &checkTAP{out: o.Out} }},
		{FormatInfo{FormatPrometheus, "text exposition for node_exporter's textfile collector"}, func(o CheckOptions) checkFormat { return &checkPrometheus{out: o.Out} }},
		{FormatInfo{FormatNagios, "one status line with perfdata; exit codes 0 OK, 1 WARNING,\n2 CRITICAL, 3 UNKNOWN in this mode only (see below)"}, func(o CheckOptions) checkFormat { return &checkNagios{out: o.Out} }},
	}
}

// StatusError is the status of a host that was reached but whose checks
// could not all be evaluated: the job failed with an unclassified error, or
// some property ended in state error while none failed.
const StatusError = "error"

// CheckOptions choose how check results are rendered.
type CheckOptions struct {
	Format  string    // one of CheckFormats(); "" means text
	Out     io.Writer // where everything goes
	Color   bool      // text: ANSI colours
	Unicode bool      // text: ✓ ✗ marks (for terminals) instead of ASCII words
	Quiet   bool      // text: only the properties that did not pass, and their hosts; nothing when all passed
	Verbose bool      // text: each property's duration and vantage; every host's error
	// Width is the terminal's width in columns when Out is a terminal, 0
	// otherwise: text fits the matrix to it.
	Width int
}

// Validate reports whether the options can be rendered; call it before
// starting a run.
func (o CheckOptions) Validate() error {
	if _, err := lookupFormat(checkFormats(), o.Format, " for check results"); err != nil {
		return err
	}
	if o.Out == nil {
		return errors.New("report: CheckOptions.Out must be set")
	}
	return nil
}

// CheckCounts counts check results (properties) by status.
type CheckCounts struct {
	Passed, Failed, Skipped, Errors int
}

// Total returns the number of results counted.
func (c CheckCounts) Total() int { return c.Passed + c.Failed + c.Skipped + c.Errors }

func (c *CheckCounts) add(s checks.Status) {
	switch s {
	case checks.Pass:
		c.Passed++
	case checks.Fail:
		c.Failed++
	case checks.Skip:
		c.Skipped++
	default:
		c.Errors++ // checks.Error, and any status this package does not know
	}
}

func (c *CheckCounts) merge(o CheckCounts) {
	c.Passed += o.Passed
	c.Failed += o.Failed
	c.Skipped += o.Skipped
	c.Errors += o.Errors
}

// CheckHost is what happened on one host of a check run.
type CheckHost struct {
	// HostRecord is how the host's job ended: its error when the host could
	// not be checked (unreachable, timed out, cancelled), its times.
	HostRecord
	// Results are the host's results in check order; nil when the host
	// ended with an error (the job may not have finished writing them).
	Results []checks.Result
	Counts  CheckCounts
}

// Status returns the host's status as a check run sees it (it shadows
// HostRecord.Status): StatusOK (every property passed or was skipped),
// StatusFailed (some property failed), StatusError (some property could not
// be evaluated and none failed, or the job failed with an unclassified
// error), StatusUnreachable, StatusTimeout or StatusCancelled.
func (h *CheckHost) Status() string {
	if h.Err != nil {
		if s := h.HostRecord.Status(); s != StatusFailed {
			return s
		}
		return StatusError
	}
	switch {
	case h.Counts.Failed > 0:
		return StatusFailed
	case h.Counts.Errors > 0:
		return StatusError
	}
	return StatusOK
}

// CheckSummary is the outcome of a check run; the command decides the exit
// code from it.
type CheckSummary struct {
	Hosts []CheckHost // in target order

	// Results by status, over every host.
	CheckCounts

	// Hosts by Status: each host is counted once. NotStarted counts
	// the cancelled hosts that never started.
	HostsOK, HostsFailed, HostsError, HostsUnreachable, HostsTimedOut, HostsCancelled int
	NotStarted                                                                        int

	Start, End time.Time     // first and last event of the run
	Duration   time.Duration // End - Start
}

func newCheckSummary(hosts []CheckHost, start, end time.Time) *CheckSummary {
	s := &CheckSummary{Hosts: hosts, Start: start, End: end, Duration: end.Sub(start)}
	for i := range hosts {
		h := &hosts[i]
		s.CheckCounts.merge(h.Counts)
		switch h.Status() {
		case StatusOK:
			s.HostsOK++
		case StatusFailed:
			s.HostsFailed++
		case StatusError:
			s.HostsError++
		case StatusUnreachable:
			s.HostsUnreachable++
		case StatusTimeout:
			s.HostsTimedOut++
		case StatusCancelled:
			s.HostsCancelled++
		}
		if h.NotStarted {
			s.NotStarted++
		}
	}
	return s
}

// checkFormat is one check-result format. Its methods are called from one
// goroutine: host as each host finishes, finish once at the end.
type checkFormat interface {
	host(h *CheckHost) error
	finish(s *CheckSummary) error
}

func newCheckFormat(opts CheckOptions) checkFormat {
	f, _ := lookupFormat(checkFormats(), opts.Format, "") // RenderChecks has validated opts
	return f.new(opts)
}

// RenderChecks reads the events of a check run until the channel is closed,
// renders each host's check results in the chosen format as the host
// finishes (or at the end, for the formats that need every host), and
// returns the summary.
//
// A host's results are the Detail of the Result of its EventDone, a
// []checks.Result, read only when that event carries no error (a host that
// ended with an error may have an abandoned job still running). Each
// renderer works on its own copy of them.
//
// Like Render, it always reads every event; a rendering error stops the
// output, never the counting, and is returned with the summary.
func RenderChecks(events <-chan remote.Event, targets []remote.Target, opts CheckOptions) (*CheckSummary, error) {
	if err := opts.Validate(); err != nil {
		for range events {
		}
		return nil, err
	}
	r := &run{hosts: make([]HostRecord, len(targets)), progress: make([]progress, len(targets))}
	for i := range targets {
		r.hosts[i].Name = targets[i].Name
	}
	c := &checkCollector{run: r, hosts: make([]CheckHost, len(targets)), format: newCheckFormat(opts)}
	r.sinks = []*sink{{r: c}}
	for ev := range events {
		r.handle(ev)
	}
	_, err := r.finish()
	return c.summary, errors.Join(err, c.err)
}

// checkCollector is the renderer behind RenderChecks: it gathers each
// host's results as the host ends and hands them to the format. It keeps
// counting after the format failed, so the summary stays right.
type checkCollector struct {
	run     *run // for the times of the first and last events
	hosts   []CheckHost
	format  checkFormat
	summary *CheckSummary
	err     error // the format's first error; it is not called after it
}

func (c *checkCollector) start(int, *HostRecord) error { return nil }

func (c *checkCollector) output(int, *HostRecord, remote.Stream, []byte) error { return nil }

func (c *checkCollector) done(i int, h *HostRecord) error {
	ch := &c.hosts[i]
	ch.HostRecord = *h
	if res, ok := h.Result.Detail.([]checks.Result); ok && h.Err == nil {
		// The same results may go to several renderers: this one gets its own.
		ch.Results = slices.Clone(res)
	}
	for j := range ch.Results {
		r := &ch.Results[j]
		if r.Host == "" {
			r.Host = h.Name
		}
		ch.Counts.add(r.Status)
	}
	if c.err == nil {
		c.err = c.format.host(ch)
	}
	return nil
}

func (c *checkCollector) finish(*Summary) error {
	c.summary = newCheckSummary(c.hosts, c.run.first, c.run.last)
	if c.err == nil {
		c.err = c.format.finish(c.summary)
	}
	return nil
}

// resultTitle returns the title of a result's check: its title:, else
// "type id".
func resultTitle(r *checks.Result) string {
	if r.Title != "" {
		return r.Title
	}
	return r.Name()
}

// resultLabel names one property of one check: "port tcp:22 listening".
func resultLabel(r *checks.Result) string {
	if r.Property == "" {
		return resultTitle(r)
	}
	return resultTitle(r) + " " + r.Property
}

// resultDetail says what was seen: the actual value of a pass, "expected
// X, got Y" for a failure, why a property was skipped or could not be
// evaluated.
func resultDetail(r *checks.Result) string {
	switch r.Status {
	case checks.Pass:
		return cmp.Or(r.Actual, r.Expected, r.Message, "ok")
	case checks.Fail:
		if r.Expected != "" || r.Actual != "" {
			d := "expected " + r.Expected + ", got " + r.Actual
			if r.Message != "" {
				d += " (" + r.Message + ")"
			}
			return d
		}
		return cmp.Or(r.Message, "failed")
	case checks.Skip:
		if r.Message != "" {
			return "skipped: " + r.Message
		}
		return "skipped"
	}
	return cmp.Or(r.Message, "could not be evaluated")
}

// hostProblem says in one line why a host could not be checked: the first
// line of its error, or "not started".
func hostProblem(h *CheckHost) string {
	if h.NotStarted {
		return "not started"
	}
	return firstLine(h.Err)
}
