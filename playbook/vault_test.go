package playbook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVaultVarsFile(t *testing.T) {
	dir := t.TempDir()
	vault := "$ANSIBLE_VAULT;1.1;AES256\n6162\n"
	if err := os.WriteFile(filepath.Join(dir, "secret.yml"), []byte(vault), 0o600); err != nil {
		t.Fatal(err)
	}
	play := "- hosts: all\n  gather_facts: false\n  vars_files: [secret.yml]\n  vars:\n    inline: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      6364\n  tasks:\n    - debug: {msg: \"{{ pw }} {{ inline }}\"}\n"
	path := filepath.Join(dir, "play.yml")
	if err := os.WriteFile(path, []byte(play), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "--vault-password-file") {
		t.Fatalf("without a password: %v, want a hint to --vault-password-file", err)
	}
	var seen []string
	decrypt := func(b []byte) ([]byte, error) {
		seen = append(seen, string(b))
		if strings.HasSuffix(string(b), "6162") {
			return []byte("pw: hunter2\n"), nil
		}
		return []byte("s3cret"), nil
	}
	pb, err := Load(path, LoadOptions{Decrypt: decrypt})
	if err != nil {
		t.Fatal(err)
	}
	if got := pb.Plays[0].FileVars["pw"]; got != "hunter2" {
		t.Errorf("vars file: pw = %v", got)
	}
	if got := pb.Plays[0].Vars["inline"]; got != "s3cret" {
		t.Errorf("inline !vault: %v", got)
	}
	if len(seen) != 2 {
		t.Errorf("decrypt called with %q", seen)
	}
}
