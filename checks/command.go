package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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
	// A stream no property tests is not kept at all.
	stdout := newOutputBuffer(s.Stdout != nil)
	stderr := newOutputBuffer(s.Stderr != nil)
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
		if !b.keep {
			continue
		}
		o.set(name, textValue(b.String()))
		if b.overflow {
			o.note(name, fmt.Sprintf("only the first %d MiB were kept", maxCommandOutput>>20))
		}
	}
	return o, d
}

// outputBuffer keeps up to maxCommandOutput bytes of a command's stream,
// or nothing when keep is false. It holds the output in chunks, so that
// growing never copies it, and assembles the one string the matchers read
// at the end: a large output costs twice its size at most, once.
type outputBuffer struct {
	keep     bool
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

func newOutputBuffer(keep bool) *outputBuffer { return &outputBuffer{keep: keep} }

func (b *outputBuffer) Write(p []byte) (int, error) {
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
