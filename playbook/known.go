package playbook

import (
	"errors"
	"fmt"

	"github.com/remotectl/remotectl/inventory"
)

// KnownVars are the variable names defined outside the playbook, for
// LoadOptions.KnownVars: every variable of inv's hosts (the implicit
// localhost included) and of extra (-e).
func KnownVars(inv *inventory.Inventory, extra map[string]any) []string {
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, h := range inv.Hosts() {
		for n := range h.Vars {
			add(n)
		}
	}
	if h, ok := inv.Host("localhost"); ok {
		for n := range h.Vars {
			add(n)
		}
	}
	for n := range extra {
		add(n)
	}
	return names
}

// CheckTags returns a ParseError at file for every tag of tags (--tags,
// --skip-tags) that no task carries, with the closest tag as hint, joined;
// nil when every tag is known.
func (pb *Playbook) CheckTags(file string, tags ...[]string) error {
	var errs []error
	for _, list := range tags {
		for _, tag := range pb.UnknownTags(list) {
			errs = append(errs, &ParseError{Pos: file, Msg: fmt.Sprintf("no task has the tag %q", tag), Hint: pb.TagHint(tag)})
		}
	}
	return errors.Join(errs...)
}
