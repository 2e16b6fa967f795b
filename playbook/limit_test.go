package playbook

import (
	"strings"
	"testing"
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
