package inventory

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/remotectl/remotectl/internal/secret"
	"github.com/remotectl/remotectl/internal/termtext"
	"github.com/remotectl/remotectl/remote"
)

// View is a host as remotectl inventory list and show print it, and its
// JSON shape.
type View struct {
	Name      string            `json:"name"`
	Address   string            `json:"address"`
	Port      int               `json:"port,omitempty"`
	Transport string            `json:"transport"`
	User      string            `json:"user,omitempty"`
	Groups    []string          `json:"groups"`
	Source    string            `json:"source,omitempty"`
	Vars      map[string]any    `json:"vars,omitempty"`
	VarOrigin map[string]string `json:"var_origin,omitempty"`
	Conn      map[string]string `json:"connection,omitempty"`
}

// View returns the host's view; with details, its variables (secrets
// masked: getenv reads the variables password_env names), where each came
// from, and its connection settings.
func (h *Host) View(details bool, getenv func(string) string) View {
	v := View{
		Name:      h.Name,
		Address:   h.Addr(),
		Port:      h.Port,
		Transport: h.Transport,
		User:      h.User,
		Groups:    h.Groups,
		Source:    h.Pos.String(),
	}
	if v.Transport == "" {
		v.Transport = remote.KindSSH
	}
	if v.Groups == nil {
		v.Groups = []string{}
	}
	if details {
		v.Vars, v.VarOrigin, v.Conn = h.shownVars(getenv), h.VarOrigins(), h.ConnSettings()
	}
	return v
}

// shownVars returns a copy of the host's variables fit to print: a secret
// variable (IsSecretVar) is shown as secret.Mask, and its value is masked
// wherever another variable holds it.
func (h *Host) shownVars(getenv func(string) string) map[string]any {
	if h.Vars == nil {
		return nil
	}
	m := &secret.Masker{}
	m.Add(SecretsOf([]*Host{h}, getenv)...)
	out := make(map[string]any, len(h.Vars))
	for k, val := range h.Vars {
		if IsSecretVar(k) {
			out[k] = secret.Mask
		} else {
			out[k] = m.RedactValue(val)
		}
	}
	return out
}

// List is the JSON document of remotectl inventory list: the selected
// hosts' views and the inventory's sources.
type List struct {
	Hosts   []View   `json:"hosts"`
	Sources []Source `json:"sources"`
}

// NewList returns the list document of hosts, selected from inv.
func NewList(inv *Inventory, hosts []*Host) List {
	l := List{Hosts: make([]View, len(hosts)), Sources: inv.Sources()}
	for i, h := range hosts {
		l.Hosts[i] = h.View(false, nil)
	}
	if l.Sources == nil {
		l.Sources = []Source{}
	}
	return l
}

// WriteTable writes hosts as a table, one host a line (remotectl inventory
// list).
//
// The text views (WriteTable, WriteText, WriteGraph) are terminal-safe:
// names, addresses and variables come from inventory files and dynamic
// inventory scripts, so their control characters and invalid UTF-8 are
// shown escaped (\x1b), as report.Printable shows a host's output. JSON
// keeps them exact.
func WriteTable(w io.Writer, hosts []*Host) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tADDRESS\tTRANSPORT\tUSER\tGROUPS")
	for _, h := range hosts {
		v := h.View(false, nil)
		addr := v.Address
		if v.Port != 0 {
			addr += ":" + strconv.Itoa(v.Port)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", termtext.Printable(v.Name), termtext.Printable(addr), termtext.Printable(v.Transport),
			termtext.Printable(dash(v.User)), termtext.Printable(strings.Join(userGroups(v.Groups), ",")))
	}
	return tw.Flush()
}

// WriteText writes the view of one host, variables aligned, each with
// where it came from (remotectl inventory show).
func (v View) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "host:       %s\n", termtext.Printable(v.Name))
	if v.Source != "" {
		fmt.Fprintf(w, "defined at: %s\n", termtext.Printable(v.Source))
	}
	fmt.Fprintf(w, "address:    %s\n", termtext.Printable(v.Address))
	if v.Port != 0 {
		fmt.Fprintf(w, "port:       %d\n", v.Port)
	}
	fmt.Fprintf(w, "transport:  %s\n", termtext.Printable(v.Transport))
	fmt.Fprintf(w, "user:       %s\n", termtext.Printable(dash(v.User)))
	fmt.Fprintf(w, "groups:     %s\n", termtext.Printable(strings.Join(v.Groups, ", ")))
	if len(v.Conn) > 0 {
		fmt.Fprintln(w, "connection:")
		for _, k := range sortedKeys(v.Conn) {
			fmt.Fprintf(w, "  %s: %s\n", termtext.Printable(k), termtext.Printable(v.Conn[k]))
		}
	}
	if len(v.Vars) > 0 {
		fmt.Fprintln(w, "vars:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, k := range sortedKeys(v.Vars) {
			fmt.Fprintf(tw, "  %s:\t%s\t# from %s\n", termtext.Printable(k), valueText(v.Vars[k]), termtext.Printable(dash(v.VarOrigin[k])))
		}
		return tw.Flush()
	}
	return nil
}

// MarshalJSON is the JSON shape of View, refusing variables JSON cannot
// hold: YAML's .inf, -.inf and .nan, which ansible-inventory writes as
// Infinity and NaN, which are not JSON either.
func (v View) MarshalJSON() ([]byte, error) {
	for _, k := range sortedKeys(v.Vars) {
		if text, bad := nonFinite(v.Vars[k]); bad {
			return nil, fmt.Errorf("host %s: variable %s holds %s, which JSON cannot represent (see it with remotectl inventory show %s, without -o json)",
				v.Name, k, text, v.Name)
		}
	}
	type plain View
	return json.Marshal(plain(v))
}

// nonFinite reports whether a value holds a non-finite float, and its YAML
// spelling.
func nonFinite(val any) (string, bool) {
	switch x := val.(type) {
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return yamlFloat(x), true
		}
	case map[string]any:
		for _, e := range x {
			if t, bad := nonFinite(e); bad {
				return t, true
			}
		}
	case []any:
		for _, e := range x {
			if t, bad := nonFinite(e); bad {
				return t, true
			}
		}
	}
	return "", false
}

// yamlFloat spells a non-finite float as YAML (and ansible-inventory --yaml) does.
func yamlFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case f > 0:
		return ".inf"
	}
	return "-.inf"
}

// valueText writes a variable's value for the text view: JSON (which
// escapes control characters, \u001b), with non-finite floats as YAML's
// .inf, -.inf and .nan.
func valueText(val any) string {
	switch x := val.(type) {
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return yamlFloat(x)
		}
	case map[string]any:
		if _, bad := nonFinite(x); bad {
			parts := make([]string, 0, len(x))
			for _, k := range sortedKeys(x) {
				key, _ := json.Marshal(k)
				parts = append(parts, string(key)+":"+valueText(x[k]))
			}
			return "{" + strings.Join(parts, ",") + "}"
		}
	case []any:
		if _, bad := nonFinite(x); bad {
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = valueText(e)
			}
			return "[" + strings.Join(parts, ",") + "]"
		}
	}
	out, err := json.Marshal(val)
	if err != nil {
		return fmt.Sprint(val)
	}
	return string(out)
}

// userGroups drops the implicit "all" group from a list for display.
func userGroups(groups []string) []string {
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		if g != "all" {
			out = append(out, g)
		}
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// GraphNode is a group with its hosts and child groups (remotectl
// inventory graph), and its JSON shape.
type GraphNode struct {
	Group    string      `json:"group"`
	Hosts    []string    `json:"hosts,omitempty"`
	Children []GraphNode `json:"children,omitempty"`
}

// Graph returns the group tree from the group root.
func (inv *Inventory) Graph(root string) GraphNode { return buildGraph(inv, root, map[string]bool{}) }

func buildGraph(inv *Inventory, name string, seen map[string]bool) GraphNode {
	g, _ := inv.Group(name)
	n := GraphNode{Group: name, Hosts: g.Hosts}
	if seen[name] { // cycles are rejected by the loader; stay safe anyway
		return n
	}
	seen[name] = true
	defer delete(seen, name)
	for _, c := range g.Children {
		n.Children = append(n.Children, buildGraph(inv, c, seen))
	}
	return n
}

// WriteGraph draws the tree like ansible-inventory --graph.
func WriteGraph(w io.Writer, n GraphNode) { writeGraph(w, n, "") }

func writeGraph(w io.Writer, n GraphNode, indent string) {
	if indent == "" {
		fmt.Fprintf(w, "@%s:\n", termtext.Printable(n.Group))
	}
	for _, c := range n.Children {
		fmt.Fprintf(w, "%s  |--@%s:\n", indent, termtext.Printable(c.Group))
		writeGraph(w, c, indent+"  |  ")
	}
	for _, h := range n.Hosts {
		fmt.Fprintf(w, "%s  |--%s\n", indent, termtext.Printable(h))
	}
}
