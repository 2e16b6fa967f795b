package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/remotectl/remotectl/ops"
)

// TestOpsErrorsExitCodes: the errors of ops have their exit codes: a
// lock held by another run 75, a setting that cannot work 64.
func TestOpsErrorsExitCodes(t *testing.T) {
	if got := exitCodeOf(fmt.Errorf("run: %w", ops.LockedError{Path: "x.lock"})); got != exitLocked {
		t.Errorf("LockedError: exit %d, want 75", got)
	}
	if got := exitCodeOf(ops.UsageError{Err: errors.New("--log-format")}); got != exitUsage {
		t.Errorf("UsageError: exit %d, want 64", got)
	}
}

func TestDeadlineBitKeepsInterrupt(t *testing.T) {
	if got := withDeadlineBit(exitFailed); got != exitFailed|exitTimedOut {
		t.Errorf("withDeadlineBit(1) = %d", got)
	}
	if got := withDeadlineBit(exitInterrupted); got != exitInterrupted {
		t.Errorf("withDeadlineBit(130) = %d", got)
	}
}
