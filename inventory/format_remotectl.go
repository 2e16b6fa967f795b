package inventory

import (
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// Keys of our YAML format, per place.
var (
	topLevelKeys = []string{"defaults", "hosts", "groups"}
	hostKeys     = []string{"address", "port", "transport", "user", "connection", "vars"}
	groupKeys    = []string{"hosts", "children", "vars", "port", "transport", "user", "connection"}
	defaultKeys  = []string{"port", "transport", "user", "connection", "vars"}
	connKeys     = settingNames[setIdentityFiles:]
)

// settingByName maps a key of our format to its setting.
var settingByName = func() map[string]settingKey {
	m := make(map[string]settingKey, numSettings)
	for k, name := range settingNames {
		m[name] = settingKey(k)
	}
	return m
}()

// childRef is a "children:" entry of our format, resolved once every source
// is loaded so groups may be defined in any order or file.
type childRef struct {
	parent string
	child  string
	pos    Pos
}

// remotectlLoader loads one document of our YAML format.
type remotectlLoader struct {
	b *builder
	r *yamlReader
}

// loadRemotectl loads our format from root (a mapping).
func loadRemotectl(b *builder, r *yamlReader, root *yaml.Node) error {
	l := remotectlLoader{b: b, r: r}
	ps, err := r.pairs(root, "the inventory")
	if err != nil {
		return err
	}
	if err := r.checkKeys(ps, "at the top level", topLevelKeys); err != nil {
		return err
	}
	// Defaults first, then hosts, then groups, whatever order they are
	// written in: host order is the order of hosts:, then of first mention.
	for _, section := range topLevelKeys {
		for _, p := range ps {
			if p.name != section {
				continue
			}
			switch section {
			case "defaults":
				err = l.defaults(p.val)
			case "hosts":
				err = l.hosts(p.val)
			case "groups":
				err = l.groups(p.val)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// defaults loads the defaults: block.
func (l *remotectlLoader) defaults(n *yaml.Node) error {
	if yamlnode.IsNull(n) {
		return nil
	}
	ps, err := l.r.pairs(n, "defaults")
	if err != nil {
		return err
	}
	if err := l.r.checkKeys(ps, "in defaults", defaultKeys); err != nil {
		return err
	}
	return l.entries(ps, "defaults", &l.b.defaults, func(s setting) error {
		l.b.defaults.put(s)
		return nil
	})
}

// hosts loads the hosts: block: a mapping of names (or ranges) to settings,
// or simply a list of names.
func (l *remotectlLoader) hosts(n *yaml.Node) error {
	n, err := l.r.resolve(n)
	if err != nil || yamlnode.IsNull(n) {
		return err
	}
	if n.Kind == yaml.SequenceNode {
		names, pos, err := l.r.strList(n, "hosts")
		if err != nil {
			return err
		}
		for i, expr := range names {
			if _, err := l.defineHosts(expr, pos[i], nil); err != nil {
				return err
			}
		}
		return nil
	}
	ps, err := l.r.pairs(n, "hosts")
	if err != nil {
		return err
	}
	for _, p := range ps {
		if _, err := l.defineHosts(p.name, l.r.pos(p.key), p.val); err != nil {
			return err
		}
	}
	return nil
}

// defineHosts defines the hosts expr stands for, with the settings in body
// (nil or null for none), and returns their indexes.
func (l *remotectlLoader) defineHosts(expr string, pos Pos, body *yaml.Node) ([]int32, error) {
	names, err := l.b.expandRange(expr, pos)
	if err != nil {
		return nil, err
	}
	var ps []pair
	if body != nil && !yamlnode.IsNull(body) {
		if ps, err = l.r.pairs(body, fmtWhat("host", expr)); err != nil {
			return nil, err
		}
		if err := l.r.checkKeys(ps, "in "+fmtWhat("host", expr), hostKeys); err != nil {
			return nil, err
		}
	}
	idx := make([]int32, 0, len(names))
	for _, name := range names {
		if err := checkName("host", name, pos); err != nil {
			return nil, err
		}
		hi, err := l.b.host(name, pos, true)
		if err != nil {
			return nil, err
		}
		h := l.b.hosts[hi]
		err = l.entries(ps, fmtWhat("host", name), &h.layer, func(s setting) error {
			return l.b.hostSetting(h, s, false)
		})
		if err != nil {
			return nil, err
		}
		idx = append(idx, hi)
	}
	return idx, nil
}

// groups loads the groups: block.
func (l *remotectlLoader) groups(n *yaml.Node) error {
	if yamlnode.IsNull(n) {
		return nil
	}
	ps, err := l.r.pairs(n, "groups")
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := l.group(p); err != nil {
			return err
		}
	}
	return nil
}

// group loads one entry of groups:.
func (l *remotectlLoader) group(p pair) error {
	pos := l.r.pos(p.key)
	if err := checkName("group", p.name, pos); err != nil {
		return err
	}
	g := l.b.group(p.name, pos)
	if yamlnode.IsNull(p.val) {
		return nil
	}
	what := fmtWhat("group", p.name)
	ps, err := l.r.pairs(p.val, what)
	if err != nil {
		return err
	}
	if err := l.r.checkKeys(ps, "in "+what, groupKeys); err != nil {
		return err
	}
	for _, e := range ps {
		switch e.name {
		case "hosts":
			if err := l.groupHosts(g, e.val); err != nil {
				return err
			}
		case "children":
			names, cpos, err := l.r.strList(e.val, "children of "+what)
			if err != nil {
				return err
			}
			for i, c := range names {
				l.b.childRefs = append(l.b.childRefs, childRef{parent: g.name, child: c, pos: cpos[i]})
			}
		}
	}
	return l.entries(ps, what, &g.layer, func(s setting) error {
		g.layer.put(s)
		return nil
	})
}

// groupHosts adds the hosts listed under a group's hosts: (names or ranges);
// hosts not defined under hosts: are created by the mention.
func (l *remotectlLoader) groupHosts(g *groupDef, n *yaml.Node) error {
	n, err := l.r.resolve(n)
	if err != nil {
		return err
	}
	if n.Kind == yaml.MappingNode {
		return errorf(l.r.pos(n), "hosts of group %q must be a list of host names, got a mapping", g.name).
			withHint("define host settings under the top-level hosts: and list only names here")
	}
	exprs, pos, err := l.r.strList(n, "hosts of "+fmtWhat("group", g.name))
	if err != nil {
		return err
	}
	for i, expr := range exprs {
		names, err := l.b.expandRange(expr, pos[i])
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := checkName("host", name, pos[i]); err != nil {
				return err
			}
			hi, err := l.b.host(name, pos[i], false)
			if err != nil {
				return err
			}
			l.b.addMember(g, hi)
		}
	}
	return nil
}

// entries applies the settings and vars of a host, group or defaults block
// (already key-checked) to a layer; settings go through set.
func (l *remotectlLoader) entries(ps []pair, what string, dst *layer, set func(setting) error) error {
	for _, p := range ps {
		switch p.name {
		case "hosts", "children":
			// group membership, handled by the caller
		case "vars":
			if err := l.vars(p.val, what, dst); err != nil {
				return err
			}
		case "connection":
			if err := l.connection(p.val, what, set); err != nil {
				return err
			}
		default:
			s, err := l.setting(settingByName[p.name], p.val, what)
			if err != nil {
				return err
			}
			if err := set(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// vars loads a vars: mapping into dst.
func (l *remotectlLoader) vars(n *yaml.Node, what string, dst *layer) error {
	if yamlnode.IsNull(n) {
		return nil
	}
	ps, err := l.r.pairs(n, "vars of "+what)
	if err != nil {
		return err
	}
	for _, p := range ps {
		v, err := l.r.value(p.val)
		if err != nil {
			return err
		}
		dst.setVar(p.name, v, l.r.pos(p.key))
	}
	return nil
}

// connection loads a connection: block.
func (l *remotectlLoader) connection(n *yaml.Node, what string, set func(setting) error) error {
	if yamlnode.IsNull(n) {
		return nil
	}
	ps, err := l.r.pairs(n, "connection of "+what)
	if err != nil {
		return err
	}
	if err := l.r.checkKeys(ps, "in the connection of "+what, connKeys); err != nil {
		return err
	}
	for _, p := range ps {
		s, err := l.setting(settingByName[p.name], p.val, what)
		if err != nil {
			return err
		}
		if err := set(s); err != nil {
			return err
		}
	}
	return nil
}

// setting reads and validates one setting value.
func (l *remotectlLoader) setting(key settingKey, n *yaml.Node, what string) (setting, error) {
	r := l.r
	label := key.String() + " of " + what
	s := setting{key: key, pos: r.pos(n)}
	var err error
	switch key {
	case setPort:
		var port int
		if port, err = r.integer(n, label); err == nil {
			err = validPort(label, port)
		}
		s.val = port
	case setIdentityFiles:
		var files []string
		files, _, err = r.strList(n, label)
		s.val = files
	case setIdentitiesOnly, setBecome, setWinRMHTTPS, setWinRMInsecure, setWinRMAllowUnencrypted:
		s.val, err = r.boolean(n, label)
	case setConnectTimeout:
		s.val, err = r.duration(n, label)
	default:
		var str string
		str, err = r.str(n, label)
		if err == nil {
			err = checkEnum(key, str, label)
		}
		s.val = str
	}
	if err != nil {
		return s, r.errAt(n, err)
	}
	return s, nil
}

// checkEnum validates settings with a fixed set of values.
func checkEnum(key settingKey, s, label string) error {
	switch key {
	case setTransport:
		return oneOf(label, s, transports)
	case setHostKeyPolicy:
		return oneOf(label, s, hostKeyPolicies)
	case setWinRMAuth:
		return oneOf(label, s, winrmAuths)
	case setWinRMShell:
		return oneOf(label, s, winrmShells)
	case setWinRMMessageEncryption:
		return oneOf(label, s, winrmEncryption)
	}
	return nil
}

// checkName rejects host and group names that host patterns could not select.
func checkName(kind, name string, pos Pos) error {
	bad := ""
	switch {
	case name == "":
		bad = "is empty"
	case strings.ContainsFunc(name, unicode.IsSpace):
		bad = "contains white space"
	case strings.ContainsAny(name, ",:[]*?"):
		bad = "contains one of , : [ ] * ? (pattern syntax)"
	case strings.ContainsAny(name[:1], "!&~@"):
		bad = "starts with one of ! & ~ @ (pattern syntax)"
	}
	if bad == "" {
		return nil
	}
	e := errorf(pos, "%s name %q %s", kind, name, bad)
	if kind == "host" && strings.Contains(name, ":") {
		e.withHint("name the host and put the address (e.g. an IPv6 address) under address:")
	}
	return e
}
