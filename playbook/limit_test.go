package playbook

import (
	"slices"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote/remotetest"
)

// TestStartLimitWithAddHost: a --limit term naming a host add_host will add
// is left out of the plays' start (and selects that host later, see
// TestOracleAddHostLimit); a limit selecting no host to start with is
// refused before anything runs, as ansible-playbook refuses it.
func TestStartLimitWithAddHost(t *testing.T) {
	inv := testInventory(t, 2)
	pb := parseTest(t, inv, "- hosts: fleet\n  gather_facts: false\n  tasks:\n    - add_host: {name: newhost, groups: g}\n"+
		"- hosts: g\n  gather_facts: false\n  tasks:\n    - debug: {msg: x}\n")
	plans, err := Prepare(pb, inv, Selection{Limit: "h01,newhost,!nothere"})
	if err != nil {
		t.Fatal(err)
	}
	if len(plans[0].Hosts) != 1 || plans[0].Hosts[0].Name != "h01" {
		t.Errorf("first play's hosts %v, want h01", plans[0].Hosts)
	}
	_, err = Prepare(pb, inv, Selection{Limit: "newhost:!h01"})
	if err == nil || !strings.Contains(err.Error(), `limit "newhost:!h01" selects no host of the inventory`) {
		t.Errorf("got %v", err)
	}
}

// TestLimitReachesInventoryHostAddedToGroup: an inventory host no play
// started on joins a group add_host names, and --limit names that group:
// the later play runs on it, as ansible-playbook's; unless --shard leaves
// it to another part (Selection.Keep).
func TestLimitReachesInventoryHostAddedToGroup(t *testing.T) {
	inv := testInventory(t, 2)
	pb := parseTest(t, inv, "- hosts: h01\n  gather_facts: false\n  tasks:\n    - add_host: {name: h02, groups: g}\n"+
		"- hosts: g\n  gather_facts: false\n  tasks:\n    - name: in g\n      debug: {msg: x}\n")
	out := runTest(t, pb, inv, &remotetest.Fake{}, Options{Selection: Selection{Limit: "h01,g"}})
	if got := out.debugMsgs("in g"); !slices.Equal(got, []string{"h02=x"}) {
		t.Errorf("in g ran on %q, want h02", got)
	}
	out = runTest(t, pb, inv, &remotetest.Fake{}, Options{Selection: Selection{Limit: "h01,g", Keep: func(n string) bool { return n == "h01" }}})
	if got := out.debugMsgs("in g"); len(got) != 0 {
		t.Errorf("in g ran on %q, a host --shard leaves out", got)
	}
}
