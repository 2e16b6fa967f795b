package remotetest

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"time"
)

const (
	// wsmanOutputBuffer is how much output a command may have waiting for
	// Receive before its process blocks on the pipe, as on Windows.
	wsmanOutputBuffer = 1 << 20
	// wsmanTerminateGrace is how long a command may handle SIGTERM after
	// the terminate signal before it is killed (Windows terminates at once).
	wsmanTerminateGrace = 2 * time.Second
)

// wsmanSignal is a signal the server delivers to a command's process group.
type wsmanSignal int

const (
	wsmanSigTerminate wsmanSignal = iota // SIGTERM
	wsmanSigInterrupt                    // SIGINT
	wsmanSigQuit                         // SIGQUIT
	wsmanSigKill                         // SIGKILL
)

// wsmanSignals maps the Signal codes (the last element of the code URI) to
// the signals that carry them out.
var wsmanSignals = map[string]wsmanSignal{
	"terminate":  wsmanSigTerminate,
	"ctrl_c":     wsmanSigInterrupt,
	"ctrl_break": wsmanSigQuit,
}

// wsmanCommand is a command started in a shell: its process and the output
// waiting to be received.
type wsmanCommand struct {
	id    string
	proc  wsmanProc
	stdin *stdinFeeder

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every change
	streams   map[string]*wsmanOutputStream
	exited    bool
	exitCode  int
	gone      bool // its shell was deleted or the server closed
	killTimer *time.Timer
}

// wsmanProc runs a command: a /bin/sh process (wsmanProcess) or, for a
// PowerShell command line on a server with a PowerShell simulator, a run
// of the simulator (pwshProcess).
type wsmanProc interface {
	files() (stdin, stdout, stderr *os.File) // the server's ends of its pipes
	pid() int
	signal(sig wsmanSignal)
	wait() int
	closeOutput()
}

func (p *wsmanProcess) files() (stdin, stdout, stderr *os.File) { return p.stdin, p.stdout, p.stderr }

// commandStarter returns what starts a command line in a shell: the
// PowerShell simulator for "powershell -EncodedCommand ..." lines when the
// server has one (WSManOptions.PowerShell), /bin/sh otherwise.
func (s *WSManServer) commandStarter(sh *wsmanShell, command string, args []string) (func(dir string, env []string) (wsmanProc, error), error) {
	if sim := s.opts.PowerShell; sim != nil {
		script, isPowerShell, err := decodePowerShellCommand(strings.Join(append([]string{command}, args...), " "))
		if err != nil {
			return nil, err
		}
		if isPowerShell {
			return func(dir string, env []string) (wsmanProc, error) {
				return startPwshProcess(sim, script, sim.windowsPath(dir), env)
			}, nil
		}
	}
	script, err := translateCommandLine(command, args)
	if err != nil {
		return nil, err
	}
	return func(dir string, env []string) (wsmanProc, error) {
		p, err := startWSManProcess(script, dir, env)
		if err != nil {
			return nil, err
		}
		return p, nil
	}, nil
}

// hostWorkingDirectory maps a shell's Windows working directory (C:\...)
// into the simulator's tree, when the server has a simulator.
func (s *WSManServer) hostWorkingDirectory(wd string) string {
	if sim := s.opts.PowerShell; sim != nil && len(wd) >= 2 && wd[1] == ':' {
		return sim.HostPath(wd)
	}
	return wd
}

// wsmanOutputStream is the state of stdout or stderr.
type wsmanOutputStream struct {
	pending []byte // read, not yet received
	eof     bool   // the pipe is drained
	endSent bool   // a chunk with End="true" went out
}

// wsmanOutput is what one Receive returns.
type wsmanOutput struct {
	chunks   []wsmanChunk
	done     bool // CommandState Done (else Running)
	exitCode int
}

type wsmanChunk struct {
	stream string
	data   []byte
	end    bool
}

// notify wakes everyone waiting for a change; c.mu must be held.
func (c *wsmanCommand) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// pump moves a pipe's output into the stream's buffer until EOF, blocking
// (and so blocking the process) while the buffer is full.
func (c *wsmanCommand) pump(name string, r *os.File) {
	defer r.Close()
	buf := make([]byte, 32<<10)
	for c.waitRoom(name) {
		n, err := r.Read(buf)
		c.mu.Lock()
		st := c.streams[name]
		st.pending = append(st.pending, buf[:n]...)
		if err != nil {
			st.eof = true
		}
		c.notify()
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// waitRoom waits until the stream's buffer has room; false when the command
// is gone.
func (c *wsmanCommand) waitRoom(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.streams[name].pending) >= wsmanOutputBuffer && !c.gone {
		changed := c.changed
		c.mu.Unlock()
		<-changed
		c.mu.Lock()
	}
	return !c.gone
}

// wait reaps the process and records its exit code.
func (c *wsmanCommand) wait() {
	code := c.proc.wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exited, c.exitCode = true, code
	if c.killTimer != nil {
		c.killTimer.Stop()
	}
	c.notify()
}

// running returns the command's process ID and whether it still runs.
func (c *wsmanCommand) running() (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proc.pid(), !c.exited
}

// receive waits up to timeout for something to report on the streams, then
// takes up to budget bytes of output.
func (c *wsmanCommand) receive(ctx context.Context, streams []string, budget int, timeout time.Duration, closing <-chan struct{}) (wsmanOutput, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for !c.gone && !c.ready(streams) {
		changed := c.changed
		c.mu.Unlock()
		var err error
		select {
		case <-changed:
		case <-timer.C:
			err = errReceiveTimedOut
		case <-ctx.Done():
			err = ctx.Err()
		case <-closing:
			err = errServerClosing
		}
		c.mu.Lock()
		if err != nil {
			return wsmanOutput{}, err
		}
	}
	if c.gone {
		return wsmanOutput{}, errShellGone
	}
	return c.take(streams, budget), nil
}

// ready reports whether a Receive has something to say; c.mu must be held.
func (c *wsmanCommand) ready(streams []string) bool {
	for _, name := range streams {
		st := c.streams[name]
		if len(st.pending) > 0 || (st.eof && !st.endSent) {
			return true
		}
	}
	return c.finished(streams)
}

// finished reports whether the process exited and every requested stream
// was delivered to its end; c.mu must be held.
func (c *wsmanCommand) finished(streams []string) bool {
	if !c.exited {
		return false
	}
	for _, name := range streams {
		if !c.streams[name].endSent {
			return false
		}
	}
	return true
}

// take removes up to budget bytes of output for a reply: a chunk per stream
// with data, End="true" on a stream's last chunk, and Done with the exit
// code once the process exited and every stream ended. c.mu must be held.
func (c *wsmanCommand) take(streams []string, budget int) wsmanOutput {
	var out wsmanOutput
	for _, name := range streams {
		st := c.streams[name]
		n := min(len(st.pending), budget)
		budget -= n
		data := bytes.Clone(st.pending[:n])
		st.pending = st.pending[n:]
		if len(st.pending) == 0 {
			st.pending = nil
		}
		end := st.eof && st.pending == nil && !st.endSent
		if n > 0 || end {
			out.chunks = append(out.chunks, wsmanChunk{stream: name, data: data, end: end})
			st.endSent = st.endSent || end
		}
	}
	if c.finished(streams) {
		out.done, out.exitCode = true, c.exitCode
	}
	c.notify() // the pumps may have room again
	return out
}

// signal delivers a signal to the command's process group. terminate
// escalates to SIGKILL after a grace period.
func (c *wsmanCommand) signal(sig wsmanSignal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exited || c.gone {
		return
	}
	c.proc.signal(sig)
	if sig == wsmanSigTerminate && c.killTimer == nil {
		c.killTimer = time.AfterFunc(wsmanTerminateGrace, c.forceKill)
	}
}

// forceKill kills the process group unless the command already exited.
func (c *wsmanCommand) forceKill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.exited {
		c.proc.signal(wsmanSigKill)
	}
}

// kill ends the command for good: its process group is killed, its pipes
// closed and any Receive waiting on it answered "shell not found".
func (c *wsmanCommand) kill() {
	c.mu.Lock()
	c.gone = true
	if c.killTimer != nil {
		c.killTimer.Stop()
	}
	c.notify()
	c.mu.Unlock()
	// Kill the group even when its leader exited: background jobs die with
	// the shell, as in a Windows job object.
	c.proc.signal(wsmanSigKill)
	c.stdin.abort()
	c.proc.closeOutput()
}

// stdinFeeder writes Send data to a command's stdin in the background, so
// that a Send never blocks on a process that does not read.
type stdinFeeder struct {
	w *os.File

	mu      sync.Mutex
	cond    *sync.Cond
	queue   [][]byte
	eof     bool // End="true" received
	aborted bool
}

func newStdinFeeder(w *os.File) *stdinFeeder {
	f := &stdinFeeder{w: w}
	f.cond = sync.NewCond(&f.mu)
	return f
}

// push queues data; end closes stdin once the queue is written.
func (f *stdinFeeder) push(data []byte, end bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.eof {
		return errStdinClosed
	}
	if len(data) > 0 {
		f.queue = append(f.queue, data)
	}
	f.eof = end
	f.cond.Broadcast()
	return nil
}

// run writes the queue until stdin ends, the process stops reading or the
// command is killed.
func (f *stdinFeeder) run() {
	defer f.w.Close()
	for {
		f.mu.Lock()
		for len(f.queue) == 0 && !f.eof && !f.aborted {
			f.cond.Wait()
		}
		if f.aborted || len(f.queue) == 0 {
			f.mu.Unlock()
			return
		}
		data := f.queue[0]
		f.queue = f.queue[1:]
		f.mu.Unlock()
		if _, err := f.w.Write(data); err != nil {
			return // the process closed its stdin or died: the rest is moot
		}
	}
}

// abort stops the feeder, unblocking a write in progress.
func (f *stdinFeeder) abort() {
	f.mu.Lock()
	f.aborted = true
	f.cond.Broadcast()
	f.mu.Unlock()
	_ = f.w.Close()
}
