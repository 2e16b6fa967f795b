package main

import (
	"context"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/playbook"
	"github.com/remotectl/remotectl/report"
	"github.com/remotectl/remotectl/shard"
)

// playOptions are the play command's flags and dependencies.
type playOptions struct {
	runDeps
	OpsRun func(ops.Command) (*ops.Run, error)
	Cwd    string // -e @FILE is relative to it

	File        string
	ExtraVars   []string
	Tags        []string
	SkipTags    []string
	StartAtTask string
	Check       bool
}

// newPlayCmd returns the play command; runF, when not nil, runs instead of
// runPlay (tests see the parsed options).
func newPlayCmd(f *factory, runF func(context.Context, *playOptions) error) *cobra.Command {
	o := &playOptions{runDeps: f.runDeps(), OpsRun: f.OpsRun, Cwd: f.Cwd}
	if runF == nil {
		runF = runPlay
	}
	cmd := &cobra.Command{
		Use:   "play PLAYBOOK.yaml [flags]",
		Short: "Run a playbook: ordered tasks over host groups, in rolling batches with health gates",
		Long: `Run a playbook: plays in order, each a host pattern and tasks (shell, command, script,
copy, template, fetch, check, wait_for, debug) with Ansible's keywords (when, register,
loop, notify, retries/until, ignore_errors, tags, become, run_once...).

The whole playbook is validated before any connection: unknown keys, wrong types,
variables no source defines, expressions that do not compile and unknown --tags are
reported as file:line:col errors (exit 65).

Variables, lowest precedence first: inventory < play vars < vars_files < registered
results < -e. Templates are Ansible's Jinja2 ({{ name | default('x') }}), and so are
when/until/changed_when/failed_when (ansible_facts.os_family == "Debian").
lookup('env', 'NAME') reads the environment; such values are secret, as are those of secret
variables (names with password, passphrase, secret, token..., or the word pass:
ansible_become_pass), wherever they come from: all are printed as ********.

serial: cuts a play's hosts into batches (2, "25%", or a ramp [1, "25%", "100%"]). Each
host uses one connection for its whole batch. A host whose task fails leaves the
playbook (unless ignore_errors). The play, and the run, stop before the next batch when
a check task failed on some host (a health gate), when more hosts have failed in total
than max_fail allows (N hosts or N% of the play's hosts), or when every host of a batch
failed.

--check prints the plan (batches, tasks per host, when: evaluated where it can be)
and runs only check, wait_for and debug tasks.

` + report.FormatHelp(report.PlayFormats()) + `
` + exitCodesHelp,
		Example: `  remotectl play -i inventory.yaml site.yaml
  remotectl play rolling.yaml -H web --limit 'web:!web03' -e version=1.4.2
  remotectl play site.yaml --tags config --check
  remotectl play site.yaml -e @prod.yaml -o json > run.json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{Err: errors.New("play needs one playbook: remotectl play PLAYBOOK.yaml")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = args[0]
			return runF(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&o.ExtraVars, "extra-vars", "e", nil, "set variables: KEY=VALUE, @FILE (YAML/JSON) or a JSON mapping (repeatable; highest precedence)")
	fl.StringSliceVar(&o.Tags, "tags", nil, "run only the tasks with these tags (and those tagged always)")
	fl.StringSliceVar(&o.SkipTags, "skip-tags", nil, "skip the tasks with these tags")
	fl.StringVar(&o.StartAtTask, "start-at-task", "", "start at the first task with this name")
	fl.BoolVar(&o.Check, "check", false, "print the plan and run only read-only tasks (check, wait_for, debug)")
	ops.AddFlags(fl)
	return cmd
}

// runPlay validates the playbook, runs it and decides the exit code.
func runPlay(ctx context.Context, o *playOptions) error {
	g := o.Settings()
	opsRun, err := o.OpsRun(ops.Command{Name: "play", Args: []string{o.File}, DryRun: o.Check})
	if err != nil {
		return err
	}
	render, err := report.NewPlayRenderer(report.PlayOptions{Format: g.Output, Out: o.IO.Out, Color: o.IO.ColorEnabled(g.Color), Verbose: g.Verbose > 0, Quiet: g.Quiet})
	if err != nil {
		return usageError{Err: err}
	}
	// ops: lock, jitter, deadline (runCtx), inventory. The play's hosts:
	// is its target; -H and --limit only narrow it.
	runCtx, inv, err := opsRun.BeginWithInventory(ctx, o.Inventory)
	defer opsRun.Close()
	if err != nil {
		return err
	}
	if err := inv.CheckHosts(); err != nil {
		return usageError{Err: err}
	}
	pb, extra, err := loadPlaybook(o, inv, opsRun.Secrets())
	if err != nil {
		return err
	}
	limit, err := playRerunLimit(g, inv, opsRun)
	if err != nil {
		return err
	}
	plans, err := playbook.Prepare(pb, inv, playbook.Selection{
		Hosts: g.Hosts, Limit: limit, Tags: o.Tags, SkipTags: o.SkipTags, StartAtTask: o.StartAtTask,
	})
	if err != nil {
		return usageError{Err: err}
	}
	for _, p := range plans { // --shard: part K of each play's hosts, then its batches
		p.Hosts = shard.Keep(g.Shard, p.Hosts, hostName)
		p.Batches = playbook.Batches(p.Play.Serial, p.Hosts)
		pb.Secrets.Add(inventory.SecretsOf(p.Hosts, o.IO.Getenv)...)
	}
	if o.Check && g.Output == report.FormatText {
		if err := playbook.WritePlan(o.IO.Out, pb, plans, extra); err != nil {
			return err
		}
	}
	var hosts []*inventory.Host
	for _, pl := range plans {
		hosts = append(hosts, pl.Hosts...)
	}
	dialer, err := o.Dialer(secrets{}, g.targets(hosts))
	if err != nil {
		return err
	}
	defer dialer.Close()

	opts := playbook.Options{
		Inventory: inv,
		Target:    g.target,
		Dialer:    dialer,
		Forks:     g.Forks,
		Timeout:   g.Timeout,
		ExtraVars: extra,
		Check:     o.Check,
	}
	opts.Observe = render.Observe
	var text *report.PlayRenderer // the status line goes below text output only
	if g.Output == report.FormatText {
		text = render
	}
	stopProgress := ops.StartPlayProgress(g.terminal(o.IO), &opts, text)
	rep := playbook.Run(runCtx, pb, plans, opts)
	rep.Run = opsRun.RunInfo()
	stopProgress()
	if err := render.Finish(rep); err != nil {
		// The run itself is complete: the output problem is its exit code (74).
		opsRun.OutputFailed(err)
	}
	if code := opsRun.FinishPlay(rep, playExitCode(rep, ctx.Err() != nil)); code != exitOK {
		return exitError{code}
	}
	return nil
}

// playRerunLimit returns --limit, narrowed with --rerun to the hosts the
// earlier run selects (as a list pattern: the playbook's own hosts: still
// apply).
func playRerunLimit(g globals, inv *inventory.Inventory, opsRun *ops.Run) (string, error) {
	if opsRun.Options().Rerun == "" {
		return g.Limit, nil
	}
	hosts, err := g.selected(inv)
	if err != nil {
		return "", err
	}
	targets, err := rerunTargets(opsRun, g.targets(hosts))
	if err != nil {
		return "", err
	}
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name
	}
	return strings.Join(names, ","), nil
}

// loadPlaybook reads -e and the playbook; every problem is an input error
// (exit 65). The secrets of -e and of the playbook go to secrets, which
// becomes the playbook's Secrets.
func loadPlaybook(o *playOptions, inv *inventory.Inventory, secrets *playbook.Secrets) (*playbook.Playbook, map[string]any, error) {
	extra, err := playbook.ParseExtraVars(o.ExtraVars, o.Cwd)
	if err != nil {
		return nil, nil, inputError{Err: err}
	}
	secrets.Add(inventory.SecretValues(extra)...)
	pb, err := playbook.Load(o.File, playbook.LoadOptions{
		Secrets:   secrets,
		KnownVars: playbook.KnownVars(inv, extra),
		// An empty variable counts as unset: a secret is never empty.
		LookupEnv: func(name string) (string, bool) {
			v := o.IO.Getenv(name)
			return v, v != ""
		},
	})
	if err != nil {
		return nil, nil, inputError{Err: err}
	}
	if err := pb.CheckTags(o.File, o.Tags, o.SkipTags); err != nil {
		return nil, nil, inputError{Err: err}
	}
	return pb, extra, nil
}
