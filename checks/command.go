package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/remotectl/remotectl/remote"
)

// maxCommandOutput bounds what a command check keeps of each stream.
const maxCommandOutput = 16 << 20

// runCommand runs a command check's command through the host's shell and
// observes its exit status and output. A command still running at the
// timeout is stopped, and its properties are errors ("did not finish").
func runCommand(ctx context.Context, exec Executor, s *CommandSpec, timeout time.Duration, prepare func(*remote.Cmd)) (*observed, time.Duration) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stdout, stderr := newOutputBuffer(s.Stdout), newOutputBuffer(s.Stderr)
	start := time.Now()
	cmd := &remote.Cmd{Shell: s.Exec, Stdout: stdout, Stderr: stderr}
	prepare(cmd)
	res, err := exec.Run(cctx, cmd)
	d := time.Since(start)
	if err != nil {
		if ctx.Err() == nil && (errors.Is(cctx.Err(), context.DeadlineExceeded) || remote.ClassOf(err) == remote.ClassTimeout) {
			// goss: a command that times out is an error, not a failure.
			return failure(fmt.Sprintf("the command did not finish within %s", timeout)), d
		}
		return failure("the command could not run: " + err.Error()), d
	}
	o := newObserved().set("exit-status", intValue(int64(res.ExitCode)))
	if res.Signal != "" {
		o.note("exit-status", "killed by signal "+res.Signal)
	}
	for name, b := range map[string]*outputBuffer{"stdout": stdout, "stderr": stderr} {
		switch {
		case b.scan != nil:
			o.set(name, b.scan.value())
		case b.keep:
			o.set(name, textValue(b.String()))
		default:
			continue
		}
		if b.overflow || (b.scan != nil && b.scan.overflow) {
			o.note(name, fmt.Sprintf("only the first %d MiB were kept", maxCommandOutput>>20))
		}
	}
	return o, d
}

// outputBuffer takes a command's stream as its property's matcher needs
// it: not at all when no property tests it, line by line as it comes
// when the matcher only asks about lines (goss's line patterns), else
// whole, up to maxCommandOutput bytes, in chunks, so that growing never
// copies it, assembled at the end into the one string the matchers read.
type outputBuffer struct {
	keep     bool
	scan     *lineScan
	chunks   [][]byte
	n        int
	overflow bool
}

// Chunk sizes: the first fits small outputs, each next doubles up to the
// largest.
const (
	minOutputChunk = 512
	maxOutputChunk = 1 << 20
)

func newOutputBuffer(m *Matcher) *outputBuffer {
	if m == nil {
		return &outputBuffer{}
	}
	if elems, ok := lineElements(m); ok {
		return &outputBuffer{scan: &lineScan{elems: elems, seen: make(map[*Matcher]bool)}}
	}
	return &outputBuffer{keep: true}
}

func (b *outputBuffer) Write(p []byte) (int, error) {
	if b.scan != nil {
		b.scan.write(p)
		return len(p), nil
	}
	if !b.keep {
		return len(p), nil
	}
	written := len(p)
	if room := maxCommandOutput - b.n; len(p) > room {
		b.overflow = true
		p = p[:room]
	}
	for len(p) > 0 {
		last := len(b.chunks) - 1
		if last < 0 || len(b.chunks[last]) == cap(b.chunks[last]) {
			size := minOutputChunk
			if last >= 0 {
				size = min(2*cap(b.chunks[last]), maxOutputChunk)
			}
			b.chunks = append(b.chunks, make([]byte, 0, size))
			last++
		}
		c := b.chunks[last]
		k := min(len(p), cap(c)-len(c))
		b.chunks[last] = append(c, p[:k]...)
		b.n += k
		p = p[k:]
	}
	return written, nil
}

// String returns what was kept and releases the chunks.
func (b *outputBuffer) String() string {
	var s strings.Builder
	s.Grow(b.n)
	for _, c := range b.chunks {
		s.Write(c)
	}
	b.chunks = nil
	return s.String()
}

// lineElements returns the element matchers of a matcher that asks only
// whether some line matches them (contain-element, contain-elements, and
// their not, and, or: what goss's line patterns expand to), or false.
func lineElements(m *Matcher) ([]*Matcher, bool) {
	switch m.Op {
	case OpContainElement, OpContainElements:
		return m.Args, true
	case OpNot, OpAnd, OpOr:
		var elems []*Matcher
		for _, a := range m.Args {
			e, ok := lineElements(a)
			if !ok {
				return nil, false
			}
			elems = append(elems, e...)
		}
		return elems, true
	}
	return nil, false
}

// lineScan matches a stream's lines against element matchers as the
// stream comes, keeping only its head (for the report) and a line not
// ended yet: its memory does not grow with the output.
type lineScan struct {
	elems    []*Matcher
	seen     map[*Matcher]bool // the elements some line matched
	head     []byte
	size     int
	partial  []byte // the last line, until its line end comes
	overflow bool   // a line longer than maxCommandOutput was cut
}

// headSize is how much of a scanned stream a result can show.
const headSize = maxActual + utf8.UTFMax

func (s *lineScan) write(p []byte) {
	s.size += len(p)
	if room := headSize - len(s.head); room > 0 {
		s.head = append(s.head, p[:min(room, len(p))]...)
	}
	if len(s.seen) == len(s.elems) {
		return // every element matched some line: nothing left to learn
	}
	text := string(p) // one conversion per write; the lines are slices of it
	for {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			break
		}
		line := text[:i]
		if len(s.partial) > 0 {
			line = string(append(s.partial, line...))
			s.partial = s.partial[:0]
		}
		s.match(line)
		text = text[i+1:]
	}
	if room := maxCommandOutput - len(s.partial); len(text) > room {
		text, s.overflow = text[:room], true
	}
	s.partial = append(s.partial, text...)
}

// match records the elements line matches, as lines splits it.
func (s *lineScan) match(line string) {
	line = strings.TrimSuffix(line, "\r")
	for _, e := range s.elems {
		if !s.seen[e] && e.matches(elementValue(line)) {
			s.seen[e] = true
		}
	}
}

// value ends the scan (a last line without a line end is a line) and
// returns what the matchers read.
func (s *lineScan) value() value {
	if len(s.partial) > 0 && len(s.seen) < len(s.elems) {
		s.match(string(s.partial))
	}
	s.partial = nil
	return value{kind: kindText, s: string(s.head), more: s.size - len(s.head), seen: s.seen}
}
