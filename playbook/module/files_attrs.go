package module

import (
	"fmt"
	"strconv"
	"strings"
)

// fileAttrs are Ansible's common file arguments this package implements:
// mode, owner, group.
type fileAttrs struct {
	Mode, Owner, Group string
}

// commonParams are the parameters add_file_common_args gives a module
// (selinux and attributes are not implemented: they are refused).
func commonParams() []Param {
	return []Param{
		{Name: "mode", Type: Mode},
		{Name: "owner", Type: Str},
		{Name: "group", Type: Str},
		{Name: "unsafe_writes", Type: Bool, Default: false},
	}
}

func attrsOf(a Args) fileAttrs {
	return fileAttrs{Mode: a.Str("mode"), Owner: a.Str("owner"), Group: a.Str("group")}
}

// ask adds to a probe what applying the attributes needs: the uid and gid
// of named owners and groups.
func (fa fileAttrs) ask(p *probe) {
	if fa.Owner != "" && !isNumber(fa.Owner) {
		p.Owner(fa.Owner)
	}
	if fa.Group != "" && !isNumber(fa.Group) {
		p.Group(fa.Group)
	}
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// uid resolves the owner through the probe's answers.
func (fa fileAttrs) uid(r *probed) (int, error) {
	if n, err := strconv.Atoi(fa.Owner); err == nil {
		return n, nil
	}
	if n, ok := r.uids[fa.Owner]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("chown failed: failed to look up user %s", fa.Owner)
}

func (fa fileAttrs) gid(r *probed) (int, error) {
	if n, err := strconv.Atoi(fa.Group); err == nil {
		return n, nil
	}
	if n, ok := r.gids[fa.Group]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("chgrp failed: failed to look up group %s", fa.Group)
}

// apply returns the shell commands that bring path, whose state is pi
// (perm, uid, gid, kind), to the attributes, and whether anything
// changes. pi may describe the state a path will have (a new file). For a
// link, owner and group change the link itself and the mode is left
// alone (Linux has no lchmod).
func (fa fileAttrs) apply(path string, pi *pathInfo, r *probed) (cmds []string, changed bool, err error) {
	if fa.Owner != "" {
		uid, err := fa.uid(r)
		if err != nil {
			return nil, false, err
		}
		if uid != pi.UID {
			cmds = append(cmds, fmt.Sprintf("chown -h %d -- %s", uid, Quote(path)))
			changed = true
		}
	}
	if fa.Group != "" {
		gid, err := fa.gid(r)
		if err != nil {
			return nil, false, err
		}
		if gid != pi.GID {
			cmds = append(cmds, fmt.Sprintf("chgrp -h %d -- %s", gid, Quote(path)))
			changed = true
		}
	}
	if fa.Mode != "" && pi.Kind != "link" {
		perm, err := parseMode(fa.Mode, pi.Perm, pi.Kind == "directory", r.umask)
		if err != nil {
			return nil, false, err
		}
		if perm != pi.Perm {
			cmds = append(cmds, fmt.Sprintf("chmod %04o -- %s", perm, Quote(path)))
			changed = true
		}
	}
	return cmds, changed, nil
}

// parseMode computes the permission a mode argument asks for: octal, or
// symbolic (u=rw,g+r,o-x, a+X) applied to the current permission, as
// Ansible's _symbolic_mode_to_octal does.
func parseMode(mode string, cur uint32, isDir bool, umask uint32) (uint32, error) {
	if mode != "" && strings.Trim(mode, "01234567") == "" {
		n, err := strconv.ParseUint(mode, 8, 32)
		if err != nil || n > 0o7777 {
			return 0, fmt.Errorf("mode must be in octal or symbolic form")
		}
		return uint32(n), nil
	}
	prev := cur
	perm := cur
	for _, clause := range strings.Split(mode, ",") {
		i := strings.IndexAny(clause, "+-=")
		if i < 0 {
			return 0, fmt.Errorf("mode must be in octal or symbolic form")
		}
		users := clause[:i]
		if strings.Trim(users, "ugoa") != "" {
			return 0, fmt.Errorf("bad symbolic permission for mode: %s", clause)
		}
		useUmask := users == ""
		if users == "" || users == "a" || strings.Contains(users, "a") {
			users = "ugo"
		}
		rest := clause[i:]
		for rest != "" {
			op := rest[0]
			j := strings.IndexAny(rest[1:], "+-=")
			var perms string
			if j < 0 {
				perms, rest = rest[1:], ""
			} else {
				perms, rest = rest[1:1+j], rest[1+j:]
			}
			if strings.Trim(perms, "rwxXstugo") != "" {
				return 0, fmt.Errorf("bad symbolic permission for mode: %s", clause)
			}
			for _, u := range users {
				bits := symbolicBits(byte(u), perms, prev, isDir, useUmask, umask)
				perm = applyOp(byte(u), op, bits, perm)
			}
		}
	}
	return perm, nil
}

func symbolicBits(user byte, perms string, prev uint32, isDir, useUmask bool, umask uint32) uint32 {
	shift := map[byte]uint{'u': 6, 'g': 3, 'o': 0}[user]
	rev := ^umask & 0o7777
	var bits uint32
	for _, p := range perms {
		switch p {
		case 'r', 'w', 'x':
			b := map[rune]uint32{'r': 4, 'w': 2, 'x': 1}[p] << shift
			if useUmask {
				b &= rev
			}
			bits |= b
		case 'X':
			if isDir || prev&0o111 != 0 {
				bits |= 1 << shift
			}
		case 's':
			bits |= map[byte]uint32{'u': 0o4000, 'g': 0o2000}[user]
		case 't':
			if user == 'o' {
				bits |= 0o1000
			}
		case 'u', 'g', 'o':
			from := map[rune]uint{'u': 6, 'g': 3, 'o': 0}[p]
			bits |= (prev >> from & 7) << shift
		}
	}
	return bits
}

func applyOp(user byte, op byte, bits, cur uint32) uint32 {
	switch op {
	case '=':
		mask := map[byte]uint32{'u': 0o4700, 'g': 0o2070, 'o': 0o1007}[user]
		return cur&^mask | bits
	case '+':
		return cur | bits
	}
	return cur &^ bits
}

// pathResult is Ansible's add_path_info: the keys a file result carries
// about an existing path.
func pathResult(res Result, pi *pathInfo) Result {
	if !pi.Exists {
		return res
	}
	res["uid"], res["gid"] = pi.UID, pi.GID
	res["owner"], res["group"] = pi.Owner, pi.Group
	if pi.Owner == "" {
		res["owner"] = strconv.Itoa(pi.UID)
	}
	if pi.Group == "" {
		res["group"] = strconv.Itoa(pi.GID)
	}
	res["mode"] = modeString(pi.Perm)
	res["state"] = pi.ansibleState()
	res["size"] = pi.Size
	return res
}
