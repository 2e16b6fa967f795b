package main

import (
	"errors"
	"fmt"
	"github.com/remotectl/remotectl/report"
	"testing"
)

func TestExitCodeOfUnclassifiedIsFailure(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, report.ExitOK},
		{errors.New("disk on fire"), report.ExitFailed},
		{usageError{Err: errors.New("bad flag")}, report.ExitUsage},
		{fmt.Errorf("wrapped: %w", inputError{Err: errors.New("bad yaml")}), report.ExitInput},
	} {
		if got := exitCodeOf(tc.err); got != tc.want {
			t.Errorf("exitCodeOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// Cobra's own argument errors are usage errors: an unknown command, or an
// argument a command takes none of.
func TestCobraArgErrorsAreUsage(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"version", "x"}, {"inventory", "list", "a", "b"}} {
		if _, stderr, code := runForTest(t, args...); code != report.ExitUsage {
			t.Errorf("remotectl %v: exit %d, want %d (stderr %q)", args, code, report.ExitUsage, stderr)
		}
	}
}
