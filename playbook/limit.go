package playbook

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/remotectl/remotectl/inventory"
)

// startLimit is the --limit the plays of a playbook that may add hosts
// (add_host, group_by) are prepared with. Like ansible-playbook, whose
// limit is evaluated again each time hosts are selected, a term naming
// nothing yet is left out for now ("Could not match supplied host pattern,
// ignoring: new"), and later plays select what add_host adds under it
// (see limitNames). A limit none of whose terms selects a host to start
// with is refused, as ansible-playbook refuses it.
func startLimit(inv *inventory.Inventory, limit string) (string, error) {
	terms := inventory.PatternTerms(limit)
	var kept []string
	union := false
	for _, t := range terms {
		if strings.HasPrefix(t, "&") {
			kept = append(kept, t)
			continue
		}
		if _, err := inv.Select(strings.TrimPrefix(t, "!"), ""); errors.Is(err, inventory.ErrUnknownName) || errors.Is(err, inventory.ErrNoMatch) {
			continue
		}
		kept = append(kept, t)
		union = union || !strings.HasPrefix(t, "!")
	}
	if !union {
		return "", fmt.Errorf("limit %q selects no host of the inventory: it leaves no host to start with (as ansible-playbook: \"Specified inventory, host pattern and/or --limit leaves us with no hosts to target\"); hint: add_host adds hosts as the play runs: limit to a host a play starts on as well (--limit web01,newhost)", limit)
	}
	if len(kept) == len(terms) {
		return limit, nil
	}
	return strings.Join(kept, ","), nil
}

// limitNames are the names of the hosts the run's pattern (-H or --limit)
// selects now, as Ansible evaluates it again for each play: the
// inventory's hosts, the hosts add_host added and the groups add_host and
// group_by made, by name, glob or regular expression; unions first, then
// intersections, then exclusions (Select's order). known are the run's
// hosts besides the inventory's.
func (e *executor) limitNames(pattern string, dyn map[string][]string, known []*inventory.Host) (map[string]bool, error) {
	resolve := func(text string) (map[string]bool, error) {
		names := map[string]bool{}
		hosts, err := e.opts.Inventory.Select(text, "")
		if err != nil && !errors.Is(err, inventory.ErrNoMatch) && !errors.Is(err, inventory.ErrUnknownName) {
			return nil, err
		}
		for _, h := range hosts {
			names[h.Name] = true
		}
		match := inventory.NameMatcher(text)
		groupMatched := false
		for g, members := range dyn {
			if match(g) {
				groupMatched = true
				for _, n := range members {
					names[n] = true
				}
			}
		}
		if !groupMatched || strings.HasPrefix(text, "~") || strings.ContainsAny(text, ".?*[") {
			for _, h := range known {
				if match(h.Name) {
					names[h.Name] = true
				}
			}
		}
		return names, nil
	}
	terms := inventory.PatternTerms(pattern)
	if !slices.ContainsFunc(terms, func(t string) bool { return !strings.HasPrefix(t, "!") && !strings.HasPrefix(t, "&") }) {
		terms = append([]string{inventory.GroupAll}, terms...)
	}
	selected := map[string]bool{}
	for _, pass := range []string{"", "&", "!"} {
		for _, t := range terms {
			op := ""
			if strings.HasPrefix(t, "!") || strings.HasPrefix(t, "&") {
				op = t[:1]
			}
			if op != pass {
				continue
			}
			names, err := resolve(strings.TrimPrefix(strings.TrimPrefix(t, "!"), "&"))
			if err != nil {
				return nil, err
			}
			if t == inventory.GroupAll || t == "*" {
				for _, h := range known {
					names[h.Name] = true
				}
			}
			for n := range selected {
				if op == "&" && !names[n] || op == "!" && names[n] {
					delete(selected, n)
				}
			}
			if op == "" {
				for n := range names {
					selected[n] = true
				}
			}
		}
	}
	return selected, nil
}
