package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/shard"
)

// loadInventory loads the inventories named by the settings. Broken data is
// an input error (exit 65) whose message names file:line:col. A dynamic
// inventory is bounded by --inventory-timeout (or --timeout, when lower)
// and by ctx: Ctrl-C stops it (exit 130), a run's --deadline too (exit 4).
func (a *app) loadInventory(ctx context.Context) (*inventory.Inventory, error) {
	return a.loadInventoryFrom(ctx, a.g.Inventories, inventory.LoadOptions{})
}

// loadInventoryFrom loads the inventories paths as loadInventory does,
// with the Ansible options of opts (Decrypt, PlaybookDir,
// ImplicitLocalhost).
func (a *app) loadInventoryFrom(ctx context.Context, paths []string, opts inventory.LoadOptions) (*inventory.Inventory, error) {
	opts.ScriptTimeout = a.g.InventoryTimeout
	opts.ScriptTimeoutHint = fmt.Sprintf("make the script faster, or raise --inventory-timeout (now %s)", a.g.InventoryTimeout)
	opts.Transports = a.transports.settings()
	if a.g.Timeout > 0 && a.g.Timeout < opts.ScriptTimeout {
		opts.ScriptTimeout = a.g.Timeout
		opts.ScriptTimeoutHint = fmt.Sprintf("make the script faster, or raise --timeout (now %s), which bounds it too, and --inventory-timeout", a.g.Timeout)
	}
	inv, err := inventory.LoadContext(ctx, paths, opts)
	var ie *inventory.Error
	switch {
	case err == nil:
		return inv, nil
	case errors.Is(err, context.Canceled):
		return nil, err
	case errors.Is(err, context.DeadlineExceeded) && errors.As(err, &ie):
		ie.Hint = "the run's --deadline passed before the inventory was loaded: no host was contacted"
		return nil, err
	}
	return nil, inputError{Err: err}
}

// selectHosts loads the inventory and applies -H (default all) and --limit,
// for the commands that only look at hosts. A pattern that names nothing is
// a usage error listing the closest known names.
func selectHosts(ctx context.Context, load func(context.Context) (*inventory.Inventory, error), g globals) (*inventory.Inventory, []*inventory.Host, error) {
	inv, err := load(ctx)
	if err != nil {
		return nil, nil, err
	}
	hosts, err := g.selected(inv)
	return inv, hosts, err
}

// selectTargets applies -H and --limit for command, which acts on hosts
// (exec, check, copy, fetch). When an inventory is loaded the target must be
// explicit, as ansible, pdsh and clush want one: no -H is a usage error, not
// every host; with no inventory at all -H defaults to the implicit
// localhost. An inventory without hosts selects nothing (usage error).
func (g globals) selectTargets(inv *inventory.Inventory, command string) ([]*inventory.Host, error) {
	if err := inv.CheckHosts(); err != nil {
		return nil, usageError{Err: err}
	}
	if strings.TrimSpace(g.Hosts) == "" && len(g.Inventories) > 0 {
		return nil, usageError{Err: fmt.Errorf("%s needs a target: name the hosts of %s with -H PATTERN; hint: -H all for every host",
			command, strings.Join(g.Inventories, ", "))}
	}
	return g.selected(inv)
}

// selected applies -H, --limit and --shard K/N (part K of what they select;
// possibly no host, then the shard has nothing to do).
func (g globals) selected(inv *inventory.Inventory) ([]*inventory.Host, error) {
	hosts, err := inv.Select(g.Hosts, g.Limit)
	if err != nil {
		return nil, usageError{Err: err}
	}
	return shard.Keep(g.Shard, hosts, hostName), nil
}

func hostName(h *inventory.Host) string { return h.Name }

// targets turns inventory hosts into runner targets, applying global defaults.
func (g globals) targets(hosts []*inventory.Host) []remote.Target {
	out := make([]remote.Target, len(hosts))
	for i, h := range hosts {
		out[i] = g.target(h)
	}
	return out
}

// target is h as a runner target. A host's own connect timeout wins; then
// an explicit --connect-timeout; then the transport's (ssh_config's
// ConnectTimeout, else the default).
func (g globals) target(h *inventory.Host) remote.Target {
	var connectTimeout time.Duration
	if g.ConnectTimeoutSet {
		connectTimeout = g.ConnectTimeout
	}
	return h.Target(connectTimeout)
}

// registerHostCompletion completes -H/--hosts and --limit with the host and
// group names of the inventory named on the command line so far.
func registerHostCompletion(f *factory, root *cobra.Command) {
	complete := func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if err := f.LoadSettings(cmd); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		inv, err := f.Inventory(completionContext(cmd))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return inv.CompletePattern(toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	_ = root.RegisterFlagCompletionFunc("hosts", complete)
	_ = root.RegisterFlagCompletionFunc("limit", complete)
}

// completionContext is the context of a command being completed, which
// cobra may not have set.
func completionContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
