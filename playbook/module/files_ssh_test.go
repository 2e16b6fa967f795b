package module

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote/remotetest"
	"github.com/remotectl/remotectl/remote/ssh"
)

// sshHost is a host of a real sshd fleet on loopback, logged in as the
// fleet's user, becoming root when become is set.
func sshHost(t *testing.T, become bool) (Host, string) {
	t.Helper()
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{})
	d, err := ssh.NewDialer(ssh.Options{Home: t.TempDir(), ConfigFile: "none", AgentSocket: "none"})
	if err != nil {
		t.Fatal(err)
	}
	target := s.Targets()[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tr, err := d.Dial(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return NewHost(tr, &target, Become{Enabled: become}, nil), s.User
}

// runOn runs a module on a host.
func runOn(t *testing.T, h Host, name string, raw map[string]any, check bool) Result {
	t.Helper()
	m, ok := Lookup(name)
	if !ok {
		t.Fatalf("no module %s", name)
	}
	args, err := m.Normalize(raw)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := m.Run(ctx, &Call{Module: m, Args: args, Host: h, Check: check, Controller: testController{dir: t.TempDir()}})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// TestFilesOverSSHWithBecome: the modules end to end on a real sshd, as a
// plain user becoming root (sudo) in a directory only root may enter:
// first run changes, second does not, check mode predicts.
func TestFilesOverSSHWithBecome(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a root-only directory and a sudo-capable fleet user")
	}
	h, user := sshHost(t, true)
	dir, err := os.MkdirTemp("", "remotectl-files-ssh-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "etc", "app.conf")
	steps := []struct {
		module string
		args   map[string]any
	}{
		{"file", map[string]any{"path": filepath.Dir(conf), "state": "directory", "mode": "0750", "owner": user}},
		{"copy", map[string]any{"content": "port = 80\n", "dest": conf, "owner": user, "mode": "0640", "backup": true}},
		{"lineinfile", map[string]any{"path": conf, "regexp": "^port", "line": "port = 8080"}},
		{"blockinfile", map[string]any{"path": conf, "block": "a = 1"}},
		{"replace", map[string]any{"path": conf, "regexp": "a = 1", "replace": "a = 2"}},
	}
	for _, st := range steps {
		if res := runOn(t, h, st.module, st.args, true); !res.Changed() || res.IsFailed() {
			t.Errorf("%s check mode: %v", st.module, res)
		}
		if res := runOn(t, h, st.module, st.args, false); !res.Changed() || res.IsFailed() {
			t.Errorf("%s: %v", st.module, res)
		}
		if res := runOn(t, h, st.module, st.args, false); res.Changed() || res.IsFailed() {
			t.Errorf("%s second run: %v", st.module, res)
		}
	}
	data, err := os.ReadFile(conf)
	want := "port = 8080\n# BEGIN ANSIBLE MANAGED BLOCK\na = 2\n# END ANSIBLE MANAGED BLOCK\n"
	if err != nil || string(data) != want {
		t.Errorf("content %q, %v; want %q", data, err, want)
	}
	res := runOn(t, h, "stat", map[string]any{"path": conf}, false)
	if st, _ := res["stat"].(map[string]any); st["pw_name"] != user || st["mode"] != "0640" || st["isreg"] != true {
		t.Errorf("stat: %v", res)
	}
	out := t.TempDir()
	res = runOn(t, h, "fetch", map[string]any{"src": conf, "dest": out + "/", "flat": true}, false)
	if got, _ := os.ReadFile(filepath.Join(out, "app.conf")); string(got) != want || !res.Changed() {
		t.Errorf("fetch: %v %q", res, got)
	}
	res = runOn(t, h, "slurp", map[string]any{"src": conf}, false)
	if res["content"] == nil || res.IsFailed() {
		t.Errorf("slurp: %v", res)
	}
	// without become the directory is closed: a failed result, no error
	plain, _ := sshHost(t, false)
	if res := runOn(t, plain, "copy", map[string]any{"content": "x", "dest": filepath.Join(dir, "x")}, false); !res.IsFailed() {
		t.Errorf("copy without become into a root-only directory: %v", res)
	}
}
