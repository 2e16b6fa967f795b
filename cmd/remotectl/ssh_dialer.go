package main

import (
	"context"
	"fmt"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/agent"
	"github.com/remotectl/remotectl/remote/ssh"
)

// sshOptions builds the SSH transport's options from the settings. Secrets
// come from prompts made once per run (never from argv).
func (a *app) sshOptions(s secrets) ssh.Options {
	o := ssh.Options{
		ConfigFile:     a.g.SSHConfig,
		KnownHostsFile: a.g.KnownHosts,
		HostKeyPolicy:  a.g.HostKeyPolicy,
		HintArgs:       a.g.HintArgs(),
		ConnectTimeout: a.g.ConnectTimeout,
		AskPassProgram: a.g.AskPass,
		PassphraseEnv:  a.g.PassphraseEnv,
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
// ssh_config files included, without contacting any host: a problem names
// file:line or the host, as OpenSSH refuses to start on a broken ssh_config.
func checkSSH(d remote.Dialer, targets []remote.Target) error {
	return agent.LocalSSH(d).Check(targets)
}

// newSSHDialer builds the SSH transport's dialer from the settings.
func newSSHDialer(a *app, s secrets) (remote.Dialer, func() error, error) {
	if a.g.Persist > 0 {
		return newAgentDialer(a, s)
	}
	d, err := ssh.NewDialer(a.sshOptions(s))
	if err != nil {
		return nil, nil, fmt.Errorf("ssh: %w", err)
	}
	return d, d.Close, nil
}
