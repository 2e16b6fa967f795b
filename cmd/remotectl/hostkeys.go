package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/remotectl/remotectl/report"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/ssh"
)

// hostkeysOptions are the flags and dependencies of hostkeys scan.
type hostkeysOptions struct {
	IO        *streams
	Settings  func() globals
	Inventory func(context.Context) (*inventory.Inventory, error)
	SSHDialer func() (*ssh.Dialer, error)

	Accept bool
}

// newHostkeysCmd returns the hostkeys command; runF, when not nil, runs
// instead of runHostkeysScan.
func newHostkeysCmd(f *factory, runF func(context.Context, *hostkeysOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hostkeys",
		Short: "Inspect and record SSH host keys",
	}
	o := &hostkeysOptions{IO: f.IO, Settings: f.Settings, Inventory: f.Inventory, SSHDialer: f.SSHDialer}
	if runF == nil {
		runF = runHostkeysScan
	}
	scan := &cobra.Command{
		Use:   "scan [-H PATTERN] [--accept]",
		Short: "Show each host's SSH key as new, known or CHANGED; --accept records the new ones",
		Long: `Connect to each selected SSH host (through its ProxyJump chain), capture the host key
without logging in, and compare it with known_hosts:

  known    the key is in known_hosts
  new      the host is not in known_hosts (--accept records it)
  CHANGED  known_hosts has another key for the host: possibly a man-in-the-middle, or a
           reinstalled host. Never accepted automatically: check why, then run the
           ssh-keygen -R command printed for it and scan again.
  REVOKED  the key is marked @revoked

Exit code 0 when every key is known (or was accepted), 2 when a host could not be
reached or presented a changed or revoked key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runF(cmd.Context(), o) },
	}
	scan.Flags().BoolVar(&o.Accept, "accept", false, "record the keys of new hosts in known_hosts")
	cmd.AddCommand(scan)
	return cmd
}

func runHostkeysScan(ctx context.Context, o *hostkeysOptions) error {
	g := o.Settings()
	_, hosts, err := selectHosts(ctx, o.Inventory, g)
	if err != nil {
		return err
	}
	var targets []remote.Target
	for _, t := range g.targets(hosts) {
		if t.Transport == remote.KindSSH {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return usageError{Err: errors.New("no SSH host selected: host keys are an SSH matter")}
	}
	d, err := o.SSHDialer()
	if err != nil {
		return fmt.Errorf("ssh: %w", err)
	}
	defer d.Close()

	results := d.Scan(ctx, targets, ssh.ScanOptions{Concurrency: g.Forks})
	views, bad := ssh.ScanViews(results)
	var acceptErr error
	if o.Accept {
		acceptErr = d.Accept(results)
		for i := range views {
			if views[i].Status == ssh.StatusNew && results[i].Status == ssh.StatusKnown {
				views[i].Status = "accepted"
			}
		}
	}
	if g.Output == "json" {
		if err := writeJSON(o.IO.Out, views); err != nil {
			return err
		}
	} else if err := ssh.WriteScan(o.IO.Out, o.IO.Err, views); err != nil {
		return err
	}
	if acceptErr != nil {
		fmt.Fprintf(o.IO.Err, "remotectl: recording keys: %v\n", acceptErr)
		bad = true
	}
	switch {
	case ctx.Err() != nil:
		return exitError{report.ExitInterrupted}
	case bad:
		return exitError{report.ExitUnreachable}
	}
	return nil
}
