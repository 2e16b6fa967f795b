// Package ansiblecli is ansible-playbook's command line over remotectl
// play: the settings resolved as Ansible resolves them (command line >
// ANSIBLE_* environment > ansible.cfg > remotectl's defaults), the defaults
// a host's inventory does not override (remote user, private key, become),
// the vault secrets turned into the playbook's decrypter with every
// decrypted value registered as a secret, and the outputs that run nothing
// (--syntax-check, --list-tasks, --list-hosts, --list-tags). cmd/remotectl
// calls it; it never connects to a host.
package ansiblecli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/remotectl/remotectl/internal/errkind"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/playbook"
	"github.com/remotectl/remotectl/playbook/ansiblecfg"
	"github.com/remotectl/remotectl/playbook/vault"
	"github.com/remotectl/remotectl/remote"
)

// Flags are the options of ansible-playbook given to remotectl play; the
// *Set fields say whether remotectl's own settings (flag, REMOTECTL_*,
// config file) gave the value, which then wins over Ansible's sources.
type Flags struct {
	InventorySet      bool
	ForksSet          bool
	ConnectTimeoutSet bool

	User          string // -u
	PrivateKey    string // --private-key
	Step          bool   // --step: ask before each task (a terminal only)
	Become        bool   // -b
	BecomeUser    string // --become-user
	BecomeMethod  string // --become-method
	AskPass       bool   // -k
	AskBecomePass bool   // -K

	VaultIDs           []string // --vault-id
	VaultPasswordFiles []string // --vault-password-file
	AskVaultPass       bool     // -J
}

// Settings are a play run's settings once resolved; zero values leave
// remotectl's own.
type Settings struct {
	Inventories    []string // from ANSIBLE_INVENTORY or ansible.cfg
	RolesPath      []string
	Forks          int
	ConnectTimeout time.Duration
	Defaults       TargetDefaults
	AskPass        bool
	AskBecomePass  bool
	Vault          []vault.Source
	secrets        []vault.Secret // read by Setup
}

// Resolve applies ansible.cfg and the ANSIBLE_* environment (cfg, as
// ansiblecfg.Load returns them) under the command line f.
func Resolve(f Flags, cfg *ansiblecfg.Config) (Settings, error) {
	s := Settings{RolesPath: cfg.RolesPath}
	if !f.InventorySet {
		s.Inventories = cfg.Inventory
	}
	if !f.ForksSet && cfg.Forks > 0 {
		s.Forks = cfg.Forks
	}
	if !f.ConnectTimeoutSet && cfg.Timeout > 0 {
		s.ConnectTimeout = cfg.Timeout
	}
	s.Defaults = TargetDefaults{
		User:       cmp.Or(f.User, cfg.RemoteUser),
		PrivateKey: cmp.Or(f.PrivateKey, cfg.PrivateKeyFile),
		Become:     f.Become || cfg.Become,
		BecomeUser: cmp.Or(f.BecomeUser, cfg.BecomeUser),
	}
	if m := cmp.Or(f.BecomeMethod, cfg.BecomeMethod); m != "" {
		name := strings.TrimPrefix(strings.TrimPrefix(m, "ansible.builtin."), "ansible.legacy.")
		if name != "sudo" && name != "su" {
			return s, fmt.Errorf("become method %q: remotectl becomes another user with sudo or su only; hint: use --become-method sudo or su (or leave it unset)", m)
		}
		s.Defaults.BecomeMethod = name
	}
	s.AskPass = f.AskPass || cfg.AskPass
	s.AskBecomePass = f.AskBecomePass || cfg.BecomeAskPass
	if f.AskVaultPass && len(f.VaultPasswordFiles) > 0 {
		return s, fmt.Errorf("--ask-vault-pass and --vault-password-file cannot be used together (as with ansible-playbook)")
	}
	ids := append(slices.Clip(cfg.VaultIdentityList), f.VaultIDs...) // ansible.cfg's first, as Ansible
	s.Vault = vault.Sources(ids, f.VaultPasswordFiles, cfg.VaultPasswordFile, f.AskVaultPass || cfg.AskVaultPass)
	return s, nil
}

// TargetDefaults are the connection settings of the command line and
// ansible.cfg, which apply to a host only where its inventory says
// nothing (in Ansible, ansible_user and the other host variables win over
// -u, --private-key and -b).
type TargetDefaults struct {
	User         string
	PrivateKey   string
	Become       bool
	BecomeUser   string
	BecomeMethod string // sudo or su; "" is sudo
}

// Apply fills t's unset settings with d.
func (d TargetDefaults) Apply(t remote.Target) remote.Target {
	if t.User == "" {
		t.User = d.User
	}
	if len(t.SSH.IdentityFiles) == 0 && d.PrivateKey != "" {
		t.SSH.IdentityFiles = []string{d.PrivateKey}
	}
	t.Become = t.Become || d.Become
	if t.BecomeUser == "" {
		t.BecomeUser = d.BecomeUser
	}
	if t.BecomeMethod == "" {
		t.BecomeMethod = d.BecomeMethod
	}
	return t
}

// Env is what Setup reads besides the flags.
type Env struct {
	Config ansiblecfg.Lookup
	Stdin  io.Reader
	Stderr io.Writer // warnings; password scripts' standard error
	// Prompt asks for a secret on the terminal; nil without one.
	Prompt func(string) (string, error)
}

// Setup reads ansible.cfg (its warnings on env.Stderr), resolves the
// settings under f and reads the vault secrets. An ansible.cfg that cannot
// be read is invalid input (errkind.Input); conflicting options and vault
// secrets that cannot be read are usage errors (errkind.Usage).
func Setup(ctx context.Context, env Env, f Flags) (Settings, error) {
	cfg, err := ansiblecfg.Load(env.Config)
	if err != nil {
		return Settings{}, errkind.Input{Err: err}
	}
	warn := func(m string) { fmt.Fprintf(env.Stderr, "remotectl: warning: %s\n", m) }
	for _, w := range cfg.Warnings {
		warn(w)
	}
	s, err := Resolve(f, cfg)
	if err != nil {
		return s, errkind.Usage{Err: err}
	}
	if f.Step && env.Prompt == nil {
		return s, errkind.Usage{Err: errors.New("--step asks before each task, on a terminal: stdin is not one")}
	}
	loader := vault.Loader{Stdin: env.Stdin, Stderr: env.Stderr, Prompt: env.Prompt, Warn: warn, Getenv: env.Config.Getenv}
	if s.secrets, err = loader.Load(ctx, s.Vault); err != nil {
		return s, errkind.Usage{Err: err}
	}
	return s, nil
}

// Decrypter is the playbook's Decrypt over the vault secrets read by
// Setup, registering what it decrypts with m (see the function Decrypter).
func (s Settings) Decrypter(m *playbook.Secrets) func([]byte) ([]byte, error) {
	return Decrypter(s.secrets, m.Add)
}

// Targets are the targets of the plans' hosts, each made by target and
// completed by the defaults (see TargetDefaults), and the function that
// makes one (the executor's Target).
func (s Settings) Targets(plans []*playbook.PlayPlan, target func(*inventory.Host) remote.Target) ([]remote.Target, func(*inventory.Host) remote.Target) {
	withDefaults := func(h *inventory.Host) remote.Target { return s.Defaults.Apply(target(h)) }
	var out []remote.Target
	for _, p := range plans {
		for _, h := range p.Hosts {
			out = append(out, withDefaults(h))
		}
	}
	return out, withDefaults
}
