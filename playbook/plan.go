package playbook

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/nodeset"
)

// WritePlan writes what a run would do (--check): each play's batches with
// their folded host sets, then each task with the hosts it applies to.
// A when: reading only variables known before the run is evaluated per
// host; one reading facts or registered results is decided at run time.
func WritePlan(w io.Writer, pb *Playbook, plans []*PlayPlan, extra map[string]any) error {
	var b strings.Builder
	b.WriteString("PLAN (check mode: modules report what they would change, and change nothing)\n")
	for _, plan := range plans {
		play := plan.Play
		fmt.Fprintf(&b, "PLAY [%s] %s\n", play.Name, play.about(len(plan.Hosts)))
		if len(plan.Hosts) == 0 {
			b.WriteString("  no host matches\n")
			continue
		}
		for i, batch := range plan.Batches {
			fmt.Fprintf(&b, "  batch %d/%d: %s\n", i+1, len(plan.Batches), nodeset.Fold(hostNames(batch)))
		}
		for i, t := range plan.Tasks {
			fmt.Fprintf(&b, "  task %d [%s] %s: %s\n", i+1, t.DisplayName(), t.Action.Kind(), taskHosts(pb, play, t, plan.Hosts, extra))
		}
		for _, h := range play.Handlers {
			fmt.Fprintf(&b, "  handler [%s] %s: when notified\n", h.DisplayName(), h.Action.Kind())
		}
	}
	_, err := io.WriteString(w, pb.Secrets.Redact(b.String()))
	return err
}

// runTimeNames are the names only known once tasks run (and the facts,
// each as ansible_NAME).
var runTimeNames = []string{"ansible_facts", "result"}

// taskHosts describes the hosts a task applies to.
func taskHosts(pb *Playbook, play *Play, t *Task, hosts []*inventory.Host, extra map[string]any) string {
	all := nodeset.Fold(hostNames(hosts))
	if t.When == nil {
		return all
	}
	if decidedAtRunTime(pb, t.When) || t.Loop != nil {
		return fmt.Sprintf("%s, when %q decided at run time", all, t.When.Src)
	}
	var yes, no, unknown []string
	for _, h := range hosts {
		vars := maps.Clone(h.Vars)
		if vars == nil {
			vars = map[string]any{}
		}
		for _, layer := range []map[string]any{play.Vars, play.FileVars, extra} {
			maps.Copy(vars, layer)
		}
		vars["inventory_hostname"] = h.Name
		ok, err := t.When.eval(vars)
		switch {
		case err != nil:
			unknown = append(unknown, h.Name)
		case ok:
			yes = append(yes, h.Name)
		default:
			no = append(no, h.Name)
		}
	}
	out := "none"
	if len(yes) > 0 {
		out = nodeset.Fold(yes)
	}
	if len(no) > 0 {
		out += fmt.Sprintf(" (skipped on %s: %s is false)", nodeset.Fold(no), t.When.Src)
	}
	if len(unknown) > 0 {
		out += fmt.Sprintf(" (%s: decided at run time)", nodeset.Fold(unknown))
	}
	return out
}

// decidedAtRunTime reports whether a condition reads facts or registered
// results.
func decidedAtRunTime(pb *Playbook, c *Cond) bool {
	for _, name := range c.Names {
		fact, isFact := strings.CutPrefix(name, "ansible_")
		if slices.Contains(runTimeNames, name) || isFact && slices.Contains(factNames, fact) {
			return true
		}
		for _, play := range pb.Plays {
			for _, t := range append(append([]*Task(nil), play.Tasks...), play.Handlers...) {
				if t.Register == name {
					return true
				}
			}
		}
	}
	return false
}
