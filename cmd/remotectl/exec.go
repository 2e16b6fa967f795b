package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
)

// runDeps are the dependencies of a command that runs jobs on hosts.
type runDeps struct {
	IO        *streams
	Settings  func() globals
	Inventory func(context.Context) (*inventory.Inventory, error)
	Dialer    func(secrets, []remote.Target) (runDialer, error)
	Now       func() time.Time
}

func (f *factory) runDeps() runDeps {
	return runDeps{IO: f.IO, Settings: f.Settings, Inventory: f.Inventory, Dialer: f.Dialer, Now: f.Now}
}

// execOptions are the exec command's flags and dependencies.
type execOptions struct {
	runDeps
	OpsRun func(ops.Command) (*ops.Run, error)

	Args          []string
	Stdin         bool
	Env           []string
	Dir           string
	PTY           bool
	Become        bool
	BecomeUser    string
	AskBecomePass bool
	AskPass       bool
	OutDir        string
}

// newExecCmd returns the exec command; runF, when not nil, runs instead of
// runExec (tests see the parsed options).
func newExecCmd(f *factory, runF func(context.Context, *execOptions) error) *cobra.Command {
	o := &execOptions{runDeps: f.runDeps(), OpsRun: f.OpsRun}
	if runF == nil {
		runF = runExec
	}
	cmd := &cobra.Command{
		Use:   "exec [-H PATTERN] [flags] [--] COMMAND [ARGS...]",
		Short: "Run a command on every selected host",
		Long: `Run a command on every selected host, in parallel, with live output and a recap.

A single argument is a command line for the remote shell (pipes and redirections work:
remotectl exec -H web -- 'uptime | cut -d, -f1'). Several arguments are an argv, each
quoted so it arrives unchanged (remotectl exec -- printf '%s\n' 'a b'). Flags end at the
command, as pdsh's do: remotectl exec -H web ls -la /tmp runs "ls -la /tmp"; "--" is needed
only before a command that starts with "-".

` + report.FormatHelp(report.ExecFormats()) + `
Non-UTF-8 output is kept exactly: JSON carries it base64-encoded in stdout_base64 /
stderr_base64 (jsonl: data_base64) instead of stdout / stderr / data.

` + report.ExitCodesHelp,
		Example: `  remotectl exec -- uname -a
  remotectl exec -i inventory.yaml -H 'web:!web03' -f 200 --timeout 30s -- systemctl is-active nginx
  remotectl exec -H db -o coalesce -- cat /etc/debian_version`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{Err: fmt.Errorf("exec needs a command: remotectl exec -H PATTERN -- COMMAND")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = args
			return runF(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	// Flags end at the command (as pdsh's): exec -H web ls -la /tmp runs
	// "ls -la /tmp", and "--" is needed only before a command starting with "-".
	fl.SetInterspersed(false)
	fl.BoolVar(&o.Stdin, "stdin", false, "send this program's standard input to the command on every host")
	fl.StringArrayVar(&o.Env, "env", nil, "set an environment variable for the command: K=V (repeatable)")
	fl.StringVar(&o.Dir, "chdir", "", "run the command in this directory")
	fl.BoolVarP(&o.PTY, "pty", "t", false, "allocate a pseudo-terminal (merges stderr into stdout)")
	fl.BoolVar(&o.Become, "become", false, "run the command through sudo (sudo -n first)")
	fl.StringVar(&o.BecomeUser, "become-user", "", "user to become (default root); implies --become")
	fl.BoolVar(&o.AskBecomePass, "ask-become-pass", false, "prompt once for the sudo password (needs a terminal)")
	fl.BoolVar(&o.AskPass, "ask-pass", false, "prompt once for the SSH login password (needs a terminal)")
	fl.StringVar(&o.OutDir, "outdir", "", "also write each host's stdout, stderr and exit status to DIR/HOST/")
	ops.AddFlags(fl)
	return cmd
}

// runExec runs one command over the selected hosts and renders the results.
func runExec(ctx context.Context, o *execOptions) error {
	g := o.Settings()
	env, err := parseEnv(o.Env)
	if err != nil {
		return err
	}
	// ops: --outdir is checked with the other outputs.
	opsRun, err := o.OpsRun(ops.Command{Name: "exec", Args: o.Args, OutDir: o.OutDir})
	if err != nil {
		return err
	}
	ropts := g.reportOptions(o.IO, o.OutDir)
	if err := ropts.Validate(); err != nil {
		return usageError{Err: err}
	}
	opsRun.Secrets().Add(inventory.SecretEnv(env)...)
	// ops: lock, jitter, deadline (runCtx), inventory, --rerun, quiet and progress.
	runCtx, inv, err := opsRun.BeginWithInventory(ctx, o.Inventory)
	defer opsRun.Close()
	if err != nil {
		return err
	}
	hosts, err := g.selectTargets(inv, "exec")
	if err != nil {
		return err
	}
	targets := g.targets(hosts)
	opsRun.Secrets().Add(inventory.SecretsOf(hosts, o.IO.Getenv)...)
	if targets, err = rerunTargets(opsRun, targets); err != nil {
		return err
	}
	ropts = opsRun.ExecReportOptions(ropts, targets)

	var stdin []byte
	if o.Stdin {
		if stdin, err = io.ReadAll(o.IO.In); err != nil {
			return fmt.Errorf("reading standard input: %w", err)
		}
	}
	if o.BecomeUser != "" {
		o.Become = true
	}
	secrets, err := askSecrets(o.IO, o.AskPass, o.AskBecomePass)
	if err != nil {
		return err
	}
	opsRun.Secrets().Add(secrets.values()...)
	dialer, err := o.Dialer(secrets, targets)
	if err != nil {
		return err
	}
	defer dialer.Close()

	runner := &remote.Runner{Dialer: opsRun.WatchDial(dialer), Forks: g.Forks, Timeout: g.Timeout}
	job := func(ctx context.Context, t remote.Transport, hio remote.HostIO) (remote.Result, error) {
		cmd := &remote.Cmd{
			Stdout:     hio.Stdout,
			Stderr:     hio.Stderr,
			Env:        env,
			Dir:        o.Dir,
			PTY:        o.PTY,
			Become:     o.Become,
			BecomeUser: o.BecomeUser,
		}
		if len(o.Args) == 1 {
			cmd.Shell = o.Args[0]
		} else {
			cmd.Args = o.Args
		}
		if o.Stdin {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		return t.Run(ctx, cmd)
	}
	events := opsRun.ObserveExec(runner.Run(runCtx, targets, job), targets)
	summary, renderErr := report.Render(events, targets, ropts)
	if renderErr != nil {
		// The run itself is complete: the output problem is its exit code (74).
		opsRun.OutputFailed(renderErr)
	}
	// ops: deadline bit, run record, report, textfile, syslog, log.
	if code := opsRun.FinishExec(summary, report.SummaryExitCode(summary, ctx.Err() != nil)); code != report.ExitOK {
		return exitError{code}
	}
	return nil
}

// reportOptions are the options of the report of a run writing to io.
func (g globals) reportOptions(io *streams, outDir string) report.Options {
	return report.Options{
		Format:  g.Output,
		Out:     io.Out,
		Err:     io.Err,
		Color:   io.ColorEnabled(g.Color),
		Quiet:   g.Quiet,
		Verbose: g.Verbose > 0,
		OutDir:  outDir,
		Width:   io.Width,
	}
}

func parseEnv(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	env := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t\n=") {
			return nil, usageError{Err: fmt.Errorf("--env %q: want NAME=VALUE", kv)}
		}
		env[k] = v
	}
	return env, nil
}
