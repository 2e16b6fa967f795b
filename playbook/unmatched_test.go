package playbook

import (
	"strings"
	"testing"
)

// TestPlayOfAnUnknownGroupIsSkipped: a play whose hosts: is one name the
// inventory does not know is skipped with the reason, as Ansible warns
// and skips it (ansible-examples' webservers plays); the other plays run.
// A name among others is ignored (the play runs on the rest, as
// Ansible's); an unknown --limit stays an error.
func TestPlayOfAnUnknownGroupIsSkipped(t *testing.T) {
	inv := testInventory(t, 2)
	pb := parseTest(t, inv, "- hosts: webservers\n  tasks:\n    - debug: {msg: a}\n- hosts: fleet\n  gather_facts: false\n  tasks:\n    - debug: {msg: b}\n")
	plans, err := Prepare(pb, inv, Selection{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plans[0].Hosts) != 0 || !strings.Contains(plans[0].Unmatched, `"webservers" is not a host or group`) || len(plans[1].Hosts) != 2 {
		t.Errorf("plans: %d hosts (%q), then %d hosts", len(plans[0].Hosts), plans[0].Unmatched, len(plans[1].Hosts))
	}
	for _, tt := range []struct {
		hosts string
		want  int
	}{{"fleet:webservers", 2}, {"webservers:!nosuch:fleet", 2}, {"fleet:&webservers", 0}, {"fleet:web*", 2}} {
		pb := parseTest(t, inv, "- hosts: "+tt.hosts+"\n  tasks:\n    - debug: {msg: a}\n")
		plans, err := Prepare(pb, inv, Selection{})
		if err != nil {
			t.Fatalf("hosts %q: %v", tt.hosts, err)
		}
		if len(plans[0].Hosts) != tt.want || len(plans[0].Ignored) == 0 {
			t.Errorf("hosts %q: %d hosts, ignored %q; want %d hosts and the unmatched term ignored", tt.hosts, len(plans[0].Hosts), plans[0].Ignored, tt.want)
		}
	}
	for _, tt := range []struct{ hosts, limit string }{{"webservers", "nosuch"}} {
		pb := parseTest(t, inv, "- hosts: "+tt.hosts+"\n  tasks:\n    - debug: {msg: a}\n")
		if _, err := Prepare(pb, inv, Selection{Limit: tt.limit}); err == nil {
			t.Errorf("hosts %q, limit %q: no error", tt.hosts, tt.limit)
		}
	}
}
