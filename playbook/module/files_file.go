package module

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

func fileModule() *Module {
	return &Module{Name: "file", Collection: "ansible.builtin", Check: CheckFull, Diff: true,
		Params: append([]Param{
			{Name: "path", Aliases: []string{"dest", "name"}, Type: Path, Required: true},
			{Name: "state", Type: Str, Choices: []string{"absent", "directory", "file", "hard", "link", "touch"}},
			{Name: "src", Type: Path},
			{Name: "recurse", Type: Bool, Default: false},
			{Name: "force", Type: Bool, Default: false},
			{Name: "follow", Type: Bool, Default: true},
			{Name: "modification_time", Type: Str},
			{Name: "modification_time_format", Type: Str, Default: "%Y%m%d%H%M.%S"},
			{Name: "access_time", Type: Str},
			{Name: "access_time_format", Type: Str, Default: "%Y%m%d%H%M.%S"},
		}, commonParams()...),
		Run: runFile}
}

// fileRun is one run of the file module: what the probe found and what
// it decided.
type fileRun struct {
	c      *Call
	r      *probed
	fa     fileAttrs
	path   string
	cur    *pathInfo
	cmds   []string
	diff   map[string]any
	follow bool
}

func runFile(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	p, src, state := a.Str("path"), a.Str("src"), a.Str("state")
	fa := attrsOf(a)
	pr := newProbe()
	pr.Path("p", p, false, "", false)
	pr.Raw(fmt.Sprintf(`if [ -L %[1]s ]; then _p t "$(readlink -f -- %[1]s)" 0 '' 0; printf 'rp\treal\t%%s\n' "$(readlink -f -- %[1]s)"; fi`, Quote(p)))
	if src != "" {
		pr.Path("b", path.Join(p, path.Base(src)), false, "", false)
		abs := src
		if state == "link" && !strings.HasPrefix(src, "/") {
			abs = path.Join(path.Dir(p), src) // a relative link's target, from the link's directory
		}
		pr.Path("s", abs, true, "", false)
	}
	if state == "link" {
		pr.Raw(fmt.Sprintf(`[ -d %s ] && [ ! -L %s ] && [ -n "$(ls -A -- %s)" ] && printf 'p\tnonempty\t1\n'`, Quote(p), Quote(p), Quote(p)))
	}
	if a.Bool("recurse") {
		pr.Raw(fmt.Sprintf(`[ -d %s ] && find %s -mindepth 1 -printf 'r\tentry\t%%y|%%m|%%U|%%G|%%p\n'`, Quote(p), Quote(p)))
	}
	fa.ask(pr)
	r, err := pr.Run(ctx, c.Host)
	if err != nil {
		return nil, err
	}
	cur := r.path("p")
	if state != "link" && state != "absent" && cur.Kind == "directory" && src != "" {
		p, cur = path.Join(p, path.Base(src)), r.path("b")
	}
	prev := cur.ansibleState()
	if state == "" {
		switch {
		case prev != "absent":
			state = prev
		case a.Bool("recurse"):
			state = "directory"
		default:
			state = "file"
		}
	}
	if a.Bool("recurse") && state != "directory" {
		return Result{"failed": true, "changed": false, "msg": "recurse option requires state to be 'directory'", "path": p}, nil
	}
	if src != "" && state != "link" && state != "hard" {
		return Result{"failed": true, "changed": false, "msg": "src option requires state to be 'link' or 'hard'", "path": p}, nil
	}
	f := &fileRun{c: c, r: r, fa: fa, path: p, cur: cur, follow: a.Bool("follow")}
	var res Result
	switch state {
	case "absent":
		res = f.absent(prev)
	case "file":
		res = f.file(prev)
	case "directory":
		res = f.directory(prev)
	case "link":
		res = f.link(prev, src)
	case "hard":
		res = f.hard(prev, src)
	case "touch":
		res = f.touch(prev)
	}
	return f.finish(ctx, res)
}

// finish acts (outside check mode) and completes the result with the
// path's state, as Ansible's add_path_info.
func (f *fileRun) finish(ctx context.Context, res Result) (Result, error) {
	if res.IsFailed() {
		if p, ok := res["path"].(string); ok && p == f.path {
			return pathResult(res, f.cur), nil // fail_json adds the path's state too
		}
		return res, nil
	}
	if f.c.Diff && f.diff != nil {
		res["diff"] = f.diff
	}
	final := f.cur
	target, _ := res["path"].(string)
	if d, ok := res["dest"].(string); ok {
		target = d
	}
	if len(f.cmds) > 0 && !f.c.Check {
		var failed Result
		var err error
		final, failed, err = act(ctx, f.c.Host, f.cmds, target, false)
		if failed != nil || err != nil {
			failed["path"] = target
			return failed, err
		}
	}
	return pathResult(res, final), nil
}

// initialDiff is Ansible's initial_diff.
func (f *fileRun) initialDiff(state, prev string) {
	before, after := map[string]any{"path": f.path}, map[string]any{"path": f.path}
	if prev != state {
		before["state"], after["state"] = prev, state
	}
	f.diff = map[string]any{"before": before, "after": after}
}

// attrs plans the attributes of path (whose state is pi) and records
// them in the diff.
func (f *fileRun) attrs(p string, pi *pathInfo) (bool, Result) {
	cmds, changed, err := f.fa.apply(p, pi, f.r)
	if err != nil {
		return false, Result{"failed": true, "changed": false, "msg": err.Error(), "path": p}
	}
	f.cmds = append(f.cmds, cmds...)
	if changed && f.diff != nil {
		before, after := f.diff["before"].(map[string]any), f.diff["after"].(map[string]any)
		if f.fa.Mode != "" && pi.Kind != "link" {
			if want, _ := parseMode(f.fa.Mode, pi.Perm, pi.Kind == "directory", f.r.umask); want != pi.Perm {
				before["mode"], after["mode"] = modeString(pi.Perm), modeString(want)
			}
		}
		if uid, err := f.fa.uid(f.r); f.fa.Owner != "" && err == nil && uid != pi.UID {
			before["owner"], after["owner"] = pi.UID, uid
		}
		if gid, err := f.fa.gid(f.r); f.fa.Group != "" && err == nil && gid != pi.GID {
			before["group"], after["group"] = pi.GID, gid
		}
	}
	return changed, nil
}

// timestamps plans modification_time and access_time: "preserve" (the
// default but for touch), "now" (the default for touch) or a time in
// the *_time_format (strftime, in the controller's time zone).
func (f *fileRun) timestamps(p string, pi *pathInfo, state string) (bool, Result) {
	a := f.c.Args
	mt, at := a.Str("modification_time"), a.Str("access_time")
	def := "preserve"
	if state == "touch" {
		def = "now"
	}
	if mt == "" {
		mt = def
	}
	if at == "" {
		at = def
	}
	if mt == "preserve" && at == "preserve" {
		return false, nil
	}
	if mt == "now" && at == "now" {
		f.cmds = append(f.cmds, "touch -c -- "+Quote(p))
		return true, nil
	}
	changed := false
	for _, x := range []struct{ val, format, flag string }{{mt, "modification_time_format", "-m"}, {at, "access_time_format", "-a"}} {
		prevTime := pi.Mtime
		if x.flag == "-a" {
			prevTime = pi.Atime
		}
		switch x.val {
		case "preserve":
			continue
		case "now":
			f.cmds = append(f.cmds, "touch -c "+x.flag+" -- "+Quote(p))
			changed = true
			continue
		}
		tm, err := strftimeParse(a.Str(x.format), x.val)
		if err != nil {
			return false, Result{"failed": true, "changed": false,
				"msg": fmt.Sprintf("Error while obtaining timestamp for time %s using format %s: %v", x.val, a.Str(x.format), err)}
		}
		if float64(tm.Unix()) != prevTime {
			f.cmds = append(f.cmds, fmt.Sprintf("touch -c %s -d @%d -- %s", x.flag, tm.Unix(), Quote(p)))
			changed = true
		}
	}
	return changed, nil
}

// strftimeParse parses value in a strftime format (%Y %m %d %H %M %S
// %y %b %j and literals), in the local time zone as Python's mktime.
func strftimeParse(format, value string) (time.Time, error) {
	repl := map[byte]string{'Y': "2006", 'm': "01", 'd': "02", 'H': "15", 'M': "04", 'S': "05", 'y': "06", 'b': "Jan", 'B': "January", 'p': "PM", 'I': "03", 'Z': "MST", 'z': "-0700"}
	var layout strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] == '%' && i+1 < len(format) {
			if l, ok := repl[format[i+1]]; ok {
				layout.WriteString(l)
				i++
				continue
			}
			if format[i+1] == '%' {
				layout.WriteByte('%')
				i++
				continue
			}
			return time.Time{}, fmt.Errorf("unsupported directive %%%c", format[i+1])
		}
		layout.WriteByte(format[i])
	}
	return time.ParseInLocation(layout.String(), value, time.Local)
}

func (f *fileRun) fail(msg string, extra ...any) Result {
	res := Result{"failed": true, "changed": false, "msg": msg}
	for i := 0; i+1 < len(extra); i += 2 {
		res[extra[i].(string)] = extra[i+1]
	}
	return res
}

func (f *fileRun) absent(prev string) Result {
	if prev == "absent" {
		return Result{"path": f.path, "changed": false, "state": "absent"}
	}
	f.initialDiff("absent", prev)
	if prev == "directory" {
		f.cmds = append(f.cmds, "rm -rf -- "+Quote(f.path))
	} else {
		f.cmds = append(f.cmds, "rm -f -- "+Quote(f.path))
	}
	return Result{"path": f.path, "changed": true, "state": "absent"}
}

// followed returns the path and state the attributes apply to: a link's
// target when follow is set.
func (f *fileRun) followed() (string, *pathInfo) {
	if f.follow && f.cur.Kind == "link" {
		if t := f.r.path("t"); t.Exists {
			return f.r.get("rp", "real"), t
		}
	}
	return f.path, f.cur
}

func (f *fileRun) file(prev string) Result {
	p, pi := f.path, f.cur
	if prev != "file" && f.follow && prev == "link" {
		p, pi = f.followed()
		prev = pi.ansibleState()
		f.path, f.cur = p, pi
	}
	if prev != "file" && prev != "hard" {
		return f.fail(fmt.Sprintf("file (%s) is %s, cannot continue", p, prev), "path", p, "state", prev)
	}
	f.initialDiff("file", prev)
	changed, fail := f.attrs(p, pi)
	if fail != nil {
		return fail
	}
	tch, fail := f.timestamps(p, pi, "file")
	if fail != nil {
		return fail
	}
	return Result{"path": p, "changed": changed || tch}
}

func (f *fileRun) directory(prev string) Result {
	p, pi := f.path, f.cur
	if f.follow && prev == "link" {
		p, pi = f.followed()
		prev = pi.ansibleState()
		f.path, f.cur = p, pi
	}
	f.initialDiff("directory", prev)
	switch prev {
	case "absent":
		if f.c.Check {
			return Result{"path": p, "changed": true}
		}
		f.mkdirs(p)
		return Result{"path": p, "changed": true}
	case "directory":
	default:
		return f.fail(fmt.Sprintf("%s already exists as a %s", p, prev), "path", p)
	}
	changed, fail := f.attrs(p, pi)
	if fail != nil {
		return fail
	}
	tch, fail := f.timestamps(p, pi, "directory")
	if fail != nil {
		return fail
	}
	if f.c.Args.Bool("recurse") {
		rch, fail := f.recurse()
		if fail != nil {
			return fail
		}
		changed = changed || rch
	}
	return Result{"path": p, "changed": changed || tch}
}

// mkdirs creates a directory and its missing parents, each with the
// attributes (as Ansible's ensure_directory).
func (f *fileRun) mkdirs(p string) {
	var each []string
	if f.fa.Owner != "" {
		each = append(each, "chown "+Quote(f.fa.Owner)+` -- "$_x"`)
	}
	if f.fa.Group != "" {
		each = append(each, "chgrp "+Quote(f.fa.Group)+` -- "$_x"`)
	}
	if f.fa.Mode != "" {
		mode := f.fa.Mode
		if perm, err := parseMode(mode, 0o777&^f.r.umask, true, f.r.umask); err == nil {
			mode = fmt.Sprintf("%04o", perm)
		}
		each = append(each, "chmod "+Quote(mode)+` -- "$_x"`)
	}
	f.cmds = append(f.cmds, fmt.Sprintf(`_d=%s; _l=; while [ ! -d "$_d" ]; do _l="$_d
$_l"; _d=$(dirname -- "$_d"); done; mkdir -p -- %s`, Quote(p), Quote(p)))
	if len(each) > 0 {
		f.cmds = append(f.cmds, fmt.Sprintf(`printf '%%s' "$_l" | while IFS= read -r _x; do if [ -n "$_x" ]; then %s; fi; done`,
			strings.Join(each, " && ")))
	}
	if t := f.c.Args.Str("modification_time"); t != "" && t != "preserve" {
		f.timestamps(p, &pathInfo{}, "directory") //nolint:errcheck // the format was checked by the same call on the path
	}
}

// recurse plans the attributes of everything under the directory
// (links themselves: owner and group only).
func (f *fileRun) recurse() (bool, Result) {
	changed := false
	for _, e := range f.r.lines["r entry"] {
		parts := strings.SplitN(e, "|", 5)
		if len(parts) < 5 {
			continue
		}
		perm, _ := strconv.ParseUint(parts[1], 8, 32)
		uid, _ := strconv.Atoi(parts[2])
		gid, _ := strconv.Atoi(parts[3])
		kind := map[string]string{"d": "directory", "l": "link", "f": "file"}[parts[0]]
		pi := &pathInfo{Exists: true, Kind: kind, Perm: uint32(perm), UID: uid, GID: gid}
		cmds, ch, err := f.fa.apply(parts[4], pi, f.r)
		if err != nil {
			return false, f.fail(err.Error())
		}
		f.cmds = append(f.cmds, cmds...)
		changed = changed || ch
	}
	return changed, nil
}

func (f *fileRun) link(prev, src string) Result {
	force := f.c.Args.Bool("force")
	if src == "" && f.follow && f.cur.Kind == "link" {
		src = f.cur.Target
	}
	s := f.r.path("s")
	if !force && src != "" && !s.Exists {
		abs := src
		if !strings.HasPrefix(src, "/") {
			abs = path.Join(path.Dir(f.path), src)
		}
		return f.fail(`src file does not exist, use "force=yes" if you really want to create the link: `+abs, "path", f.path, "src", src)
	}
	switch {
	case prev == "directory" && !force:
		return f.fail(fmt.Sprintf("refusing to convert from %s to symlink for %s", prev, f.path), "path", f.path)
	case prev == "directory" && f.r.get("p", "nonempty") != "":
		return f.fail(fmt.Sprintf("the directory %s is not empty, refusing to convert it", f.path), "path", f.path)
	case (prev == "file" || prev == "hard") && !force:
		return f.fail(fmt.Sprintf("refusing to convert from %s to symlink for %s", prev, f.path), "path", f.path)
	}
	f.initialDiff("link", prev)
	changed := false
	switch prev {
	case "link":
		if src != "" && f.cur.Target != src {
			f.diff["before"].(map[string]any)["src"] = f.cur.Target
			f.diff["after"].(map[string]any)["src"] = src
			changed = true
		}
	default:
		if src == "" {
			return f.fail("src is required for creating new symlinks")
		}
		changed = true
	}
	if changed {
		tmp := path.Join(path.Dir(f.path), ".remotectl-"+RandomSuffix()+".tmp")
		if prev == "directory" {
			f.cmds = append(f.cmds, "rmdir -- "+Quote(f.path))
		}
		f.cmds = append(f.cmds, fmt.Sprintf("ln -s -- %s %s && mv -fT -- %s %s", Quote(src), Quote(tmp), Quote(tmp), Quote(f.path)))
	}
	res := Result{"dest": f.path, "src": src}
	if f.c.Check && prev == "absent" {
		res["changed"] = changed
		return res
	}
	p, pi := f.path, f.cur
	switch {
	case f.follow && changed:
		p, pi = src, s
		if !strings.HasPrefix(src, "/") {
			p = path.Join(path.Dir(f.path), src)
		}
	case f.follow:
		p, pi = f.r.get("rp", "real"), f.r.path("t")
	case changed:
		pi = &pathInfo{Exists: true, Kind: "link", UID: -1, GID: -1}
	}
	if !pi.Exists {
		res["changed"] = changed // Ansible warns: no attributes on a missing link target
		return res
	}
	ach, fail := f.attrs(p, pi)
	if fail != nil {
		return fail
	}
	res["changed"] = changed || ach
	return res
}

func (f *fileRun) hard(prev, src string) Result {
	force := f.c.Args.Bool("force")
	if prev != "hard" && src == "" {
		return f.fail("src is required for creating new hardlinks")
	}
	s := f.r.path("s")
	if src != "" && !s.Exists {
		return f.fail("src does not exist", "dest", f.path, "src", src)
	}
	f.initialDiff("hard", prev)
	changed := false
	switch prev {
	case "absent":
		changed = true
	case "link":
		if f.cur.Target != src {
			f.diff["before"].(map[string]any)["src"] = f.cur.Target
			f.diff["after"].(map[string]any)["src"] = src
			changed = true
		}
	case "hard":
		if src != "" && (f.cur.Inode != s.Inode || f.cur.Dev != s.Dev) {
			changed = true
			if !force {
				return f.fail("Cannot link, different hard link exists at destination", "dest", f.path, "src", src)
			}
		}
	case "file":
		changed = true
		if !force {
			return f.fail("Cannot link, file exists at destination", "dest", f.path, "src", src)
		}
	case "directory":
		return f.fail(fmt.Sprintf("Cannot link: %s is a directory", f.path), "dest", f.path, "src", src)
	}
	if changed {
		tmp := path.Join(path.Dir(f.path), ".remotectl-"+RandomSuffix()+".tmp")
		f.cmds = append(f.cmds, fmt.Sprintf("ln -- %s %s && mv -fT -- %s %s", Quote(src), Quote(tmp), Quote(tmp), Quote(f.path)))
	}
	res := Result{"dest": f.path, "src": src}
	if f.c.Check && prev == "absent" {
		res["changed"] = changed
		return res
	}
	pi := f.cur
	if changed {
		pi = s
	}
	ach, fail := f.attrs(f.path, pi)
	if fail != nil {
		return fail
	}
	res["changed"] = changed || ach
	return res
}

func (f *fileRun) touch(prev string) Result {
	res := Result{"dest": f.path}
	if prev == "absent" {
		if f.c.Check {
			res["changed"] = true
			return res
		}
		f.cmds = append(f.cmds, ": >> "+Quote(f.path))
	}
	f.initialDiff("touch", prev)
	pi := f.cur
	if prev == "absent" {
		pi = &pathInfo{Exists: true, Kind: "file", Perm: 0o666 &^ f.r.umask, UID: -1, GID: -1}
	}
	p := f.path
	if f.follow && prev == "link" {
		p, pi = f.followed()
	}
	changed, fail := f.attrs(p, pi)
	if fail != nil {
		return fail
	}
	tch, fail := f.timestamps(p, pi, "touch")
	if fail != nil {
		return fail
	}
	res["changed"] = prev == "absent" || changed || tch
	return res
}
