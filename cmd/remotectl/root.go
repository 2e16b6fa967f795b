package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/remotectl/remotectl/internal/iostreams"
	"github.com/remotectl/remotectl/internal/settings"
	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/report"
	"github.com/remotectl/remotectl/runrec"
)

// globals are the settings every command shares (see package settings).
type globals struct{ settings.Globals }

// streams are the terminal I/O of one run (see package iostreams).
type streams = iostreams.Streams

// app is the state behind one invocation's factory: streams, the settings
// once resolved, the transport registry. Commands see it only through the
// factory.
type app struct {
	io  *streams
	v   *viper.Viper
	g   globals
	ops ops.Options // settings of unattended runs (exec, check, play)
	// opsErr: the settings of unattended runs are invalid.
	opsErr error
	cwd    string
	args   []string // the command line, for errors found before it is parsed

	transports transports // the transport registry, built in main
}

// run executes remotectl with args over the transports of reg and
// returns the process exit code.
func run(ctx context.Context, args []string, io *streams, reg transports) int {
	out := ops.NewErrWriter(io.Out) // a failed write of the main output exits 74
	io.Out = out
	a := &app{io: io, v: viper.New(), transports: reg, args: args}
	a.cwd, _ = os.Getwd()
	return execute(ctx, newRootCmd(a.factory()), args, io)
}

// execute runs the command tree root over args and returns the process
// exit code.
func execute(ctx context.Context, root *cobra.Command, args []string, io *streams) int {
	classifyArgs(root)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	failed, err := root.ExecuteContextC(ctx)
	out, _ := io.Out.(*ops.ErrWriter) // run's: a failed write of the main output exits 74
	err = withOutputFailure(rootError(root, failed, err), out)
	code := exitCodeOf(err)
	var ee exitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintf(io.Err, "remotectl: %v\n", err)
	}
	return code
}

// newRootCmd returns the command tree, every command built from deps.
func newRootCmd(deps *factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "remotectl",
		Short: "Run commands and checks on fleets of hosts over SSH and WinRM",
		Long: `remotectl runs commands and infrastructure checks on many hosts at once, over SSH and
WinRM, with host keys verified and secrets never printed.

Hosts come from an inventory (-i; our YAML, Ansible INI/YAML or an executable dynamic
inventory). Once an inventory is loaded, commands that act on hosts need a target, -H
(-H all for every host). With no inventory, the implicit host "localhost" runs on this machine.

Settings come from flags, then REMOTECTL_* environment variables (REMOTECTL_FORKS=100),
then a config file (--config, ./remotectl.yaml, $XDG_CONFIG_HOME/remotectl/config.yaml).

` + report.ExitCodesHelp,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return deps.LoadSettings(cmd) },
	}
	root.SetFlagErrorFunc(flagError)
	root.CompletionOptions.HiddenDefaultCmd = false

	f := root.PersistentFlags()
	f.StringArrayP("inventory", "i", nil, "inventory file, directory or executable (repeatable; default ./inventory.yaml if present)")
	f.Duration("inventory-timeout", inventory.DefaultScriptTimeout, "time limit for a dynamic inventory (an executable -i), all its runs together")
	f.VarP(&settings.PatternFlag{}, "hosts", "H", "host pattern: all, group, host, web*, ~regex, a,b  a:&b  a:!b  @file (needed when an inventory is loaded: -H all for every host)")
	f.StringP("limit", "l", "", "further limit the selected hosts to this pattern")
	f.IntP("forks", "f", settings.DefaultForks, "hosts to work on in parallel")
	f.Duration("timeout", 0, "per-host time limit for the whole command, connecting included (0 = none)")
	f.Duration("connect-timeout", 10*time.Second, "time limit to connect and authenticate to a host")
	f.StringP("output", "o", "text", outputFlagHelp())
	f.String("color", "auto", "colour: auto, always, never (auto honours NO_COLOR)")
	f.CountP("verbose", "v", "more detail (repeatable)")
	f.BoolP("quiet", "q", false, "print only failures and the recap")
	f.String("config", "", "config file (default ./remotectl.yaml, then $XDG_CONFIG_HOME/remotectl/config.yaml)")
	f.String("ssh-config", "", "ssh_config file to read (default ~/.ssh/config; \"none\" to ignore)")
	f.String("known-hosts", "", "known_hosts file (default from ssh_config, else ~/.ssh/known_hosts)")
	f.String("host-key-policy", "", "host key checking: strict (default), accept-new, off")
	f.String("askpass", "", "program asked for key passphrases and passwords (like SSH_ASKPASS; prompt as argument, answer on stdout)")
	f.String("passphrase-env", "", "environment variable holding the passphrase of encrypted private keys")
	f.Duration("persist", 0, "keep SSH connections open in the per-user agent for this long once idle, for the next runs (0 = off; see remotectl agent)")
	registerHostCompletion(deps, root)
	_ = root.RegisterFlagCompletionFunc("output", completeOutput)

	root.AddCommand(
		newExecCmd(deps, nil),
		newCheckCmd(deps, nil),
		newPlayCmd(deps, nil),
		newCopyCmd(deps, nil),
		newFetchCmd(deps, nil),
		newHostkeysCmd(deps, nil),
		newDoctorCmd(deps, nil),
		newInventoryCmd(deps, nil),
		newRunsCmd(deps, nil), // ops: run history
		newAgentCmd(deps),
		newVersionCmd(deps),
		newManCmd(root),
	)
	for _, cmd := range root.Commands() {
		if cmd.Flags().Lookup(ops.FlagFrom) != nil {
			_ = cmd.RegisterFlagCompletionFunc(ops.FlagFrom, completeRunIDs(deps.RunStore))
			_ = cmd.RegisterFlagCompletionFunc(ops.FlagRerun, cobra.FixedCompletions(runrec.RerunModes, cobra.ShellCompDirectiveNoFileComp))
		}
	}
	return root
}

// outputFormats returns the -o formats of each command that renders
// results, from report's format tables.
func outputFormats() map[string][]report.FormatInfo {
	return map[string][]report.FormatInfo{
		"exec":  report.ExecFormats(),
		"copy":  report.ExecFormats(),
		"fetch": report.ExecFormats(),
		"check": report.CheckFormats(),
		"play":  report.PlayFormats(),
	}
}

// outputFlagHelp is the help of -o: the formats of exec, check and play.
func outputFlagHelp() string {
	formats := outputFormats()
	list := func(cmd string) string { return strings.Join(report.FormatNames(formats[cmd]), ", ") }
	return fmt.Sprintf("output: %s (check: %s; play: %s)", list("exec"), list("check"), list("play"))
}

// completeOutput completes -o with the formats of the command being run.
func completeOutput(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	return report.FormatNames(outputFormats()[cmd.Name()]), cobra.ShellCompDirectiveNoFileComp
}

// completeRunIDs completes a run ID (runs show, --from): "last", then the
// recorded runs, newest first, each described by its command line.
func completeRunIDs(stores func() (runrec.Store, error)) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		out := []cobra.Completion{cobra.CompletionWithDesc("last", "the newest run")}
		store, err := stores()
		if err != nil {
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		recs, _ := store.List() // unreadable records are left out
		for _, rec := range slices.Backward(recs) {
			out = append(out, cobra.CompletionWithDesc(rec.ID, runrec.CommandLine(rec)))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// flagError makes a flag parsing error a usage error, with a did-you-mean
// hint for a mistyped long flag (as cobra gives for subcommands).
func flagError(cmd *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return usageError{Err: err}
	}
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	if best := yamlnode.Closest(name, names); best != "" {
		return usageError{Err: fmt.Errorf("%w; hint: did you mean --%s?", err, best)}
	}
	return usageError{Err: fmt.Errorf("%w; hint: %s --help lists the flags", err, cmd.CommandPath())}
}

// loadSettings resolves the settings of this run (settings.Load), and the
// settings of unattended runs when cmd has them: --cron is resolved here,
// once.
func (a *app) loadSettings(cmd *cobra.Command) error {
	sg, err := settings.Load(a.v, cmd.Flags(), a.io.Getenv, a.cwd)
	if err != nil {
		return err
	}
	g := globals{sg}
	if cmd.Flags().Lookup(ops.FlagCron) != nil {
		// A bad setting is reported by the command (check -o nagios says
		// it as a status line): see newOpsRun.
		a.ops, a.opsErr = ops.Load(a.v)
		if a.ops.Cron && a.opsErr == nil {
			g.Globals = g.Unattended()
		}
	}
	a.g = g
	if g.NoPrompt {
		a.io.ReadSecret = nil
	}
	return nil
}
