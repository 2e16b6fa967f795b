package inventory

import (
	"time"

	"github.com/remotectl/remotectl/remote"
)

// Target returns the host as a target of the runner: its connection
// settings, connectTimeout when it sets none, the SSH transport when it
// names none.
func (h *Host) Target(connectTimeout time.Duration) remote.Target {
	c := h.Conn
	t := remote.Target{
		Name:              h.Name,
		Address:           h.Address,
		Port:              h.Port,
		Transport:         h.Transport,
		User:              h.User,
		ConnectTimeout:    c.ConnectTimeout,
		Become:            c.Become,
		BecomeUser:        c.BecomeUser,
		BecomePasswordEnv: c.BecomePasswordEnv,
		PasswordEnv:       c.PasswordEnv,
		Password:          c.Password,
		Vars:              h.Vars,
		SSH:               c.SSH,
		WinRM:             c.WinRM,
	}
	if t.ConnectTimeout == 0 {
		t.ConnectTimeout = connectTimeout
	}
	if t.Transport == "" {
		t.Transport = remote.KindSSH
	}
	return t
}
