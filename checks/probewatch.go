package checks

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"time"
)

// probeWatch follows a gather script's output as it arrives and stops the
// script when the probe running has gone longer than its timeout without
// output (a df on a hung NFS mount, a resolver that does not answer), so
// that one probe cannot use up the host's whole bound: the gather then runs
// the probes after it in a new script. A probe starts at its begin marker,
// or when the probe before it ends; output of any kind is progress, so a
// large file's contents on a slow link is not mistaken for a hang.
type probeWatch struct {
	mu       sync.Mutex
	prefix   []byte
	reqs     []request // the gather's, numbered as the markers
	end      int       // one past the script's last request
	cancel   context.CancelFunc
	timer    *time.Timer
	due      time.Time // when the timer fires; zero when it is not set
	current  int       // the probe running; -1 before the first marker and after the last
	deadline time.Time // when current is stopped unless output comes
	stopped  int       // the probe stopped; -1 for none
	closed   bool
	line     []byte // the start of the line being written, while it can be a marker
	long     bool   // the line being written is too long to be a marker
}

func newProbeWatch(prefix string, reqs []request, end int, cancel context.CancelFunc) *probeWatch {
	return &probeWatch{prefix: []byte(prefix), reqs: reqs, end: end, cancel: cancel, current: -1, stopped: -1}
}

// maxMarkerTail bounds what follows the prefix on a marker line.
const maxMarkerTail = 32

// Write reads the markers in p and notes the progress.
func (w *probeWatch) Write(p []byte) (int, error) {
	n := len(p)
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if !w.long {
			if len(w.line)+len(chunk) > len(w.prefix)+maxMarkerTail {
				w.long, w.line = true, w.line[:0]
			} else {
				w.line = append(w.line, chunk...)
			}
		}
		if i < 0 {
			break
		}
		if !w.long {
			w.marker(bytes.TrimSuffix(w.line, []byte("\r")))
		}
		w.line, w.long = w.line[:0], false
		p = p[i+1:]
	}
	w.progress(time.Now())
	return n, nil
}

// marker moves the current probe on a begin or end marker line.
func (w *probeWatch) marker(line []byte) {
	rest, ok := bytes.CutPrefix(line, w.prefix)
	if !ok {
		return
	}
	word, arg, _ := bytes.Cut(rest, []byte(" "))
	switch string(word) {
	case "begin":
		if n, err := strconv.Atoi(string(arg)); err == nil && n >= 0 && n < w.end {
			w.current = n
		}
	case "end":
		if w.current >= 0 {
			w.current++
			if w.current >= w.end {
				w.current = -1
			}
		}
	}
}

// progress moves the current probe's deadline to its timeout from now.
func (w *probeWatch) progress(now time.Time) {
	if w.closed || w.current < 0 || w.reqs[w.current].timeout <= 0 {
		return
	}
	w.deadline = now.Add(w.reqs[w.current].timeout)
	if !w.due.IsZero() && !w.deadline.Before(w.due) {
		return
	}
	w.due = w.deadline
	if w.timer == nil {
		w.timer = time.AfterFunc(w.deadline.Sub(now), w.fire)
		return
	}
	w.timer.Reset(w.deadline.Sub(now))
}

// fire stops the script if the current probe's deadline has passed, or
// sets the timer again for it.
func (w *probeWatch) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.due = time.Time{}
	if w.closed || w.current < 0 || w.stopped >= 0 || w.reqs[w.current].timeout <= 0 {
		return
	}
	now := time.Now()
	if now.Before(w.deadline) {
		w.due = w.deadline
		w.timer.Reset(w.deadline.Sub(now))
		return
	}
	w.stopped = w.current
	w.cancel()
}

// close ends the watch once the script has returned, and returns the probe
// it stopped, or -1.
func (w *probeWatch) close() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.timer != nil {
		w.timer.Stop()
	}
	return w.stopped
}
