package playbook

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// loginRecordingDialer records the login user each host is dialed with.
type loginRecordingDialer struct {
	remotetest.Fake
	mu    sync.Mutex
	users map[string]string
}

func (d *loginRecordingDialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	d.mu.Lock()
	d.users[t.Name] = t.User
	d.mu.Unlock()
	return d.Fake.Dial(ctx, t)
}

// TestRemoteUserYieldsToTheInventorysUser: a play's remote_user is the
// login of hosts whose inventory names no user; ansible_user wins over
// it, as in Ansible (ansible-examples' plays say remote_user: root).
func TestRemoteUserYieldsToTheInventorysUser(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hosts")
	if err := os.WriteFile(path, []byte("[fleet]\nh01 ansible_host=127.0.0.1 ansible_user=inv\nh02 ansible_host=127.0.0.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load([]string{path}, inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pb := parseTest(t, inv, "- hosts: fleet\n  gather_facts: false\n  remote_user: play\n  tasks:\n    - debug: {msg: hi}\n")
	d := &loginRecordingDialer{users: map[string]string{}}
	runTest(t, pb, inv, d, Options{Target: func(h *inventory.Host) remote.Target { return h.Target(0) }})
	if d.users["h01"] != "inv" || d.users["h02"] != "play" {
		t.Errorf("login users = %v, want h01 inv (ansible_user), h02 play (remote_user)", d.users)
	}
}
