package ops

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/remotectl/remotectl/internal/secret"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
	"github.com/remotectl/remotectl/runrec"
)

// branchSet runs extra renderers of a run (the --report JSON, the
// --prometheus-textfile metrics), each on its own goroutine reading its own
// copy of the events.
type branchSet struct {
	wg   sync.WaitGroup
	outs []chan<- remote.Event
}

// branch is the document one extra renderer produces: in buf, or in file
// when it goes straight to a file.
type branch struct {
	buf  bytes.Buffer
	file *runrec.AtomicFile
	err  error
}

// add starts render on a copy of the events; its document is in the
// returned branch once wait returns.
func (s *branchSet) add(render func(events <-chan remote.Event, out io.Writer) error) *branch {
	b := &branch{}
	s.start(b, &b.buf, render)
	return b
}

// addFile starts render on a copy of the events, writing its document to a
// temporary file that commit puts in place at path: a document as large as
// the run's output (the --report of exec) is never whole in memory.
func (s *branchSet) addFile(path string, render func(events <-chan remote.Event, out io.Writer) error) *branch {
	b := &branch{}
	var out io.Writer = io.Discard
	if b.file, b.err = runrec.CreateAtomic(path, 0o644); b.err == nil {
		out = b.file
	}
	s.start(b, out, render)
	return b
}

func (s *branchSet) start(b *branch, out io.Writer, render func(<-chan remote.Event, io.Writer) error) {
	ch := make(chan remote.Event, 64)
	s.outs = append(s.outs, ch)
	s.wg.Go(func() { b.err = errors.Join(b.err, render(ch, out)) })
}

// commit puts a file branch's document in place, or drops it when its
// renderer failed. Call it after wait.
func (b *branch) commit() error {
	if b.err != nil {
		if b.file != nil {
			b.file.Abort()
		}
		return b.err
	}
	return b.file.Commit()
}

// wait returns once every branch has finished.
func (s *branchSet) wait() { s.wg.Wait() }

// Pump forwards events to the returned channel, after masking the secrets
// in each (so no renderer, report or record sees them) and handing it to the
// observers (on the pump's goroutine, in order) and to every branch. Event
// data is shared, read-only, by everyone who gets it.
// onEnd, when not nil, is called after the last event and before the
// returned channel is closed.
func Pump(events <-chan remote.Event, secrets *secret.Masker, observers []func(remote.Event), branches []chan<- remote.Event, onEnd func()) <-chan remote.Event {
	if secrets.Empty() && len(observers) == 0 && len(branches) == 0 && onEnd == nil {
		return events
	}
	out := make(chan remote.Event, cap(events))
	go func() {
		for ev := range events {
			ev = maskEvent(secrets, ev)
			for _, o := range observers {
				o(ev)
			}
			for _, b := range branches {
				b <- ev
			}
			out <- ev
		}
		for _, b := range branches {
			close(b)
		}
		if onEnd != nil {
			onEnd()
		}
		close(out)
	}()
	return out
}

// ObserveExec puts the run's observers (history digests, status line) and
// extra renderers (--report) between the runner and the main renderer.
func (r *Run) ObserveExec(events <-chan remote.Event, targets []remote.Target) <-chan remote.Event {
	var observers []func(remote.Event)
	if r.recording() {
		r.outputs = runrec.NewOutputRecorder(len(targets))
		observers = append(observers, r.outputs.Observe)
	}
	observers, onEnd := r.progressObservers(observers)
	if r.o.Report != "" {
		r.reportDoc = r.branches.addFile(r.o.Report, func(ev <-chan remote.Event, out io.Writer) error {
			_, err := report.Render(ev, targets, report.Options{Format: report.FormatJSON, Out: out, Err: io.Discard, Run: *r.RunInfo()})
			return err
		})
	}
	return Pump(events, r.d.Secrets, observers, r.branches.outs, onEnd)
}

// ObserveChecks puts the extra renderers of a check run (--report JSON,
// --prometheus-textfile) beside the main one.
func (r *Run) ObserveChecks(events <-chan remote.Event, targets []remote.Target) <-chan remote.Event {
	render := func(format string) func(<-chan remote.Event, io.Writer) error {
		return func(ev <-chan remote.Event, out io.Writer) error {
			_, err := report.RenderChecks(ev, targets, report.CheckOptions{Format: format, Out: out, Run: *r.RunInfo()})
			return err
		}
	}
	if r.o.Report != "" {
		r.reportDoc = r.branches.addFile(r.o.Report, render(report.FormatJSON))
	}
	if r.o.Textfile != "" {
		r.checkMetrics = r.branches.add(render(report.FormatPrometheus))
	}
	observers, onEnd := r.progressObservers(nil)
	return Pump(events, r.d.Secrets, observers, r.branches.outs, onEnd)
}

// ObservePlay puts the observers of a play run (the status line of
// StartPlayProgress; nil ones are skipped) between the playbook's events
// (playbook.Run's channel) and the renderer, through Pump as exec and
// check events. The task results the events carry were redacted by the
// executor with the run's masker (the playbook's Secrets are the run's
// Secrets), as check results are by their job (MaskCheckResults).
func (r *Run) ObservePlay(events <-chan remote.Event, observers ...func(remote.Event)) <-chan remote.Event {
	observers = slices.DeleteFunc(slices.Clone(observers), func(o func(remote.Event)) bool { return o == nil })
	return Pump(events, r.d.Secrets, observers, nil, nil)
}

// progressObservers adds the status line, if the run has one, to the
// observers, and starts drawing it; onEnd erases it for good, before the
// recap is written.
func (r *Run) progressObservers(observers []func(remote.Event)) (_ []func(remote.Event), onEnd func()) {
	if r.progress == nil {
		return observers, nil
	}
	r.progress.Start()
	return append(observers, r.progress.observe), r.progress.Stop
}
