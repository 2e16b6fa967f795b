package inventory

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// settingKey names one connection setting of a host (the fields of Host
// besides Name, Vars and bookkeeping, and of Conn).
type settingKey uint8

const (
	setAddress settingKey = iota
	setPort
	setTransport
	setUser
	setIdentityFiles
	setIdentitiesOnly
	setPasswordEnv
	setPassword
	setProxyJump
	setProxyCommand
	setHostKeyPolicy
	setKnownHostsFile
	setConnectTimeout
	setBecome
	setBecomeUser
	setBecomePasswordEnv
	setWinRMHTTPS
	setWinRMInsecure
	setWinRMAuth
	setWinRMShell
	setWinRMCACert
	setWinRMClientCert
	setWinRMClientKey
	setWinRMAllowUnencrypted
	setWinRMMessageEncryption
	numSettings
)

// settingNames are the names used in messages; they are also the keys of our
// YAML format (top-level host keys and keys of "connection:").
var settingNames = [numSettings]string{
	setAddress:           "address",
	setPort:              "port",
	setTransport:         "transport",
	setUser:              "user",
	setIdentityFiles:     "identity_file",
	setIdentitiesOnly:    "identities_only",
	setPasswordEnv:       "password_env",
	setPassword:          "password",
	setProxyJump:         "proxy_jump",
	setProxyCommand:      "proxy_command",
	setHostKeyPolicy:     "host_key_policy",
	setKnownHostsFile:    "known_hosts_file",
	setConnectTimeout:    "connect_timeout",
	setBecome:            "become",
	setBecomeUser:        "become_user",
	setBecomePasswordEnv: "become_password_env",
	setWinRMHTTPS:        "winrm_https",
	setWinRMInsecure:     "winrm_insecure",
	setWinRMAuth:         "winrm_auth",
	setWinRMShell:        "winrm_shell",
	setWinRMCACert:       "winrm_ca_cert",
	setWinRMClientCert:   "winrm_client_cert",
	setWinRMClientKey:    "winrm_client_key",

	setWinRMAllowUnencrypted:  "winrm_allow_unencrypted",
	setWinRMMessageEncryption: "winrm_message_encryption",
}

func (k settingKey) String() string { return settingNames[k] }

// Values accepted for enumerated settings.
var (
	transports      = []string{remote.KindSSH, remote.KindWinRM, remote.KindLocal}
	hostKeyPolicies = []string{"strict", "accept-new", "off"}
	winrmAuths      = []string{"basic", "ntlm", "certificate"}
	winrmShells     = []string{"cmd", "powershell"}
	winrmEncryption = []string{"auto", "always", "never"}
)

// setting is one connection setting as written in one place. val holds a
// string, int, bool, []string or time.Duration depending on key.
type setting struct {
	key settingKey
	val any
	pos Pos
}

// display returns the value for messages, hiding secrets.
func (s setting) display() string {
	if s.key == setPassword {
		return "(hidden)"
	}
	if l, ok := s.val.([]string); ok {
		return strings.Join(l, ",")
	}
	return fmt.Sprint(s.val)
}

// sameValue reports whether two settings hold the same value.
func (s setting) sameValue(o setting) bool { return reflect.DeepEqual(s.val, o.val) }

// field returns a pointer to the field of h that holds the setting k: a
// *string, *int, *bool, *[]string, *time.Duration or **bool.
func (k settingKey) field(h *Host) any {
	c := &h.Conn
	return [numSettings]any{
		setAddress:                &h.Address,
		setPort:                   &h.Port,
		setTransport:              &h.Transport,
		setUser:                   &h.User,
		setIdentityFiles:          &c.SSH.IdentityFiles,
		setIdentitiesOnly:         &c.SSH.IdentitiesOnly,
		setPasswordEnv:            &c.PasswordEnv,
		setPassword:               &c.Password,
		setProxyJump:              &c.SSH.ProxyJump,
		setProxyCommand:           &c.SSH.ProxyCommand,
		setHostKeyPolicy:          &c.SSH.HostKeyPolicy,
		setKnownHostsFile:         &c.SSH.KnownHostsFile,
		setConnectTimeout:         &c.ConnectTimeout,
		setBecome:                 &c.Become,
		setBecomeUser:             &c.BecomeUser,
		setBecomePasswordEnv:      &c.BecomePasswordEnv,
		setWinRMHTTPS:             &c.WinRM.HTTPS,
		setWinRMInsecure:          &c.WinRM.Insecure,
		setWinRMAuth:              &c.WinRM.Auth,
		setWinRMShell:             &c.WinRM.Shell,
		setWinRMCACert:            &c.WinRM.CACert,
		setWinRMClientCert:        &c.WinRM.ClientCert,
		setWinRMClientKey:         &c.WinRM.ClientKey,
		setWinRMAllowUnencrypted:  &c.WinRM.AllowUnencrypted,
		setWinRMMessageEncryption: &c.WinRM.MessageEncryption,
	}[k]
}

// applyTo copies the setting into h.
func (s setting) applyTo(h *Host) {
	switch p := s.key.field(h).(type) {
	case *string:
		*p = s.val.(string)
	case *int:
		*p = s.val.(int)
	case *bool:
		*p = s.val.(bool)
	case *[]string:
		*p = s.val.([]string)
	case *time.Duration:
		*p = s.val.(time.Duration)
	case **bool:
		b := s.val.(bool)
		*p = &b
	}
}

// Settings returns the connection settings that are set, by their names in
// our format ("identity_file", "winrm_auth", ...), as text: lists joined
// with ", ", booleans "true" (or "false" for an explicit winrm_https). A
// password is never shown: it appears as "(set, hidden)".
func (c Conn) Settings() map[string]string {
	h := &Host{Conn: c}
	m := map[string]string{}
	for k := setIdentityFiles; k < numSettings; k++ {
		var v string
		switch p := k.field(h).(type) {
		case *string:
			v = *p
		case *bool:
			if *p {
				v = "true"
			}
		case *[]string:
			v = strings.Join(*p, ", ")
		case *time.Duration:
			if *p > 0 {
				v = p.String()
			}
		case **bool:
			if *p != nil {
				v = strconv.FormatBool(**p)
			}
		}
		if v != "" && k == setPassword {
			v = "(set, hidden)"
		}
		if v != "" {
			m[k.String()] = v
		}
	}
	return m
}

// isPort reports whether n is a valid port number.
func isPort(n int) bool { return n >= 1 && n <= 65535 }

// validPort checks a port number; label names it in the error.
func validPort(label string, n int) error {
	if !isPort(n) {
		return fmt.Errorf("%s must be between 1 and 65535, got %d", label, n)
	}
	return nil
}

// oneOf checks that s is one of the allowed values.
func oneOf(what, s string, allowed []string) error {
	if slices.Contains(allowed, s) {
		return nil
	}
	return fmt.Errorf("%s must be one of %s, got %q", what, strings.Join(allowed, ", "), s)
}

// ---- Ansible connection variables ----

// ansibleConnections maps ansible_connection values to our transports.
var ansibleConnections = map[string]string{
	"ssh": remote.KindSSH, "smart": remote.KindSSH, "paramiko": remote.KindSSH, "paramiko_ssh": remote.KindSSH,
	"local": remote.KindLocal,
	"winrm": remote.KindWinRM, "psrp": remote.KindWinRM,
}

// ansibleSetting maps one Ansible connection variable (ansible_host,
// ansible_port, ...) to a setting. ok is false for variables that carry no
// connection setting we use; err explains values we cannot honour.
func ansibleSetting(name string, v any) (key settingKey, val any, ok bool, err error) {
	switch name {
	case "ansible_host", "ansible_ssh_host":
		return stringSetting(setAddress, name, v)
	case "ansible_user", "ansible_ssh_user":
		return stringSetting(setUser, name, v)
	case "ansible_become_user":
		return stringSetting(setBecomeUser, name, v)
	case "ansible_password", "ansible_ssh_pass", "ansible_ssh_password":
		return stringSetting(setPassword, name, v)
	case "ansible_winrm_ca_trust_path":
		return stringSetting(setWinRMCACert, name, v)
	case "ansible_winrm_cert_pem":
		return stringSetting(setWinRMClientCert, name, v)
	case "ansible_winrm_cert_key_pem":
		return stringSetting(setWinRMClientKey, name, v)
	case "ansible_ssh_private_key_file", "ansible_private_key_file":
		s, err := ansibleString(name, v)
		return setIdentityFiles, []string{s}, err == nil, err
	case "ansible_port", "ansible_ssh_port":
		n, err := ansibleInt(name, v)
		if err == nil {
			err = validPort(name, n)
		}
		return setPort, n, err == nil, err
	case "ansible_timeout", "ansible_ssh_timeout":
		n, err := ansibleInt(name, v)
		if err == nil && n < 0 {
			err = fmt.Errorf("%s must not be negative, got %d", name, n)
		}
		return setConnectTimeout, time.Duration(n) * time.Second, err == nil, err
	case "ansible_become":
		b, err := ansibleBool(name, v)
		return setBecome, b, err == nil, err
	case "ansible_host_key_checking", "ansible_ssh_host_key_checking":
		b, err := ansibleBool(name, v)
		policy := "strict"
		if !b {
			policy = "off"
		}
		return setHostKeyPolicy, policy, err == nil, err
	case "ansible_connection":
		return ansibleConnection(name, v)
	case "ansible_winrm_transport", "ansible_psrp_auth":
		return ansibleWinRMAuth(name, v)
	case "ansible_winrm_scheme", "ansible_psrp_protocol":
		s, err := ansibleString(name, v)
		if err == nil {
			err = oneOf(name, s, []string{"http", "https"})
		}
		return setWinRMHTTPS, s == "https", err == nil, err
	case "ansible_winrm_server_cert_validation", "ansible_psrp_cert_validation":
		s, err := ansibleString(name, v)
		if err == nil {
			err = oneOf(name, s, []string{"validate", "ignore"})
		}
		return setWinRMInsecure, s == "ignore", err == nil, err
	case "ansible_winrm_message_encryption":
		s, err := ansibleString(name, v)
		if err == nil {
			err = oneOf(name, s, winrmEncryption)
		}
		return setWinRMMessageEncryption, s, err == nil, err
	case "ansible_shell_type":
		s, err := ansibleString(name, v)
		if err != nil || (s != "cmd" && s != "powershell") {
			return 0, nil, false, err // POSIX shells need no setting
		}
		return setWinRMShell, s, true, nil
	}
	return 0, nil, false, nil
}

// keyVal is one setting an Ansible variable carries.
type keyVal struct {
	key settingKey
	val any
}

// ansibleSettings maps one Ansible variable to the settings it carries:
// none, one (see ansibleSetting), or several for the ssh arguments (see
// ansibleSSHArgs).
func ansibleSettings(name string, v any) ([]keyVal, error) {
	if name == "ansible_ssh_common_args" || name == "ansible_ssh_extra_args" {
		return ansibleSSHArgs(name, v)
	}
	key, val, ok, err := ansibleSetting(name, v)
	if err != nil || !ok {
		return nil, err
	}
	return []keyVal{{key, val}}, nil
}

// stringSetting maps a string-valued Ansible variable.
func stringSetting(key settingKey, name string, v any) (settingKey, any, bool, error) {
	s, err := ansibleString(name, v)
	return key, s, err == nil, err
}

// ansibleConnection maps ansible_connection.
func ansibleConnection(name string, v any) (settingKey, any, bool, error) {
	s, err := ansibleString(name, v)
	if err != nil {
		return 0, nil, false, err
	}
	plugin := strings.TrimPrefix(strings.TrimPrefix(s, "ansible.builtin."), "ansible.legacy.")
	transport, known := ansibleConnections[plugin]
	if !known {
		return 0, nil, false, fmt.Errorf("%s %q is not supported: remotectl connects with ssh, winrm (also for psrp) or local", name, s)
	}
	return setTransport, transport, true, nil
}

// ansibleWinRMAuth maps ansible_winrm_transport (a list, or a comma-separated
// string, in order of preference) to the first method we support.
func ansibleWinRMAuth(name string, v any) (settingKey, any, bool, error) {
	var methods []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			s, err := ansibleString(name, e)
			if err != nil {
				return 0, nil, false, err
			}
			methods = append(methods, s)
		}
	default:
		s, err := ansibleString(name, v)
		if err != nil {
			return 0, nil, false, err
		}
		methods = strings.Split(s, ",")
	}
	for _, m := range methods {
		m = strings.ToLower(strings.TrimSpace(m))
		if m == "negotiate" {
			m = "ntlm" // psrp's negotiate falls back to NTLM without Kerberos
		}
		if slices.Contains(winrmAuths, m) {
			return setWinRMAuth, m, true, nil
		}
	}
	return 0, nil, false, fmt.Errorf("%s %q has no method remotectl supports (%s)", name, strings.Join(methods, ","), strings.Join(winrmAuths, ", "))
}

// sshArgsIgnored are the ssh options of ansible_ssh_common_args and
// ansible_ssh_extra_args that only tune OpenSSH's own connection handling,
// which remotectl does its own way (one connection per host, kept alive):
// accepted without effect. Any other option remotectl does not honour is
// an error rather than silently dropped.
var sshArgsIgnored = []string{"compression", "connectionattempts", "controlmaster", "controlpath", "controlpersist",
	"loglevel", "serveralivecountmax", "serveraliveinterval", "tcpkeepalive"}

// ansibleSSHArgs maps the ssh command-line arguments of name (split as
// Ansible splits them) to settings: -J and -o ProxyJump, -o ProxyCommand,
// -i and -o IdentityFile, -o IdentitiesOnly, -o StrictHostKeyChecking,
// -o UserKnownHostsFile, -o ConnectTimeout, -p and -o Port, -l and
// -o User. -C, -q, -v and the options of sshArgsIgnored have no effect.
// Anything else is an error naming it.
func ansibleSSHArgs(name string, v any) ([]keyVal, error) {
	s, err := ansibleString(name, v)
	if err != nil {
		return nil, err
	}
	words, err := shlexSplitArgs(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	var out []keyVal
	var identities []string
	// arg returns the argument of flag at words[*i]: attached (-p22) or
	// the next word.
	arg := func(i *int, flag string) (string, error) {
		if w := words[*i]; len(w) > 2 {
			return w[2:], nil
		}
		if *i+1 >= len(words) {
			return "", fmt.Errorf("%s: %s needs an argument", name, flag)
		}
		*i++
		return words[*i], nil
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "-") || len(w) < 2 {
			return nil, fmt.Errorf("%s: %q is not an ssh option", name, w)
		}
		flag := w[:2]
		var kv keyVal
		var err error
		switch flag {
		case "-C", "-q", "-v":
			if strings.Trim(w[1:], w[1:2]) != "" { // -vvv, not -vx
				return nil, fmt.Errorf("%s: %s is an ssh option remotectl cannot honour", name, w)
			}
			continue
		case "-J", "-i", "-p", "-l":
			val, aerr := arg(&i, flag)
			if aerr != nil {
				return nil, aerr
			}
			key := map[string]string{"-J": "ProxyJump", "-i": "IdentityFile", "-p": "Port", "-l": "User"}[flag]
			kv, err = sshOption(name, key, val, &identities)
		case "-o":
			opt, aerr := arg(&i, flag)
			if aerr != nil {
				return nil, aerr
			}
			key, val, found := strings.Cut(opt, "=")
			if !found {
				key, val, found = strings.Cut(strings.TrimSpace(opt), " ")
			}
			if !found || strings.TrimSpace(val) == "" {
				return nil, fmt.Errorf("%s: -o %s: an option is Keyword=value", name, opt)
			}
			kv, err = sshOption(name, strings.TrimSpace(key), strings.TrimSpace(val), &identities)
		default:
			return nil, fmt.Errorf("%s: %s is an ssh option remotectl cannot honour "+
				"(it understands -J, -i, -p, -l, -o and ignores -C, -q, -v)", name, w)
		}
		if err != nil {
			return nil, err
		}
		if kv.key != numSettings {
			out = append(out, kv)
		}
	}
	if len(identities) > 0 {
		out = append(out, keyVal{setIdentityFiles, identities})
	}
	return out, nil
}

// sshOption maps one ssh option (-o key=val) to a setting; key numSettings
// means none (ignored, or an identity file gathered in identities).
func sshOption(name, key, val string, identities *[]string) (keyVal, error) {
	none := keyVal{key: numSettings}
	switch k := strings.ToLower(key); {
	case k == "proxyjump":
		return keyVal{setProxyJump, val}, nil
	case k == "proxycommand":
		return keyVal{setProxyCommand, val}, nil
	case k == "identityfile":
		*identities = append(*identities, val)
		return none, nil
	case k == "user":
		return keyVal{setUser, val}, nil
	case k == "port":
		n, err := strconv.Atoi(val)
		if err == nil {
			err = validPort(name+": Port", n)
		} else {
			err = fmt.Errorf("%s: Port must be a number, got %q", name, val)
		}
		return keyVal{setPort, n}, err
	case k == "identitiesonly":
		b, err := ansibleBool(name+": IdentitiesOnly", val)
		return keyVal{setIdentitiesOnly, b}, err
	case k == "stricthostkeychecking":
		policy, ok := map[string]string{"yes": "strict", "ask": "strict", "true": "strict",
			"accept-new": "accept-new", "no": "off", "off": "off", "false": "off"}[strings.ToLower(val)]
		if !ok {
			return none, fmt.Errorf("%s: StrictHostKeyChecking must be yes, ask, accept-new, no or off, got %q", name, val)
		}
		return keyVal{setHostKeyPolicy, policy}, nil
	case k == "userknownhostsfile":
		if strings.ContainsAny(strings.TrimSpace(val), " \t") {
			return none, fmt.Errorf("%s: UserKnownHostsFile %q: remotectl reads one known_hosts file per host", name, val)
		}
		return keyVal{setKnownHostsFile, val}, nil
	case k == "connecttimeout":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return none, fmt.Errorf("%s: ConnectTimeout must be a number of seconds, got %q", name, val)
		}
		return keyVal{setConnectTimeout, time.Duration(n) * time.Second}, nil
	case slices.Contains(sshArgsIgnored, k):
		return none, checkIgnoredSSHOption(name, key, val)
	}
	return none, fmt.Errorf("%s: -o %s is an ssh option remotectl cannot honour", name, key)
}

// ansibleString converts a scalar variable to a string as Ansible would
// template it. Jinja expressions cannot be evaluated here.
func ansibleString(name string, v any) (string, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case int:
		s = strconv.Itoa(x)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	default:
		return "", fmt.Errorf("%s must be a string, got %s", name, describe(v))
	}
	if strings.Contains(s, "{{") || strings.Contains(s, "{%") {
		return "", fmt.Errorf("%s uses a Jinja template (%q), which remotectl does not evaluate", name, s)
	}
	return s, nil
}

// ansibleInt converts a variable to an integer (numbers and numeric strings).
func ansibleInt(name string, v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<31 {
			return int(x), nil
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return n, nil
		}
		if _, err := ansibleString(name, x); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("%s must be a number, got %s", name, describe(v))
}

// ansibleBool converts a variable to a boolean the way Ansible's boolean()
// filter does: yes/no, on/off, true/false, y/n, t/f, 1/0, in any case.
func ansibleBool(name string, v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case float64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "yes", "on", "true", "y", "t", "1":
			return true, nil
		case "no", "off", "false", "n", "f", "0":
			return false, nil
		}
	}
	return false, fmt.Errorf("%s must be a boolean (yes/no, true/false), got %s", name, describe(v))
}

// describe names a value and its type for messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	default:
		return fmt.Sprintf("%v (%T)", x, x)
	}
}
