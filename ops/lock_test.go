package ops

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockContention(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locks", "x.lock")
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	first, err := AcquireLock(path, LockHolder{PID: 4242, Started: started, Command: "exec", RunID: "r1"}, started)
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireLock(path, LockHolder{PID: 1, Started: time.Now(), Command: "exec"}, time.Now())
	var le LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second lock: %v, want a LockedError", err)
	}
	if le.Holder.PID != 4242 || !le.Holder.Started.Equal(started) || le.Holder.RunID != "r1" {
		t.Errorf("holder read back as %+v", le.Holder)
	}
	if msg := err.Error(); !strings.Contains(msg, "pid 4242") || !strings.Contains(msg, "hint:") {
		t.Errorf("message %q should name the pid and end with a hint", msg)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := AcquireLock(path, LockHolder{PID: 2, Started: time.Now()}, time.Now())
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again.Release()
}

func TestProgressLine(t *testing.T) {
	for _, c := range []struct {
		done, total, failed int
		elapsed             time.Duration
		want                string
	}{
		{0, 10, 0, time.Second, "0/10 hosts done, 0 failed, 1s elapsed"},
		{5, 10, 1, 10 * time.Second, "5/10 hosts done, 1 failed, 10s elapsed, about 10s left"},
		{10, 10, 2, 3 * time.Second, "10/10 hosts done, 2 failed, 3s elapsed"},
	} {
		if got := progressLine(c.done, c.total, c.failed, c.elapsed); got != c.want {
			t.Errorf("progressLine(%d, %d, %d, %s) = %q, want %q", c.done, c.total, c.failed, c.elapsed, got, c.want)
		}
	}
}
