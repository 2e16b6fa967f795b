// Package ansiblecfg reads ansible.cfg as ansible-playbook does, for the
// settings remotectl play understands: the file is found in Ansible's order
// (ANSIBLE_CONFIG, ./ansible.cfg unless the directory is world-writable,
// ~/.ansible.cfg, /etc/ansible/ansible.cfg), read as Python's configparser
// reads it, and each setting's ANSIBLE_* environment variable overrides
// the file. Every other key is warned about (never an error): remotectl
// does not do what it asks.
package ansiblecfg

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config are the settings of ansible.cfg and the environment that
// remotectl understands; zero values mean "not set".
type Config struct {
	File string // the ansible.cfg read; "" when none

	Inventory         []string // [defaults] inventory (comma-separated paths)
	RolesPath         []string // [defaults] roles_path (colon-separated), else Ansible's default
	Forks             int
	RemoteUser        string
	Timeout           time.Duration // [defaults] timeout: connecting, in seconds
	PrivateKeyFile    string
	VaultPasswordFile string
	VaultIdentityList []string // [LABEL@]SOURCE, before --vault-id's
	AskVaultPass      bool
	AskPass           bool
	// HostKeyChecking is false when host_key_checking = False; remotectl
	// still verifies host keys (a warning says so).
	HostKeyChecking *bool
	Gathering       string // implicit, explicit or smart

	Become        bool
	BecomeUser    string
	BecomeMethod  string
	BecomeAskPass bool

	// Warnings are the keys remotectl does not use and the settings it
	// applies differently, each "FILE:LINE: ..." (or "$NAME: ...").
	Warnings []string
}

// Lookup says where ansible.cfg is looked for: injectable so that tests
// never read the real home or /etc.
type Lookup struct {
	Getenv func(string) string // nil reads no environment
	Cwd    string
	Home   string // "" skips ~/.ansible.cfg
	System string // /etc/ansible/ansible.cfg; "" skips it
}

// DefaultSystem is the system-wide ansible.cfg.
const DefaultSystem = "/etc/ansible/ansible.cfg"

// Find returns the ansible.cfg Ansible would read ("" for none), and a
// warning when ./ansible.cfg is skipped because the working directory is
// world-writable.
func (l Lookup) Find() (path, warning string) {
	var candidates []string
	fromEnv := ""
	if env := l.env("ANSIBLE_CONFIG"); env != "" {
		fromEnv = l.resolve(env, l.Cwd)
		if info, err := os.Stat(fromEnv); err == nil && info.IsDir() {
			fromEnv = filepath.Join(fromEnv, "ansible.cfg")
		}
		candidates = append(candidates, fromEnv)
	}
	skipped := false
	if l.Cwd != "" {
		cwdCfg := filepath.Join(l.Cwd, "ansible.cfg")
		if info, err := os.Stat(l.Cwd); err == nil && info.Mode().Perm()&0o002 != 0 {
			_, err := os.Stat(cwdCfg)
			skipped = err == nil
		} else if err == nil {
			candidates = append(candidates, cwdCfg)
		}
	}
	if l.Home != "" {
		candidates = append(candidates, filepath.Join(l.Home, ".ansible.cfg"))
	}
	if l.System != "" {
		candidates = append(candidates, l.System)
	}
	for _, c := range candidates {
		if f, err := os.Open(c); err == nil {
			f.Close()
			path = c
			break
		}
	}
	if skipped && (fromEnv == "" || path != fromEnv) {
		warning = fmt.Sprintf("the working directory %s is world-writable: its ansible.cfg is ignored, as Ansible does", l.Cwd)
	}
	return path, warning
}

// Load finds and reads ansible.cfg (see Find), then applies the ANSIBLE_*
// environment over it. A value that cannot be read (forks = many) is an
// error naming its line; a key remotectl does not use is a warning.
func Load(l Lookup) (*Config, error) {
	path, warning := l.Find()
	c := &Config{File: path}
	if warning != "" {
		c.Warnings = append(c.Warnings, warning)
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if err := c.apply(path, data, l); err != nil {
			return nil, err
		}
	}
	for _, s := range table() {
		v := l.env(s.env)
		if v == "" {
			continue
		}
		if err := c.set(s, v, l.Cwd, l, "$"+s.env); err != nil {
			return nil, err
		}
	}
	if c.RolesPath == nil {
		c.RolesPath = l.defaultRolesPath()
	}
	return c, nil
}

// defaultRolesPath is Ansible's roles_path when none is set:
// $ANSIBLE_HOME/roles (~/.ansible/roles), /usr/share/ansible/roles,
// /etc/ansible/roles.
func (l Lookup) defaultRolesPath() []string {
	var out []string
	if home := l.env("ANSIBLE_HOME"); home != "" {
		out = append(out, filepath.Join(l.resolve(home, l.Cwd), "roles"))
	} else if l.Home != "" {
		out = append(out, filepath.Join(l.Home, ".ansible", "roles"))
	}
	return append(out, "/usr/share/ansible/roles", "/etc/ansible/roles")
}

// apply reads the keys of the file path.
func (c *Config) apply(path string, data []byte, l Lookup) error {
	entries, err := parseINI(path, data)
	if err != nil {
		return err
	}
	for _, e := range entries {
		where := fmt.Sprintf("%s:%d", path, e.Line)
		s, ok := lookupSetting(e.Section, e.Key)
		if !ok {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: [%s] %s is not used by remotectl", where, e.Section, e.Key))
			continue
		}
		if err := c.set(s, e.Value, filepath.Dir(path), l, where); err != nil {
			return err
		}
	}
	return nil
}

// set applies one setting's value; paths are relative to base.
func (c *Config) set(s setting, v, base string, l Lookup, where string) error {
	var err error
	switch s.kind {
	case kindString:
		s.apply(c, value{str: v}, where)
	case kindGathering:
		if v != "implicit" && v != "explicit" && v != "smart" {
			return fmt.Errorf("%s: %s = %q: it must be implicit, explicit or smart", where, s.name(), v)
		}
		s.apply(c, value{str: v}, where)
	case kindPath:
		s.apply(c, value{str: l.resolve(v, base)}, where)
	case kindList:
		var list []string
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				list = append(list, p)
			}
		}
		s.apply(c, value{list: list}, where)
	case kindPathList, kindPathSpec:
		sep := ","
		if s.kind == kindPathSpec {
			sep = ":"
		}
		var list []string
		for _, p := range strings.Split(v, sep) {
			if p = strings.TrimSpace(p); p != "" {
				list = append(list, l.resolve(p, base))
			}
		}
		s.apply(c, value{list: list}, where)
	case kindInt:
		var n int
		if n, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
			return fmt.Errorf("%s: %s = %q is not an integer", where, s.name(), v)
		}
		s.apply(c, value{num: n}, where)
	case kindBool:
		var b bool
		if b, err = Bool(v); err != nil {
			return fmt.Errorf("%s: %s: %w", where, s.name(), err)
		}
		s.apply(c, value{flag: b}, where)
	}
	return nil
}

// resolve expands $VARS and ~ in p and makes it absolute against base, as
// Ansible's resolve_path.
func (l Lookup) resolve(p, base string) string {
	p = os.Expand(p, l.env)
	if p == "~" || strings.HasPrefix(p, "~/") {
		p = filepath.Join(l.env("HOME"), p[1:])
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	return filepath.Clean(p)
}

// env reads the environment variable name through Getenv.
func (l Lookup) env(name string) string {
	if l.Getenv == nil {
		return ""
	}
	return l.Getenv(name)
}

// Bool reads a boolean as Ansible's boolean(): yes/on/1/true/t/y and
// no/off/0/false/f/n, in any case.
func Bool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "y", "yes", "on", "1", "true", "t", "1.0":
		return true, nil
	case "n", "no", "off", "0", "false", "f", "0.0", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (yes, no, true, false, on, off, 1, 0)", v)
}
