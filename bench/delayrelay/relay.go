package main

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

const (
	// chunkSize is the largest read forwarded as one chunk.
	chunkSize = 32 << 10
	// queueChunks bounds the chunks in flight per direction (at most
	// queueChunks*chunkSize bytes buffered). When the queue is full the reader
	// stops reading, so TCP flow control pushes back on the sender.
	queueChunks = 256
	// dialTimeout bounds the connection to the upstream server.
	dialTimeout = 5 * time.Second
)

// chunkPool recycles read buffers between the reader and writer of a pipe.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// Forward is one relayed address pair: connections accepted on Listen are
// forwarded to Target.
type Forward struct {
	Listen string
	Target string
}

// Relay forwards connections to their target, delaying every chunk of data
// in each direction by Delay while keeping order and throughput.
type Relay struct {
	Delay time.Duration
	// Logf reports connection errors; nil discards them.
	Logf func(format string, args ...any)
}

func (r *Relay) logf(format string, args ...any) {
	if r.Logf != nil {
		r.Logf(format, args...)
	}
}

// Serve accepts connections on ln and relays each to target until ctx is done
// or ln fails. It closes ln and waits for the connections it started.
func (r *Relay) Serve(ctx context.Context, ln net.Listener, target string) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer ln.Close()
	for {
		client, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.handle(ctx, client, target)
		}()
	}
}

// handle dials target for one accepted client and relays both directions.
func (r *Relay) handle(ctx context.Context, client net.Conn, target string) {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var d net.Dialer
	server, err := d.DialContext(dctx, "tcp", target)
	if err != nil {
		r.logf("relay %s -> %s: %v", client.LocalAddr(), target, err)
		client.Close()
		return
	}
	// Connections die with the relay: closing both ends unblocks the pipes.
	stop := context.AfterFunc(ctx, func() { client.Close(); server.Close() })
	defer stop()
	r.Conns(client, server)
}

// Conns relays data between a and b in both directions until both sides have
// finished sending, then closes them. A clean end of one direction is passed
// on as a half-close, so protocols that shut down one side still work; an
// error in either direction closes both connections.
func (r *Relay) Conns(a, b net.Conn) {
	defer a.Close()
	defer b.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		if err := r.pipe(dst, src); err != nil {
			a.Close()
			b.Close()
		}
	}
	go pipe(b, a)
	go pipe(a, b)
	wg.Wait()
}

// chunk is data read at one time and due to be written Delay later.
type chunk struct {
	buf *[]byte
	n   int
	due time.Time
}

// pipe copies src to dst, each chunk written Delay after it was read. A
// reader goroutine stamps and queues chunks while this goroutine writes them
// when due, so a slow link never slows the reading side below the sender's
// rate: delay adds latency, not a throughput cap. It returns nil when src
// ended cleanly and dst was half-closed.
func (r *Relay) pipe(dst, src net.Conn) error {
	queue := make(chan chunk, queueChunks)
	readErr := make(chan error, 1)
	go func() {
		defer close(queue)
		for {
			buf := chunkPool.Get().(*[]byte)
			n, err := src.Read(*buf)
			if n > 0 {
				queue <- chunk{buf: buf, n: n, due: time.Now().Add(r.Delay)}
			} else {
				chunkPool.Put(buf)
			}
			if err != nil {
				readErr <- err
				return
			}
		}
	}()

	var writeErr error
	for c := range queue {
		if writeErr == nil {
			if wait := time.Until(c.due); wait > 0 {
				time.Sleep(wait)
			}
			if _, err := dst.Write((*c.buf)[:c.n]); err != nil {
				writeErr = err
				// Unblock the reader; the remaining chunks are drained below.
				src.Close()
			}
		}
		chunkPool.Put(c.buf)
	}
	if writeErr != nil {
		return writeErr
	}
	if err := <-readErr; !errors.Is(err, io.EOF) {
		return err
	}
	return closeWrite(dst)
}

// closeWrite half-closes conn when it supports it, else closes it.
func closeWrite(conn net.Conn) error {
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return conn.Close()
}
