package main

import (
	"context"
	"fmt"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/ssh"
)

// sshOptions builds the SSH transport's options from the settings. Secrets
// come from prompts made once per run (never from argv).
func (a *app) sshOptions(s secrets) ssh.Options {
	o := ssh.Options{
		ConfigFile:     a.g.SSHConfig,
		KnownHostsFile: a.g.KnownHosts,
		HostKeyPolicy:  a.g.HostKeyPolicy,
		ConnectTimeout: a.g.ConnectTimeout,
		AskPassProgram: a.v.GetString("askpass"),
		PassphraseEnv:  a.v.GetString("passphrase-env"),
		Password:       s.Password,
		BecomePassword: s.BecomePassword,
		Warn:           a.io.Err,
	}
	if a.io.ReadSecret != nil {
		o.Prompter = ssh.PrompterFunc(func(_ context.Context, prompt string, _ bool) (string, error) {
			return a.io.ReadSecret(prompt)
		})
	}
	return o
}

// checkSSH reads the settings of the SSH targets as connecting would,
// ssh_config files included, without contacting any host: a problem is
// invalid input (exit 65) naming file:line or the host, as OpenSSH refuses
// to start on a broken ssh_config. Without SSH targets nothing is read.
func (d *transportDialer) checkSSH(targets []remote.Target) error {
	var sshTargets []remote.Target
	for _, t := range targets {
		if t.Transport == remote.KindSSH || t.Transport == "" {
			sshTargets = append(sshTargets, t)
		}
	}
	if len(sshTargets) == 0 {
		return nil
	}
	sd, err := d.ssh.get()
	if err != nil {
		return err
	}
	if err := sd.(*ssh.Dialer).Check(sshTargets); err != nil {
		return inputError{err}
	}
	return nil
}

func (a *app) newSSHDialer(s secrets) (remote.Dialer, func() error, error) {
	d, err := ssh.NewDialer(a.sshOptions(s))
	if err != nil {
		return nil, nil, fmt.Errorf("ssh: %w", err)
	}
	return d, d.Close, nil
}
