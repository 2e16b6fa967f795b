package remote

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Defaults of RetryPolicy. They ride out OpenSSH's MaxStartups, which drops
// surplus unauthenticated connections when many hosts are dialled at once
// through one bastion, or many connections reach one host. With the default
// 10:30:100 and 64 handshakes in flight at one sshd, a third or more of the
// attempts are dropped: 4 attempts left about 1 host in 1000 reported
// unreachable in the benchmark (docs/BENCHMARKS.md); 8 attempts make that
// about 0.3^8, with at most ~10 s of waiting for a host that stays down.
const (
	DefaultRetryAttempts = 8
	DefaultRetryBase     = 100 * time.Millisecond
	DefaultRetryMax      = 3 * time.Second
	// RefusedAttempts caps the attempts after a refused connection: an sshd
	// being restarted is back within a moment, and a host that is down
	// should be reported promptly.
	RefusedAttempts = 3
)

// RetryPolicy says how often and how patiently a connection is retried. Only
// dialling is retried, and only after a transient failure (see
// Class.Transient): a command is never run twice. Zero fields take the
// defaults, so the zero RetryPolicy is the default policy; Attempts: 1 turns
// retries off.
type RetryPolicy struct {
	Attempts int           // attempts in all, the first one included
	Base     time.Duration // upper bound of the wait before the second attempt
	Max      time.Duration // cap on the upper bound of any wait
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultRetryAttempts
	}
	if p.Base <= 0 {
		p.Base = DefaultRetryBase
	}
	if p.Max <= 0 {
		p.Max = DefaultRetryMax
	}
	return p
}

// Backoff returns how long to wait after the given number of failed attempts
// (1 for the first failure): exponential backoff with full jitter, a random
// duration between 0 and min(Max, Base·2^(failures-1)), so that many hosts
// refused at once do not come back at once.
func (p RetryPolicy) Backoff(failures int) time.Duration {
	p = p.withDefaults()
	ceiling := p.Base
	for i := 1; i < failures && ceiling < p.Max; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.Max)
	return rand.N(ceiling + 1)
}

// Dial opens a transport to t with d, retrying transient failures with
// backoff while attempts remain and ctx is not done. The error of the last
// attempt is returned, with its class and hint, noting how many attempts were
// made.
func (p RetryPolicy) Dial(ctx context.Context, d Dialer, t Target) (Transport, error) {
	p = p.withDefaults()
	for attempt := 1; ; attempt++ {
		tr, err := d.Dial(ctx, t)
		if err == nil && tr == nil {
			err = Errorf(ClassOther, "dial", "the %q dialer returned neither a connection nor an error", t.Transport)
		}
		if err == nil {
			return tr, nil
		}
		limit := p.Attempts
		if ClassOf(err) == ClassRefused {
			limit = min(limit, RefusedAttempts)
		}
		if attempt >= limit || !ClassOf(err).Transient() || ctx.Err() != nil {
			return nil, gaveUp(err, attempt)
		}
		if !Sleep(ctx, p.Backoff(attempt)) {
			return nil, gaveUp(err, attempt)
		}
	}
}

// gaveUp notes the number of attempts on the last dial error, keeping its
// class and hint reachable through Unwrap.
func gaveUp(err error, attempts int) error {
	if attempts == 1 {
		return err
	}
	return &attemptsError{err: err, attempts: attempts}
}

type attemptsError struct {
	err      error
	attempts int
}

func (e *attemptsError) Error() string {
	return fmt.Sprintf("%v (gave up after %d attempts)", e.err, e.attempts)
}

func (e *attemptsError) Unwrap() error { return e.err }

// Sleep waits for d or until ctx is done, and reports whether it waited the
// whole time.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
