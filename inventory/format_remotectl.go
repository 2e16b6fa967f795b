package inventory

import (
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/remote"
)

// Keys of our YAML format, per place.
var (
	topLevelKeys = []string{"defaults", "hosts", "groups"}
	hostKeys     = []string{"address", "port", "transport", "user", "connection", "vars"}
	groupKeys    = []string{"hosts", "children", "vars", "port", "transport", "user", "connection"}
	defaultKeys  = []string{"port", "transport", "user", "connection", "vars"}
)

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

// loadRemotectl loads our format from root (a mapping). With split, the
// hosts: block is not in root but parsed in parts (see hostsSplit).
func loadRemotectl(b *builder, r *yamlReader, root *yaml.Node, split *hostsSplit) error {
	l := remotectlLoader{b: b, r: r}
	ps, err := r.pairs(root, words("the inventory"))
	if err != nil {
		return err
	}
	if err := r.checkKeys(ps, words("at the top level"), topLevelKeys); err != nil {
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
				if split != nil && p.key == split.key {
					err = l.hostsInParts(split)
				} else {
					err = l.hosts(p.val)
				}
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
	ps, err := l.r.pairs(n, words("defaults"))
	if err != nil {
		return err
	}
	if err := l.r.checkKeys(ps, words("in defaults"), defaultKeys); err != nil {
		return err
	}
	return l.entries(ps, words("defaults"), l.b.defaults, func(s setting) error {
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
		names, pos, err := l.r.strList(n, words("hosts"))
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
	ps, err := l.r.pairs(n, words("hosts"))
	if err != nil {
		return err
	}
	l.b.reserveHosts(len(ps))
	// The nodes of a large hosts: block outweigh the hosts made from them:
	// drop the references to each entry once it is loaded, so that the
	// collector can reclaim the nodes while the next entries load. Nothing
	// else reads this mapping's entries, unless an alias names the mapping.
	if n.Anchor == "" {
		clear(n.Content)
	}
	for i := range ps {
		p := ps[i]
		ps[i] = pair{}
		if _, err := l.defineHosts(p.name, l.r.pos(p.key), p.val); err != nil {
			return err
		}
	}
	return nil
}

// hostsInParts loads a hosts: block parsed in parts. Should a part not parse
// alone, the block is read from the whole document instead.
func (l *remotectlLoader) hostsInParts(s *hostsSplit) error {
	l.b.reserveHosts(s.entries)
	parts := s.parse()
	defer parts.stop()
	first := make(map[string]int, s.entries) // line of each key, for duplicates across parts
	for {
		root, ok := parts.next()
		if !ok {
			return nil
		}
		if root == nil {
			parts.stop()
			return l.hostsFromWhole(s)
		}
		ps, err := l.r.pairs(root, words("hosts"))
		if err != nil {
			return err
		}
		clear(root.Content) // see hosts
		for i := range ps {
			p := ps[i]
			ps[i] = pair{}
			if line, dup := first[p.name]; dup {
				return duplicateKey(l.r, p.key, words("hosts"), line)
			}
			first[p.name] = p.key.Line
			if _, err := l.defineHosts(p.name, l.r.pos(p.key), p.val); err != nil {
				return err
			}
		}
	}
}

// hostsFromWhole loads the hosts: block of a split document from the whole
// document: one of its parts does not parse alone. The whole document
// either shows what is wrong or holds the block as it is; the hosts already
// loaded from the first parts are then defined again, identically, which
// changes nothing.
func (l *remotectlLoader) hostsFromWhole(s *hostsSplit) error {
	root, err := parseYAML(s.file, s.data)
	if err != nil {
		return err
	}
	ps, err := l.r.pairs(root, words("the inventory"))
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.name == "hosts" {
			return l.hosts(p.val)
		}
	}
	// The skeleton showed the key, and the whole document reads alike up to it.
	return errorf(Pos{File: s.file, Line: s.key.Line}, "the hosts: block cannot be read as a part of the document").
		withHint("please report this, with the file")
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
		what := named("host", expr)
		if ps, err = l.r.pairs(body, what); err != nil {
			return nil, err
		}
		if err := l.r.checkKeys(ps, what.in("in "), hostKeys); err != nil {
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
		err = l.entries(ps, named("host", name), &h.layer, func(s setting) error {
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
	ps, err := l.r.pairs(n, words("groups"))
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
	what := named("group", p.name)
	ps, err := l.r.pairs(p.val, what)
	if err != nil {
		return err
	}
	if err := l.r.checkKeys(ps, what.in("in "), groupKeys); err != nil {
		return err
	}
	for _, e := range ps {
		switch e.name {
		case "hosts":
			if err := l.groupHosts(g, e.val); err != nil {
				return err
			}
		case "children":
			names, cpos, err := l.r.strList(e.val, what.in("children of "))
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
	exprs, pos, err := l.r.strList(n, named("group", g.name).in("hosts of "))
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
func (l *remotectlLoader) entries(ps []pair, what phrase, dst *layer, set func(setting) error) error {
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
			s, err := l.setting(l.b.settings.byName[p.name], p.val, what)
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
func (l *remotectlLoader) vars(n *yaml.Node, what phrase, dst *layer) error {
	if yamlnode.IsNull(n) {
		return nil
	}
	ps, err := l.r.pairs(n, what.in("vars of "))
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
func (l *remotectlLoader) connection(n *yaml.Node, what phrase, set func(setting) error) error {
	if yamlnode.IsNull(n) {
		return nil
	}
	ps, err := l.r.pairs(n, what.in("connection of "))
	if err != nil {
		return err
	}
	if err := l.r.checkKeys(ps, what.in("in the connection of "), l.b.settings.conn); err != nil {
		return err
	}
	for _, p := range ps {
		s, err := l.setting(l.b.settings.byName[p.name], p.val, what)
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
func (l *remotectlLoader) setting(key settingKey, n *yaml.Node, what phrase) (setting, error) {
	r := l.r
	def := &l.b.settings.defs[key]
	label := what.in(def.of)
	s := setting{key: key, pos: r.pos(n)}
	var err error
	switch def.ValueKind() {
	case remote.PortValue:
		var port int
		if port, err = r.integer(n, label); err == nil {
			err = remote.ValidPort(label.String(), port)
		}
		s.val = port
	case remote.ListValue:
		var files []string
		files, _, err = r.strList(n, label)
		s.val = files
	case remote.BoolValue:
		s.val, err = r.boolean(n, label)
	case remote.DurationValue:
		s.val, err = r.duration(n, label)
	default:
		var str string
		str, err = r.str(n, label)
		if err == nil && def.Enum != nil {
			err = remote.OneOf(label.String(), str, def.Enum)
		}
		s.val = str
	}
	if err != nil {
		return s, r.errAt(n, err)
	}
	return s, nil
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
