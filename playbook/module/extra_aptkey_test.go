package module

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testGPGKeys makes n signing keys in a temporary GnuPG home and returns
// their armored exports and long (16 hex) ids.
func testGPGKeys(t *testing.T, n int) (armored []string, ids []string) {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg is not installed")
	}
	home := t.TempDir()
	// gpg starts an agent for the home directory: stop it (before the
	// directory goes), or it outlives the test.
	t.Cleanup(func() { _ = exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent").Run() })
	for i := 0; i < n; i++ {
		uid := "remotectl test " + string(rune('a'+i)) + " <t@example.invalid>"
		gen := exec.Command("gpg", "--homedir", home, "--batch", "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")
		if out, err := gen.CombinedOutput(); err != nil {
			t.Fatalf("gpg: %v\n%s", err, out)
		}
		out, err := exec.Command("gpg", "--homedir", home, "--armor", "--export", uid).Output()
		if err != nil {
			t.Fatal(err)
		}
		armored = append(armored, string(out))
		colons, err := exec.Command("gpg", "--homedir", home, "--with-colons", "--list-keys", uid).Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(colons), "\n") {
			if f := strings.Split(l, ":"); f[0] == "pub" {
				ids = append(ids, f[4])
			}
		}
	}
	return armored, ids
}

func TestAptKeyAsAnsible(t *testing.T) {
	if _, err := exec.LookPath("apt-key"); err != nil {
		t.Skip("apt-key is not installed")
	}
	t.Setenv("HOME", t.TempDir())
	keys, ids := testGPGKeys(t, 3)
	dir := t.TempDir()
	file1 := filepath.Join(dir, "key1.asc")
	if err := os.WriteFile(file1, []byte(keys[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/key3.asc" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(keys[2]))
	}))
	defer srv.Close()
	ours, theirs := filepath.Join(t.TempDir(), "ours.gpg"), filepath.Join(t.TempDir(), "theirs.gpg")
	steps := []oracleCase{
		{Args: map[string]any{"file": file1}, Check: true},
		{Args: map[string]any{"file": file1}},
		{Args: map[string]any{"file": file1}},
		{Args: map[string]any{"data": keys[1]}, Check: true},
		{Args: map[string]any{"data": keys[1], "id": ids[1]}},
		{Args: map[string]any{"data": keys[1]}},
		{Args: map[string]any{"id": ids[0][8:], "state": "absent"}, Check: true},
		{Args: map[string]any{"id": "0x" + strings.ToLower(ids[0]), "state": "absent"}},
		{Args: map[string]any{"id": ids[0], "state": "absent"}},
		{Args: map[string]any{"id": "xyz"}},
		{Args: map[string]any{"id": "1234567"}},
		{Args: map[string]any{"url": srv.URL + "/key3.asc"}, Check: true},
		{Args: map[string]any{"url": srv.URL + "/key3.asc"}},
		{Args: map[string]any{"url": srv.URL + "/key3.asc", "id": ids[2]}},
		{Args: map[string]any{"url": srv.URL + "/missing.asc"}},
		{Args: map[string]any{"data": "not a key"}},
	}
	withRing := func(c oracleCase, ring string) oracleCase {
		args := map[string]any{"keyring": ring}
		for k, v := range c.Args {
			args[k] = v
		}
		return oracleCase{Module: "apt_key", Args: args, Check: c.Check}
	}
	var cases []oracleCase
	for _, c := range steps {
		cases = append(cases, withRing(c, theirs))
	}
	wants := ansibleBatch(t, cases)
	for i, c := range steps {
		got := runCase(t, withRing(c, ours))
		what := fmtArgs(c.Args)
		keys := []string{"changed", "failed", "id", "short_id", "fp", "key_id", "before", "after"}
		if got.IsFailed() && strings.Contains(what, "missing") {
			keys = []string{"changed", "failed"} // the download error's text is the tool's
		} else {
			keys = append(keys, "msg")
		}
		sameKeys(t, what, got, wants[i], keys...)
	}
	list := func(ring string) string {
		out, _ := exec.Command("gpg", "--no-default-keyring", "--keyring", ring, "--with-colons", "--list-keys").Output()
		var fps []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "pub:") {
				fps = append(fps, strings.Split(l, ":")[4])
			}
		}
		return strings.Join(fps, " ")
	}
	if a, b := list(ours), list(theirs); a != b || a != ids[1]+" "+ids[2] {
		t.Errorf("keyrings: ours %q, ansible's %q, want %q", a, b, ids[1]+" "+ids[2])
	}
	r := runLocal(t, "apt_key", map[string]any{"id": ids[0], "keyserver": "keyserver.ubuntu.com", "keyring": ours}, false, false)
	if !r.IsFailed() || !strings.Contains(r["msg"].(string), "keyserver is not supported") {
		t.Errorf("keyserver: %v, want a refusal", r)
	}
}
