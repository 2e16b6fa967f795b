package module

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var copyKeys = []string{"dest", "checksum", "md5sum", "size", "mode", "state", "owner", "uid", "gid"}

func TestCopyAsAnsible(t *testing.T) {
	srcTree := layout(map[string]string{"src/a.txt": "alpha\n", "src/tree/x": "x\n", "src/tree/sub/y": "y\n",
		"src/tree/empty/": "", "dst/": "", "dst/old.txt": "old\n", "dst/same.txt": "alpha\n"})
	runOracleCases(t, []fsCase{
		{name: "content new file", module: "copy", setup: srcTree, keys: copyKeys,
			args: func(d string) map[string]any { return map[string]any{"content": "hello\n", "dest": d + "/dst/new.txt"} }},
		{name: "content replaces with backup and mode", module: "copy", setup: srcTree, check: true, diff: true, keys: copyKeys,
			// Ansible's after_header is its temporary file of the content
			norm: diffNorm(func(d map[string]any) { delete(d, "after_header") }),
			args: func(d string) map[string]any {
				return map[string]any{"content": "new\n", "dest": d + "/dst/old.txt", "backup": true, "mode": "0600"}
			},
			want: func(t *testing.T, d string, r Result) {
				if !strings.HasPrefix(r["backup_file"].(string), d+"/dst/old.txt.") {
					t.Errorf("backup_file %v", r["backup_file"])
				}
			}},
		{name: "same content only symbolic mode", module: "copy", setup: srcTree, check: true, diff: true, keys: copyKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/src/a.txt", "dest": d + "/dst/same.txt", "mode": "u=rw,g=,o="}
			}},
		{name: "src file into dir dest", module: "copy", setup: srcTree, keys: copyKeys,
			args: func(d string) map[string]any { return map[string]any{"src": d + "/src/a.txt", "dest": d + "/dst"} }},
		{name: "src file dest slash creates dirs", module: "copy", setup: srcTree, check: true, diff: true, keys: copyKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/src/a.txt", "dest": d + "/dst/n1/n2/", "directory_mode": "0750"}
			}},
		{name: "missing dest dir fails", module: "copy", setup: srcTree, keys: []string{"msg"},
			args: func(d string) map[string]any { return map[string]any{"content": "x", "dest": d + "/nope/f"} }},
		{name: "force no keeps file", module: "copy", setup: srcTree, keys: []string{"dest"},
			args: func(d string) map[string]any {
				return map[string]any{"content": "zzz", "dest": d + "/dst/old.txt", "force": false}
			}},
		{name: "dir without slash", module: "copy", setup: srcTree, check: true, diff: true, keys: []string{"dest"},
			args: func(d string) map[string]any { return map[string]any{"src": d + "/src/tree", "dest": d + "/dst"} }},
		{name: "dir with slash mode preserve", module: "copy", setup: srcTree, keys: []string{"dest"},
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/src/tree/", "dest": d + "/dst/t2", "mode": "preserve"}
			}},
		{name: "validate fails", module: "copy", setup: srcTree, keys: []string{"msg", "exit_status"},
			args: func(d string) map[string]any {
				return map[string]any{"content": "bad\n", "dest": d + "/dst/old.txt", "validate": "grep -q good %s"}
			}},
		{name: "remote src file", module: "copy", setup: srcTree, keys: copyKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/src/a.txt", "dest": d + "/dst/r.txt", "remote_src": true}
			}},
		{name: "remote src dir", module: "copy", setup: srcTree, keys: []string{"dest"},
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/src/tree", "dest": d + "/dst", "remote_src": true}
			}},
	})
}

// The templates here hold no Jinja2 (runLocal's controller renders
// nothing): the rendering is the Controller's; this compares what
// template does with the text it renders.
func TestTemplateAsAnsible(t *testing.T) {
	tree := func(t *testing.T, d string) {
		write(t, d, "tpl/app.conf.j2", "name = app\nport = 80\n", 0o640)
		mkdir(t, d, "etc", 0o755)
		write(t, d, "etc/app.conf", "old\n", 0o644)
	}
	runOracleCases(t, []fsCase{
		{name: "replace with backup", module: "template", setup: tree, check: true, diff: true, keys: append(copyKeys, "src"),
			norm: func(res map[string]any) { // Ansible's src and after_header are its temporary files
				delete(res, "src")
				diffNorm(func(d map[string]any) { delete(d, "after_header") })(res)
			},
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/tpl/app.conf.j2", "dest": d + "/etc/app.conf", "backup": true}
			}},
		{name: "into dir preserve crlf", module: "template", setup: tree, check: true, keys: copyKeys,
			args: func(d string) map[string]any {
				return map[string]any{"src": d + "/tpl/app.conf.j2", "dest": d + "/etc/", "mode": "preserve",
					"newline_sequence": `\r\n`}
			}},
	})
}

func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		mode  string
		cur   uint32
		isDir bool
		want  uint32
		err   bool
	}{
		{"0644", 0o600, false, 0o644, false},
		{"755", 0, false, 0o755, false},
		{"01777", 0, true, 0o1777, false},
		{"u=rw,g=r,o=", 0o777, false, 0o640, false},
		{"u+x,go-w", 0o666, false, 0o744, false},
		{"a+X", 0o644, false, 0o644, false},
		{"a+X", 0o744, false, 0o755, false},
		{"a+X", 0o700, true, 0o711, false},
		{"+w", 0o444, false, 0o644, false}, // no who: the umask (022) masks
		{"g=u", 0o750, false, 0o770, false},
		{"u+s,o+t", 0o755, true, 0o5755, false},
		{"u=rwx,g=rx,o=rx", 0o4755, false, 0o755, false},
		{"u=rw-x", 0o700, false, 0o600, false},
		{"z=r", 0, false, 0, true},
		{"0999", 0, false, 0, true},
		{"rw", 0, false, 0, true},
	} {
		got, err := parseMode(tc.mode, tc.cur, tc.isDir, 0o022)
		if (err != nil) != tc.err || !tc.err && got != tc.want {
			t.Errorf("parseMode(%q, %o, dir %v) = %o, %v; want %o (error %v)", tc.mode, tc.cur, tc.isDir, got, err, tc.want, tc.err)
		}
	}
}

// TestProbeParse decides on golden probe output: what a host printed.
func TestProbeParse(t *testing.T) {
	out := "umask\tumask\t0027\nme\tid\t1000 100\n" +
		"d\tstat\tregular file|640|6|1000|100|alice|UNKNOWN|1700000000.5|1700000001.25|1700000002|42|2|2049\n" +
		"d\taccess\trw\nd\tsha1\tabc\nd\tb64\taGkK\n" +
		"l\tstat\t\nl\tlink\tmissing\nn\tnone\t\nbob\tuid\t1001\nstaff\tgid\t50\n"
	r := parseProbe(out)
	d := r.path("d")
	if !d.Exists || d.Kind != "file" || d.Perm != 0o640 || d.UID != 1000 || d.Owner != "alice" || d.Group != "" ||
		d.Mtime != 1700000000.5 || d.Nlink != 2 || d.ansibleState() != "hard" || d.Sums["sha1"] != "abc" ||
		string(d.Content) != "hi\n" || !d.Readable || !d.Writable || d.Exec {
		t.Errorf("file: %+v", d)
	}
	if l := r.path("l"); l.Exists || l.ansibleState() != "link" || l.Target != "missing" {
		t.Errorf("dangling link followed: %+v", l)
	}
	if n := r.path("n"); n.Exists || n.ansibleState() != "absent" {
		t.Errorf("none: %+v", n)
	}
	if uid, gid := r.me(); r.umask != 0o027 || uid != 1000 || gid != 100 || r.uids["bob"] != 1001 || r.gids["staff"] != 50 {
		t.Errorf("umask %o me %d %d uids %v gids %v", r.umask, uid, gid, r.uids, r.gids)
	}
	res := pathResult(Result{}, d)
	if res["owner"] != "alice" || res["group"] != "100" || res["mode"] != "0640" || res["state"] != "hard" {
		t.Errorf("pathResult: %v", res)
	}
	cmds, changed, err := fileAttrs{Mode: "g-r", Owner: "bob", Group: "staff"}.apply("/x", d, r)
	if err != nil || !changed || len(cmds) != 3 {
		t.Errorf("apply: %v %v %v", cmds, changed, err)
	}
	if _, _, err := (fileAttrs{Owner: "nobody-here"}).apply("/x", d, r); err == nil {
		t.Error("an unknown owner is an error")
	}
}

// A dest that is a link to a directory gets the file inside, as the copy
// module's os.path.isdir follows the link; the link stays.
func TestCopyIntoLinkedDirectory(t *testing.T) {
	d := t.TempDir()
	write(t, d, "src/a.txt", "alpha\n", 0o644)
	mkdir(t, d, "real", 0o755)
	symlink(t, d, "real", "linked")
	for i, want := range []bool{true, false} {
		res := runLocal(t, "copy", map[string]any{"src": d + "/src/a.txt", "dest": d + "/linked"}, false, false)
		if res.Changed() != want || res.IsFailed() || res["dest"] != d+"/linked/a.txt" {
			t.Errorf("run %d: %v", i+1, res)
		}
	}
	if data, err := os.ReadFile(filepath.Join(d, "real/a.txt")); string(data) != "alpha\n" {
		t.Errorf("real/a.txt: %q %v", data, err)
	}
	if info, err := os.Lstat(filepath.Join(d, "linked")); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", info, err)
	}
}

// TestProbeScriptRuns runs a probe with this machine's /bin/sh, stat and
// checksum programs: the process's own uid and gid, a file's digests and
// content come back as the parser expects them.
func TestProbeScriptRuns(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("hello\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	p := newProbe()
	p.Path("f", file, false, "sha1 md5", true)
	out, err := exec.Command("/bin/sh", "-c", p.b.String()).Output()
	if err != nil {
		t.Fatal(err)
	}
	r := parseProbe(string(out))
	if uid, gid := r.me(); uid != os.Getuid() || gid != os.Getgid() {
		t.Errorf("me: %d %d, want %d %d (output %q)", uid, gid, os.Getuid(), os.Getgid(), out)
	}
	f := r.path("f")
	if !f.Exists || f.Perm != 0o640 || f.Sums["sha1"] != "f572d396fae9206628714fb2ce00f72e94f2258f" ||
		f.Sums["md5"] != "b1946ac92492d2347c6235b4d2611184" || string(f.Content) != "hello\n" {
		t.Errorf("file: %+v", f)
	}
}
