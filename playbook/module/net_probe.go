package module

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// pathState is what the host says about a path (Ansible's type 'path'
// arguments are expanded on the host: $VARS and ~).
type pathState struct {
	path      string // expanded
	kind      string // "file", "directory" or "absent"
	parentDir bool   // its directory exists
	mtime     int64
	sha1      string
	digest    string // with the algorithm asked for
	info      fileInfo
}

// fileInfo is what Ansible's add_path_info returns about a file.
type fileInfo struct {
	mode         string // "0644"
	uid, gid     int
	owner, group string
	size         int64
}

// digestAlgorithms are the checksums Ansible's digest_from_file knows that
// coreutils computes.
var digestAlgorithms = []string{"md5", "sha1", "sha224", "sha256", "sha384", "sha512"}

// statFormat prints a fileInfo and the mtime.
const statFormat = "%Y %a %u %g %U %G %s"

// probePaths expands and examines paths on the host in one round trip;
// algo ("" for none) is a digest of regular files to compute besides sha1.
func probePaths(ctx context.Context, h Host, algo string, paths ...string) ([]pathState, error) {
	if algo != "" && !slices.Contains(digestAlgorithms, algo) {
		return nil, fmt.Errorf("unsupported checksum algorithm %q", algo)
	}
	var b strings.Builder
	b.WriteString(shPrelude)
	for _, p := range paths {
		b.WriteString(shExpand("_rctl_p", p))
		fmt.Fprintf(&b, `printf '%%s\0' "$_rctl_p"
if [ -d "$_rctl_p" ]; then _rctl_k=directory; elif [ -e "$_rctl_p" ]; then _rctl_k=file; else _rctl_k=absent; fi
_rctl_up=$(dirname -- "$_rctl_p"); if [ -d "$_rctl_up" ]; then _rctl_up=1; else _rctl_up=0; fi
printf '%%s\0%%s\0' "$_rctl_k" "$_rctl_up"
if [ $_rctl_k = file ]; then
	printf '%%s\0' "$(stat -c '%s' -- "$_rctl_p")" "$(sha1sum < "$_rctl_p" 2>/dev/null | cut -d' ' -f1)"
	printf '%%s\0' "%s"
else printf '\0\0\0'; fi
`, statFormat, digestCmd(algo))
	}
	out, err := h.Run(ctx, Command{Script: b.String()})
	if err != nil {
		return nil, err
	}
	fields := strings.Split(out.Stdout, "\x00")
	if out.RC != 0 || len(fields) < 6*len(paths) {
		return nil, fmt.Errorf("cannot examine %s on the host: %s", strings.Join(paths, ", "), strings.TrimSpace(out.Stderr))
	}
	states := make([]pathState, len(paths))
	for i := range paths {
		f := fields[6*i : 6*i+6]
		st := pathState{path: f[0], kind: f[1], parentDir: f[2] == "1", sha1: f[4], digest: f[5]}
		st.mtime, st.info = parseStat(f[3])
		states[i] = st
	}
	return states, nil
}

// digestCmd is the sh command substitution of the digest of $_rctl_p.
func digestCmd(algo string) string {
	if algo == "" {
		return ""
	}
	return fmt.Sprintf(`$(%ssum < "$_rctl_p" 2>/dev/null | cut -d' ' -f1)`, algo)
}

// parseStat reads a line of statFormat.
func parseStat(s string) (int64, fileInfo) {
	f := strings.Fields(s)
	if len(f) != 7 {
		return 0, fileInfo{}
	}
	mtime, _ := strconv.ParseInt(f[0], 10, 64)
	uid, _ := strconv.Atoi(f[2])
	gid, _ := strconv.Atoi(f[3])
	size, _ := strconv.ParseInt(f[6], 10, 64)
	mode := f[1]
	for len(mode) < 4 {
		mode = "0" + mode
	}
	return mtime, fileInfo{mode: mode, uid: uid, gid: gid, owner: f[4], group: f[5], size: size}
}

// add puts the keys of Ansible's add_path_info for a file in r.
func (fi fileInfo) add(r Result) {
	r["state"], r["mode"], r["uid"], r["gid"] = "file", fi.mode, fi.uid, fi.gid
	r["owner"], r["group"], r["size"] = fi.owner, fi.group, fi.size
}

// attrScript is sh that applies mode, owner and group to the file $1 (in
// check mode: to a scratch copy of its attributes, for the mode) and
// prints "changed" when one of them differed.
func attrScript(mode, owner, group string, check bool) string {
	if mode == "" && owner == "" && group == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(`_rctl_before=$(stat -c '%a %U %G %u %g' -- "$1")
set -- "$1" $_rctl_before
`)
	if mode != "" {
		if check {
			fmt.Fprintf(&b, `_rctl_t=$(mktemp) && chmod "$2" "$_rctl_t" && chmod %s "$_rctl_t" && [ "$(stat -c %%a "$_rctl_t")" != "$2" ] && echo changed; rm -f "$_rctl_t"
`, Quote(mode))
		} else {
			fmt.Fprintf(&b, "chmod %s -- \"$1\" || exit 1\n", Quote(mode))
		}
	}
	if owner != "" {
		fmt.Fprintf(&b, "if [ %s != \"$3\" ] && [ %s != \"$5\" ]; then echo changed; %s; fi\n",
			Quote(owner), Quote(owner), unlessCheck(check, "chown "+Quote(owner)+" -- \"$1\" || exit 1"))
	}
	if group != "" {
		fmt.Fprintf(&b, "if [ %s != \"$4\" ] && [ %s != \"$6\" ]; then echo changed; %s; fi\n",
			Quote(group), Quote(group), unlessCheck(check, "chgrp "+Quote(group)+" -- \"$1\" || exit 1"))
	}
	if mode != "" && !check {
		b.WriteString(`[ "$(stat -c %a -- "$1")" != "$2" ] && echo changed
`)
	}
	return b.String()
}

func unlessCheck(check bool, cmd string) string {
	if check {
		return ":"
	}
	return cmd
}

// addPathInfo adds Ansible's add_path_info keys to r for its "path" (or
// "dest") key, a path on the host expanded as Ansible's type 'path':
// owner, group, uid, gid, mode, state, size when it exists. The expanded
// path replaces the key's value.
func addPathInfo(ctx context.Context, h Host, r Result) error {
	key := "path"
	p, ok := r[key].(string)
	if !ok {
		key = "dest"
		if p, ok = r[key].(string); !ok {
			return nil
		}
	}
	script := shPrelude + shExpand("_rctl_p", p) + `printf '%s\0' "$_rctl_p"
if [ -e "$_rctl_p" ]; then
	stat -c '%u %g %U %G %a %s %F' -- "$_rctl_p"
	if [ -d "$_rctl_p" ]; then echo directory; elif [ "$(stat -L -c %h -- "$_rctl_p")" -gt 1 ]; then echo hard; else echo file; fi
fi
`
	out, err := h.Run(ctx, Command{Script: script})
	if err != nil {
		return err
	}
	expanded, rest, ok := strings.Cut(out.Stdout, "\x00")
	if !ok {
		return nil
	}
	r[key] = expanded
	lines := strings.Split(strings.TrimSpace(rest), "\n")
	f := strings.Fields(lines[0])
	if len(lines) != 2 || len(f) < 7 {
		return nil
	}
	uid, _ := strconv.Atoi(f[0])
	gid, _ := strconv.Atoi(f[1])
	size, _ := strconv.ParseInt(f[5], 10, 64)
	mode := f[4]
	for len(mode) < 4 {
		mode = "0" + mode
	}
	state := lines[1]
	if strings.Join(f[6:], " ") == "symbolic link" {
		state = "link"
	}
	r["uid"], r["gid"], r["owner"], r["group"], r["mode"], r["size"], r["state"] = uid, gid, f[2], f[3], mode, size, state
	return nil
}
