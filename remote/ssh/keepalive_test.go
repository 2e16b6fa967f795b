package ssh

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSender answers keepalive requests as told: when answer is set, at
// once; otherwise never (a frozen peer) until closed.
type fakeSender struct {
	mu     sync.Mutex
	answer bool
	sent   int
	closed chan struct{}
	once   sync.Once
}

func newFakeSender(answer bool) *fakeSender {
	return &fakeSender{answer: answer, closed: make(chan struct{})}
}

func (f *fakeSender) SendRequest(string, bool, []byte) (bool, []byte, error) {
	f.mu.Lock()
	f.sent++
	answer := f.answer
	f.mu.Unlock()
	if answer {
		return false, nil, nil
	}
	<-f.closed
	return false, nil, errors.New("connection closed")
}

func (f *fakeSender) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

func (f *fakeSender) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent
}

func TestKeepaliveDeclaresAFrozenPeerDead(t *testing.T) {
	f := newFakeSender(false)
	k := startKeepalive(f, time.Millisecond, 3)
	defer k.stop()
	select {
	case <-f.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the connection to a peer that never answers was not closed")
	}
	err := k.lost()
	if err == nil || !strings.Contains(err.Error(), "no answer to 3 keepalives") {
		t.Fatalf("lost() = %v", err)
	}
	if n := f.count(); n != 1 {
		t.Errorf("%d requests were sent while the first was unanswered, want 1", n)
	}
}

func TestKeepaliveKeepsAnAnsweringPeer(t *testing.T) {
	f := newFakeSender(true)
	k := startKeepalive(f, time.Millisecond, 1)
	deadline := time.Now().Add(10 * time.Second)
	for f.count() < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	k.stop()
	if f.count() < 5 {
		t.Fatalf("only %d keepalives sent", f.count())
	}
	if err := k.lost(); err != nil {
		t.Errorf("a peer that answers was declared lost: %v", err)
	}
	select {
	case <-f.closed:
		t.Error("the connection of an answering peer was closed")
	default:
	}
	// Stopped: no more requests.
	n := f.count()
	time.Sleep(20 * time.Millisecond)
	if f.count() > n+1 { // one may have been in flight when stop ran
		t.Errorf("requests went on after stop: %d then %d", n, f.count())
	}
}

func TestKeepaliveDisabled(t *testing.T) {
	f := newFakeSender(true)
	k := startKeepalive(f, 0, 3)
	k.stop()
	if k.lost() != nil || f.count() != 0 {
		t.Errorf("a disabled keepalive sent %d requests", f.count())
	}
}
