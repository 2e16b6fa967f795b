package ops

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/playbook"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
)

// progressInterval is how often the status line is redrawn.
const progressInterval = 200 * time.Millisecond

// stragglers is how few hosts left the status line names, with what each
// is doing: "49/50 hosts done, ... — waiting on hung01 (connecting)".
const stragglers = 3

// eraseLine returns the cursor to the start of the line and clears it.
const eraseLine = "\r\033[K"

// StatusLine is one line of live status drawn on a terminal's standard
// error while a run goes, redrawn every progressInterval. Output written
// through its writers first erases the line, which the next tick draws
// again below the output, so the line and output lines never mix.
//
// Everything the line shows is updated under its lock (see update), which
// text is also called with.
type StatusLine struct {
	mu    sync.Mutex
	term  io.Writer                  // where the line is drawn
	now   func() time.Time           // the clock (time.Now; a fake in tests)
	text  func(now time.Time) string // the line to draw, called with mu held
	shown bool                       // the line is on the screen
	held  bool                       // a prompt is on the screen: not drawn
	width int                        // the terminal's columns; 0 unknown

	quit, exited chan struct{} // nil until run
	once         sync.Once
}

func newStatusLine(term io.Writer, now func() time.Time, text func(time.Time) string) *StatusLine {
	return &StatusLine{term: term, now: now, text: text}
}

// SetWidth tells the line the terminal's width in columns (0: unknown).
// The line is cut to fit: one that wraps could not be erased, and every
// redraw would leave a stale row behind.
func (s *StatusLine) SetWidth(cols int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.width = cols
}

// Writer returns w wrapped so that each write first erases the line.
func (s *StatusLine) Writer(w io.Writer) io.Writer { return &erasingWriter{s: s, w: w} }

type erasingWriter struct {
	s *StatusLine
	w io.Writer
}

func (ew *erasingWriter) Write(b []byte) (int, error) {
	ew.s.mu.Lock()
	defer ew.s.mu.Unlock()
	ew.s.erase()
	return ew.w.Write(b)
}

// update changes what the line shows.
func (s *StatusLine) update(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// Start starts drawing, every progressInterval.
func (s *StatusLine) Start() {
	s.quit, s.exited = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.exited)
		tick := time.NewTicker(progressInterval)
		defer tick.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-tick.C:
				s.draw()
			}
		}
	}()
}

// draw draws the line once, replacing what it showed.
func (s *StatusLine) draw() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held {
		return
	}
	text := s.text(s.now())
	if s.width > 1 {
		text = report.CutCells(text, s.width-1) // the last column would wrap on some terminals
	}
	fmt.Fprint(s.term, eraseLine+text)
	s.shown = true
}

// Stop ends the drawing, erases the line for good and returns once it is
// gone. It is safe to call more than once.
func (s *StatusLine) Stop() {
	s.once.Do(func() {
		if s.quit != nil {
			close(s.quit)
			<-s.exited
		}
		s.mu.Lock()
		s.erase()
		s.mu.Unlock()
	})
}

// hold erases the line and keeps it off the screen while ask prompts on
// the terminal.
func (s *StatusLine) hold(ask func(string, bool) (string, error)) func(string, bool) (string, error) {
	return func(msg string, echo bool) (string, error) {
		s.update(func() { s.erase(); s.held = true })
		defer s.update(func() { s.held = false })
		return ask(msg, echo)
	}
}

// erase removes the line; the caller holds s.mu.
func (s *StatusLine) erase() {
	if s.shown {
		fmt.Fprint(s.term, eraseLine)
		s.shown = false
	}
}

// hostPhase is where a host of a run is.
type hostPhase uint8

const (
	phaseQueued     hostPhase = iota // not started yet (waiting for a fork)
	phaseConnecting                  // dialling, handshake, authentication
	phaseRunning                     // connected: the job runs
	phaseDone
)

func (p hostPhase) String() string {
	switch p {
	case phaseConnecting:
		return "connecting"
	case phaseRunning:
		return "running"
	case phaseDone:
		return "done"
	}
	return "not started"
}

// fleetCounts are the hosts of a run as the status line counts them: how
// many are done and failed, and the phase of every host, so that the last
// few can be named. Its methods are called with the status line's lock held.
type fleetCounts struct {
	names  []string             // every host, in the run's order
	phase  map[string]hostPhase // by name; absent means queued
	done   int
	failed int
	start  time.Time
}

func newFleetCounts(targets []remote.Target, start time.Time) *fleetCounts {
	f := &fleetCounts{phase: make(map[string]hostPhase, len(targets)), start: start}
	for i := range targets {
		f.names = append(f.names, targets[i].Name)
	}
	return f
}

// enter moves a host on to phase p; a host never moves back, so a late
// report (a dial that ended after its host was given up) changes nothing.
func (f *fleetCounts) enter(name string, p hostPhase) {
	if p > f.phase[name] {
		f.phase[name] = p
	}
}

// observe follows a runner's events: started hosts are connecting until
// their dial reports otherwise; finished ones count.
func (f *fleetCounts) observe(ev remote.Event) {
	switch ev.Kind {
	case remote.EventStart:
		f.enter(ev.Target.Name, phaseConnecting)
	case remote.EventDone:
		if f.phase[ev.Target.Name] == phaseDone {
			return
		}
		f.enter(ev.Target.Name, phaseDone)
		f.done++
		if ev.Err != nil || ev.Result.ExitCode != 0 || ev.Result.Signal != "" {
			f.failed++
		}
	}
}

// waitingOn names the hosts not done when at most stragglers are left.
func (f *fleetCounts) waitingOn() string {
	var left []string
	for _, n := range f.names {
		if f.phase[n] != phaseDone {
			left = append(left, n)
		}
	}
	return waitingOn(left, f.phase)
}

// waitingOn names the hosts left, when there are at most stragglers of
// them, grouped by phase and folded: "hung01 (connecting), web[03-04]
// (running)". It is "" when more are left, or none.
func waitingOn(left []string, phase map[string]hostPhase) string {
	if len(left) == 0 || len(left) > stragglers {
		return ""
	}
	byPhase := map[hostPhase][]string{}
	for _, n := range left {
		byPhase[phase[n]] = append(byPhase[phase[n]], n)
	}
	var parts []string
	for _, p := range []hostPhase{phaseConnecting, phaseRunning, phaseQueued} {
		if names := byPhase[p]; len(names) > 0 {
			parts = append(parts, fmt.Sprintf("%s (%s)", nodeset.Fold(names), p))
		}
	}
	return strings.Join(parts, ", ")
}

// line is "12/200 hosts done, 3 failed, 4.1s elapsed, about 1m2s left", or,
// once few hosts are left, "... 4.1s elapsed — waiting on hung01 (connecting)".
func (f *fleetCounts) line(now time.Time) string {
	elapsed := now.Sub(f.start)
	if waiting := f.waitingOn(); waiting != "" {
		return fmt.Sprintf("%d/%d hosts done, %d failed, %s elapsed — waiting on %s",
			f.done, len(f.names), f.failed, elapsed.Round(100*time.Millisecond), waiting)
	}
	return progressLine(f.done, len(f.names), f.failed, elapsed)
}

// progressLine is "12/200 hosts done, 3 failed, 4.1s elapsed, about 1m2s left".
func progressLine(done, total, failed int, elapsed time.Duration) string {
	s := fmt.Sprintf("%d/%d hosts done, %d failed, %s elapsed", done, total, failed, elapsed.Round(100*time.Millisecond))
	if done > 0 && done < total {
		left := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
		s += fmt.Sprintf(", about %s left", left.Round(time.Second))
	}
	return s
}

// phaseDialer tells the status line when each host's connection is being
// made and when it is up.
type phaseDialer struct {
	remote.Dialer
	enter func(name string, p hostPhase)
}

func (d phaseDialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	d.enter(t.Name, phaseConnecting)
	tr, err := d.Dialer.Dial(ctx, t)
	if err == nil {
		d.enter(t.Name, phaseRunning)
	}
	return tr, err
}

// fleetProgress is the status line of a run over many hosts (exec, check):
// hosts done of the total, failed, elapsed time, an estimate of the time
// left, and the stragglers by name.
type fleetProgress struct {
	*StatusLine
	counts *fleetCounts
}

func newFleetProgressAt(term io.Writer, targets []remote.Target, now func() time.Time) *fleetProgress {
	p := &fleetProgress{counts: newFleetCounts(targets, now())}
	p.StatusLine = newStatusLine(term, now, p.counts.line)
	return p
}

// observe counts a runner event.
func (p *fleetProgress) observe(ev remote.Event) { p.update(func() { p.counts.observe(ev) }) }

// dialer wraps d to follow each host's connection.
func (p *fleetProgress) dialer(d remote.Dialer) remote.Dialer {
	return phaseDialer{Dialer: d, enter: func(name string, ph hostPhase) {
		p.update(func() { p.counts.enter(name, ph) })
	}}
}

// playProgress is the status line of a playbook run. With the linear
// strategy it follows the current task over the current batch: "TASK
// [install nginx]: 48/50 hosts done, 1 failed, 12.3s elapsed — waiting on
// web07 (running)". Before the first task, and with the free strategy,
// where each host runs ahead on its own, it counts the batch's hosts and
// failures, and names the last hosts not connected yet: "PLAY [web]: 50
// hosts, 0 failed, 4s elapsed — waiting on hung01 (connecting)".
type playProgress struct {
	*StatusLine
	start    time.Time
	play     string
	task     string               // the current task ("" before the first, or with the free strategy)
	batch    []string             // hosts of the current batch
	phase    map[string]hostPhase // connection of each host of the batch
	answered map[string]bool      // hosts with a result for the current task
	failed   map[string]bool      // hosts out of the play: failed or unreachable
}

func newPlayProgressAt(term io.Writer, now func() time.Time) *playProgress {
	p := &playProgress{start: now(), phase: map[string]hostPhase{}, answered: map[string]bool{}, failed: map[string]bool{}}
	p.StatusLine = newStatusLine(term, now, p.line)
	return p
}

// observe follows the executor's events.
func (p *playProgress) observe(ev playbook.Event) {
	p.update(func() {
		switch ev.Kind {
		case playbook.EventPlayStart:
			p.play, p.task = ev.Play, ""
		case playbook.EventBatchStart:
			p.batch, p.task = ev.Hosts, ""
			clear(p.phase)
			clear(p.answered)
		case playbook.EventTaskStart:
			p.task = ev.Task
			clear(p.answered)
		case playbook.EventResult:
			r := ev.Result
			if r.Task == p.task {
				p.answered[r.Host] = true
			}
			if (r.Status == playbook.StatusFailed && !r.Ignored) || r.Status == playbook.StatusUnreachable {
				p.failed[r.Host] = true
			}
		}
	})
}

// dialer wraps d to follow each host's connection.
func (p *playProgress) dialer(d remote.Dialer) remote.Dialer {
	return phaseDialer{Dialer: d, enter: func(name string, ph hostPhase) {
		p.update(func() {
			if ph > p.phase[name] {
				p.phase[name] = ph
			}
		})
	}}
}

func (p *playProgress) line(now time.Time) string {
	elapsed := now.Sub(p.start).Round(100 * time.Millisecond)
	failed := 0
	for _, h := range p.batch {
		if p.failed[h] {
			failed++
		}
	}
	var left []string // before a task: the hosts not connected yet
	for _, h := range p.batch {
		if !p.failed[h] && (p.task == "" && p.phase[h] < phaseRunning || p.task != "" && !p.answered[h]) {
			left = append(left, h)
		}
	}
	s := fmt.Sprintf("PLAY [%s]: %d hosts, %d failed, %s elapsed", p.play, len(p.batch), failed, elapsed)
	if p.task != "" {
		s = fmt.Sprintf("TASK [%s]: %d/%d hosts done, %d failed, %s elapsed", p.task, len(p.batch)-len(left), len(p.batch), failed, elapsed)
	}
	if waiting := waitingOn(left, p.phase); waiting != "" {
		s += " — waiting on " + waiting
	}
	return s
}

// TransferProgress is the status line of copy and fetch: "1.2 GiB / 2.0 GiB
// (60%), 45.3 MiB/s, about 18s left, 3/20 hosts done, 0 failed", then the
// stragglers by name. A host that fails (or is unreachable) takes the bytes
// it will not move off the total, so the line still reaches 100%. Its
// methods do nothing on a nil *TransferProgress (no status line).
type TransferProgress struct {
	*StatusLine
	counts    *fleetCounts
	hosts     map[string]*hostBytes
	done      int64     // bytes moved, every host
	total     int64     // bytes to move, over the hosts whose total is known
	known     int       // hosts whose total is known
	firstByte time.Time // when the first byte moved: the rate's start
}

// hostBytes is one host's part of a transfer.
type hostBytes struct {
	done, total int64
	known       bool // total counts in the transfer's
	over        bool // the host is done: later reports change nothing
}

// NewTransferProgress returns the status line of a transfer to targets of
// size bytes each, or of sizes each host reports as it starts (size < 0).
func NewTransferProgress(term io.Writer, targets []remote.Target, size int64, now func() time.Time) *TransferProgress {
	p := &TransferProgress{counts: newFleetCounts(targets, now()), hosts: make(map[string]*hostBytes, len(targets))}
	for _, name := range p.counts.names {
		h := &hostBytes{}
		if size >= 0 {
			h.total, h.known = size, true
			p.total += size
			p.known++
		}
		p.hosts[name] = h
	}
	p.StatusLine = newStatusLine(term, now, p.line)
	return p
}

// Host returns the progress callback of the transfer to the named host: it
// reports the host's running totals, so the callback keeps its last values
// to add deltas. Its first total counts when sizes were not known up front.
func (p *TransferProgress) Host(name string) remote.ProgressFunc {
	if p == nil {
		return func(int64, int64) {}
	}
	return func(done, total int64) {
		p.update(func() {
			h := p.hosts[name]
			if h == nil || h.over {
				return
			}
			if !h.known && total >= 0 {
				h.total, h.known = total, true
				p.total += total
				p.known++
			}
			p.done += done - h.done
			h.done = done
			if p.firstByte.IsZero() && p.done > 0 {
				p.firstByte = p.now()
			}
		})
	}
}

// Observe counts a runner event. A host that ended on an error moves no
// more bytes: what it did not move leaves the total (all of it, when it
// never said how much it had to move).
func (p *TransferProgress) Observe(ev remote.Event) {
	if p == nil {
		return
	}
	p.update(func() {
		p.counts.observe(ev)
		h := p.hosts[ev.Target.Name]
		if ev.Kind != remote.EventDone || h == nil || h.over {
			return
		}
		h.over = true
		if ev.Err == nil {
			return
		}
		if !h.known {
			h.known = true
			p.known++
		}
		p.total -= max(0, h.total-h.done)
		h.total = h.done
	})
}

// Dialer wraps d to follow each host's connection.
func (p *TransferProgress) Dialer(d remote.Dialer) remote.Dialer {
	if p == nil {
		return d
	}
	return phaseDialer{Dialer: d, enter: func(name string, ph hostPhase) {
		p.update(func() { p.counts.enter(name, ph) })
	}}
}

// Stop erases the line for good (see StatusLine.Stop).
func (p *TransferProgress) Stop() {
	if p != nil {
		p.StatusLine.Stop()
	}
}

func (p *TransferProgress) line(now time.Time) string {
	var b strings.Builder
	whole := p.known == len(p.counts.names) // every host's total is known
	if whole {
		fmt.Fprintf(&b, "%s / %s", humanBytes(p.done), humanBytes(p.total))
		if p.total > 0 {
			fmt.Fprintf(&b, " (%d%%)", p.done*100/p.total)
		}
	} else {
		fmt.Fprintf(&b, "%s copied", humanBytes(p.done))
	}
	if !p.firstByte.IsZero() {
		if secs := now.Sub(p.firstByte).Seconds(); secs > 0 {
			rate := float64(p.done) / secs
			fmt.Fprintf(&b, ", %s/s", humanBytes(int64(rate)))
			if whole && p.done < p.total && rate > 0 {
				left := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
				fmt.Fprintf(&b, ", about %s left", max(left.Round(time.Second), time.Second))
			}
		}
	}
	c := p.counts
	fmt.Fprintf(&b, ", %d/%d hosts done, %d failed", c.done, len(c.names), c.failed)
	if waiting := c.waitingOn(); waiting != "" {
		b.WriteString(" — waiting on " + waiting)
	}
	return b.String()
}

// Terminal describes where a status line would be drawn: standard error,
// and what decides whether a run draws one there.
type Terminal struct {
	Err    io.Writer // standard error
	TTY    bool      // standard error is a terminal
	Term   string    // $TERM
	Quiet  bool      // -q (and --cron)
	Format string    // -o
	// DrawBelow, when not nil, is called with a new status line so that
	// the rest of the command's standard error and prompts go below it
	// (see StatusLine.Writer and StatusLine.Prompt).
	DrawBelow func(*StatusLine)
}

// WantsStatusLine reports whether a run shows a status line: only on a
// terminal that can erase a line (not TERM=dumb), never with -q (or
// --cron), and only with the text output formats: a machine-readable
// document on a terminal gets no line drawn beside it.
func (t Terminal) WantsStatusLine() bool {
	switch t.Format {
	case report.FormatText, report.FormatGrouped, report.FormatCoalesce:
	default:
		return false
	}
	return t.TTY && !t.Quiet && t.Term != "dumb"
}

// drawBelow hands a new status line to t.DrawBelow.
func (t Terminal) drawBelow(s *StatusLine) {
	if t.DrawBelow != nil {
		t.DrawBelow(s)
	}
}

// Prompt returns read wrapped so that a prompt (a key's passphrase) takes
// the line off the screen, and holds it and every output line off, until it
// is answered.
func (s *StatusLine) Prompt(read func(prompt string) (string, error)) func(prompt string) (string, error) {
	return func(prompt string) (string, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.erase()
		return read(prompt)
	}
}

// startProgress makes the status line of the run over targets, if it has
// one (see Terminal.WantsStatusLine; a single host needs none): the run's
// own warnings and the command's standard error then go below it. It is
// drawn once the events flow (see ObserveExec).
func (r *Run) startProgress(targets []remote.Target) *fleetProgress {
	t := r.d.Terminal
	if !t.WantsStatusLine() || len(targets) < 2 {
		return nil
	}
	r.progress = newFleetProgressAt(t.Err, targets, r.clock.Now)
	t.drawBelow(r.progress.StatusLine)
	r.d.Err = r.progress.Writer(r.d.Err)
	return r.progress
}

// WatchDial wraps the dialer of a run whose hosts the status line follows.
func (r *Run) WatchDial(d remote.Dialer) remote.Dialer {
	if r.progress == nil {
		return d
	}
	return r.progress.dialer(d)
}

// StartPlayProgress starts the status line of a play run written as text
// (text is not nil), if it has one, below the text renderer's output: it
// follows opts' dialer and, given to ObservePlay, the run's events
// (observe is nil when there is no line). stop erases it for good.
func StartPlayProgress(t Terminal, opts *playbook.Options, text *report.PlayRenderer) (observe func(remote.Event), stop func()) {
	if !t.WantsStatusLine() {
		return nil, func() {}
	}
	p := newPlayProgressAt(t.Err, time.Now)
	t.drawBelow(p.StatusLine)
	if text == nil {
		return nil, func() {}
	}
	text.Out = p.Writer(text.Out)
	opts.Dialer = p.dialer(opts.Dialer)
	if opts.Prompt != nil { // pause and vars_prompt: the line stays off while they ask
		opts.Prompt = p.hold(opts.Prompt)
	}
	p.Start()
	observe = func(ev remote.Event) {
		if pe, ok := report.PlayEventOf(ev); ok {
			p.observe(*pe)
		}
	}
	return observe, p.Stop
}

// humanBytes is n in B, KiB, MiB, ...: "1.5 GiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
