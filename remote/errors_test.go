package remote_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

// TestErrorSaysEachThingOnce: messages do not stack a class that a wrapped
// error already states, and a bare context error adds nothing to its class.
func TestErrorSaysEachThingOnce(t *testing.T) {
	inner := &remote.Error{Class: remote.ClassTimeout, Op: "run", Err: errors.New("no result within 1s")}
	tests := []struct {
		err  error
		want string
	}{
		{&remote.Error{Class: remote.ClassTimeout, Err: inner}, "run: timeout: no result within 1s"},
		{&remote.Error{Class: remote.ClassTimeout, Op: "run", Err: fmt.Errorf("waiting: %w", inner)}, "waiting: run: timeout: no result within 1s"},
		{&remote.Error{Class: remote.ClassTimeout, Op: "dial", Err: inner}, "dial: run: timeout: no result within 1s"},
		{&remote.Error{Class: remote.ClassLost, Op: "run", Err: inner}, "run: lost: run: timeout: no result within 1s"},
		{&remote.Error{Class: remote.ClassCancelled, Op: "run", Err: context.Canceled}, "run: cancelled"},
		{&remote.Error{Class: remote.ClassTimeout, Op: "run", Err: context.DeadlineExceeded}, "run: timeout"},
		{&remote.Error{Class: remote.ClassOther, Op: "run", Err: context.Canceled}, "run: error: context canceled"},
		{&remote.Error{Class: remote.ClassAuth, Op: "auth", Err: errors.New("denied")}, "auth: denied"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestFileClass(t *testing.T) {
	tests := []struct {
		err  error
		want remote.Class
	}{
		{fmt.Errorf("download x: %w", fs.ErrNotExist), remote.ClassNotFound},
		{&fs.PathError{Op: "open", Path: "/x", Err: fs.ErrPermission}, remote.ClassPermission},
		{errors.New("disk on fire"), remote.ClassOther},
	}
	for _, tt := range tests {
		if got := remote.FileClass(tt.err); got != tt.want {
			t.Errorf("FileClass(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	for c, name := range map[remote.Class]string{remote.ClassConfig: "config", remote.ClassNotFound: "not-found", remote.ClassPermission: "permission-denied"} {
		if c.String() != name || c.Unreachable() || c.Transient() {
			t.Errorf("class %s: name %q, unreachable %v, transient %v; want %s, neither", name, c, c.Unreachable(), c.Transient(), name)
		}
	}
}
