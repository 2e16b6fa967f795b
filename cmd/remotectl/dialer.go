package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/remotectl/remotectl/doctor"
	"github.com/remotectl/remotectl/remote"
)

// secrets are asked once per run, on a terminal only, and never printed.
type secrets struct {
	Password       string
	BecomePassword string
}

// askSecrets prompts for the passwords the flags ask for. Without a terminal
// it refuses rather than hang a cron job.
func (io *streams) askSecrets(askPass, askBecome bool) (secrets, error) {
	var s secrets
	ask := func(flag, prompt string, dst *string) error {
		if io.ReadSecret == nil {
			return usageError{fmt.Errorf("%s needs a terminal to prompt on; without one, name an environment variable in the inventory (password_env / become_password_env)", flag)}
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
}

// transports is the transport registry, built in main.
type transports []transport

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

// transportDialer dispatches each target to the dialer of its transport.
// Transport dialers are created on first use, so a run over local hosts never
// reads ~/.ssh.
type transportDialer struct {
	reg     transports
	dialers map[string]*lazyDialer // by kind
}

type lazyDialer struct {
	once sync.Once
	new  func() (remote.Dialer, func() error, error)
	d    remote.Dialer
	stop func() error
	err  error
}

func (l *lazyDialer) get() (remote.Dialer, error) {
	l.once.Do(func() { l.d, l.stop, l.err = l.new() })
	return l.d, l.err
}

func (l *lazyDialer) close() error {
	if l.stop == nil {
		return nil
	}
	return l.stop()
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
	d := &transportDialer{reg: a.transports, dialers: make(map[string]*lazyDialer, len(a.transports))}
	for _, t := range a.transports {
		d.dialers[t.Kind] = &lazyDialer{new: func() (remote.Dialer, func() error, error) { return t.NewDialer(a, s) }}
	}
	return d
}

// doctorSteps returns the doctor steps of every transport, each given the
// transport's dialer, made on first use.
func (d *transportDialer) doctorSteps() map[string]doctor.Steps {
	steps := make(map[string]doctor.Steps, len(d.reg))
	for _, t := range d.reg {
		if t.Doctor != nil {
			steps[t.Kind] = t.Doctor(d.dialers[t.Kind].get)
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
		td, err := d.dialers[t.Kind].get()
		if err != nil {
			return err
		}
		if err := t.Check(td, mine); err != nil {
			return inputError{err}
		}
	}
	return nil
}

// Dial dials t with the dialer of its transport.
func (d *transportDialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	tr, ok := d.reg.lookup(t.Transport)
	if !ok {
		return nil, &remote.Error{Class: remote.ClassOther, Op: "dial", Err: fmt.Errorf("unknown transport %q", t.Transport)}
	}
	td, err := d.dialers[tr.Kind].get()
	if err != nil {
		return nil, &remote.Error{Class: remote.ClassOther, Op: tr.Kind + " setup", Err: err}
	}
	return td.Dial(ctx, t)
}

// Close releases shared connections (bastions) held by transport dialers.
func (d *transportDialer) Close() error {
	var errs []error
	for _, t := range d.reg {
		errs = append(errs, d.dialers[t.Kind].close())
	}
	return errors.Join(errs...)
}
