package report

import (
	"io"

	"github.com/remotectl/remotectl/remote"
)

// groupedRenderer shows one block per host as it finishes, then the recap.
type groupedRenderer struct {
	out, errOut io.Writer
	style       style
	quiet       bool
	verbose     bool
}

func newGrouped(opts Options) *groupedRenderer {
	return &groupedRenderer{out: opts.Out, errOut: opts.Err, style: style{opts.Color}, quiet: opts.Quiet, verbose: opts.Verbose}
}

func (g *groupedRenderer) start(int, *HostRecord) error { return nil }

func (g *groupedRenderer) output(int, *HostRecord, remote.Stream, []byte) error { return nil }

// done writes the host's block, unless it never started or, when quiet, it
// succeeded; then its output is let go.
func (g *groupedRenderer) done(_ int, h *HostRecord) error {
	var err error
	if !h.NotStarted && !(g.quiet && h.Status() == StatusOK) {
		header := g.style.host(Printable(h.Name)) + " (" + g.style.status(h.Status(), h.label()) + ", " + seconds(h.Duration()) + ")"
		err = writeBlock(g.out, header, h, true)
	}
	h.out[0].release()
	h.out[1].release()
	return err
}

func (g *groupedRenderer) finish(sum *Summary) error {
	return writeRecap(g.errOut, sum, g.style, g.verbose, g.quiet)
}

// writeBlock writes a block for the host's results: "== header ==", its
// standard output, its standard error under "-- stderr --", and, when
// withError, the first line of its error under "-- error --". Output is
// read from the host's spools, a piece at a time, and shown terminal-safe.
func writeBlock(w io.Writer, header string, h *HostRecord, withError bool) error {
	if _, err := io.WriteString(w, "== "+header+" ==\n"); err != nil {
		return err
	}
	for k, sp := range h.out {
		if sp.len() == 0 {
			continue
		}
		if k == 1 {
			if _, err := io.WriteString(w, "-- stderr --\n"); err != nil {
				return err
			}
		}
		if err := copyText(w, sp.reader()); err != nil {
			return err
		}
	}
	if withError && h.Err != nil {
		_, err := io.WriteString(w, "-- error --\n"+firstLine(h.Err)+"\n")
		return err
	}
	return nil
}

// copyText writes what r reads as lines of text, terminal-safe (see
// appendLine), a piece at a time; the last line gets a newline if it lacks
// one.
func copyText(w io.Writer, r io.Reader) error {
	var out []byte
	open := false // the last piece ended inside a line
	cr := false   // ... with a carriage return, not shown until we know a newline does not follow
	err := readPieces(r, func(p []byte) error {
		out = out[:0]
		if cr && p[0] != '\n' {
			out = append(out, `\r`...)
		}
		cr = false
		for len(p) > 0 {
			line := nextLine(p)
			p = p[len(line):]
			if line[len(line)-1] == '\n' {
				out, open = appendLine(out, line), false
				continue
			}
			if line[len(line)-1] == '\r' {
				cr, line = true, line[:len(line)-1]
			}
			out, open = appendEscaped(out, line), true
		}
		_, err := w.Write(out)
		return err
	})
	if err != nil || !open {
		return err
	}
	out = out[:0]
	if cr {
		out = append(out, `\r`...)
	}
	_, err = w.Write(append(out, '\n'))
	return err
}
