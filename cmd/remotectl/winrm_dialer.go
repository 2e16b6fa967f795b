package main

import (
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/agent"
	"github.com/remotectl/remotectl/remote/winrm"
)

// newWinRMDialer builds the WinRM transport's dialer from the settings.
// With --persist, its connections are held by the per-user agent.
func newWinRMDialer(a *app, s secrets) (remote.Dialer, func() error, error) {
	o := winrm.Options{Warn: a.io.Err, Password: s.Password, ConnectTimeout: a.g.ConnectTimeout}
	if a.g.Persist > 0 {
		o.Getenv = a.io.Getenv
		d, err := agent.NewWinRMDialer(agent.WinRMConfig{Persist: a.g.Persist, Options: o, Start: agent.SpawnSelf(a.g.Persist)})
		return d, nil, err
	}
	return winrm.NewDialer(o), nil, nil
}
