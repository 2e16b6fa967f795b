package playbook

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/remotectl/remotectl/nodeset"
)

// ANSI colours of statuses.
const (
	sgrReset  = "\x1b[0m"
	sgrBold   = "\x1b[1m"
	sgrRed    = "\x1b[31m"
	sgrGreen  = "\x1b[32m"
	sgrYellow = "\x1b[33m"
	sgrCyan   = "\x1b[36m"
)

// TextRenderer writes a run's progress as it goes: a header per play, batch
// and task, a line per host result. Its Observe method is an
// Options.Observe.
type TextRenderer struct {
	Out     io.Writer
	Color   bool
	Verbose bool // also print the output of commands that succeeded

	mu       sync.Mutex
	lastTask string
	err      error // the first write error
}

// Observe renders one event.
func (t *TextRenderer) Observe(ev Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	switch ev.Kind {
	case EventPlayStart:
		fmt.Fprintf(&b, "\n%s %s\n", t.paint(sgrBold, "PLAY ["+ev.Play.Name+"]"), playSummary(ev.Play, ev.Hosts))
		t.lastTask = ""
	case EventBatchStart:
		if ev.Batches > 1 {
			fmt.Fprintf(&b, "%s %s\n", t.paint(sgrBold, fmt.Sprintf("BATCH %d/%d", ev.Batch, ev.Batches)), nodeset.Fold(ev.Hosts))
		}
		t.lastTask = ""
	case EventTaskStart:
		t.taskHeader(&b, ev.Task.DisplayName(), ev.Task.handler)
	case EventResult:
		t.result(&b, ev.Result)
	case EventPlayEnd:
		if ev.Report.Stopped != "" {
			fmt.Fprintf(&b, "%s %s\n", t.paint(sgrRed, "PLAY STOPPED:"), ev.Report.Stopped)
			if len(ev.Report.NotRun) > 0 {
				fmt.Fprintf(&b, "  not run: %s\n", nodeset.Fold(ev.Report.NotRun))
			}
		}
	}
	t.write(b.String())
}

func (t *TextRenderer) write(s string) {
	if t.err == nil && s != "" {
		_, t.err = io.WriteString(t.Out, s)
	}
}

// Err returns the first error writing the output.
func (t *TextRenderer) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

func (t *TextRenderer) taskHeader(b *strings.Builder, name string, handler bool) {
	if name == t.lastTask {
		return
	}
	t.lastTask = name
	kind := "TASK"
	if handler {
		kind = "HANDLER"
	}
	fmt.Fprintf(b, "%s\n", t.paint(sgrBold, kind+" ["+name+"]"))
}

// result writes "  host: status[: message]" and, for failures (and in
// verbose mode), the command's output.
func (t *TextRenderer) result(b *strings.Builder, r *TaskResult) {
	t.taskHeader(b, r.Task, r.Handler)
	status := string(r.Status)
	if r.Ignored {
		status = "failed (ignored)"
	}
	line := "  " + r.Host
	if r.Item != nil {
		line += fmt.Sprintf(" (item=%v)", r.Item)
	}
	line += ": " + t.paint(statusColor(r.Status), status)
	if r.Msg != "" && (r.Status != StatusSkipped || t.Verbose) {
		line += ": " + firstLine(r.Msg)
	}
	b.WriteString(line + "\n")
	if r.Status == StatusFailed || t.Verbose {
		writeIndented(b, "stdout", r.Stdout)
		writeIndented(b, "stderr", r.Stderr)
	}
}

func (t *TextRenderer) paint(sgr, s string) string {
	if !t.Color || sgr == "" {
		return s
	}
	return sgr + s + sgrReset
}

func statusColor(s Status) string {
	switch s {
	case StatusOK:
		return sgrGreen
	case StatusChanged:
		return sgrYellow
	case StatusFailed, StatusUnreachable:
		return sgrRed
	case StatusSkipped:
		return sgrCyan
	}
	return ""
}

// playSummary describes a play's hosts and how they are cut.
func playSummary(p *Play, hosts []string) string {
	parts := []string{fmt.Sprintf("%d hosts", len(hosts))}
	if len(hosts) == 1 {
		parts[0] = "1 host"
	}
	if len(p.Serial) > 0 {
		steps := make([]string, len(p.Serial))
		for i, s := range p.Serial {
			steps[i] = s.String()
		}
		parts = append(parts, "serial "+strings.Join(steps, ","))
	}
	if p.MaxFail != nil {
		parts = append(parts, "max_fail "+p.MaxFail.String())
	}
	if p.Strategy == Free {
		parts = append(parts, "strategy free")
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func firstLine(s string) string {
	line, rest, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if rest != "" {
		line += " ..."
	}
	return line
}

// writeIndented writes a command's output under its result line.
func writeIndented(b *strings.Builder, label, text string) {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return
	}
	fmt.Fprintf(b, "      %s:\n", label)
	for _, l := range strings.Split(text, "\n") {
		fmt.Fprintf(b, "        %s\n", l)
	}
}

// WriteRecap writes the PLAY RECAP table: a line per host with its counts,
// then why the run stopped and which hosts it never reached.
func WriteRecap(w io.Writer, rep *Report, color bool) error {
	t := &TextRenderer{Color: color}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n", t.paint(sgrBold, "PLAY RECAP"))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, s := range rep.Recap {
		status := sgrGreen
		switch {
		case s.Failed > 0 || s.Unreachable > 0:
			status = sgrRed
		case s.Changed > 0:
			status = sgrYellow
		}
		fmt.Fprintf(tw, "%s\tok=%d\tchanged=%d\tfailed=%d\tskipped=%d\tunreachable=%d\tignored=%d%s\n",
			t.paint(status, s.Host), s.OK, s.Changed, s.Failed, s.Skipped, s.Unreachable, s.Ignored, timedOut(s))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if rep.Stopped != "" {
		fmt.Fprintf(&b, "%s %s\n", t.paint(sgrRed, "STOPPED:"), rep.Stopped)
	}
	var notRun []string
	for _, p := range rep.Plays {
		for _, h := range p.NotRun {
			if !slices.Contains(notRun, h) {
				notRun = append(notRun, h)
			}
		}
	}
	if len(notRun) > 0 {
		fmt.Fprintf(&b, "not run: %s\n", nodeset.Fold(notRun))
	}
	if rep.Interrupted {
		b.WriteString("interrupted\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func timedOut(s *HostStats) string {
	switch {
	case s.TimedOut:
		return "\ttimed out"
	case s.Cancelled:
		return "\tcancelled"
	}
	return ""
}

// WriteJSON writes the whole run as one JSON document.
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
