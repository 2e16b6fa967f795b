//go:build linux

package checks

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
)

func localExec(t *testing.T) Executor {
	t.Helper()
	tr, err := local.Dialer{}.Dial(context.Background(), remote.Target{Name: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// TestAddWritesWhatPasses: check add observes this machine as goss add
// does, the file it writes keeps what was there, parses, and every check
// in it passes on the same machine.
func TestAddWritesWhatPasses(t *testing.T) {
	ex := localExec(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.WriteFile(data, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := "tcp:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	adds := [][2]string{
		{"file", data}, {"file", link}, {"file", filepath.Join(dir, "missing")},
		{"user", "root"}, {"group", "root"}, {"port", port}, {"kernel-param", "kernel.ostype"},
		{"mount", "/proc"}, {"interface", "lo"}, {"command", `echo hello; echo '!bang'; echo oops >&2; exit 3`},
		{"addr", "tcp://" + ln.Addr().String()},
	}
	if _, err := exec.LookPath("dpkg-query"); err == nil {
		adds = append(adds, [2]string{"package", "dpkg"})
	}
	var entries []*Entry
	for _, a := range adds {
		e, err := Current(context.Background(), ex, a[0], a[1], RunOptions{})
		if err != nil {
			t.Fatalf("%s %s: %v", a[0], a[1], err)
		}
		entries = append(entries, e)
	}
	got := map[string]*Entry{}
	for _, e := range entries {
		got[e.Type+" "+e.ID] = e
	}
	wantProps := map[string]string{
		"file " + data:                          "exists mode owner group filetype",
		"file " + link:                          "exists mode owner group linked-to filetype",
		"file " + filepath.Join(dir, "missing"): "exists",
		"user root":                             "exists uid gid groups home shell",
		"port " + port:                          "listening ip",
		"command " + adds[9][1]:                 "exit-status stdout stderr timeout",
	}
	for k, want := range wantProps {
		var names []string
		for _, p := range got[k].Props {
			names = append(names, p.Name)
		}
		if strings.Join(names, " ") != want {
			t.Errorf("%s: properties %q, want %q", k, names, want)
		}
	}
	if e := got["file "+data]; e.Props[1].Value != "0640" || !e.Found {
		t.Errorf("file entry = %+v", e)
	}
	if e := got["file "+filepath.Join(dir, "missing")]; e.Found || e.Props[0].Value != false {
		t.Errorf("missing file entry = %+v", e)
	}

	file := filepath.Join(dir, "goss.yaml")
	before := "# kept\nfile:\n  /etc/passwd:\n    exists: true\n"
	if err := os.WriteFile(file, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := AddToFile(file, entries); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "# kept\nfile:\n  /etc/passwd:\n    exists: true\n") || !strings.Contains(string(out), `mode: "0640"`) {
		t.Errorf("the file as written:\n%s", out)
	}
	suite, err := Load([]string{file})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := len(suite.Checks); n != len(entries)+1 {
		t.Errorf("%d checks in the file, want %d", n, len(entries)+1)
	}
	for _, r := range Run(context.Background(), ex, HostInfo{Name: "localhost"}, suite.Checks, RunOptions{}) {
		if r.Status != Pass {
			t.Errorf("%s %s %s: %s (expected %s, actual %s) %s\n%s", r.Type, r.ID, r.Property, r.Status, r.Expected, r.Actual, r.Message, out)
		}
	}

	// Adding again replaces the entry: the file does not grow.
	if err := AddToFile(file, entries[:1]); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(file)
	if string(again) != string(out) {
		t.Errorf("adding the same entry again changed the file:\n%s", again)
	}
}

// TestAddRefusals: a type goss cannot add, a bad id, a file whose
// templates wrap YAML.
func TestAddRefusals(t *testing.T) {
	ex := localExec(t)
	if _, err := Current(context.Background(), ex, "tls", "example.com:443", RunOptions{}); err == nil || !strings.Contains(err.Error(), "cannot add") {
		t.Errorf("tls: %v", err)
	}
	if e, err := Current(context.Background(), ex, "port", "1", RunOptions{}); err != nil || e.ID != "tcp:1" {
		t.Errorf("port 1 = %+v, %v; want the id tcp:1, as goss writes it", e, err)
	}
	if _, err := Current(context.Background(), ex, "port", "tcp:notaport", RunOptions{}); err == nil {
		t.Error("a bad port id was accepted")
	}
	file := filepath.Join(t.TempDir(), "t.yaml")
	if err := os.WriteFile(file, []byte("{{ range .Vars.x }}\nfile:\n  /a: {exists: true}\n{{ end }}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := AddToFile(file, []*Entry{{Type: "file", ID: "/b", Props: []Prop{{"exists", true}}}})
	if err == nil || !strings.Contains(err.Error(), "templates wrap YAML") {
		t.Errorf("templated file: %v", err)
	}
}

// TestAutoAddNginx: goss autoadd on a real nginx: its process, and the
// ports it listens on (ss -p), a package when installed; a name that is
// nothing adds nothing.
func TestAutoAddNginx(t *testing.T) {
	ng := startNginx(t)
	ex := localExec(t)
	entries, err := AutoAdd(context.Background(), ex, "nginx", RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.Type+" "+e.ID)
	}
	if !slices.Contains(ids, "process nginx") {
		t.Errorf("autoadd nginx = %q, want process nginx", ids)
	}
	if _, err := exec.LookPath("ss"); err == nil {
		_, port, _ := net.SplitHostPort(ng.httpAddr)
		if !slices.Contains(ids, "port tcp:"+port) {
			t.Errorf("autoadd nginx = %q, want port tcp:%s (its listening socket)", ids, port)
		}
	}
	if _, err := exec.LookPath("dpkg-query"); err == nil && !slices.Contains(ids, "package nginx") {
		t.Errorf("autoadd nginx = %q, want package nginx", ids)
	}
	none, err := AutoAdd(context.Background(), ex, "no-such-thing-here", RunOptions{})
	if err != nil || len(none) != 0 {
		t.Errorf("autoadd of nothing = %v, %v", none, err)
	}
}

func TestParseProcessPorts(t *testing.T) {
	got := parseProcessPorts([]byte("tcp 0.0.0.0:80\ntcp [::]:80\nudp 127.0.0.1:53\ntcp 0.0.0.0:80\nbad\n"))
	if want := []string{"tcp6:80", "tcp:80", "udp:53"}; !slices.Equal(got, want) {
		t.Errorf("ports = %q, want %q", got, want)
	}
}

// TestEntriesYAMLAsGoss: the file check add writes is the one goss add
// wrote for the same observations (goss v0.4 on Debian 12: goss -g g.yaml
// add file /etc/passwd, file /etc/localtime, port 22, command "echo hi",
// mount /proc, user root, in another order), types in goss's order and
// ids sorted.
func TestEntriesYAMLAsGoss(t *testing.T) {
	entries := []*Entry{
		{Type: "mount", ID: "/proc", Props: []Prop{{"exists", true}, {"opts", []string{"rw", "relatime"}}, {"vfs-opts", []string{"rw"}},
			{"source", "proc"}, {"filesystem", "proc"}, {"timeout", int64(1000)}}},
		{Type: "command", ID: "echo hi", Props: []Prop{{"exit-status", int64(0)}, {"stdout", []string{"hi"}}, {"stderr", ""}, {"timeout", int64(10000)}}},
		{Type: "file", ID: "/etc/passwd", Props: []Prop{{"exists", true}, {"mode", "0644"}, {"owner", "root"}, {"group", "root"}, {"filetype", "file"}}},
		{Type: "port", ID: "tcp:22", Props: []Prop{{"listening", false}, {"ip", []string{}}}},
		{Type: "file", ID: "/etc/localtime", Props: []Prop{{"exists", true}, {"mode", "0777"}, {"owner", "root"}, {"group", "root"},
			{"linked-to", "/usr/share/zoneinfo/Etc/UTC"}, {"filetype", "symlink"}}},
		{Type: "user", ID: "root", Props: []Prop{{"exists", true}, {"uid", int64(0)}, {"gid", int64(0)}, {"groups", []string{"root"}},
			{"home", "/root"}, {"shell", "/bin/bash"}}},
	}
	got, err := EntriesYAML(entries)
	if err != nil {
		t.Fatal(err)
	}
	const goss = `file:
    /etc/localtime:
        exists: true
        mode: "0777"
        owner: root
        group: root
        linked-to: /usr/share/zoneinfo/Etc/UTC
        filetype: symlink
    /etc/passwd:
        exists: true
        mode: "0644"
        owner: root
        group: root
        filetype: file
port:
    tcp:22:
        listening: false
        ip: []
user:
    root:
        exists: true
        uid: 0
        gid: 0
        groups:
            - root
        home: /root
        shell: /bin/bash
command:
    echo hi:
        exit-status: 0
        stdout:
            - hi
        stderr: ""
        timeout: 10000
mount:
    /proc:
        exists: true
        opts:
            - rw
            - relatime
        vfs-opts:
            - rw
        source: proc
        filesystem: proc
        timeout: 1000
`
	if string(got) != goss {
		t.Errorf("check add wrote:\n%s\ngoss add wrote:\n%s", got, goss)
	}
}
