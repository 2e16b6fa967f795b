// Package report renders the results of a run: it reads the runner's events
// from one goroutine, shows them in the chosen format, and returns a summary.
// It never chooses the exit code: the command does that from the Summary.
//
// Exec (Render), check (RenderChecks) and play (PlayRenderer) results each
// have a table of formats, ExecFormats, CheckFormats and PlayFormats: a row
// per format, its name, help and constructor. -o validation, --help and
// shell completion derive from them; adding a format is adding a row. The
// metrics of every kind of run go through one Prometheus writer
// (ExecMetrics, PlayMetrics, the check prometheus format).
//
// # Formats
//
//   - text (the default): output lines as they arrive, each prefixed with its
//     host's name padded to the longest name, "web01 | line" on Out for
//     standard output and "web01 ! line" on Err for standard error. Lines
//     of different hosts interleave, never mid-line; the pieces of a line
//     too long to wait for (see remote.DefaultMaxLine) each show as a line,
//     the ones after the first marked "↪". Hosts that fail with an error
//     are also reported on the error stream as they end ("db1: unreachable:
//     dial: ..."). With Quiet, only the hosts that did not succeed are
//     shown, as they end: the end of their output, then their error.
//
// text, grouped and coalesce are for terminals: what hosts sent is shown
// terminal-safe (control characters and invalid UTF-8 escaped, see
// Printable); json, jsonl and the output directory keep the exact bytes.
//   - grouped: one block per host as it finishes, a header
//     "== web01 (exit 0, 0.12s) ==" then its standard output, then its
//     standard error under "-- stderr --".
//   - coalesce: at the end, one block per distinct result: hosts whose
//     standard output, standard error and status are identical are shown
//     once under their folded node set, "== web[01-03,07] (4 hosts, exit 0) ==".
//   - json: one JSON document, written host by host in target order as the
//     hosts end (see below).
//   - jsonl: one JSON object per line as events happen (see below).
//
// text, grouped and coalesce end with a recap on the error stream: counts by
// status, then the hosts that did not succeed grouped by what happened to
// them ("exit 1: web[01-03,07]", "refused: db[1-2]") with an example error
// message and the hint for each group, then "N hosts in 1.23s".
//
// # Statuses
//
// Every host ends with one status: "ok" (exit code 0), "failed" (the command
// ran and exited non-zero or was killed by a signal), "unreachable" (the host
// could not be used: name, network, authentication, host key, protocol, or
// a connection lost mid-command), "timeout" (the per-host or run deadline
// passed) or "cancelled" (the run was interrupted; hosts that had not started
// yet are also marked "not started").
//
// # JSON
//
// The json document is
//
//	{"hosts": [{"host": "web01", "status": "ok", "exit_code": 0, "signal": "",
//	            "duration_ms": 120, "stdout": "...", "stderr": "...",
//	            "error_class": "", "error": "", "hint": "", "not_started": false}, ...],
//	 "summary": {"hosts": 12, "ok": 10, "failed": 1, "unreachable": 1, "timeout": 0,
//	             "cancelled": 0, "not_started": 0, "duration_ms": 1230}}
//
// with hosts in inventory order. exit_code is null when the host ended with
// an error (its outcome is unknown); signal, error_class, error, hint and
// not_started are left out when empty. Output is bytes, not necessarily text:
// when a host's standard output is valid UTF-8 it is the string "stdout",
// otherwise "stdout_base64" holds the exact bytes in standard base64 (and
// "stdout" is absent). The same goes for standard error.
//
// jsonl writes, as they happen, {"type":"start","host":...},
// {"type":"output","host":...,"stream":"stdout"|"stderr","data":...} (or
// "data_base64" when that piece of output is not valid UTF-8; pieces join
// byte for byte), {"type":"done", ...the host fields above without output}
// and a final {"type":"summary", ...the summary fields}.
//
// # Output directory
//
// With Options.OutDir set, every host also gets a directory there, named
// after the host (characters that are not safe in a file name become "_"),
// holding "stdout" and "stderr" (written as output arrives), "exit" (the exit
// code, "signal NAME", or the error class, and a newline) and, when the host
// ended with an error, "error" (the message and its hint).
//
// # Memory
//
// text, jsonl and the output directory do not keep output. grouped,
// coalesce and json keep each host's output until they show it (json writes
// its document host by host, in target order, as soon as it can): in memory
// up to 16 MiB for all hosts together, then in one temporary file, removed
// as soon as created where the system allows it. Memory thus does not grow
// with the size of the output.
package report

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// Format names.
const (
	FormatText     = "text"
	FormatGrouped  = "grouped"
	FormatCoalesce = "coalesce"
	FormatJSON     = "json"
	FormatJSONL    = "jsonl"
)

// execFormat is a row of the table of exec formats: new builds its
// renderer over the run's hosts; keepOutput says that it shows each host's
// output only once the host has ended, so the run keeps it until then.
type execFormat struct {
	FormatInfo
	new        func(opts Options, hosts []HostRecord, targets []remote.Target) renderer
	keepOutput bool
}

// execFormats is the table of exec formats, the default first.
func execFormats() []execFormat {
	return []execFormat{
		{FormatInfo{FormatText, `live lines prefixed with the host; stderr lines, marked "!", on stderr`},
			func(o Options, _ []HostRecord, t []remote.Target) renderer { return newText(o, t) }, false},
		{FormatInfo{FormatGrouped, "one block per host as it finishes"},
			func(o Options, _ []HostRecord, _ []remote.Target) renderer { return newGrouped(o) }, true},
		{FormatInfo{FormatCoalesce, "identical outputs shown once under their folded host set"},
			func(o Options, _ []HostRecord, _ []remote.Target) renderer { return newCoalesce(o) }, true},
		{FormatInfo{FormatJSON, "one document, host by host"},
			func(o Options, h []HostRecord, _ []remote.Target) renderer { return newJSON(o, h) }, true},
		{FormatInfo{FormatJSONL, "one event per line"},
			func(o Options, _ []HostRecord, _ []remote.Target) renderer { return newJSONL(o) }, false},
	}
}

// ExecFormats returns the formats of Render (exec, copy and fetch), the
// default first.
func ExecFormats() []FormatInfo { return infos(execFormats()) }

// Host statuses, as written in JSON and counted in the Summary.
const (
	StatusOK          = "ok"
	StatusFailed      = "failed"
	StatusUnreachable = "unreachable"
	StatusTimeout     = "timeout"
	StatusCancelled   = "cancelled"
)

// Options choose how a run is rendered.
type Options struct {
	Format  string    // one of ExecFormats; "" means text
	Out     io.Writer // where output goes: live lines, blocks, JSON
	Err     io.Writer // where the recap and live error lines go
	Color   bool      // ANSI colours for host names and statuses
	Quiet   bool      // text: no live output; grouped, coalesce: only hosts that did not succeed; no recap when all succeeded
	Verbose bool      // recap: every host's error message, not one per group
	OutDir  string    // when set, also write each host's results under this directory
	// Width is the terminal's width in columns when Out is a terminal, 0
	// otherwise. On a terminal, text caps the host names of its line
	// prefixes to a quarter of it (at least 24 cells); elsewhere names are
	// shown whole, for the programs that read them.
	Width int
	// Run identifies the run in the json format (omitted when its ID is "").
	Run RunInfo

	// For tests: the memory the spools may use (0: spoolMemory) and where
	// their temporary files go ("": the system's).
	spoolLimit int64
	spoolDir   string
}

// Validate reports whether the options can be rendered; call it before
// starting a run.
func (o Options) Validate() error {
	if _, err := lookupFormat(execFormats(), o.Format, ""); err != nil {
		return err
	}
	if o.Out == nil || o.Err == nil {
		return errors.New("report: Options.Out and Options.Err must be set")
	}
	return nil
}

// HostRecord is what happened on one host.
type HostRecord struct {
	Name       string
	Result     remote.Result
	Err        error        // nil when the command ran to completion (any exit code)
	Class      remote.Class // remote.ClassOf(Err)
	Start, End time.Time
	NotStarted bool // the run was interrupted before the host started
	// out holds standard output and error for the formats that show them
	// once the host has ended (grouped, coalesce, json), until shown.
	out [2]*spool
}

// Status returns the host's status: StatusOK, StatusFailed,
// StatusUnreachable, StatusTimeout or StatusCancelled.
func (h *HostRecord) Status() string {
	switch {
	case h.Err == nil && h.Result.ExitCode == 0 && h.Result.Signal == "":
		return StatusOK
	case h.Err == nil:
		return StatusFailed
	case h.Class == remote.ClassTimeout:
		return StatusTimeout
	case h.Class == remote.ClassCancelled:
		return StatusCancelled
	case h.Class.Unreachable():
		return StatusUnreachable
	}
	return StatusFailed // a classified failure of the job, such as remote-exit
}

// Duration returns how long the host took, connecting included.
func (h *HostRecord) Duration() time.Duration {
	if h.Start.IsZero() || h.End.Before(h.Start) {
		return 0
	}
	return h.End.Sub(h.Start)
}

// label names what happened to the host in a few words: "exit 0",
// "signal KILL", or the error class ("refused", "timeout", "not started").
func (h *HostRecord) label() string {
	switch {
	case h.NotStarted:
		return "not started"
	case h.Err != nil:
		return h.Class.String()
	case h.Result.Signal != "":
		return "signal " + h.Result.Signal
	}
	return fmt.Sprintf("exit %d", h.Result.ExitCode)
}

// Summary is the outcome of a run. Every host is counted under exactly one
// of OK, Failed, Unreachable, TimedOut and Cancelled; NotStarted counts the
// cancelled hosts that never started.
type Summary struct {
	Hosts []HostRecord // in target order

	OK, Failed, Unreachable, TimedOut, Cancelled int
	NotStarted                                   int // of the cancelled hosts, those that never started

	Duration time.Duration // from the first event to the last
}

// renderer is one output format (or the output directory). Its methods are
// called from one goroutine, as the events come.
type renderer interface {
	start(i int, h *HostRecord) error
	output(i int, h *HostRecord, stream remote.Stream, data []byte) error
	done(i int, h *HostRecord) error
	finish(sum *Summary) error
}

// sink is a renderer that stops at its first error.
type sink struct {
	r   renderer
	err error
}

func (s *sink) call(f func(renderer) error) {
	if s.err == nil {
		s.err = f(s.r)
	}
}

// Render reads events until the channel is closed, renders them in the
// chosen format as they come and at the end, and returns the summary. It
// always reads every event, even when rendering fails (so the runner never
// blocks); a rendering error stops that output only and is returned with the
// summary. Events must come from a run over targets.
func Render(events <-chan remote.Event, targets []remote.Target, opts Options) (*Summary, error) {
	if err := opts.Validate(); err != nil {
		for range events {
		}
		return nil, err
	}
	r := newRun(targets, opts)
	for ev := range events {
		r.handle(ev)
	}
	sum, err := r.finish()
	err = errors.Join(err, r.spools.releaseAll())
	if r.spools.err != nil {
		// Nothing was lost: say why memory grew, without failing the output.
		fmt.Fprintf(opts.Err, "remotectl: warning: output was kept in memory: %v\n", r.spools.err)
	}
	return sum, err
}

// run is the state of one Render.
type run struct {
	hosts       []HostRecord
	progress    []progress // of each host
	keepOutput  bool
	spools      *spools // where output is kept when keepOutput
	sinks       []*sink
	first, last time.Time
	err         error // a malformed event
}

// progress is which of its events a host has had.
type progress struct{ started, ended bool }

func newRun(targets []remote.Target, opts Options) *run {
	r := &run{hosts: make([]HostRecord, len(targets)), progress: make([]progress, len(targets)), spools: newSpools(cmp.Or(opts.spoolLimit, spoolMemory))}
	r.spools.dir = opts.spoolDir
	for i := range targets {
		r.hosts[i].Name = targets[i].Name
	}
	f, _ := lookupFormat(execFormats(), opts.Format, "") // Render has validated opts
	r.keepOutput = f.keepOutput
	r.sinks = append(r.sinks, &sink{r: f.new(opts, r.hosts, targets)})
	if opts.OutDir != "" {
		r.sinks = append(r.sinks, &sink{r: newOutDir(opts.OutDir)})
	}
	return r
}

func (r *run) handle(ev remote.Event) {
	if ev.Index < 0 || ev.Index >= len(r.hosts) {
		if r.err == nil {
			r.err = fmt.Errorf("report: event for host #%d of a run over %d hosts", ev.Index, len(r.hosts))
		}
		return
	}
	r.track(ev.Time)
	i, h := ev.Index, &r.hosts[ev.Index]
	switch ev.Kind {
	case remote.EventStart:
		h.Start = ev.Time
		r.progress[i].started = true
		r.each(func(s renderer) error { return s.start(i, h) })
	case remote.EventOutput:
		if k := streamIndex(ev.Stream); r.keepOutput {
			if h.out[k] == nil {
				h.out[k] = r.spools.newSpool()
			}
			h.out[k].write(ev.Data)
		}
		r.each(func(s renderer) error { return s.output(i, h, ev.Stream, ev.Data) })
	case remote.EventDone:
		r.complete(i, ev.Time, ev.Result, ev.Err)
		r.each(func(s renderer) error { return s.done(i, h) })
	}
}

// complete records the end of host i.
func (r *run) complete(i int, end time.Time, res remote.Result, err error) {
	h := &r.hosts[i]
	h.End, h.Result, h.Err = end, res, err
	h.Class = remote.ClassOf(err)
	var re *remote.Error
	h.NotStarted = !r.progress[i].started || (errors.As(err, &re) && re.Op == remote.OpStart)
	r.progress[i].ended = true
}

func (r *run) track(t time.Time) {
	if t.IsZero() {
		return
	}
	if r.first.IsZero() || t.Before(r.first) {
		r.first = t
	}
	if t.After(r.last) {
		r.last = t
	}
}

func (r *run) each(f func(renderer) error) {
	for _, s := range r.sinks {
		s.call(f)
	}
}

// finish completes hosts the events left unfinished, counts, and lets the
// renderers write their endings.
func (r *run) finish() (*Summary, error) {
	for i := range r.hosts {
		if r.progress[i].ended {
			continue
		}
		op := "run"
		if !r.progress[i].started {
			op = remote.OpStart
		}
		h := &r.hosts[i]
		r.complete(i, r.last, remote.Result{}, &remote.Error{Class: remote.ClassCancelled, Op: op, Err: errors.New("the run ended without a result for this host")})
		r.each(func(s renderer) error { return s.done(i, h) })
	}
	sum := &Summary{Hosts: r.hosts, Duration: r.last.Sub(r.first)}
	for i := range r.hosts {
		h := &r.hosts[i]
		switch h.Status() {
		case StatusOK:
			sum.OK++
		case StatusFailed:
			sum.Failed++
		case StatusUnreachable:
			sum.Unreachable++
		case StatusTimeout:
			sum.TimedOut++
		case StatusCancelled:
			sum.Cancelled++
		}
		if h.NotStarted {
			sum.NotStarted++
		}
	}
	r.each(func(s renderer) error { return s.finish(sum) })
	errs := []error{r.err}
	for _, s := range r.sinks {
		errs = append(errs, s.err)
	}
	return sum, errors.Join(errs...)
}

// firstLine returns the first line of an error's message, terminal-safe
// (messages can quote what a host sent).
func firstLine(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return Printable(strings.TrimSuffix(line, "\r"))
}

// seconds formats a duration as "1.23s".
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.2fs", d.Seconds())
}
