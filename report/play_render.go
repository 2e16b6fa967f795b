package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/remote"
)

// playFormatRow is a row of the table of play formats.
type playFormatRow struct {
	FormatInfo
	new func(opts PlayOptions) playFormat
}

// playFormats is the table of play formats, the default first.
func playFormats() []playFormatRow {
	return []playFormatRow{
		{FormatInfo{FormatText, "live progress per play, batch and task, then the PLAY RECAP"}, func(o PlayOptions) playFormat {
			return &playText{color: o.Color, verbose: o.Verbose, quiet: o.Quiet}
		}},
		{FormatInfo{FormatJSON, "the whole run, one document"}, func(PlayOptions) playFormat { return playJSON{} }},
		{FormatInfo{FormatJSONL, "one object per task result and per play, then a summary"}, func(PlayOptions) playFormat { return playJSONL{} }},
		{FormatInfo{FormatJUnit, "a <testsuite> per host, a <testcase> per task (CI test reports)"}, func(PlayOptions) playFormat { return playJUnit{} }},
		{FormatInfo{FormatPrometheus, "text exposition for node_exporter's textfile collector"}, func(PlayOptions) playFormat { return playPrometheus{} }},
	}
}

// PlayFormats returns the formats of a PlayRenderer, the default first.
//
//   - text: as the run goes, a header per play ("PLAY [name] (4 hosts,
//     serial 2)"), batch and task, a line per host result ("  web01:
//     changed"), the output of failed commands; at the end the PLAY RECAP,
//     a line per host with its counts, then why the run stopped and which
//     hosts it never reached. Text from hosts is escaped (see Printable).
//     With Quiet, only what failed: each failed (not ignored), unreachable
//     or cancelled result under its TASK header, why a play stopped, and
//     the recap; nothing when every host succeeded.
//   - json: the whole run as one document at the end (PlayRun as JSON).
//   - jsonl: one object per line as the run goes: {"type":"result",
//     "result":{...}} per task result, {"type":"play","play":{...}} as each
//     play ends, and a final {"type":"summary", ...the run without its
//     plays and results}.
//   - junit: one <testsuites> document at the end; a <testsuite> per host, a
//     <testcase> per task result (classname: the host); failed tasks are
//     <failure>s (ignored ones are not), unreachable and cancelled tasks
//     <error>s, skipped tasks <skipped>.
//   - prometheus: the metrics of PlayMetrics, without a run label.
func PlayFormats() []FormatInfo { return infos(playFormats()) }

// PlayOptions choose how a play run is rendered.
type PlayOptions struct {
	Format  string    // one of PlayFormats; "" means text
	Out     io.Writer // where everything goes
	Color   bool      // text: ANSI colours
	Verbose bool      // text: also the output of commands that succeeded
	Quiet   bool      // text: only what failed, and the recap; nothing when every host succeeded
}

// playFormat is one play format: event renders an event as it comes,
// finish the whole run at the end, each into b.
type playFormat interface {
	event(b *strings.Builder, ev PlayEvent) error
	finish(b *strings.Builder, run *PlayRun) error
}

// PlayRenderer renders a playbook run: Render the run's events (the channel
// playbook.Run returns, through ops) as they come, or Observe each play
// event, then Finish with the run.
type PlayRenderer struct {
	// Out is where the output goes; it may be replaced before the run
	// starts (to draw a status line below the output).
	Out io.Writer

	format playFormat
	mu     sync.Mutex
	err    error // the first error writing the output
}

// NewPlayRenderer returns the renderer of opts' format, or an error naming
// the formats when there is no such format: call it before the run starts.
func NewPlayRenderer(opts PlayOptions) (*PlayRenderer, error) {
	f, err := lookupFormat(playFormats(), opts.Format, " for play results")
	if err != nil {
		return nil, err
	}
	return &PlayRenderer{Out: opts.Out, format: f.new(opts)}, nil
}

// PlayEventOf returns the play event a run's event carries: playbook.Run
// reports everything as remote.EventNote events whose Detail is a
// *PlayEvent.
func PlayEventOf(ev remote.Event) (*PlayEvent, bool) {
	if ev.Kind != remote.EventNote {
		return nil, false
	}
	pe, ok := ev.Detail.(*PlayEvent)
	return pe, ok && pe != nil
}

// Render renders the play events of a run's events as they come, until
// the channel is closed; other events are ignored.
func (r *PlayRenderer) Render(events <-chan remote.Event) {
	for ev := range events {
		if pe, ok := PlayEventOf(ev); ok {
			r.Observe(*pe)
		}
	}
}

// Observe renders one event.
func (r *PlayRenderer) Observe(ev PlayEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	r.write(&b, r.format.event(&b, ev))
}

// Finish renders the end of the run and returns the first error writing
// the output, if any.
func (r *PlayRenderer) Finish(run *PlayRun) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	r.write(&b, r.format.finish(&b, run))
	return r.err
}

// write writes what b holds, unless an earlier write (or err) failed.
func (r *PlayRenderer) write(b *strings.Builder, err error) {
	if r.err == nil {
		r.err = err
	}
	if r.err == nil && b.Len() > 0 {
		_, r.err = io.WriteString(r.Out, b.String())
	}
}

// playText is the text format.
type playText struct {
	color, verbose, quiet bool
	lastTask              string
}

func (t *playText) event(b *strings.Builder, ev PlayEvent) error {
	switch ev.Kind {
	case PlayStart:
		if !t.quiet {
			fmt.Fprintf(b, "\n%s %s\n", t.paint(sgrBold, "PLAY ["+Printable(ev.Play)+"]"), ev.About)
		}
		t.lastTask = ""
	case BatchStart:
		if ev.Batches > 1 && !t.quiet {
			fmt.Fprintf(b, "%s %s\n", t.paint(sgrBold, fmt.Sprintf("BATCH %d/%d", ev.Batch, ev.Batches)), nodeset.Fold(ev.Hosts))
		}
		t.lastTask = ""
	case TaskStart:
		if !t.quiet {
			t.taskHeader(b, ev.Task, ev.Handler)
		}
	case TaskDone:
		t.result(b, ev.Result)
	case PlayEnd:
		if ev.Report.Stopped != "" {
			t.lastTask = ""
			fmt.Fprintf(b, "%s %s\n", t.paint(sgrRed, "PLAY STOPPED:"), ev.Report.Stopped)
			if len(ev.Report.NotRun) > 0 {
				fmt.Fprintf(b, "  not run: %s\n", nodeset.Fold(ev.Report.NotRun))
			}
		}
	}
	return nil
}

func (t *playText) taskHeader(b *strings.Builder, name string, handler bool) {
	if name == t.lastTask {
		return
	}
	t.lastTask = name
	kind := "TASK"
	if handler {
		kind = "HANDLER"
	}
	fmt.Fprintf(b, "%s\n", t.paint(sgrBold, kind+" ["+Printable(name)+"]"))
}

// failed reports whether a result is a failure quiet output shows.
func (r *TaskResult) failed() bool {
	return (r.Status == TaskFailed || r.Status == TaskUnreachable) && !r.Ignored || r.Status == TaskCancelled
}

// result writes "  host: status[: message]" and, for failures (and in
// verbose mode), the command's output, escaped: it comes from the host.
func (t *playText) result(b *strings.Builder, r *TaskResult) {
	if t.quiet && !r.failed() || r.LoopSummary {
		return
	}
	t.taskHeader(b, r.Task, r.Handler)
	status := string(r.Status)
	if r.Ignored {
		status += " (ignored)"
	}
	line := "  " + r.Host
	if r.Item != nil {
		line += " (item=" + Printable(r.itemText()) + ")"
	}
	line += ": " + t.paint(taskStatusColor(r.Status), status)
	if r.Msg != "" && (r.Status != TaskSkipped || t.verbose) {
		line += ": " + Printable(firstLineOf(r.Msg))
	}
	b.WriteString(line + "\n")
	if r.Status == TaskFailed || t.verbose {
		writeIndented(b, "stdout", r.Stdout)
		writeIndented(b, "stderr", r.Stderr)
	}
	writeDiffs(b, r.Diff)
}

// finish writes the PLAY RECAP table: a line per host with its counts, then
// why the run stopped and which hosts it never reached.
func (t *playText) finish(b *strings.Builder, run *PlayRun) error {
	if t.quiet && run.succeeded() {
		return nil // quiet and every host succeeded: nothing to say
	}
	fmt.Fprintf(b, "\n%s\n", t.paint(sgrBold, "PLAY RECAP"))
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for _, s := range run.Recap {
		status := sgrGreen
		switch {
		case s.Failed > 0 || s.Unreachable > 0:
			status = sgrRed
		case s.Changed > 0:
			status = sgrYellow
		}
		fmt.Fprintf(tw, "%s\tok=%d\tchanged=%d\tfailed=%d\tskipped=%d\tunreachable=%d\trescued=%d\tignored=%d%s\n",
			t.paint(status, s.Host), s.OK, s.Changed, s.Failed, s.Skipped, s.Unreachable, s.Rescued, s.Ignored, recapEnd(s))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if run.Stopped != "" {
		fmt.Fprintf(b, "%s %s\n", t.paint(sgrRed, "STOPPED:"), run.Stopped)
	}
	var notRun []string
	for _, p := range run.Plays {
		for _, h := range p.NotRun {
			if !slices.Contains(notRun, h) {
				notRun = append(notRun, h)
			}
		}
	}
	if len(notRun) > 0 {
		fmt.Fprintf(b, "not run: %s\n", nodeset.Fold(notRun))
	}
	if run.Interrupted {
		b.WriteString("interrupted\n")
	}
	return nil
}

func (t *playText) paint(sgr, s string) string {
	if sgr == "" {
		return s
	}
	return style{color: t.color}.paint(sgr, s)
}

func taskStatusColor(s TaskStatus) string {
	switch s {
	case TaskOK:
		return sgrGreen
	case TaskChanged:
		return sgrYellow
	case TaskFailed, TaskUnreachable:
		return sgrRed
	case TaskSkipped:
		return sgrCyan
	}
	return ""
}

// recapEnd is the last column of a host's recap line.
func recapEnd(s *PlayHostStats) string {
	switch {
	case s.TimedOut:
		return "\ttimed out"
	case s.Cancelled:
		return "\tcancelled"
	}
	return ""
}

// firstLineOf returns the first line of a message, with " ..." when more
// follow.
func firstLineOf(s string) string {
	line, rest, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if rest != "" {
		line += " ..."
	}
	return line
}

// writeIndented writes a command's output under its result line, each
// line escaped (see appendLine).
func writeIndented(b *strings.Builder, label, text string) {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return
	}
	fmt.Fprintf(b, "      %s:\n", label)
	var buf []byte
	for rest := []byte(text + "\n"); len(rest) > 0; {
		line := nextLine(rest)
		rest = rest[len(line):]
		buf = appendLine(append(buf[:0], "        "...), line)
		b.Write(buf)
	}
}

// WritePlayJSON writes a whole run as one JSON document: the json format,
// and the --report document of play.
func WritePlayJSON(w io.Writer, run *PlayRun) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(run)
}

// playJSON is the json format.
type playJSON struct{}

func (playJSON) event(*strings.Builder, PlayEvent) error { return nil }

func (playJSON) finish(b *strings.Builder, run *PlayRun) error { return WritePlayJSON(b, run) }

// playJSONL is the jsonl format.
type playJSONL struct{}

func (playJSONL) event(b *strings.Builder, ev PlayEvent) error {
	switch ev.Kind {
	case TaskDone:
		return writeJSONLine(b, struct {
			Type   string      `json:"type"`
			Result *TaskResult `json:"result"`
		}{"result", ev.Result})
	case PlayEnd:
		return writeJSONLine(b, struct {
			Type string      `json:"type"`
			Play *PlayReport `json:"play"`
		}{"play", ev.Report})
	}
	return nil
}

func (playJSONL) finish(b *strings.Builder, run *PlayRun) error {
	return writeJSONLine(b, struct {
		Type string `json:"type"`
		*PlayRun
		Plays   []*PlayReport `json:"plays,omitempty"`
		Results []*TaskResult `json:"results,omitempty"`
	}{Type: "summary", PlayRun: run}) // the outer Plays and Results hide the run's
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(b *strings.Builder, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(data)
	b.WriteByte('\n')
	return nil
}

// playJUnit is the junit format.
type playJUnit struct{}

func (playJUnit) event(*strings.Builder, PlayEvent) error { return nil }

func (playJUnit) finish(b *strings.Builder, run *PlayRun) error {
	doc := junitSuites{Name: "remotectl play " + run.Playbook, Time: junitSeconds(run.Duration)}
	doc.Suites = make([]junitSuite, len(run.Recap))
	index := make(map[string]int, len(run.Recap))
	took := make([]time.Duration, len(run.Recap))
	for i, s := range run.Recap {
		doc.Suites[i] = junitSuite{Name: s.Host, Hostname: s.Host}
		index[s.Host] = i
	}
	for _, r := range run.Results {
		i, ok := index[r.Host]
		if !ok || r.LoopSummary {
			continue
		}
		doc.Suites[i].Cases = append(doc.Suites[i].Cases, junitTaskCase(r))
		took[i] += r.Duration
	}
	for i := range doc.Suites {
		s := &doc.Suites[i]
		s.tally()
		s.Time = junitSeconds(took[i])
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	return writeJUnit(b, doc)
}

// junitTaskCase is the test case of a task result.
func junitTaskCase(r *TaskResult) junitCase {
	name := r.Task
	if r.Item != nil {
		name += " (item=" + r.itemText() + ")"
	}
	c := junitCase{Name: Printable(name), Classname: r.Host, Time: junitSeconds(r.Duration)}
	var parts []string
	for _, p := range []string{r.Pos, r.Msg, r.Stdout, r.Stderr} {
		for _, line := range strings.Split(strings.TrimRight(p, "\n"), "\n") {
			if line != "" {
				parts = append(parts, Printable(line))
			}
		}
	}
	details := strings.Join(parts, "\n")
	switch {
	case r.Status == TaskFailed && !r.Ignored:
		c.Failure = &junitProblem{Message: Printable(firstLineOf(r.Msg)), Type: "failed", Text: details}
	case r.Status == TaskUnreachable && !r.Ignored || r.Status == TaskCancelled:
		c.Error = &junitProblem{Message: Printable(firstLineOf(r.Msg)), Type: string(r.Status), Text: details}
	case r.Status == TaskSkipped:
		c.Skipped = &junitSkipped{Message: Printable(firstLineOf(r.Msg))}
	}
	return c
}

// playPrometheus is the prometheus format.
type playPrometheus struct{}

func (playPrometheus) event(*strings.Builder, PlayEvent) error { return nil }

func (playPrometheus) finish(b *strings.Builder, run *PlayRun) error {
	b.WriteString(PlayMetrics(run, ""))
	return nil
}

// itemText is the loop item shown in a result's line.
func (r *TaskResult) itemText() string {
	if r.ItemText != "" {
		return r.ItemText
	}
	return fmt.Sprint(r.Item)
}
