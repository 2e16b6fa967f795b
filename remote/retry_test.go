package remote

import (
	"context"
	"errors"
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
		{"timeouts are retried", fast, Errorf(ClassTimeout, "dial", "i/o timeout"), 5, 3, ClassTimeout},
		{"protocol errors are retried", fast, Errorf(ClassProtocol, "handshake", "connection reset by peer"), 1, 2, ClassNone},
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
