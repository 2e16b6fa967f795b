package remote

import (
	"bytes"
	"errors"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultMaxLine is the longest unfinished line a host's output writer holds
// back before it sends the line on in chunks.
const DefaultMaxLine = 64 << 10

// errHostFinished is returned by a host's output writers once the host has
// been reported done (a job that kept writing after it was abandoned).
var errHostFinished = errors.New("remote: output written after the host was reported done")

// lineWriter turns one output stream of one host into EventOutput events.
//
// Each Write sends at most one event holding every complete line available
// (the unfinished line left over from earlier writes, then the new bytes up to
// their last newline); the bytes after the last newline wait for the next
// Write. An unfinished line is never held back beyond maxLine bytes: past that
// it is sent in maxLine-sized chunks as it arrives, so memory stays bounded on
// output without newlines. Complete lines are passed on as they are, whatever
// their length. close sends what is left without adding a newline.
//
// The writer is safe for concurrent use so that the runner can close it while
// an abandoned job still writes.
type lineWriter struct {
	mu      sync.Mutex
	out     chan<- Event
	proto   Event // Kind, Index, Target and Stream of every event sent
	maxLine int
	tail    []byte // the unfinished line, at most maxLine bytes
	closed  bool
}

func newLineWriter(out chan<- Event, index int, target *Target, stream Stream, maxLine int) *lineWriter {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &lineWriter{
		out:     out,
		proto:   Event{Kind: EventOutput, Index: index, Target: target, Stream: stream},
		maxLine: maxLine,
	}
}

// Write sends the complete lines of tail+p in one event and keeps the rest.
// It blocks while the event reader is busy.
func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, errHostFinished
	}
	cut := w.cutPoint(p)
	if cut == 0 {
		w.tail = append(w.tail, p...)
		return len(p), nil
	}
	data := make([]byte, cut)
	n := copy(data, w.tail)
	used := copy(data[n:], p)
	// What is left: the rest of the tail (when a chunk ended inside it),
	// then the rest of p.
	w.tail = append(w.tail[:copy(w.tail, w.tail[n:])], p[used:]...)
	w.send(data)
	return len(p), nil
}

// cutPoint returns how many bytes of tail+p can be sent now: everything up to
// and including the last newline, plus maxLine-sized chunks of the
// unfinished line after it, keeping between 1 and maxLine bytes of that line.
// A chunk ends on a UTF-8 character boundary (it is up to 3 bytes shorter
// then), so that no character is split between two events. It returns 0
// when nothing is to be sent.
func (w *lineWriter) cutPoint(p []byte) int {
	total := len(w.tail) + len(p)
	complete := 0
	if i := bytes.LastIndexByte(p, '\n'); i >= 0 {
		complete = len(w.tail) + i + 1
	}
	at := func(i int) byte {
		if i < len(w.tail) {
			return w.tail[i]
		}
		return p[i-len(w.tail)]
	}
	for total-complete > w.maxLine {
		chunk := w.maxLine
		for back := 0; back < utf8.UTFMax-1 && chunk > 1 && !utf8.RuneStart(at(complete+chunk)); back++ {
			chunk--
		}
		if !utf8.RuneStart(at(complete + chunk)) {
			chunk = w.maxLine // not UTF-8 there: cut anywhere
		}
		complete += chunk
	}
	return complete
}

// close sends the unfinished last line, if any, and makes later writes fail.
func (w *lineWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	if len(w.tail) > 0 {
		w.send(bytes.Clone(w.tail))
	}
	w.tail = nil
}

// send delivers data, which the receiver then owns. The caller holds w.mu.
func (w *lineWriter) send(data []byte) {
	ev := w.proto
	ev.Time = time.Now()
	ev.Data = data
	w.out <- ev
}

// noteWriter sends a host's notes (HostIO.Note) as EventNote events. Like
// lineWriter, it is safe for concurrent use so that the runner can close it
// while an abandoned job still reports.
type noteWriter struct {
	mu     sync.Mutex
	out    chan<- Event
	index  int
	target *Target
	closed bool
}

// note sends detail, unless the host has been reported done.
func (w *noteWriter) note(detail any) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	w.out <- Event{Kind: EventNote, Index: w.index, Target: w.target, Time: time.Now(), Detail: detail}
	return true
}

// close makes later notes fail.
func (w *noteWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}
