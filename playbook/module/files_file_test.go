package module

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

var fileKeys = []string{"path", "dest", "src", "mode", "state", "size", "uid", "gid", "owner", "group", "msg"}

func TestFileAsAnsible(t *testing.T) {
	tree := layout(map[string]string{"a.txt": "alpha\n", "d/x": "x\n", "d/sub/y": "y\n", "e/": "", "other.txt": "o\n"})
	withLink := func(t *testing.T, d string) { tree(t, d); symlink(t, d, "other.txt", "lnk") }
	runOracleCases(t, []fsCase{
		{name: "directory nested with mode", module: "file", setup: tree, check: true, diff: true, keys: fileKeys,
			args: func(d string) map[string]any {
				// setype: ignored on a host without SELinux, as Ansible does
				return map[string]any{"path": d + "/n1/n2", "state": "directory", "mode": "0750", "setype": "etc_t"}
			}},
		{name: "directory recurse symbolic", module: "file", setup: tree, check: true, keys: fileKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/d", "state": "directory", "recurse": true, "mode": "u=rwX,g=rX,o=", "owner": "root"}
			}},
		{name: "file symbolic mode", module: "file", setup: tree, check: true, diff: true, keys: fileKeys,
			args: func(d string) map[string]any { return map[string]any{"path": d + "/a.txt", "mode": "go-r,u+x"} }},
		{name: "link relative", module: "file", setup: tree, keys: fileKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": "a.txt", "dest": d + "/l1", "state": "link"}
			}},
		{name: "link retarget", module: "file", setup: withLink, check: true, diff: true, keys: fileKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/a.txt", "path": d + "/lnk", "state": "link"}
			}},
		{name: "link over file refused", module: "file", setup: tree, keys: fileKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/a.txt", "path": d + "/other.txt", "state": "link"}
			}},
		{name: "hard link", module: "file", setup: tree, keys: fileKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/a.txt", "path": d + "/h", "state": "hard"}
			}},
		{name: "touch new always", module: "file", setup: tree, keys: fileKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/t", "state": "touch", "mode": "0600"}
			}},
		{name: "touch fixed time", module: "file", setup: tree, diff: true, keys: fileKeys,
			norm: diffNorm(func(d map[string]any) { // the old mtime is each tree's own
				if b, ok := d["before"].(map[string]any); ok && b["mtime"] != nil {
					b["mtime"] = "old"
				}
			}),
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/a.txt", "state": "touch", "modification_time": "202001021504.05",
					"access_time": "preserve"}
			},
			want: func(t *testing.T, d string, _ Result) {
				info, err := os.Stat(filepath.Join(d, "a.txt"))
				if err != nil || info.ModTime().Format("200601021504.05") != "202001021504.05" {
					t.Errorf("mtime %v %v", info.ModTime(), err)
				}
			}},
		{name: "absent directory", module: "file", setup: tree, diff: true, keys: fileKeys,
			norm: diffNorm(func(d map[string]any) { // readdir's order is each tree's own
				b, _ := d["before"].(map[string]any)
				pc, _ := b["path_content"].(map[string]any)
				for _, k := range []string{"directories", "files"} {
					l, _ := pc[k].([]any)
					sort.Slice(l, func(i, j int) bool { return l[i].(string) < l[j].(string) })
				}
			}),
			args: func(d string) map[string]any { return map[string]any{"path": d + "/d", "state": "absent"} }},
	})
}

func TestStrftimeParse(t *testing.T) {
	got, err := strftimeParse("%Y%m%d%H%M.%S", "202001021504.05")
	if err != nil || got.Format("2006-01-02 15:04:05") != "2020-01-02 15:04:05" {
		t.Errorf("%v %v", got, err)
	}
	if _, err := strftimeParse("%Q", "x"); err == nil {
		t.Error("an unknown directive is an error")
	}
}

func TestWalkList(t *testing.T) {
	got := walkList("/d/", []string{"f|/d/x", "d|/d/sub", "f|/d/sub/y", "d|/d/sub/deep", "f|/d/z", "d|/d/e"})
	dirs, files := got["directories"].([]any), got["files"].([]any)
	if fmt.Sprint(dirs) != "[/d/sub /d/e /d/sub/deep]" || fmt.Sprint(files) != "[/d/x /d/z /d/sub/y]" {
		t.Errorf("walkList: %v %v", dirs, files)
	}
}

// A link task without src keeps the link (follow: the link's target gets
// the attributes).
func TestFileLinkWithoutSrc(t *testing.T) {
	d := t.TempDir()
	write(t, d, "a.txt", "a", 0o644)
	symlink(t, d, "a.txt", "l")
	res := runLocal(t, "file", map[string]any{"path": d + "/l", "state": "link", "mode": "0600"}, false, false)
	if !res.Changed() || res.IsFailed() || res["src"] != "a.txt" {
		t.Errorf("first: %v", res)
	}
	if info, err := os.Stat(filepath.Join(d, "a.txt")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("target mode: %v %v", info, err)
	}
	if res := runLocal(t, "file", map[string]any{"path": d + "/l", "state": "link", "mode": "0600"}, false, false); res.Changed() {
		t.Errorf("second: %v", res)
	}
}
