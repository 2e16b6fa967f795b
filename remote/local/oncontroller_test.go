package local

import (
	"context"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

// TestOnController: the controller can be read directly (checks then read
// the host in Go), unless the target asks for become, which this transport
// refuses, or the transport is closed.
func TestOnController(t *testing.T) {
	type onController interface{ OnController() bool }
	for _, tc := range []struct {
		target remote.Target
		close  bool
		want   bool
	}{
		{remote.Target{Name: "localhost"}, false, true},
		{remote.Target{Name: "localhost", Become: true}, false, false},
		{remote.Target{Name: "localhost"}, true, false},
	} {
		tr, err := Dialer{}.Dial(context.Background(), tc.target)
		if err != nil {
			t.Fatal(err)
		}
		if tc.close {
			tr.Close()
		}
		oc, ok := tr.(onController)
		if !ok {
			t.Fatal("the local transport has no OnController")
		}
		if got := oc.OnController(); got != tc.want {
			t.Errorf("OnController() with become %v, closed %v = %v, want %v", tc.target.Become, tc.close, got, tc.want)
		}
		tr.Close()
	}
}
