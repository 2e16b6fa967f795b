package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/internal/secret"
	"github.com/remotectl/remotectl/inventory"
)

// inventoryOptions are the flags and dependencies of the inventory
// commands.
type inventoryOptions struct {
	IO        *streams
	Settings  func() globals
	Inventory func(context.Context) (*inventory.Inventory, error)

	Host  string // inventory show
	Group string // inventory graph: the root group
}

// newInventoryCmd returns the inventory command; runF, when not nil, runs
// instead of runInventoryList, runInventoryShow and runInventoryGraph.
func newInventoryCmd(f *factory, runF func(context.Context, *inventoryOptions) error) *cobra.Command {
	o := &inventoryOptions{IO: f.IO, Settings: f.Settings, Inventory: f.Inventory, Group: "all"}
	listF, showF, graphF := runInventoryList, runInventoryShow, runInventoryGraph
	if runF != nil {
		listF, showF, graphF = runF, runF, runF
	}
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Inspect the inventory: list hosts, show one host's settings, graph groups",
		Long: `Inspect the inventory. -i names inventories (our YAML, Ansible INI/YAML, or an
executable dynamic inventory, detected automatically); -H selects hosts.
-o json gives machine-readable output.`,
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "list",
			Short: "List the selected hosts (default: all) with address, transport, user and groups",
			Args:  cobra.NoArgs,
			RunE:  func(cmd *cobra.Command, _ []string) error { return listF(cmd.Context(), o) },
		},
		&cobra.Command{
			Use:               "show HOST",
			Short:             "Show a host's settings and merged variables, and where each variable came from",
			Args:              exactArgs(1, "show needs one host name: remotectl inventory show HOST"),
			ValidArgsFunction: completeHostNames(f),
			RunE: func(cmd *cobra.Command, args []string) error {
				o.Host = args[0]
				return showF(cmd.Context(), o)
			},
		},
		&cobra.Command{
			Use:   "graph [GROUP]",
			Short: "Show the group tree with its hosts (default from the group all)",
			Args:  cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if len(args) == 1 {
					o.Group = args[0]
				}
				return graphF(cmd.Context(), o)
			},
		},
	)
	return cmd
}

func exactArgs(n int, msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s", msg)}
		}
		return nil
	}
}

func completeHostNames(f *factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 || f.LoadSettings(cmd) != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		inv, err := f.Inventory(completionContext(cmd))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, h := range inv.Hosts() {
			if strings.HasPrefix(h.Name, toComplete) {
				out = append(out, h.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// hostView is the JSON shape of a host in `inventory list/show`.
type hostView struct {
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

func (o *inventoryOptions) hostView(g globals, h *inventory.Host, details bool) hostView {
	t := g.target(h)
	v := hostView{
		Name:      h.Name,
		Address:   t.Addr(),
		Port:      h.Port,
		Transport: t.Transport,
		User:      h.User,
		Groups:    h.Groups,
		Source:    h.Pos.String(),
	}
	if v.Groups == nil {
		v.Groups = []string{}
	}
	if details {
		v.Vars, v.VarOrigin, v.Conn = o.shownVars(h), h.VarOrigins(), h.Conn.Settings()
	}
	return v
}

// shownVars returns a copy of the host's variables fit to print: a secret
// variable (inventory.IsSecretVar) is shown as secret.Mask, and its value
// is masked wherever another variable holds it.
func (o *inventoryOptions) shownVars(h *inventory.Host) map[string]any {
	if h.Vars == nil {
		return nil
	}
	m := &secret.Masker{}
	m.Add(o.IO.hostSecrets([]*inventory.Host{h})...)
	out := make(map[string]any, len(h.Vars))
	for k, val := range h.Vars {
		if inventory.IsSecretVar(k) {
			out[k] = secret.Mask
		} else {
			out[k] = m.RedactValue(val)
		}
	}
	return out
}

func runInventoryList(ctx context.Context, o *inventoryOptions) error {
	g := o.Settings()
	inv, hosts, err := selectHosts(ctx, o.Inventory, g)
	if err != nil {
		return err
	}
	if g.Output == "json" {
		views := make([]hostView, len(hosts))
		for i, h := range hosts {
			views[i] = o.hostView(g, h, false)
		}
		sources := inv.Sources()
		if sources == nil {
			sources = []inventory.Source{}
		}
		return writeJSON(o.IO.Out, map[string]any{"sources": sources, "hosts": views})
	}
	tw := tabwriter.NewWriter(o.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tADDRESS\tTRANSPORT\tUSER\tGROUPS")
	for _, h := range hosts {
		v := o.hostView(g, h, false)
		addr := v.Address
		if v.Port != 0 {
			addr += ":" + strconv.Itoa(v.Port)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.Name, addr, v.Transport, dash(v.User), strings.Join(userGroups(v.Groups), ","))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !g.Quiet {
		fmt.Fprintf(o.IO.Err, "%d hosts\n", len(hosts))
	}
	return nil
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

func runInventoryShow(ctx context.Context, o *inventoryOptions) error {
	g, name := o.Settings(), o.Host
	inv, err := o.Inventory(ctx)
	if err != nil {
		return err
	}
	h, ok := inv.Host(name)
	if !ok {
		// Select gives the "did you mean" error for unknown names.
		if _, err := inv.Select(name, ""); err != nil {
			return usageError{err}
		}
		return usageError{fmt.Errorf("%q is a group, not a host: try remotectl inventory list -H %s", name, name)}
	}
	v := o.hostView(g, h, true)
	if g.Output == "json" {
		return writeJSON(o.IO.Out, v)
	}
	w := o.IO.Out
	fmt.Fprintf(w, "host:       %s\n", v.Name)
	if v.Source != "" {
		fmt.Fprintf(w, "defined at: %s\n", v.Source)
	}
	fmt.Fprintf(w, "address:    %s\n", v.Address)
	if v.Port != 0 {
		fmt.Fprintf(w, "port:       %d\n", v.Port)
	}
	fmt.Fprintf(w, "transport:  %s\n", v.Transport)
	fmt.Fprintf(w, "user:       %s\n", dash(v.User))
	fmt.Fprintf(w, "groups:     %s\n", strings.Join(v.Groups, ", "))
	if len(v.Conn) > 0 {
		fmt.Fprintln(w, "connection:")
		for _, k := range sortedKeys(v.Conn) {
			fmt.Fprintf(w, "  %s: %s\n", k, v.Conn[k])
		}
	}
	if len(v.Vars) > 0 {
		fmt.Fprintln(w, "vars:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, k := range sortedKeys(v.Vars) {
			val, _ := json.Marshal(v.Vars[k])
			fmt.Fprintf(tw, "  %s:\t%s\t# from %s\n", k, val, dash(v.VarOrigin[k]))
		}
		return tw.Flush()
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// graphNode is the JSON shape of `inventory graph`.
type graphNode struct {
	Group    string      `json:"group"`
	Hosts    []string    `json:"hosts,omitempty"`
	Children []graphNode `json:"children,omitempty"`
}

func runInventoryGraph(ctx context.Context, o *inventoryOptions) error {
	root := o.Group
	inv, err := o.Inventory(ctx)
	if err != nil {
		return err
	}
	if _, ok := inv.Group(root); !ok {
		return usageError{fmt.Errorf("no group %q in the inventory (see remotectl inventory graph)", root)}
	}
	node := buildGraph(inv, root, map[string]bool{})
	if o.Settings().Output == "json" {
		return writeJSON(o.IO.Out, node)
	}
	printGraph(o.IO.Out, node, "")
	return nil
}

func buildGraph(inv *inventory.Inventory, name string, seen map[string]bool) graphNode {
	g, _ := inv.Group(name)
	n := graphNode{Group: name, Hosts: g.Hosts}
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

// printGraph draws the tree like ansible-inventory --graph.
func printGraph(w io.Writer, n graphNode, indent string) {
	if indent == "" {
		fmt.Fprintf(w, "@%s:\n", n.Group)
	}
	for _, c := range n.Children {
		fmt.Fprintf(w, "%s  |--@%s:\n", indent, c.Group)
		printGraph(w, c, indent+"  |  ")
	}
	for _, h := range n.Hosts {
		fmt.Fprintf(w, "%s  |--%s\n", indent, h)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
