package remote_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

// TestErrorSaysEachThingOnce: errors read "class: op: what happened";
// messages do not stack a class that a wrapped error already states, and a
// bare context error adds nothing to its class.
func TestErrorSaysEachThingOnce(t *testing.T) {
	inner := &remote.Error{Class: remote.ClassTimeout, Op: "run", Err: errors.New("no result within 1s")}
	tests := []struct {
		err  error
		want string
	}{
		{&remote.Error{Class: remote.ClassTimeout, Err: inner}, "timeout: run: no result within 1s"},
		{&remote.Error{Class: remote.ClassTimeout, Op: "run", Err: inner}, "timeout: run: no result within 1s"},
		{&remote.Error{Class: remote.ClassTimeout, Op: "run", Err: fmt.Errorf("waiting: %w", inner)}, "timeout: run: waiting: run: no result within 1s"},
		{&remote.Error{Class: remote.ClassTimeout, Op: "dial", Err: inner}, "timeout: dial: run: no result within 1s"},
		{&remote.Error{Class: remote.ClassLost, Op: "run", Err: inner}, "lost: run: timeout: run: no result within 1s"},
		{&remote.Error{Class: remote.ClassCancelled, Op: "run", Err: context.Canceled}, "cancelled: run"},
		{&remote.Error{Class: remote.ClassCancelled, Op: "run", Err: errors.New("interrupted")}, "cancelled: run: interrupted"},
		{&remote.Error{Class: remote.ClassTimeout, Op: "run", Err: context.DeadlineExceeded}, "timeout: run"},
		{&remote.Error{Class: remote.ClassOther, Op: "run", Err: context.Canceled}, "error: run: context canceled"},
		{&remote.Error{Class: remote.ClassAuth, Op: "auth", Err: errors.New("denied")}, "auth: denied"},
		{&remote.Error{Class: remote.ClassTimeout}, "timeout"},
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
