package remotetest

import (
	"bytes"
	"strings"
	"sync"
)

// SyncBuffer is a bytes.Buffer safe for concurrent use: transports and
// programs write a command's output from goroutines of their own while a
// test (or its failure message) reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// NotifyWriter is a SyncBuffer whose Seen channel is closed once its output
// contains Want, so a test can act when a command reached a point without
// sleeping.
type NotifyWriter struct {
	SyncBuffer
	want string
	once sync.Once
	seen chan struct{}
}

// NewNotifyWriter returns a writer that signals when want has been written.
func NewNotifyWriter(want string) *NotifyWriter {
	return &NotifyWriter{want: want, seen: make(chan struct{})}
}

func (w *NotifyWriter) Write(p []byte) (int, error) {
	n, err := w.SyncBuffer.Write(p)
	if strings.Contains(w.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

// Seen is closed once the output contains the wanted text.
func (w *NotifyWriter) Seen() <-chan struct{} { return w.seen }
