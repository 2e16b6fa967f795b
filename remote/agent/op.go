package agent

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/remotectl/remotectl/remote"
)

// serveOp runs one operation on a leased connection. A reader goroutine
// takes every frame the client sends as it arrives: input (bounded by the
// credit window), its end, a cancel, or the end of the connection (the
// client is gone: the operation is cancelled, the remote command killed).
func (s *server) serveOp(c *net.UnixConn, req request) {
	w := &lockedWriter{w: c}
	h := s.use(req.Lease)
	if h == nil {
		_ = w.json(frameReply, reply{Result: remote.Result{ExitCode: -1}, Err: encodeError(&remote.Error{Class: remote.ClassOther,
			Op: req.Op, Err: fmt.Errorf("the transport is closed")})})
		return
	}
	ctx, cancel := withDeadline(context.Background(), req.Deadline)
	defer cancel()
	if req.Op == "dialnet" {
		s.serveNet(ctx, c, w, h, req)
		return
	}
	in := newInput(w)
	go readClient(c, in, cancel)
	var rep reply
	switch req.Op {
	case "run":
		rep = runOp(ctx, h, req.Run, in, w)
	case "upload":
		rep.Err = encodeError(h.tr.Upload(ctx, req.Path, in, req.Mode))
	case "download":
		rep.Err = encodeError(h.tr.Download(ctx, req.Path, streamWriter{w: w, typ: frameData}))
	case "os":
		rep.OS = h.tr.OS()
	case "puttree", "gettree":
		rep.Err = encodeError(treeOp(ctx, h, req, progressTo(w)))
	}
	// Given back before the reply: once the client has it, the connection
	// is idle for its next dial.
	s.release(h)
	_ = w.json(frameReply, rep)
}

// treeOp copies a tree (remote.TreeCopier), which only SSH connections
// do: a WinRM lease never asks (its client transport is no TreeCopier).
func treeOp(ctx context.Context, h *held, req request, progress remote.ProgressFunc) error {
	tc, ok := h.tr.(remote.TreeCopier)
	if !ok {
		return &remote.Error{Class: remote.ClassOther, Op: req.Op, Err: fmt.Errorf("%s: the connection copies no trees", h.host)}
	}
	if req.Op == "puttree" {
		return tc.PutTree(ctx, req.Local, req.Path, progress)
	}
	return tc.GetTree(ctx, req.Path, req.Local, progress)
}

// runOp runs a command, its output sent as frames.
func runOp(ctx context.Context, h *held, r *runRequest, in *input, w *lockedWriter) reply {
	if r == nil {
		return reply{Err: encodeError(fmt.Errorf("agent: run without a command"))}
	}
	cmd := &remote.Cmd{Args: r.Args, Shell: r.Shell, Env: r.Env, Dir: r.Dir, PTY: r.PTY, Become: r.Become,
		BecomeUser: r.BecomeUser, BecomeMethod: r.BecomeMethod, BecomeFlags: r.BecomeFlags, BecomePassword: r.BecomePassword, Pooled: r.Pooled,
		Stdout: streamWriter{w: w, typ: frameStdout}, Stderr: streamWriter{w: w, typ: frameStderr}}
	if r.Stdin {
		cmd.Stdin = in
	}
	res, err := h.tr.Run(ctx, cmd)
	return reply{Result: res, Err: encodeError(err)}
}

// readClient reads the client's frames until its connection ends.
func readClient(c net.Conn, in *input, cancel context.CancelFunc) {
	var buf []byte
	for {
		typ, payload, err := readFrame(c, buf)
		if err != nil {
			in.fail(io.ErrUnexpectedEOF)
			cancel()
			return
		}
		buf = payload
		switch typ {
		case frameInput:
			in.add(payload)
		case frameInputEnd:
			in.fail(io.EOF)
		case frameCancel:
			// A deadline passes in the agent too (same deadline, same
			// clock): only a cancel is passed on, so that the operation
			// ends with the class it would have in the client.
			if string(payload) != "deadline" {
				cancel()
			}
		}
	}
}

// input is the operation's input as the agent received it: an io.Reader
// that grants the client credit for what it consumed.
type input struct {
	w *lockedWriter

	mu   sync.Mutex
	cond *sync.Cond
	buf  []byte
	err  error // io.EOF at the end; set once
}

func newInput(w *lockedWriter) *input {
	in := &input{w: w}
	in.cond = sync.NewCond(&in.mu)
	return in
}

func (in *input) add(p []byte) {
	in.mu.Lock()
	in.buf = append(in.buf, p...)
	in.mu.Unlock()
	in.cond.Broadcast()
}

func (in *input) fail(err error) {
	in.mu.Lock()
	if in.err == nil {
		in.err = err
	}
	in.mu.Unlock()
	in.cond.Broadcast()
}

// Read returns buffered input, waiting for some; then grants credit.
func (in *input) Read(p []byte) (int, error) {
	in.mu.Lock()
	for len(in.buf) == 0 && in.err == nil {
		in.cond.Wait()
	}
	if len(in.buf) == 0 {
		err := in.err
		in.mu.Unlock()
		return 0, err
	}
	n := copy(p, in.buf)
	in.buf = in.buf[n:]
	if len(in.buf) == 0 {
		in.buf = nil // let the consumed array go
	}
	in.mu.Unlock()
	var credit [4]byte
	binary.BigEndian.PutUint32(credit[:], uint32(n))
	_ = in.w.frame(frameCredit, credit[:])
	return n, nil
}

// progressTo sends a transfer's progress as frames.
func progressTo(w *lockedWriter) remote.ProgressFunc {
	return func(done, total int64) {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], uint64(done))
		binary.BigEndian.PutUint64(b[8:], uint64(total))
		_ = w.frame(frameProgress, b[:])
	}
}

// serveNet opens a connection from the host (remote.NetDialer) and, once
// the reply said so, relays bytes between it and the client's connection,
// which carries no more frames.
func (s *server) serveNet(ctx context.Context, c *net.UnixConn, w *lockedWriter, h *held, req request) {
	var (
		nc  net.Conn
		err error
	)
	if nd, ok := h.tr.(remote.NetDialer); ok {
		nc, err = nd.DialContext(ctx, req.Network, req.Path)
	} else {
		err = &remote.Error{Class: remote.ClassOther, Op: "dial", Err: fmt.Errorf("%s: the connection opens no tunnels", h.host)}
	}
	if err != nil {
		s.release(h)
		_ = w.json(frameReply, reply{Err: encodeError(err)})
		return
	}
	defer s.release(h)
	defer nc.Close()
	if w.json(frameReply, reply{}) != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(nc, c)
		if cw, ok := nc.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			nc.Close()
		}
		close(done)
	}()
	_, _ = io.Copy(c, nc)
	_ = c.CloseWrite()
	<-done
}
