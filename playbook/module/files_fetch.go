package module

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

func fetchModule() *Module {
	return &Module{Name: "fetch", Collection: "ansible.builtin", Check: CheckNone,
		Params: []Param{
			{Name: "src", Type: Str, Required: true},
			{Name: "dest", Type: Str, Required: true},
			{Name: "flat", Type: Bool, Default: false},
			{Name: "fail_on_missing", Type: Bool, Default: true},
			{Name: "validate_checksum", Type: Bool, Default: true},
		},
		Run: withHomes(runFetch, "src")}
}

func unarchiveModule() *Module {
	return &Module{Name: "unarchive", Collection: "ansible.builtin", Check: CheckFull,
		Params: append([]Param{
			{Name: "src", Type: Path, Required: true},
			{Name: "dest", Type: Path, Required: true},
			{Name: "remote_src", Type: Bool},
			// copy is the deprecated inverse of remote_src (copy: false)
			{Name: "copy", Type: Bool},
			{Name: "creates", Type: Path},
			{Name: "list_files", Type: Bool, Default: false},
			{Name: "keep_newer", Type: Bool, Default: false},
			{Name: "exclude", Type: List, Elements: Str, Default: []any{}},
			{Name: "extra_opts", Type: List, Elements: Str, Default: []any{}},
		}, commonParams()...),
		Run: withHomes(runUnarchive, "dest", "creates")}
}

func runFetch(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	src, dest := a.Str("src"), a.Str("dest")
	failOnMissing := a.Bool("fail_on_missing")
	p := newProbe()
	p.Path("s", src, true, "sha1", false)
	r, err := p.Run(ctx, c.Host)
	if err != nil {
		return nil, err
	}
	s := r.path("s")
	switch {
	case s.Exists && s.Kind == "directory":
		res := Result{"failed": true, "changed": false, "msg": "remote file is a directory, fetch cannot work on directories"}
		if !failOnMissing {
			res = Result{"msg": "remote file is a directory, fetch cannot work on directories, not transferring, ignored"}
		}
		return res, nil
	case !s.Exists:
		res := Result{"changed": false, "file": src, "msg": "the remote file does not exist, not transferring, ignored"}
		if failOnMissing {
			res = Result{"failed": true, "changed": false, "msg": "the remote file does not exist, not transferring, ignored"}
		}
		return res, nil
	case !s.Readable:
		res := Result{"changed": false, "file": src, "msg": "file is not readable: " + src}
		if failOnMissing {
			res["failed"] = true
		}
		return res, nil
	}
	remoteSum := s.Sums["sha1"]
	if a.Bool("flat") {
		if info, err := os.Stat(dest); err == nil && info.IsDir() && !strings.HasSuffix(dest, "/") {
			return Failed("dest is an existing directory, use a trailing slash if you want to fetch src into that directory"), nil
		}
		if strings.HasSuffix(dest, "/") {
			dest += path.Base(src)
		}
	} else {
		dest = dest + "/" + c.Host.Name() + "/" + src
	}
	if !filepath.IsAbs(dest) && c.Controller != nil { // relative to the playbook, as Ansible's path_dwim
		dest = filepath.Join(c.Controller.BaseDir(), dest)
	}
	if !filepath.IsAbs(dest) {
		if abs, err := filepath.Abs(dest); err == nil {
			dest = abs
		}
	}
	dest = filepath.Clean(dest)
	local, _ := os.ReadFile(dest)
	localSum := ""
	if local != nil {
		localSum = sha1Hex(local)
	}
	if localSum == remoteSum {
		return Result{"changed": false, "md5sum": md5Hex(local), "file": src, "dest": dest, "checksum": localSum}, nil
	}
	data, err := c.Host.ReadFile(ctx, src)
	if err != nil {
		return Failed("Failed to fetch the file: %v", err), nil
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return Failed("Failed to fetch the file: %v", err), nil
	}
	if err := os.WriteFile(dest, data, 0o644); err != nil {
		return Failed("Failed to fetch the file: %v", err), nil
	}
	newSum := sha1Hex(data)
	if a.Bool("validate_checksum") && newSum != remoteSum {
		return Result{"failed": true, "changed": false, "md5sum": md5Hex(data), "msg": "checksum mismatch", "file": src, "dest": dest,
			"remote_md5sum": nil, "checksum": newSum, "remote_checksum": remoteSum}, nil
	}
	return Result{"changed": true, "md5sum": md5Hex(data), "dest": dest, "remote_md5sum": nil, "checksum": newSum,
		"remote_checksum": remoteSum}, nil
}

// The lines of tar --diff that say the archive is not unpacked, as
// Ansible's TgzArchive.is_unarchived filters them.
var (
	tarOwnerDiff   = regexp.MustCompile(`: Uid differs$`)
	tarGroupDiff   = regexp.MustCompile(`: Gid differs$`)
	tarModeDiff    = regexp.MustCompile(`: Mode differs$`)
	tarMtimeDiff   = regexp.MustCompile(`: Mod time differs$`)
	tarEmptyFile   = regexp.MustCompile(`: : Warning: Cannot stat: No such file or directory$`)
	tarMissingFile = regexp.MustCompile(`: Warning: Cannot stat: No such file or directory$`)
	tarBadOwner    = regexp.MustCompile(`: Invalid owner`)
	tarBadGroup    = regexp.MustCompile(`: Invalid group`)
)

// unarchiveGather is the script that finds the archive's handler, lists
// its files and says whether dest already holds them.
func unarchiveGather(src, dest string, a Args, tarOpts []string) string {
	var excl []string
	for _, e := range a.Strings("exclude") {
		excl = append(excl, Quote("--exclude="+e))
	}
	var zipExcl string
	if ex := a.Strings("exclude"); len(ex) > 0 {
		var q []string
		for _, e := range ex {
			q = append(q, Quote(e))
		}
		zipExcl = " -x " + strings.Join(q, " ")
	}
	return probeFuncs + fmt.Sprintf(`s=%s; d=%s
_p dd "$d" 1 '' 0
if [ ! -e "$s" ]; then echo 'R	nosrc'; exit 0; fi
if [ ! -r "$s" ]; then echo 'R	unreadable'; exit 0; fi
if [ ! -s "$s" ]; then echo 'R	empty'; exit 0; fi
if [ ! -d "$d" ]; then echo 'R	notdir'; exit 0; fi
h=; f=
if command -v unzip >/dev/null 2>&1 && unzip -Z1 "$s" >/dev/null 2>&1; then h=ZipArchive
elif tar -tzf "$s" >/dev/null 2>&1; then h=TgzArchive; f=-z
elif tar -tf "$s" >/dev/null 2>&1; then h=TarArchive
elif tar -tjf "$s" >/dev/null 2>&1; then h=TarBzipArchive; f=-j
elif tar -tJf "$s" >/dev/null 2>&1; then h=TarXzArchive; f=-J
else echo 'R	nohandler'; exit 0; fi
printf 'H\t%%s\t%%s\n' "$h" "$f"
if [ "$h" = ZipArchive ]; then
  unzip -Z1 "$s"%s | sed 's/^/F	/'
  _t=$(mktemp -d) && unzip -q -o "$s" -d "$_t"%s >/dev/null 2>&1
  (cd "$_t" && find . -mindepth 1) | while IFS= read -r _f; do
    if [ -f "$_t/$_f" ]; then cmp -s "$_t/$_f" "$d/$_f" || printf 'D\t%%s\n' "$_f"
    elif [ -d "$_t/$_f" ] && [ ! -d "$d/$_f" ]; then printf 'D\t%%s\n' "$_f"; fi
  done
  rm -rf "$_t"
else
  tar $f -tf "$s" %s | sed 's/^/F	/'
  LANG=C LC_ALL=C tar $f -C "$d" --diff %s -f "$s" 2>&1 | sed 's/^/T	/'
fi
`, Quote(src), Quote(dest), zipExcl, zipExcl, strings.Join(excl, " "), strings.Join(append(tarOpts, excl...), " "))
}

func runUnarchive(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	src, dest := a.Str("src"), a.Str("dest")
	if a.Has("copy") {
		if a.Has("remote_src") {
			return Failed("parameters are mutually exclusive: ('copy', 'remote_src')"), nil
		}
		a = copyArgs(a)
		a["remote_src"] = !c.Args.Bool("copy")
	}
	if a.Bool("remote_src") {
		sub := *c
		sub.Args = a
		ec, err := expandUser(ctx, &sub, "src")
		if err != nil {
			return nil, err
		}
		a, src = ec.Args, ec.Args.Str("src")
	}
	if strings.Contains(src, "://") {
		return Failed("unarchive: a URL src (%s) is not supported by remotectl: fetch it with get_url first", src), nil
	}
	if creates := a.Str("creates"); creates != "" {
		out, err := c.Host.Run(ctx, Command{Argv: []string{"test", "-e", creates}})
		if err != nil {
			return nil, err
		}
		if out.RC == 0 {
			return Result{"skipped": true, "changed": false, "msg": fmt.Sprintf("skipped, since %s exists", creates)}, nil
		}
	}
	fa := attrsOf(a)
	remoteSrc := src
	out, err := c.Host.Run(ctx, Command{Script: fmt.Sprintf("[ -d %s ] && echo dir", Quote(dest))})
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(out.Stdout) != "dir" {
		return Failed("dest '%s' must be an existing dir", dest), nil
	}
	if !a.Bool("remote_src") {
		if c.Controller == nil {
			return Failed("unarchive: src needs the controller's files"), nil
		}
		full, err := c.Controller.FindFile("files", controllerHome(src))
		if err != nil {
			return Failed("Could not find or access '%s' on the Ansible Controller.", src), nil
		}
		data, err := os.ReadFile(full)
		if err != nil {
			return Failed("Could not find or access '%s' on the Ansible Controller.", src), nil
		}
		remoteSrc = "/tmp/.remotectl-unarchive-" + RandomSuffix()
		if err := c.Host.WriteFile(ctx, remoteSrc, data, 0o600); err != nil {
			return Failed("Source '%s' failed to transfer: %v", src, err), nil
		}
		defer c.Host.Run(context.WithoutCancel(ctx), Command{Argv: []string{"rm", "-f", "--", remoteSrc}}) //nolint:errcheck // cleanup
	}
	var tarOpts []string
	if fa.Owner != "" {
		tarOpts = append(tarOpts, Quote("--owner="+fa.Owner))
	}
	if fa.Group != "" {
		tarOpts = append(tarOpts, Quote("--group="+fa.Group))
	}
	if a.Bool("keep_newer") {
		tarOpts = append(tarOpts, "--keep-newer-files")
	}
	out, err = c.Host.Run(ctx, Command{Script: unarchiveGather(remoteSrc, dest, a, tarOpts)})
	if err != nil {
		return nil, err
	}
	g := parseProbe(out.Stdout)
	reason := ""
	for _, l := range strings.Split(out.Stdout, "\n") {
		if r, ok := strings.CutPrefix(l, "R\t"); ok {
			reason = r
		}
	}
	switch reason {
	case "":
	case "nosrc":
		if a.Bool("remote_src") {
			return Failed("Source '%s' does not exist", remoteSrc), nil
		}
		return Failed("Source '%s' failed to transfer", remoteSrc), nil
	case "unreadable":
		return Failed("Source '%s' not readable", remoteSrc), nil
	case "empty":
		return Failed("Invalid archive '%s', the file is 0 bytes", remoteSrc), nil
	case "notdir":
		return Failed("Destination '%s' is not a directory", dest), nil
	case "nohandler":
		return Failed("Failed to find handler for \"%s\". Make sure the required command to extract the file is installed.", remoteSrc), nil
	}
	lines := strings.Split(out.Stdout, "\n")
	var handler, zipflag string
	var files []any
	unpacked := true
	for _, l := range lines {
		kind, rest, _ := strings.Cut(l, "\t")
		switch kind {
		case "H":
			handler, zipflag, _ = strings.Cut(rest, "\t")
		case "F":
			if rest != "" {
				files = append(files, rest)
			}
		case "D":
			unpacked = false
		case "T":
			if uid, _ := g.me(); tarDiffCounts(rest, fa, uid == 0) {
				unpacked = false
			}
		}
	}
	if c.Check && handler != "ZipArchive" {
		return Result{"skipped": true, "changed": false,
			"msg": "remote module (unarchive) does not support check mode when using gtar"}, nil
	}
	res := Result{"handler": handler, "dest": dest, "src": remoteSrc}
	if a.Bool("list_files") {
		res["files"] = files
	}
	res["changed"] = !unpacked
	if c.Check || unpacked {
		return pathResult(res, g.path("dd")), nil
	}
	cmd := unarchiveCommand(handler, zipflag, remoteSrc, dest, a, tarOpts)
	x, err := c.Host.Run(ctx, Command{Script: cmd, Env: map[string]string{"LANG": "C", "LC_ALL": "C"}})
	if err != nil {
		return nil, err
	}
	res["extract_results"] = map[string]any{"cmd": cmd, "rc": x.RC, "out": x.Stdout, "err": x.Stderr}
	if x.RC != 0 {
		res["failed"], res["msg"] = true, fmt.Sprintf("failed to unpack %s to %s", remoteSrc, dest)
		return res, nil
	}
	if fa.Mode != "" || fa.Owner != "" || fa.Group != "" {
		if f, err := unarchiveAttrs(ctx, c, fa, dest, files); f != nil || err != nil {
			return f, err
		}
	}
	return pathResult(res, g.path("dd")), nil
}

func copyArgs(a Args) Args {
	b := Args{}
	for k, v := range a {
		b[k] = v
	}
	return b
}

// tarDiffCounts says whether a line of tar --diff means "not unpacked".
func tarDiffCounts(line string, fa fileAttrs, root bool) bool {
	switch {
	case tarEmptyFile.MatchString(line):
		return false
	case root && fa.Owner == "" && tarOwnerDiff.MatchString(line),
		root && fa.Group == "" && tarGroupDiff.MatchString(line),
		fa.Mode == "" && tarModeDiff.MatchString(line),
		tarMtimeDiff.MatchString(line), tarMissingFile.MatchString(line),
		tarBadOwner.MatchString(line), tarBadGroup.MatchString(line):
		return true
	}
	return false
}

func unarchiveCommand(handler, zipflag, src, dest string, a Args, tarOpts []string) string {
	var extra []string
	for _, o := range a.Strings("extra_opts") {
		extra = append(extra, Quote(o))
	}
	if handler == "ZipArchive" {
		cmd := "unzip -o " + strings.Join(extra, " ") + " " + Quote(src)
		if ex := a.Strings("exclude"); len(ex) > 0 {
			var q []string
			for _, e := range ex {
				q = append(q, Quote(e))
			}
			cmd += " -x " + strings.Join(q, " ")
		}
		return cmd + " -d " + Quote(dest)
	}
	cmd := "tar --extract -C " + Quote(dest)
	if zipflag != "" {
		cmd += " " + zipflag
	}
	if len(extra) > 0 {
		cmd += " --show-transformed-names " + strings.Join(extra, " ")
	}
	for _, o := range tarOpts {
		cmd += " " + o
	}
	for _, e := range a.Strings("exclude") {
		cmd += " " + Quote("--exclude="+e)
	}
	return cmd + " -f " + Quote(src)
}

// unarchiveAttrs sets mode, owner and group on every unpacked file and
// top folder, as the module does after unpacking.
func unarchiveAttrs(ctx context.Context, c *Call, fa fileAttrs, dest string, files []any) (Result, error) {
	seen := map[string]bool{}
	var s strings.Builder
	add := func(rel string) {
		rel = strings.TrimSuffix(rel, "/")
		if rel == "" || seen[rel] {
			return
		}
		seen[rel] = true
		p := Quote(dest + "/" + rel)
		if fa.Owner != "" {
			fmt.Fprintf(&s, "chown -h %s -- %s || _rc=1\n", Quote(fa.Owner), p)
		}
		if fa.Group != "" {
			fmt.Fprintf(&s, "chgrp -h %s -- %s || _rc=1\n", Quote(fa.Group), p)
		}
		if fa.Mode != "" {
			fmt.Fprintf(&s, "[ -L %s ] || chmod %s -- %s || _rc=1\n", p, Quote(fa.Mode), p)
		}
	}
	for _, f := range files {
		rel := fmt.Sprint(f)
		add(rel)
		if top, _, ok := strings.Cut(rel, "/"); ok {
			add(top)
		}
	}
	out, err := c.Host.Run(ctx, Command{Script: "_rc=0\n" + s.String() + "exit $_rc"})
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return Failed("Unexpected error when accessing exploded file: %s", strings.TrimSpace(out.Stderr)), nil
	}
	return nil, nil
}
