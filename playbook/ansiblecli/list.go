package ansiblecli

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/remotectl/remotectl/playbook"
)

// List says what a listing shows: ansible-playbook's --list-hosts,
// --list-tasks and --list-tags, which run nothing.
type List struct{ Hosts, Tasks, Tags bool }

// Any reports whether some listing is asked for.
func (l List) Any() bool { return l.Hosts || l.Tasks || l.Tags }

// WriteSyntaxOK writes what ansible-playbook --syntax-check prints for a
// playbook that loads.
func WriteSyntaxOK(w io.Writer, file string) error {
	_, err := fmt.Fprintf(w, "\nplaybook: %s\n", file)
	return err
}

// Write writes the listings of plans, the plays of file with their hosts
// (after --limit) and tasks (after --tags, --skip-tags, --start-at-task),
// in ansible-playbook's layout.
func (l List) Write(w io.Writer, file string, plans []*playbook.PlayPlan) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "\nplaybook: %s\n", file)
	for i, p := range plans {
		fmt.Fprintf(b, "\n  play #%d (%s): %s\tTAGS: []\n", i+1, p.Play.Hosts, p.Play.Name)
		if l.Hosts {
			fmt.Fprintf(b, "    pattern: ['%s']\n    hosts (%d):\n", p.Play.Hosts, len(p.Hosts))
			for _, h := range p.Hosts {
				fmt.Fprintf(b, "      %s\n", h.Name)
			}
		}
		if l.Tasks {
			b.WriteString("    tasks:\n")
			for _, t := range p.Tasks {
				fmt.Fprintf(b, "      %s\tTAGS: [%s]\n", taskName(t), strings.Join(sortedTags(t.Tags), ", "))
			}
		}
		if l.Tags {
			var all []string
			for _, t := range p.Tasks {
				all = append(all, t.Tags...)
			}
			fmt.Fprintf(b, "      TASK TAGS: [%s]\n", strings.Join(sortedTags(all), ", "))
		}
	}
	return b.Flush()
}

// taskName is the task's name, else its action, as Ansible lists it.
func taskName(t *playbook.Task) string {
	if t.Name == "" { // the module, without its role (ansible-playbook's listing)
		if t.Key != "" {
			return t.Key
		}
		return t.Action.Kind()
	}
	return t.DisplayName() // "role : name" in a role
}

// sortedTags returns tags sorted, without repeats.
func sortedTags(tags []string) []string {
	out := slices.Clone(tags)
	slices.Sort(out)
	return slices.Compact(out)
}
