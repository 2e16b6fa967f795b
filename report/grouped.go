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
	buf         []byte
}

func newGrouped(opts Options) *groupedRenderer {
	return &groupedRenderer{out: opts.Out, errOut: opts.Err, style: style{opts.Color}, quiet: opts.Quiet, verbose: opts.Verbose}
}

func (g *groupedRenderer) start(int, *HostRecord) error { return nil }

func (g *groupedRenderer) output(int, *HostRecord, remote.Stream, []byte) error { return nil }

// done writes the host's block, unless it never started or, when quiet, it
// succeeded.
func (g *groupedRenderer) done(_ int, h *HostRecord) error {
	if h.NotStarted || (g.quiet && h.Status() == StatusOK) {
		return nil
	}
	header := g.style.host(Printable(h.Name)) + " (" + g.style.status(h.Status(), h.label()) + ", " + seconds(h.Duration()) + ")"
	g.buf = appendBlock(g.buf[:0], header, h, true)
	_, err := g.out.Write(g.buf)
	return err
}

func (g *groupedRenderer) finish(sum *Summary) error {
	return writeRecap(g.errOut, sum, g.style, g.verbose, g.quiet)
}

// appendBlock appends a block for the host's results: "== header ==", its
// standard output, its standard error under "-- stderr --", and, when
// withError, the first line of its error under "-- error --".
func appendBlock(buf []byte, header string, h *HostRecord, withError bool) []byte {
	buf = append(buf, "== "+header+" ==\n"...)
	buf = appendText(buf, h.Stdout)
	if len(h.Stderr) > 0 {
		buf = append(buf, "-- stderr --\n"...)
		buf = appendText(buf, h.Stderr)
	}
	if withError && h.Err != nil {
		buf = append(buf, "-- error --\n"...)
		buf = append(buf, firstLine(h.Err)+"\n"...)
	}
	return buf
}
