package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

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
			return usageError{Err: fmt.Errorf("%s", msg)}
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
		return inv.CompleteHost(toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

func runInventoryList(ctx context.Context, o *inventoryOptions) error {
	g := o.Settings()
	inv, hosts, err := selectHosts(ctx, o.Inventory, g)
	if err != nil {
		return err
	}
	if g.Output == "json" {
		return writeJSON(o.IO.Out, inventory.NewList(inv, hosts))
	}
	if err := inventory.WriteTable(o.IO.Out, hosts); err != nil {
		return err
	}
	if !g.Quiet {
		fmt.Fprintf(o.IO.Err, "%d hosts\n", len(hosts))
	}
	return nil
}

func runInventoryShow(ctx context.Context, o *inventoryOptions) error {
	inv, err := o.Inventory(ctx)
	if err != nil {
		return err
	}
	h, ok := inv.Host(o.Host)
	if !ok {
		// Select gives the "did you mean" error for unknown names.
		if _, err := inv.Select(o.Host, ""); err != nil {
			return usageError{Err: err}
		}
		return usageError{Err: fmt.Errorf("%q is a group, not a host: try remotectl inventory list -H %s", o.Host, o.Host)}
	}
	v := h.View(true, o.IO.Getenv)
	if o.Settings().Output == "json" {
		return writeJSON(o.IO.Out, v)
	}
	return v.WriteText(o.IO.Out)
}

func runInventoryGraph(ctx context.Context, o *inventoryOptions) error {
	inv, err := o.Inventory(ctx)
	if err != nil {
		return err
	}
	if _, ok := inv.Group(o.Group); !ok {
		return usageError{Err: fmt.Errorf("no group %q in the inventory (see remotectl inventory graph)", o.Group)}
	}
	node := inv.Graph(o.Group)
	if o.Settings().Output == "json" {
		return writeJSON(o.IO.Out, node)
	}
	inventory.WriteGraph(o.IO.Out, node)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
