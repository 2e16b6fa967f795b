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
