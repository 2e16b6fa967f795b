package playbook

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/playbook/jinja"
)

// runGroupBy is group_by: the host joins the group key (and the group's
// parents, all by default) for the rest of the run: groups and
// group_names show it, and later plays whose hosts: name the group run on
// its hosts.
func runGroupBy(_ context.Context, r *actionRun, args map[string]any) (*Outcome, error) {
	key := strings.ReplaceAll(jinja.String(args["key"]), " ", "-") // Ansible replaces spaces
	if key == "" {
		return failed("the 'key' param is required when using group_by"), nil
	}
	parents := []any{"all"}
	if p, ok := args["parents"]; ok {
		parents = asList(p)
	}
	names := []string{key}
	for _, p := range parents {
		if s := jinja.String(p); s != "all" {
			names = append(names, s)
		}
	}
	r.host.br.e.addToGroups(r.host.br.plan, r.host.host.Name, names)
	return &Outcome{Changed: true, Result: map[string]any{"changed": true, "add_group": key, "parent_groups": parents}}, nil
}

// addToGroups adds a host to groups made at run time, and to groups and
// group_names of the play.
func (e *executor) addToGroups(plan *PlayPlan, host string, names []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dynGroups == nil {
		e.dynGroups = map[string][]string{}
	}
	rank := map[string]int{}
	for i, h := range e.known {
		rank[h.Name] = i + 1
	}
	byRank := func(a, b any) int { // the inventory's order, whatever host ran first
		ra, rb := rank[a.(string)], rank[b.(string)]
		if ra == 0 || rb == 0 {
			return 0
		}
		return ra - rb
	}
	m := maps.Clone(e.magic[plan])
	groups := maps.Clone(m["groups"].(map[string]any))
	for _, g := range names {
		if !slices.Contains(e.dynGroups[g], host) {
			e.dynGroups[g] = append(e.dynGroups[g], host)
		}
		list, _ := groups[g].([]any)
		if slices.Contains(list, any(host)) {
			continue
		}
		list = append(slices.Clone(list), host)
		slices.SortStableFunc(list, byRank)
		groups[g] = list
	}
	m["groups"] = groups
	e.magic[plan] = m
}

// dynamicGroupsOf are the groups made at run time that host is in.
func (e *executor) dynamicGroupsOf(host string) []any {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []any
	for g, hosts := range e.dynGroups {
		if slices.Contains(hosts, host) {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	return out
}

// reselect selects a play's hosts again when its pattern names a group
// made at run time (group_by): union, & intersection and ! exclusion of
// the pattern's parts, in the inventory's order.
func (e *executor) reselect(plan *PlayPlan, known []*inventory.Host) error {
	e.mu.Lock()
	dyn := maps.Clone(e.dynGroups)
	added, replaced := slices.Clone(e.added), maps.Clone(e.replaced)
	known = slices.Clone(e.known)
	e.mu.Unlock()
	parts := strings.FieldsFunc(plan.Play.Hosts, func(r rune) bool { return r == ',' || r == ':' })
	uses := len(replaced) > 0 // add_host: any pattern may select its hosts
	for _, part := range parts {
		if _, ok := dyn[strings.TrimLeft(part, "!&")]; ok {
			uses = true
		}
	}
	if !uses {
		return nil
	}
	byName := map[string]*inventory.Host{}
	for _, h := range known {
		byName[h.Name] = h
	}
	resolve := func(part string) ([]*inventory.Host, error) {
		var out []*inventory.Host
		if part == "all" || part == "*" {
			out = append(out, added...) // Ansible's group all lists them first
		}
		hosts, err := e.opts.Inventory.Select(part, "")
		if err != nil && !errors.Is(err, inventory.ErrNoMatch) && !errors.Is(err, inventory.ErrUnknownName) {
			return nil, err
		}
		for _, h := range hosts {
			if r := replaced[h.Name]; r != nil {
				h = r
			}
			out = append(out, h)
		}
		for _, n := range dyn[part] {
			if h, ok := byName[n]; ok {
				out = append(out, h)
			}
		}
		if h := replaced[part]; h != nil {
			out = append(out, h)
		}
		var uniq []*inventory.Host
		for _, h := range out {
			if !slices.Contains(uniq, h) {
				uniq = append(uniq, h)
			}
		}
		return uniq, nil
	}
	var selected []*inventory.Host
	for _, part := range parts {
		op := part[0]
		hosts, err := resolve(strings.TrimLeft(part, "!&"))
		if err != nil {
			return fmt.Errorf("%s: hosts: %w", plan.Play.Pos, err)
		}
		switch op {
		case '!':
			selected = slices.DeleteFunc(selected, func(h *inventory.Host) bool { return slices.Contains(hosts, h) })
		case '&':
			selected = slices.DeleteFunc(selected, func(h *inventory.Host) bool { return !slices.Contains(hosts, h) })
		default:
			for _, h := range hosts {
				if !slices.Contains(selected, h) {
					selected = append(selected, h)
				}
			}
		}
	}
	selected, err := e.limited(selected, dyn)
	if err != nil {
		return fmt.Errorf("%s: hosts: %w", plan.Play.Pos, err)
	}
	plan.Hosts = orderHosts(plan.Play.Order, selected)
	plan.Batches = Batches(plan.Play.Serial, plan.Hosts)
	e.mu.Lock()
	for _, h := range plan.Hosts {
		if !e.initial[h.Name] { // an inventory host no play started on: its secrets too
			e.pb.Secrets.Add(h.SecretValues()...)
		}
	}
	e.mu.Unlock()
	return nil
}

// limited keeps the hosts the run may reach: the inventory's that some play
// selected before it ran, or that --shard keeps (Selection.Keep), and
// those add_host added, that -H and --limit name (or a group they were put
// in), as Ansible evaluates its limit again for each play.
func (e *executor) limited(hosts []*inventory.Host, dyn map[string][]string) ([]*inventory.Host, error) {
	e.mu.Lock()
	added := slices.Clone(e.added)
	known := slices.Clone(e.known)
	initial := e.initial
	e.mu.Unlock()
	keep := e.opts.Selection.Keep
	hosts = slices.DeleteFunc(slices.Clone(hosts), func(h *inventory.Host) bool {
		if initial[h.Name] || slices.ContainsFunc(added, func(a *inventory.Host) bool { return a.Name == h.Name }) {
			return false
		}
		return !e.inInventory(h.Name) || keep != nil && !keep(h.Name)
	})
	for _, pattern := range []string{e.opts.Selection.Hosts, e.opts.Selection.Limit} {
		if pattern == "" {
			continue
		}
		names, err := e.limitNames(pattern, dyn, known)
		if err != nil {
			return nil, err
		}
		hosts = slices.DeleteFunc(slices.Clone(hosts), func(h *inventory.Host) bool { return !names[h.Name] })
	}
	return hosts, nil
}
