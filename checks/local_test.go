//go:build linux

package checks

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
)

// TestRunOnThisHost runs real probes on this Linux machine through the
// local transport: the gather script's helpers, the real /proc, stat,
// getent, dpkg-query, df, and a command.
func TestRunOnThisHost(t *testing.T) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("this test expects a Debian-like host (dpkg-query)")
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()

	dir := t.TempDir()
	content := "first line\nbinary \x00\xff\nno newline at the end"
	file := filepath.Join(dir, "data file") // a space, to test quoting
	if err := os.WriteFile(file, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o640); err != nil { // whatever the umask
		t.Fatal(err)
	}
	link := filepath.Join(dir, "it's a link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	sum256 := sha256.Sum256([]byte(content))
	sumMD5 := md5.Sum([]byte(content))
	self := filepath.Base(os.Args[0])

	checks := mustParse(t, fmt.Sprintf(`
port:
  tcp:%[1]d: {listening: true, ip: [127.0.0.1]}
  udp:%[2]d: {listening: true, ip: [127.0.0.1]}
  tcp:%[3]d: {listening: false}
file:
  %[4]q:
    exists: true
    filetype: file
    mode: "0640"
    size: %[5]d
    contents: ["first line", "!/^second/", "no newline"]
    sha256: %[6]s
    md5: %[7]s
  %[8]q: {exists: true, filetype: symlink, linked-to: %[4]q}
  %[9]q: {exists: false}
user:
  root: {exists: true, uid: 0, home: /root, groups: [root]}
group:
  root: {exists: true, gid: 0}
package:
  bash: {installed: true, versions: [{match-regexp: "^[0-9]"}]}
  no-such-package-here: {installed: false}
process:
  %[10]q: {running: true}
kernel-param:
  kernel.ostype: {value: Linux}
mount:
  /: {exists: true, usage: {le: 100}}
dns:
  localhost: {from: host, resolvable: true}
command:
  "printf 'out\nput'; echo oops >&2; exit 4": {exit-status: 4, stdout: [put], stderr: [oops]}
`, tcp.Addr().(*net.TCPAddr).Port, udp.LocalAddr().(*net.UDPAddr).Port, closedPort,
		file, len(content), hex.EncodeToString(sum256[:]), hex.EncodeToString(sumMD5[:]),
		link, filepath.Join(dir, "missing"), self))

	tr, err := local.Dialer{}.Dial(context.Background(), remote.Target{Name: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	counting := &countingExec{Executor: tr}
	results := Run(context.Background(), counting, HostInfo{Name: "localhost"}, checks, RunOptions{})
	for _, r := range results {
		if r.Status != Pass {
			t.Errorf("%s %s %s: %s (expected %s, actual %q) %s", r.Type, r.ID, r.Property, r.Status, r.Expected, r.Actual, r.Message)
		}
	}
	if want := 2; counting.runs != want { // the gather and the command
		t.Errorf("%d round trips, want %d", counting.runs, want)
	}
	if got := len(results); got != 33 {
		t.Errorf("%d results: %v", got, summary(results))
	}
}

// TestGatherHelpersRunInPOSIXShells runs every helper through dash (or
// /bin/sh) to catch bashisms: each must print something a parser accepts.
func TestGatherHelpersRunInPOSIXShells(t *testing.T) {
	tr, err := local.Dialer{}.Dial(context.Background(), remote.Target{Name: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	g := newGather(remote.OSLinux)
	var names []string
	for name := range posixHelpers {
		names = append(names, name)
	}
	calls := map[string][]string{
		"_net": {"tcp"}, "_svc": {"nosuch"}, "_ps": nil, "_pkg": {"bash"}, "_stat": {"/etc/passwd"},
		"_cat": {"/etc/hostname"}, "_readlink": {"/proc/self"}, "_sum": {"sha256", "/etc/hostname"},
		"_getent": {"passwd", "root"}, "_idgroups": {"root"}, "_sysctl": {"kernel.ostype", "kernel/ostype"},
		"_mounts": nil, "_df": {"/"}, "_ahosts": {"ahosts", "localhost"}, "_tilde": {"~root/x"}, "_iface": {"lo"}, "_pports": {"sshd"},
	}
	handles := make(map[string]int)
	for _, name := range names {
		args, ok := calls[name]
		if !ok {
			t.Fatalf("no test call for helper %s", name)
		}
		handles[name] = g.add(name, name, posixCall(name, args...))
	}
	g.run(context.Background(), tr, func(*remote.Cmd) {})
	if g.err != nil {
		t.Fatal(g.err)
	}
	for name, h := range handles {
		s := g.section(h)
		if msg := s.failed(); msg != "" {
			t.Errorf("%s: %s", name, msg)
		}
	}
}

// countingExec counts round trips to the host.
type countingExec struct {
	Executor
	runs int
}

func (c *countingExec) Run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
	c.runs++
	return c.Executor.Run(ctx, cmd)
}

// TestTildePathsExpandAsGoss: ~ and ~user in a file path are home
// directories, as goss's system/file.go expands them; an unknown user is
// an error.
func TestTildePathsExpandAsGoss(t *testing.T) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "marker"), []byte("here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	tr, err := local.Dialer{}.Dial(context.Background(), remote.Target{Name: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	results := Run(context.Background(), tr, HostInfo{Name: "localhost"}, mustParse(t, `
file:
  ~/marker: {exists: true, contents: [here], sha256: {have-len: 64}}
  ~root: {exists: true, filetype: directory}
  ~no-such-user-here/x: {exists: true}
`), RunOptions{})
	want := []string{
		"file ~/marker exists pass", "file ~/marker sha256 pass", "file ~/marker contents pass",
		"file ~root exists pass", "file ~root filetype pass",
		"file ~no-such-user-here/x exists error",
	}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
	if r := results[len(results)-1]; !strings.Contains(r.Message, "no such user: no-such-user-here") {
		t.Errorf("unknown user = %+v", r)
	}
}
