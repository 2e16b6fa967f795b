package module

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

func copyModule() *Module {
	return &Module{Name: "copy", Collection: "ansible.builtin", Check: CheckFull, Diff: true,
		Params: append([]Param{
			{Name: "src", Type: Path},
			{Name: "content", Type: Raw, NoLog: true},
			{Name: "dest", Type: Path, Required: true},
			{Name: "backup", Type: Bool, Default: false},
			{Name: "force", Type: Bool, Default: true},
			{Name: "validate", Type: Str},
			{Name: "directory_mode", Type: Mode},
			{Name: "remote_src", Type: Bool, Default: false},
			{Name: "follow", Type: Bool, Default: false},
			// local_follow: links in a source tree are followed (true, the
			// default); false (copy them as links) is refused
			{Name: "local_follow", Type: Bool, Default: true},
			{Name: "checksum", Type: Str},
		}, commonParams()...),
		Run: withHomes(runCopy, "dest")}
}

func templateModule() *Module {
	return &Module{Name: "template", Collection: "ansible.builtin", Check: CheckFull, Diff: true,
		Params: append([]Param{
			{Name: "src", Type: Path, Required: true},
			{Name: "dest", Type: Path, Required: true},
			{Name: "backup", Type: Bool, Default: false},
			{Name: "force", Type: Bool, Default: true},
			{Name: "validate", Type: Str},
			{Name: "newline_sequence", Type: Str, Default: "\n", Choices: []string{"\n", "\r", "\r\n", `\n`, `\r`, `\r\n`}},
			{Name: "follow", Type: Bool, Default: false},
			// the rendering options remotectl's Jinja2 has: Ansible's
			// defaults only (other values are refused)
			{Name: "trim_blocks", Type: Bool, Default: true},
			{Name: "lstrip_blocks", Type: Bool, Default: false},
			{Name: "output_encoding", Type: Str, Default: "utf-8"},
		}, commonParams()...),
		Run: withHomes(runTemplate, "dest")}
}

// copySource is one file to put on the host.
type copySource struct {
	Data   []byte
	Rel    string // its name under a dest ending in /, or under a directory dest
	Perm   uint32 // its permission on the controller (mode: preserve)
	Header string // the diff's after_header
	Src    string // the result's src
}

func runCopy(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	src, dest := a.Str("src"), a.Str("dest")
	content, hasContent := a["content"]
	hasContent = hasContent && content != nil
	switch {
	case src == "" && !hasContent:
		return Failed("src (or content) is required"), nil
	case src != "" && hasContent:
		return Failed("src and content are mutually exclusive"), nil
	case hasContent && strings.HasSuffix(dest, "/"):
		return Failed("can not use content with a dir as dest"), nil
	case !a.Bool("local_follow"):
		return Failed("local_follow: false (copying links as links) is not supported by remotectl"), nil
	}
	if a.Bool("remote_src") {
		return remoteCopy(ctx, c)
	}
	if hasContent {
		var data []byte
		switch v := content.(type) {
		case string:
			data = []byte(v)
		case map[string]any, []any:
			data = []byte(pyJSONDumps(v)) // json.dumps, as Ansible's copy action
		case bool:
			data = []byte(map[bool]string{true: "True", false: "False"}[v]) // Python's str()
		default:
			data = []byte(fmt.Sprint(v))
		}
		return copyFile(ctx, c, copySource{Data: data, Rel: "source", Perm: 0o600, Header: dest, Src: dest}, dest, true)
	}
	if c.Controller == nil {
		return Failed("copy: src needs the controller's files"), nil
	}
	full, err := c.Controller.FindFile("files", controllerHome(src))
	if err != nil {
		return Failed("Could not find or access '%s' on the Ansible Controller.", src), nil
	}
	info, err := os.Stat(full)
	if err != nil {
		return Failed("Could not find or access '%s' on the Ansible Controller.", src), nil
	}
	if !info.IsDir() {
		data, err := os.ReadFile(full)
		if err != nil {
			return Failed("could not find src=%s, %v", full, err), nil
		}
		return copyFile(ctx, c, copySource{Data: data, Rel: filepath.Base(full), Perm: uint32(info.Mode().Perm()) | setBits(info.Mode()),
			Header: full, Src: full}, dest, false)
	}
	if strings.HasSuffix(src, "/") && !strings.HasSuffix(full, "/") {
		full += "/"
	}
	return copyTree(ctx, c, full, dest)
}

func setBits(m fs.FileMode) uint32 {
	var b uint32
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

func runTemplate(ctx context.Context, c *Call) (Result, error) {
	if c.Controller == nil {
		return Failed("template: needs the controller"), nil
	}
	switch a := c.Args; {
	case !a.Bool("trim_blocks"), a.Bool("lstrip_blocks"):
		return Failed("template: remotectl renders with Ansible's default trim_blocks: true and lstrip_blocks: false only"), nil
	case !strings.EqualFold(strings.ReplaceAll(a.Str("output_encoding"), "_", "-"), "utf-8") && !strings.EqualFold(a.Str("output_encoding"), "utf8"):
		return Failed("template: output_encoding %s is not supported by remotectl (utf-8 only)", a.Str("output_encoding")), nil
	}
	src := c.Args.Str("src")
	full, err := c.Controller.FindFile("templates", controllerHome(src))
	if err != nil {
		return Failed("Could not find or access '%s'", src), nil
	}
	info, err := os.Stat(full)
	if err != nil || info.IsDir() {
		return Failed("Could not find or access '%s'", src), nil
	}
	text, err := os.ReadFile(full)
	if err != nil {
		return Failed("Could not find or access '%s': %v", src, err), nil
	}
	out, err := c.Controller.Template(string(text), src, full, c.Args.Str("dest"))
	if err != nil {
		return Failed("AnsibleError: %v", err), nil
	}
	nl := c.Args.Str("newline_sequence")
	nl = strings.NewReplacer(`\r`, "\r", `\n`, "\n").Replace(nl) // '\r\n' in single quotes, as Ansible's wrong_sequences
	if nl != "\n" {
		out = strings.ReplaceAll(out, "\n", nl)
	}
	return copyFile(ctx, c, copySource{Data: []byte(out), Rel: filepath.Base(full), Perm: uint32(info.Mode().Perm()),
		Header: full, Src: full}, c.Args.Str("dest"), false)
}

func sha1Hex(b []byte) string { s := sha1.Sum(b); return hex.EncodeToString(s[:]) }
func md5Hex(b []byte) string  { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

// copyAttrs are the file attributes of a copy: mode "preserve" is the
// source's permission.
func copyAttrs(a Args, srcPerm uint32) fileAttrs {
	fa := attrsOf(a)
	if fa.Mode == "preserve" {
		fa.Mode = fmt.Sprintf("0%03o", srcPerm)
	}
	return fa
}

// copyFile puts one file at dest as the copy action does: dest ending in
// / or naming a directory gets the source's name under it.
func copyFile(ctx context.Context, c *Call, s copySource, dest string, isContent bool) (Result, error) {
	a := c.Args
	destFile := dest
	if strings.HasSuffix(dest, "/") {
		destFile = dest + s.Rel
	}
	follow := a.Bool("follow")
	fa := copyAttrs(a, s.Perm)
	p := newProbe()
	p.Path("d", destFile, follow, "sha1", c.Diff)
	p.Path("df", destFile, true, "", false)
	p.Path("u", destFile+"/"+s.Rel, follow, "sha1", c.Diff)
	p.Path("p", path.Dir(destFile), true, "", false)
	fa.ask(p)
	r, err := p.Run(ctx, c.Host)
	if err != nil {
		return nil, err
	}
	cur := r.path("d")
	// a directory, or a link to one: the module's os.path.isdir follows links
	if cur.Exists && cur.Kind == "directory" || cur.Kind == "link" && r.path("df").Kind == "directory" {
		if isContent {
			return Failed("can not use content with a dir as dest"), nil
		}
		destFile, cur = destFile+"/"+s.Rel, r.path("u")
		r.paths["p"] = &pathInfo{Exists: true, Kind: "directory"}
	}
	if follow && cur.Kind == "link" && cur.Target != "" {
		return copyFollowed(ctx, c, s, destFile, cur)
	}
	if cur.Exists && !a.Bool("force") {
		return Result{"changed": false, "dest": dest, "src": s.Src}, nil
	}
	sum := sha1Hex(s.Data)
	if want := a.Str("checksum"); want != "" && want != sum {
		return Result{"failed": true, "changed": false, "msg": "Copied file does not match the expected checksum. Transfer failed.",
			"checksum": sum, "expected_checksum": want}, nil
	}
	if cur.Kind == "file" && cur.Sums["sha1"] == sum {
		return copyUnchanged(ctx, c, fa, destFile, cur, r, sum)
	}
	res := Result{"changed": true}
	if c.Diff {
		res["diff"] = []any{contentDiff(cur, s.Data, destFile, s.Header)}
	}
	if c.Check {
		return res, nil
	}
	if parent := r.path("p"); !parent.Exists {
		if !strings.HasSuffix(dest, "/") {
			return Failed("Destination directory %s does not exist", path.Dir(destFile)), nil
		}
		if f, err := makeDirs(ctx, c, path.Dir(destFile)); f != nil || err != nil {
			return f, err
		}
	}
	out, err := fileWrite{Path: destFile, Data: s.Data, Cur: cur, Attrs: fa, Backup: a.Bool("backup"),
		Validate: a.Str("validate")}.do(ctx, c.Host, r)
	if err != nil || out.Failed != nil {
		return out.Failed, err
	}
	res["dest"], res["src"] = destFile, s.Src
	res["checksum"], res["md5sum"] = sum, md5Hex(s.Data)
	if out.Backup != "" {
		res["backup_file"] = out.Backup
	}
	return pathResult(res, out.Final), nil
}

// copyFollowed copies through a link (follow: true) to the file it
// points to.
func copyFollowed(ctx context.Context, c *Call, s copySource, link string, cur *pathInfo) (Result, error) {
	target := cur.Target
	if !strings.HasPrefix(target, "/") {
		target = path.Join(path.Dir(link), target)
	}
	args := Args{}
	for k, v := range c.Args {
		args[k] = v
	}
	args["follow"] = false
	sub := *c
	sub.Args = args
	return copyFile(ctx, &sub, s, target, false)
}

// copyUnchanged is the copy of a file whose content is already there:
// as Ansible, the file module sets the attributes.
func copyUnchanged(ctx context.Context, c *Call, fa fileAttrs, dest string, cur *pathInfo, r *probed, sum string) (Result, error) {
	cmds, changed, err := fa.apply(dest, cur, r)
	if err != nil {
		return Failed("%v", err), nil
	}
	res := Result{"changed": changed, "dest": dest, "path": dest, "checksum": sum}
	if c.Diff { // the file module's diff, as Ansible runs it for an unchanged copy
		before, after := map[string]any{"path": dest}, map[string]any{"path": dest}
		fa.diff(cur, r, before, after)
		res["diff"] = map[string]any{"before": before, "after": after}
	}
	final := cur
	if changed && !c.Check {
		var f Result
		if final, f, err = act(ctx, c.Host, cmds, dest, false); f != nil || err != nil {
			return f, err
		}
	}
	return pathResult(res, final), nil
}

// makeDirs creates a directory and its missing parents with
// directory_mode (or the umask's default), owner and group, as the copy
// module does for a dest ending in / (adjust_recursive_directory_permissions).
func makeDirs(ctx context.Context, c *Call, dir string) (Result, error) {
	var each []string
	if dm := c.Args.Str("directory_mode"); dm != "" {
		each = append(each, "chmod "+Quote(dm)+` -- "$_x"`)
	}
	if o := c.Args.Str("owner"); o != "" {
		each = append(each, "chown "+Quote(o)+` -- "$_x"`)
	}
	if g := c.Args.Str("group"); g != "" {
		each = append(each, "chgrp "+Quote(g)+` -- "$_x"`)
	}
	script := "mkdir -p -- " + Quote(dir)
	if len(each) > 0 {
		script = fmt.Sprintf(`_d=%s; _l=; while [ ! -d "$_d" ]; do _l="$_d
$_l"; _d=$(dirname -- "$_d"); done; mkdir -p -- %s || exit 1
printf '%%s' "$_l" | { _rc=0; while IFS= read -r _x; do if [ -n "$_x" ]; then %s || _rc=1; fi; done; exit $_rc; }`,
			Quote(dir), Quote(dir), strings.Join(each, " && "))
	}
	out, err := c.Host.Run(ctx, Command{Script: script})
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return Failed("Destination directory %s does not exist and could not be created: %s", dir, strings.TrimSpace(out.Stderr)), nil
	}
	return nil, nil
}

// treeEntry is one file or directory of a source tree.
type treeEntry struct {
	full, rel string
	dir       bool
}

// walkTree lists a controller directory as the copy action does: with
// a trailing slash its content, else the directory itself; links are
// followed.
func walkTree(src string) ([]treeEntry, error) {
	base := src
	if !strings.HasSuffix(src, "/") {
		base = filepath.Dir(src) + "/"
	}
	var out []treeEntry
	if !strings.HasSuffix(src, "/") {
		out = append(out, treeEntry{full: src, rel: filepath.Base(src), dir: true})
	}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == strings.TrimSuffix(src, "/") || p == src {
			return nil
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil // a dangling link: Ansible copies it as a link; skipped here
		}
		rel := strings.TrimPrefix(p, base)
		if info.IsDir() {
			out = append(out, treeEntry{full: p, rel: rel, dir: true})
			if d.Type()&fs.ModeSymlink != 0 {
				sub, err := walkTree(p + "/")
				for _, e := range sub {
					e.rel = rel + "/" + e.rel
					out = append(out, e)
				}
				return err
			}
			return nil
		}
		out = append(out, treeEntry{full: p, rel: rel})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	return out, err
}

// copyTree copies a controller directory: one probe for every file and
// directory, then the files that differ.
func copyTree(ctx context.Context, c *Call, src, dest string) (Result, error) {
	entries, err := walkTree(src)
	if err != nil {
		return Failed("%v", err), nil
	}
	if !strings.HasSuffix(dest, "/") {
		dest += "/"
	}
	fa := attrsOf(c.Args)
	p := newProbe()
	for i, e := range entries {
		p.Path(fmt.Sprint(i), dest+e.rel, false, "sha1", false)
	}
	p.Path("top", dest, true, "", false)
	fa.ask(p)
	r, err := p.Run(ctx, c.Host)
	if err != nil {
		return nil, err
	}
	changed := false
	if !r.path("top").Exists {
		changed = true
		if !c.Check {
			if f, err := makeDirs(ctx, c, dest); f != nil || err != nil {
				return f, err
			}
		}
	}
	dirAttrs := fa
	dirAttrs.Mode = c.Args.Str("directory_mode")
	for i, e := range entries {
		cur := r.path(fmt.Sprint(i))
		target := dest + e.rel
		if e.dir {
			if cur.Exists && cur.Kind == "directory" {
				cmds, ch, err := dirAttrs.apply(target, cur, r)
				if err != nil {
					return Failed("%v", err), nil
				}
				if ch && !c.Check {
					if _, f, err := act(ctx, c.Host, cmds, target, false); f != nil || err != nil {
						return f, err
					}
				}
				changed = changed || ch
				continue
			}
			changed = true
			if !c.Check {
				if f, err := makeDirs(ctx, c, target); f != nil || err != nil {
					return f, err
				}
			}
			continue
		}
		res, err := copyTreeFile(ctx, c, e, target, cur, r)
		if err != nil || res.IsFailed() {
			return res, err
		}
		changed = changed || res.Changed()
	}
	return Result{"changed": changed, "dest": dest, "src": src}, nil
}

func copyTreeFile(ctx context.Context, c *Call, e treeEntry, target string, cur *pathInfo, r *probed) (Result, error) {
	info, err := os.Stat(e.full)
	if err != nil {
		return Failed("could not find src=%s, %v", e.full, err), nil
	}
	data, err := os.ReadFile(e.full)
	if err != nil {
		return Failed("could not find src=%s, %v", e.full, err), nil
	}
	fa := copyAttrs(c.Args, uint32(info.Mode().Perm()))
	if cur.Exists && !c.Args.Bool("force") {
		return Result{"changed": false}, nil
	}
	sum := sha1Hex(data)
	if cur.Kind == "file" && cur.Sums["sha1"] == sum {
		cmds, ch, err := fa.apply(target, cur, r)
		if err != nil {
			return Failed("%v", err), nil
		}
		if ch && !c.Check {
			if _, f, err := act(ctx, c.Host, cmds, target, false); f != nil || err != nil {
				return f, err
			}
		}
		return Result{"changed": ch}, nil
	}
	res := Result{"changed": true}
	if c.Check {
		return res, nil
	}
	out, err := fileWrite{Path: target, Data: data, Cur: cur, Attrs: fa, Backup: c.Args.Bool("backup"),
		Validate: c.Args.Str("validate")}.do(ctx, c.Host, r)
	if err != nil || out.Failed != nil {
		return out.Failed, err
	}
	return res, nil
}

// remoteCopy is copy with remote_src: the source is on the host.
func remoteCopy(ctx context.Context, c *Call) (Result, error) {
	c, err := expandUser(ctx, c, "src")
	if err != nil {
		return nil, err
	}
	a := c.Args
	src, dest := a.Str("src"), a.Str("dest")
	if src == "" {
		return Failed("src (or content) is required"), nil
	}
	fa := attrsOf(a)
	p := newProbe()
	p.Path("s", src, true, "sha1 md5", false)
	p.Path("d", dest, false, "sha1", false)
	p.Path("df", dest, true, "", false)
	p.Path("u", path.Join(dest, path.Base(src)), false, "sha1", false)
	p.Path("p", path.Dir(strings.TrimSuffix(dest, "/")), true, "", false)
	if !strings.HasSuffix(src, "/") {
		p.Path("t", path.Join(dest, path.Base(src)), true, "", false)
	}
	fa.ask(p)
	r, err := p.Run(ctx, c.Host)
	if err != nil {
		return nil, err
	}
	s := r.path("s")
	switch {
	case !s.Exists:
		return Failed("Source %s not found", src), nil
	case !s.Readable:
		return Failed("Source %s not readable", src), nil
	case s.Kind == "directory":
		return remoteCopyDir(ctx, c, r)
	case s.Kind != "file":
		return Failed("Cannot copy invalid source '%s': not a file", src), nil
	}
	if fa.Mode == "preserve" {
		fa.Mode = modeString(s.Perm)
	}
	destFile, cur := dest, r.path("d")
	if cur.Exists && cur.Kind == "directory" || cur.Kind == "link" && r.path("df").Kind == "directory" {
		destFile, cur = path.Join(dest, path.Base(src)), r.path("u")
	}
	sum := s.Sums["sha1"]
	res := Result{"dest": destFile, "src": src, "checksum": sum, "md5sum": s.Sums["md5"]}
	if cur.Exists && !a.Bool("force") {
		return Result{"changed": false, "msg": "file already exists", "src": src, "dest": destFile}, nil
	}
	if cur.Kind == "file" && cur.Sums["sha1"] == sum {
		cmds, changed, err := fa.apply(destFile, cur, r)
		if err != nil {
			return Failed("%v", err), nil
		}
		res["changed"] = changed
		final := cur
		if changed && !c.Check {
			var f Result
			if final, f, err = act(ctx, c.Host, cmds, destFile, false); f != nil || err != nil {
				return f, err
			}
		}
		return pathResult(res, final), nil
	}
	res["changed"] = true
	if !r.path("p").Exists && !(cur.Exists && cur.Kind == "directory") {
		if !strings.HasSuffix(dest, "/") {
			return Failed("Destination directory %s does not exist", path.Dir(destFile)), nil
		}
		if c.Check {
			return Result{"changed": true, "msg": fmt.Sprintf("dest directory %s would be created", path.Dir(destFile)), "src": src}, nil
		}
		if f, err := makeDirs(ctx, c, path.Dir(destFile)); f != nil || err != nil {
			return f, err
		}
	}
	if c.Check {
		return pathResult(res, cur), nil
	}
	out, err := fileWrite{Path: destFile, FromPath: src, Cur: cur, Attrs: fa, Backup: a.Bool("backup"),
		Validate: a.Str("validate")}.do(ctx, c.Host, r)
	if err != nil || out.Failed != nil {
		return out.Failed, err
	}
	if out.Backup != "" {
		res["backup_file"] = out.Backup
	}
	return pathResult(res, out.Final), nil
}

// remoteCopyDir copies a directory on the host into dest (its content
// when src ends in /), as the copy module's copytree and
// copy_diff_files do.
func remoteCopyDir(ctx context.Context, c *Call, r *probed) (Result, error) {
	a := c.Args
	src, dest := a.Str("src"), a.Str("dest")
	target := dest
	if !strings.HasSuffix(src, "/") && r.path("d").Exists {
		target = path.Join(dest, path.Base(src))
	}
	check := fmt.Sprintf("[ -d %s ] && diff -rq -- %s %s >/dev/null 2>&1", Quote(target), Quote(src), Quote(target))
	var chown []string
	if o := a.Str("owner"); o != "" {
		check += fmt.Sprintf(" && [ -z \"$(find %s ! -user %s | head -n1)\" ]", Quote(target), Quote(o))
		chown = append(chown, fmt.Sprintf("chown -R %s -- %s", Quote(o), Quote(target)))
	}
	if g := a.Str("group"); g != "" {
		check += fmt.Sprintf(" && [ -z \"$(find %s ! -group %s | head -n1)\" ]", Quote(target), Quote(g))
		chown = append(chown, fmt.Sprintf("chgrp -R %s -- %s", Quote(g), Quote(target)))
	}
	out, err := c.Host.Run(ctx, Command{Script: check})
	if err != nil {
		return nil, err
	}
	resDest := dest
	if d := r.path("d"); d.Exists && d.Kind == "directory" {
		resDest = strings.TrimSuffix(dest, "/") + "/" + path.Base(src)
		if strings.HasSuffix(src, "/") {
			resDest = strings.TrimSuffix(dest, "/") + "/"
		}
	}
	res := Result{"changed": out.RC != 0, "dest": resDest, "src": src, "checksum": nil, "md5sum": nil}
	if out.RC == 0 || c.Check {
		return pathResult(res, r.path("d")), nil
	}
	cmds := append([]string{fmt.Sprintf("mkdir -p -- %s", Quote(target)),
		fmt.Sprintf("cp -R --preserve=mode,timestamps -- %s/. %s/", Quote(strings.TrimSuffix(src, "/")), Quote(target))}, chown...)
	final, f, err := act(ctx, c.Host, cmds, dest, false)
	if f != nil || err != nil {
		return f, err
	}
	return pathResult(res, final), nil
}
