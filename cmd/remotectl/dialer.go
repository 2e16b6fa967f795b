package main

import (
	"fmt"

	"github.com/remotectl/remotectl/doctor"
	"github.com/remotectl/remotectl/remote"
)

// secrets are asked once per run, on a terminal only, and never printed.
type secrets struct {
	Password       string
	BecomePassword string
}

// values returns the passwords asked on the terminal.
func (s secrets) values() []string { return []string{s.Password, s.BecomePassword} }

// askSecrets prompts for the passwords the flags ask for. Without a terminal
// it refuses rather than hang a cron job.
func askSecrets(io *streams, askPass, askBecome bool) (secrets, error) {
	var s secrets
	ask := func(flag, prompt string, dst *string) error {
		if io.ReadSecret == nil {
			return usageError{Err: fmt.Errorf("%s needs a terminal to prompt on; without one, name an environment variable in the inventory (password_env / become_password_env)", flag)}
		}
		v, err := io.ReadSecret(prompt)
		if err != nil {
			return fmt.Errorf("%s: %w", flag, err)
		}
		*dst = v
		return nil
	}
	if askPass {
		if err := ask("--ask-pass", "SSH password: ", &s.Password); err != nil {
			return s, err
		}
	}
	if askBecome {
		if err := ask("--ask-become-pass", "BECOME password: ", &s.BecomePassword); err != nil {
			return s, err
		}
	}
	return s, nil
}

// transport is one row of the transport registry: what the commands need
// of a transport kind beyond package remote's contract. Adding a transport
// is adding a row in main's builtinTransports.
type transport struct {
	// Kind is the transport's name in inventories and targets (remote.Kind*).
	Kind string
	// NewDialer builds the kind's dialer for one run, with the secrets
	// asked once; stop, when not nil, releases what the dialer holds.
	NewDialer func(a *app, s secrets) (d remote.Dialer, stop func() error, err error)
	// Check, when not nil, reads the settings of the kind's targets as
	// connecting would, without contacting any host: a problem is invalid
	// input (exit 65), reported before any host is contacted.
	Check func(d remote.Dialer, targets []remote.Target) error
	// Doctor returns the kind's diagnosis steps (remotectl doctor); dialer
	// gives the kind's dialer, made on first use.
	Doctor func(dialer func() (remote.Dialer, error)) doctor.Steps
	// Settings declares the kind's inventory settings and its Ansible
	// variables and ansible_connection aliases; Kind is Settings.Kind.
	Settings remote.SettingsSchema
}

// transports is the transport registry, built in main.
type transports []transport

// settings returns the settings schemas of the registry, for inventories.
func (r transports) settings() []remote.SettingsSchema {
	out := make([]remote.SettingsSchema, len(r))
	for i, t := range r {
		out[i] = t.Settings
	}
	return out
}

// lookup returns the row of kind; "" is the default kind, SSH.
func (r transports) lookup(kind string) (transport, bool) {
	if kind == "" {
		kind = remote.KindSSH
	}
	for _, t := range r {
		if t.Kind == kind {
			return t, true
		}
	}
	return transport{}, false
}

// transportDialer is the dialer of a run: each target goes to the dialer
// of its transport, made on first use (remote.Dialers).
type transportDialer struct {
	*remote.Dialers
	reg transports
}

// newDialer returns the dialer of a run over targets. Their settings are
// checked first by the transports that can (SSH reads ssh_config): a broken
// one is invalid input, reported before any host is contacted.
func (a *app) newDialer(s secrets, targets []remote.Target) (*transportDialer, error) {
	d := a.lazyDialer(s)
	if err := d.check(targets); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

// lazyDialer returns a dialer whose transport dialers are made on first use,
// without checking any settings (doctor reports them host by host).
func (a *app) lazyDialer(s secrets) *transportDialer {
	makers := make(map[string]remote.NewDialerFunc, len(a.transports))
	for _, t := range a.transports {
		makers[t.Kind] = func() (remote.Dialer, func() error, error) { return t.NewDialer(a, s) }
	}
	return &transportDialer{Dialers: remote.NewDialers(makers), reg: a.transports}
}

// doctorSteps returns the doctor steps of every transport, each given the
// transport's dialer, made on first use.
func (d *transportDialer) doctorSteps() map[string]doctor.Steps {
	steps := make(map[string]doctor.Steps, len(d.reg))
	for _, t := range d.reg {
		if t.Doctor != nil {
			steps[t.Kind] = t.Doctor(func() (remote.Dialer, error) { return d.Get(t.Kind) })
		}
	}
	return steps
}

// check runs the Check of every transport some target uses, on its targets;
// a transport none uses is not even set up.
func (d *transportDialer) check(targets []remote.Target) error {
	for _, t := range d.reg {
		if t.Check == nil {
			continue
		}
		var mine []remote.Target
		for _, target := range targets {
			if tr, _ := d.reg.lookup(target.Transport); tr.Kind == t.Kind {
				mine = append(mine, target)
			}
		}
		if len(mine) == 0 {
			continue
		}
		td, err := d.Get(t.Kind)
		if err != nil {
			return err
		}
		if err := t.Check(td, mine); err != nil {
			return inputError{Err: err}
		}
	}
	return nil
}
