package inventory

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/remotectl/remotectl/remote"
)

// settingKey names one connection setting of a host: an index into a
// settingTable.
type settingKey uint16

// settingTable is every connection setting an inventory may write: the
// common ones (remote.CommonSettings) and those the transports declare
// (LoadOptions.Transports), with the Ansible variables that carry them.
// Package inventory knows no setting of its own.
type settingTable struct {
	defs   []settingDef
	byName map[string]settingKey
	// conn are the keys of a connection: block, in declaration order: every
	// setting but the host keys of our format (address, port, ...).
	conn []string
	// ansible maps the Ansible variables that carry settings.
	ansible map[string]remote.AnsibleVar
}

// settingDef is one setting of a table.
type settingDef struct {
	remote.Setting
	of string // the phrase prefix naming it, "port of "
}

// newSettingTable returns the table of the common settings and those of
// transports. Two declarations of one setting or Ansible variable are a
// bug of the transport registry: newSettingTable panics on them.
func newSettingTable(transports []remote.SettingsSchema) *settingTable {
	t := &settingTable{byName: map[string]settingKey{}, ansible: map[string]remote.AnsibleVar{}}
	for _, schema := range append([]remote.SettingsSchema{remote.CommonSettings(transports)}, transports...) {
		for _, s := range schema.Settings {
			if _, dup := t.byName[s.Name]; dup {
				panic(fmt.Sprintf("inventory: setting %q is declared twice", s.Name))
			}
			t.byName[s.Name] = settingKey(len(t.defs))
			t.defs = append(t.defs, settingDef{Setting: s, of: s.Name + " of "})
			if !slices.Contains(hostKeys, s.Name) {
				t.conn = append(t.conn, s.Name)
			}
		}
		for _, v := range schema.AnsibleVars {
			for _, name := range v.Names {
				if _, dup := t.ansible[name]; dup {
					panic(fmt.Sprintf("inventory: Ansible variable %q is declared twice", name))
				}
				t.ansible[name] = v
			}
		}
	}
	return t
}

// name returns the name of the setting k, as messages use it.
func (t *settingTable) name(k settingKey) string { return t.defs[k].Name }

// setting is one connection setting as written in one place. val holds the
// Go type of the setting's remote.ValueKind.
type setting struct {
	key settingKey
	val any
	pos Pos
}

// display returns the value of s for messages, hiding secrets.
func (t *settingTable) display(s setting) string {
	if t.defs[s.key].Secret {
		return "(hidden)"
	}
	if l, ok := s.val.([]string); ok {
		return strings.Join(l, ",")
	}
	return fmt.Sprint(s.val)
}

// sameValue reports whether two settings hold the same value.
func (s setting) sameValue(o setting) bool { return reflect.DeepEqual(s.val, o.val) }

// resolve sets the fields of host that settings (winners first, overridden
// by own) set, over the defaults of a host. target is scratch.
func (t *settingTable) resolve(host *Host, shared []*setting, own []setting, target *remote.Target) {
	*target = remote.Target{Transport: remote.KindSSH}
	for _, s := range shared {
		if s != nil {
			t.defs[s.key].Set(target, s.val)
		}
	}
	for _, s := range own {
		t.defs[s.key].Set(target, s.val)
	}
	host.Address, host.Port, host.Transport, host.User = target.Address, target.Port, target.Transport, target.User
	host.Conn = Conn{
		PasswordEnv: target.PasswordEnv, Password: target.Password, ConnectTimeout: target.ConnectTimeout,
		Become: target.Become, BecomeUser: target.BecomeUser, BecomePasswordEnv: target.BecomePasswordEnv,
		SSH: target.SSH, WinRM: target.WinRM,
	}
}

// target returns the fields of a target that c holds, which the settings
// of a table show.
func (c Conn) target() remote.Target {
	return remote.Target{
		PasswordEnv: c.PasswordEnv, Password: c.Password, ConnectTimeout: c.ConnectTimeout,
		Become: c.Become, BecomeUser: c.BecomeUser, BecomePasswordEnv: c.BecomePasswordEnv,
		SSH: c.SSH, WinRM: c.WinRM,
	}
}

// ConnSettings returns the connection settings of the host that are set
// (those of Conn), by their names in our format ("identity_file",
// "winrm_auth", ...), as text: lists joined with ", ", booleans "true" (or
// "false" for an explicit winrm_https). A password is never shown: it
// appears as "(set, hidden)".
func (h *Host) ConnSettings() map[string]string {
	m := map[string]string{}
	if h.varSources.shared == nil {
		return m
	}
	target := h.Conn.target()
	t := h.varSources.shared.table
	for _, name := range t.conn {
		if v := t.defs[t.byName[name]].Show(&target); v != "" {
			m[name] = v
		}
	}
	return m
}

// ansibleSettings maps one Ansible variable to the settings it carries:
// none for a variable that carries no connection setting.
func (t *settingTable) ansibleSettings(name string, v any) ([]setting, error) {
	av, ok := t.ansible[name]
	if !ok {
		return nil, nil
	}
	values, err := av.Map(name, v)
	if err != nil {
		return nil, err
	}
	out := make([]setting, 0, len(values))
	for _, sv := range values {
		k, ok := t.byName[sv.Setting]
		if !ok {
			panic(fmt.Sprintf("inventory: Ansible variable %s sets %q, which no transport declares", name, sv.Setting))
		}
		out = append(out, setting{key: k, val: sv.Value})
	}
	return out, nil
}
