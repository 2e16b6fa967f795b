package remotetest

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The simulated Windows file system: C:\ is PowerShell.Root, names are
// matched case-insensitively as NTFS does.

// fullPath makes a Windows path absolute and clean: C:\dir\file.
func (r *psRun) fullPath(p string) string {
	p = strings.ReplaceAll(p, "/", `\`)
	switch {
	case len(p) >= 2 && p[1] == ':':
		if !strings.EqualFold(p[:1], "c") {
			psThrow("System.Management.Automation.DriveNotFoundException", "Cannot find drive. A drive with the name '%s' does not exist.", p[:1])
		}
		p = `C:\` + strings.TrimLeft(p[2:], `\`)
	case strings.HasPrefix(p, `\\`):
		psThrow("System.NotSupportedException", "the simulator has no network shares (%s)", p)
	case strings.HasPrefix(p, `\`):
		p = `C:` + p
	default:
		p = strings.TrimRight(r.cwd, `\`) + `\` + p
	}
	var parts []string
	for _, c := range strings.Split(p[3:], `\`) {
		switch c {
		case "", ".":
		case "..":
			if len(parts) > 0 {
				parts = parts[:len(parts)-1]
			}
		default:
			parts = append(parts, c)
		}
	}
	return `C:\` + strings.Join(parts, `\`)
}

// hostPath maps a Windows path to the directory tree.
func (r *psRun) hostPath(p string) string { return r.sim.hostPath(r.fullPath(p)) }

// hostPath maps a clean absolute Windows path (C:\...) to the tree,
// matching each existing name case-insensitively.
func (s *PowerShell) hostPath(full string) string {
	cur := s.Root
	for _, c := range strings.Split(full[3:], `\`) {
		if c == "" {
			continue
		}
		next := filepath.Join(cur, c)
		if _, err := os.Lstat(next); err != nil {
			if entries, err := os.ReadDir(cur); err == nil {
				for _, e := range entries {
					if strings.EqualFold(e.Name(), c) {
						next = filepath.Join(cur, e.Name())
						break
					}
				}
			}
		}
		cur = next
	}
	return cur
}

// windowsPath maps a path of the tree back to its Windows name.
func (s *PowerShell) windowsPath(host string) string {
	rel, err := filepath.Rel(s.Root, host)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return `C:\`
	}
	return `C:\` + strings.ReplaceAll(rel, "/", `\`)
}

func statPath(host string) (fs.FileInfo, error) { return os.Stat(host) }

// ioMessage is .NET's message for an I/O error, with Windows paths.
func (s *PowerShell) ioMessage(err error) string {
	var pe *fs.PathError
	path := ""
	if errors.As(err, &pe) {
		path = s.windowsPath(pe.Path)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("Could not find a part of the path '%s'.", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("Access to the path '%s' is denied.", path)
	case errors.Is(err, fs.ErrExist):
		return fmt.Sprintf("The file '%s' already exists.", path)
	}
	return err.Error()
}

// psIOErrorType is the .NET exception type of an I/O error.
func psIOErrorType(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "System.IO.DirectoryNotFoundException"
	case errors.Is(err, fs.ErrPermission):
		return "System.UnauthorizedAccessException"
	}
	return "System.IO.IOException"
}

// writeFile writes a file whose directory must exist, as .NET does.
func (s *PowerShell) writeFile(host string, data []byte) error {
	if fi, err := os.Stat(host); err == nil && fi.IsDir() {
		return &fs.PathError{Op: "write", Path: host, Err: fs.ErrPermission}
	}
	return os.WriteFile(host, data, 0o644)
}

// item is Get-Item's FileInfo or DirectoryInfo of a path of the tree; nil
// when it does not exist.
func (s *PowerShell) item(host string) *psObject {
	fi, err := os.Lstat(host)
	if err != nil {
		return nil
	}
	win := s.windowsPath(host)
	o := newPSObject("System.IO.FileInfo")
	name := filepath.Base(host)
	if win == `C:\` {
		name = `C:\`
	}
	o.props.set("Name", name)
	o.props.set("FullName", win)
	ext := filepath.Ext(name)
	o.props.set("Extension", ext)
	o.props.set("BaseName", strings.TrimSuffix(name, ext))
	o.props.set("Exists", true)
	var linkType, target any
	if fi.Mode()&fs.ModeSymlink != 0 {
		linkType = "SymbolicLink"
		t, _ := os.Readlink(host)
		if filepath.IsAbs(t) {
			t = s.windowsPath(t)
		} else {
			t = strings.ReplaceAll(t, "/", `\`)
		}
		target = []any{t}
		if st, err := os.Stat(host); err == nil {
			fi = st
		}
	}
	o.props.set("LinkType", linkType)
	o.props.set("Target", target)
	attrs := "Archive"
	mode := "-a----"
	if fi.IsDir() {
		o.typ = "System.IO.DirectoryInfo"
		attrs, mode = "Directory", "d-----"
	} else {
		o.props.set("Length", fi.Size())
		o.props.set("DirectoryName", s.windowsPath(filepath.Dir(host)))
	}
	if fi.Mode().Perm()&0o200 == 0 {
		attrs += ", ReadOnly"
		mode = mode[:2] + "r" + mode[3:]
	}
	if linkType != nil {
		attrs += ", ReparsePoint"
		mode = mode[:5] + "l"
	}
	o.props.set("Attributes", psEnum{typ: "System.IO.FileAttributes", name: attrs, val: psAttrValue(attrs)})
	o.props.set("Mode", mode)
	o.props.set("PSIsContainer", fi.IsDir())
	mt := fi.ModTime()
	for _, k := range []string{"LastWriteTime", "CreationTime", "LastAccessTime"} {
		o.props.set(k, mt.Local())
		o.props.set(k+"Utc", mt.UTC())
	}
	o.str = win
	o.setter = func(prop string, v any) error {
		t, ok := v.(time.Time)
		switch strings.ToLower(prop) {
		case "lastwritetime", "lastwritetimeutc", "lastaccesstime", "lastaccesstimeutc", "creationtime", "creationtimeutc":
			if !ok {
				return fmt.Errorf("Cannot convert value \"%s\" to type \"System.DateTime\".", psString(v))
			}
			if err := os.Chtimes(host, t, t); err != nil {
				return errors.New(s.ioMessage(err))
			}
			o.props.set(prop, t)
			return nil
		}
		return fmt.Errorf("'%s' is a ReadOnly property.", prop)
	}
	return o
}

// psAttrValue is the number of a FileAttributes combination.
func psAttrValue(attrs string) int64 {
	var n int64
	for _, a := range strings.Split(attrs, ", ") {
		n |= map[string]int64{"ReadOnly": 1, "Hidden": 2, "Directory": 16, "Archive": 32, "ReparsePoint": 1024}[a]
	}
	return n
}

// pathArg is the -Path or -LiteralPath of a cmdlet; an empty or $null
// one is a parameter binding error, as in PowerShell (terminating, whatever
// -ErrorAction says).
func pathArg(b *psBound) (string, bool) {
	for _, name := range []string{"literalpath", "path"} {
		if !b.has(name) {
			continue
		}
		if p := b.str(name); p != "" {
			return p, true
		}
		spelled := map[string]string{"literalpath": "LiteralPath", "path": "Path"}[name]
		msg := fmt.Sprintf("Cannot bind argument to parameter '%s' because it is an empty string.", spelled)
		if b.vals[name] == nil {
			msg = fmt.Sprintf("Cannot bind argument to parameter '%s' because it is null.", spelled)
		}
		panic(&psError{typ: "System.Management.Automation.ParameterBindingValidationException", category: "InvalidData", msg: b.name + " : " + msg})
	}
	return "", false
}

func psFileCmdlets() map[string]psCmdlet {
	lp := map[string]string{"lp": "literalpath", "pspath": "literalpath", "fullname": "literalpath"}
	return map[string]psCmdlet{
		"test-path":     {params: []string{"path", "literalpath", "pathtype"}, position: 1, aliases: lp, run: cmdTestPath},
		"get-item":      {params: []string{"path", "literalpath"}, position: 1, switches: []string{"force"}, aliases: lp, run: cmdGetItem},
		"get-childitem": {params: []string{"path", "literalpath", "filter"}, position: 2, switches: []string{"recurse", "force", "file", "directory"}, aliases: lp, run: cmdGetChildItem},
		"new-item":      {params: []string{"path", "itemtype", "name", "value"}, position: 1, switches: []string{"force"}, aliases: map[string]string{"type": "itemtype"}, run: cmdNewItem},
		"remove-item":   {params: []string{"path", "literalpath"}, position: 1, switches: []string{"recurse", "force"}, aliases: lp, run: cmdRemoveItem},
		"copy-item":     {params: []string{"path", "destination", "literalpath"}, position: 2, switches: []string{"force", "recurse", "container"}, aliases: lp, run: cmdCopyItem},
		"move-item":     {params: []string{"path", "destination", "literalpath"}, position: 2, switches: []string{"force"}, aliases: lp, run: cmdMoveItem},
		"set-content":   {params: []string{"path", "value", "literalpath", "encoding"}, position: 2, switches: []string{"nonewline", "force"}, aliases: lp, run: cmdSetContent},
		"add-content":   {params: []string{"path", "value", "literalpath", "encoding"}, position: 2, switches: []string{"nonewline", "force"}, aliases: lp, run: cmdSetContent},
		"get-content":   {params: []string{"path", "literalpath", "encoding", "totalcount"}, position: 1, switches: []string{"raw", "force"}, aliases: lp, run: cmdGetContent},
		"get-filehash":  {params: []string{"path", "algorithm", "literalpath"}, position: 1, aliases: lp, run: cmdGetFileHash},
		"get-acl":       {params: []string{"path", "literalpath"}, position: 1, aliases: lp, run: cmdGetACL},
	}
}

// notFound reports a missing path as the FileSystem provider does.
func (r *psRun) notFound(b *psBound, p string) {
	r.cmdletError(b, "System.Management.Automation.ItemNotFoundException", "ObjectNotFound",
		"Cannot find path '%s' because it does not exist.", r.fullPath(p))
}

func cmdTestPath(r *psRun, b *psBound) []any {
	p, _ := pathArg(b)
	fi, err := os.Stat(r.hostPath(p))
	if err != nil {
		return []any{false}
	}
	switch strings.ToLower(b.str("pathtype")) {
	case "leaf":
		return []any{!fi.IsDir()}
	case "container":
		return []any{fi.IsDir()}
	}
	return []any{true}
}

func cmdGetItem(r *psRun, b *psBound) []any {
	p, _ := pathArg(b)
	it := r.sim.item(r.hostPath(p))
	if it == nil {
		r.notFound(b, p)
		return nil
	}
	return []any{it}
}

func cmdGetChildItem(r *psRun, b *psBound) []any {
	p, ok := pathArg(b)
	if !ok {
		p = r.cwd
	}
	root := r.hostPath(p)
	fi, err := os.Stat(root)
	if err != nil {
		r.notFound(b, p)
		return nil
	}
	if !fi.IsDir() {
		return []any{r.sim.item(root)}
	}
	var out []any
	var walk func(dir string)
	walk = func(dir string) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			r.cmdletError(b, "System.UnauthorizedAccessException", "PermissionDenied", "%s", r.sim.ioMessage(err))
			return
		}
		slices.SortFunc(entries, func(x, y fs.DirEntry) int {
			if x.IsDir() != y.IsDir() {
				if x.IsDir() {
					return -1
				}
				return 1
			}
			return strings.Compare(strings.ToLower(x.Name()), strings.ToLower(y.Name()))
		})
		var subdirs []string
		for _, e := range entries {
			full := filepath.Join(dir, e.Name())
			it := r.sim.item(full)
			if it == nil {
				continue
			}
			isDir, _ := it.props.get("PSIsContainer")
			if (!b.switches["file"] || isDir == false) && (!b.switches["directory"] || isDir == true) &&
				(!b.has("filter") || psLike(e.Name(), b.str("filter"))) {
				out = append(out, it)
			}
			if b.switches["recurse"] && e.IsDir() {
				subdirs = append(subdirs, full)
			}
		}
		for _, d := range subdirs { // a directory's items, then its subdirectories'
			walk(d)
		}
	}
	walk(root)
	return out
}

func cmdNewItem(r *psRun, b *psBound) []any {
	p := b.str("path")
	if !b.has("path") {
		p = r.cwd
	}
	if b.has("name") {
		p = psJoinPath(p, b.str("name"))
	}
	host := r.hostPath(p)
	kind := strings.ToLower(b.str("itemtype"))
	fi, err := os.Stat(host)
	exists := err == nil
	switch kind {
	case "directory":
		if exists && !b.switches["force"] || exists && !fi.IsDir() {
			r.cmdletError(b, "System.IO.IOException", "ResourceExists", "An item with the specified name %s already exists.", r.fullPath(p))
			return nil
		}
		if err := os.MkdirAll(host, 0o755); err != nil {
			r.cmdletError(b, psIOErrorType(err), "WriteError", "%s", r.sim.ioMessage(err))
			return nil
		}
	case "", "file":
		if exists && (!b.switches["force"] || fi.IsDir()) {
			r.cmdletError(b, "System.IO.IOException", "ResourceExists", "The file '%s' already exists.", r.fullPath(p))
			return nil
		}
		if b.switches["force"] {
			_ = os.MkdirAll(filepath.Dir(host), 0o755)
		}
		if err := r.sim.writeFile(host, []byte(b.str("value"))); err != nil {
			r.cmdletError(b, psIOErrorType(err), "WriteError", "%s", r.sim.ioMessage(err))
			return nil
		}
	default:
		psThrow("System.NotSupportedException", "New-Item -ItemType %s is not implemented by the simulator (File and Directory are)", b.str("itemtype"))
	}
	return []any{r.sim.item(host)}
}

func cmdRemoveItem(r *psRun, b *psBound) []any {
	p, _ := pathArg(b)
	host := r.hostPath(p)
	fi, err := os.Lstat(host)
	if err != nil {
		r.notFound(b, p)
		return nil
	}
	if fi.IsDir() && !b.switches["recurse"] {
		if entries, _ := os.ReadDir(host); len(entries) > 0 {
			r.cmdletError(b, "System.IO.IOException", "WriteError",
				"The item at %s has children and the Recurse parameter was not specified.", r.fullPath(p))
			return nil
		}
	}
	if fi.Mode().Perm()&0o200 == 0 && !b.switches["force"] {
		r.cmdletError(b, "System.IO.IOException", "PermissionDenied", "Cannot remove item %s: You do not have sufficient access rights to perform this operation.", r.fullPath(p))
		return nil
	}
	if err := os.RemoveAll(host); err != nil {
		r.cmdletError(b, psIOErrorType(err), "WriteError", "%s", r.sim.ioMessage(err))
	}
	return nil
}

func cmdCopyItem(r *psRun, b *psBound) []any {
	p, _ := pathArg(b)
	src, dst := r.hostPath(p), r.hostPath(b.str("destination"))
	fi, err := os.Stat(src)
	if err != nil {
		r.notFound(b, p)
		return nil
	}
	if di, err := os.Stat(dst); err == nil && di.IsDir() {
		dst = filepath.Join(dst, filepath.Base(src))
	}
	if fi.IsDir() {
		if err := os.MkdirAll(dst, 0o755); err != nil {
			r.cmdletError(b, psIOErrorType(err), "WriteError", "%s", r.sim.ioMessage(err))
			return nil
		}
		if !b.switches["recurse"] {
			return nil
		}
		err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, path)
			target := filepath.Join(dst, rel)
			if d.IsDir() {
				return os.MkdirAll(target, 0o755)
			}
			data, err := os.ReadFile(path)
			if err == nil {
				err = os.WriteFile(target, data, 0o644)
			}
			return err
		})
	} else {
		var data []byte
		if data, err = os.ReadFile(src); err == nil {
			err = r.sim.writeFile(dst, data)
		}
	}
	if err != nil {
		r.cmdletError(b, psIOErrorType(err), "WriteError", "%s", r.sim.ioMessage(err))
	}
	return nil
}

func cmdMoveItem(r *psRun, b *psBound) []any {
	p, _ := pathArg(b)
	src, dst := r.hostPath(p), r.hostPath(b.str("destination"))
	if _, err := os.Lstat(src); err != nil {
		r.notFound(b, p)
		return nil
	}
	if di, err := os.Stat(dst); err == nil {
		switch {
		case di.IsDir():
			dst = filepath.Join(dst, filepath.Base(src))
		case !b.switches["force"]:
			r.cmdletError(b, "System.IO.IOException", "WriteError", "Cannot create a file when that file already exists.")
			return nil
		}
	}
	if err := os.Rename(src, dst); err != nil {
		r.cmdletError(b, psIOErrorType(err), "WriteError", "%s", r.sim.ioMessage(err))
	}
	return nil
}

// cmdSetContent is Set-Content and Add-Content (b.name tells): each value
// a line ending in CRLF, in UTF-8 (ASCII, Default, UTF8NoBOM) or UTF-8 with
// a BOM (UTF8, as Windows PowerShell 5.1 writes it).
func cmdSetContent(r *psRun, b *psBound) []any {
	p, _ := pathArg(b)
	host := r.hostPath(p)
	var sb strings.Builder
	vals := psUnroll(b.vals["value"])
	if !b.has("value") {
		vals = b.input
	}
	for _, v := range vals {
		sb.WriteString(psString(v))
		if !b.switches["nonewline"] {
			sb.WriteString("\r\n")
		}
	}
	data := []byte(sb.String())
	appendMode := strings.EqualFold(b.name, "add-content")
	switch strings.ToLower(b.str("encoding")) {
	case "", "ascii", "default", "utf8nobom", "oem":
	case "utf8":
		if cur, err := os.ReadFile(host); !appendMode || err != nil || len(cur) == 0 {
			data = append([]byte{0xEF, 0xBB, 0xBF}, data...)
		}
	default:
		psThrow("System.NotSupportedException", "%s -Encoding %s is not implemented by the simulator", b.name, b.str("encoding"))
	}
	if appendMode {
		cur, _ := os.ReadFile(host)
		data = append(cur, data...)
	}
	if err := r.sim.writeFile(host, data); err != nil {
		r.cmdletError(b, psIOErrorType(err), "WriteError", "%s", r.sim.ioMessage(err))
	}
	return nil
}

func cmdGetContent(r *psRun, b *psBound) []any {
	p, _ := pathArg(b)
	data, err := os.ReadFile(r.hostPath(p))
	if err != nil {
		r.notFound(b, p)
		return nil
	}
	text := psDecodeText(data)
	if b.switches["raw"] {
		return []any{text}
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return psUnrollStrings(lines)
}

func cmdGetFileHash(r *psRun, b *psBound) []any {
	p, _ := pathArg(b)
	alg := strings.ToUpper(b.str("algorithm"))
	if alg == "" {
		alg = "SHA256"
	}
	hashes := map[string]func() hash.Hash{"MD5": md5.New, "SHA1": sha1.New, "SHA256": sha256.New, "SHA384": sha512.New384, "SHA512": sha512.New}
	newHash, ok := hashes[alg]
	if !ok {
		psThrow("System.Management.Automation.ParameterBindingValidationException", "Cannot validate argument on parameter 'Algorithm'. The argument \"%s\" does not belong to the set \"SHA1,SHA256,SHA384,SHA512,MACTripleDES,MD5,RIPEMD160\".", b.str("algorithm"))
	}
	data, err := os.ReadFile(r.hostPath(p))
	if err != nil {
		r.notFound(b, p)
		return nil
	}
	h := newHash()
	h.Write(data)
	o := newPSObject("Microsoft.Powershell.Utility.FileHash")
	o.props.set("Algorithm", alg)
	o.props.set("Hash", strings.ToUpper(hex.EncodeToString(h.Sum(nil))))
	o.props.set("Path", r.fullPath(p))
	return []any{o}
}

func cmdGetACL(r *psRun, b *psBound) []any {
	p, _ := pathArg(b)
	if _, err := os.Lstat(r.hostPath(p)); err != nil {
		r.notFound(b, p)
		return nil
	}
	o := newPSObject("System.Security.AccessControl.FileSecurity")
	o.props.set("Owner", r.sim.Owner)
	o.props.set("Path", r.fullPath(p))
	return []any{o}
}
