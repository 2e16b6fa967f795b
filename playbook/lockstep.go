package playbook

import (
	"context"
	"sync"
)

// lockstep keeps the hosts of a batch on the same task (linear strategy):
// a host arriving at a step waits until every host still in the batch has
// arrived there too. A host that leaves the batch (it failed, its
// connection broke, or it never connected) no longer holds the others.
type lockstep struct {
	mu      sync.Mutex
	hosts   int           // hosts of the batch
	active  int           // hosts still taking part
	arrived int           // hosts waiting at the current step
	release chan struct{} // closed when the current step is released
	left    map[int]bool
}

func newLockstep(hosts int) *lockstep {
	return &lockstep{hosts: hosts, active: hosts, release: make(chan struct{}), left: make(map[int]bool)}
}

// arrive waits until every active host has arrived at this step. It
// returns false when ctx ended first; the host has then left.
func (l *lockstep) arrive(ctx context.Context, host int) bool {
	l.mu.Lock()
	l.arrived++
	ch := l.release
	l.releaseIfComplete()
	l.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-ch: // released meanwhile: it no longer counts this host
	default:
		l.arrived--
	}
	l.leaveLocked(host)
	return false
}

// leave takes host out of the batch. Leaving twice is harmless.
func (l *lockstep) leave(host int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.leaveLocked(host)
}

func (l *lockstep) leaveLocked(host int) {
	if l.left[host] {
		return
	}
	l.left[host] = true
	l.active--
	l.releaseIfComplete()
}

// releaseIfComplete opens the step once every active host is waiting.
func (l *lockstep) releaseIfComplete() {
	if l.arrived > 0 && l.arrived >= l.active {
		close(l.release)
		l.release = make(chan struct{})
		l.arrived = 0
	}
}

// firstActive returns the first host (in batch order) still taking part,
// -1 when none is.
func (l *lockstep) firstActive() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 0; i < l.hosts; i++ {
		if !l.left[i] {
			return i
		}
	}
	return -1
}
