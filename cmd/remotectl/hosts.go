package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
)

// loadInventory loads the inventories named by the settings. Broken data is
// an input error (exit 65) whose message names file:line:col.
func (a *app) loadInventory() (*inventory.Inventory, error) {
	inv, err := inventory.Load(a.g.Inventories, inventory.LoadOptions{})
	if err != nil {
		return nil, inputError{err}
	}
	return inv, nil
}

// selectHosts loads the inventory and applies -H and --limit. A pattern that
// names nothing is a usage error listing the closest known names.
func (a *app) selectHosts() (*inventory.Inventory, []*inventory.Host, error) {
	inv, err := a.loadInventory()
	if err != nil {
		return nil, nil, err
	}
	hosts, err := inv.Select(a.g.Hosts, a.g.Limit)
	if err != nil {
		return nil, nil, usageError{err}
	}
	return inv, hosts, nil
}

// targets turns inventory hosts into runner targets, applying global defaults.
func (a *app) targets(hosts []*inventory.Host) []remote.Target {
	out := make([]remote.Target, len(hosts))
	for i, h := range hosts {
		out[i] = a.target(h)
	}
	return out
}

func (a *app) target(h *inventory.Host) remote.Target {
	c := h.Conn
	t := remote.Target{
		Name:              h.Name,
		Address:           h.Address,
		Port:              h.Port,
		Transport:         h.Transport,
		User:              h.User,
		ConnectTimeout:    c.ConnectTimeout,
		Become:            c.Become,
		BecomeUser:        c.BecomeUser,
		BecomePasswordEnv: c.BecomePasswordEnv,
		Vars:              h.Vars,
		SSH: remote.SSHSettings{
			IdentityFiles:  c.IdentityFiles,
			IdentitiesOnly: c.IdentitiesOnly,
			PasswordEnv:    c.PasswordEnv,
			Password:       c.Password,
			ProxyJump:      c.ProxyJump,
			ProxyCommand:   c.ProxyCommand,
			HostKeyPolicy:  c.HostKeyPolicy,
			KnownHostsFile: c.KnownHostsFile,
		},
		WinRM: remote.WinRMSettings{
			HTTPS:      c.WinRMHTTPS,
			Insecure:   c.WinRMInsecure,
			Auth:       c.WinRMAuth,
			Shell:      c.WinRMShell,
			CACert:     c.WinRMCACert,
			ClientCert: c.WinRMClientCert,
			ClientKey:  c.WinRMClientKey,

			AllowUnencrypted:  c.WinRMAllowUnencrypted,
			MessageEncryption: c.WinRMMessageEncryption,
			PasswordEnv:       c.PasswordEnv,
			Password:          c.Password,
		},
	}
	if t.ConnectTimeout == 0 {
		t.ConnectTimeout = a.g.ConnectTimeout
	}
	if t.Transport == "" {
		t.Transport = remote.KindSSH
	}
	return t
}

// registerHostCompletion completes -H/--hosts and --limit with the host and
// group names of the inventory named on the command line so far.
func registerHostCompletion(a *app, root *cobra.Command) {
	complete := func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if err := a.loadSettings(cmd); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		inv, err := a.loadInventory()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		// Complete the last element of a compound pattern (a,b / a:&b / a:!b).
		prefix, last := splitPatternTail(toComplete)
		var out []string
		for _, name := range inv.Names() {
			if strings.HasPrefix(name, last) {
				out = append(out, prefix+name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	_ = root.RegisterFlagCompletionFunc("hosts", complete)
	_ = root.RegisterFlagCompletionFunc("limit", complete)
}

// splitPatternTail splits "web,db:&pr" into "web,db:&" and "pr".
func splitPatternTail(s string) (prefix, last string) {
	i := strings.LastIndexAny(s, ",:")
	if i < 0 {
		return "", strings.TrimLeft(s, "!&")
	}
	prefix, last = s[:i+1], s[i+1:]
	for len(last) > 0 && (last[0] == '!' || last[0] == '&') {
		prefix, last = prefix+last[:1], last[1:]
	}
	return prefix, last
}
