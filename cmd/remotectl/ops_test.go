package main

import (
	"errors"
	"fmt"
	"github.com/remotectl/remotectl/report"
	"testing"

	"github.com/remotectl/remotectl/ops"
)

// TestOpsErrorsExitCodes: the errors of ops have their exit codes: a
// lock held by another run 75, a setting that cannot work 64.
func TestOpsErrorsExitCodes(t *testing.T) {
	if got := exitCodeOf(fmt.Errorf("run: %w", ops.LockedError{Path: "x.lock"})); got != report.ExitLocked {
		t.Errorf("LockedError: exit %d, want 75", got)
	}
	if got := exitCodeOf(ops.UsageError{Err: errors.New("--log-format")}); got != report.ExitUsage {
		t.Errorf("UsageError: exit %d, want 64", got)
	}
}

func TestDeadlineBitKeepsInterrupt(t *testing.T) {
	if got := report.WithDeadlineBit(report.ExitFailed); got != report.ExitFailed|report.ExitTimedOut {
		t.Errorf("report.WithDeadlineBit(1) = %d", got)
	}
	if got := report.WithDeadlineBit(report.ExitInterrupted); got != report.ExitInterrupted {
		t.Errorf("report.WithDeadlineBit(130) = %d", got)
	}
}
