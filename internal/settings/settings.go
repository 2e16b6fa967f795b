// Package settings resolves the settings every remotectl command shares:
// flags, then REMOTECTL_* environment variables, then a config file
// (--config, ./remotectl.yaml, $XDG_CONFIG_HOME/remotectl/config.yaml),
// then the flag defaults. cmd/remotectl defines the flags and calls Load
// once the command line is parsed.
package settings

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/remotectl/remotectl/internal/errkind"
)

// Globals are the settings every command shares, resolved once per run from
// flags > REMOTECTL_* environment > config file > defaults.
type Globals struct {
	Inventories []string
	// InventoriesSet, ForksSet: given by a flag, the environment or the
	// config file (not defaults), so they win over ansible.cfg's.
	InventoriesSet bool
	ForksSet       bool
	Hosts          string
	Limit          string
	Forks          int
	Timeout        time.Duration
	ConnectTimeout time.Duration
	// ConnectTimeoutSet: the connect timeout was given (flag, environment
	// or config file), so it wins over ssh_config's ConnectTimeout; its
	// default does not (the transports' options carry it).
	ConnectTimeoutSet bool
	Output            string
	Color             string
	Verbose           int
	Quiet             bool
	ConfigFile        string // the config file actually read ("" when none)

	// InventoryTimeout bounds a dynamic inventory (with --timeout, if lower).
	InventoryTimeout time.Duration

	// SSH settings.
	SSHConfig     string
	KnownHosts    string
	HostKeyPolicy string
	AskPass       string // program asked for key passphrases and passwords
	PassphraseEnv string // environment variable holding key passphrases

	// NoPrompt: never prompt, even on a terminal (--cron).
	NoPrompt bool

	// Persist: SSH connections go through the per-user agent, which holds
	// them this long once idle (--persist; 0 = off).
	Persist time.Duration
}

// UsageError is a setting that cannot be (exit 64).
type UsageError = errkind.Usage

// InputError is a config file that cannot be read (exit 65).
type InputError = errkind.Input

// Load resolves the settings of flags, whose values v binds: v reads the
// environment and the config file as well. getenv and cwd locate the
// config file and the default inventory.
func Load(v *viper.Viper, flags *pflag.FlagSet, getenv func(string) string, cwd string) (Globals, error) {
	v.SetEnvPrefix("REMOTECTL")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if err := v.BindPFlags(flags); err != nil {
		return Globals{}, err
	}
	if err := readConfigFile(v, flags, getenv, cwd); err != nil {
		return Globals{}, err
	}
	g := Globals{
		Hosts:             v.GetString("hosts"),
		Limit:             v.GetString("limit"),
		Forks:             v.GetInt("forks"),
		ForksSet:          v.IsSet("forks"),
		InventoriesSet:    v.IsSet("inventory"),
		Timeout:           v.GetDuration("timeout"),
		ConnectTimeout:    v.GetDuration("connect-timeout"),
		ConnectTimeoutSet: v.IsSet("connect-timeout"),
		Output:            strings.ToLower(v.GetString("output")),
		Color:             strings.ToLower(v.GetString("color")),
		Verbose:           v.GetInt("verbose"),
		Quiet:             v.GetBool("quiet"),
		ConfigFile:        v.ConfigFileUsed(),
		SSHConfig:         v.GetString("ssh-config"),
		KnownHosts:        v.GetString("known-hosts"),
		HostKeyPolicy:     v.GetString("host-key-policy"),
		AskPass:           v.GetString("askpass"),
		PassphraseEnv:     v.GetString("passphrase-env"),
		Persist:           v.GetDuration("persist"),
	}
	g.InventoryTimeout = v.GetDuration("inventory-timeout")
	g.Inventories = inventoryPaths(v, cwd)
	if g.Forks <= 0 {
		return g, UsageError{Err: fmt.Errorf("--forks must be at least 1, not %d", g.Forks)}
	}
	if g.Persist < 0 {
		return g, UsageError{Err: fmt.Errorf("--persist must be a duration of 0 (off) or more, not %s", g.Persist)}
	}
	if g.InventoryTimeout <= 0 {
		return g, UsageError{Err: fmt.Errorf("--inventory-timeout must be positive, not %s", g.InventoryTimeout)}
	}
	switch g.Color {
	case "auto", "always", "never":
	default:
		return g, UsageError{Err: fmt.Errorf("--color must be auto, always or never, not %q", g.Color)}
	}
	switch g.HostKeyPolicy {
	case "", "strict", "accept-new", "off":
	default:
		return g, UsageError{Err: fmt.Errorf("--host-key-policy must be strict, accept-new or off, not %q", g.HostKeyPolicy)}
	}
	return g, nil
}

// Unattended returns the settings as --cron makes them, for everything
// after: quiet, no colour, no prompts.
func (g Globals) Unattended() Globals {
	g.Quiet, g.Color, g.NoPrompt = true, "never", true
	return g
}

// PatternFlag is the value of -H: one pattern. pflag's string flags keep
// the last of repeated values; for a target that would silently drop one,
// so a second, different -H is an error (join patterns instead: -H 'a,b').
type PatternFlag struct {
	value string
	set   bool
}

// Set sets the pattern; a second, different one is an error. The same
// pattern again is not: it drops nothing, and cobra's completion
// (__complete) parses the command line twice into the same flags, so each
// -H given is set twice there.
func (p *PatternFlag) Set(v string) error {
	if p.set && v == p.value {
		return nil
	}
	if p.set {
		return fmt.Errorf("a second pattern (the first is %q): -H takes one; join them: -H '%s,%s'", p.value, p.value, v)
	}
	p.value, p.set = v, true
	return nil
}

// String returns the pattern.
func (p *PatternFlag) String() string { return p.value }

// Type is the type pflag shows in the help.
func (p *PatternFlag) Type() string { return "string" }

// readConfigFile reads --config, else ./remotectl.yaml, else
// $XDG_CONFIG_HOME/remotectl/config.yaml. Only an explicitly named file must exist.
func readConfigFile(v *viper.Viper, flags *pflag.FlagSet, getenv func(string) string, cwd string) error {
	explicit := v.GetString("config")
	candidates := []string{explicit}
	if explicit == "" {
		candidates = []string{filepath.Join(cwd, "remotectl.yaml")}
		if dir := configHome(getenv); dir != "" {
			candidates = append(candidates, filepath.Join(dir, "remotectl", "config.yaml"))
		}
	}
	for _, path := range candidates {
		if _, err := os.Stat(path); err != nil {
			if explicit != "" {
				return UsageError{Err: fmt.Errorf("config file: %w", err)}
			}
			continue
		}
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return InputError{Err: fmt.Errorf("config file %s: %w", path, err)}
		}
		for _, key := range v.AllKeys() {
			if flags.Lookup(key) == nil && key != "config" {
				return InputError{Err: fmt.Errorf("config file %s: unknown setting %q (settings are the long flag names, e.g. forks: 100)", path, key)}
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
func inventoryPaths(v *viper.Viper, cwd string) []string {
	paths := v.GetStringSlice("inventory")
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
	def := filepath.Join(cwd, "inventory.yaml")
	if _, err := os.Stat(def); err == nil {
		return []string{"inventory.yaml"}
	}
	return nil
}

// DefaultForks is the default of --forks: hosts worked on in parallel.
const DefaultForks = 64

// AbsInventories returns the inventory paths made absolute against cwd, so
// a lock or a history key does not depend on the current directory.
func (g Globals) AbsInventories(cwd string) []string {
	out := make([]string, len(g.Inventories))
	for i, p := range g.Inventories {
		if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
		}
		out[i] = filepath.Clean(p)
	}
	return out
}

// HintArgs are the global arguments a remotectl command printed in a hint
// repeats, so that pasted it acts on the same inventories and files.
func (g Globals) HintArgs() []string {
	var args []string
	for _, inv := range g.Inventories {
		args = append(args, "-i", inv)
	}
	if g.SSHConfig != "" {
		args = append(args, "--ssh-config", g.SSHConfig)
	}
	if g.KnownHosts != "" {
		args = append(args, "--known-hosts", g.KnownHosts)
	}
	return args
}

// OutputArg returns the output format a command line asks for, read
// before cobra parses it (a bad flag stops the parse): the last -o or
// --output before "--", else REMOTECTL_OUTPUT; lower case.
func OutputArg(args []string, getenv func(string) string) string {
	out := getenv("REMOTECTL_OUTPUT")
	for i := 0; i < len(args) && args[i] != "--"; i++ {
		arg := args[i]
		switch {
		case (arg == "-o" || arg == "--output") && i+1 < len(args):
			out = args[i+1]
			i++
		case strings.HasPrefix(arg, "--output="):
			out = strings.TrimPrefix(arg, "--output=")
		case strings.HasPrefix(arg, "-o") && !strings.HasPrefix(arg, "--"):
			out = strings.TrimPrefix(strings.TrimPrefix(arg, "-o"), "=")
		}
	}
	return strings.ToLower(out)
}
