package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/remotectl/remotectl/remote"
)

// textRenderer shows output lines as they arrive, "web01 | line", and hosts
// failing with an error as they end; then the recap.
type textRenderer struct {
	out, errOut io.Writer
	style       style
	quiet       bool
	verbose     bool
	width       int
	prefixes    [][2][]byte // per host: stdout and stderr line prefixes, made on first use
	buf         []byte      // reused for each event's lines
}

func newText(opts Options, targets []remote.Target) *textRenderer {
	return &textRenderer{
		out:      opts.Out,
		errOut:   opts.Err,
		style:    style{opts.Color},
		quiet:    opts.Quiet,
		verbose:  opts.Verbose,
		width:    nameWidth(targets),
		prefixes: make([][2][]byte, len(targets)),
	}
}

func (t *textRenderer) start(int, *HostRecord) error { return nil }

func (t *textRenderer) output(i int, h *HostRecord, stream remote.Stream, data []byte) error {
	if t.quiet || len(data) == 0 {
		return nil
	}
	t.buf = appendPrefixed(t.buf[:0], t.prefix(i, h.Name, stream), data)
	_, err := t.out.Write(t.buf)
	return err
}

// prefix returns the line prefix of host i on stream: the name padded to the
// longest name, then " | " for stdout or " ! " for stderr.
func (t *textRenderer) prefix(i int, name string, stream remote.Stream) []byte {
	k := 0
	if stream == remote.Stderr {
		k = 1
	}
	if p := t.prefixes[i][k]; p != nil {
		return p
	}
	pad := strings.Repeat(" ", max(0, t.width-len([]rune(name))))
	marker := " | "
	if stream == remote.Stderr {
		marker = " " + t.style.paint(sgrRed, "!") + " "
	}
	p := []byte(t.style.host(name) + pad + marker)
	t.prefixes[i][k] = p
	return p
}

// appendPrefixed appends each line of data to buf behind prefix. A last
// piece without a newline (the end of the output, or a chunk of an overlong
// line) is shown as a line of its own.
func appendPrefixed(buf, prefix, data []byte) []byte {
	for len(data) > 0 {
		line := data
		if j := bytes.IndexByte(data, '\n'); j >= 0 {
			line = data[:j+1]
		}
		data = data[len(line):]
		buf = append(buf, prefix...)
		buf = append(buf, line...)
		if line[len(line)-1] != '\n' {
			buf = append(buf, '\n')
		}
	}
	return buf
}

// done reports a host that ended with an error (cancellations aside: the
// recap counts them).
func (t *textRenderer) done(_ int, h *HostRecord) error {
	status := h.Status()
	if t.quiet || h.Err == nil || status == StatusCancelled {
		return nil
	}
	_, err := fmt.Fprintf(t.errOut, "%s: %s: %s\n", t.style.host(h.Name), t.style.status(status, status), statusError(status, h.Err))
	return err
}

func (t *textRenderer) finish(sum *Summary) error {
	return writeRecap(t.errOut, sum, t.style, t.verbose, t.quiet)
}
