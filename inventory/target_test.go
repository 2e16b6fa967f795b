package inventory

import (
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// TestHostTargetDefaults: a host without a transport or a connect timeout
// gets SSH and the timeout given; its own settings win.
func TestHostTargetDefaults(t *testing.T) {
	h := &Host{Name: "web01", Address: "10.0.0.1", Port: 2222, User: "ops"}
	got := h.Target(7 * time.Second)
	if got.Transport != remote.KindSSH || got.ConnectTimeout != 7*time.Second || got.Addr() != "10.0.0.1" || got.Port != 2222 || got.User != "ops" {
		t.Errorf("target %+v", got)
	}
	h = &Host{Name: "win01", Transport: remote.KindWinRM, Conn: Conn{ConnectTimeout: time.Second, Become: true}}
	if got := h.Target(7 * time.Second); got.Transport != remote.KindWinRM || got.ConnectTimeout != time.Second || !got.Become {
		t.Errorf("target %+v", got)
	}
}

func TestCompletePatternCompletesTheLastElement(t *testing.T) {
	inv := &Inventory{}
	for _, tt := range []struct{ in, tail string }{
		{"we", "we"}, {"web,d", "d"}, {"web:&!pr", "pr"}, {"!d", "d"},
	} {
		if _, got := splitPatternTail(tt.in); got != tt.tail {
			t.Errorf("splitPatternTail(%q) tail %q, want %q", tt.in, got, tt.tail)
		}
	}
	if got := inv.CompletePattern("x"); len(got) != 0 {
		t.Errorf("empty inventory completes %q", got)
	}
}
