package vault

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ansibleVault runs ansible-vault (the oracle) with args in dir, with a
// home of its own; the test is skipped without it.
func ansibleVault(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("ansible-vault"); err != nil {
		t.Skip("ansible-vault (the oracle) is not installed")
	}
	cmd := exec.Command("ansible-vault", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "tmp"),
		"ANSIBLE_CONFIG="+filepath.Join(dir, "none.cfg"), "ANSIBLE_NOCOLOR=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ansible-vault %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func writeFile(t *testing.T, path, data string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func secret(id, pw string) Secret { return Secret{ID: id, Password: []byte(pw)} }

// Files encrypted by ansible-vault, 1.1 and 1.2 (a vault ID), of several
// lengths (one block, several, an exact multiple of the block size)
// decrypt to what was encrypted; a wrong password does not.
func TestDecryptAnsibleVaultFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pw"), "  hunter2 \n", 0o600)
	plains := []string{"a: 1\n", "0123456789abcdef", strings.Repeat("password: é ünïcode\n", 20)}
	for i, plain := range plains {
		for _, id := range []string{"", "prod@"} {
			name := filepath.Join(dir, "f"+string(rune('0'+i))+strings.TrimSuffix(id, "@"))
			writeFile(t, name, plain, 0o600)
			ansibleVault(t, dir, "encrypt", "--vault-id", id+"pw", name)
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			env, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			wantVersion, wantID := "1.1", DefaultID
			if id != "" {
				wantVersion, wantID = "1.2", "prod"
			}
			if env.Version != wantVersion || env.ID != wantID || env.Cipher != "AES256" {
				t.Errorf("%s: envelope %s %s %s, want %s %s AES256", name, env.Version, env.ID, env.Cipher, wantVersion, wantID)
			}
			got, err := Decrypt(data, []Secret{secret("other", "nope"), secret(DefaultID, "hunter2")})
			if err != nil || string(got) != plain {
				t.Errorf("%s: Decrypt = %q, %v; want %q", name, got, err, plain)
			}
			if _, err := Decrypt(data, []Secret{secret(wantID, "hunter3")}); !errors.Is(err, ErrNoSecret) {
				t.Errorf("%s: wrong password: %v, want %v", name, err, ErrNoSecret)
			}
		}
	}
}

// An inline value of ansible-vault encrypt_string, as YAML gives it
// (indentation removed), decrypts.
func TestDecryptEncryptString(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pw"), "hunter2", 0o600)
	out := ansibleVault(t, dir, "encrypt_string", "--vault-password-file", "pw", "--name", "token", "s3cret value")
	_, block, ok := strings.Cut(string(out), "!vault |\n")
	if !ok {
		t.Fatalf("encrypt_string printed %q", out)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(block), "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	data := []byte(strings.Join(lines, "\n"))
	if !IsEncrypted(data) {
		t.Fatalf("IsEncrypted(%q) = false", data)
	}
	got, err := Decrypt(data, []Secret{secret(DefaultID, "hunter2")})
	if err != nil || string(got) != "s3cret value" {
		t.Errorf("Decrypt = %q, %v", got, err)
	}
}

// The committed fixture (made by ansible-vault, password hunter2) decrypts
// without the oracle installed; any changed byte of its vaulttext fails
// the HMAC (nothing is decrypted).
func TestDecryptFixtureAndTampering(t *testing.T) {
	data, err := os.ReadFile("testdata/hello.vault")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decrypt(data, []Secret{secret(DefaultID, "hunter2")})
	if err != nil || string(got) != "db_password: correct horse battery staple\n" {
		t.Fatalf("Decrypt = %q, %v", got, err)
	}
	lines := bytes.Split(data, []byte("\n"))
	last := len(lines) - 2 // the ciphertext ends the vaulttext
	tampered := bytes.Clone(lines[last])
	tampered[len(tampered)-1] ^= 0x01 // '3' <-> '2': still hex
	lines[last] = tampered
	if _, err := Decrypt(bytes.Join(lines, []byte("\n")), []Secret{secret(DefaultID, "hunter2")}); !errors.Is(err, ErrNoSecret) {
		t.Errorf("tampered ciphertext: %v, want %v", err, ErrNoSecret)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"$ANSIBLE_VAULT;1.1\n00", "first line"},
		{"$ANSIBLE_VAULT;1.3;AES256\n00", `version "1.3"`},
		{"$ANSIBLE_VAULT;1.1;AES128\n00", "AES128 cipher could not be found"},
		{"$ANSIBLE_VAULT;1.1;AES256\nzz", "not hexadecimal"},
		{"$ANSIBLE_VAULT;1.1;AES256\n" + hexOf("00\n11"), "salt, an HMAC and the ciphertext"},
		{"$ANSIBLE_VAULT;1.1;AES256\n" + hexOf("00\n11\n2233"), "not a positive multiple of 16"},
	} {
		_, err := Parse([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", tc.in, err, tc.want)
		}
	}
	if _, err := Decrypt([]byte("$ANSIBLE_VAULT;1.1;AES256\n"+hexOf("00\n11\n"+strings.Repeat("22", 16))), nil); err == nil || !strings.Contains(err.Error(), "no vault secret was given") {
		t.Errorf("no secrets: %v", err)
	}
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for _, c := range []byte(s) {
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
	return b.String()
}

// A secret labelled with the payload's vault ID is tried first, the others
// after in their order (Ansible's decrypt_and_get_vault_id).
func TestOrderedPrefersLabel(t *testing.T) {
	in := []Secret{secret("a", "1"), secret("b", "2"), secret("c", "3"), secret("b", "4")}
	var got []string
	for _, s := range ordered(in, "b") {
		got = append(got, string(s.Password))
	}
	if strings.Join(got, "") != "2413" {
		t.Errorf("ordered = %v, want [2 4 1 3]", got)
	}
}

func TestUnpad(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
		ok   bool
	}{
		{append([]byte("abc"), bytes.Repeat([]byte{13}, 13)...), "abc", true},
		{bytes.Repeat([]byte{16}, 16), "", true},
		{append([]byte("abc"), 0), "", false},
		{append([]byte("abcdefghijklmno"), 17), "", false},
		{[]byte("abcdefghijklmn\x01\x02"), "", false},
	} {
		got, ok := unpad(tc.in)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("unpad(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
