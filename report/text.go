package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/remotectl/remotectl/remote"
)

// continued starts the rest of a line that came in pieces: output without
// a newline is sent on in chunks (remote.DefaultMaxLine), each shown as a
// line of its own.
const continued = "↪"

// quietTail is how much of the end of each output stream of a host -q keeps,
// to show when the host fails: the lines that say why.
const quietTail = 16 << 10

// textRenderer shows output lines as they arrive, "web01 | line" on the
// output stream and "web01 ! line" on the error stream, and hosts failing
// with an error as they end; then the recap. With Quiet, it shows only the
// output of the hosts that did not succeed, once they end.
type textRenderer struct {
	out, errOut io.Writer
	style       style
	quiet       bool
	verbose     bool
	names       []string    // per host: the name shown, escaped and capped
	width       int         // of the widest name shown, in cells
	prefixes    [][2][]byte // per host: stdout and stderr line prefixes, made on first use
	open        [][2]bool   // per host and stream: the last piece ended inside a line
	held        [][2]tail   // Quiet: per host and stream, the end of the output
	buf         []byte      // reused for each event's lines
}

// tail is the end of an output stream: its last quietTail bytes or so, and
// how many bytes came before them.
type tail struct {
	data    []byte
	dropped int64
	midLine bool // data starts inside a line
}

func newText(opts Options, targets []remote.Target) *textRenderer {
	t := &textRenderer{
		out:      opts.Out,
		errOut:   opts.Err,
		style:    style{opts.Color},
		quiet:    opts.Quiet,
		verbose:  opts.Verbose,
		prefixes: make([][2][]byte, len(targets)),
		open:     make([][2]bool, len(targets)),
	}
	t.names, t.width = shownNames(targets, opts.Width)
	if t.quiet {
		t.held = make([][2]tail, len(targets))
	}
	return t
}

func (t *textRenderer) start(int, *HostRecord) error { return nil }

func (t *textRenderer) output(i int, _ *HostRecord, stream remote.Stream, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	if t.quiet {
		t.held[i][streamIndex(stream)].add(data)
		return nil
	}
	return t.write(i, stream, data)
}

// write shows a piece of a host's output on its stream: stdout lines on
// Out, stderr lines on Err.
func (t *textRenderer) write(i int, stream remote.Stream, data []byte) error {
	k := streamIndex(stream)
	prefix := t.prefix(i, stream)
	buf := t.buf[:0]
	for len(data) > 0 {
		line := nextLine(data)
		data = data[len(line):]
		buf = append(buf, prefix...)
		if t.open[i][k] {
			buf = append(buf, continued...)
		}
		buf = appendLine(buf, line)
		t.open[i][k] = line[len(line)-1] != '\n'
	}
	t.buf = buf
	w := t.out
	if stream == remote.Stderr {
		w = t.errOut
	}
	_, err := w.Write(buf)
	return err
}

func streamIndex(stream remote.Stream) int {
	if stream == remote.Stderr {
		return 1
	}
	return 0
}

// prefix returns the line prefix of host i on stream: the name padded to the
// widest name, then " | " for stdout or " ! " for stderr.
func (t *textRenderer) prefix(i int, stream remote.Stream) []byte {
	k := streamIndex(stream)
	if p := t.prefixes[i][k]; p != nil {
		return p
	}
	marker := " | "
	if stream == remote.Stderr {
		marker = " " + t.style.paint(sgrRed, "!") + " "
	}
	p := []byte(t.style.host(t.names[i]) + padCells("", t.width-cells(t.names[i])) + marker)
	t.prefixes[i][k] = p
	return p
}

// add keeps the end of the output: data appended, then the oldest lines
// dropped down to about quietTail bytes.
func (q *tail) add(data []byte) {
	q.data = append(q.data, data...)
	excess := len(q.data) - quietTail
	if excess <= 0 {
		return
	}
	cut := excess
	if j := bytes.IndexByte(q.data[excess:], '\n'); j >= 0 {
		cut += j + 1 // drop whole lines
		q.midLine = false
	} else {
		for cut < len(q.data) && !utf8.RuneStart(q.data[cut]) {
			cut++
		}
		q.midLine = true
	}
	q.dropped += int64(cut)
	q.data = append(q.data[:0], q.data[cut:]...)
}

// done reports a host that ended with an error (cancellations aside: the
// recap counts them). With Quiet, it first shows the output of a host that
// did not succeed: the lines that say why.
func (t *textRenderer) done(i int, h *HostRecord) error {
	status := h.Status()
	if t.quiet {
		held := t.held[i]
		t.held[i] = [2]tail{}
		if status == StatusOK {
			return nil
		}
		for k, stream := range []remote.Stream{remote.Stdout, remote.Stderr} {
			if err := t.showTail(i, stream, &held[k]); err != nil {
				return err
			}
		}
	}
	if h.Err == nil || status == StatusCancelled {
		return nil
	}
	_, err := fmt.Fprintf(t.errOut, "%s: %s: %s\n", t.style.host(t.names[i]), t.style.status(status, status), statusError(status, h.Err))
	return err
}

// showTail shows what -q kept of a stream, saying how much came before.
func (t *textRenderer) showTail(i int, stream remote.Stream, q *tail) error {
	if q.dropped > 0 {
		note := "… " + strconv.FormatInt(q.dropped, 10) + " bytes before not shown\n"
		if err := t.write(i, stream, []byte(note)); err != nil {
			return err
		}
		t.open[i][streamIndex(stream)] = q.midLine
	}
	if len(q.data) == 0 {
		return nil
	}
	return t.write(i, stream, q.data)
}

func (t *textRenderer) finish(sum *Summary) error {
	return writeRecap(t.errOut, sum, t.style, t.verbose, t.quiet)
}
