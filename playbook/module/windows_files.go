package module

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func winFileModule() *Module {
	return &Module{Name: "win_file", Collection: "ansible.windows", Windows: true, Check: CheckFull,
		Params: []Param{
			{Name: "path", Aliases: []string{"dest", "name"}, Type: Path, Required: true},
			// hard, link and junction (with src) are not implemented: refused.
			{Name: "state", Type: Str, Choices: []string{"absent", "directory", "file", "touch"}},
		},
		Run: runWinFile}
}

// winFileActScript creates a directory (and its parents), removes a path
// recursively, or touches a file (creating it empty), as $p.op says.
const winFileActScript = `$path = [Environment]::ExpandEnvironmentVariables($p.path)
if ($p.op -eq 'touch') {
    if (Test-Path -LiteralPath $path) {
        (Get-Item -LiteralPath $path -Force).LastWriteTime = Get-Date
    } else {
        New-Item -Path $path -ItemType File | Out-Null
    }
} elseif ($p.op -eq 'absent') {
    Remove-Item -LiteralPath $path -Recurse -Force
} elseif ($p.op -eq 'directory') {
    New-Item -Path $path -ItemType Directory -Force | Out-Null
}
Write-Result @{ done = $true }
`

// runWinFile is win_file: gather the path's state, decide as win_file.ps1
// does, then act once (not in check mode).
func runWinFile(ctx context.Context, c *Call) (Result, error) {
	path, state := c.Args.Str("path"), c.Args.Str("state")
	if state == "" {
		state = "file"
		if winBase(path) == "" || endsWithSep(path) {
			state = "directory"
		}
	}
	items, err := statWindows(ctx, c.Host, []string{path}, "", false)
	if err != nil {
		return psFailed(err, nil)
	}
	st := items[0]
	r := Result{"changed": false}
	op := ""
	switch state {
	case "touch":
		op = "touch"
	case "absent":
		if st.Exists {
			op = "absent"
		}
	case "directory":
		switch {
		case st.Exists && !st.IsDir:
			return Failed("path %s is not a directory", path), nil
		case !st.Exists:
			op = "directory"
		}
	case "file":
		switch {
		case st.Exists && st.IsDir:
			return Failed("path %s is not a file", path), nil
		case !st.Exists:
			return Failed("path %s will not be created", path), nil
		}
	}
	if op == "" {
		return r, nil
	}
	r["changed"] = true
	if c.Check {
		return r, nil
	}
	var done map[string]any
	if err := runPS(ctx, c.Host, winFileActScript, map[string]any{"op": op, "path": path}, &done); err != nil {
		return psFailed(err, r)
	}
	return r, nil
}

func winCopyParams() []Param {
	return []Param{
		{Name: "dest", Type: Path, Required: true},
		{Name: "backup", Type: Bool, Default: false},
		{Name: "force", Type: Bool, Default: true},
	}
}

func winCopyModule() *Module {
	return &Module{Name: "win_copy", Collection: "ansible.windows", Windows: true, Check: CheckFull,
		Params: append(winCopyParams(),
			Param{Name: "src", Type: Path},
			Param{Name: "content", Type: Str},
			Param{Name: "remote_src", Type: Bool, Default: false},
			Param{Name: "decrypt", Type: Bool, Default: true},
			Param{Name: "local_follow", Type: Bool, Default: true},
		),
		Run: runWinCopy}
}

func winTemplateModule() *Module {
	return &Module{Name: "win_template", Collection: "ansible.windows", Windows: true, Check: CheckFull,
		Params: append(winCopyParams(),
			Param{Name: "src", Type: Path, Required: true},
			Param{Name: "newline_sequence", Type: Str, Default: `\r\n`, Choices: []string{`\n`, `\r`, `\r\n`, "\n", "\r", "\r\n"}},
			// the rendering options remotectl's Jinja2 has: Ansible's
			// defaults only (other values are refused)
			Param{Name: "trim_blocks", Type: Bool, Default: true},
			Param{Name: "lstrip_blocks", Type: Bool, Default: false},
			Param{Name: "output_encoding", Type: Str, Default: "utf-8"},
		),
		Run: runWinTemplate}
}

// winCopyActScript creates $p.dirs, then writes each of $p.files: from
// base64 data, or copied from another path of the host; with $p.backup an
// existing file is first copied to a timestamped .bak beside it.
const winCopyActScript = `$r = @{ backups = @{} }
foreach ($d in $p.dirs) {
    New-Item -Path ([Environment]::ExpandEnvironmentVariables($d)) -ItemType Directory -Force | Out-Null
}
foreach ($f in $p.files) {
    $path = [Environment]::ExpandEnvironmentVariables($f.path)
    if ($p.backup -and (Test-Path -LiteralPath $path -PathType Leaf)) {
        $bak = "$path.$PID.$(Get-Date -Format 'yyyyMMdd-HHmmss').bak"
        Copy-Item -LiteralPath $path -Destination $bak -Force
        $r.backups[$f.path] = $bak
    }
    if ($null -ne $f.from) {
        Copy-Item -LiteralPath ([Environment]::ExpandEnvironmentVariables($f.from)) -Destination $path -Force
    } else {
        [IO.File]::WriteAllBytes($path, [Convert]::FromBase64String($f.data))
    }
}
Write-Result $r
`

// winWrite is one file winCopyActScript writes.
type winWrite struct {
	Path string  `json:"path"`
	Data string  `json:"data,omitempty"`
	From *string `json:"from,omitempty"`
}

// applyWinCopy runs winCopyActScript; it returns the backups made, by path.
func applyWinCopy(ctx context.Context, h Host, dirs []string, files []winWrite, backup bool) (map[string]string, error) {
	var out struct {
		Backups map[string]string `json:"backups"`
	}
	if dirs == nil {
		dirs = []string{}
	}
	err := runPS(ctx, h, winCopyActScript, map[string]any{"dirs": dirs, "files": files, "backup": backup}, &out)
	return out.Backups, err
}

// winSource is what win_copy or win_template puts at dest: data from the
// controller, or (remote_src) a file of the host.
type winSource struct {
	data     []byte
	remote   string // the host's file, when remote_src
	basename string // the name under a directory dest; "" for content
	src      string // the result's src; "" for none
}

func runWinCopy(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	src, dest := a.Str("src"), a.Str("dest")
	switch {
	case !a.Bool("local_follow"):
		return Failed("win_copy: local_follow: false is not implemented by remotectl (links in src are followed)"), nil
	case a.Has("content") && a.Has("src"):
		return Failed("src and content are mutually exclusive"), nil
	case a.Has("content"):
		if endsWithSep(dest) {
			return Failed("dest must be a file if content is defined"), nil
		}
		return copyToWindows(ctx, c, winSource{data: []byte(a.Str("content"))}, dest)
	case src == "":
		return Failed("src (or content) and dest are required"), nil
	case a.Bool("remote_src"):
		return copyRemoteWindows(ctx, c, src, dest)
	}
	full, err := c.Controller.FindFile("files", controllerHome(src))
	if err != nil {
		return Failed("Could not find or access '%s'", src), nil
	}
	info, err := os.Stat(full)
	if err != nil {
		return Failed("Could not find or access '%s'", src), nil
	}
	if info.IsDir() {
		return copyDirToWindows(ctx, c, full, strings.HasSuffix(src, "/"), dest)
	}
	data, err := os.ReadFile(full)
	if err != nil {
		return Failed("Could not find or access '%s': %v", src, err), nil
	}
	if msg := winVaultRefusal(a, full, data); msg != "" {
		return Failed("%s", msg), nil
	}
	return copyToWindows(ctx, c, winSource{data: data, basename: filepath.Base(full), src: full}, dest)
}

// winVaultRefusal refuses a source encrypted with Ansible Vault when
// decrypt is true (Ansible would decrypt it; remotectl does not decrypt
// files): "" when the data may be copied as it is.
func winVaultRefusal(a Args, name string, data []byte) string {
	if a.Bool("decrypt") && strings.HasPrefix(string(data), "$ANSIBLE_VAULT;") {
		return fmt.Sprintf("win_copy: %s is encrypted with Ansible Vault, and remotectl does not decrypt files (set decrypt: false to copy it encrypted)", name)
	}
	return ""
}

func runWinTemplate(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	switch {
	case c.Controller == nil:
		return Failed("win_template: needs the controller"), nil
	case !a.Bool("trim_blocks"), a.Bool("lstrip_blocks"):
		return Failed("win_template: remotectl renders with Ansible's default trim_blocks: true and lstrip_blocks: false only"), nil
	case !slices.Contains([]string{"utf-8", "utf8"}, strings.ToLower(a.Str("output_encoding"))):
		return Failed("win_template: output_encoding %s is not supported by remotectl (utf-8 only)", a.Str("output_encoding")), nil
	}
	src := a.Str("src")
	full, err := c.Controller.FindFile("templates", controllerHome(src))
	if err != nil {
		return Failed("Could not find or access '%s'", src), nil
	}
	text, err := os.ReadFile(full)
	if err != nil {
		return Failed("Could not find or access '%s'", src), nil
	}
	out, err := c.Controller.Template(string(text), src, full, a.Str("dest"))
	if err != nil {
		return Failed("AnsibleError: %v", err), nil
	}
	nl := strings.NewReplacer(`\r`, "\r", `\n`, "\n").Replace(a.Str("newline_sequence"))
	if nl != "\n" {
		out = strings.ReplaceAll(out, "\n", nl)
	}
	return copyToWindows(ctx, c, winSource{data: []byte(out), basename: filepath.Base(full), src: full}, a.Str("dest"))
}

// copyToWindows puts one file at dest (or under it, when dest is a
// directory or ends with a separator), as win_copy's single mode: nothing
// is written when the SHA-1 checksums match, or when dest exists and force
// is false.
func copyToWindows(ctx context.Context, c *Call, s winSource, dest string) (Result, error) {
	paths := []string{dest, winParent(dest)}
	if s.basename != "" {
		paths = append(paths, winJoin(dest, s.basename))
	}
	if s.remote != "" {
		paths = append(paths, s.remote)
	}
	items, err := statWindows(ctx, c.Host, paths, "sha1", false)
	if err != nil {
		return psFailed(err, nil)
	}
	destSt, parentSt := items[0], items[1]
	target, targetSt := dest, destSt
	if s.basename != "" && (endsWithSep(dest) || destSt.Exists && destSt.IsDir) {
		target, targetSt, parentSt = winJoin(dest, s.basename), items[2], destSt
	}
	if targetSt.Exists && targetSt.IsDir {
		return Failed("cannot copy file from '%s' to '%s': dest is already a folder", s.src, target), nil
	}
	checksum, size := sha1Hex(s.data), int64(len(s.data))
	if s.remote != "" {
		remote := items[len(items)-1]
		if !remote.Exists {
			return Failed("Cannot copy src file: '%s' as it does not exist", s.remote), nil
		}
		if remote.IsDir {
			return Failed("win_copy: remote_src with a directory src is not implemented by remotectl (a file src is)"), nil
		}
		checksum, size = remote.Checksum, derefSize(remote.Size)
	}
	r := Result{"changed": false, "dest": target, "checksum": checksum, "size": size, "operation": "file_copy"}
	if s.basename != "" {
		r["original_basename"] = s.basename
	}
	if s.src != "" {
		r["src"] = s.src
	}
	if targetSt.Exists && (!c.Args.Bool("force") || targetSt.Checksum == checksum) {
		return r, nil
	}
	r["changed"] = true
	if c.Check { // as the action plugin's query: the parent is not looked at
		if c.Args.Bool("backup") {
			r["backup_file"] = "check-mode-backup-file.bak" // the action plugin's
		}
		return r, nil
	}
	failed := func(format string, args ...any) (Result, error) {
		msg := fmt.Sprintf(format, args...)
		if s.src != "" && s.remote == "" {
			msg = fmt.Sprintf("failed to copy file %s: %s", s.src, msg) // the action plugin's prefix
		}
		return Result{"failed": true, "changed": true, "msg": msg, "dest": target}, nil
	}
	var dirs []string
	parent := winParent(target)
	switch {
	case parentSt.Exists && !parentSt.IsDir:
		return failed("object at destination parent dir '%s' is currently a file", parent)
	case !parentSt.Exists && target == dest:
		return failed("Destination directory '%s' does not exist", parent)
	case !parentSt.Exists:
		dirs = append(dirs, parent)
	}
	w := winWrite{Path: target}
	if s.remote != "" {
		w.From = &s.remote
	} else {
		w.Data = base64.StdEncoding.EncodeToString(s.data)
	}
	backups, err := applyWinCopy(ctx, c.Host, dirs, []winWrite{w}, c.Args.Bool("backup"))
	if err != nil {
		return psFailed(err, r)
	}
	if b, ok := backups[target]; ok {
		r["backup_file"] = b
	}
	return r, nil
}

func derefSize(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// copyRemoteWindows is win_copy with remote_src: a file of the host copied
// to dest.
func copyRemoteWindows(ctx context.Context, c *Call, src, dest string) (Result, error) {
	return copyToWindows(ctx, c, winSource{remote: src, basename: winBase(src), src: src}, dest)
}

// copyDirToWindows copies a controller directory: itself under dest, or
// (src ending with /) its contents into dest. Directories missing are
// created and files whose checksum differs (or missing, with force: false)
// written, all in one script.
func copyDirToWindows(ctx context.Context, c *Call, local string, contents bool, dest string) (Result, error) {
	root := dest
	if !contents {
		root = winJoin(dest, filepath.Base(local))
	}
	type entry struct {
		target string
		data   []byte
		dir    bool
	}
	entries := []entry{{target: root, dir: true}}
	err := filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == local {
			return err
		}
		rel, _ := filepath.Rel(local, p)
		e := entry{target: winJoin(root, strings.ReplaceAll(rel, string(filepath.Separator), `\`)), dir: d.IsDir()}
		if !e.dir {
			if e.data, err = os.ReadFile(p); err != nil {
				return err
			}
			if msg := winVaultRefusal(c.Args, p, e.data); msg != "" {
				return errors.New(msg)
			}
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return Failed("%v", err), nil
	}
	paths := make([]string, len(entries))
	for i, e := range entries {
		paths[i] = e.target
	}
	items, err := statWindows(ctx, c.Host, paths, "sha1", false)
	if err != nil {
		return psFailed(err, nil)
	}
	var dirs []string
	var files []winWrite
	for i, e := range entries {
		st := items[i]
		switch {
		case e.dir && st.Exists && !st.IsDir:
			return Failed("cannot copy folder to dest '%s': object at path is already a file", e.target), nil
		case e.dir && !st.Exists:
			dirs = append(dirs, e.target)
		case !e.dir && st.Exists && st.IsDir:
			return Failed("cannot copy file to dest '%s': object at path is already a directory", e.target), nil
		case !e.dir && (!st.Exists || c.Args.Bool("force") && st.Checksum != sha1Hex(e.data)):
			files = append(files, winWrite{Path: e.target, Data: base64.StdEncoding.EncodeToString(e.data)})
		}
	}
	r := Result{"changed": len(dirs)+len(files) > 0, "dest": dest, "operation": "folder_copy", "src": local}
	if !r.Changed() || c.Check {
		return r, nil
	}
	if _, err := applyWinCopy(ctx, c.Host, dirs, files, false); err != nil {
		return psFailed(err, r)
	}
	return r, nil
}
