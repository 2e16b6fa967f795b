package inventory

import (
	"go.yaml.in/yaml/v3"
	"slices"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// ansibleGroupKeys are the keys of a group in an Ansible YAML inventory.
var ansibleGroupKeys = []string{"hosts", "children", "vars"}

// ansibleYAMLLoader loads one Ansible YAML inventory.
type ansibleYAMLLoader struct {
	b *builder
	r *yamlReader
}

// loadAnsibleYAML loads an Ansible YAML inventory: top-level keys are groups
// (usually just "all"), each a mapping of hosts, children and vars, as
// Ansible's yaml plugin reads it. Where Ansible only warns (a key other than
// hosts/children/vars, a group that is not a mapping), this is an error: such
// entries are ignored by Ansible and almost always a mistake.
func loadAnsibleYAML(b *builder, r *yamlReader, root *yaml.Node) error {
	l := ansibleYAMLLoader{b: b, r: r}
	ps, err := r.pairs(root, words("the inventory"))
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.name == "plugin" {
			return errorf(r.pos(p.key), "this is the configuration of an Ansible inventory plugin, not an inventory").
				withHint("export the inventory it produces with: ansible-inventory -i %s --list > inventory.json", r.file)
		}
	}
	for _, p := range ps {
		if _, err := l.group(p); err != nil {
			return err
		}
	}
	return nil
}

// group loads one group entry (name: {hosts, children, vars}) and returns it.
func (l *ansibleYAMLLoader) group(p pair) (*groupDef, error) {
	r := l.r
	val, err := r.resolve(p.val)
	if err != nil {
		return nil, err
	}
	if !yamlnode.IsNull(val) && val.Kind != yaml.MappingNode {
		return nil, errorf(r.pos(val), "group %q must be a mapping of hosts, children and vars, got %s", p.name, kindName(val))
	}
	if p.name == "" {
		return nil, errorf(r.pos(p.key), "group name is empty")
	}
	g := l.b.group(p.name, r.pos(p.key))
	if yamlnode.IsNull(val) {
		return g, nil
	}
	what := named("group", p.name)
	ps, err := r.pairs(val, what)
	if err != nil {
		return nil, err
	}
	if err := r.checkKeys(ps, what.in("in "), ansibleGroupKeys); err != nil {
		return nil, err
	}
	for _, e := range ps {
		entries, err := l.section(e, what)
		if err != nil {
			return nil, err
		}
		for _, x := range entries {
			switch e.name {
			case "vars":
				v, err := r.value(x.val)
				if err != nil {
					return nil, err
				}
				if err := l.b.ansibleGroupVar(g, x.name, v, r.pos(x.key)); err != nil {
					return nil, err
				}
			case "children":
				child, err := l.group(x)
				if err != nil {
					return nil, err
				}
				if err := l.b.link(g, child, r.pos(x.key)); err != nil {
					return nil, err
				}
			case "hosts":
				if err := l.hosts(g, x); err != nil {
					return nil, err
				}
			}
		}
	}
	return g, nil
}

// section returns the entries of a hosts/children/vars section, which may be
// null (empty), a mapping, or (as Ansible allows) a single name.
func (l *ansibleYAMLLoader) section(e pair, what phrase) ([]pair, error) {
	val, err := l.r.resolve(e.val)
	if err != nil || yamlnode.IsNull(val) {
		return nil, err
	}
	if val.Kind == yaml.ScalarNode { // Ansible reads "hosts: web01" as "hosts: {web01: }"
		null := &yaml.Node{Kind: yaml.ScalarNode, Tag: yamlnode.TagNull, Line: val.Line, Column: val.Column}
		return []pair{{name: val.Value, key: val, val: null}}, nil
	}
	if val.Kind != yaml.MappingNode {
		hint := "write each entry as a key, e.g. \"web01:\""
		return nil, errorf(l.r.pos(val), "%s of %s must be a mapping, got %s", e.name, what, kindName(val)).withHint("%s", hint)
	}
	return l.r.pairs(val, what.in(e.name+" of "))
}

// hosts loads one host entry of a group: a name, range or "name:port", with
// a mapping of variables or nothing.
func (l *ansibleYAMLLoader) hosts(g *groupDef, x pair) error {
	r := l.r
	pos := r.pos(x.key)
	names, port, err := expandAnsibleHost(x.name, l.b.maxHosts)
	if err != nil {
		return errorf(pos, "%v", err)
	}
	var vars []pair
	if !yamlnode.IsNull(x.val) {
		if vars, err = r.pairs(x.val, named("variables of host", x.name)); err != nil {
			return err
		}
	}
	values := make([]any, len(vars))
	for i, v := range vars {
		if values[i], err = r.value(v.val); err != nil {
			return err
		}
	}
	for _, name := range names {
		hi, err := l.b.host(name, pos, true)
		if err != nil {
			return err
		}
		l.b.addMember(g, hi)
		if port != 0 && !slices.ContainsFunc(vars, func(v pair) bool { return v.name == "ansible_port" }) {
			// An ansible_port of the host's own wins, as in Ansible.
			if err := l.b.ansibleHostVar(hi, "ansible_port", port, pos, false); err != nil {
				return err
			}
		}
		for i, v := range vars {
			if err := l.b.ansibleHostVar(hi, v.name, values[i], r.pos(v.key), false); err != nil {
				return err
			}
		}
	}
	return nil
}
