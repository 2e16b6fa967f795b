package module

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestStatAsAnsible(t *testing.T) {
	tree := func(t *testing.T, d string) {
		write(t, d, "a.txt", "alpha\n", 0o640)
		write(t, d, "run.sh", "#!/bin/sh\n", 0o4755)
		mkdir(t, d, "dir", 0o1777)
		symlink(t, d, "a.txt", "lnk")
		symlink(t, d, "none", "dangling")
	}
	keys := func(extra ...string) []string {
		base := []string{"stat.exists", "stat.path", "stat.mode", "stat.isdir", "stat.isreg", "stat.islnk", "stat.isfifo",
			"stat.size", "stat.uid", "stat.gid", "stat.pw_name", "stat.gr_name", "stat.checksum", "stat.md5", "stat.nlink",
			"stat.readable", "stat.writeable", "stat.executable", "stat.isuid", "stat.isgid", "stat.xusr", "stat.roth",
			"stat.lnk_source", "stat.lnk_target", "stat.mimetype", "stat.charset", "stat.attr_flags",
			"stat.attributes", "stat.blocks", "stat.block_size", "stat.device_type", "stat.dev"}
		return append(base, extra...)
	}
	runOracleCases(t, []fsCase{
		{name: "file sha256", module: "stat", setup: tree, keys: keys(),
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/a.txt", "checksum_algorithm": "sha256", "get_md5": true}
			}},
		{name: "setuid no mime", module: "stat", setup: tree, keys: keys(),
			args: func(d string) map[string]any { return map[string]any{"path": d + "/run.sh", "get_mime": false} }},
		{name: "link", module: "stat", setup: tree, keys: keys(),
			args: func(d string) map[string]any { return map[string]any{"path": d + "/lnk"} }},
		{name: "dangling followed", module: "stat", setup: tree, keys: keys(),
			args: func(d string) map[string]any { return map[string]any{"path": d + "/dangling", "follow": true} }},
		{name: "missing", module: "stat", setup: tree, keys: []string{"stat"},
			args: func(d string) map[string]any { return map[string]any{"path": d + "/none"} }},
	})
}

func TestSlurpAsAnsible(t *testing.T) {
	tree := layout(map[string]string{"a.bin": "\x00\x01binary\n", "d/": ""})
	runOracleCases(t, []fsCase{
		{name: "file", module: "slurp", setup: tree, keys: []string{"content", "encoding", "source"},
			args: func(d string) map[string]any { return map[string]any{"src": d + "/a.bin"} }},
		{name: "missing", module: "slurp", setup: tree, keys: []string{"msg"},
			args: func(d string) map[string]any { return map[string]any{"path": d + "/none"} }},
	})
}

// findFiles replaces find's files by their sorted paths, modes and sizes.
func findFiles(res map[string]any) {
	var out []string
	files, _ := res["files"].([]any)
	for _, f := range files {
		m := f.(map[string]any)
		out = append(out, fmt.Sprintf("%v %v %v %v %v", m["path"], m["mode"], m["size"], m["isdir"], m["checksum"]))
	}
	sort.Strings(out)
	res["files"] = strings.Join(out, ",")
}

func TestFindAsAnsible(t *testing.T) {
	tree := func(t *testing.T, d string) {
		layout(map[string]string{"logs/a.log": "error here\nok\n", "logs/b.log": "fine\n", "logs/c.txt": "error\n",
			"logs/.hidden.log": "x", "logs/sub/d.log": strings.Repeat("y", 2048), "logs/sub/deeper/e.log": "error\n",
			"logs/emptydir/": "", "plain": ""})(t, d)
		old := time.Now().Add(-72 * time.Hour)
		os.Chtimes(filepath.Join(d, "logs/b.log"), old, old)
		symlink(t, d, "a.log", "logs/link.log")
	}
	keys := []string{"matched", "examined", "msg", "files", "skipped_paths"}
	runOracleCases(t, []fsCase{
		{name: "patterns recurse", module: "find", setup: tree, keys: keys, norm: findFiles,
			args: func(d string) map[string]any {
				return map[string]any{"paths": d + "/logs", "patterns": "*.log", "recurse": true, "get_checksum": true}
			}},
		{name: "contains hidden excludes", module: "find", setup: tree, keys: keys, norm: findFiles,
			args: func(d string) map[string]any {
				return map[string]any{"paths": []any{d + "/logs"}, "contains": "error", "hidden": true, "recurse": true,
					"excludes": "c.*"}
			}},
		{name: "age size regex depth", module: "find", setup: tree, keys: keys, norm: findFiles,
			args: func(d string) map[string]any {
				return map[string]any{"paths": d + "/logs", "age": "1d", "use_regex": true, "patterns": `.*\.log$`,
					"recurse": true, "depth": 1}
			}},
		{name: "directories links and a non dir", module: "find", setup: tree, keys: keys, norm: findFiles,
			args: func(d string) map[string]any {
				return map[string]any{"paths": []any{d + "/logs", d + "/plain"}, "file_type": "directory", "recurse": true}
			}},
	})
}

var tmpName = regexp.MustCompile(`\{D\}/pre\.\w{8}\.sfx$`)

func TestTempfileAsAnsible(t *testing.T) {
	norm := func(res map[string]any) {
		if p, ok := res["path"].(string); ok && tmpName.MatchString(p) {
			res["path"] = "{D}/pre.XXXXXXXX.sfx"
		}
	}
	keys := []string{"path", "mode", "state", "size", "owner", "uid"}
	runOracleCases(t, []fsCase{
		{name: "file", module: "tempfile", skipFS: true, keys: keys, norm: norm,
			args: func(d string) map[string]any { return map[string]any{"path": d, "prefix": "pre.", "suffix": ".sfx"} }},
		{name: "directory", module: "tempfile", skipFS: true, keys: keys, norm: norm,
			args: func(d string) map[string]any {
				return map[string]any{"path": d, "prefix": "pre.", "suffix": ".sfx", "state": "directory"}
			}},
	})
}

func TestFetchAsAnsible(t *testing.T) {
	tree := layout(map[string]string{"a.txt": "alpha\n", "out/": "", "out/same.txt": "alpha\n"})
	keys := []string{"dest", "checksum", "md5sum", "remote_checksum", "msg", "file"}
	runOracleCases(t, []fsCase{
		{name: "flat", module: "fetch", setup: tree, keys: keys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/a.txt", "dest": d + "/out/", "flat": true}
			}},
		{name: "per host", module: "fetch", setup: tree, keys: keys, skipFS: true,
			args: func(d string) map[string]any { return map[string]any{"src": d + "/a.txt", "dest": d + "/out"} },
			want: func(t *testing.T, d string, _ Result) {
				if data, err := os.ReadFile(filepath.Join(d, "out/localhost", d, "a.txt")); string(data) != "alpha\n" {
					t.Errorf("fetched %q %v", data, err)
				}
			}},
		{name: "missing ignored", module: "fetch", setup: tree, keys: keys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/none", "dest": d + "/out/", "flat": true, "fail_on_missing": false}
			}},
	})
}

// archives writes a.tgz and a.zip holding top/x.txt and top/sub/y.txt.
func archives(t *testing.T, d string) {
	files := map[string]string{"top/x.txt": "x\n", "top/sub/y.txt": "y\n"}
	names := []string{"top/", "top/sub/", "top/sub/y.txt", "top/x.txt"}
	mt := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	var tb bytes.Buffer
	gz := gzip.NewWriter(&tb)
	tw := tar.NewWriter(gz)
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, n := range names {
		hdr := &tar.Header{Name: n, Mode: 0o644, ModTime: mt, Typeflag: tar.TypeReg, Size: int64(len(files[n]))}
		if strings.HasSuffix(n, "/") {
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[n]))
		fh := &zip.FileHeader{Name: n, Modified: mt}
		fh.SetMode(os.FileMode(hdr.Mode))
		if strings.HasSuffix(n, "/") {
			fh.SetMode(os.ModeDir | 0o755)
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[n]))
	}
	tw.Close()
	gz.Close()
	zw.Close()
	write(t, d, "a.tgz", tb.String(), 0o644)
	write(t, d, "a.zip", zb.String(), 0o644)
	mkdir(t, d, "dest", 0o755)
	mkdir(t, d, "done", 0o755)
}

func TestUnarchiveAsAnsible(t *testing.T) {
	keys := []string{"handler", "dest", "files", "msg", "skipped", "mode", "state"}
	runOracleCases(t, []fsCase{
		{name: "tgz from controller", module: "unarchive", setup: archives, keys: keys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/a.tgz", "dest": d + "/dest", "list_files": true}
			}},
		{name: "zip remote with mode", module: "unarchive", setup: archives, check: true, keys: append(keys, "src"),
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/a.zip", "dest": d + "/dest", "remote_src": true, "mode": "u=rwX,go=rX"}
			}},
		{name: "dest missing", module: "unarchive", setup: archives, keys: keys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/a.tgz", "dest": d + "/nodir", "copy": false}
			}},
	})
}

// Ansible skips an unarchive task whose creates exists, and a tar one
// in check mode: the oracle writes no result for skipped tasks.
func TestUnarchiveSkips(t *testing.T) {
	d := t.TempDir()
	archives(t, d)
	res := runLocal(t, "unarchive", map[string]any{"src": d + "/a.tgz", "dest": d + "/dest", "creates": d + "/done"}, false, false)
	if res["skipped"] != true || res.Changed() || res["msg"] != "skipped, since "+d+"/done exists" {
		t.Errorf("creates: %v", res)
	}
	res = runLocal(t, "unarchive", map[string]any{"src": d + "/a.tgz", "dest": d + "/dest"}, true, false)
	if res["skipped"] != true || res.Changed() {
		t.Errorf("check mode with tar: %v", res)
	}
	if entries, _ := os.ReadDir(filepath.Join(d, "dest")); len(entries) != 0 {
		t.Errorf("check mode unpacked %v", entries)
	}
}

func TestFnmatch(t *testing.T) {
	for _, tc := range []struct {
		pat, name string
		want      bool
	}{
		{"*.log", "a.log", true}, {"*.log", "a.log.1", false}, {"a?c", "abc", true}, {"[!x]*", "abc", true},
		{"[!a]*", "abc", false}, {"[a-c].txt", "b.txt", true}, {"[", "[", true}, {"a.b", "axb", false},
	} {
		if got := fnmatchRegexp(tc.pat).MatchString(tc.name); got != tc.want {
			t.Errorf("fnmatch(%q, %q) = %v", tc.name, tc.pat, got)
		}
	}
}

func TestExpandUser(t *testing.T) {
	if got := withHome("~/a/b", "/home/u/"); got != "/home/u/a/b" {
		t.Errorf("withHome: %s", got)
	}
	if got := withHome("~bob", "/home/bob"); got != "/home/bob" {
		t.Errorf("withHome: %s", got)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip(err)
	}
	res := runLocal(t, "stat", map[string]any{"path": "~", "get_mime": false}, false, false)
	if st, _ := res["stat"].(map[string]any); st["path"] != home || st["isdir"] != true {
		t.Errorf("stat ~: %v (home %s)", res, home)
	}
	res = runLocal(t, "find", map[string]any{"paths": []any{"~root", "/nonexistent"}, "file_type": "directory"}, false, false)
	if skipped, _ := res["skipped_paths"].(map[string]any); len(skipped) != 1 || skipped["/nonexistent"] == nil {
		t.Errorf("find ~root: %v", res["skipped_paths"])
	}
}
