package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/remotectl/remotectl/remote/remotetest"
)

// TestSlurmShards runs a sharded exec under a real scheduler: a one-node
// Slurm cluster on this machine (scripts/slurm-localhost.sh: munged,
// slurmctld, slurmd), an sbatch --array=1-4 job whose tasks each run
// remotectl exec --shard $SLURM_ARRAY_TASK_ID/4 against a real OpenSSH
// fleet, and a merge job that depends on it; testdata/slurm/*.txtar
// compares the merged report with an unsharded run. Skipped when not root
// (the daemons need it) or when Slurm cannot be installed or started, with
// the reason. Every daemon is stopped when the test ends.
func TestSlurmShards(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Slurm and a real sshd fleet")
	}
	if os.Geteuid() != 0 {
		t.Skip("Slurm's daemons (slurmctld, slurmd, munged) run as root here: run as root")
	}
	script, err := filepath.Abs("../../scripts/slurm-localhost.sh")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := runBounded(2*time.Minute, script, "install"); err != nil {
		t.Skipf("slurm-wlm and munge could not be installed: %v\n%s", err, out)
	}
	dir, err := os.MkdirTemp("", "remotectl-slurm-") // short: munge's socket path
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Cleanup(func() {
		if out, err := runBounded(30*time.Second, script, "stop", dir); err != nil {
			t.Errorf("stopping Slurm: %v\n%s", err, out)
		}
	})
	if out, err := runBounded(time.Minute, script, "start", dir); err != nil {
		t.Skipf("Slurm could not start on this machine: %v\n%s", err, out)
	}

	remotetest.EnsureTestUser(t, fleetUser, remotetest.TestUserPassword, remotetest.SudoNoPasswd)
	fleet := remotetest.StartSSHD(t, remotetest.SSHDOptions{Hosts: 10, Users: []string{fleetUser}})
	inv := filepath.Join(t.TempDir(), "inventory.yaml")
	writeFile(t, inv, slurmInventory(fleet))
	testscript.Run(t, testscript.Params{
		Dir: "testdata/slurm",
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir+"/home")
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/home/.config")
			env.Setenv("SSH_AUTH_SOCK", "")
			env.Setenv("REMOTECTL_SSH_CONFIG", fleet.SSHConfig)
			env.Setenv("SLURM_CONF", filepath.Join(dir, "slurm.conf"))
			env.Setenv("FLEET_INV", inv)
			env.Setenv("FAIL_ADDR", fleet.Hosts[2].Addr) // h03 fails
			env.Setenv("EXAMPLES", examples)
			return nil
		},
		RequireExplicitExec: true,
		Cmds:                scriptCmds,
	})
}

// slurmInventory is the fleet in our inventory format, hosts h01..hNN.
func slurmInventory(fleet *remotetest.SSHD) string {
	var b strings.Builder
	fmt.Fprintf(&b, "defaults:\n  user: %s\n  connection:\n    identity_file: %s\n    identities_only: true\n    known_hosts_file: %s\n",
		fleetUser, fleet.KeyFile, fleet.KnownHosts)
	b.WriteString("hosts:\n")
	for i, h := range fleet.Hosts {
		fmt.Fprintf(&b, "  h%02d: { address: %s, port: %d }\n", i+1, h.Addr, h.Port)
	}
	return b.String()
}

// runBounded runs a program, killed after d, and returns its output.
func runBounded(d time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	return cmd.CombinedOutput()
}
