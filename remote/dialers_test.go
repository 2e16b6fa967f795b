package remote_test

import (
	"context"
	"testing"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// TestDialersMakeEachKindOnFirstUse: a kind's dialer is made when a target
// of the kind is first dialled, once, and stopped by Close; a target of an
// unknown kind fails with an error of its own.
func TestDialersMakeEachKindOnFirstUse(t *testing.T) {
	made, stopped := map[string]int{}, 0
	maker := func(kind string) remote.NewDialerFunc {
		return func() (remote.Dialer, func() error, error) {
			made[kind]++
			return &remotetest.Fake{}, func() error { stopped++; return nil }, nil
		}
	}
	d := remote.NewDialers(map[string]remote.NewDialerFunc{remote.KindSSH: maker(remote.KindSSH), remote.KindLocal: maker(remote.KindLocal)})
	for _, target := range []remote.Target{{Name: "a"}, {Name: "b", Transport: remote.KindSSH}} {
		tr, err := d.Dial(context.Background(), target)
		if err != nil {
			t.Fatalf("dial %s: %v", target.Name, err)
		}
		tr.Close()
	}
	if made[remote.KindSSH] != 1 || made[remote.KindLocal] != 0 {
		t.Errorf("dialers made: %v, want ssh once, local never", made)
	}
	_, err := d.Dial(context.Background(), remote.Target{Name: "c", Transport: "telnet"})
	if remote.ClassOf(err) != remote.ClassOther || err == nil {
		t.Errorf("unknown transport: %v, want an error of class other", err)
	}
	if err := d.Close(); err != nil || stopped != 1 {
		t.Errorf("Close: %v, %d dialers stopped, want 1", err, stopped)
	}
}
