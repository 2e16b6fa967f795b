package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
)

// secrets are asked once per run, on a terminal only, and never printed.
type secrets struct {
	Password       string
	BecomePassword string
}

// askSecrets prompts for the passwords the flags ask for. Without a terminal
// it refuses rather than hang a cron job.
func (a *app) askSecrets(askPass, askBecome bool) (secrets, error) {
	var s secrets
	ask := func(flag, prompt string, dst *string) error {
		if a.io.ReadSecret == nil {
			return usageError{fmt.Errorf("%s needs a terminal to prompt on; without one, name an environment variable in the inventory (password_env / become_password_env)", flag)}
		}
		v, err := a.io.ReadSecret(prompt)
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

// transportDialer dispatches each target to the dialer of its transport.
// Transport dialers are created on first use, so a run over local hosts never
// reads ~/.ssh.
type transportDialer struct {
	local remote.Dialer
	ssh   lazyDialer
	winrm lazyDialer
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

// newDialer returns the dialer of a run over targets. Their SSH settings
// (ssh_config included) are checked first: a broken one is invalid input,
// reported before any host is contacted.
func (a *app) newDialer(s secrets, targets []remote.Target) (*transportDialer, error) {
	d := a.lazyDialer(s)
	if err := d.checkSSH(targets); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

// lazyDialer returns a dialer whose transport dialers are made on first use,
// without checking any settings.
func (a *app) lazyDialer(s secrets) *transportDialer {
	return &transportDialer{
		local: local.Dialer{},
		ssh:   lazyDialer{new: func() (remote.Dialer, func() error, error) { return a.newSSHDialer(s) }},
		winrm: lazyDialer{new: func() (remote.Dialer, func() error, error) { return a.newWinRMDialer(s), nil, nil }},
	}
}

func (d *transportDialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	switch t.Transport {
	case remote.KindLocal:
		return d.local.Dial(ctx, t)
	case remote.KindSSH, "":
		sd, err := d.ssh.get()
		if err != nil {
			return nil, &remote.Error{Class: remote.ClassOther, Op: "ssh setup", Err: err}
		}
		return sd.Dial(ctx, t)
	case remote.KindWinRM:
		wd, _ := d.winrm.get()
		return wd.Dial(ctx, t)
	}
	return nil, &remote.Error{Class: remote.ClassOther, Op: "dial", Err: fmt.Errorf("unknown transport %q", t.Transport)}
}

// Close releases shared connections (bastions) held by transport dialers.
func (d *transportDialer) Close() error { return errors.Join(d.ssh.close(), d.winrm.close()) }
