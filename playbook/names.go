package playbook

import (
	"fmt"
	"slices"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// knownNames are the variable names a playbook may read: every name the
// inventory defines on some host, the play's vars and vars_files, extra vars,
// registered results, facts and the built-in names. A name outside them is a
// typo caught before any connection.
type knownNames struct {
	names map[string]bool
}

// Names every task can read, whatever the playbook defines: Ansible's
// magic variables, the facts (ansible_facts and each as ansible_NAME), the
// lookup function, and result (what the task itself returned, for until,
// changed_when and failed_when).
var builtinNames = []string{"inventory_hostname", "inventory_hostname_short", "group_names", "groups", "hostvars",
	"play_hosts", "ansible_play_hosts", "ansible_play_hosts_all", "ansible_facts", "lookup", "result"}

func newKnownNames(extra ...[]string) *knownNames {
	k := &knownNames{names: make(map[string]bool)}
	k.add(builtinNames...)
	for _, f := range factNames {
		k.add("ansible_" + f)
	}
	for _, names := range extra {
		k.add(names...)
	}
	return k
}

func (k *knownNames) add(names ...string) {
	for _, n := range names {
		k.names[n] = true
	}
}

func (k *knownNames) has(name string) bool { return k.names[name] }

// with returns a copy of k that also knows names.
func (k *knownNames) with(names ...string) *knownNames {
	c := &knownNames{names: make(map[string]bool, len(k.names)+len(names))}
	for n := range k.names {
		c.names[n] = true
	}
	c.add(names...)
	return c
}

// hint suggests the closest known name.
func (k *knownNames) hint(name string) string {
	all := make([]string, 0, len(k.names))
	for n := range k.names {
		all = append(all, n)
	}
	slices.Sort(all)
	h := fmt.Sprintf("define it in vars:, a vars file, the inventory, or with -e %s=VALUE", name)
	if best := yamlnode.Closest(name, all); best != "" {
		h = fmt.Sprintf("did you mean %q? or %s", best, h)
	}
	return h
}
