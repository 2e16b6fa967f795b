package playbook

import (
	"time"

	"github.com/remotectl/remotectl/remote"
)

// PromptBarrier is the Detail of a note the run sends before it asks on
// the terminal, when Options.SyncPrompts is set: whoever shows the run's
// events closes it once everything sent before it is shown (Show does), so
// that a question (pause, vars_prompt, --step) comes after the task header
// and the results before it, as ansible-playbook prints them.
type PromptBarrier chan struct{}

// Show hands the run's events to render, which reads its channel one event
// at a time until it is closed (as report.PlayRenderer.Render), and closes
// each PromptBarrier once render has taken it: render has then shown every
// event before it. It returns when render does.
func Show(events <-chan remote.Event, render func(<-chan remote.Event)) {
	relay := make(chan remote.Event) // unbuffered: a send returns once render took the event
	done := make(chan struct{})
	go func() {
		defer close(done)
		render(relay)
	}()
	for ev := range events {
		relay <- ev
		if b, ok := ev.Detail.(PromptBarrier); ok && ev.Kind == remote.EventNote {
			close(b)
		}
	}
	close(relay)
	<-done
}

// ask asks on the terminal (Options.Prompt), once what the run reported
// before is shown when Options.SyncPrompts is set.
func (e *executor) ask(msg string, echo bool) (string, error) {
	if e.opts.SyncPrompts {
		b := make(PromptBarrier)
		if e.sendBarrier(b) {
			<-b
		}
	}
	return e.opts.Prompt(msg, echo)
}

// sendBarrier sends b after the events reported so far: through the
// batch's Runner while a batch runs (the hosts' notes keep their order
// there), else on the run's channel. It reports whether b was sent.
func (e *executor) sendBarrier(b PromptBarrier) bool {
	e.mu.Lock()
	br := e.batch
	e.mu.Unlock()
	if br != nil {
		br.mu.Lock()
		notes := append([]func(any) bool(nil), br.notes...)
		br.mu.Unlock()
		for _, note := range notes {
			if note != nil && note(b) {
				return true
			}
		}
		return false
	}
	e.outMu.Lock()
	defer e.outMu.Unlock()
	if e.closed {
		return false
	}
	e.out <- remote.Event{Kind: remote.EventNote, Index: -1, Time: time.Now(), Detail: b}
	return true
}
