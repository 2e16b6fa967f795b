package module

import (
	"strings"
	"testing"
)

var copyKeys = []string{"dest", "checksum", "md5sum", "size", "mode", "state", "owner", "uid", "gid"}

func TestCopyAsAnsible(t *testing.T) {
	srcTree := layout(map[string]string{"src/a.txt": "alpha\n", "src/tree/x": "x\n", "src/tree/sub/y": "y\n",
		"src/tree/empty/": "", "dst/": "", "dst/old.txt": "old\n", "dst/same.txt": "alpha\n"})
	runOracleCases(t, []fsCase{
		{name: "content new file", module: "copy", setup: srcTree, check: true, keys: copyKeys,
			args: func(d string) map[string]any { return map[string]any{"content": "hello\n", "dest": d + "/dst/new.txt"} }},
		{name: "content replaces with backup and mode", module: "copy", setup: srcTree, check: true, keys: copyKeys,
			args: func(d string) map[string]any {
				return map[string]any{"content": "new\n", "dest": d + "/dst/old.txt", "backup": true, "mode": "0600"}
			},
			want: func(t *testing.T, d string, r Result) {
				if !strings.HasPrefix(r["backup_file"].(string), d+"/dst/old.txt.") {
					t.Errorf("backup_file %v", r["backup_file"])
				}
			}},
		{name: "same content only symbolic mode", module: "copy", setup: srcTree, check: true, keys: copyKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/src/a.txt", "dest": d + "/dst/same.txt", "mode": "u=rw,g=,o="}
			}},
		{name: "src file into dir dest", module: "copy", setup: srcTree, check: true, keys: copyKeys,
			args: func(d string) map[string]any { return map[string]any{"src": d + "/src/a.txt", "dest": d + "/dst"} }},
		{name: "src file dest slash creates dirs", module: "copy", setup: srcTree, check: true, keys: copyKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/src/a.txt", "dest": d + "/dst/n1/n2/", "directory_mode": "0750"}
			}},
		{name: "missing dest dir fails", module: "copy", setup: srcTree, keys: []string{"msg"},
			args: func(d string) map[string]any { return map[string]any{"content": "x", "dest": d + "/nope/f"} }},
		{name: "force no keeps file", module: "copy", setup: srcTree, check: true, keys: []string{"dest"},
			args: func(d string) map[string]any {
				return map[string]any{"content": "zzz", "dest": d + "/dst/old.txt", "force": false}
			}},
		{name: "dir without slash", module: "copy", setup: srcTree, check: true, keys: []string{"dest"},
			args: func(d string) map[string]any { return map[string]any{"src": d + "/src/tree", "dest": d + "/dst"} }},
		{name: "dir with slash mode preserve", module: "copy", setup: srcTree, check: true, keys: []string{"dest"},
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/src/tree/", "dest": d + "/dst/t2", "mode": "preserve"}
			}},
		{name: "validate fails", module: "copy", setup: srcTree, keys: []string{"msg", "exit_status"},
			args: func(d string) map[string]any {
				return map[string]any{"content": "bad\n", "dest": d + "/dst/old.txt", "validate": "grep -q good %s"}
			}},
		{name: "validate passes", module: "copy", setup: srcTree, keys: copyKeys,
			args: func(d string) map[string]any {
				return map[string]any{"content": "good\n", "dest": d + "/dst/old.txt", "validate": "grep -q good %s"}
			}},
		{name: "remote src file", module: "copy", setup: srcTree, check: true, keys: copyKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/src/a.txt", "dest": d + "/dst/r.txt", "remote_src": true}
			}},
		{name: "remote src dir", module: "copy", setup: srcTree, check: true, keys: []string{"dest"},
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/src/tree", "dest": d + "/dst", "remote_src": true}
			}},
		{name: "remote src missing", module: "copy", setup: srcTree, keys: []string{"msg"},
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/src/none", "dest": d + "/dst/r.txt", "remote_src": true}
			}},
	})
}
