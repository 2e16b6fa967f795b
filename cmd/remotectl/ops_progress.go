package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// progressInterval is how often the progress line is redrawn.
const progressInterval = 200 * time.Millisecond

// execProgress draws one status line on a terminal's standard error while
// an exec fan-out runs: hosts done of the total, failed, elapsed time and an
// estimate of the time left. Output written through its writers first
// erases the line, which the next tick draws again below the output, so the
// line and output lines never mix. Like copy's transfer progress, it is
// drawn on a terminal only and never with -q.
type execProgress struct {
	mu     sync.Mutex
	term   io.Writer // where the line is drawn
	shown  bool      // the line is on the screen
	total  int
	done   int
	failed int
	start  time.Time

	quit   chan struct{}
	exited chan struct{}
	once   sync.Once
}

// newExecProgress returns the progress of a run over total hosts drawn on
// term, or nil when there should be none.
func (a *app) newExecProgress(total int) *execProgress {
	if !a.io.ErrTTY || a.g.Quiet || total < 2 {
		return nil
	}
	return &execProgress{term: a.io.Err, total: total, start: time.Now(), quit: make(chan struct{}), exited: make(chan struct{})}
}

// writer returns w wrapped so that each write first erases the line.
func (p *execProgress) writer(w io.Writer) io.Writer { return &progressWriter{p: p, w: w} }

type progressWriter struct {
	p *execProgress
	w io.Writer
}

func (pw *progressWriter) Write(b []byte) (int, error) {
	pw.p.mu.Lock()
	defer pw.p.mu.Unlock()
	pw.p.erase()
	return pw.w.Write(b)
}

// run starts drawing.
func (p *execProgress) run() {
	go func() {
		defer close(p.exited)
		tick := time.NewTicker(progressInterval)
		defer tick.Stop()
		for {
			select {
			case <-p.quit:
				p.mu.Lock()
				p.erase()
				p.mu.Unlock()
				return
			case <-tick.C:
				p.draw(time.Now())
			}
		}
	}()
}

// observe counts finished hosts.
func (p *execProgress) observe(ev remote.Event) {
	if ev.Kind != remote.EventDone {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if ev.Err != nil || ev.Result.ExitCode != 0 || ev.Result.Signal != "" {
		p.failed++
	}
}

// stop erases the line for good and returns once it is gone.
func (p *execProgress) stop() {
	p.once.Do(func() { close(p.quit) })
	<-p.exited
}

func (p *execProgress) draw(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.term, "\r\033[K"+progressLine(p.done, p.total, p.failed, now.Sub(p.start)))
	p.shown = true
}

// erase removes the line; the caller holds p.mu.
func (p *execProgress) erase() {
	if p.shown {
		fmt.Fprint(p.term, "\r\033[K")
		p.shown = false
	}
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
