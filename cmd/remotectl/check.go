package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/checks/plan"
	"github.com/remotectl/remotectl/checks/serve"
	"github.com/remotectl/remotectl/internal/settings"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
)

// checkOptions are the check command's flags and dependencies.
type checkOptions struct {
	runDeps
	OpsRun func(ops.Command) (*ops.Run, error)

	Files        []string      // check files: arguments and -F/--file
	RetryTimeout time.Duration // re-run failing checks until they pass or this passes
	Sleep        time.Duration // between retries
	VarsFiles    []string      // --vars: template variables, YAML or JSON files
	VarsInline   string        // --vars-inline: template variables, JSON or YAML text
	Render       string        // --render: print this file as rendered for each host
	ValidateOnly bool          // --validate-only: load and render, do not connect
	Serve        string        // --serve ADDR: goss serve for the fleet (package checks/serve)
	Cache        time.Duration // --cache: how long --serve answers from a round's results
	Add          []string      // check add TYPE NAME... / autoadd NAME...: how it was called, then its arguments
}

// newCheckCmd returns the check command; runF, when not nil, runs instead
// of runCheck (tests see the parsed options).
func newCheckCmd(deps *factory, runF func(context.Context, *checkOptions) error) *cobra.Command {
	o := &checkOptions{runDeps: deps.runDeps(), OpsRun: deps.OpsRun}
	if runF == nil {
		runF = runCheck
	}
	cmd := &cobra.Command{
		Use:   "check [-H PATTERN] [-F FILE]... [FILE...] [flags]",
		Short: "Check that every selected host is as the check files say",
		Long: `Check that every selected host is as the check files say: ports listening, services
running, packages installed, files, users, commands, HTTP endpoints, DNS names,
certificates... Check files are goss-shaped YAML (resource type, id, properties), so goss
files run unchanged, with no agent on the hosts.

Check files are the arguments and -F/--file (repeatable). Without any, each host's files
are those its inventory variable "checks" names (a list of paths, or one path; relative
paths are relative to the current directory), so "remotectl check -H web" checks every web
host against the files its groups name. A check applies to the hosts selected by -H (and
--limit) that its hosts: pattern also selects. Every file is validated before any
connection: a broken file exits 65 naming file:line:col.

Check files are Go templates as in goss: .Vars (the host's inventory variables, replaced
by --vars files and --vars-inline), .Env, .Host.Name, with Sprig's and goss's functions.
--render FILE prints a file as rendered for each host; --validate-only loads, renders and
validates every host's checks without connecting (exit 0, or 65 naming file:line:col).

Each host's checks use one connection, and a host whose checks are all observed from the
controller (http, addr, dns, tls by default) is not connected to at all.

` + report.FormatHelp(report.CheckFormats()) + `
A property is pass, fail, skip (skip: true, or a property it depends on failed) or error
(it could not be evaluated: never counted as a failure, but never a success: exit bit 2).

` + report.CheckExitCodesHelp,
		Example: `  remotectl check web.yaml
  remotectl check -i inventory.yaml -H web
  remotectl check -H 'db:!db03' -F base.yaml -F db.yaml -o junit > report.xml
  remotectl check -H web --retry-timeout 2m --sleep 5s deploy-done.yaml
  remotectl check -H all -o prometheus checks.yaml > /var/lib/node_exporter/remotectl.prom.tmp; mv /var/lib/node_exporter/remotectl.prom.tmp /var/lib/node_exporter/remotectl.prom`,
		// With -o nagios, a bad flag or setting is a status line too.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return nagiosUnknown(o.IO, deps.LoadSettings(cmd), strings.ToLower(deps.OutputSetting()) == report.FormatNagios)
		},
		Args: cobra.ArbitraryArgs, // check files, beside the subcommand add
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = append(o.Files, args...)
			return runF(cmd.Context(), o)
		},
	}
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return nagiosUnknown(o.IO, flagError(c, err), settings.OutputArg(deps.Args, o.IO.Getenv) == report.FormatNagios)
	})
	f := cmd.Flags()
	f.StringArrayVarP(&o.Files, "file", "F", nil, "check file (repeatable; default: the files the inventory variable \"checks\" names)")
	f.DurationVar(&o.RetryTimeout, "retry-timeout", 0, "re-run failing checks until they pass or this time has passed (0 = run once)")
	f.DurationVar(&o.Sleep, "sleep", time.Second, "time to wait between retries of failing checks")
	f.StringArrayVar(&o.VarsFiles, "vars", nil, "template variables for .Vars: a YAML or JSON file (repeatable; they replace inventory variables of the same name)")
	f.StringVar(&o.VarsInline, "vars-inline", "", "template variables for .Vars as JSON or YAML text, replacing those of --vars files and the inventory")
	f.StringVar(&o.Render, "render", "", "print `FILE` as rendered for each selected host (like goss render), without connecting")
	f.BoolVar(&o.ValidateOnly, "validate-only", false, "load, render and validate the check files for each selected host, without connecting")
	f.StringVar(&o.Serve, "serve", "", "serve `ADDR` (goss serve for the fleet): /healthz runs the checks, 200 or 503, format by ?format= or Accept; ?host=; /metrics")
	f.DurationVar(&o.Cache, "cache", serve.DefaultCache, "with --serve, how long a round's results answer requests before a new round")
	ops.AddFlags(f)
	add := &cobra.Command{Use: "add TYPE NAME... | autoadd NAME...", Aliases: []string{"autoadd"}, Args: cobra.MinimumNArgs(1),
		Short: "Write checks of one host as it is now into a check file (-F, default goss.yaml), like goss add and autoadd",
		RunE: func(c *cobra.Command, args []string) error {
			o.Add = append([]string{c.CalledAs()}, args...)
			return runF(c.Context(), o)
		}}
	add.Flags().StringArrayVarP(&o.Files, "file", "F", nil, "check file to write (created when missing; default goss.yaml)")
	cmd.AddCommand(add)
	return cmd
}

// runCheck runs the checks and renders the results. With -o nagios, every
// failure to run is a status line too, in state UNKNOWN.
func runCheck(ctx context.Context, o *checkOptions) error {
	return nagiosUnknown(o.IO, runChecks(ctx, o), o.Settings().Output == report.FormatNagios)
}

// nagiosUnknown reports err, when nagios, as a Nagios plugin does: an
// UNKNOWN status line saying why, exit 3.
func nagiosUnknown(io *streams, err error, nagios bool) error {
	var ee exitError
	if err == nil || !nagios || errors.As(err, &ee) {
		return err
	}
	fmt.Fprint(io.Out, report.NagiosUnknownLine(err))
	fmt.Fprintf(io.Err, "remotectl: %v\n", err)
	return exitError{int(report.NagiosUnknown)}
}

func runChecks(ctx context.Context, o *checkOptions) error {
	g := o.Settings()
	if o.RetryTimeout < 0 || o.Sleep < 0 {
		return usageError{Err: errors.New("--retry-timeout and --sleep must not be negative")}
	}
	opsRun, err := o.OpsRun(ops.Command{Name: "check", Args: o.Files})
	if err != nil {
		return err
	}
	ropts := report.CheckOptions{
		Format:  g.Output,
		Out:     o.IO.Out,
		Color:   o.IO.ColorEnabled(g.Color),
		Unicode: o.IO.OutTTY && o.IO.Getenv("TERM") != "dumb",
		Quiet:   g.Quiet,
		Verbose: g.Verbose > 0,
		Width:   o.IO.Width,
	}
	if err := ropts.Validate(); err != nil {
		return usageError{Err: err}
	}
	// ops: lock, jitter, deadline (runCtx), inventory, --rerun, quiet.
	runCtx, inv, err := opsRun.BeginWithInventory(ctx, o.Inventory)
	defer opsRun.Close()
	if err != nil {
		return err
	}
	hosts, err := g.selectTargets(inv, "check")
	if err != nil {
		return err
	}
	if o.Add != nil { // goss add and autoadd on a live host (checks/plan)
		return plan.Add(runCtx, func(t []remote.Target) (plan.DialCloser, error) { return o.Dialer(secrets{}, t) }, g.targets(hosts), o.Files, o.Add, o.IO.Out)
	}
	vars, err := plan.LoadVars(o.VarsFiles, o.VarsInline, os.Environ())
	if err != nil {
		return err
	}
	opsRun.Secrets().Add(inventory.SecretValues(vars.Vars)...) // --vars' secrets, as -e's in play
	if o.Render != "" {
		return plan.Render(o.IO.Out, o.Render, hosts, vars)
	}
	plans, err := plan.New(inv, hosts, o.Files, vars)
	if err != nil {
		return err
	}
	if o.ValidateOnly {
		return plan.Validate(o.IO.Out, plans)
	}
	opsRun.Secrets().Add(inventory.SecretsOf(hosts, o.IO.Getenv)...)
	opsRun.Secrets().Add(plan.Secrets(plans)...) // the environment the templates read
	if skipped := plan.Unplanned(hosts, plans); ropts.Verbose && len(skipped) > 0 {
		fmt.Fprintf(o.IO.Err, "remotectl: no check applies to %s\n", nodeset.Fold(skipped))
	}
	if plans, err = rerunPlans(opsRun, g, plans); err != nil {
		return err
	}
	return runPlans(ctx, runCtx, o, opsRun, plans, ropts, checks.RunOptions{RetryTimeout: o.RetryTimeout, Sleep: o.Sleep})
}

// runPlans checks every planned host, one connection per host, and decides
// the exit code from the results. Hosts run under runCtx (the run's
// deadline); ctx tells an interruption.
func runPlans(ctx, runCtx context.Context, o *checkOptions, opsRun *ops.Run, plans []*plan.Host, ropts report.CheckOptions, runOpts checks.RunOptions) error {
	g := o.Settings()
	targets := g.targets(plan.Hosts(plans))
	dialer, err := o.Dialer(secrets{}, targets)
	if err != nil {
		return err
	}
	defer dialer.Close()
	if o.Serve != "" { // rounds of the same plans, until interrupted
		return (&serve.Server{Targets: targets, Format: ropts.Format, Cache: o.Cache, Log: o.IO.Err, Job: plan.Job(plans, targets, runOpts, opsRun.MaskCheckResults),
			Runner: &remote.Runner{Dialer: plan.Dialer(dialer, plans), Forks: g.Forks, Timeout: g.Timeout}}).ListenAndServe(ctx, o.Serve, nil)
	}

	ropts = opsRun.CheckReportOptions(ropts, targets)
	runner := &remote.Runner{Dialer: opsRun.WatchDial(plan.Dialer(dialer, plans)), Forks: g.Forks, Timeout: g.Timeout}
	events := opsRun.ObserveChecks(runner.Run(runCtx, targets, plan.Job(plans, targets, runOpts, opsRun.MaskCheckResults)), targets)
	summary, renderErr := report.RenderChecks(events, targets, ropts)
	if renderErr != nil {
		// The run itself is complete: the output problem is its exit code (74).
		opsRun.OutputFailed(renderErr)
	}
	// ops: deadline bit, run record, report, textfile, syslog, log.
	code := opsRun.FinishChecks(summary, report.CheckExitCode(summary, ropts.Format == report.FormatNagios, ctx.Err() != nil))
	if code != report.ExitOK {
		return exitError{code}
	}
	return nil
}
