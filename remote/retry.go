package remote

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Defaults of RetryPolicy. They ride out OpenSSH's MaxStartups, which drops
// surplus unauthenticated connections when many hosts are dialled at once
// through one bastion, or many connections reach one host. With the default
// 10:30:100 and 64 handshakes in flight at one sshd, a third or more of the
// attempts are dropped: 4 attempts left about 1 host in 1000 reported
// unreachable in the benchmark (docs/BENCHMARKS.md); 8 attempts make that
// about 0.3^8. All attempts stay within the host's connect timeout (see
// ConnectTimeLeft), so a host that stays down costs no more than that.
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
// dialling is retried, and only after a failure that another attempt may
// cure (see retryable): a command is never run twice. Retries stay within
// the connect budget of the host (see ConnectTimeLeft). Zero fields take the
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

// Dial opens a transport to t with d, retrying with backoff the failures
// another attempt may cure (see retryable) while attempts and the connect
// budget remain and ctx is not done. The budget is the transport's connect
// timeout, counted from the first attempt (see ConnectTimeLeft): connecting
// to a host takes at most that long in all, retries and waits included. The
// error of the last attempt is returned, with its class and hint, noting how
// many attempts were made.
func (p RetryPolicy) Dial(ctx context.Context, d Dialer, t Target) (Transport, error) {
	return p.dial(ctx, d, t, time.Now)
}

// dial is Dial with the clock of the connect budget given.
func (p RetryPolicy) dial(ctx context.Context, d Dialer, t Target, now func() time.Time) (Transport, error) {
	p = p.withDefaults()
	budget := &connectBudget{now: now, start: now()}
	ctx = context.WithValue(ctx, connectBudgetKey{}, budget)
	for attempt := 1; ; attempt++ {
		tr, err := d.Dial(ctx, t)
		if err == nil && tr == nil {
			err = Errorf(ClassOther, "dial", "the %q dialer returned neither a connection nor an error", t.Transport)
		}
		if err == nil {
			return tr, nil
		}
		if ctx.Err() != nil {
			return nil, gaveUp(err, attempt)
		}
		left, bounded := budget.left()
		wait, again := p.next(attempt, err, left, bounded)
		if !again || !Sleep(ctx, wait) {
			return nil, gaveUp(err, attempt)
		}
	}
}

// next decides what follows the failed attempt number attempt: the wait
// before another one and true, or false to give up. Only what another
// attempt may cure is retried (see retryable), at most p.Attempts times in
// all (RefusedAttempts after a refusal), and only when the wait ends before
// the connect budget does (left, when bounded is true).
func (p RetryPolicy) next(attempt int, err error, left time.Duration, bounded bool) (time.Duration, bool) {
	limit := p.Attempts
	if ClassOf(err) == ClassRefused {
		limit = min(limit, RefusedAttempts)
	}
	if attempt >= limit || !retryable(err) {
		return 0, false
	}
	wait := p.Backoff(attempt)
	if bounded && wait >= left {
		return 0, false
	}
	return wait, true
}

// retryable reports whether another attempt may cure a failed dial: a
// refused connection (an sshd being restarted is back within a moment) or a
// connection dropped while connecting (OpenSSH's MaxStartups closes surplus
// connections right after accepting them). A timeout is not: it has used
// the connect budget already. Neither are authentication, host key, name
// resolution or other protocol failures, which another attempt would only
// repeat.
func retryable(err error) bool {
	switch ClassOf(err) {
	case ClassRefused:
		return true
	case ClassProtocol:
		return IsConnectionDrop(err)
	}
	return false
}

// connectBudgetKey is the context key of the connect budget of a Dial.
type connectBudgetKey struct{}

// connectBudget is the time connecting to one host may take in all, retries
// included: the limit the transport declares (its connect timeout) counted
// from the start of RetryPolicy.Dial, not counting the time spent waiting
// for the user (a passphrase typed at a prompt).
type connectBudget struct {
	now   func() time.Time
	start time.Time

	mu       sync.Mutex
	limit    time.Duration
	limited  bool
	paused   int           // pauses in progress
	pausedAt time.Time     // when the first of them began
	waited   time.Duration // time spent paused, not counted
}

// take declares the limit, when none was declared yet, and returns the
// time left.
func (b *connectBudget) take(limit time.Duration) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.limited {
		b.limit, b.limited = limit, true
	}
	return b.leftLocked()
}

// left returns the time left, and false when no limit was declared.
func (b *connectBudget) left() (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.leftLocked(), b.limited
}

func (b *connectBudget) leftLocked() time.Duration {
	now := b.now()
	spent := now.Sub(b.start) - b.waited
	if b.paused > 0 {
		spent -= now.Sub(b.pausedAt)
	}
	return b.limit - spent
}

// pause stops the clock until the returned function is called.
func (b *connectBudget) pause() (resume func()) {
	b.mu.Lock()
	if b.paused == 0 {
		b.pausedAt = b.now()
	}
	b.paused++
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.paused--
			if b.paused == 0 {
				b.waited += b.now().Sub(b.pausedAt)
			}
		})
	}
}

// ConnectTimeLeft returns how long the connection attempt made under ctx
// may take: when ctx comes from RetryPolicy.Dial, what is left of the
// host's connect budget, whose limit the first attempt sets to timeout (the
// transport's connect timeout for the host); otherwise timeout itself. The
// result is zero or negative once the budget is spent.
func ConnectTimeLeft(ctx context.Context, timeout time.Duration) time.Duration {
	if b, ok := ctx.Value(connectBudgetKey{}).(*connectBudget); ok {
		return b.take(timeout)
	}
	return timeout
}

// PauseConnectClock stops the connect budget of ctx, if any, until the
// returned function is called: time spent waiting for the user does not
// count against it.
func PauseConnectClock(ctx context.Context) (resume func()) {
	if b, ok := ctx.Value(connectBudgetKey{}).(*connectBudget); ok {
		return b.pause()
	}
	return func() {}
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
