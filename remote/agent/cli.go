package agent

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/remotectl/remotectl/doctor"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/ssh"
)

// Commands are the subcommands of `remotectl agent`, for the command line
// to build: name and help.
var Commands = []struct{ Name, Short string }{
	{"start", "Start the agent (--persist: how long it lingers with nothing held; --foreground: here, logging to stderr)"},
	{"status", "List the connections the agent holds: host, age, idle time, sessions run"},
	{"stop", "Close the held connections and stop the agent"},
}

// ControlOptions are what `remotectl agent` commands need.
type ControlOptions struct {
	Getenv     func(string) string
	Persist    time.Duration // 0: DefaultPersist
	Foreground bool          // start: serve here instead of starting a detached agent
	Out, Log   io.Writer
	Now        time.Time
}

// Control runs the agent subcommand name.
func Control(ctx context.Context, name string, o ControlOptions) error {
	socket, err := SocketPath(o.Getenv)
	if err != nil {
		return err
	}
	persist := o.Persist
	if persist <= 0 {
		persist = DefaultPersist
	}
	switch name {
	case "start":
		if o.Foreground {
			return Serve(ctx, ServerConfig{Socket: socket, Persist: persist, Log: o.Log})
		}
		return Start(ctx, socket, SpawnSelf(persist))
	case "status":
		r, err := Status(ctx, socket)
		if err != nil {
			return err
		}
		return WriteStatus(o.Out, r, o.Now)
	case "stop":
		return Stop(ctx, socket)
	}
	return fmt.Errorf("agent: unknown command %q", name)
}

// SpawnSelf returns a function that starts this program as the agent,
// `agent start --foreground --persist persist`, detached (see Spawn).
func SpawnSelf(persist time.Duration) func() error {
	exe, err := os.Executable()
	if err != nil {
		return func() error { return err }
	}
	return Spawn(exe, "agent", "start", "--foreground", "--persist", persist.String())
}

// LocalSSH returns the SSH dialer of the run behind d: d itself, or the
// local dialer of an agent client (settings checks, doctor, host keys).
func LocalSSH(d remote.Dialer) *ssh.Dialer {
	if ad, ok := d.(*Dialer); ok {
		return ad.Local()
	}
	return d.(*ssh.Dialer)
}

// DoctorStepsOver is ssh.DoctorStepsOver over LocalSSH: doctor diagnoses
// connecting itself, so it always opens fresh connections.
func DoctorStepsOver(dialer func() (remote.Dialer, error)) doctor.Steps {
	return ssh.DoctorStepsOver(func() (remote.Dialer, error) {
		d, err := dialer()
		if err != nil {
			return nil, err
		}
		return LocalSSH(d), nil
	})
}
