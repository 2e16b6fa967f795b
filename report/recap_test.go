package report

import (
	"errors"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

func TestStatusErrorSaysTheClassOnce(t *testing.T) {
	tests := []struct {
		status string
		err    error
		want   string
	}{
		{StatusTimeout, &remote.Error{Class: remote.ClassTimeout, Op: "run", Err: errors.New("no result within 1s")}, "run: no result within 1s"},
		{StatusTimeout, &remote.Error{Class: remote.ClassTimeout, Err: errors.New("no answer")}, "no answer"},
		{StatusTimeout, &remote.Error{Class: remote.ClassTimeout, Op: "dial"}, "dial"},
		{StatusUnreachable, &remote.Error{Class: remote.ClassRefused, Op: "dial", Err: errors.New("connection refused")}, "refused: dial: connection refused"},
		{StatusFailed, errors.New("first line\nsecond"), "first line"},
	}
	for _, tt := range tests {
		if got := statusError(tt.status, tt.err); got != tt.want {
			t.Errorf("statusError(%s, %q) = %q, want %q", tt.status, tt.err, got, tt.want)
		}
	}
}
