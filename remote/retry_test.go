package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func TestBackoffStaysWithinFullJitterBounds(t *testing.T) {
	p := RetryPolicy{Attempts: 10, Base: 10 * time.Millisecond, Max: 70 * time.Millisecond}
	ceilings := map[int]time.Duration{1: 10 * time.Millisecond, 2: 20 * time.Millisecond, 3: 40 * time.Millisecond, 4: 70 * time.Millisecond, 40: 70 * time.Millisecond}
	for failures, ceiling := range ceilings {
		var largest time.Duration
		for range 2000 {
			d := p.Backoff(failures)
			if d < 0 || d > ceiling {
				t.Fatalf("Backoff(%d) = %s; want within [0, %s]", failures, d, ceiling)
			}
			largest = max(largest, d)
		}
		// 2000 uniform draws all in the lower half would mean the jitter
		// does not span the range.
		if largest < ceiling/2 {
			t.Errorf("Backoff(%d) never exceeded %s in 2000 draws; want draws spread up to %s", failures, largest, ceiling)
		}
	}
}

func TestBackoffDefaults(t *testing.T) {
	for range 100 {
		if d := (RetryPolicy{}).Backoff(1); d > DefaultRetryBase {
			t.Fatalf("zero policy Backoff(1) = %s; want at most %s", d, DefaultRetryBase)
		}
		if d := (RetryPolicy{}).Backoff(100); d > DefaultRetryMax {
			t.Fatalf("zero policy Backoff(100) = %s; want at most %s", d, DefaultRetryMax)
		}
	}
}

type nopTransport struct{ Transport }

// failingDialer fails the first failures dials with err, then succeeds.
func failingDialer(err error, failures int, dials *int) Dialer {
	return DialerFunc(func(ctx context.Context, t Target) (Transport, error) {
		*dials++
		if *dials <= failures {
			return nil, err
		}
		return nopTransport{}, nil
	})
}

func TestRetryDial(t *testing.T) {
	fast := RetryPolicy{Attempts: 3, Base: time.Microsecond, Max: time.Microsecond}
	refused := Errorf(ClassRefused, "dial", "connection refused")
	tests := []struct {
		name      string
		policy    RetryPolicy
		err       error
		failures  int
		wantDials int
		wantClass Class
	}{
		{"success at once", fast, refused, 0, 1, ClassNone},
		{"transient failure clears", fast, refused, 2, 3, ClassNone},
		{"transient failure outlasts attempts", fast, refused, 5, 3, ClassRefused},
		{"timeouts are not retried", fast, Errorf(ClassTimeout, "dial", "i/o timeout"), 5, 1, ClassTimeout},
		{"connections dropped while connecting are retried", fast, Errorf(ClassProtocol, "handshake", "connection reset by peer"), 1, 2, ClassNone},
		{"a connection closed before the banner is retried", fast, &Error{Class: ClassProtocol, Op: "handshake", Err: io.EOF}, 2, 3, ClassNone},
		{"other protocol errors are not retried", fast, Errorf(ClassProtocol, "handshake", "ssh: no common algorithm for key exchange"), 5, 1, ClassProtocol},
		{"auth is not retried", fast, Errorf(ClassAuth, "auth", "no key accepted"), 5, 1, ClassAuth},
		{"unknown host key is not retried", fast, Errorf(ClassHostKeyUnknown, "handshake", "unknown"), 5, 1, ClassHostKeyUnknown},
		{"dns is not retried", fast, Errorf(ClassDNS, "dial", "no such host"), 5, 1, ClassDNS},
		{"unclassified errors are not retried", fast, errors.New("boom"), 5, 1, ClassOther},
		{"one attempt turns retries off", RetryPolicy{Attempts: 1}, refused, 5, 1, ClassRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dials := 0
			tr, err := tt.policy.Dial(context.Background(), failingDialer(tt.err, tt.failures, &dials), Target{Name: "h"})
			if dials != tt.wantDials {
				t.Errorf("dials = %d; want %d", dials, tt.wantDials)
			}
			if got := ClassOf(err); got != tt.wantClass {
				t.Errorf("class = %v (err %v); want %v", got, err, tt.wantClass)
			}
			if (tr != nil) != (err == nil) {
				t.Errorf("Dial = %v, %v; want a transport exactly when there is no error", tr, err)
			}
		})
	}
}

func TestRetryDialReportsAttemptsAndKeepsHint(t *testing.T) {
	refused := &Error{Class: ClassRefused, Op: "dial", Err: errors.New("connection refused"), Hint: "is sshd running?"}
	dials := 0
	policy := RetryPolicy{Attempts: 3, Base: time.Microsecond, Max: time.Microsecond}
	_, err := policy.Dial(context.Background(), failingDialer(refused, 9, &dials), Target{})
	if !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("error %q does not say how many attempts were made", err)
	}
	if !errors.Is(err, ClassRefused) || HintOf(err) != "is sshd running?" {
		t.Errorf("error %v lost its class or hint (hint %q)", err, HintOf(err))
	}
}

func TestRetryDialStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	dials := 0
	d := DialerFunc(func(context.Context, Target) (Transport, error) {
		dials++
		cancel()
		return nil, Errorf(ClassRefused, "dial", "connection refused")
	})
	_, err := RetryPolicy{Attempts: 10, Base: time.Hour, Max: time.Hour}.Dial(ctx, d, Target{})
	if dials != 1 || !errors.Is(err, ClassRefused) {
		t.Errorf("after cancel: %d dials, err %v; want 1 dial and the refused error", dials, err)
	}
}

func TestRetryDialRejectsNilTransport(t *testing.T) {
	d := DialerFunc(func(context.Context, Target) (Transport, error) { return nil, nil })
	tr, err := RetryPolicy{Attempts: 1}.Dial(context.Background(), d, Target{Transport: KindSSH})
	if tr != nil || ClassOf(err) != ClassOther {
		t.Errorf("Dial = %v, %v; want a ClassOther error for a dialer returning nothing", tr, err)
	}
}

func TestRetryRefusedGivesUpSooner(t *testing.T) {
	dials := 0
	d := DialerFunc(func(context.Context, Target) (Transport, error) {
		dials++
		return nil, Errorf(ClassRefused, "dial", "connection refused")
	})
	p := RetryPolicy{Base: time.Microsecond, Max: time.Microsecond}
	if _, err := p.Dial(context.Background(), d, Target{Name: "h"}); ClassOf(err) != ClassRefused {
		t.Fatalf("err = %v, want refused", err)
	}
	if dials != RefusedAttempts {
		t.Errorf("dialled %d times, want %d", dials, RefusedAttempts)
	}
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// budgetDialer declares a connect timeout like a transport does, then
// fails each attempt with err after it took the time the clock is moved by.
func budgetDialer(clock *fakeClock, timeout, took time.Duration, err error, dials *int, lefts *[]time.Duration) Dialer {
	return DialerFunc(func(ctx context.Context, t Target) (Transport, error) {
		*dials++
		*lefts = append(*lefts, ConnectTimeLeft(ctx, timeout))
		clock.advance(took)
		return nil, err
	})
}

func TestRetryDialStaysWithinTheConnectBudget(t *testing.T) {
	drop := Errorf(ClassProtocol, "handshake", "ssh: handshake failed: EOF")
	fast := RetryPolicy{Attempts: 8, Base: time.Microsecond, Max: time.Microsecond}
	tests := []struct {
		name      string
		took      time.Duration // per attempt
		err       error
		wantDials int
		wantLefts []time.Duration
	}{
		// A black hole or a banner stall uses the whole budget at once:
		// not retried (the old code tried 8 times, 8 timeouts).
		{"a timeout is not retried", 10 * time.Second, Errorf(ClassTimeout, "handshake", "no answer"), 1,
			[]time.Duration{10 * time.Second}},
		// MaxStartups drops are retried while the budget lasts, each
		// attempt bounded by what is left of it.
		{"drops are retried within the budget", 4 * time.Second, drop, 3,
			[]time.Duration{10 * time.Second, 6 * time.Second, 2 * time.Second}},
		{"quick drops use all the attempts", time.Second, drop, 8,
			[]time.Duration{10 * time.Second, 9 * time.Second, 8 * time.Second, 7 * time.Second,
				6 * time.Second, 5 * time.Second, 4 * time.Second, 3 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1e9, 0)}
			dials := 0
			var lefts []time.Duration
			d := budgetDialer(clock, 10*time.Second, tt.took, tt.err, &dials, &lefts)
			_, err := fast.dial(context.Background(), d, Target{Name: "h"}, clock.now)
			if ClassOf(err) != ClassOf(tt.err) {
				t.Errorf("err = %v; want class %v", err, ClassOf(tt.err))
			}
			if dials != tt.wantDials {
				t.Errorf("dials = %d; want %d", dials, tt.wantDials)
			}
			// The backoff is a microsecond of real time, which the fake
			// clock does not see.
			if fmt.Sprint(lefts) != fmt.Sprint(tt.wantLefts) {
				t.Errorf("time left at each attempt = %v; want %v", lefts, tt.wantLefts)
			}
		})
	}
}

func TestRetryNextWaitsOnlyWithinTheBudget(t *testing.T) {
	drop := Errorf(ClassProtocol, "handshake", "read: connection reset by peer")
	p := RetryPolicy{Attempts: 8, Base: time.Second, Max: time.Second}.withDefaults()
	for range 100 {
		wait, again := p.next(1, drop, 2*time.Second, true)
		if !again || wait > time.Second {
			t.Fatalf("next(1, drop, 2s left) = %s, %v; want a wait of at most 1s and a retry", wait, again)
		}
	}
	// A wait as long as the budget left would start an attempt with no
	// time: give up instead.
	if wait, again := p.next(1, drop, 0, true); again {
		t.Errorf("next with no budget left = %s, true; want to give up", wait)
	}
	if wait, again := p.next(1, drop, -time.Second, true); again {
		t.Errorf("next with the budget overspent = %s, true; want to give up", wait)
	}
	// Without a declared budget only the attempts count.
	if _, again := p.next(1, drop, 0, false); !again {
		t.Errorf("next without a budget gave up; want a retry")
	}
	if _, again := p.next(8, drop, time.Hour, true); again {
		t.Errorf("next after the last attempt wants another")
	}
}

func TestConnectBudgetDoesNotCountPauses(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	var left time.Duration
	d := DialerFunc(func(ctx context.Context, t Target) (Transport, error) {
		ConnectTimeLeft(ctx, 10*time.Second)
		clock.advance(time.Second)
		resume := PauseConnectClock(ctx) // waiting for a passphrase
		clock.advance(time.Minute)
		resume()
		resume() // a second call changes nothing
		clock.advance(time.Second)
		left = ConnectTimeLeft(ctx, time.Hour) // the limit set first stays
		return nopTransport{}, nil
	})
	if _, err := (RetryPolicy{}).dial(context.Background(), d, Target{}, clock.now); err != nil {
		t.Fatal(err)
	}
	if left != 8*time.Second {
		t.Errorf("left = %s; want 8s (10s, minus 2s of connecting, the minute of waiting not counted)", left)
	}
	if got := ConnectTimeLeft(context.Background(), 3*time.Second); got != 3*time.Second {
		t.Errorf("ConnectTimeLeft without a budget = %s; want the timeout", got)
	}
}
