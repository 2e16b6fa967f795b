package inventory

import (
	"os"
	"sort"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// Names of the groups every inventory has.
const (
	GroupAll       = "all"
	GroupUngrouped = "ungrouped"
)

// Host is one host of an inventory with its settings and variables resolved:
// every field already reflects defaults, groups and the host's own entries.
// Hosts returned by an Inventory are shared; treat them as read-only.
type Host struct {
	Name      string
	Address   string // "" means Name
	Port      int    // 0 means the transport's default
	Transport string // remote.KindSSH (default), remote.KindWinRM or remote.KindLocal
	User      string
	Conn      Conn // connection settings
	// Vars are the fully merged variables:
	// defaults < group all < parent group < child group < host.
	// The map is shared between hosts that have the same groups and no
	// variables of their own: never modify it (copy it with maps.Clone).
	// VarOrigin tells where each variable was defined.
	Vars map[string]any
	// Groups are all the groups the host belongs to, ancestors and "all"
	// included, sorted by name. The slice is shared between hosts.
	Groups []string
	Pos    Pos // where the host was first defined (or first mentioned)
	// Implicit marks the implicit localhost: it exists when no inventory is
	// given, or with LoadOptions.ImplicitLocalhost.
	Implicit bool

	varSources varSources
}

// varSources are the places a host's variables were merged from, kept so
// that VarOrigin composes its answer only when asked: composing one per
// variable per host up front costs more than loading a large inventory.
type varSources struct {
	shared *membership // the defaults and groups, shared between hosts; nil for a zero Host
	own    []varDef    // the host's own variables
}

// layers returns the shared layers, lowest precedence first.
func (s *varSources) layers() []*layer {
	if s.shared == nil {
		return nil
	}
	return s.shared.layers
}

// Addr returns the address to connect to: Address, or Name when it is empty.
func (h *Host) Addr() string {
	if h.Address != "" {
		return h.Address
	}
	return h.Name
}

// VarOrigin returns where the winning value of the variable name was
// defined, e.g. "group web (inventory.yaml:12:5)", "host (hosts.ini:3)" or
// "defaults (inventory.yaml:4:5)"; "" when the host has no such variable.
// The text is composed on each call.
func (h *Host) VarOrigin(name string) string {
	for _, d := range h.varSources.own {
		if d.name == name {
			return originText(hostLabel, d.pos)
		}
	}
	layers := h.varSources.layers()
	for k := len(layers) - 1; k >= 0; k-- {
		if i := layers[k].vars.find(name); i >= 0 {
			return originText(layers[k].label, layers[k].vars.defs[i].pos)
		}
	}
	return ""
}

// VarOrigins returns VarOrigin of every variable in Vars, in a new map.
func (h *Host) VarOrigins() map[string]string {
	out := make(map[string]string, len(h.Vars))
	add := func(label string, defs []varDef) {
		for _, d := range defs {
			if _, won := out[d.name]; !won { // a layer above already defines it
				out[d.name] = originText(label, d.pos)
			}
		}
	}
	add(hostLabel, h.varSources.own)
	layers := h.varSources.layers()
	for k := len(layers) - 1; k >= 0; k-- {
		add(layers[k].label, layers[k].vars.defs)
	}
	return out
}

// Conn are the connection settings of a host. Zero values mean "not set": the
// transport then uses its own defaults (and, for SSH, ~/.ssh/config).
type Conn struct {
	PasswordEnv    string // environment variable holding the login password
	Password       string // from an inventory (ansible_password); never logged
	ConnectTimeout time.Duration

	Become            bool
	BecomeUser        string
	BecomePasswordEnv string

	// SSH and WinRM are the settings of one transport each, in the types the
	// transports read, so a host's target carries them as they are.
	SSH   remote.SSHSettings
	WinRM remote.WinRMSettings
}

// Group is a named set of hosts and child groups.
type Group struct {
	Name     string
	Hosts    []string       // direct members, in definition order
	Children []string       // child groups, in definition order
	Parents  []string       // parent groups, in definition order ("all" for top-level groups)
	Vars     map[string]any // written in the inventories, then group_vars files over them
	Pos      Pos            // where the group was first defined or mentioned
}

// Format is the kind of an inventory source.
type Format string

// The inventory formats Load understands.
const (
	FormatRemotectl   Format = "remotectl-yaml"
	FormatAnsibleINI  Format = "ansible-ini"
	FormatAnsibleYAML Format = "ansible-yaml"
	// FormatDynamic is Ansible's dynamic-inventory JSON, produced by an
	// executable run with --list (or saved from one, e.g. ansible-inventory --list).
	FormatDynamic Format = "dynamic"
	// FormatHostList is a comma-separated list of hosts given instead of a
	// file ("web1,web2:2222,"), as Ansible's -i accepts.
	FormatHostList Format = "host-list"
)

// Source is one file an inventory was loaded from.
type Source struct {
	Path   string
	Format Format
	Hosts  int // hosts defined or mentioned by this source
}

// LoadOptions tune loading.
type LoadOptions struct {
	// MaxHosts caps how many names one host range may expand to and how many
	// hosts the whole inventory may hold; 0 means nodeset.DefaultMax.
	MaxHosts int
	// ScriptTimeout bounds the runs of each dynamic-inventory executable,
	// --list and every --host together; 0 means DefaultScriptTimeout.
	ScriptTimeout time.Duration
	// ScriptTimeoutHint is the hint of the error of a script that ran out of
	// time: how the user raises the limit. "" gives a generic hint.
	ScriptTimeoutHint string
	// Transports declare the transport kinds and their settings (the
	// connection: keys, Ansible variables and ansible_connection values
	// of each): ssh.Settings(), winrm.Settings(), ... The settings every
	// transport shares are always known. With none, a transport: value is
	// not checked and no transport-specific setting is known.
	Transports []remote.SettingsSchema
	// Decrypt decrypts Ansible Vault data: a whole file (inventory,
	// group_vars, host_vars) starting with "$ANSIBLE_VAULT;", or the text of
	// an inline "!vault" value. The CLI passes the decrypter of
	// --vault-password-file / --vault-id. Nil: vault data is an error naming
	// the file and those options.
	Decrypt func(vaulttext []byte) ([]byte, error)
	// PlaybookDir, when set, is the directory of the playbook: its
	// group_vars/ and host_vars/ apply too, as Ansible's "playbook
	// group_vars": group_vars/all after the inventories' group_vars/all,
	// other groups after the inventories' group_vars of every group, host_vars
	// last (ansible-inventory --playbook-dir).
	PlaybookDir string
	// OrderedDicts reads the mappings inside variables of Ansible YAML
	// inventories, group_vars/host_vars files and dynamic inventories as
	// *omap.Map, keys in the order written, as playbooks (Python's dicts) iterate them; without it
	// they are map[string]any (Go templates of check files index those).
	OrderedDicts bool
	// ImplicitLocalhost gives an inventory that does not define localhost
	// Ansible's implicit one: the names localhost, 127.0.0.1 and ::1 in a
	// pattern select the controller (transport local, the variables of
	// group "all" and ansible_connection=local), which is in no group and
	// not in "all". For ansible-playbook's "hosts: localhost". Without it,
	// an inventory has only the hosts it defines.
	ImplicitLocalhost bool
}

// DefaultScriptTimeout is how long a dynamic-inventory executable may run.
const DefaultScriptTimeout = time.Minute

// Inventory is a loaded, validated set of hosts and groups. It is immutable
// and safe for concurrent use.
type Inventory struct {
	hosts    []*Host
	hostIdx  map[string]int32
	groups   []*Group
	groupIdx map[string]int32
	// members[g] are the direct host members of groups[g] (host indexes), and
	// children[g] its child groups (group indexes).
	members  [][]int32
	children [][]int32
	sources  []Source
	given    []string // the inventories as named to Load or Parse
	// implicit is the implicit localhost: with no inventory, or with
	// LoadOptions.ImplicitLocalhost and an inventory not defining it; nil
	// otherwise. implicitInAll says "all" selects it (no inventory).
	implicit      *Host
	implicitInAll bool
	maxHosts      int
	// readFile reads "@file" patterns; os.ReadFile except in tests.
	readFile func(string) ([]byte, error)
}

// isLocalhostName reports whether name is one of Ansible's names of the
// controller (C.LOCALHOST).
func isLocalhostName(name string) bool {
	return name == implicitLocalhost || name == "127.0.0.1" || name == "::1"
}

// Hosts returns every host in definition order. The implicit localhost is not
// included (unless the inventory defines "localhost").
func (inv *Inventory) Hosts() []*Host { return inv.hosts }

// Host returns the host called name. With no inventory at all, "localhost"
// is the implicit local host; an inventory has only the hosts it defines.
func (inv *Inventory) Host(name string) (*Host, bool) {
	if i, ok := inv.hostIdx[name]; ok {
		return inv.hosts[i], true
	}
	if isLocalhostName(name) && inv.implicit != nil {
		return inv.implicit, true
	}
	return nil, false
}

// Groups returns every group in definition order; "all" and "ungrouped"
// always exist and come first.
func (inv *Inventory) Groups() []*Group { return inv.groups }

// Group returns the group called name.
func (inv *Inventory) Group(name string) (*Group, bool) {
	if i, ok := inv.groupIdx[name]; ok {
		return inv.groups[i], true
	}
	return nil, false
}

// Sources returns the files the inventory was loaded from, in load order.
func (inv *Inventory) Sources() []Source { return inv.sources }

// Names returns every host and group name (and "localhost" with no
// inventory at all), sorted and without duplicates, for shell completion and
// suggestions.
func (inv *Inventory) Names() []string {
	names := make([]string, 0, len(inv.hosts)+len(inv.groups)+1)
	seen := make(map[string]bool, cap(names))
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, g := range inv.groups {
		add(g.Name)
	}
	for _, h := range inv.hosts {
		add(h.Name)
	}
	if inv.implicit != nil {
		add(implicitLocalhost)
	}
	sort.Strings(names)
	return names
}

// readPatternFile reads an "@file" pattern.
func (inv *Inventory) readPatternFile(path string) ([]byte, error) {
	if inv.readFile != nil {
		return inv.readFile(path)
	}
	return os.ReadFile(path)
}
