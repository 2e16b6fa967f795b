package inventory

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// script writes an executable shell script into a fresh directory.
func script(t *testing.T, body string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("dynamic inventories are shell scripts here")
	}
	return writeFile(t, t.TempDir(), "inventory.sh", "#!/bin/sh\n"+body, 0o755)
}

func TestDynamicInventoryWithMeta(t *testing.T) {
	path := script(t, `
[ "$1" = "--list" ] || { echo "unexpected arguments: $*" >&2; exit 9; }
cat <<'JSON'
{
  "web": {"hosts": ["web1", "web2"], "vars": {"http_port": 80, "ratio": 0.5}, "children": ["api"]},
  "api": ["api1"],
  "db": {"hosts": ["db1"]},
  "solo": {"ansible_host": "10.0.0.9"},
  "_meta": {"hostvars": {
    "web1": {"ansible_host": "10.0.0.1", "ansible_port": 2222, "tags": {"role": "web"}},
    "ghost": {"x": 1}
  }}
}
JSON
`)
	inv := loadPaths(t, path)
	equal(t, "sources", inv.Sources(), []Source{{Path: path, Format: FormatDynamic, Hosts: 5}})
	equal(t, "hosts (hostvars of unlisted hosts are ignored)", hostNames(inv.Hosts()), []string{"web1", "web2", "api1", "db1", "solo"})
	web1 := mustHost(t, inv, "web1")
	equal(t, "web1 address", web1.Addr(), "10.0.0.1")
	equal(t, "web1 port", web1.Port, 2222)
	equal(t, "web1 vars", web1.Vars, map[string]any{
		"http_port": 80, "ratio": 0.5, "ansible_host": "10.0.0.1", "ansible_port": 2222, "tags": map[string]any{"role": "web"},
	})
	equal(t, "web children", mustGroup(t, inv, "web").Children, []string{"api"})
	equal(t, "api1 groups", mustHost(t, inv, "api1").Groups, []string{"all", "api", "web"})
	equal(t, "group order", groupNames(inv), []string{"all", "ungrouped", "web", "api", "db", "solo"})
	// Ansible's shorthand: an object without hosts/vars/children is a host
	// named after the group, with those variables on the group.
	equal(t, "solo", mustHost(t, inv, "solo").Addr(), "10.0.0.9")
}

func TestDynamicInventoryHostCalls(t *testing.T) {
	path := script(t, `
case "$1" in
--list) echo '{"web": ["web1", "web2"]}' ;;
--host) echo "$2" >> "$(dirname "$0")/calls"; printf '{"who": "%s"}\n' "$2" ;;
*) exit 9 ;;
esac
`)
	inv := loadPaths(t, path)
	equal(t, "web1 vars", mustHost(t, inv, "web1").Vars, map[string]any{"who": "web1"})
	equal(t, "web2 vars", mustHost(t, inv, "web2").Vars, map[string]any{"who": "web2"})
	calls, err := os.ReadFile(filepath.Join(filepath.Dir(path), "calls"))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "--host calls", string(calls), "web1\nweb2\n")
}

func TestDynamicInventoryErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"exit status", `echo "Traceback (most recent call last):" >&2; echo "RuntimeError: cannot reach the API" >&2; exit 3`,
			"PATH: dynamic inventory (run with --list) exited with status 3:\n\tTraceback (most recent call last):\n\tRuntimeError: cannot reach the API"},
		{"invalid JSON", `printf '{"web":\n  ["a",]}'`,
			`PATH:2:8: invalid JSON at offset 16: invalid character ']' looking for beginning of value; hint: a dynamic inventory must print only JSON on standard output (log to standard error)`},
		{"not an object", `echo '[1, 2]'`, "PATH: the output must be a JSON object of groups, got a list"},
		{"bad hosts", `echo '{"web": {"hosts": "web1"}}'`, `PATH: hosts of group "web" must be a list of names, got a string`},
		{"bad group", `echo '{"web": 42}'`, `PATH: group "web" must be a list of hosts or an object with hosts, vars and children, got a 42`},
		{"bad vars", `echo '{"web": {"vars": [1]}}'`, `PATH: vars of group "web" must be an object, got a list`},
		{"bad hostvars", `echo '{"web": ["a"], "_meta": {"hostvars": {"a": "x"}}}'`, `PATH: variables of host "a" must be an object, got a string`},
		{"bad connection", `echo '{"web": ["a"], "_meta": {"hostvars": {"a": {"ansible_connection": "docker"}}}}'`,
			`PATH: host a: ansible_connection "docker" is not supported: remotectl connects with ssh, winrm (also for psrp) or local`},
		{"failing --host", `[ "$1" = "--list" ] && echo '{"web": ["a"]}' && exit 0; echo "no such host" >&2; exit 1`,
			"PATH: dynamic inventory (run with --host a) exited with status 1:\n\tno such host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := script(t, tc.body+"\n")
			_, err := Load([]string{path}, LoadOptions{Transports: testTransports()})
			want := strings.ReplaceAll(tc.want, "PATH", path)
			if err == nil || err.Error() != want {
				t.Errorf("got  %v\nwant %s", err, want)
			}
		})
	}
}

func TestDynamicInventoryTimeout(t *testing.T) {
	path := script(t, "exec sleep 30\n")
	_, err := Load([]string{path}, LoadOptions{Transports: testTransports(), ScriptTimeout: 50 * time.Millisecond})
	want := path + ": dynamic inventory (run with --list) did not finish within 50ms; hint: make the script faster or raise the script timeout"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

// hangingScript starts a background child and waits for it: a script stuck
// on a slow API while some helper of its runs. Once the child runs, it
// writes its own pid and the child's to the file pids.
const hangingScript = `sleep 300 & echo $$ $! > "$(dirname "$0")/pids.tmp"; mv "$(dirname "$0")/pids.tmp" "$(dirname "$0")/pids"; wait`

func TestDynamicInventoryTimeoutKillsItsProcessGroup(t *testing.T) {
	path := script(t, hangingScript+"\n")
	_, err := Load([]string{path}, LoadOptions{Transports: testTransports(), ScriptTimeout: 2 * time.Second, ScriptTimeoutHint: "raise --inventory-timeout"})
	want := path + ": dynamic inventory (run with --list) did not finish within 2s; hint: raise --inventory-timeout"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	expectGone(t, readPids(t, filepath.Join(filepath.Dir(path), "pids")))
}

func TestDynamicInventoryStopsWithItsContext(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(context.CancelFunc)
		want error
		msg  string
	}{
		{"interrupted", func(cancel context.CancelFunc) { cancel() }, context.Canceled, "was interrupted"},
		{"deadline", nil, context.DeadlineExceeded, "was stopped: deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := script(t, hangingScript+"\n")
			ctx, cancel := context.WithCancel(context.Background())
			if tc.stop == nil {
				ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
			}
			defer cancel()
			errc := make(chan error, 1)
			go func() {
				_, err := LoadContext(ctx, []string{path}, LoadOptions{Transports: testTransports(), ScriptTimeout: time.Hour})
				errc <- err
			}()
			pids := waitForPids(t, filepath.Join(filepath.Dir(path), "pids"))
			if tc.stop != nil {
				tc.stop(cancel)
			}
			select {
			case err := <-errc:
				want := path + ": dynamic inventory (run with --list) " + tc.msg
				if !errors.Is(err, tc.want) || err.Error() != want {
					t.Errorf("got %v, want %q wrapping %v", err, want, tc.want)
				}
			case <-time.After(time.Minute):
				t.Fatal("LoadContext did not return once its context ended")
			}
			expectGone(t, pids)
		})
	}
}

// TestDynamicInventoryLeavesNoOrphans: what a script leaves running in the
// background when it exits is killed too.
func TestDynamicInventoryLeavesNoOrphans(t *testing.T) {
	path := script(t, `sleep 300 >/dev/null 2>&1 & echo $$ $! > "$(dirname "$0")/pids"; echo '{"web": ["a"]}'`+"\n")
	inv := loadPaths(t, path)
	equal(t, "hosts", hostNames(inv.Hosts()), []string{"a"})
	expectGone(t, readPids(t, filepath.Join(filepath.Dir(path), "pids")))
}

// readPids reads the pids a script wrote.
func readPids(t *testing.T, file string) []int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// waitForPids waits until a script has written file (renamed into place
// whole), then reads the pids in it.
func waitForPids(t *testing.T, file string) []int {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(file); err == nil {
			return readPids(t, file)
		}
	}
	t.Fatalf("%s was never written", file)
	return nil
}

// expectGone fails the test when one of the processes (the script and what
// it started) is still alive, after giving the kill a while to land, and
// kills the survivors.
func expectGone(t *testing.T, pids []int) {
	t.Helper()
	if runtime.GOOS != "linux" {
		return // reads /proc
	}
	var alive []int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		alive = slices.DeleteFunc(slices.Clone(pids), gone)
		if len(alive) == 0 {
			return
		}
	}
	t.Errorf("processes %v the script started are still running", alive)
	for _, pid := range alive {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// gone reports whether pid has exited; a zombie counts as exited (nobody
// may reap orphans in a container).
func gone(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// "pid (comm) state ...": comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && bytes.HasPrefix(stat[i+1:], []byte(" Z"))
}

func TestExecutableStaticFileIsParsed(t *testing.T) {
	// An INI file that merely has the execute bit is not a program.
	path := writeFile(t, t.TempDir(), "hosts", "[web]\nweb1\n", 0o755)
	inv := loadPaths(t, path)
	equal(t, "format", inv.Sources()[0].Format, FormatAnsibleINI)
}

func TestSavedDynamicJSON(t *testing.T) {
	inv := parse(t, "inventory.json", `{"web": {"hosts": ["a"]}, "_meta": {"hostvars": {"a": {"ansible_user": "u"}}}}`)
	equal(t, "format", inv.Sources()[0].Format, FormatDynamic)
	equal(t, "user", mustHost(t, inv, "a").User, "u")
	// Without _meta.hostvars a saved file cannot be asked for --host: no vars.
	inv = parse(t, "inventory.json", `{"web": ["a"], "_meta": {}}`)
	equal(t, "vars", mustHost(t, inv, "a").Vars, map[string]any{})
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 8}
	b.Write([]byte("0123456789"))
	b.Write([]byte("ab"))
	equal(t, "tail", b.String(), "...456789ab")
	c := &cappedBuffer{max: 4}
	c.Write([]byte("abc"))
	c.Write([]byte("def"))
	equal(t, "capped", c.String(), "abcd")
	equal(t, "overflow", c.overflow, true)
}
