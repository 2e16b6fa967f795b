package ssh

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"time"
)

// Defaults used when neither the target, ssh_config nor Options say otherwise.
const (
	DefaultConnectTimeout    = 10 * time.Second
	DefaultKeepaliveInterval = 15 * time.Second
	DefaultKeepaliveCountMax = 3
	DefaultBastionChannels   = 10
	DefaultKillGrace         = 500 * time.Millisecond
)

// Options configure a Dialer. The zero value is usable: it reads
// ~/.ssh/config and ~/.ssh/known_hosts, uses the agent from $SSH_AUTH_SOCK
// and the default identity files, checks host keys strictly and never
// prompts.
type Options struct {
	// Home is the home directory holding .ssh ("" = os.UserHomeDir).
	Home string
	// ConfigFile is the ssh_config to read ("" = Home/.ssh/config; "none"
	// disables it). A missing file is not an error.
	ConfigFile string
	// KnownHostsFile overrides the known_hosts file ("" = UserKnownHostsFile
	// from ssh_config, else Home/.ssh/known_hosts).
	KnownHostsFile string
	// HostKeyPolicy applies when neither the target nor ssh_config set one:
	// "strict" (default), "accept-new" or "off".
	HostKeyPolicy string
	// HintArgs are the global arguments of this run (its inventories, its
	// ssh_config and known_hosts files) that a remotectl command printed in
	// a hint or a doctor fix repeats, so that pasted as printed it acts on
	// the same hosts and files, e.g. ["-i", "inventory.yaml"].
	HintArgs []string
	// ConnectTimeout bounds TCP connect, SSH handshake and authentication
	// (default 10s) when the target and ssh_config do not set one.
	ConnectTimeout time.Duration
	// KeepaliveInterval is the time between keepalive@openssh.com requests
	// (default 15s; ssh_config ServerAliveInterval wins); a peer that misses
	// KeepaliveCountMax (default 3; ServerAliveCountMax wins) in a row is
	// considered dead. A negative interval disables keepalives.
	KeepaliveInterval time.Duration
	KeepaliveCountMax int
	// Prompter asks the user for secrets on a terminal; nil when there is no
	// TTY: then nothing ever prompts.
	Prompter Prompter
	// AskPassProgram is run like SSH_ASKPASS (the prompt as its argument, the
	// secret on its stdout) for key passphrases and login passwords.
	AskPassProgram string
	// PassphraseEnv names an environment variable holding the passphrase of
	// encrypted private keys.
	PassphraseEnv string
	// BecomePassword is the sudo password (--ask-become-pass).
	BecomePassword string
	// Password is the login password (--ask-pass).
	Password string
	// BastionChannels caps concurrent channel opens per bastion (default 10).
	BastionChannels int
	// Warn receives warnings, each at most once per Dialer (nil discards).
	Warn io.Writer
	// AgentSocket is the ssh-agent socket ("" = $SSH_AUTH_SOCK; "none"
	// disables the agent).
	AgentSocket string
	// KillGrace is the time between the TERM and KILL signals sent to a
	// command whose context is done (default 500ms).
	KillGrace time.Duration
	// WorkDir is the directory ProxyCommand runs in ("" = the current one):
	// the remotectl agent dials in the directory of the run it dials for.
	WorkDir string
	// Getenv reads the environment variables the settings name (passwords,
	// passphrases, the agent socket); nil is os.Getenv. The remotectl agent
	// passes the values of the run it dials for.
	Getenv func(string) string
	// LocalUser is the login name used when neither the target nor
	// ssh_config names a user ("" = the current user).
	LocalUser string
}

// Prompter asks the user for a value, typically on a terminal. echo says
// whether the answer may be shown as it is typed (false for secrets).
type Prompter interface {
	Prompt(ctx context.Context, prompt string, echo bool) (string, error)
}

// PrompterFunc adapts a function to Prompter.
type PrompterFunc func(ctx context.Context, prompt string, echo bool) (string, error)

// Prompt calls f.
func (f PrompterFunc) Prompt(ctx context.Context, prompt string, echo bool) (string, error) {
	return f(ctx, prompt, echo)
}

// withDefaults fills in every defaulted field, reading the environment once.
func (o Options) withDefaults() (Options, error) {
	if o.Home == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return o, fmt.Errorf("cannot find the home directory for ~/.ssh: %w (set HOME)", err)
		}
		o.Home = home
	}
	if o.ConfigFile == "" {
		o.ConfigFile = filepath.Join(o.Home, ".ssh", "config")
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.KeepaliveInterval == 0 {
		o.KeepaliveInterval = DefaultKeepaliveInterval
	}
	if o.KeepaliveCountMax <= 0 {
		o.KeepaliveCountMax = DefaultKeepaliveCountMax
	}
	if o.BastionChannels <= 0 {
		o.BastionChannels = DefaultBastionChannels
	}
	if o.KillGrace <= 0 {
		o.KillGrace = DefaultKillGrace
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.AgentSocket == "" {
		o.AgentSocket = o.Getenv("SSH_AUTH_SOCK")
	}
	if o.LocalUser == "" {
		o.LocalUser = currentUser()
	}
	if o.HostKeyPolicy == "" {
		o.HostKeyPolicy = "strict"
	}
	if _, err := parsePolicy(o.HostKeyPolicy); err != nil {
		return o, err
	}
	if o.Warn == nil {
		o.Warn = io.Discard
	}
	return o, nil
}

// agentSocket returns the agent socket to use, "" for none.
func (o Options) agentSocket() string {
	if o.AgentSocket == "none" {
		return ""
	}
	return o.AgentSocket
}

// currentUser returns the login name of the user running remotectl.
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if name := os.Getenv("USER"); name != "" {
		return name
	}
	return os.Getenv("USERNAME")
}
