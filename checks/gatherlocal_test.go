//go:build linux

package checks

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
)

// scriptOnlyExec hides the local transport's OnController: its gathers
// run the script, as over SSH.
type scriptOnlyExec struct{ Executor }

// countingLocalExec counts the commands a local transport runs, keeping
// its OnController.
type countingLocalExec struct {
	LocalExecutor
	mu   sync.Mutex
	runs int
}

func (c *countingLocalExec) Run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
	c.mu.Lock()
	c.runs++
	c.mu.Unlock()
	return c.LocalExecutor.Run(ctx, cmd)
}

func dialLocalForGather(t *testing.T) LocalExecutor {
	t.Helper()
	tr, err := local.Dialer{}.Dial(context.Background(), remote.Target{Name: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	lx, ok := tr.(LocalExecutor)
	if !ok || !lx.OnController() {
		t.Fatal("the local transport does not say it runs on the controller")
	}
	return lx
}

// withoutDurations drops what differs from run to run.
func withoutDurations(rs []Result) []Result {
	out := make([]Result, len(rs))
	for i, r := range rs {
		r.Duration = 0
		out[i] = r
	}
	return out
}

// gatherFixture writes files of every kind the probes read and returns a
// check file over them, this host's accounts, packages, sockets, kernel
// parameters, mounts and interfaces, both present and missing.
func gatherFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	file := write("data file", "first line\nbinary \x00\xff\nno newline at the end", 0o640)
	empty := write("empty", "", 0o4755)
	link := filepath.Join(dir, "it's a link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	write2 := filepath.Join(home, "marker")
	if err := os.WriteFile(write2, []byte("in the home\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tcp.Close() })
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { udp.Close() })
	return fmt.Sprintf(`
file:
  %[1]q: {exists: true, filetype: file, mode: "0640", size: 45, owner: root, group: root, uid: 0, gid: 0,
          contents: ["first line", "!/^second/"], md5: {have-len: 32}, sha256: {have-len: 64}, sha512: {have-len: 128}}
  %[2]q: {exists: true, filetype: file, mode: "4755", size: 0, contents: []}
  %[3]q: {exists: true, filetype: symlink, linked-to: %[1]q, contents: ["first line"]}
  %[4]q: {exists: true, filetype: symlink, contents: [x], sha256: abc}
  %[5]q: {exists: true, filetype: pipe, mode: "0600"}
  %[6]q: {exists: false, contents: [x], linked-to: y}
  %[7]q: {exists: true, filetype: directory, contents: [x]}
  ~/marker: {exists: true, contents: [in the home], md5: {have-len: 32}}
  ~root: {exists: true, filetype: directory}
  ~no-such-user-here/x: {exists: true}
  /proc/sys/kernel/ostype: {exists: true, contents: [Linux]}
user:
  root: {exists: true, uid: 0, gid: 0, home: /root, shell: {have-prefix: /}, groups: {contain-element: root}}
  no-such-user-here: {exists: false, groups: [x]}
  "0": {exists: true}
group:
  root: {exists: true, gid: 0}
  no-such-group-here: {exists: false}
package:
  bash: {installed: true, versions: [{match-regexp: "^[0-9]"}]}
  no-such-package-here: {installed: false}
  "libc6:amd64": {installed: true}
port:
  tcp:%[8]d: {listening: true, ip: [127.0.0.1]}
  udp:%[9]d: {listening: true, ip: [127.0.0.1]}
  tcp6:1: {listening: false}
process:
  %[10]q: {running: true}
  no-such-process: {running: false}
kernel-param:
  kernel.ostype: {value: Linux}
  kernel.no_such_parameter: {value: "1"}
mount:
  /: {exists: true, usage: {le: 100}}
  /proc: {exists: true, filesystem: proc, usage: {le: 100}}
  /no/such/mount: {exists: false}
interface:
  lo: {exists: true, mtu: {gt: 0}, addrs: {contain-element: 127.0.0.1/8}}
  no-such-iface0: {exists: false}
  ../lo: {exists: false}
dns:
  localhost: {from: host, resolvable: true}
command:
  "echo one; exit 3": {exit-status: 3, stdout: [one]}
  "echo two >&2": {exit-status: 0, stderr: [two]}
`, file, empty, link, dangling, fifo, filepath.Join(dir, "missing"), dir,
		tcp.Addr().(*net.TCPAddr).Port, udp.LocalAddr().(*net.UDPAddr).Port, filepath.Base(os.Args[0]))
}

// TestLocalGatherMatchesScript: one check file, gathered on this host
// through the local transport in Go and through the gather script, gives
// the same results, property by property, messages included.
func TestLocalGatherMatchesScript(t *testing.T) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("this test expects a Debian-like host (dpkg-query)")
	}
	checks := mustParse(t, gatherFixture(t))
	lx := dialLocalForGather(t)
	opts := RunOptions{HostTimeout: 30 * time.Second}
	direct := &countingLocalExec{LocalExecutor: lx}
	got := withoutDurations(Run(context.Background(), direct, HostInfo{Name: "localhost"}, checks, opts))
	script := &countingExec{Executor: scriptOnlyExec{lx}}
	want := withoutDurations(Run(context.Background(), script, HostInfo{Name: "localhost"}, checks, opts))
	if len(got) != len(want) {
		t.Fatalf("%d results in Go, %d through the script:\n%q\n%q", len(got), len(want), summary(got), summary(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("result %d differs:\n  Go:     %+v\n  script: %+v", i, got[i], want[i])
		}
	}
	// Over a connection: one gather script and each command. On the
	// controller: what Go does not read (a resolver's answer, a missing
	// user, a directory's contents) in localScripts scripts at once, and
	// each command; the rest spawned nothing.
	if direct.runs != localScripts+2 || script.runs != 3 {
		t.Errorf("commands run: Go %d, script %d; want %d and 3", direct.runs, script.runs, localScripts+2)
	}
	var errs []string
	for _, r := range got {
		if r.Status == Error {
			errs = append(errs, r.Type+" "+filepath.Base(r.ID)+" "+r.Property)
		}
	}
	wantErrs := []string{"file dangling sha256", "file dangling contents", "file 001 contents",
		"file x exists", "kernel-param kernel.no_such_parameter value", "mount proc usage", "mount mount exists"}
	if !reflect.DeepEqual(errs, wantErrs) {
		t.Errorf("errors = %q, want %q", errs, wantErrs)
	}
}

// TestLocalGatherSpawnsNothing: checks whose probes Go reads run no
// command at all on the controller.
func TestLocalGatherSpawnsNothing(t *testing.T) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("this test expects a Debian-like host (dpkg-query)")
	}
	checks := mustParse(t, `
file:
  /etc/passwd: {exists: true, filetype: file, owner: root, contents: [root], sha256: {have-len: 64}}
user:
  root: {exists: true, uid: 0, groups: [root]}
group:
  root: {exists: true, gid: 0}
package:
  bash: {installed: true}
  no-such-package-here: {installed: false}
port:
  tcp:1: {listening: false}
process:
  no-such-process: {running: false}
kernel-param:
  kernel.ostype: {value: Linux}
mount:
  /: {exists: true, usage: {le: 100}}
interface:
  lo: {exists: true}
`)
	direct := &countingLocalExec{LocalExecutor: dialLocalForGather(t)}
	results := Run(context.Background(), direct, HostInfo{Name: "localhost"}, checks, RunOptions{})
	for _, r := range results {
		if r.Status != Pass {
			t.Errorf("%s %s %s: %s %s", r.Type, r.ID, r.Property, r.Status, r.Message)
		}
	}
	if direct.runs != 0 {
		t.Errorf("%d commands run, want none", direct.runs)
	}
}

// TestLocalGatherStopsAHungProbe: a fifo's contents (whose read would block
// for ever) are read by the script, whose watch stops it after the check's
// timeout; the file after it is read in Go.
func TestLocalGatherStopsAHungProbe(t *testing.T) {
	direct := &countingLocalExec{LocalExecutor: dialLocalForGather(t)}
	checkHungProbe(t, direct)
	if direct.runs != 1 {
		t.Errorf("commands run = %d, want 1 (the fifo's contents)", direct.runs)
	}
}

// TestLocalGatherRefusesBecomeAsTheScript: with become, the probes are not
// read in Go (which would read as remotectl's user): the transport refuses
// the script, as it refuses every sudo.
func TestLocalGatherRefusesBecomeAsTheScript(t *testing.T) {
	lx := dialLocalForGather(t)
	results := Run(context.Background(), lx, HostInfo{Name: "localhost"}, mustParse(t, `
file:
  /etc/passwd: {exists: true}
`), RunOptions{Become: true})
	if len(results) != 1 || results[0].Status != Error || !strings.Contains(results[0].Message, "become") {
		t.Errorf("results = %+v", results)
	}
}
