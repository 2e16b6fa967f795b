package playbook

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/omap"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/playbook/jinja"
)

// addHostSpecial are add_host's arguments that are no host variable (as
// Ansible's: group and host are kept as variables too).
var addHostSpecial = []string{"name", "hostname", "groupname", "groups"}

// runAddHost is add_host: a host (new, or one of the inventory) joins
// groups and gets variables, for the rest of the run: groups and hostvars
// show it at once, later plays whose hosts: select it run on it. Ansible
// runs it once per batch (bypassing the host loop, see bypassesHostLoop).
func runAddHost(_ context.Context, r *actionRun, args map[string]any) (*Outcome, error) {
	name := ""
	for _, k := range []string{"name", "hostname", "host"} {
		if v, ok := args[k]; ok {
			name = strings.TrimSpace(jinja.String(v))
			break
		}
	}
	if name == "" {
		return failed("name, host or hostname needs to be provided"), nil
	}
	vars := map[string]any{}
	for k, v := range args {
		if !slices.Contains(addHostSpecial, k) {
			vars[k] = omap.Plain(v) // an inventory host's variables: plain maps
		}
	}
	if host, port, err := net.SplitHostPort(name); err == nil {
		if n, err := strconv.Atoi(port); err == nil {
			name = host
			vars["ansible_ssh_port"] = n // parse_address's port: a number
		}
	}
	groups, err := addHostGroups(args)
	if err != nil {
		return failed("%v", err), nil
	}
	changed, err := r.host.br.e.addHost(r.host.br.plan, name, groups, vars)
	if err != nil {
		return failed("add_host %s: %v", name, err), nil
	}
	gl := make([]any, len(groups))
	for i, g := range groups {
		gl[i] = g
	}
	return &Outcome{Changed: changed, Result: map[string]any{"changed": changed,
		"add_host": map[string]any{"host_name": name, "groups": gl, "host_vars": vars}}}, nil
}

// addHostGroups are the groups add_host names: groupname, groups or group,
// a list or a comma-separated string.
func addHostGroups(args map[string]any) ([]string, error) {
	var v any
	for _, k := range []string{"groupname", "groups", "group"} {
		if g, ok := args[k]; ok {
			v = g
			break
		}
	}
	var list []any
	switch x := v.(type) {
	case nil:
	case []any:
		list = x
	case string:
		if x == "" {
			break
		}
		for _, s := range strings.Split(x, ",") {
			list = append(list, s)
		}
	default:
		if s, ok := v.(jinja.Unsafe); ok {
			return addHostGroups(map[string]any{"groups": string(s)})
		}
		return nil, errors.New("Groups must be specified as a list.")
	}
	var out []string
	for _, g := range list {
		if s := strings.TrimSpace(jinja.String(g)); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// bypassesHostLoop reports whether a task runs once for the batch, its
// result the first host's alone (Ansible's BYPASS_HOST_LOOP: add_host and
// pause).
func bypassesHostLoop(t *Task) bool {
	a, ok := t.Action.(*BuiltinAction)
	return ok && (a.Name == "add_host" || a.Name == "pause")
}

// addHost adds a host to the run's inventory, or updates one: its
// variables (the inventory's group all and the groups it joins, then its
// own), its groups. It reports whether anything changed.
func (e *executor) addHost(plan *PlayPlan, name string, groups []string, vars map[string]any) (bool, error) {
	e.mu.Lock()
	old := e.hostNamed(name)
	e.mu.Unlock()
	merged := map[string]any{}
	var memberOf []string
	if old != nil {
		maps.Copy(merged, old.Vars)
		memberOf = slices.Clone(old.Groups)
	} else {
		memberOf = []string{"all"}
		if g, ok := e.opts.Inventory.Group("all"); ok {
			maps.Copy(merged, g.Vars)
		}
		for _, name := range groups {
			if g, ok := e.opts.Inventory.Group(name); ok {
				maps.Copy(merged, g.Vars)
			}
		}
	}
	before := maps.Clone(merged)
	for k, v := range vars {
		// add_host's variables are the inventory file's host variables:
		// under a host_vars/ file's, as Ansible's precedence puts them.
		if old != nil && strings.Contains(old.VarOrigin(k), "host_vars") {
			continue
		}
		merged[k] = v
	}
	changed := old == nil || !reflect.DeepEqual(before, merged)
	for _, g := range groups {
		if !slices.Contains(memberOf, g) {
			memberOf, changed = append(memberOf, g), true
		}
	}
	if !changed {
		return false, nil
	}
	h, err := e.parseHost(name, merged)
	if err != nil {
		return false, err
	}
	slices.Sort(memberOf)
	h.Groups = memberOf
	e.pb.Secrets.Add(h.SecretValues()...)
	e.mu.Lock()
	e.putHost(old, h)
	e.mu.Unlock()
	joined := slices.Clone(groups)
	if len(h.Groups) == 1 { // in no group but all: ungrouped, as Ansible's
		joined = append(joined, "ungrouped")
	}
	e.addToGroups(plan, name, joined)
	if old == nil {
		e.addToAll(plan, name)
	}
	e.refreshHostvars(plan, h)
	return true, nil
}

// addToAll puts a new host in the play's groups.all: after the hosts
// added before it, before the inventory's, as Ansible's (its group all
// lists its own hosts first).
func (e *executor) addToAll(plan *PlayPlan, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := maps.Clone(e.magic[plan])
	groups := maps.Clone(m["groups"].(map[string]any))
	all, _ := groups["all"].([]any)
	all = slices.DeleteFunc(slices.Clone(all), func(v any) bool { return v == name })
	at := 0
	for _, h := range e.added {
		if h.Name != name && slices.Contains(all, any(h.Name)) {
			at++
		}
	}
	groups["all"] = slices.Insert(all, min(at, len(all)), any(name))
	m["groups"] = groups
	e.magic[plan] = m
}

// hostNamed is the host of that name: added or updated by add_host, else
// the inventory's; nil when there is none. e.mu is held.
func (e *executor) hostNamed(name string) *inventory.Host {
	for _, h := range e.known {
		if h.Name == name {
			return h
		}
	}
	if h, ok := e.opts.Inventory.Host(name); ok {
		return h
	}
	return nil
}

// putHost puts h in the run's hosts, in place of old (nil for a new
// host). e.mu is held.
func (e *executor) putHost(old, h *inventory.Host) {
	if e.replaced == nil {
		e.replaced = map[string]*inventory.Host{}
	}
	e.replaced[h.Name] = h
	if i := slices.IndexFunc(e.known, func(k *inventory.Host) bool { return k.Name == h.Name }); i >= 0 {
		e.known[i] = h
	} else {
		e.known = append(e.known, h)
	}
	if old == nil || !slices.Contains(e.added, old) && !e.inInventory(h.Name) {
		e.added = append(e.added, h)
	} else if i := slices.Index(e.added, old); i >= 0 {
		e.added[i] = h
	}
}

// inInventory reports whether the inventory defines the host.
func (e *executor) inInventory(name string) bool {
	h, ok := e.opts.Inventory.Host(name)
	return ok && !h.Implicit
}

// parseHost reads a host's connection settings from its variables, as the
// inventory reads them (ansible_host, ansible_port, ansible_user,
// ansible_connection, the transports' own).
func (e *executor) parseHost(name string, vars map[string]any) (*inventory.Host, error) {
	doc := map[string]any{"all": map[string]any{"hosts": map[string]any{name: plainValue(vars)}}}
	data, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	inv, err := inventory.Parse("add_host.yml", data, inventory.LoadOptions{Transports: e.opts.Transports})
	if err != nil {
		return nil, err
	}
	h, ok := inv.Host(name)
	if !ok {
		return nil, fmt.Errorf("the host %q could not be read", name)
	}
	h.Vars = vars
	return h, nil
}

// plainValue turns templated values (jinja.Unsafe strings) into plain ones
// for YAML.
func plainValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[k] = plainValue(item)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = plainValue(item)
		}
		return out
	case jinja.Unsafe:
		return string(x)
	}
	return v
}

// refreshHostvars shows an added or updated host in the play's hostvars.
func (e *executor) refreshHostvars(plan *PlayPlan, h *inventory.Host) {
	e.magicVars(plan)
	e.mu.Lock()
	defer e.mu.Unlock()
	m := maps.Clone(e.magic[plan])
	hv := maps.Clone(m["hostvars"].(map[string]any))
	entry, _ := hv[h.Name].(map[string]any)
	entry = maps.Clone(entry)
	if entry == nil {
		entry = map[string]any{}
	}
	maps.Copy(entry, h.Vars)
	maps.Copy(entry, e.opts.ExtraVars)
	entry["inventory_hostname"] = h.Name
	entry["inventory_hostname_short"], _, _ = strings.Cut(h.Name, ".")
	names := groupNames(h)
	for g, hosts := range e.dynGroups {
		if slices.Contains(hosts, h.Name) {
			names = append(names, g)
		}
	}
	entry["group_names"] = sortedUnique(names)
	hv[h.Name] = entry
	m["hostvars"] = hv
	e.magic[plan] = m
}

// checkFree refuses, as Ansible's free strategy does, an action that
// bypasses the host loop in a play with strategy: free.
func (p *parser) checkFree(play *Play) {
	if play.Strategy != Free {
		return
	}
	for _, t := range append(slices.Clone(play.Tasks), play.Handlers...) {
		if bypassesHostLoop(t) {
			p.errorfAt(t.Pos, "use strategy: linear for this play, or add the host from a linear play",
				"The '%s' module bypasses the host loop, which is currently not supported in the free strategy and would instead execute for every host in the inventory list.", t.Key)
		}
	}
}
