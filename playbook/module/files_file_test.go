package module

import (
	"os"
	"path/filepath"
	"testing"
)

var fileKeys = []string{"path", "dest", "src", "mode", "state", "size", "uid", "gid", "owner", "group", "msg"}

func TestFileAsAnsible(t *testing.T) {
	tree := layout(map[string]string{"a.txt": "alpha\n", "d/x": "x\n", "d/sub/y": "y\n", "e/": "", "other.txt": "o\n"})
	withLink := func(t *testing.T, d string) { tree(t, d); symlink(t, d, "other.txt", "lnk") }
	runOracleCases(t, []fsCase{
		{name: "directory nested with mode", module: "file", setup: tree, check: true, keys: fileKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/n1/n2", "state": "directory", "mode": "0750"}
			}},
		{name: "directory recurse symbolic", module: "file", setup: tree, check: true, keys: fileKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/d", "state": "directory", "recurse": true, "mode": "u=rwX,g=rX,o=", "owner": "root"}
			}},
		{name: "file absent fails", module: "file", setup: tree, keys: fileKeys,
			args: func(d string) map[string]any { return map[string]any{"path": d + "/none", "state": "file"} }},
		{name: "file symbolic mode", module: "file", setup: tree, check: true, keys: fileKeys,
			args: func(d string) map[string]any { return map[string]any{"path": d + "/a.txt", "mode": "go-r,u+x"} }},
		{name: "link relative", module: "file", setup: tree, check: true, keys: fileKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": "a.txt", "dest": d + "/l1", "state": "link"}
			}},
		{name: "link retarget", module: "file", setup: withLink, check: true, keys: fileKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/a.txt", "path": d + "/lnk", "state": "link"}
			}},
		{name: "link over file refused", module: "file", setup: tree, keys: fileKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/a.txt", "path": d + "/other.txt", "state": "link"}
			}},
		{name: "hard link", module: "file", setup: tree, check: true, keys: fileKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/a.txt", "path": d + "/h", "state": "hard"}
			}},
		{name: "touch new always", module: "file", setup: tree, check: true, keys: fileKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/t", "state": "touch", "mode": "0600"}
			}},
		{name: "touch fixed time", module: "file", setup: tree, keys: fileKeys,
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
		{name: "absent directory", module: "file", setup: tree, check: true, keys: fileKeys,
			args: func(d string) map[string]any { return map[string]any{"path": d + "/d", "state": "absent"} }},
	})
}
