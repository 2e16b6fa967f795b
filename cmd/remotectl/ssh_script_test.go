package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/remotectl/remotectl/remote/agent"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// TestSSHScripts runs testdata/ssh/*.txtar against a real OpenSSH fleet on
// loopback. Scripts find it through environment variables:
//
//	$FLEET_INV     inventory: hosts h01..hNN (group fleet), "dead" (refused port)
//	$FLEET_KNOWN   known_hosts with every fleet host key
//	$FLEET_KEY     the login key
//	$FLEET_HOST1   address:port of h01 (for ssh-keygen and friends)
//	$FLEET_TMP     a directory the fleet's login user can write to
//	$SU_USER       a user with a password (remotetest.TestUser), which
//	$SU_PASSWORD   the login user becomes with become_method: su
//
// The inventory also has win01, a WinRM host (the WS-Management test server),
// in the group windows, whose password is in $WIN_PASSWORD.
func TestSSHScripts(t *testing.T) { sshScripts(t, false) }

// TestSSHScriptsPersist runs the same scripts with REMOTECTL_PERSIST set:
// every SSH connection goes through an agent of the script's own (socket
// under $WORK, stopped when the script ends), with the same outcomes.
func TestSSHScriptsPersist(t *testing.T) { sshScripts(t, true) }

func sshScripts(t *testing.T, persist bool) {
	if testing.Short() {
		t.Skip("needs a real sshd fleet")
	}
	const hosts = 12
	// Log in as a dedicated user: a clean home (no shell start-up files of
	// the machine's own users) and, unlike root, sessions OpenSSH can signal.
	remotetest.EnsureTestUser(t, fleetUser, remotetest.TestUserPassword, remotetest.SudoNoPasswd)
	// The user ansible_su.txtar becomes with su, with its password.
	remotetest.EnsureTestUser(t, remotetest.TestUser, remotetest.TestUserPassword, remotetest.TestUserSudoMode)
	fleet := remotetest.StartSSHD(t, remotetest.SSHDOptions{Hosts: hosts, MaxStartups: "100:30:200", Users: []string{fleetUser}})
	// A "Windows" host: the project's WS-Management server, NTLM with
	// message encryption over plain HTTP, as a default Windows listener.
	win := remotetest.StartWSMan(t, remotetest.WSManOptions{Seal: true})
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	writeFile(t, inv, fleetInventory(t, fleet, fleetUser, win))
	ansibleInv := filepath.Join(dir, "inventory.ini")
	writeFile(t, ansibleInv, fleetAnsibleInventory(fleet, fleetUser))
	// A directory the login user can write to, for copy/fetch.
	remoteTmp, err := os.MkdirTemp("", "remotectl-fleet-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(remoteTmp) })
	if err := os.Chmod(remoteTmp, 0o777); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/ssh",
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir+"/home")
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/home/.config")
			env.Setenv("SSH_AUTH_SOCK", "")
			env.Setenv("REMOTECTL_SSH_CONFIG", fleet.SSHConfig)
			env.Setenv("FLEET_INV", inv)
			env.Setenv("FLEET_KNOWN", fleet.KnownHosts)
			env.Setenv("FLEET_KEY", fleet.KeyFile)
			env.Setenv("FLEET_HOST1", fleet.Hosts[0].HostPort())
			env.Setenv("FLEET_TMP", remoteTmp)
			env.Setenv("WIN_PASSWORD", win.Password)
			env.Setenv("SU_USER", remotetest.TestUser)
			env.Setenv("SU_PASSWORD", remotetest.TestUserPassword)
			// ansible-playbook, the oracle of ansible_*.txtar: the same fleet
			// as an Ansible inventory, Ansible's files kept in the work dir.
			env.Setenv("ANSIBLE_INV", ansibleInv)
			env.Setenv("ANSIBLE_CONFIG", env.WorkDir+"/home/ansible.cfg")
			env.Setenv("ANSIBLE_HOME", env.WorkDir+"/home/.ansible")
			env.Setenv("ANSIBLE_LOCAL_TEMP", env.WorkDir+"/home/.ansible/tmp")
			env.Setenv("ANSIBLE_NOCOLOR", "1")
			env.Setenv("ANSIBLE_RETRY_FILES_ENABLED", "0")
			if persist {
				env.Setenv("REMOTECTL_PERSIST", "30s")
				env.Setenv("XDG_RUNTIME_DIR", env.WorkDir)
				env.Defer(func() {
					_ = agent.Stop(context.Background(), filepath.Join(env.WorkDir, "remotectl", agent.SocketName))
				})
			}
			return nil
		},
		RequireExplicitExec: true,
		Cmds:                scriptCmds,
		// [persist]: the scripts run through the agent (TestSSHScriptsPersist).
		Condition: func(cond string) (bool, error) {
			if cond == "persist" {
				return persist, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// fleetUser is the login user of the CLI's SSH tests.
const fleetUser = "rcclitest"

// fleetInventory describes the fleet in our inventory format, plus a host
// whose port refuses connections and the WinRM host win01.
func fleetInventory(t *testing.T, fleet *remotetest.SSHD, user string, win *remotetest.WSManServer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "defaults:\n  user: %s\n  connection:\n    identity_file: %s\n    identities_only: true\n    known_hosts_file: %s\n",
		user, fleet.KeyFile, fleet.KnownHosts)
	b.WriteString("hosts:\n")
	for i, h := range fleet.Hosts {
		fmt.Fprintf(&b, "  h%02d: { address: %s, port: %d }\n", i+1, h.Addr, h.Port)
	}
	fmt.Fprintf(&b, "  dead: { address: 127.0.0.1, port: %d }\n", closedPort(t))
	fmt.Fprintf(&b, "  win01: { address: %s, port: %d, transport: winrm, user: %s, connection: { password_env: WIN_PASSWORD, winrm_https: false, winrm_auth: ntlm } }\n",
		win.Host, win.Port, win.User)
	b.WriteString("groups:\n  windows:\n    hosts: [win01]\n  fleet:\n    hosts:\n")
	for i := range fleet.Hosts {
		fmt.Fprintf(&b, "      - h%02d\n", i+1)
	}
	return b.String()
}

// fleetAnsibleInventory describes the SSH fleet as an Ansible INI
// inventory, as users write one: hosts in the group fleet, the login settings
// as group vars, host keys checked against the fleet's known_hosts only.
func fleetAnsibleInventory(fleet *remotetest.SSHD, user string) string {
	var b strings.Builder
	b.WriteString("[fleet]\n")
	for i, h := range fleet.Hosts {
		fmt.Fprintf(&b, "h%02d ansible_host=%s ansible_port=%d\n", i+1, h.Addr, h.Port)
	}
	fmt.Fprintf(&b, "\n[fleet:vars]\nansible_user=%s\nansible_ssh_private_key_file=%s\n", user, fleet.KeyFile)
	fmt.Fprintf(&b, "ansible_ssh_common_args='-o UserKnownHostsFile=%s -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o IdentityAgent=none'\n", fleet.KnownHosts)
	b.WriteString("ansible_python_interpreter=/usr/bin/python3\n")
	return b.String()
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
