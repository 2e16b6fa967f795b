package module

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// editParams are the parameters lineinfile, blockinfile and replace share.
func editParams(extra ...Param) []Param {
	return append(append([]Param{
		{Name: "path", Aliases: []string{"dest", "destfile", "name"}, Type: Path, Required: true},
		{Name: "backup", Type: Bool, Default: false},
		{Name: "validate", Type: Str},
	}, extra...), commonParams()...)
}

func lineinfileModule() *Module {
	return &Module{Name: "lineinfile", Collection: "ansible.builtin", Check: CheckFull, Diff: true,
		Params: editParams(
			Param{Name: "state", Type: Str, Default: "present", Choices: []string{"absent", "present"}},
			Param{Name: "regexp", Aliases: []string{"regex"}, Type: Str},
			Param{Name: "search_string", Type: Str},
			Param{Name: "line", Aliases: []string{"value"}, Type: Str},
			Param{Name: "insertafter", Type: Str},
			Param{Name: "insertbefore", Type: Str},
			Param{Name: "backrefs", Type: Bool, Default: false},
			Param{Name: "create", Type: Bool, Default: false},
			Param{Name: "firstmatch", Type: Bool, Default: false},
		),
		Run: withHomes(runLineinfile, "path")}
}

func blockinfileModule() *Module {
	return &Module{Name: "blockinfile", Collection: "ansible.builtin", Check: CheckFull, Diff: true,
		Params: editParams(
			Param{Name: "state", Type: Str, Default: "present", Choices: []string{"absent", "present"}},
			Param{Name: "marker", Type: Str, Default: "# {mark} ANSIBLE MANAGED BLOCK"},
			Param{Name: "block", Aliases: []string{"content"}, Type: Str, Default: ""},
			Param{Name: "insertafter", Type: Str},
			Param{Name: "insertbefore", Type: Str},
			Param{Name: "create", Type: Bool, Default: false},
			Param{Name: "marker_begin", Type: Str, Default: "BEGIN"},
			Param{Name: "marker_end", Type: Str, Default: "END"},
		),
		Run: withHomes(runBlockinfile, "path")}
}

func replaceModule() *Module {
	return &Module{Name: "replace", Collection: "ansible.builtin", Check: CheckFull, Diff: true,
		Params: editParams(
			Param{Name: "regexp", Type: Str, Required: true},
			Param{Name: "replace", Type: Str, Default: ""},
			Param{Name: "after", Type: Str},
			Param{Name: "before", Type: Str},
			Param{Name: "encoding", Type: Str, Default: "utf-8", Choices: []string{"utf-8", "utf8", "UTF-8"}},
		),
		Run: withHomes(runReplace, "path")}
}

// compilePy compiles a Python regular expression with Go's RE2: the
// common syntax is the same; lookarounds and backreferences are refused.
func compilePy(param, expr string, flags string) (*regexp.Regexp, error) {
	e := strings.ReplaceAll(expr, `\Z`, `\z`)
	re, err := regexp.Compile(flags + e)
	if err != nil {
		return nil, fmt.Errorf("%s %q cannot be used: %v (remotectl matches with Go's RE2 syntax: no lookaround, no backreference)", param, expr, err)
	}
	return re, nil
}

// pyExpand expands a Python replacement template (\1, \g<1>, \g<name>,
// \n, \\) with a match of re in src.
func pyExpand(re *regexp.Regexp, tmpl string, src string, m []int) string {
	var b strings.Builder
	group := func(i int) {
		if i >= 0 && 2*i+1 < len(m) && m[2*i] >= 0 {
			b.WriteString(src[m[2*i]:m[2*i+1]])
		}
	}
	for i := 0; i < len(tmpl); i++ {
		ch := tmpl[i]
		if ch != '\\' || i+1 == len(tmpl) {
			b.WriteByte(ch)
			continue
		}
		i++
		switch c := tmpl[i]; {
		case c >= '0' && c <= '9':
			j := i + 1
			if j < len(tmpl) && tmpl[j] >= '0' && tmpl[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(tmpl[i:j])
			group(n)
			i = j - 1
		case c == 'g' && i+1 < len(tmpl) && tmpl[i+1] == '<':
			end := strings.IndexByte(tmpl[i:], '>')
			if end < 0 {
				b.WriteString(`\g`)
				continue
			}
			name := tmpl[i+2 : i+end]
			if n, err := strconv.Atoi(name); err == nil {
				group(n)
			} else {
				group(re.SubexpIndex(name))
			}
			i += end
		case c == 'n':
			b.WriteByte('\n')
		case c == 't':
			b.WriteByte('\t')
		case c == 'r':
			b.WriteByte('\r')
		case c == '\\':
			b.WriteByte('\\')
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String()
}

// edited is a text file an edit module works on: its state (links
// followed, as Ansible writes to the real path) and content.
type edited struct {
	c    *Call
	path string // as given
	real string // the path written (links resolved)
	r    *probed
	cur  *pathInfo
	fa   fileAttrs
}

func loadEdited(ctx context.Context, c *Call) (*edited, error) {
	p := c.Args.Str("path")
	fa := attrsOf(c.Args)
	pr := newProbe()
	pr.Path("p", p, true, "", true)
	pr.Raw(fmt.Sprintf(`printf 'rp\treal\t%%s\n' "$(readlink -f -- %s)"`, Quote(p)))
	fa.ask(pr)
	r, err := pr.Run(ctx, c.Host)
	if err != nil {
		return nil, err
	}
	real := r.get("rp", "real")
	if real == "" {
		real = p
	}
	return &edited{c: c, path: p, real: real, r: r, cur: r.path("p"), fa: fa}, nil
}

// me is the uid and gid commands run as (the owner of a new file).
func (r *probed) me() (int, int) {
	var uid, gid int
	fmt.Sscanf(r.get("me", "id"), "%d %d", &uid, &gid)
	return uid, gid
}

// commit writes the new content when it changed (backup, validate), sets
// the attributes, and fills res: changed, msg, backup file under
// backupKey. validateMsg formats a validation failure as the module does.
func (e *edited) commit(ctx context.Context, data []byte, changed bool, msg string, res Result, backupKey string) (Result, error) {
	base := e.cur
	if !e.cur.Exists {
		uid, gid := e.r.me()
		base = &pathInfo{Exists: true, Kind: "file", Perm: 0o666 &^ e.r.umask, UID: uid, GID: gid}
	}
	cmds, attrChanged, err := e.fa.apply(e.real, base, e.r)
	if err != nil {
		return Failed("%v", err), nil
	}
	if d, ok := res["diff"].([]any); ok && len(d) == 2 {
		ad := d[1].(map[string]any)
		before, after := map[string]any{}, map[string]any{}
		e.fa.diff(base, e.r, before, after)
		if len(before) > 0 {
			ad["before"], ad["after"] = before, after
		}
	}
	if attrChanged {
		if changed {
			msg += " and "
		}
		msg += "ownership, perms or SE linux context changed"
	}
	res["changed"], res["msg"] = changed || attrChanged, msg
	if e.c.Check {
		return res, nil
	}
	if changed {
		if !e.cur.Exists {
			out, err := e.c.Host.Run(ctx, Command{Argv: []string{"mkdir", "-p", "--", path.Dir(e.real)}})
			if err != nil {
				return nil, err
			}
			if out.RC != 0 {
				return Failed("Error creating %s (%s)", path.Dir(e.real), strings.TrimSpace(out.Stderr)), nil
			}
		}
		out, err := fileWrite{Path: e.real, Data: data, Cur: e.cur, Attrs: e.fa, Backup: e.c.Args.Bool("backup"),
			Validate: e.c.Args.Str("validate")}.do(ctx, e.c.Host, e.r)
		if err != nil {
			return nil, err
		}
		if f := out.Failed; f != nil {
			if rc, ok := f["exit_status"]; ok {
				return Failed("failed to validate: rc:%v error:%v", rc, f["stderr"]), nil
			}
			return f, nil
		}
		if out.Backup != "" {
			res[backupKey] = out.Backup
		}
		return res, nil
	}
	if attrChanged {
		if _, f, err := act(ctx, e.c.Host, cmds, e.real, false); f != nil || err != nil {
			return f, err
		}
	}
	return res, nil
}

// splitLines splits as Python's readlines: each line keeps its "\n".
func splitLines(s string) []string {
	var lines []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// splitLinesKeepends splits as Python's bytes.splitlines(True): \n, \r\n
// and \r end lines.
func splitLinesKeepends(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			lines = append(lines, s[start:i+1])
			start = i + 1
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			lines = append(lines, s[start:i+1])
			start = i + 1
		}
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

func trimEOL(s string) string { return strings.TrimRight(s, "\r\n") }

// searchLine is Python's re.search on a line read with readlines: $
// matches before the line's newline.
func searchLine(re *regexp.Regexp, line string) []int {
	return re.FindStringSubmatchIndex(strings.TrimSuffix(line, "\n"))
}

// cannotEdit is the failure of a path that is a directory, or a file the
// task's user may not read: Ansible's module fails opening it (a Python
// PermissionError), where going on would replace the file's content
// with the edit alone.
func (e *edited) cannotEdit() Result {
	switch {
	case e.cur.Kind == "directory":
		return Result{"failed": true, "changed": false, "rc": 256, "msg": fmt.Sprintf("Path %s is a directory !", e.path)}
	case e.cur.Exists && !e.cur.Readable:
		return Result{"failed": true, "changed": false, "rc": 1, "msg": "MODULE FAILURE\nSee stdout/stderr for the exact error",
			"module_stderr": fmt.Sprintf("PermissionError: [Errno 13] Permission denied: b'%s'\n", e.real)}
	}
	return nil
}

func (e *edited) diffOf(before, after string) map[string]any {
	h := e.path + " (content)"
	return map[string]any{"before": before, "after": after, "before_header": h, "after_header": h}
}

func runLineinfile(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	switch {
	case a.Has("insertbefore") && a.Has("insertafter"):
		return Failed("parameters are mutually exclusive: insertbefore|insertafter"), nil
	case a.Has("regexp") && a.Has("search_string"):
		return Failed("parameters are mutually exclusive: regexp|search_string"), nil
	case a.Bool("backrefs") && a.Has("search_string"):
		return Failed("parameters are mutually exclusive: backrefs|search_string"), nil
	}
	e, err := loadEdited(ctx, c)
	if err != nil {
		return nil, err
	}
	if f := e.cannotEdit(); f != nil {
		return f, nil
	}
	if a.Str("state") == "absent" {
		return lineAbsent(ctx, e)
	}
	if a.Bool("backrefs") && !a.Has("regexp") {
		return Failed("regexp is required with backrefs=true"), nil
	}
	if !a.Has("line") {
		return Failed("line is required with state=present"), nil
	}
	return linePresent(ctx, e)
}

func linePresent(ctx context.Context, e *edited) (Result, error) {
	a := e.c.Args
	if !e.cur.Exists && !a.Bool("create") {
		return Result{"failed": true, "changed": false, "rc": 257, "msg": fmt.Sprintf("Destination %s does not exist !", e.path)}, nil
	}
	before := string(e.cur.Content)
	lines := splitLines(before)
	line := a.Str("line")
	insBefore, insAfter := a.Str("insertbefore"), a.Str("insertafter")
	if !a.Has("insertbefore") && !a.Has("insertafter") {
		insAfter = "EOF"
	}
	var reM, reIns *regexp.Regexp
	var err error
	if a.Has("regexp") {
		if reM, err = compilePy("regexp", a.Str("regexp"), ""); err != nil {
			return Failed("%v", err), nil
		}
	}
	switch {
	case insAfter != "" && insAfter != "BOF" && insAfter != "EOF":
		reIns, err = compilePy("insertafter", insAfter, "")
	case insBefore != "" && insBefore != "BOF":
		reIns, err = compilePy("insertbefore", insBefore, "")
	}
	if err != nil {
		return Failed("%v", err), nil
	}
	firstmatch := a.Bool("firstmatch")
	index := [2]int{-1, -1}
	var match []int
	matchLine := ""
	if reM != nil {
		for i, l := range lines {
			if m := searchLine(reM, l); m != nil {
				index[0], match, matchLine = i, m, strings.TrimSuffix(l, "\n")
				if firstmatch {
					break
				}
			}
		}
	}
	if s := a.Str("search_string"); a.Has("search_string") {
		for i, l := range lines {
			if strings.Contains(l, s) {
				index[0], match = i, []int{0, 0}
				if firstmatch {
					break
				}
			}
		}
	}
	if match == nil {
		for i, l := range lines {
			if trimEOL(l) == line {
				index[0] = i
			} else if reIns != nil && searchLine(reIns, l) != nil {
				if insAfter != "" {
					index[1] = i + 1
				} else {
					index[1] = i
				}
				if firstmatch {
					break
				}
			}
		}
	}
	msg, changed := "", false
	add := func(at int) {
		lines = append(lines[:at], append([]string{line + "\n"}, lines[at:]...)...)
		msg, changed = "line added", true
	}
	switch {
	case index[0] != -1:
		newLine := line
		if a.Bool("backrefs") && match != nil && reM != nil {
			newLine = pyExpand(reM, line, matchLine, match)
		}
		if !strings.HasSuffix(newLine, "\n") {
			newLine += "\n"
		}
		if lines[index[0]] != newLine {
			lines[index[0]] = newLine
			msg, changed = "line replaced", true
		}
	case a.Bool("backrefs"):
	case insBefore == "BOF" || insAfter == "BOF":
		add(0)
	case insAfter == "EOF" || index[1] == -1:
		if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") && !strings.HasSuffix(lines[n-1], "\r") {
			lines = append(lines, "\n")
		}
		lines = append(lines, line+"\n")
		msg, changed = "line added", true
	case insAfter != "" && index[1] != -1:
		if len(lines) == index[1] {
			if trimEOL(lines[index[1]-1]) != line {
				lines = append(lines, line+"\n")
				msg, changed = "line added", true
			}
		} else if trimEOL(lines[index[1]]) != line {
			add(index[1])
		}
	default:
		add(index[1])
	}
	after := strings.Join(lines, "")
	res := Result{"backup": ""}
	if e.c.Diff {
		res["diff"] = []any{e.diffOf(before, after), map[string]any{"before_header": e.path + " (file attributes)", "after_header": e.path + " (file attributes)"}}
	}
	if e.c.Check && !e.cur.Exists {
		res["changed"], res["msg"] = changed, msg
		return res, nil
	}
	return e.commit(ctx, []byte(after), changed, msg, res, "backup")
}

func lineAbsent(ctx context.Context, e *edited) (Result, error) {
	a := e.c.Args
	if !a.Has("regexp") && !a.Has("search_string") && !a.Has("line") {
		return Failed("one of line, search_string, or regexp is required with state=absent"), nil
	}
	if !e.cur.Exists {
		return Result{"changed": false, "msg": "file not present"}, nil
	}
	var re *regexp.Regexp
	var err error
	if a.Has("regexp") {
		if re, err = compilePy("regexp", a.Str("regexp"), ""); err != nil {
			return Failed("%v", err), nil
		}
	}
	before := string(e.cur.Content)
	var kept []string
	found := 0
	for _, l := range splitLines(before) {
		var hit bool
		switch {
		case re != nil:
			hit = searchLine(re, l) != nil
		case a.Has("search_string"):
			hit = strings.Contains(l, a.Str("search_string"))
		default:
			hit = trimEOL(l) == a.Str("line")
		}
		if hit {
			found++
			continue
		}
		kept = append(kept, l)
	}
	after := strings.Join(kept, "")
	msg := ""
	if found > 0 {
		msg = fmt.Sprintf("%d line(s) removed", found)
	}
	res := Result{"backup": "", "found": found}
	if e.c.Diff {
		res["diff"] = []any{e.diffOf(before, after), map[string]any{"before_header": e.path + " (file attributes)", "after_header": e.path + " (file attributes)"}}
	}
	return e.commit(ctx, []byte(after), found > 0, msg, res, "backup")
}

func runBlockinfile(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	if a.Has("insertbefore") && a.Has("insertafter") {
		return Failed("parameters are mutually exclusive: insertbefore|insertafter"), nil
	}
	e, err := loadEdited(ctx, c)
	if err != nil {
		return nil, err
	}
	if f := e.cannotEdit(); f != nil {
		return f, nil
	}
	present := a.Str("state") == "present"
	if !e.cur.Exists {
		if !a.Bool("create") {
			return Result{"failed": true, "changed": false, "rc": 257, "msg": fmt.Sprintf("Path %s does not exist !", e.path)}, nil
		}
		if !present {
			return Result{"changed": false, "msg": fmt.Sprintf("File %s not present", e.path)}, nil
		}
	}
	original := string(e.cur.Content)
	lines := splitLinesKeepends(original)
	insBefore, insAfter := a.Str("insertbefore"), a.Str("insertafter")
	if !a.Has("insertbefore") && !a.Has("insertafter") {
		insAfter = "EOF"
	}
	var insRe *regexp.Regexp
	var insExpr string
	switch {
	case insAfter != "" && insAfter != "EOF":
		insExpr = insAfter
	case insBefore != "" && insBefore != "BOF":
		insExpr = insBefore
	}
	if insExpr != "" {
		if insRe, err = compilePy("insertafter/insertbefore", insExpr, ""); err != nil {
			return Failed("%v", err), nil
		}
	}
	marker := a.Str("marker")
	marker0 := strings.ReplaceAll(marker, "{mark}", a.Str("marker_begin")) + "\n"
	marker1 := strings.ReplaceAll(marker, "{mark}", a.Str("marker_end")) + "\n"
	var blockLines []string
	if block := a.Str("block"); present && block != "" {
		if !strings.HasSuffix(block, "\n") {
			block += "\n"
		}
		blockLines = append(append([]string{marker0}, splitLinesKeepends(block)...), marker1)
	}
	n0, n1 := -1, -1
	for i, l := range lines {
		if l == marker0 {
			n0 = i
		}
		if l == marker1 {
			n1 = i
		}
	}
	switch {
	case n0 == -1 || n1 == -1:
		n0 = -1
		if insRe != nil {
			if strings.Contains(insExpr, "(?m") || strings.Contains(insExpr, "(?sm") || strings.Contains(insExpr, "(?ms") {
				if m := insRe.FindStringIndex(original); m != nil {
					if insAfter != "" {
						n0 = strings.Count(original[:m[1]], "\n")
					} else {
						n0 = strings.Count(original[:m[0]], "\n")
					}
				}
			} else {
				for i, l := range lines {
					if insRe.MatchString(strings.TrimSuffix(l, "\n")) {
						n0 = i
					}
				}
			}
			if n0 == -1 {
				n0 = len(lines)
			} else if insAfter != "" {
				n0++
			}
		} else if insBefore != "" {
			n0 = 0
		} else {
			n0 = len(lines)
		}
	case n0 < n1:
		lines = append(lines[:n0], lines[n1+1:]...)
	default:
		lines = append(lines[:n1], lines[n0+1:]...)
		n0 = n1
	}
	if n0 > len(lines) {
		n0 = len(lines)
	}
	if n0 > 0 && !strings.HasSuffix(lines[n0-1], "\n") {
		lines[n0-1] += "\n"
	}
	lines = append(lines[:n0], append(blockLines, lines[n0:]...)...)
	result := strings.Join(lines, "")
	msg, changed := "", false
	switch {
	case e.cur.Exists && original == result:
	case !e.cur.Exists:
		msg, changed = "File created", true
	case blockLines == nil:
		msg, changed = "Block removed", true
	default:
		msg, changed = "Block inserted", true
	}
	res := Result{}
	diff := e.diffOf(original, result)
	if e.c.Check && !e.cur.Exists {
		res["changed"], res["msg"] = changed, msg
		if c.Diff {
			res["diff"] = diff
		}
		return res, nil
	}
	if c.Diff {
		res["diff"] = []any{diff, map[string]any{"before_header": e.path + " (file attributes)", "after_header": e.path + " (file attributes)"}}
	}
	return e.commit(ctx, []byte(result), changed, msg, res, "backup_file")
}

func runReplace(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	e, err := loadEdited(ctx, c)
	if err != nil {
		return nil, err
	}
	if f := e.cannotEdit(); f != nil {
		return f, nil
	}
	if !e.cur.Exists {
		return Result{"failed": true, "changed": false, "rc": 257, "msg": fmt.Sprintf("Path %s does not exist !", e.path)}, nil
	}
	contents := string(e.cur.Content)
	section, start, end := contents, 0, len(contents)
	pattern := ""
	switch after, before := a.Str("after"), a.Str("before"); {
	case after != "" && before != "":
		pattern = after + "(?P<subsection>.*?)" + before
	case after != "":
		pattern = after + "(?P<subsection>.*)"
	case before != "":
		pattern = "(?P<subsection>.*)" + before
	}
	if pattern != "" {
		sre, err := compilePy("after/before", pattern, "(?s)")
		if err != nil {
			return Failed("%v", err), nil
		}
		m := sre.FindStringSubmatchIndex(contents)
		if m == nil {
			return Result{"rc": 0, "changed": false, "msg": "Pattern for before/after params did not match the given file: " + pattern}, nil
		}
		i := sre.SubexpIndex("subsection")
		section, start, end = contents[m[2*i]:m[2*i+1]], m[2*i], m[2*i+1]
	}
	re, err := compilePy("regexp", a.Str("regexp"), "(?m)")
	if err != nil {
		return Failed("%v", err), nil
	}
	var b strings.Builder
	last, n := 0, 0
	for _, m := range re.FindAllStringSubmatchIndex(section, -1) {
		b.WriteString(section[last:m[0]])
		b.WriteString(pyExpand(re, a.Str("replace"), section, m))
		last = m[1]
		n++
	}
	b.WriteString(section[last:])
	replaced := b.String()
	res := Result{"rc": 0}
	changed, msg := false, ""
	result := contents
	if n > 0 && replaced != section {
		result = contents[:start] + replaced + contents[end:]
		changed, msg = true, fmt.Sprintf("%d replacements made", n)
		if c.Diff {
			res["diff"] = map[string]any{"before_header": e.path, "before": contents, "after_header": e.path, "after": result}
		}
	}
	return e.commit(ctx, []byte(result), changed, msg, res, "backup_file")
}
