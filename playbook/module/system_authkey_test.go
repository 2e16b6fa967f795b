package module

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const (
	keyA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1 alice@host"
	keyB = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ2 bob@host"
)

func TestAuthorizedKeyDecisions(t *testing.T) {
	m, _ := Lookup("ansible.posix.authorized_key")
	existing := "# managed\n" + keyA + "\n"
	for _, tc := range []struct {
		args  map[string]any
		write bool
		want  string
	}{
		{map[string]any{"user": "u", "key": keyA}, false, existing},
		{map[string]any{"user": "u", "key": keyB}, true, existing + keyB + "\n"},
		{map[string]any{"user": "u", "key": keyB + "\n" + keyA + "\n"}, true, existing + keyB + "\n"},
		{map[string]any{"user": "u", "key": keyB, "exclusive": true}, true, keyB + "\n"},
		{map[string]any{"user": "u", "key": keyA, "state": "absent"}, true, "# managed\n"},
		{map[string]any{"user": "u", "key": keyB, "state": "absent"}, false, existing},
		{map[string]any{"user": "u", "key": keyA, "key_options": `no-pty,from="10.0.0.1,10.0.0.2"`}, true,
			"# managed\n" + `no-pty,from="10.0.0.1,10.0.0.2" ` + keyA + "\n"},
		{map[string]any{"user": "u", "key": keyA, "comment": "new"}, true, "# managed\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1 new\n"},
		{map[string]any{"user": "u", "key": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ2"}, true, existing + "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ2 \n"},
	} {
		args, err := m.Normalize(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		got, write, err := enforceAuthorizedKeys(args, existing)
		if err != nil || write != tc.write || got != tc.want {
			t.Errorf("%v: write=%v %v\n%q\nwant %v\n%q", tc.args, write, err, got, tc.write, tc.want)
		}
	}
	args, _ := m.Normalize(map[string]any{"user": "u", "key": "not a key"})
	if _, _, err := enforceAuthorizedKeys(args, ""); err == nil || err.Error() != "invalid key specified: not a key" {
		t.Errorf("invalid key: %v", err)
	}
}

func TestAuthorizedKeyFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("owns the key file as root: root only")
	}
	dir := filepath.Join(t.TempDir(), "ssh")
	file := filepath.Join(dir, "authorized_keys")
	args := map[string]any{"user": "root", "key": keyA + "\n" + keyB, "path": file}
	if res := runLocal(t, "authorized_key", args, true, true); !res.Changed() || res["keyfile"] != file {
		t.Errorf("check: %v", res)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("check mode made the directory")
	}
	if res := runLocal(t, "authorized_key", args, false, false); !res.Changed() || res.IsFailed() {
		t.Errorf("first: %v", res)
	}
	if res := runLocal(t, "authorized_key", args, false, false); res.Changed() {
		t.Errorf("second: %v", res)
	}
	got, _ := os.ReadFile(file)
	fi, _ := os.Stat(file)
	di, _ := os.Stat(dir)
	if string(got) != keyA+"\n"+keyB+"\n" || fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Errorf("file %q %v dir %v", got, fi.Mode(), di.Mode())
	}
	res := runLocal(t, "authorized_key", map[string]any{"user": "root", "key": keyB, "path": file, "state": "absent"}, false, true)
	if d, _ := res["diff"].(map[string]any); !res.Changed() || d["after"] != keyA+"\n" {
		t.Errorf("absent: %v", res)
	}
	_, curl := exec.LookPath("curl")
	_, wget := exec.LookPath("wget")
	if curl != nil && wget != nil {
		t.Skip("keys from URLs are fetched with curl or wget: neither is installed")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, keyB) }))
	defer srv.Close()
	if res := runLocal(t, "authorized_key", map[string]any{"user": "root", "key": srv.URL + "/user.keys", "path": file, "exclusive": true}, false, false); !res.Changed() {
		t.Errorf("keys from a URL: %v", res)
	}
	if got, _ := os.ReadFile(file); string(got) != keyB+"\n" {
		t.Errorf("keys from a URL wrote %q", got)
	}
	if res := runLocal(t, "authorized_key", map[string]any{"user": "root", "key": "http://127.0.0.1:1/none.keys", "path": file}, false, false); res["msg"] != "Error getting key from: http://127.0.0.1:1/none.keys" {
		t.Errorf("unreachable URL: %v", res)
	}
	if res := runLocal(t, "authorized_key", map[string]any{"user": "rctest-nosuchuser", "key": keyB}, true, false); !res.IsFailed() {
		t.Errorf("unknown user: %v", res)
	}
}
