package playbook

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
)

// PlayPlan is a play with its hosts selected and cut into batches.
type PlayPlan struct {
	Play    *Play
	Hosts   []*inventory.Host
	Batches [][]*inventory.Host
	Tasks   []*Task // after --tags, --skip-tags and --start-at-task
	// Unmatched says why the play has no hosts when its pattern, a single
	// name, is no host or group of the inventory: Ansible warns and skips
	// the play ("Could not match supplied host pattern, ignoring").
	Unmatched string
	// Ignored are the terms of the play's pattern that match nothing, left
	// out as Ansible leaves them out, with its warning ("Could not match
	// supplied host pattern, ignoring: dbservers"); an "&" term matching
	// nothing leaves the play no host, as Ansible's intersection does.
	Ignored []string

	stepsOnce sync.Once
	stepList  []*Task
}

// Selection narrows what runs: the limit pattern and task filters.
type Selection struct {
	Hosts       string   // host pattern (-H) intersected with each play's hosts
	Limit       string   // another pattern (--limit) intersected with them
	Tags        []string // run only tasks with one of these tags (and tasks tagged always)
	SkipTags    []string // never run tasks with one of these tags
	StartAtTask string   // skip the tasks before the first one with this name
	// Keep says whether --shard keeps a host of the inventory (nil keeps
	// all): a host no play started on may join a later play (add_host,
	// group_by) only if it does.
	Keep func(name string) bool
}

// Prepare selects each play's hosts and tasks and cuts the hosts into
// batches, without connecting anywhere. A play whose pattern selects no host
// is kept, with no batch.
func Prepare(pb *Playbook, inv *inventory.Inventory, sel Selection) ([]*PlayPlan, error) {
	plans := make([]*PlayPlan, 0, len(pb.Plays))
	started := sel.StartAtTask == ""
	var only map[string]bool
	if sel.Hosts != "" {
		hosts, err := inv.Select(sel.Hosts, "")
		if err != nil {
			return nil, err
		}
		only = make(map[string]bool, len(hosts))
		for _, h := range hosts {
			only[h.Name] = true
		}
	}
	if pb.groupBy && sel.Limit != "" {
		limit, err := startLimit(inv, sel.Limit)
		if err != nil {
			return nil, err
		}
		sel.Limit = limit
	}
	for _, play := range pb.Plays {
		// Ansible's patterns and host order; "hosts: localhost" is the
		// implicit localhost the inventory gives (LoadOptions.ImplicitLocalhost).
		hosts, err := inv.SelectAnsible(play.Hosts, sel.Limit)
		if len(inv.Sources()) == 0 {
			// No inventory at all: remotectl's default, "all" is the
			// implicit localhost (Ansible's would select nothing).
			hosts, err = inv.Select(play.Hosts, sel.Limit)
		}
		if h := implicitLocalhost(inv, play.Hosts, sel.Limit); h != nil && len(hosts) == 0 {
			hosts, err = []*inventory.Host{h}, nil
		}
		unmatched := ""
		var ignored []string
		if errors.Is(err, inventory.ErrUnknownName) && unknownPlayName(inv, play.Hosts, sel.Limit) {
			unmatched, hosts, err = err.Error(), nil, nil
		} else if (errors.Is(err, inventory.ErrUnknownName) || errors.Is(err, inventory.ErrNoMatch)) && limitKnown(inv, sel.Limit) {
			var pattern string
			if pattern, ignored = matchedTerms(inv, play.Hosts); len(ignored) > 0 {
				hosts, err = inv.SelectAnsible(pattern, sel.Limit)
				if pattern == "" {
					hosts, err = nil, nil
					unmatched = fmt.Sprintf("%s matches no host or group of the inventory", quoteTerms(ignored))
				}
			}
		}
		if err != nil && !errors.Is(err, inventory.ErrNoMatch) && !pb.groupBy {
			return nil, fmt.Errorf("%s: hosts: %w", play.Pos, err)
		}
		if err != nil {
			hosts = nil // a group group_by makes: selected when the play runs
		}
		hosts = orderHosts(play.Order, hosts)
		if only != nil {
			hosts = slices.DeleteFunc(slices.Clone(hosts), func(h *inventory.Host) bool { return !only[h.Name] })
		}
		plan := &PlayPlan{Play: play, Hosts: hosts, Batches: Batches(play.Serial, hosts), Unmatched: unmatched, Ignored: ignored}
		for _, t := range play.Tasks {
			if !started && t.Name == sel.StartAtTask {
				started = true
			}
			if started && selectedByTags(t, sel.Tags, sel.SkipTags) {
				plan.Tasks = append(plan.Tasks, t)
			}
		}
		if err := checkHostFamilies(plan); err != nil {
			return nil, err
		}
		plans = append(plans, plan)
	}
	if !started {
		return nil, fmt.Errorf("--start-at-task %q: no task has that name", sel.StartAtTask)
	}
	return plans, nil
}

// unknownPlayName reports whether a play's pattern is a single name the
// inventory does not know, the limit being fine: Ansible skips such a
// play with a warning. A name among others is left out by matchedTerms.
func unknownPlayName(inv *inventory.Inventory, pattern, limit string) bool {
	if pattern == "" || strings.ContainsAny(pattern, ":,&!*?[]{} ") {
		return false
	}
	return limitKnown(inv, limit)
}

// limitKnown reports whether the limit, if any, names only what the
// inventory knows: an unknown limit stays the run's error.
func limitKnown(inv *inventory.Inventory, limit string) bool {
	if limit == "" {
		return true
	}
	_, err := inv.SelectAnsible("all", limit)
	return !errors.Is(err, inventory.ErrUnknownName)
}

// matchedTerms is a play's pattern without its terms that match no host or
// group (Ansible's _evaluate_patterns ignores each with a warning: "all"
// and "ungrouped" never warn), and those terms. An "&" term that matches
// nothing empties the selection: the pattern returned is then "".
func matchedTerms(inv *inventory.Inventory, pattern string) (string, []string) {
	var kept, ignored []string
	union := false
	for _, t := range inventory.PatternTerms(pattern) {
		name := strings.TrimLeft(t, "!&")
		_, err := inv.SelectAnsible(name, "")
		if !errors.Is(err, inventory.ErrUnknownName) && !errors.Is(err, inventory.ErrNoMatch) {
			kept = append(kept, t)
			union = union || !strings.HasPrefix(t, "!") && !strings.HasPrefix(t, "&")
			continue
		}
		if name != "all" && name != "ungrouped" {
			ignored = append(ignored, name)
		}
		if strings.HasPrefix(t, "&") {
			return "", ignored
		}
	}
	if !union {
		return "", ignored
	}
	return strings.Join(kept, ","), ignored
}

// quoteTerms is terms quoted and joined: "a", "b".
func quoteTerms(terms []string) string {
	q := make([]string, len(terms))
	for i, t := range terms {
		q[i] = fmt.Sprintf("%q", t)
	}
	return strings.Join(q, ", ")
}

// checkHostFamilies refuses a play that runs a POSIX module on a host the
// inventory reaches with WinRM: the module could not run there. (A win_*
// module on another host fails when it runs: SSH may reach Windows.)
func checkHostFamilies(plan *PlayPlan) error {
	var errs []error
	var walk func(tasks []*Task)
	walk = func(tasks []*Task) {
		for _, t := range tasks {
			if inc, ok := t.Action.(*IncludeAction); ok {
				walk(inc.Tasks)
				continue
			}
			ma, ok := t.Action.(*ModuleAction)
			if !ok || t.DelegateTo != nil {
				continue
			}
			for _, h := range plan.Hosts {
				windows := h.Transport == remote.KindWinRM && plan.Play.Connection == "" || plan.Play.Connection == "winrm"
				if !windows || ma.Module.Windows || anyFamily(ma.Module) {
					continue
				}
				errs = append(errs, &ParseError{Pos: t.Pos, Msg: fmt.Sprintf("host %s: %s", h.Name, osMismatch(ma.Module, windows)),
					Hint: "run the task only on the hosts of its family (hosts:, when: ansible_os_family == ...)"})
				break
			}
		}
	}
	walk(plan.Tasks)
	walk(plan.Play.Handlers)
	return errors.Join(errs...)
}

// implicitLocalhost is Ansible's implicit localhost for a play whose
// hosts: is localhost (or 127.0.0.1) when the inventory has no such host:
// the controller, through the local transport, in no group. nil when the
// inventory has it (or the pattern is another).
func implicitLocalhost(inv *inventory.Inventory, pattern, limit string) *inventory.Host {
	if pattern != "localhost" && pattern != "127.0.0.1" {
		return nil
	}
	if _, ok := inv.Host(pattern); ok {
		return nil
	}
	if limit != "" && limit != "all" && limit != pattern {
		return nil
	}
	return &inventory.Host{Name: pattern, Transport: remote.KindLocal, Implicit: true, Vars: map[string]any{}}
}

// orderHosts orders a play's hosts as its order: keyword.
func orderHosts(order string, hosts []*inventory.Host) []*inventory.Host {
	out := slices.Clone(hosts)
	byName := func(a, b *inventory.Host) int { return strings.Compare(a.Name, b.Name) }
	switch order {
	case "sorted":
		slices.SortStableFunc(out, byName)
	case "reverse_sorted":
		slices.SortStableFunc(out, func(a, b *inventory.Host) int { return byName(b, a) })
	case "reverse_inventory":
		slices.Reverse(out)
	case "shuffle":
		rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out
}

// selectedByTags applies --tags and --skip-tags: tagged always runs unless
// skipped explicitly, tagged never runs only when asked for by tag.
func selectedByTags(t *Task, tags, skip []string) bool {
	if t.implicit {
		return true // the handler flush between a play's sections always happens
	}
	for _, tag := range t.Tags {
		if slices.Contains(skip, tag) {
			return false
		}
	}
	if len(tags) == 0 || slices.Contains(tags, "all") {
		return !slices.Contains(t.Tags, "never")
	}
	for _, tag := range t.Tags {
		if tag == "always" || slices.Contains(tags, tag) {
			return true
		}
	}
	return false
}

// UnknownTags returns the tags of tags that no task of pb carries (the
// special tags all, always and never are always known).
func (pb *Playbook) UnknownTags(tags []string) []string {
	var out []string
	for _, tag := range tags {
		switch tag {
		case "all", "always", "never":
			continue
		}
		if !slices.Contains(pb.Tags, tag) {
			out = append(out, tag)
		}
	}
	return out
}

// TagHint suggests the tag closest to tag.
func (pb *Playbook) TagHint(tag string) string {
	if len(pb.Tags) == 0 {
		return "no task of the playbook has tags:"
	}
	return yamlnode.DidYouMean(tag, pb.Tags)
}

// Batches cuts hosts into batches by serial: each amount is a batch size
// (a percentage is of all the play's hosts, rounded down, at least 1), the
// last size repeats until every host has a batch. No serial is one batch.
func Batches(serial []Amount, hosts []*inventory.Host) [][]*inventory.Host {
	if len(hosts) == 0 {
		return nil
	}
	if len(serial) == 0 {
		return [][]*inventory.Host{hosts}
	}
	var out [][]*inventory.Host
	rest := hosts
	for i := 0; len(rest) > 0; i++ {
		step := serial[min(i, len(serial)-1)]
		size := max(1, step.of(len(hosts)))
		size = min(size, len(rest))
		out = append(out, rest[:size])
		rest = rest[size:]
	}
	return out
}

// maxFailExceeded reports whether failed hosts (in total, over the batches
// run so far) are more than the play's max_fail allows: more than N hosts,
// or more than N% of the play's hosts.
func maxFailExceeded(limit *Amount, failed, total int) bool {
	if limit == nil {
		return false
	}
	if limit.Percent {
		return failed*100 > limit.N*total
	}
	return failed > limit.N
}
