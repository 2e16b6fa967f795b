package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/doctor"
)

// doctorOptions are the doctor command's own settings.
type doctorOptions struct {
	AskPass       bool
	AskBecomePass bool
}

func newDoctorCmd(a *app) *cobra.Command {
	var o doctorOptions
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
		RunE: func(cmd *cobra.Command, _ []string) error { return runDoctor(cmd.Context(), a, &o) },
	}
	cmd.Flags().BoolVar(&o.AskPass, "ask-pass", false, "prompt once for the login password (needs a terminal)")
	cmd.Flags().BoolVar(&o.AskBecomePass, "ask-become-pass", false, "prompt once for the sudo password (needs a terminal)")
	return cmd
}

func runDoctor(ctx context.Context, a *app, o *doctorOptions) error {
	if a.g.Output != "text" && a.g.Output != "json" {
		return usageError{fmt.Errorf("doctor prints text or json (-o json), not %q", a.g.Output)}
	}
	_, hosts, err := a.selectHosts(ctx)
	if err != nil {
		return err
	}
	targets := a.targets(hosts)
	secrets, err := a.askSecrets(o.AskPass, o.AskBecomePass)
	if err != nil {
		return err
	}
	dialer := a.lazyDialer(secrets)
	defer dialer.Close()

	reports := doctor.Run(ctx, targets, doctor.Options{Forks: a.g.Forks, Timeout: a.g.Timeout, Kinds: dialer.doctorSteps()})
	healthy, err := doctor.Write(a.io.Out, reports, len(targets),
		doctor.Format{JSON: a.g.Output == "json", Unicode: a.io.OutTTY, Verbose: a.g.Verbose > 0})
	if err != nil {
		return err
	}
	if code := doctorExitCode(healthy, ctx.Err() != nil); code != exitOK {
		return exitError{code}
	}
	return nil
}
