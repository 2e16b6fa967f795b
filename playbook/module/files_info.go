package module

import (
	"context"
	"encoding/base64"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

func statModule() *Module {
	return &Module{Name: "stat", Collection: "ansible.builtin", Check: CheckFull,
		Params: []Param{
			{Name: "path", Aliases: []string{"dest", "name"}, Type: Path, Required: true},
			{Name: "follow", Type: Bool, Default: false},
			{Name: "get_md5", Type: Bool, Default: false},
			{Name: "get_checksum", Type: Bool, Default: true},
			{Name: "get_mime", Aliases: []string{"mime", "mime_type", "mime-type"}, Type: Bool, Default: true},
			{Name: "get_attributes", Aliases: []string{"attr", "attributes"}, Type: Bool, Default: true},
			{Name: "checksum_algorithm", Aliases: []string{"checksum", "checksum_algo"}, Type: Str, Default: "sha1",
				Choices: []string{"md5", "sha1", "sha224", "sha256", "sha384", "sha512"}},
		},
		Run: withHomes(runStat, "path")}
}

func slurpModule() *Module {
	return &Module{Name: "slurp", Collection: "ansible.builtin", Check: CheckFull,
		Params: []Param{{Name: "src", Aliases: []string{"path"}, Type: Path, Required: true}},
		Run:    withHomes(runSlurp, "src")}
}

func findModule() *Module {
	return &Module{Name: "find", Collection: "ansible.builtin", Check: CheckFull,
		Params: []Param{
			{Name: "paths", Aliases: []string{"name", "path"}, Type: List, Elements: Str, Required: true},
			{Name: "patterns", Aliases: []string{"pattern"}, Type: List, Elements: Str, Default: []any{}},
			{Name: "excludes", Aliases: []string{"exclude"}, Type: List, Elements: Str},
			{Name: "contains", Type: Str},
			{Name: "read_whole_file", Type: Bool, Default: false},
			{Name: "file_type", Type: Str, Default: "file", Choices: []string{"any", "directory", "file", "link"}},
			{Name: "age", Type: Str},
			{Name: "age_stamp", Type: Str, Default: "mtime", Choices: []string{"atime", "ctime", "mtime"}},
			{Name: "size", Type: Str},
			{Name: "recurse", Type: Bool, Default: false},
			{Name: "hidden", Type: Bool, Default: false},
			{Name: "follow", Type: Bool, Default: false},
			{Name: "get_checksum", Type: Bool, Default: false},
			{Name: "use_regex", Type: Bool, Default: false},
			{Name: "depth", Type: Int},
		},
		Run: withHomes(runFind, "paths")}
}

func tempfileModule() *Module {
	return &Module{Name: "tempfile", Collection: "ansible.builtin", Check: CheckNone,
		Params: []Param{
			{Name: "state", Type: Str, Default: "file", Choices: []string{"file", "directory"}},
			{Name: "path", Type: Path},
			{Name: "prefix", Type: Str, Default: "ansible."},
			{Name: "suffix", Type: Str, Default: ""},
		},
		Run: withHomes(runTempfile, "path")}
}

// statFormat is stat(1)'s format for the stat and find modules: raw
// mode (hex), size, ids, inode, device, links, times, blocks, block
// size, device major and minor (hex), names.
const statFormat = `%f|%s|%u|%g|%i|%d|%h|%.9X|%.9Y|%.9Z|%b|%o|%t|%T|%U|%G`

var fileAttributeNames = map[rune]string{'A': "noatime", 'a': "append", 'c': "compressed", 'C': "nocow", 'd': "nodump",
	'D': "dirsync", 'e': "extents", 'E': "encrypted", 'h': "blocksize", 'i': "immutable", 'I': "indexed", 'j': "journalled",
	'N': "inline", 's': "zero", 'S': "synchronous", 't': "notail", 'T': "blockroot", 'u': "undelete", 'X': "compressedraw",
	'Z': "compresseddirty"}

func runStat(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	p := a.Str("path")
	flag, exists := "", `[ -e "$p" ] || [ -L "$p" ]`
	if a.Bool("follow") {
		flag, exists = "-L", `[ -e "$p" ]`
	}
	var s strings.Builder
	fmt.Fprintf(&s, "p=%s\nif %s; then\n", Quote(p), exists)
	fmt.Fprintf(&s, "printf 'stat\\t%%s\\n' \"$(stat %s -c '%s' -- \"$p\")\"\n", flag, statFormat)
	s.WriteString(`_a=; [ -r "$p" ] && _a=r; [ -w "$p" ] && _a=${_a}w; [ -x "$p" ] && _a=${_a}x; printf 'access\t%s\n' "$_a"` + "\n")
	s.WriteString(`if [ -L "$p" ]; then printf 'real\t%s\n' "$(readlink -f -- "$p")"; printf 'target\t%s\n' "$(readlink -- "$p")"; fi` + "\n")
	if a.Bool("get_checksum") {
		fmt.Fprintf(&s, "if [ -f \"$p\" ] && [ -r \"$p\" ]; then printf 'checksum\\t%%s\\n' \"$(%ssum < \"$p\" | cut -d' ' -f1)\"; fi\n", a.Str("checksum_algorithm"))
	}
	if a.Bool("get_md5") {
		s.WriteString(`if [ -f "$p" ] && [ -r "$p" ]; then printf 'md5\t%s\n' "$(md5sum < "$p" | cut -d' ' -f1)"; fi` + "\n")
	}
	if a.Bool("get_mime") {
		s.WriteString(`if command -v file >/dev/null 2>&1; then printf 'mime\t%s\n' "$(file --mime-type --mime-encoding -- "$p" 2>/dev/null)"; fi` + "\n")
	}
	if a.Bool("get_attributes") {
		s.WriteString(`if command -v lsattr >/dev/null 2>&1; then _x=$(lsattr -vd -- "$p" 2>/dev/null) && printf 'attr\t%s\n' "$_x"; fi` + "\n")
	}
	s.WriteString("else echo none; fi\n")
	out, err := c.Host.Run(ctx, Command{Script: s.String()})
	if err != nil {
		return nil, err
	}
	kv := map[string]string{}
	for _, line := range strings.Split(out.Stdout, "\n") {
		k, v, _ := strings.Cut(line, "\t")
		kv[k] = v
	}
	if _, none := kv["none"]; none || kv["stat"] == "" {
		return Result{"changed": false, "stat": map[string]any{"exists": false}}, nil
	}
	st := statInfo(kv["stat"], false)
	st["exists"], st["path"] = true, p
	access := kv["access"]
	st["readable"], st["writeable"], st["executable"] = strings.Contains(access, "r"), strings.Contains(access, "w"), strings.Contains(access, "x")
	if st["islnk"] == true {
		st["lnk_source"], st["lnk_target"] = kv["real"], kv["target"]
	}
	if st["isreg"] == true && st["readable"] == true {
		if v, ok := kv["checksum"]; ok {
			st["checksum"] = v
		}
		if v, ok := kv["md5"]; ok {
			st["md5"] = v
		}
	}
	if a.Bool("get_mime") {
		st["mimetype"], st["charset"] = "unknown", "unknown"
		if m, ok := kv["mime"]; ok {
			if i := strings.LastIndex(m, ":"); i >= 0 {
				if t, cs, ok := strings.Cut(m[i+1:], ";"); ok {
					st["mimetype"] = strings.TrimSpace(t)
					if _, v, ok := strings.Cut(cs, "="); ok {
						st["charset"] = strings.TrimSpace(v)
					}
				}
			}
		}
	}
	if a.Bool("get_attributes") {
		st["version"], st["attributes"], st["attr_flags"] = nil, []any{}, ""
		if f := strings.Fields(kv["attr"]); len(f) >= 2 {
			flags := strings.ReplaceAll(f[1], "-", "")
			st["version"], st["attr_flags"] = f[0], flags
			attrs := []any{}
			for _, r := range flags {
				if n, ok := fileAttributeNames[r]; ok {
					attrs = append(attrs, n)
				}
			}
			st["attributes"] = attrs
		}
	}
	return Result{"changed": false, "stat": st}, nil
}

// statInfo turns a line of statFormat into Ansible's stat keys (the
// stat module's; forFind: the find module's, names "" when unknown).
func statInfo(line string, forFind bool) map[string]any {
	f := strings.Split(line, "|")
	for len(f) < 16 {
		f = append(f, "")
	}
	raw, _ := strconv.ParseUint(f[0], 16, 32)
	mode := uint32(raw)
	num := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	flt := func(s string) float64 { x, _ := strconv.ParseFloat(s, 64); return x }
	typ := mode & 0o170000
	st := map[string]any{
		"mode":  fmt.Sprintf("%04o", mode&0o7777),
		"isdir": typ == 0o040000, "ischr": typ == 0o020000, "isblk": typ == 0o060000, "isreg": typ == 0o100000,
		"isfifo": typ == 0o010000, "islnk": typ == 0o120000, "issock": typ == 0o140000,
		"uid": num(f[2]), "gid": num(f[3]), "size": num(f[1]), "inode": num(f[4]), "dev": num(f[5]), "nlink": num(f[6]),
		"atime": flt(f[7]), "mtime": flt(f[8]), "ctime": flt(f[9]),
		"wusr": mode&0o200 != 0, "rusr": mode&0o400 != 0, "xusr": mode&0o100 != 0,
		"wgrp": mode&0o020 != 0, "rgrp": mode&0o040 != 0, "xgrp": mode&0o010 != 0,
		"woth": mode&0o002 != 0, "roth": mode&0o004 != 0, "xoth": mode&0o001 != 0,
		"isuid": mode&0o4000 != 0, "isgid": mode&0o2000 != 0,
	}
	pw, gr := f[14], f[15]
	if forFind {
		if pw == "UNKNOWN" {
			pw = ""
		}
		if gr == "UNKNOWN" {
			gr = ""
		}
		st["pw_name"], st["gr_name"] = pw, gr
		return st
	}
	major, _ := strconv.ParseUint(f[12], 16, 64)
	minor, _ := strconv.ParseUint(f[13], 16, 64)
	st["blocks"], st["block_size"] = num(f[10]), num(f[11])
	st["device_type"] = int64(minor&0xff | (major&0xfff)<<8 | (minor&^0xff)<<12 | (major&^0xfff)<<32)
	if pw != "UNKNOWN" {
		st["pw_name"] = pw
	}
	if gr != "UNKNOWN" {
		st["gr_name"] = gr
	}
	return st
}

func runSlurp(ctx context.Context, c *Call) (Result, error) {
	src := c.Args.Str("src")
	script := fmt.Sprintf(`p=%s
if [ -d "$p" ]; then echo dir; elif [ ! -e "$p" ]; then echo none; elif [ ! -r "$p" ]; then echo unreadable; else echo ok; base64 -w0 < "$p"; fi`, Quote(src))
	out, err := c.Host.Run(ctx, Command{Script: script})
	if err != nil {
		return nil, err
	}
	status, data, _ := strings.Cut(out.Stdout, "\n")
	switch status {
	case "dir":
		return Failed("source is a directory and must be a file: %s", src), nil
	case "none":
		return Failed("file not found: %s", src), nil
	case "unreadable":
		return Failed("file is not readable: %s", src), nil
	case "ok":
		return Result{"changed": false, "content": strings.TrimSpace(data), "source": src, "encoding": "base64"}, nil
	}
	return Failed("unable to slurp file: %s", strings.TrimSpace(out.Stderr)), nil
}

func runTempfile(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	prefix, suffix := a.Str("prefix"), a.Str("suffix")
	dir := a.Str("path")
	dirExpr := `"${TMPDIR:-/tmp}"`
	if dir != "" {
		dirExpr = Quote(dir)
	}
	flag := ""
	if a.Str("state") == "directory" {
		flag = "-d "
	}
	script := fmt.Sprintf("%s_t=$(mktemp %s-p %s --suffix=%s %s) || exit 1\n_p f \"$_t\" 0 '' 0\nprintf 't\\tpath\\t%%s\\n' \"$_t\"\n",
		probeFuncs, flag, dirExpr, Quote(suffix), Quote(prefix+"XXXXXXXX"))
	out, err := c.Host.Run(ctx, Command{Script: script})
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return Failed("%s", strings.TrimSpace(out.Stderr)), nil
	}
	r := parseProbe(out.Stdout)
	return pathResult(Result{"changed": true, "path": r.get("t", "path")}, r.path("f")), nil
}

// fnmatchRegexp translates a shell pattern as Python's fnmatch.translate.
func fnmatchRegexp(pat string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)^")
	for i := 0; i < len(pat); i++ {
		switch ch := pat[i]; ch {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := i + 1
			if j < len(pat) && pat[j] == '!' {
				j++
			}
			if j < len(pat) && pat[j] == ']' {
				j++
			}
			for j < len(pat) && pat[j] != ']' {
				j++
			}
			if j >= len(pat) {
				b.WriteString(`\[`)
				continue
			}
			set := pat[i+1 : j]
			set = strings.ReplaceAll(set, `\`, `\\`)
			if strings.HasPrefix(set, "!") {
				set = "^" + set[1:]
			} else if strings.HasPrefix(set, "^") {
				set = `\` + set
			}
			b.WriteString("[" + set + "]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return regexp.MustCompile(regexp.QuoteMeta(pat))
	}
	return re
}

// nameFilter is find's pfilter: patterns, then excludes.
type nameFilter struct {
	patterns, excludes []*regexp.Regexp
}

func newNameFilter(patterns, excludes []string, useRegex bool) (*nameFilter, error) {
	f := &nameFilter{}
	comp := func(p string) (*regexp.Regexp, error) {
		if !useRegex {
			return fnmatchRegexp(p), nil
		}
		return compilePy("pattern", p, "") // re.match: anchored at the start below
	}
	for _, p := range patterns {
		re, err := comp(p)
		if err != nil {
			return nil, err
		}
		f.patterns = append(f.patterns, re)
	}
	for _, p := range excludes {
		re, err := comp(p)
		if err != nil {
			return nil, err
		}
		f.excludes = append(f.excludes, re)
	}
	return f, nil
}

// matchStart is Python's re.match: a match at the start (RE2's leftmost
// match starts at 0 when any does).
func matchStart(re *regexp.Regexp, s string) bool {
	m := re.FindStringIndex(s)
	return m != nil && m[0] == 0
}

func (f *nameFilter) match(name string) bool {
	if len(f.patterns) == 0 && len(f.excludes) == 0 {
		return true
	}
	for _, p := range f.patterns {
		if matchStart(p, name) {
			for _, e := range f.excludes {
				if matchStart(e, name) {
					return false
				}
			}
			return true
		}
	}
	return false
}

var ageRe = regexp.MustCompile(`^(-?\d+)(s|m|h|d|w)?$`)
var sizeRe = regexp.MustCompile(`^(-?\d+)(b|k|m|g|t)?$`)

func runFind(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	patterns := a.Strings("patterns")
	if len(patterns) == 0 {
		patterns = []string{"*"}
		if a.Bool("use_regex") {
			patterns = []string{".*"}
		}
	}
	filter, err := newNameFilter(patterns, a.Strings("excludes"), a.Bool("use_regex"))
	if err != nil {
		return Failed("%v", err), nil
	}
	var age, size *int64
	if s := a.Str("age"); a.Has("age") {
		m := ageRe.FindStringSubmatch(strings.ToLower(s))
		if m == nil {
			return Result{"failed": true, "changed": false, "age": s, "msg": "failed to process age"}, nil
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		n *= map[string]int64{"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m[2]]
		age = &n
	}
	if s := a.Str("size"); a.Has("size") {
		m := sizeRe.FindStringSubmatch(strings.ToLower(s))
		if m == nil {
			return Result{"failed": true, "changed": false, "size": s, "msg": "failed to process size"}, nil
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		n *= map[string]int64{"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m[2]]
		size = &n
	}
	var contains *regexp.Regexp
	if a.Has("contains") {
		if contains, err = compilePy("contains", a.Str("contains"), ""); err != nil {
			return Failed("%v", err), nil
		}
	}
	depth := a.Int("depth")
	var s strings.Builder
	s.WriteString("date +'now\t%s.%N'\n")
	follow := ""
	if a.Bool("follow") {
		follow = "-L "
	}
	maxdepth := ""
	switch {
	case !a.Bool("recurse"):
		maxdepth = "-maxdepth 1 "
	case depth > 0:
		maxdepth = fmt.Sprintf("-maxdepth %d ", depth+1)
	}
	paths := a.Strings("paths")
	for i, p := range paths {
		fmt.Fprintf(&s, "if [ -d %s ]; then find %s%s -mindepth 1 %s-exec stat -c '%d\t%%n\t%s' {} +; else echo '%d\tnotdir'; fi\n",
			Quote(p), follow, Quote(p), maxdepth, i, statFormat, i)
	}
	out, err := c.Host.Run(ctx, Command{Script: s.String()})
	if err != nil {
		return nil, err
	}
	now := 0.0
	files := []any{}
	skipped := map[string]any{}
	examined := 0
	var checksums []string
	for _, line := range strings.Split(out.Stdout, "\n") {
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) < 2 {
			continue
		}
		if parts[0] == "now" {
			now, _ = strconv.ParseFloat(parts[1], 64)
			continue
		}
		i, _ := strconv.Atoi(parts[0])
		if i >= len(paths) {
			continue
		}
		root := paths[i]
		if parts[1] == "notdir" {
			skipped[root] = fmt.Sprintf("'%s' is not a directory", root)
			continue
		}
		if len(parts) < 3 {
			continue
		}
		name := path.Clean(parts[1])
		examined++
		rel := strings.TrimPrefix(name, strings.TrimSuffix(root, "/")+"/")
		if depth > 0 && strings.Count(rel, "/")+1 > depth {
			continue
		}
		base := path.Base(name)
		if strings.HasPrefix(base, ".") && !a.Bool("hidden") {
			continue
		}
		st := statInfo(parts[2], true)
		if !findKeep(a, st, base, filter, now, age, size) {
			continue
		}
		st["path"] = name
		if st["isreg"] == true && (contains != nil || a.Bool("get_checksum")) {
			checksums = append(checksums, name)
		}
		files = append(files, st)
	}
	if len(checksums) > 0 {
		if files, err = findContent(ctx, c, files, checksums, contains); err != nil {
			return nil, err
		}
	}
	msg := "All paths examined"
	if len(skipped) > 0 {
		msg = "Not all paths examined, check warnings for details"
	}
	return Result{"changed": false, "files": files, "msg": msg, "matched": len(files), "examined": examined,
		"skipped_paths": skipped}, nil
}

// findKeep is find's filters of one entry by type, name, age and size.
func findKeep(a Args, st map[string]any, base string, filter *nameFilter, now float64, age, size *int64) bool {
	ft := a.Str("file_type")
	switch {
	case ft == "any":
	case ft == "directory" && st["isdir"] == true:
	case ft == "file" && st["isreg"] == true:
	case ft == "link" && st["islnk"] == true:
	default:
		return false
	}
	if !filter.match(base) {
		return false
	}
	if age != nil {
		stamp, _ := st[a.Str("age_stamp")].(float64)
		d := now - stamp
		if *age >= 0 && d < float64(*age) || *age < 0 && d > float64(-*age) {
			return false
		}
	}
	if size != nil && (ft == "file" || ft == "any" && st["isreg"] == true) {
		sz, _ := st["size"].(int64)
		if *size >= 0 && sz < *size || *size < 0 && sz > -*size {
			return false
		}
	}
	return true
}

// findContent reads the matched regular files once more for contains
// (re.match on each line, or re.search on the whole file) and
// get_checksum.
func findContent(ctx context.Context, c *Call, files []any, names []string, contains *regexp.Regexp) ([]any, error) {
	var s strings.Builder
	for i, n := range names {
		if contains != nil {
			fmt.Fprintf(&s, "printf '%d\\tb64\\t%%s\\n' \"$(base64 -w0 < %s 2>/dev/null)\"\n", i, Quote(n))
		}
		if c.Args.Bool("get_checksum") {
			fmt.Fprintf(&s, "printf '%d\\tsha1\\t%%s\\n' \"$(sha1sum < %s | cut -d' ' -f1)\"\n", i, Quote(n))
		}
	}
	out, err := c.Host.Run(ctx, Command{Script: s.String()})
	if err != nil {
		return nil, err
	}
	byName := map[string]map[string]string{}
	for _, line := range strings.Split(out.Stdout, "\n") {
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) < 3 {
			continue
		}
		i, _ := strconv.Atoi(parts[0])
		if i < len(names) {
			if byName[names[i]] == nil {
				byName[names[i]] = map[string]string{}
			}
			byName[names[i]][parts[1]] = parts[2]
		}
	}
	var kept []any
	for _, f := range files {
		st := f.(map[string]any)
		info := byName[st["path"].(string)]
		if st["isreg"] == true && info != nil {
			if contains != nil && c.Args.Str("file_type") == "file" {
				data, _ := base64.StdEncoding.DecodeString(info["b64"])
				if !containsMatch(contains, string(data), c.Args.Bool("read_whole_file")) {
					continue
				}
			}
			if v, ok := info["sha1"]; ok {
				st["checksum"] = v
			}
		}
		kept = append(kept, st)
	}
	if kept == nil {
		kept = []any{}
	}
	return kept, nil
}

func containsMatch(re *regexp.Regexp, data string, whole bool) bool {
	if whole {
		return re.MatchString(data)
	}
	for _, l := range splitLines(data) {
		if matchStart(re, strings.TrimSuffix(l, "\n")) {
			return true
		}
	}
	return false
}
