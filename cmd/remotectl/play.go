package main

import (
	"cmp"
	"context"
	"errors"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/playbook"
	"github.com/remotectl/remotectl/playbook/ansiblecfg"
	"github.com/remotectl/remotectl/playbook/ansiblecli"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
	"github.com/remotectl/remotectl/shard"
)

// playOptions are the play command's flags and dependencies.
type playOptions struct {
	runDeps
	OpsRun        func(ops.Command) (*ops.Run, error)
	InventoryFrom func(context.Context, []string, inventory.LoadOptions) (*inventory.Inventory, error)
	Cwd           string // -e @FILE is relative to it
	AnsibleCfg    ansiblecfg.Lookup
	Transports    []remote.SettingsSchema // add_host's hosts are read with them

	File string
	ansiblecli.Options
}

// newPlayCmd returns the play command; runF, when not nil, runs instead of
// runPlay (tests see the parsed options).
func newPlayCmd(f *factory, runF func(context.Context, *playOptions) error) *cobra.Command {
	o := &playOptions{runDeps: f.runDeps(), OpsRun: f.OpsRun, InventoryFrom: f.InventoryFrom, Cwd: f.Cwd, Transports: f.Transports,
		AnsibleCfg: ansiblecfg.Lookup{Getenv: f.IO.Getenv, Cwd: f.Cwd, Home: f.IO.Getenv("HOME"), System: ansiblecfg.DefaultSystem}}
	if runF == nil {
		runF = runPlay
	}
	cmd := &cobra.Command{
		Use:   "play PLAYBOOK.yaml [flags]",
		Short: "Run an Ansible playbook: ordered tasks over host groups, in rolling batches with health gates",
		Long: `Run a playbook: plays in order, each a host pattern and tasks with Ansible's keywords.
The whole playbook is validated before any connection: unknown keys, wrong types,
undefined variables, templates that do not compile and unknown --tags are reported as
file:line:col errors (exit 65). Values of lookup('env'), of secret variables (password,
passphrase, secret, token..., ansible_become_pass) and of the vault are printed ********.

serial: cuts a play's hosts into batches (2, "25%", or a ramp [1, "25%", "100%"]). The
run stops before the next batch when a check task failed on some host (a health gate),
when more hosts failed than max_fail allows, or when every host of a batch failed.

` + ansiblecli.Help + `

` + report.FormatHelp(report.PlayFormats()) + `
` + report.PlayExitCodesHelp,
		Example: `  remotectl play -i inventory.ini site.yml
  remotectl play rolling.yml -l 'web:!web03' -e version=1.4.2
  remotectl play site.yml -t config --check --diff
  remotectl play site.yml --vault-id prod@~/.vault_pass -e @prod.yml -o json > run.json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{Err: errors.New("play needs one playbook: remotectl play PLAYBOOK.yaml")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := ansiblecli.Refused(cmd.Flags()); err != nil {
				return err
			}
			o.File = args[0]
			return runF(cmd.Context(), o)
		},
	}
	ansiblecli.AddFlags(cmd.Flags(), &o.Options)
	ops.AddFlags(cmd.Flags())
	return cmd
}

// runPlay validates the playbook, runs it and decides the exit code.
func runPlay(ctx context.Context, o *playOptions) error {
	g := o.Settings()
	st, err := playAnsibleSettings(ctx, o, &g)
	if err != nil {
		return err
	}
	if o.SyntaxCheck || o.List.Any() { // nothing runs, no run is recorded
		masker := &playbook.Secrets{}
		inv, err := o.inventory(g, st, masker)(ctx)
		if err != nil {
			return err
		}
		return o.load(st, masker).Inspect(o.IO.Out, inv, g.Hosts, g.Limit)
	}
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
	runCtx, inv, err := opsRun.BeginWithInventory(ctx, o.inventory(g, st, opsRun.Secrets()))
	defer opsRun.Close()
	if err != nil {
		return err
	}
	if err := inv.CheckHosts(); err != nil {
		return usageError{Err: err}
	}
	load := o.load(st, opsRun.Secrets())
	pb, extra, err := load.Playbook(inv)
	if err != nil {
		return err
	}
	limit, err := playRerunLimit(g, inv, opsRun)
	if err != nil {
		return err
	}
	plans, err := load.Plans(pb, inv, g.Hosts, limit)
	if err != nil {
		return err
	}
	for _, p := range plans { // --shard: part K of each play's hosts, then its batches
		p.Hosts = shard.Keep(g.Shard, p.Hosts, hostName)
		p.Batches = playbook.Batches(p.Play.Serial, p.Hosts)
		pb.Secrets.Add(inventory.SecretsOf(p.Hosts, o.IO.Getenv)...)
	}
	if o.Check && g.Verbose > 0 && g.Output == report.FormatText {
		if err := playbook.WritePlan(o.IO.Out, pb, plans, extra); err != nil {
			return err
		}
	}
	targets, target := st.Targets(plans, g.target)
	asked, err := askSecrets(o.IO, st.AskPass, st.AskBecomePass)
	if err != nil {
		return err
	}
	opsRun.Secrets().Add(asked.values()...)
	dialer, err := o.Dialer(asked, targets)
	if err != nil {
		return err
	}
	defer dialer.Close()

	opts := playbook.Options{Inventory: inv, Target: target, Dialer: dialer, Forks: g.Forks, Timeout: g.Timeout,
		ExtraVars: extra, Check: o.Check, Diff: o.Diff, Transports: o.Transports, Prompt: o.IO.Ask, SyncPrompts: o.IO.Ask != nil, Step: o.Ansible.Step, Warn: playbook.WarnTo(o.IO.Err), Selection: playbook.Selection{Hosts: g.Hosts, Limit: limit, Keep: g.Shard.Keeps}}
	var text *report.PlayRenderer // the status line goes below text output only
	if g.Output == report.FormatText {
		text = render
	}
	progress, stopProgress := ops.StartPlayProgress(g.terminal(o.IO), &opts, text)
	events, rep := playbook.Run(runCtx, pb, plans, opts)
	playbook.Show(opsRun.ObservePlay(events, progress), render.Render) // a question after what came before it
	rep.Run = opsRun.RunInfo()
	stopProgress()
	if err := render.Finish(rep); err != nil {
		// The run itself is complete: the output problem is its exit code (74).
		opsRun.OutputFailed(err)
	}
	if code := opsRun.FinishPlay(rep, report.PlayRunExitCode(rep, ctx.Err() != nil)); code != report.ExitOK {
		return exitError{code}
	}
	return nil
}

// playAnsibleSettings reads ansible.cfg and the vault secrets (see
// ansiblecli.Setup) and applies forks and the connect timeout to g.
func playAnsibleSettings(ctx context.Context, o *playOptions, g *globals) (ansiblecli.Settings, error) {
	o.Ansible.InventorySet, o.Ansible.ForksSet, o.Ansible.ConnectTimeoutSet = g.InventoriesSet, g.ForksSet, g.ConnectTimeoutSet
	st, err := ansiblecli.Setup(ctx, ansiblecli.Env{Config: o.AnsibleCfg, Stdin: o.IO.In, Stderr: o.IO.Err, Prompt: o.IO.ReadSecret}, o.Ansible)
	g.Forks, g.ConnectTimeout = cmp.Or(st.Forks, g.Forks), cmp.Or(st.ConnectTimeout, g.ConnectTimeout)
	g.ConnectTimeoutSet = g.ConnectTimeoutSet || st.ConnectTimeout > 0
	return st, err
}

// inventory returns the loader of the run's inventory (ansible.cfg's when remotectl's
// settings name none), decrypting vault content, registered with secrets.
func (o *playOptions) inventory(g globals, st ansiblecli.Settings, secrets *playbook.Secrets) func(context.Context) (*inventory.Inventory, error) {
	paths, decrypt := st.Inventories, st.Decrypter(secrets)
	if len(paths) == 0 {
		paths = g.Inventories
	}
	// As ansible-playbook: the playbook's group_vars/ and host_vars/ apply,
	// "hosts: localhost" is the controller unless the inventory says, and
	// dicts in variables keep the order they are written in.
	opts := inventory.LoadOptions{Decrypt: decrypt, PlaybookDir: filepath.Dir(o.File), ImplicitLocalhost: true, OrderedDicts: true}
	return func(ctx context.Context) (*inventory.Inventory, error) { return o.InventoryFrom(ctx, paths, opts) }
}

// load says how the playbook is loaded; secrets receives its secrets.
func (o *playOptions) load(st ansiblecli.Settings, secrets *playbook.Secrets) ansiblecli.Load {
	return ansiblecli.Load{File: o.File, Cwd: o.Cwd, Getenv: o.IO.Getenv, Options: &o.Options, Settings: st, Secrets: secrets}
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
