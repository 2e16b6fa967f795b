package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/report"
)

// globals are the settings every command shares, resolved once per run from
// flags > REMOTECTL_* environment > config file > defaults.
type globals struct {
	Inventories    []string
	Hosts          string
	Limit          string
	Forks          int
	Timeout        time.Duration
	ConnectTimeout time.Duration
	Output         string
	Color          string
	Verbose        int
	Quiet          bool
	ConfigFile     string // the config file actually read ("" when none)

	// InventoryTimeout bounds a dynamic inventory (with --timeout, if lower).
	InventoryTimeout time.Duration

	// SSH settings.
	SSHConfig     string
	KnownHosts    string
	HostKeyPolicy string

	// NoPrompt: never prompt, even on a terminal (--cron).
	NoPrompt bool
}

// app is one invocation: streams, settings, and the pieces commands need.
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

const defaultForks = 64

// run executes remotectl with args over the transports of reg and
// returns the process exit code.
func run(ctx context.Context, args []string, io *streams, reg transports) int {
	a := &app{io: io, v: viper.New(), transports: reg, args: args}
	a.cwd, _ = os.Getwd()
	root := newRootCmd(a)
	classifyArgs(root)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	failed, err := root.ExecuteContextC(ctx)
	err = rootError(root, failed, err)
	code := exitCodeOf(err)
	var ee exitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintf(io.Err, "remotectl: %v\n", err)
	}
	return code
}

func newRootCmd(a *app) *cobra.Command {
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

` + exitCodesHelp,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return a.loadSettings(cmd) },
	}
	root.SetFlagErrorFunc(flagError)
	root.CompletionOptions.HiddenDefaultCmd = false

	f := root.PersistentFlags()
	f.StringArrayP("inventory", "i", nil, "inventory file, directory or executable (repeatable; default ./inventory.yaml if present)")
	f.Duration("inventory-timeout", inventory.DefaultScriptTimeout, "time limit for a dynamic inventory (an executable -i), all its runs together")
	f.VarP(&patternFlag{}, "hosts", "H", "host pattern: all, group, host, web*, ~regex, a,b  a:&b  a:!b  @file (needed when an inventory is loaded: -H all for every host)")
	f.String("limit", "", "further limit the selected hosts to this pattern")
	f.IntP("forks", "f", defaultForks, "hosts to work on in parallel")
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
	registerHostCompletion(a, root)
	_ = root.RegisterFlagCompletionFunc("output", completeOutput)

	root.AddCommand(
		newExecCmd(a),
		newCheckCmd(a),
		newPlayCmd(a),
		newCopyCmd(a),
		newFetchCmd(a),
		newHostkeysCmd(a),
		newDoctorCmd(a),
		newInventoryCmd(a),
		newRunsCmd(a), // ops: run history
		newVersionCmd(a),
		newManCmd(root),
	)
	for _, cmd := range root.Commands() {
		if cmd.Flags().Lookup(ops.FlagFrom) != nil {
			_ = cmd.RegisterFlagCompletionFunc(ops.FlagFrom, completeRunIDs(a))
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
func completeRunIDs(a *app) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		out := []cobra.Completion{cobra.CompletionWithDesc("last", "the newest run")}
		store, err := a.runStore()
		if err != nil {
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		recs, _ := store.List() // unreadable records are left out
		for _, rec := range slices.Backward(recs) {
			out = append(out, cobra.CompletionWithDesc(rec.ID, commandLine(rec)))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// flagError makes a flag parsing error a usage error, with a did-you-mean
// hint for a mistyped long flag (as cobra gives for subcommands).
func flagError(cmd *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return usageError{err}
	}
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	if best := yamlnode.Closest(name, names); best != "" {
		return usageError{fmt.Errorf("%w; hint: did you mean --%s?", err, best)}
	}
	return usageError{fmt.Errorf("%w; hint: %s --help lists the flags", err, cmd.CommandPath())}
}

// loadSettings resolves the global settings for this run. Precedence: flags >
// REMOTECTL_* env > config file > flag defaults.
func (a *app) loadSettings(cmd *cobra.Command) error {
	v := a.v
	v.SetEnvPrefix("REMOTECTL")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if err := v.BindPFlags(cmd.Flags()); err != nil {
		return err
	}
	if err := a.readConfigFile(cmd.Flags()); err != nil {
		return err
	}
	g := globals{
		Hosts:          v.GetString("hosts"),
		Limit:          v.GetString("limit"),
		Forks:          v.GetInt("forks"),
		Timeout:        v.GetDuration("timeout"),
		ConnectTimeout: v.GetDuration("connect-timeout"),
		Output:         strings.ToLower(v.GetString("output")),
		Color:          strings.ToLower(v.GetString("color")),
		Verbose:        v.GetInt("verbose"),
		Quiet:          v.GetBool("quiet"),
		ConfigFile:     v.ConfigFileUsed(),
		SSHConfig:      v.GetString("ssh-config"),
		KnownHosts:     v.GetString("known-hosts"),
		HostKeyPolicy:  v.GetString("host-key-policy"),
	}
	g.InventoryTimeout = v.GetDuration("inventory-timeout")
	g.Inventories = a.inventoryPaths()
	if g.Forks <= 0 {
		return usageError{fmt.Errorf("--forks must be at least 1, not %d", g.Forks)}
	}
	if g.InventoryTimeout <= 0 {
		return usageError{fmt.Errorf("--inventory-timeout must be positive, not %s", g.InventoryTimeout)}
	}
	switch g.Color {
	case "auto", "always", "never":
	default:
		return usageError{fmt.Errorf("--color must be auto, always or never, not %q", g.Color)}
	}
	switch g.HostKeyPolicy {
	case "", "strict", "accept-new", "off":
	default:
		return usageError{fmt.Errorf("--host-key-policy must be strict, accept-new or off, not %q", g.HostKeyPolicy)}
	}
	if cmd.Flags().Lookup(ops.FlagCron) != nil {
		// A bad setting is reported by the command (check -o nagios says
		// it as a status line): see newOpsRun.
		a.ops, a.opsErr = ops.Load(v)
		if a.ops.Cron && a.opsErr == nil {
			g = g.unattended()
		}
	}
	a.g = g
	if g.NoPrompt {
		a.io.ReadSecret = nil
	}
	return nil
}

// unattended returns the settings as --cron makes them, for everything
// after: quiet, no colour, no prompts.
func (g globals) unattended() globals {
	g.Quiet, g.Color, g.NoPrompt = true, "never", true
	return g
}

// patternFlag is the value of -H: one pattern. pflag's string flags keep
// the last of repeated values; for a target that would silently drop one,
// so a second -H is an error (join patterns instead: -H 'a,b').
type patternFlag struct {
	value string
	set   bool
}

func (p *patternFlag) Set(v string) error {
	if p.set {
		return fmt.Errorf("a second pattern (the first is %q): -H takes one; join them: -H '%s,%s'", p.value, p.value, v)
	}
	p.value, p.set = v, true
	return nil
}

func (p *patternFlag) String() string { return p.value }
func (p *patternFlag) Type() string   { return "string" }

// readConfigFile reads --config, else ./remotectl.yaml, else
// $XDG_CONFIG_HOME/remotectl/config.yaml. Only an explicitly named file must exist.
func (a *app) readConfigFile(flags *pflag.FlagSet) error {
	v := a.v
	explicit := v.GetString("config")
	candidates := []string{explicit}
	if explicit == "" {
		candidates = []string{filepath.Join(a.cwd, "remotectl.yaml")}
		if dir := configHome(a.io.Getenv); dir != "" {
			candidates = append(candidates, filepath.Join(dir, "remotectl", "config.yaml"))
		}
	}
	for _, path := range candidates {
		if _, err := os.Stat(path); err != nil {
			if explicit != "" {
				return usageError{fmt.Errorf("config file: %w", err)}
			}
			continue
		}
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return inputError{fmt.Errorf("config file %s: %w", path, err)}
		}
		for _, key := range v.AllKeys() {
			if flags.Lookup(key) == nil && key != "config" {
				return inputError{fmt.Errorf("config file %s: unknown setting %q (settings are the long flag names, e.g. forks: 100)", path, key)}
			}
		}
		return nil
	}
	return nil
}

func configHome(getenv func(string) string) string {
	if dir := getenv("XDG_CONFIG_HOME"); dir != "" {
		return dir
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".config")
	}
	return ""
}

// inventoryPaths returns the inventories to load: flags/env/config, else
// ./inventory.yaml when present, else none (only the implicit localhost).
func (a *app) inventoryPaths() []string {
	paths := a.v.GetStringSlice("inventory")
	// REMOTECTL_INVENTORY may list several paths separated by the OS list separator.
	var out []string
	for _, p := range paths {
		for _, q := range filepath.SplitList(p) {
			if q != "" {
				out = append(out, q)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	def := filepath.Join(a.cwd, "inventory.yaml")
	if _, err := os.Stat(def); err == nil {
		return []string{"inventory.yaml"}
	}
	return nil
}
