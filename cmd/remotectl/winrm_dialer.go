package main

import (
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/winrm"
)

// newWinRMDialer builds the WinRM transport's dialer from the settings.
func newWinRMDialer(a *app, s secrets) (remote.Dialer, func() error, error) {
	return winrm.NewDialer(winrm.Options{
		Warn:           a.io.Err,
		Password:       s.Password,
		ConnectTimeout: a.g.ConnectTimeout,
	}), nil, nil
}
