package ansiblecfg

import (
	"fmt"
	"time"
)

// kind is how a setting's value is read (Ansible's config types).
type kind int

const (
	kindString   kind = iota
	kindPath          // one path: ~ and $VARS expanded, relative to the file
	kindPathList      // comma-separated paths (inventory)
	kindPathSpec      // colon-separated paths (roles_path)
	kindInt
	kindBool
	kindList      // comma-separated values
	kindGathering // implicit, explicit or smart
)

// value is a setting's value once read.
type value struct {
	str  string
	list []string
	num  int
	flag bool
}

// setting is one key remotectl understands: its section and key in
// ansible.cfg, its environment variable, and where it goes in Config.
type setting struct {
	section, key, env string
	kind              kind
	apply             func(c *Config, v value, where string)
}

func (s setting) name() string { return fmt.Sprintf("[%s] %s", s.section, s.key) }

// table lists the settings remotectl understands, as ansible-core's
// config/base.yml names them.
func table() []setting {
	return []setting{
		{"defaults", "inventory", "ANSIBLE_INVENTORY", kindPathList, func(c *Config, v value, _ string) { c.Inventory = v.list }},
		{"defaults", "roles_path", "ANSIBLE_ROLES_PATH", kindPathSpec, func(c *Config, v value, _ string) { c.RolesPath = v.list }},
		{"defaults", "forks", "ANSIBLE_FORKS", kindInt, func(c *Config, v value, _ string) { c.Forks = v.num }},
		{"defaults", "remote_user", "ANSIBLE_REMOTE_USER", kindString, func(c *Config, v value, _ string) { c.RemoteUser = v.str }},
		{"defaults", "timeout", "ANSIBLE_TIMEOUT", kindInt, func(c *Config, v value, _ string) { c.Timeout = time.Duration(v.num) * time.Second }},
		{"defaults", "private_key_file", "ANSIBLE_PRIVATE_KEY_FILE", kindPath, func(c *Config, v value, _ string) { c.PrivateKeyFile = v.str }},
		{"defaults", "vault_password_file", "ANSIBLE_VAULT_PASSWORD_FILE", kindPath, func(c *Config, v value, _ string) { c.VaultPasswordFile = v.str }},
		{"defaults", "ask_pass", "ANSIBLE_ASK_PASS", kindBool, func(c *Config, v value, _ string) { c.AskPass = v.flag }},
		{"defaults", "vault_identity_list", "ANSIBLE_VAULT_IDENTITY_LIST", kindList, func(c *Config, v value, _ string) { c.VaultIdentityList = v.list }},
		{"defaults", "ask_vault_pass", "ANSIBLE_ASK_VAULT_PASS", kindBool, func(c *Config, v value, _ string) { c.AskVaultPass = v.flag }},
		{"defaults", "host_key_checking", "ANSIBLE_HOST_KEY_CHECKING", kindBool, hostKeyChecking},
		{"defaults", "gathering", "ANSIBLE_GATHERING", kindGathering, gathering},
		{"privilege_escalation", "become", "ANSIBLE_BECOME", kindBool, func(c *Config, v value, _ string) { c.Become = v.flag }},
		{"privilege_escalation", "become_user", "ANSIBLE_BECOME_USER", kindString, func(c *Config, v value, _ string) { c.BecomeUser = v.str }},
		{"privilege_escalation", "become_method", "ANSIBLE_BECOME_METHOD", kindString, func(c *Config, v value, _ string) { c.BecomeMethod = v.str }},
		{"privilege_escalation", "become_ask_pass", "ANSIBLE_BECOME_ASK_PASS", kindBool, func(c *Config, v value, _ string) { c.BecomeAskPass = v.flag }},
	}
}

// lookupSetting returns the setting of section and key.
func lookupSetting(section, key string) (setting, bool) {
	for _, s := range table() {
		if s.section == section && s.key == key {
			return s, true
		}
	}
	return setting{}, false
}

// hostKeyChecking records host_key_checking; False is never applied:
// remotectl keeps verifying host keys, and says how to relax it.
func hostKeyChecking(c *Config, v value, where string) {
	b := v.flag
	c.HostKeyChecking = &b
	if !b {
		c.Warnings = append(c.Warnings, where+": host_key_checking is False, but remotectl keeps verifying host keys; "+
			"hint: --host-key-policy accept-new trusts hosts seen for the first time (off disables checking)")
	}
}

// gathering records [defaults] gathering: implicit and smart gather the
// facts of plays without gather_facts: false (smart: a run has no fact
// cache, so the facts are the same); explicit is warned about.
func gathering(c *Config, v value, where string) {
	c.Gathering = v.str
	if v.str != "implicit" && v.str != "smart" {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s: gathering = %s is not applied: remotectl gathers facts in every play without gather_facts: false", where, v.str))
	}
}
