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

// rpmDB gives rpm (ours and Ansible's runs) a fresh database: a HOME whose
// .rpmmacros sets %_dbpath in a temp dir. It returns a query of the
// gpg-pubkey packages in it.
func rpmDB(t *testing.T) func() string {
	t.Helper()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".rpmmacros"), []byte("%_dbpath "+home+"/rpmdb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	return func() string {
		cmd := exec.Command("rpm", "-q", "gpg-pubkey")
		cmd.Env = append(os.Environ(), "HOME="+home)
		out, _ := cmd.Output()
		return strings.TrimSpace(string(out))
	}
}

func TestRPMKeyAsAnsible(t *testing.T) {
	if _, err := exec.LookPath("rpm"); err != nil {
		t.Skip("rpm is not installed (Debian package rpm)")
	}
	keys, ids := testGPGKeys(t, 2)
	dir := t.TempDir()
	file1 := filepath.Join(dir, "RPM-GPG-KEY-one")
	if err := os.WriteFile(file1, []byte(keys[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	fpr, err := exec.Command("gpg", "--with-colons", "--with-fingerprint", "--fixed-list-mode", file1).Output()
	if err != nil {
		t.Fatal(err)
	}
	fp1, _ := rpmColonField(string(fpr), "fpr:", 9)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/key2":
			w.Write([]byte(keys[1]))
		case "/notakey":
			w.Write([]byte("hello"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cases := []oracleCase{
		{Args: map[string]any{"key": file1}, Check: true},
		{Args: map[string]any{"key": file1, "fingerprint": "0000 1111"}},
		{Args: map[string]any{"key": file1, "fingerprint": fp1[:4] + " " + fp1[4:]}},
		{Args: map[string]any{"key": file1}},
		{Args: map[string]any{"key": "0x" + ids[0]}},
		{Args: map[string]any{"key": ids[1]}},
		{Args: map[string]any{"key": srv.URL + "/key2"}, Check: true},
		{Args: map[string]any{"key": srv.URL + "/key2"}},
		{Args: map[string]any{"key": srv.URL + "/key2"}},
		{Args: map[string]any{"key": srv.URL + "/notakey"}},
		{Args: map[string]any{"key": "/no/such/key"}},
		{Args: map[string]any{"key": strings.ToLower(ids[0]), "state": "absent"}, Check: true},
		{Args: map[string]any{"key": strings.ToLower(ids[0]), "state": "absent"}},
		{Args: map[string]any{"key": file1, "state": "absent"}},
	}
	for i := range cases {
		cases[i].Module = "rpm_key"
	}
	theirs := rpmDB(t)
	wants := ansibleBatch(t, cases)
	ours := rpmDB(t)
	for i, c := range cases {
		got := runCase(t, c)
		sameKeys(t, fmtArgs(c.Args), got, wants[i], "changed", "failed", "msg")
	}
	if a, b := ours(), theirs(); a != b || !strings.HasPrefix(a, "gpg-pubkey-"+strings.ToLower(ids[1][8:])) {
		t.Errorf("rpm databases: ours %q, ansible's %q", a, b)
	}
}
