package inventory

import (
	"bytes"
	"regexp"
	"strings"
)

// Ansible's INI grammar: section headers "[name]", "[name:vars]",
// "[name:children]", and group names in children sections; both may be
// followed by a comment.
var (
	iniSectionRE   = regexp.MustCompile(`^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$`)
	iniGroupNameRE = regexp.MustCompile(`^([^:\]\s]+)\s*(?:#.*)?$`)
)

// iniPending is a group an INI file refers to before (or without) declaring
// it: "[g:vars]" for an undeclared g, or g listed under "[p:children]".
type iniPending struct {
	line    int
	state   string // "vars" or "children"
	parents []string
}

// iniLoader loads one Ansible INI inventory.
type iniLoader struct {
	b       *builder
	file    string
	line    int
	pending map[string]*iniPending
	order   []string // pending names in the order first seen
}

// loadINI loads an Ansible INI inventory, following Ansible's ini plugin:
// lines before the first section are ungrouped hosts; "#" and ";" start
// comment lines; host lines are "pattern key=value ..." with values read as
// Python literals when they are; "[g:vars]" lines are "key = value".
func loadINI(b *builder, file string, data []byte) error {
	l := &iniLoader{b: b, file: file, pending: make(map[string]*iniPending)}
	// Skip a UTF-8 byte order mark; hosts before any section are ungrouped.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	group := b.groups[1]
	state := "hosts"
	// Line by line, not string(data): names keep the text of their line
	// alive, not a copy of the whole file.
	for raw := range bytes.Lines(data) {
		l.line++
		line := string(bytes.TrimSpace(raw))
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if m := iniSectionRE.FindStringSubmatch(line); m != nil {
			g, kind, err := l.section(m[1], m[2])
			if err != nil {
				return err
			}
			group, state = g, kind
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			return l.errorf("invalid section header %s", line).
				withHint("section names cannot contain spaces or ':' other than in [name:vars] and [name:children]")
		}
		var err error
		switch state {
		case "hosts":
			err = l.hostLine(group, line)
		case "vars":
			err = l.varLine(group, line)
		case "children":
			err = l.childLine(group, line)
		}
		if err != nil {
			return err
		}
	}
	return l.checkPending()
}

// pos returns the current line's position.
func (l *iniLoader) pos() Pos { return Pos{File: l.file, Line: l.line} }

// errorf returns an *Error at the current line.
func (l *iniLoader) errorf(format string, args ...any) *Error {
	return errorf(l.pos(), format, args...)
}

// section handles a section header and returns the group and state it starts.
func (l *iniLoader) section(name, kind string) (*groupDef, string, error) {
	if kind == "" {
		kind = "hosts"
	}
	if kind != "hosts" && kind != "vars" && kind != "children" {
		return nil, "", l.errorf("section [%s:%s] has unknown type %q", name, kind, kind).
			withHint("use [%s], [%s:vars] or [%s:children]", name, name, name)
	}
	if _, exists := l.b.lookupGroup(name); !exists && kind == "vars" && l.pending[name] == nil {
		l.addPending(name, &iniPending{line: l.line, state: "vars"})
	}
	g := l.b.group(name, l.pos())
	if p := l.pending[name]; p != nil && kind != "vars" {
		if p.state == "children" {
			if err := l.resolvePendingChildren(name); err != nil {
				return nil, "", err
			}
		} else {
			l.removePending(name)
		}
	}
	return g, kind, nil
}

// addPending records a forward reference.
func (l *iniLoader) addPending(name string, p *iniPending) {
	l.pending[name] = p
	l.order = append(l.order, name)
}

// removePending forgets a forward reference once the group is declared.
func (l *iniLoader) removePending(name string) { delete(l.pending, name) }

// resolvePendingChildren links a group declared after being listed as a
// child, and (as Ansible does) parents that were themselves pending children.
func (l *iniLoader) resolvePendingChildren(name string) error {
	p := l.pending[name]
	l.removePending(name)
	child, _ := l.b.lookupGroup(name)
	for _, parentName := range p.parents {
		parent, _ := l.b.lookupGroup(parentName)
		if err := l.b.link(parent, child, Pos{File: l.file, Line: p.line}); err != nil {
			return err
		}
		if pp := l.pending[parentName]; pp != nil && pp.state == "children" {
			if err := l.resolvePendingChildren(parentName); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkPending reports the first reference to a group never declared.
func (l *iniLoader) checkPending() error {
	for _, name := range l.order {
		p := l.pending[name]
		if p == nil {
			continue
		}
		pos := Pos{File: l.file, Line: p.line}
		if p.state == "vars" {
			return errorf(pos, "section [%s:vars] is for group %q, which is never declared", name, name).
				withHint("declare it with [%s] or [%s:children], or fix the name", name, name)
		}
		return errorf(pos, "section [%s:children] lists group %q, which is never declared", p.parents[len(p.parents)-1], name).
			withHint("declare it with [%s] or fix the name", name)
	}
	return nil
}

// hostLine handles "pattern key=value ..." in a hosts section.
func (l *iniLoader) hostLine(g *groupDef, line string) error {
	tokens, err := shlexSplit(line)
	if err != nil {
		return l.errorf("cannot parse host line: %v", err)
	}
	if len(tokens) == 0 || tokens[0] == "" {
		return l.errorf("host line has no host name")
	}
	if strings.TrimSpace(tokens[0]) == "---" {
		return l.errorf("invalid host %q", tokens[0]).withHint("'---' starts a YAML document: is this file YAML? give it a .yaml extension")
	}
	names, port, err := expandAnsibleHost(tokens[0], l.b.maxHosts)
	if err != nil {
		return l.errorf("%v", err)
	}
	vars := make([]kv, 0, len(tokens)-1)
	for _, t := range tokens[1:] {
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return l.errorf("expected key=value host variable, got %q", t).
				withHint("quote values containing spaces: key=\"a value\"")
		}
		vars = append(vars, kv{k, parseINIValue(v)})
	}
	for _, name := range names {
		hi, err := l.b.host(name, l.pos(), true)
		if err != nil {
			return err
		}
		l.b.addMember(g, hi)
		if port != 0 && !hasKey(vars, "ansible_port") { // an inline ansible_port wins, as in Ansible
			if err := l.b.ansibleHostVar(hi, "ansible_port", port, l.pos(), false); err != nil {
				return err
			}
		}
		for _, x := range vars {
			if err := l.b.ansibleHostVar(hi, x.k, x.v, l.pos(), false); err != nil {
				return err
			}
		}
	}
	return nil
}

// kv is a variable written on a host line.
type kv struct {
	k string
	v any
}

// hasKey reports whether vars set key.
func hasKey(vars []kv, key string) bool {
	for _, x := range vars {
		if x.k == key {
			return true
		}
	}
	return false
}

// varLine handles "key = value" in a [group:vars] section.
func (l *iniLoader) varLine(g *groupDef, line string) error {
	k, v, ok := strings.Cut(line, "=")
	if !ok {
		return l.errorf("expected key=value, got %q", line)
	}
	k = strings.TrimSpace(k)
	if k == "" {
		return l.errorf("variable name is missing before '='")
	}
	return l.b.ansibleGroupVar(g, k, parseINIValue(strings.TrimSpace(v)), l.pos())
}

// childLine handles a group name in a [group:children] section.
func (l *iniLoader) childLine(parent *groupDef, line string) error {
	m := iniGroupNameRE.FindStringSubmatch(line)
	if m == nil {
		return l.errorf("expected a group name, got %q", line)
	}
	name := m[1]
	if child, ok := l.b.lookupGroup(name); ok {
		return l.b.link(parent, child, l.pos())
	}
	if p := l.pending[name]; p != nil {
		p.parents = append(p.parents, parent.name)
		return nil
	}
	l.addPending(name, &iniPending{line: l.line, state: "children", parents: []string{parent.name}})
	return nil
}
