package main

import (
	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/agent"
)

// newAgentDialer is the SSH dialer of a run with --persist: connections
// held by the per-user agent (remote/agent), started on demand.
func newAgentDialer(a *app, s secrets) (remote.Dialer, func() error, error) {
	d, err := agent.NewDialer(agent.Config{Persist: a.g.Persist, Options: a.sshOptions(s),
		Getenv: a.io.Getenv, Start: agent.SpawnSelf(a.g.Persist)})
	if err != nil {
		return nil, nil, err
	}
	return d, d.Close, nil
}

// newAgentCmd is `remotectl agent start [--foreground] | status | stop`.
func newAgentCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{Use: "agent", Short: "The per-user agent holding SSH and WinRM connections between --persist runs"}
	var fg bool
	for _, c := range agent.Commands {
		sub := &cobra.Command{Use: c.Name, Short: c.Short, Args: cobra.NoArgs, RunE: func(cc *cobra.Command, _ []string) error {
			return agent.Control(cc.Context(), c.Name, agent.ControlOptions{Getenv: f.IO.Getenv,
				Persist: f.Settings().Persist, Foreground: fg, Out: f.IO.Out, Log: f.IO.Err, Now: f.Now()})
		}}
		if c.Name == "start" {
			sub.Flags().BoolVar(&fg, "foreground", false, "run in the foreground, logging to stderr")
		}
		cmd.AddCommand(sub)
	}
	return cmd
}
