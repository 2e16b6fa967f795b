package ssh

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// Settings declares the SSH settings inventories may write (the keys of a
// connection: block) and the Ansible variables and ansible_connection
// values of SSH.
func Settings() remote.SettingsSchema {
	return remote.SettingsSchema{
		Kind: remote.KindSSH,
		Settings: []remote.Setting{
			remote.ListSetting(setIdentityFile, func(t *remote.Target) *[]string { return &t.SSH.IdentityFiles }),
			remote.BoolSetting(setIdentitiesOnly, func(t *remote.Target) *bool { return &t.SSH.IdentitiesOnly }),
			remote.StringSetting(setProxyJump, func(t *remote.Target) *string { return &t.SSH.ProxyJump }),
			remote.StringSetting(setProxyCommand, func(t *remote.Target) *string { return &t.SSH.ProxyCommand }),
			remote.StringSetting(setIdentityAgent, func(t *remote.Target) *string { return &t.SSH.IdentityAgent }),
			remote.StringSetting(setHostKeyPolicy, func(t *remote.Target) *string { return &t.SSH.HostKeyPolicy },
				"strict", "accept-new", "off"),
			remote.StringSetting(setKnownHostsFile, func(t *remote.Target) *string { return &t.SSH.KnownHostsFile }),
		},
		AnsibleConnections: []string{"ssh", "smart", "paramiko", "paramiko_ssh"},
		AnsibleVars: []remote.AnsibleVar{
			remote.AnsibleStringVar(remote.SettingAddress, "ansible_ssh_host"),
			remote.AnsibleStringVar(remote.SettingUser, "ansible_ssh_user"),
			remote.AnsibleStringVar(remote.SettingPassword, "ansible_ssh_pass", "ansible_ssh_password"),
			remote.AnsiblePortVar("ansible_ssh_port"),
			remote.AnsibleTimeoutVar("ansible_ssh_timeout"),
			{Names: []string{"ansible_ssh_private_key_file", "ansible_private_key_file"}, Map: func(name string, v any) ([]remote.SettingValue, error) {
				s, err := remote.AnsibleString(name, v)
				if err != nil {
					return nil, err
				}
				return []remote.SettingValue{{Setting: setIdentityFile, Value: []string{s}}}, nil
			}},
			{Names: []string{"ansible_host_key_checking", "ansible_ssh_host_key_checking"}, Map: func(name string, v any) ([]remote.SettingValue, error) {
				b, err := remote.AnsibleBool(name, v)
				if err != nil {
					return nil, err
				}
				policy := "strict"
				if !b {
					policy = "off"
				}
				return []remote.SettingValue{{Setting: setHostKeyPolicy, Value: policy}}, nil
			}},
			{Names: []string{"ansible_ssh_common_args", "ansible_ssh_extra_args"}, Map: ansibleSSHArgs},
		},
	}
}

// Names of the SSH settings that Settings refers to more than once.
const (
	setIdentityFile   = "identity_file"
	setIdentitiesOnly = "identities_only"
	setProxyJump      = "proxy_jump"
	setProxyCommand   = "proxy_command"
	setIdentityAgent  = "identity_agent"
	setHostKeyPolicy  = "host_key_policy"
	setKnownHostsFile = "known_hosts_file"
)

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
func ansibleSSHArgs(name string, v any) ([]remote.SettingValue, error) {
	s, err := remote.AnsibleString(name, v)
	if err != nil {
		return nil, err
	}
	words, err := remote.ShlexSplit(s, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	var out []remote.SettingValue
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
		var sv remote.SettingValue
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
			sv, err = sshOption(name, key, val, &identities)
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
			sv, err = sshOption(name, strings.TrimSpace(key), strings.TrimSpace(val), &identities)
		default:
			return nil, fmt.Errorf("%s: %s is an ssh option remotectl cannot honour "+
				"(it understands -J, -i, -p, -l, -o and ignores -C, -q, -v)", name, w)
		}
		if err != nil {
			return nil, err
		}
		if sv.Setting != "" {
			out = append(out, sv)
		}
	}
	if len(identities) > 0 {
		out = append(out, remote.SettingValue{Setting: setIdentityFile, Value: identities})
	}
	return out, nil
}

// sshOption maps one ssh option (-o key=val) to a setting; none (a zero
// SettingValue) for an ignored option or an identity file, gathered in
// identities.
func sshOption(name, key, val string, identities *[]string) (remote.SettingValue, error) {
	var none remote.SettingValue
	to := func(setting string, v any) remote.SettingValue {
		return remote.SettingValue{Setting: setting, Value: v}
	}
	switch k := strings.ToLower(key); {
	case k == "proxyjump":
		return to(setProxyJump, val), nil
	case k == "proxycommand":
		return to(setProxyCommand, val), nil
	case k == "identityfile":
		*identities = append(*identities, val)
		return none, nil
	case k == "user":
		return to(remote.SettingUser, val), nil
	case k == "port":
		n, err := strconv.Atoi(val)
		if err == nil {
			err = remote.ValidPort(name+": Port", n)
		} else {
			err = fmt.Errorf("%s: Port must be a number, got %q", name, val)
		}
		return to(remote.SettingPort, n), err
	case k == "identitiesonly":
		b, err := remote.AnsibleBool(name+": IdentitiesOnly", val)
		return to(setIdentitiesOnly, b), err
	case k == "stricthostkeychecking":
		policy, ok := map[string]string{"yes": "strict", "ask": "strict", "true": "strict",
			"accept-new": "accept-new", "no": "off", "off": "off", "false": "off"}[strings.ToLower(val)]
		if !ok {
			return none, fmt.Errorf("%s: StrictHostKeyChecking must be yes, ask, accept-new, no or off, got %q", name, val)
		}
		return to(setHostKeyPolicy, policy), nil
	case k == "identityagent":
		return to(setIdentityAgent, val), nil
	case k == "globalknownhostsfile":
		// remotectl reads no global known_hosts file: "none" or /dev/null
		// asks for exactly that; another file would be dropped.
		if v := strings.TrimSpace(val); strings.EqualFold(v, "none") || v == "/dev/null" {
			return none, nil
		}
		return none, fmt.Errorf("%s: GlobalKnownHostsFile %q: remotectl reads no global known_hosts file; name the file with UserKnownHostsFile (one per host)", name, val)
	case k == "userknownhostsfile":
		if strings.ContainsAny(strings.TrimSpace(val), " \t") {
			return none, fmt.Errorf("%s: UserKnownHostsFile %q: remotectl reads one known_hosts file per host", name, val)
		}
		return to(setKnownHostsFile, val), nil
	case k == "connecttimeout":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return none, fmt.Errorf("%s: ConnectTimeout must be a number of seconds, got %q", name, val)
		}
		return to(remote.SettingConnectTimeout, time.Duration(n)*time.Second), nil
	case slices.Contains(sshArgsIgnored, k):
		return none, checkIgnoredSSHOption(name, key, val)
	}
	return none, fmt.Errorf("%s: -o %s is an ssh option remotectl cannot honour", name, key)
}
