package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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

func TestLockContentionIsExit75(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locks", "x.lock")
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	first, err := acquireLock(path, lockHolder{PID: 4242, Started: started, Command: "exec", RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = acquireLock(path, lockHolder{PID: 1, Started: time.Now(), Command: "exec"})
	var le lockedError
	if !errors.As(err, &le) || exitCodeOf(err) != exitLocked {
		t.Fatalf("second lock: %v (exit %d), want a lockedError, exit 75", err, exitCodeOf(err))
	}
	if le.holder.PID != 4242 || !le.holder.Started.Equal(started) || le.holder.RunID != "r1" {
		t.Errorf("holder read back as %+v", le.holder)
	}
	if msg := err.Error(); !strings.Contains(msg, "pid 4242") || !strings.Contains(msg, "hint:") {
		t.Errorf("message %q should name the pid and end with a hint", msg)
	}
	if err := first.release(); err != nil {
		t.Fatal(err)
	}
	again, err := acquireLock(path, lockHolder{PID: 2, Started: time.Now()})
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again.release()
}

func TestDeadlineBitKeepsInterrupt(t *testing.T) {
	if got := withDeadlineBit(exitFailed); got != exitFailed|exitTimedOut {
		t.Errorf("withDeadlineBit(1) = %d", got)
	}
	if got := withDeadlineBit(exitInterrupted); got != exitInterrupted {
		t.Errorf("withDeadlineBit(130) = %d", got)
	}
}
