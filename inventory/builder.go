package inventory

import (
	"encoding/binary"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/remote"
)

// implicitLocalhost is the host there is when no inventory is given: the
// controller itself.
const implicitLocalhost = "localhost"

// varDef is a variable as written in one place.
type varDef struct {
	name string
	val  any
	pos  Pos
}

// varList are the variables of one layer in definition order. Most layers
// hold a handful (a host's own variables), so lookups scan the list; long
// lists (large group_vars files) are indexed.
type varList struct {
	defs  []varDef
	index map[string]int32 // built once the list is longer than varIndexMin
}

// varIndexMin is the length beyond which a varList indexes its names.
const varIndexMin = 16

// set sets a variable; a later definition replaces an earlier one.
func (vl *varList) set(name string, v any, pos Pos) {
	if i := vl.find(name); i >= 0 {
		vl.defs[i] = varDef{name, v, pos}
		return
	}
	vl.defs = append(vl.defs, varDef{name, v, pos})
	switch n := len(vl.defs); {
	case vl.index != nil:
		vl.index[name] = int32(n - 1)
	case n > varIndexMin:
		vl.index = make(map[string]int32, 2*n)
		for i, d := range vl.defs {
			vl.index[d.name] = int32(i)
		}
	}
}

// find returns the index of variable name in defs, or -1.
func (vl *varList) find(name string) int {
	if vl.index != nil {
		if i, ok := vl.index[name]; ok {
			return int(i)
		}
		return -1
	}
	for i := range vl.defs {
		if vl.defs[i].name == name {
			return i
		}
	}
	return -1
}

// layer is what one place (the defaults, a group, a host) contributes to a
// host: variables and connection settings. Layers are applied in precedence
// order; a later layer's entries win.
type layer struct {
	vars     varList
	settings []setting
	label    string // "defaults", "group web", "host": where, in VarOrigin
}

// hostLabel is the label of every host's own layer.
const hostLabel = "host"

// setVar sets a variable; a later definition replaces an earlier one.
func (l *layer) setVar(name string, v any, pos Pos) { l.vars.set(name, v, pos) }

// put sets a setting; a later definition replaces an earlier one.
func (l *layer) put(s setting) {
	for i := range l.settings {
		if l.settings[i].key == s.key {
			l.settings[i] = s
			return
		}
	}
	l.settings = append(l.settings, s)
}

// get returns the setting for key, if the layer has one.
func (l *layer) get(key settingKey) (setting, bool) {
	for _, s := range l.settings {
		if s.key == key {
			return s, true
		}
	}
	return setting{}, false
}

// originText returns the VarOrigin string of a variable defined at pos in a
// layer labelled label: "group web (inventory.yaml:12:5)", or just the label
// when the position is unknown.
func originText(label string, pos Pos) string {
	if where := pos.String(); where != "" {
		return label + " (" + where + ")"
	}
	return label
}

// hostDef is a host while the inventory is being built.
type hostDef struct {
	name    string
	pos     Pos
	defined bool // pos is a definition, not just a mention in a group
	layer   layer
	groups  []int32 // direct groups
	source  int     // last source that touched the host, for Source.Hosts
}

// groupDef is a group while the inventory is being built.
type groupDef struct {
	name     string
	pos      Pos
	hosts    []int32
	children []int32
	childPos []Pos // where each child was listed, for cycle messages
	parents  []int32
	layer    layer
	// files are the variables of group_vars/NAME files, one layer per
	// directory they were read from: they come after every group's own
	// variables, as in Ansible.
	files    []fileLayer
	priority int // ansible_group_priority: orders groups of equal depth
}

// fileLayer is what one group_vars directory gives a group.
type fileLayer struct {
	dir   int // index of the directory among those read, in load order
	layer layer
}

// fileLayer returns the layer of group_vars directory dir for g.
func (g *groupDef) fileLayer(dir int) *layer {
	for i := range g.files {
		if g.files[i].dir == dir {
			return &g.files[i].layer
		}
	}
	g.files = append(g.files, fileLayer{dir: dir, layer: layer{label: g.layer.label}})
	return &g.files[len(g.files)-1].layer
}

// builder accumulates hosts, groups, variables and settings from every source,
// then validates them and resolves each host (finish).
type builder struct {
	maxHosts int
	ordered  bool // LoadOptions.OrderedDicts
	hosts    []*hostDef
	hostIdx  map[string]int32
	groups   []*groupDef
	groupIdx map[string]int32
	edges    map[[2]int32]bool // parent,child pairs already linked
	// defaults are the defaults: of our format. A layer of its own, not part
	// of the builder, as resolved hosts keep referring to it.
	defaults *layer
	sources  []Source
	// childRefs are children: entries of our format, linked by finish.
	childRefs []childRef
	// settings are the connection settings inventories may write.
	settings *settingTable
	// implicitLocal is LoadOptions.ImplicitLocalhost.
	implicitLocal bool
}

// newBuilder returns a builder holding the groups every inventory has.
func newBuilder(opts LoadOptions) *builder {
	b := &builder{
		maxHosts: opts.MaxHosts,
		ordered:  opts.OrderedDicts,
		hostIdx:  make(map[string]int32),
		groupIdx: make(map[string]int32),
		edges:    make(map[[2]int32]bool),
		defaults: &layer{label: "defaults"},
		settings: newSettingTable(opts.Transports),

		implicitLocal: opts.ImplicitLocalhost,
	}
	if b.maxHosts <= 0 {
		b.maxHosts = nodeset.DefaultMax
	}
	all := b.group(GroupAll, Pos{})
	// As Ansible's inventory starts: "ungrouped" is the first child of "all".
	b.addChild(all, b.group(GroupUngrouped, Pos{}), Pos{})
	return b
}

// beginSource starts counting hosts for a new source.
func (b *builder) beginSource(path string, f Format) {
	b.sources = append(b.sources, Source{Path: path, Format: f})
}

// defaultGroupPriority is the ansible_group_priority of a group that sets
// none, as in Ansible: a group setting 0 sorts before the others.
const defaultGroupPriority = 1

// group returns the group called name, creating it (mentioned at pos) if needed.
func (b *builder) group(name string, pos Pos) *groupDef {
	if i, ok := b.groupIdx[name]; ok {
		g := b.groups[i]
		if g.pos == (Pos{}) {
			g.pos = pos
		}
		return g
	}
	g := &groupDef{name: name, pos: pos, layer: layer{label: "group " + name}, priority: defaultGroupPriority}
	b.groupIdx[name] = int32(len(b.groups))
	b.groups = append(b.groups, g)
	return g
}

// lookupGroup returns the group called name if it exists.
func (b *builder) lookupGroup(name string) (*groupDef, bool) {
	i, ok := b.groupIdx[name]
	if !ok {
		return nil, false
	}
	return b.groups[i], true
}

// host returns the index of the host called name, creating it if needed.
// define says the host is being defined at pos (rather than mentioned).
func (b *builder) host(name string, pos Pos, define bool) (int32, error) {
	i, ok := b.hostIdx[name]
	if !ok {
		if len(b.hosts) >= b.maxHosts {
			return 0, errorf(pos, "the inventory holds more than %d hosts", b.maxHosts).
				withHint("check the host ranges, or raise the host limit")
		}
		i = int32(len(b.hosts))
		b.hostIdx[name] = i
		b.hosts = append(b.hosts, &hostDef{name: name, pos: pos, defined: define, layer: layer{label: hostLabel}, source: -1})
	}
	h := b.hosts[i]
	if define && !h.defined {
		h.pos, h.defined = pos, true
	}
	if cur := len(b.sources) - 1; cur >= 0 && h.source != cur {
		h.source = cur
		b.sources[cur].Hosts++
	}
	return i, nil
}

// reserveHosts makes room for n more hosts, so that loading a large hosts:
// block does not grow the host table step by step.
func (b *builder) reserveHosts(n int) {
	n = min(n, b.maxHosts-len(b.hosts))
	if n <= 0 {
		return
	}
	b.hosts = slices.Grow(b.hosts, n)
	if len(b.hostIdx) == 0 {
		b.hostIdx = make(map[string]int32, n)
	}
}

// addMember makes host hi a direct member of g.
func (b *builder) addMember(g *groupDef, hi int32) {
	h := b.hosts[hi]
	gi := b.groupIdx[g.name]
	for _, x := range h.groups {
		if x == gi {
			return
		}
	}
	h.groups = append(h.groups, gi)
	g.hosts = append(g.hosts, hi)
}

// addChild makes child a child group of parent, listed at pos.
func (b *builder) addChild(parent, child *groupDef, pos Pos) {
	pi, ci := b.groupIdx[parent.name], b.groupIdx[child.name]
	if b.edges[[2]int32{pi, ci}] {
		return
	}
	b.edges[[2]int32{pi, ci}] = true
	parent.children = append(parent.children, ci)
	parent.childPos = append(parent.childPos, pos)
	child.parents = append(child.parents, pi)
}

// hostSetting sets a setting on a host. Unless override is set (host_vars
// files), a different value defined earlier is a conflict naming both places.
func (b *builder) hostSetting(h *hostDef, s setting, override bool) error {
	if old, ok := h.layer.get(s.key); ok && !override && !old.sameValue(s) {
		t := b.settings
		return errorf(s.pos, "host %q is defined twice with different %s: %s here, %s at %s",
			h.name, t.name(s.key), t.display(s), t.display(old), old.pos).
			withHint("give the host one %s, or rename one of them", t.name(s.key))
	}
	h.layer.put(s)
	return nil
}

// ansibleVar records an Ansible variable on a layer (of the host or group
// kind+" "+owner, as messages name it) and the connection setting it
// carries, if any. For hosts, setHost applies the setting with conflict
// checking.
func (b *builder) ansibleVar(l *layer, name string, v any, pos Pos, kind, owner string, setHost func(setting) error) error {
	l.setVar(name, v, pos)
	settings, err := b.settings.ansibleSettings(name, v)
	if err != nil {
		return errorf(pos, "%s %s: %v", kind, owner, err)
	}
	for _, s := range settings {
		s.pos = pos
		if setHost == nil {
			l.put(s)
		} else if err := setHost(s); err != nil {
			return err
		}
	}
	return nil
}

// ansibleHostVar records an Ansible variable of host hi.
func (b *builder) ansibleHostVar(hi int32, name string, v any, pos Pos, override bool) error {
	h := b.hosts[hi]
	return b.ansibleVar(&h.layer, name, v, pos, "host", h.name, func(s setting) error {
		return b.hostSetting(h, s, override)
	})
}

// ansibleGroupVar records an Ansible variable of group g written in an
// inventory. ansible_group_priority is consumed, as Ansible does: it orders
// the group among those of its depth and is no variable.
func (b *builder) ansibleGroupVar(g *groupDef, name string, v any, pos Pos) error {
	if name == "ansible_group_priority" {
		n, err := remote.AnsibleInt(name, v)
		if err != nil {
			return errorf(pos, "group %s: %v", g.name, err)
		}
		g.priority = n
		return nil
	}
	return b.ansibleVar(&g.layer, name, v, pos, "group", g.name, nil)
}

// groupFileVar records a variable of group g read from a file of the
// group_vars directory dir. Such variables override every group variable
// written in the inventories, and ansible_group_priority is an ordinary
// variable there, as in Ansible.
func (b *builder) groupFileVar(g *groupDef, dir int, name string, v any, pos Pos) error {
	return b.ansibleVar(g.fileLayer(dir), name, v, pos, "group", g.name, nil)
}

// ---- finishing ----

// checkCycles fails if a group is (indirectly) its own child, showing the
// cycle as "a -> b -> a" at the place that closes it.
func (b *builder) checkCycles() error {
	const (
		unvisited = iota
		active
		done
	)
	state := make([]uint8, len(b.groups))
	var path []int32
	var visit func(gi int32) error
	visit = func(gi int32) error {
		state[gi] = active
		path = append(path, gi)
		g := b.groups[gi]
		for k, ci := range g.children {
			switch state[ci] {
			case active:
				start := 0
				for path[start] != ci {
					start++
				}
				names := make([]string, 0, len(path)-start+1)
				for _, x := range path[start:] {
					names = append(names, b.groups[x].name)
				}
				names = append(names, b.groups[ci].name)
				return errorf(g.childPos[k], "groups form a cycle: %s", strings.Join(names, " -> ")).
					withHint("a group cannot contain itself; remove one of these children entries")
			case unvisited:
				if err := visit(ci); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		state[gi] = done
		return nil
	}
	for gi := range b.groups {
		if state[gi] == unvisited {
			if err := visit(int32(gi)); err != nil {
				return err
			}
		}
	}
	return nil
}

// linkChildRefs links the children: entries of our format, which may name
// groups defined later or in another source.
func (b *builder) linkChildRefs() error {
	for _, ref := range b.childRefs {
		child, ok := b.lookupGroup(ref.child)
		if !ok {
			names := make([]string, 0, len(b.groups))
			for _, g := range b.groups {
				names = append(names, g.name)
			}
			e := errorf(ref.pos, "group %q lists child group %q, which is not defined", ref.parent, ref.child)
			if s := yamlnode.Suggest(ref.child, names, 3); len(s) > 0 {
				return e.withHint("did you mean %s?", quoteList(s))
			}
			return e.withHint("define it under groups:")
		}
		parent, _ := b.lookupGroup(ref.parent)
		if err := b.link(parent, child, ref.pos); err != nil {
			return err
		}
	}
	return nil
}

// link makes child a child of parent, refusing "all" as a child.
func (b *builder) link(parent, child *groupDef, pos Pos) error {
	if child.name == GroupAll {
		return errorf(pos, "group %q cannot have %q as a child: every group is already inside it", parent.name, GroupAll)
	}
	b.addChild(parent, child, pos)
	return nil
}

// reconcile applies Ansible's rules: every group without a parent is a child
// of "all", and hosts that belong to no other group are in "ungrouped".
func (b *builder) reconcile() {
	all, ungrouped := b.groups[0], b.groups[1]
	for _, g := range b.groups[1:] {
		if len(g.parents) == 0 {
			b.addChild(all, g, Pos{})
		}
	}
	ungrouped.hosts = ungrouped.hosts[:0]
	for hi, h := range b.hosts {
		other := false
		kept := h.groups[:0]
		for _, gi := range h.groups {
			if gi != 1 {
				kept = append(kept, gi)
				other = other || gi != 0
			}
		}
		h.groups = kept
		if !other {
			h.groups = append(h.groups, 1)
			ungrouped.hosts = append(ungrouped.hosts, int32(hi))
		}
	}
}

// precedence returns each group's rank in variable precedence: groups are
// applied by depth (distance from "all", parents before children), then
// ansible_group_priority, then name, as Ansible does.
func (b *builder) precedence() []int32 {
	depth := make([]int, len(b.groups))
	known := make([]bool, len(b.groups))
	var depthOf func(gi int32) int
	depthOf = func(gi int32) int {
		if known[gi] {
			return depth[gi]
		}
		d := 0
		for _, p := range b.groups[gi].parents {
			d = max(d, depthOf(p)+1)
		}
		depth[gi], known[gi] = d, true
		return d
	}
	order := make([]int32, len(b.groups))
	for i := range order {
		order[i] = int32(i)
		depthOf(int32(i))
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, c := b.groups[order[i]], b.groups[order[j]]
		if depth[order[i]] != depth[order[j]] {
			return depth[order[i]] < depth[order[j]]
		}
		if a.priority != c.priority {
			return a.priority < c.priority
		}
		return a.name < c.name
	})
	rank := make([]int32, len(b.groups))
	for r, gi := range order {
		rank[gi] = int32(r)
	}
	return rank
}

// membership is what hosts with the same direct groups share: their sorted
// group names, and what the defaults and those groups give them.
type membership struct {
	names []string
	// layers are the defaults and the groups, lowest precedence first.
	layers []*layer
	// vars are the variables of layers, merged: the Vars of every member
	// that has no variables of its own.
	vars map[string]any
	// settings are the winning settings of layers, by key of table.
	settings []*setting
	table    *settingTable
}

// newMembership returns the membership of hosts in groups ordered (in
// precedence order, named names), which get the defaults and those groups'
// layers.
func newMembership(table *settingTable, defaults *layer, groups []*groupDef, ordered []int32, names []string) *membership {
	m := &membership{names: names, layers: make([]*layer, 0, len(ordered)+1),
		settings: make([]*setting, len(table.defs)), table: table}
	m.layers = append(m.layers, defaults)
	for _, gi := range ordered {
		m.layers = append(m.layers, &groups[gi].layer)
	}
	m.layers = appendFileLayers(m.layers, groups, ordered)
	n := 0
	for _, l := range m.layers {
		n += len(l.vars.defs)
	}
	m.vars = make(map[string]any, n)
	for _, l := range m.layers {
		for _, d := range l.vars.defs {
			m.vars[d.name] = d.val
		}
		for i := range l.settings {
			m.settings[l.settings[i].key] = &l.settings[i]
		}
	}
	return m
}

// appendFileLayers appends the group_vars layers of groups ordered (in
// precedence order) in Ansible's order: those of "all" first (directory by
// directory), then, directory by directory, those of the other groups in
// precedence order.
func appendFileLayers(layers []*layer, groups []*groupDef, ordered []int32) []*layer {
	type keyed struct {
		all      bool
		dir, pos int
		l        *layer
	}
	var fl []keyed
	for pos, gi := range ordered {
		g := groups[gi]
		for i := range g.files {
			fl = append(fl, keyed{all: gi == 0, dir: g.files[i].dir, pos: pos, l: &g.files[i].layer})
		}
	}
	sort.Slice(fl, func(i, j int) bool {
		a, c := fl[i], fl[j]
		if a.all != c.all {
			return a.all
		}
		if a.dir != c.dir {
			return a.dir < c.dir
		}
		return a.pos < c.pos
	})
	for _, k := range fl {
		layers = append(layers, k.l)
	}
	return layers
}

// resolver computes memberships, caching them by direct-group set.
type resolver struct {
	b         *builder
	rank      []int32
	ancestors [][]int32 // memoised: a group and all its ancestors
	cache     map[string]*membership
	stamp     []int // per group: last resolution that saw it
	gen       int
	key       []byte // scratch for cache keys
	// target is scratch for resolving settings: one for every host, as the
	// settings' setters make it escape.
	target remote.Target
}

// ancestorsOf returns gi and every group above it.
func (r *resolver) ancestorsOf(gi int32) []int32 {
	if a := r.ancestors[gi]; a != nil {
		return a
	}
	a := []int32{gi}
	seen := map[int32]bool{gi: true}
	for _, p := range r.b.groups[gi].parents {
		for _, x := range r.ancestorsOf(p) {
			if !seen[x] {
				seen[x] = true
				a = append(a, x)
			}
		}
	}
	r.ancestors[gi] = a
	return a
}

// membershipOf returns the membership of a host with the given direct
// groups, which it sorts in place.
func (r *resolver) membershipOf(direct []int32) *membership {
	slices.Sort(direct)
	r.key = r.key[:0]
	for _, gi := range direct {
		r.key = binary.LittleEndian.AppendUint32(r.key, uint32(gi))
	}
	if m, ok := r.cache[string(r.key)]; ok {
		return m
	}
	r.gen++
	var ordered []int32
	for _, gi := range direct {
		for _, x := range r.ancestorsOf(gi) {
			if r.stamp[x] != r.gen {
				r.stamp[x] = r.gen
				ordered = append(ordered, x)
			}
		}
	}
	sort.Slice(ordered, func(i, j int) bool { return r.rank[ordered[i]] < r.rank[ordered[j]] })
	names := make([]string, len(ordered))
	for i, gi := range ordered {
		names[i] = r.b.groups[gi].name
	}
	sort.Strings(names)
	m := newMembership(r.b.settings, r.b.defaults, r.b.groups, ordered, names[:len(names):len(names)])
	r.cache[string(r.key)] = m
	return m
}

// finish validates the groups and resolves every host of the inventories
// given (named for messages; none: only the implicit localhost). It
// consumes the builder: the hostDefs are gone once the hosts are resolved.
func (b *builder) finish(given []string) (*Inventory, error) {
	if err := b.linkChildRefs(); err != nil {
		return nil, err
	}
	b.reconcile()
	if err := b.checkCycles(); err != nil {
		return nil, err
	}
	r := &resolver{
		b:         b,
		rank:      b.precedence(),
		ancestors: make([][]int32, len(b.groups)),
		cache:     make(map[string]*membership),
		stamp:     make([]int, len(b.groups)),
	}
	inv := &Inventory{
		hosts:    make([]*Host, len(b.hosts)),
		hostIdx:  b.hostIdx,
		groups:   make([]*Group, len(b.groups)),
		groupIdx: b.groupIdx,
		members:  make([][]int32, len(b.groups)),
		children: make([][]int32, len(b.groups)),
		sources:  b.sources,
		given:    given,
		maxHosts: b.maxHosts,
	}
	// One allocation for every host rather than one each: an inventory is
	// kept (and dropped) whole. Each hostDef is dropped once resolved, so
	// that the collector can reclaim them while the next hosts resolve.
	slab := make([]Host, len(b.hosts))
	for hi, h := range b.hosts {
		host := &slab[hi]
		resolveHost(host, h.name, r.membershipOf(h.groups), &h.layer, &r.target)
		host.Pos = h.pos
		inv.hosts[hi] = host
		b.hosts[hi] = nil
	}
	for gi, g := range b.groups {
		inv.groups[gi] = exportGroup(inv, b.groups, g)
		inv.members[gi] = g.hosts
		inv.children[gi] = g.children
	}
	_, defined := b.hostIdx[implicitLocalhost]
	switch {
	case len(given) == 0:
		// No inventory at all: the controller is the one host there is. An
		// inventory, even one without hosts, never falls back to it.
		local := &Host{}
		m := newMembership(b.settings, b.defaults, b.groups, []int32{0}, nil)
		resolveHost(local, implicitLocalhost, m, &layer{label: hostLabel}, &r.target)
		local.Address, local.Port, local.User, local.Conn = "", 0, "", Conn{}
		local.Transport = remote.KindLocal
		local.Implicit = true
		inv.implicit, inv.implicitInAll = local, true
	case b.implicitLocal && !defined:
		inv.implicit = b.namedLocalhost(&r.target)
	}
	return inv, nil
}

// namedLocalhost returns Ansible's implicit localhost of an inventory that
// does not define it: the controller (transport local), with the variables
// of group "all" (inventory and group_vars/all) and ansible_connection=local,
// as ansible-inventory --host localhost shows them, in no group.
func (b *builder) namedLocalhost(scratch *remote.Target) *Host {
	local := &Host{}
	m := newMembership(b.settings, b.defaults, b.groups, []int32{0}, nil)
	own := &layer{label: hostLabel}
	own.setVar("ansible_connection", "local", Pos{})
	resolveHost(local, implicitLocalhost, m, own, scratch)
	local.Address, local.Port, local.User = "", 0, ""
	local.Conn.SSH, local.Conn.WinRM = remote.SSHSettings{}, remote.WinRMSettings{}
	local.Transport = remote.KindLocal
	local.Implicit = true
	return local
}

// resolveHost fills in host: its own layer merged over what its membership
// gives it. A host without variables of its own shares the membership's
// Vars map. scratch is overwritten.
func resolveHost(host *Host, name string, m *membership, own *layer, scratch *remote.Target) {
	*host = Host{
		Name:       name,
		Vars:       m.vars,
		Groups:     m.names,
		varSources: varSources{shared: m, own: own.vars.defs},
	}
	if len(own.vars.defs) > 0 {
		host.Vars = make(map[string]any, len(m.vars)+len(own.vars.defs))
		maps.Copy(host.Vars, m.vars)
		for _, d := range own.vars.defs {
			host.Vars[d.name] = d.val
		}
	}
	m.table.resolve(host, m.settings, own.settings, scratch)
}

// exportGroup turns a groupDef into a Group, naming its hosts after the
// resolved hosts of inv and its relatives after groups.
func exportGroup(inv *Inventory, groups []*groupDef, g *groupDef) *Group {
	out := &Group{
		Name: g.name,
		Pos:  g.pos,
		Vars: make(map[string]any, len(g.layer.vars.defs)),
	}
	if len(g.hosts) > 0 {
		out.Hosts = make([]string, 0, len(g.hosts))
	}
	for _, hi := range g.hosts {
		out.Hosts = append(out.Hosts, inv.hosts[hi].Name)
	}
	for _, ci := range g.children {
		out.Children = append(out.Children, groups[ci].name)
	}
	for _, pi := range g.parents {
		out.Parents = append(out.Parents, groups[pi].name)
	}
	for _, d := range g.layer.vars.defs {
		out.Vars[d.name] = d.val
	}
	for i := range g.files { // in directory order: they are read so
		for _, d := range g.files[i].layer.vars.defs {
			out.Vars[d.name] = d.val
		}
	}
	return out
}

// expandRange expands a host range with nodeset, reporting errors at pos.
func (b *builder) expandRange(expr string, pos Pos) ([]string, error) {
	if !strings.ContainsAny(expr, "[],") {
		return []string{expr}, nil
	}
	names, err := nodeset.Expand(expr, b.maxHosts)
	if err != nil {
		return nil, errorf(pos, "bad host range %q: %v", expr, err)
	}
	return names, nil
}
