package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/remotectl/remotectl/remote/agent"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// TestKerberosScripts runs testdata/kerberos/*.txtar: remotectl against a
// Windows host in a Kerberos realm — a real MIT KDC on loopback and the
// WS-Management test server accepting Kerberos with its keytab (plain
// HTTP, so messages are Kerberos-encrypted), whose PowerShell runs in the
// simulator (C:\ is $WIN_ROOT; other command lines run with /bin/sh).
// Scripts find:
//
//	$KRB_INI       Ansible INI inventory: win-cc (credential cache, ansible_winrm_transport=kerberos)
//	$KRB_YAML      our inventory: win-kt (winrm_keytab $KRB_KEYTAB), win-nospn (an SPN the KDC lacks)
//	$KRB5_CONFIG   the realm's krb5.conf; $KRB5CCNAME (and $KRB_CCACHE) the user's credential cache (kinit done)
//	$KRB_REALM     the realm; $KRB_USER the user
func TestKerberosScripts(t *testing.T) { kerberosScripts(t, false) }

// TestKerberosScriptsPersist runs the same scripts with REMOTECTL_PERSIST
// set: the WinRM connections are held by an agent of the script's own
// (socket under $WORK, stopped when the script ends), which dials with
// each run's Kerberos environment; the outcomes are the same.
func TestKerberosScriptsPersist(t *testing.T) { kerberosScripts(t, true) }

func kerberosScripts(t *testing.T, persist bool) {
	if testing.Short() {
		t.Skip("needs an MIT KDC")
	}
	const realm, spnHost = "CLI.TEST", "win1." + remotetest.KDCDomain
	kdc := remotetest.StartKDC(t, realm)
	kdc.AddUser(t, remotetest.WSManUser, remotetest.WSManPassword)
	serviceKeytab := kdc.AddService(t, "HTTP/"+spnHost)
	userKeytab := kdc.UserKeytab(t, remotetest.WSManUser)
	ccache := kdc.Kinit(t, remotetest.WSManUser, remotetest.WSManPassword, "")
	sim, err := remotetest.NewPowerShell(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	win := remotetest.StartWSMan(t, remotetest.WSManOptions{Auth: remotetest.WSManAuthNTLM,
		Kerberos: &remotetest.WSManKerberos{Keytab: serviceKeytab, Realm: realm}, PowerShell: sim})
	dir := t.TempDir()
	ini, yaml := filepath.Join(dir, "kerberos.ini"), filepath.Join(dir, "kerberos.yaml")
	writeFile(t, ini, fmt.Sprintf(`[windows]
win-cc ansible_host=%s ansible_port=%d

[windows:vars]
ansible_connection=winrm
ansible_winrm_transport=kerberos
ansible_winrm_scheme=http
ansible_winrm_kerberos_hostname_override=%s
`, win.Host, win.Port, spnHost))
	writeFile(t, yaml, fmt.Sprintf(`defaults:
  transport: winrm
  port: %d
  user: %s@%s
  connection: { winrm_https: false, winrm_auth: kerberos, winrm_kerberos_hostname: %s }
hosts:
  win-kt: { address: %s, connection: { winrm_keytab: %s } }
  win-nospn: { address: %s, connection: { winrm_kerberos_hostname: nosuch.%s } }
`, win.Port, remotetest.WSManUser, realm, spnHost, win.Host, userKeytab, win.Host, remotetest.KDCDomain))
	testscript.Run(t, testscript.Params{
		Dir: "testdata/kerberos",
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir+"/home")
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/home/.config")
			env.Setenv("KRB5_CONFIG", kdc.Config)
			env.Setenv("KRB5CCNAME", "FILE:"+ccache)
			env.Setenv("KRB_CCACHE", "FILE:"+ccache)
			env.Setenv("KRB5_CLIENT_KTNAME", "FILE:"+env.WorkDir+"/no-client-keytab")
			env.Setenv("KRB_INI", ini)
			env.Setenv("KRB_YAML", yaml)
			env.Setenv("KRB_REALM", realm)
			env.Setenv("KRB_USER", remotetest.WSManUser)
			env.Setenv("WIN_ROOT", sim.Root)
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
		// [persist]: the scripts run through the agent.
		Condition: func(cond string) (bool, error) {
			if cond == "persist" {
				return persist, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}
