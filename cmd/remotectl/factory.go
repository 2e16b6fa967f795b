package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/doctor"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/ssh"
	"github.com/remotectl/remotectl/runrec"
)

// factory is what the commands are built from (gh's cmdutil.Factory): made
// once per invocation (run), given to newRootCmd; each NewCmd copies the dependencies its
// command uses into the command's options. They are functions because the
// settings resolve only once the command line is parsed (PersistentPreRunE);
// tests build their own.
type factory struct {
	IO *streams
	// Settings returns the settings of this run, resolved.
	Settings func() globals
	// Inventory loads the inventories the settings name.
	Inventory func(context.Context) (*inventory.Inventory, error)
	// InventoryFrom loads the inventories named (ansible.cfg's) as
	// Inventory, with play's options: the Ansible Vault decrypter, the
	// playbook's directory (its group_vars) and the implicit localhost.
	InventoryFrom func(context.Context, []string, inventory.LoadOptions) (*inventory.Inventory, error)
	// Dialer returns the dialer of a run over targets, their settings
	// checked (a broken one is invalid input, exit 65).
	Dialer func(secrets, []remote.Target) (runDialer, error)
	// DoctorSteps returns every transport's diagnosis steps, over dialers
	// made on first use; stop releases them.
	DoctorSteps func(secrets) (steps map[string]doctor.Steps, stop func() error)
	// SSHDialer returns the SSH transport's dialer (hostkeys).
	SSHDialer func() (*ssh.Dialer, error)
	// OpsRun returns the unattended-operations side of a run (exec).
	OpsRun func(ops.Command) (*ops.Run, error)
	// RunStore returns the run history.
	RunStore func() (runrec.Store, error)
	// Now is the clock.
	Now func() time.Time
	// LoadSettings resolves the settings outside of a run (completion).
	LoadSettings func(*cobra.Command) error
	// OutputSetting returns the -o setting as given, read even when the
	// settings failed to resolve (check's Nagios UNKNOWN line).
	OutputSetting func() string
	// Args is the command line, for errors found before it is parsed.
	Args []string
	// Cwd is the working directory, which relative paths of settings are
	// relative to.
	Cwd string
	// Transports are the transports' settings schemas (for play's add_host).
	Transports []remote.SettingsSchema
}

// runDialer is a dialer that holds connections until closed.
type runDialer interface {
	remote.Dialer
	Close() error
}

// factory returns the dependencies of the commands over the invocation a.
func (a *app) factory() *factory {
	return &factory{
		IO:            a.io,
		Settings:      func() globals { return a.g },
		Inventory:     a.loadInventory,
		InventoryFrom: a.loadInventoryFrom,
		Transports:    a.transports.settings(),
		Dialer: func(s secrets, targets []remote.Target) (runDialer, error) {
			d, err := a.newDialer(s, targets)
			if err != nil {
				return nil, err
			}
			return d, nil
		},
		DoctorSteps: func(s secrets) (map[string]doctor.Steps, func() error) {
			d := a.lazyDialer(s)
			return d.doctorSteps(), d.Close
		},
		SSHDialer:     func() (*ssh.Dialer, error) { return ssh.NewDialer(a.sshOptions(secrets{})) },
		OpsRun:        a.newOpsRun,
		RunStore:      func() (runrec.Store, error) { return runStore(a.io.Getenv) },
		Now:           time.Now,
		LoadSettings:  a.loadSettings,
		OutputSetting: func() string { return a.v.GetString("output") },
		Args:          a.args,
		Cwd:           a.cwd,
	}
}
