package module

import (
	"reflect"
	"testing"
)

func TestPingAsAnsible(t *testing.T) {
	for _, args := range []map[string]any{{}, {"data": "hello"}} {
		got := runLocal(t, "ansible.builtin.ping", args, false, false)
		want := ansibleOracle(t, "ping", args, false, false)
		if !reflect.DeepEqual(map[string]any(got), want) {
			t.Errorf("ping %v:\n got %v\nwant %v", args, got, want)
		}
	}
}
