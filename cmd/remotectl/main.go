// Command remotectl runs commands and checks on fleets of hosts over SSH and
// WinRM. See the README for a tour; `remotectl --help` for the reference.
package main

import (
	"context"
	"fmt"
	"github.com/remotectl/remotectl/report"
	"os"
	"os/signal"
	"syscall"

	"github.com/remotectl/remotectl/doctor"
	"github.com/remotectl/remotectl/internal/iostreams"
	"github.com/remotectl/remotectl/internal/proc"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/agent"
	"github.com/remotectl/remotectl/remote/local"
	"github.com/remotectl/remotectl/remote/ssh"
	"github.com/remotectl/remotectl/remote/winrm"
)

func main() {
	os.Exit(mainExit())
}

// mainExit wires the process to the command tree: real streams, and the
// Ctrl-C contract. First interrupt: cancel the run (no new hosts start,
// running ones are cancelled, the recap of what finished is printed). Second
// interrupt: exit at once with 130.
func mainExit() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	// A reader that goes away (| head -1) must not kill the run by SIGPIPE:
	// noticed, it turns writes into EPIPE, and a lost main output exits 74.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	go func() {
		n := 0
		for range sigs {
			n++
			if n == 1 {
				fmt.Fprintln(os.Stderr, "\nremotectl: interrupted: stopping (no new hosts start; press Ctrl-C again to quit at once)")
				cancel()
				continue
			}
			os.Exit(report.ExitInterrupted)
		}
	}()
	proc.TuneMemory()
	stopProfiles := proc.StartProfiles()
	defer stopProfiles()
	return run(ctx, os.Args[1:], iostreams.System(), builtinTransports())
}

// builtinTransports is the transport registry: one row per transport kind.
func builtinTransports() transports {
	return transports{
		{Kind: remote.KindSSH, NewDialer: newSSHDialer, Check: checkSSH, Doctor: agent.DoctorStepsOver, Settings: ssh.Settings()},
		{Kind: remote.KindWinRM, NewDialer: newWinRMDialer, Doctor: agent.WinRMDoctorStepsOver, Settings: winrm.Settings()},
		{Kind: remote.KindLocal, NewDialer: func(*app, secrets) (remote.Dialer, func() error, error) {
			return local.Dialer{}, nil, nil
		}, Doctor: func(func() (remote.Dialer, error)) doctor.Steps { return local.DoctorSteps{} }, Settings: local.Settings()},
	}
}
