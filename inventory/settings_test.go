package inventory

import (
	"testing"

	"github.com/remotectl/remotectl/remote"
)

// TestSettingsComeFromTheTransports: a transport's settings are known only
// when its schema is given; the common ones always are.
func TestSettingsComeFromTheTransports(t *testing.T) {
	src := []byte("hosts:\n  a:\n    transport: winrm\n    connection: { become: true, winrm_auth: ntlm }\n")
	_, err := Parse("inv.yaml", src, LoadOptions{Transports: []remote.SettingsSchema{testTransports()[0]}})
	if err == nil {
		t.Fatal("winrm_auth is known without the winrm schema")
	}
	inv, err := Parse("inv.yaml", src, LoadOptions{Transports: testTransports()})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "winrm auth", mustHost(t, inv, "a").Conn.WinRM.Auth, "ntlm")
}

// TestSettingDeclaredTwice: two transports declaring one setting is a bug
// of the registry, caught when the table is built.
func TestSettingDeclaredTwice(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a setting declared twice")
		}
	}()
	twice := remote.SettingsSchema{Kind: "x", Settings: []remote.Setting{
		remote.StringSetting("become_user", func(t *remote.Target) *string { return &t.BecomeUser }),
	}}
	newSettingTable([]remote.SettingsSchema{twice})
}

// TestUnknownConnectionKey: an unknown key of a connection: block lists
// the keys there are: the common ones, then each transport's.
func TestUnknownConnectionKey(t *testing.T) {
	got := parseErr(t, "inv.yaml", "hosts:\n  a:\n    connection: { qqqqqqqq: 1 }\n")
	want := `inv.yaml:3:19: unknown key "qqqqqqqq" in the connection of host "a" (expected one of: ` +
		"password_env, password, connect_timeout, become, become_user, become_password_env, " +
		"identity_file, identities_only, proxy_jump, proxy_command, identity_agent, host_key_policy, known_hosts_file, " +
		"winrm_https, winrm_insecure, winrm_auth, winrm_shell, winrm_ca_cert, winrm_client_cert, winrm_client_key, " +
		"winrm_allow_unencrypted, winrm_message_encryption, winrm_keytab, winrm_kerberos_hostname, winrm_kerberos_delegation, winrm_kinit_mode)"
	equal(t, "error", got, want)
}
