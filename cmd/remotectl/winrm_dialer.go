package main

import (
	"github.com/remotectl/remotectl/doctor"
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

// winrmDoctorSteps are the WinRM transport's diagnosis steps over its
// dialer, which cannot fail to be made.
func winrmDoctorSteps(dialer func() (remote.Dialer, error)) doctor.Steps {
	return winrm.DoctorSteps{Dialer: func() *winrm.Dialer {
		d, _ := dialer()
		return d.(*winrm.Dialer)
	}}
}
