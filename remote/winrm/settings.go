package winrm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/remotectl/remotectl/remote"
)

// Values accepted for the enumerated WinRM settings.
var (
	authMethods = []string{"basic", "ntlm", "certificate", "kerberos", "negotiate"}
	encryptions = []string{"auto", "always", "never"}
	kinitModes  = []string{"managed", "manual"}
)

// Settings declares the WinRM settings inventories may write (the keys of
// a connection: block) and the Ansible variables and ansible_connection
// values of WinRM (psrp included).
func Settings() remote.SettingsSchema {
	return remote.SettingsSchema{
		Kind: remote.KindWinRM,
		Settings: []remote.Setting{
			remote.OptionalBoolSetting(setHTTPS, func(t *remote.Target) **bool { return &t.WinRM.HTTPS }),
			remote.BoolSetting(setInsecure, func(t *remote.Target) *bool { return &t.WinRM.Insecure }),
			remote.StringSetting(setAuth, func(t *remote.Target) *string { return &t.WinRM.Auth }, authMethods...),
			remote.StringSetting(setShell, func(t *remote.Target) *string { return &t.WinRM.Shell }, "cmd", "powershell"),
			remote.StringSetting(setCACert, func(t *remote.Target) *string { return &t.WinRM.CACert }),
			remote.StringSetting(setClientCert, func(t *remote.Target) *string { return &t.WinRM.ClientCert }),
			remote.StringSetting(setClientKey, func(t *remote.Target) *string { return &t.WinRM.ClientKey }),
			remote.BoolSetting("winrm_allow_unencrypted", func(t *remote.Target) *bool { return &t.WinRM.AllowUnencrypted }),
			remote.StringSetting(setMessageEncryption, func(t *remote.Target) *string { return &t.WinRM.MessageEncryption },
				encryptions...),
			remote.StringSetting(setKeytab, func(t *remote.Target) *string { return &t.WinRM.Keytab }),
			remote.StringSetting(setKerberosHostname, func(t *remote.Target) *string { return &t.WinRM.KerberosHostname }),
			remote.BoolSetting(setKerberosDelegation, func(t *remote.Target) *bool { return &t.WinRM.KerberosDelegation }),
			remote.StringSetting(setKinitMode, func(t *remote.Target) *string { return &t.WinRM.KinitMode }, kinitModes...),
		},
		AnsibleConnections: []string{"winrm", "psrp"},
		AnsibleNote:        "(also for psrp)",
		AnsibleVars: []remote.AnsibleVar{
			remote.AnsibleStringVar(setCACert, "ansible_winrm_ca_trust_path"),
			remote.AnsibleStringVar(setClientCert, "ansible_winrm_cert_pem"),
			remote.AnsibleStringVar(setClientKey, "ansible_winrm_cert_key_pem"),
			{Names: []string{"ansible_winrm_transport", "ansible_psrp_auth"}, Map: ansibleAuth},
			remote.AnsibleEnumVar(setHTTPS, []string{"http", "https"}, []bool{false, true},
				"ansible_winrm_scheme", "ansible_psrp_protocol"),
			remote.AnsibleEnumVar(setInsecure, []string{"validate", "ignore"}, []bool{false, true},
				"ansible_winrm_server_cert_validation", "ansible_psrp_cert_validation"),
			remote.AnsibleEnumVar(setMessageEncryption, encryptions, encryptions, "ansible_winrm_message_encryption"),
			remote.AnsibleStringVar(setKerberosHostname, "ansible_winrm_kerberos_hostname_override", "ansible_psrp_negotiate_hostname_override"),
			remote.AnsibleBoolVar(setKerberosDelegation, "ansible_winrm_kerberos_delegation", "ansible_psrp_negotiate_delegate"),
			remote.AnsibleEnumVar(setKinitMode, kinitModes, kinitModes, "ansible_winrm_kinit_mode"),
			{Names: []string{"ansible_shell_type"}, Map: func(name string, v any) ([]remote.SettingValue, error) {
				s, err := remote.AnsibleString(name, v)
				if err != nil || (s != "cmd" && s != "powershell") {
					return nil, err // POSIX shells need no setting
				}
				return []remote.SettingValue{{Setting: setShell, Value: s}}, nil
			}},
		},
	}
}

// Names of the WinRM settings that Settings refers to more than once.
const (
	setHTTPS              = "winrm_https"
	setInsecure           = "winrm_insecure"
	setAuth               = "winrm_auth"
	setShell              = "winrm_shell"
	setCACert             = "winrm_ca_cert"
	setClientCert         = "winrm_client_cert"
	setClientKey          = "winrm_client_key"
	setMessageEncryption  = "winrm_message_encryption"
	setKeytab             = "winrm_keytab"
	setKerberosHostname   = "winrm_kerberos_hostname"
	setKerberosDelegation = "winrm_kerberos_delegation"
	setKinitMode          = "winrm_kinit_mode"
)

// ansibleAuth maps ansible_winrm_transport (a list, or a comma-separated
// string, in order of preference) to the first method we support.
func ansibleAuth(name string, v any) ([]remote.SettingValue, error) {
	var methods []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			s, err := remote.AnsibleString(name, e)
			if err != nil {
				return nil, err
			}
			methods = append(methods, s)
		}
	default:
		s, err := remote.AnsibleString(name, v)
		if err != nil {
			return nil, err
		}
		methods = strings.Split(s, ",")
	}
	for _, m := range methods {
		m = strings.ToLower(strings.TrimSpace(m))
		if slices.Contains(authMethods, m) {
			return []remote.SettingValue{{Setting: setAuth, Value: m}}, nil
		}
	}
	return nil, fmt.Errorf("%s %q has no method remotectl supports (%s)", name, strings.Join(methods, ","), strings.Join(authMethods, ", "))
}
