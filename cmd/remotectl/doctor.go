package main

import (
	"context"
	"fmt"
	"github.com/remotectl/remotectl/report"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/doctor"
	"github.com/remotectl/remotectl/inventory"
)

// doctorOptions are the doctor command's flags and dependencies.
type doctorOptions struct {
	IO          *streams
	Settings    func() globals
	Inventory   func(context.Context) (*inventory.Inventory, error)
	DoctorSteps func(secrets) (map[string]doctor.Steps, func() error)

	AskPass       bool
	AskBecomePass bool
}

// newDoctorCmd returns the doctor command; runF, when not nil, runs instead
// of runDoctor.
func newDoctorCmd(f *factory, runF func(context.Context, *doctorOptions) error) *cobra.Command {
	o := &doctorOptions{IO: f.IO, Settings: f.Settings, Inventory: f.Inventory, DoctorSteps: f.DoctorSteps}
	if runF == nil {
		runF = runDoctor
	}
	cmd := &cobra.Command{
		Use:   "doctor [-H PATTERN]",
		Short: "Diagnose, step by step, why hosts can or cannot be reached",
		Long: `Diagnose each selected host step by step, each problem with a concrete fix.

SSH hosts: settings (inventory + ssh_config), name resolution, TCP connect, the
server's banner and algorithm offer, the host key against known_hosts, the
authentication methods the server accepts against the credentials remotectl would
offer, a login running "true", and "sudo -n true" (a problem only when become is set).

WinRM hosts: settings, name resolution, which of the HTTP (5985) and HTTPS (5986)
listeners answer, the TLS certificate (issuer, expiry, names), the authentication
schemes offered, whether traffic would cross the network unencrypted, a login, and a
trivial command.

Hosts are diagnosed in parallel (--forks); the steps of a host run in order, and a
step whose prerequisite failed is skipped. Nothing is written: known_hosts is not
changed, except that under host_key_policy accept-new the login step records a new
key exactly as any run would.

Each step is marked ok, info, warn (worth fixing, not blocking), FAIL (blocking) or
skip; on a terminal ✓ i ! ✗ -. -o json prints one document.

Exit code 0 when every host is healthy (no blocking problem), 2 when some host has
one, 130 when interrupted.`,
		Example: `  remotectl doctor -H web01
  remotectl doctor -i inventory.yaml -H 'windows' -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runF(cmd.Context(), o) },
	}
	cmd.Flags().BoolVar(&o.AskPass, "ask-pass", false, "prompt once for the login password (needs a terminal)")
	cmd.Flags().BoolVar(&o.AskBecomePass, "ask-become-pass", false, "prompt once for the sudo password (needs a terminal)")
	return cmd
}

func runDoctor(ctx context.Context, o *doctorOptions) error {
	g := o.Settings()
	if g.Output != "text" && g.Output != "json" {
		return usageError{Err: fmt.Errorf("doctor prints text or json (-o json), not %q", g.Output)}
	}
	_, hosts, err := selectHosts(ctx, o.Inventory, g)
	if err != nil {
		return err
	}
	targets := g.targets(hosts)
	secrets, err := askSecrets(o.IO, o.AskPass, o.AskBecomePass)
	if err != nil {
		return err
	}
	steps, stop := o.DoctorSteps(secrets)
	defer stop()

	reports := doctor.Run(ctx, targets, doctor.Options{Forks: g.Forks, Timeout: g.Timeout, Kinds: steps})
	healthy, err := doctor.Write(o.IO.Out, reports, len(targets),
		doctor.Format{JSON: g.Output == "json", Unicode: o.IO.OutTTY, Verbose: g.Verbose > 0})
	if err != nil {
		return err
	}
	if code := report.DoctorExitCode(healthy, ctx.Err() != nil); code != report.ExitOK {
		return exitError{code}
	}
	return nil
}
