package vault

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	for in, want := range map[string]Source{
		"pw.txt":                  {ID: DefaultID, Path: "pw.txt"},
		"prod@pw.txt":             {ID: "prod", Path: "pw.txt"},
		"prod@a@b":                {ID: "prod", Path: "a@b"},
		"@pw.txt":                 {ID: DefaultID, Path: "pw.txt"},
		"prompt":                  {ID: DefaultID, Prompt: "Vault password (default): "},
		"dev@prompt":              {ID: "dev", Prompt: "Vault password (dev): "},
		"x@prompt_ask_vault_pass": {ID: "x", Prompt: "Vault password: "},
	} {
		if got := ParseID(in); got != want {
			t.Errorf("ParseID(%q) = %+v, want %+v", in, got, want)
		}
	}
}

// ansible-playbook's order: --vault-id, --vault-password-file, the
// configured file, the --ask-vault-pass prompt.
func TestSourcesOrder(t *testing.T) {
	files := make([]string, 1, 4)
	files[0] = "f1"
	got := Sources([]string{"a@x", "prompt"}, files, "cfg", true)
	want := []Source{
		{ID: "a", Path: "x"},
		{ID: DefaultID, Prompt: "Vault password (default): "},
		{ID: DefaultID, Path: "f1"},
		{ID: DefaultID, Path: "cfg"},
		{ID: DefaultID, Prompt: "Vault password: "},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Sources = %+v\nwant %+v", got, want)
	}
	if files[:2][1] != "" {
		t.Errorf("Sources changed its argument: %v", files)
	}
}

func TestLoaderFilesAndScripts(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "pw"), "\n  two words \r\n\n", 0o600)
	script := writeFile(t, filepath.Join(dir, "pw.sh"), "#!/bin/sh\necho from-script\n", 0o700)
	client := writeFile(t, filepath.Join(dir, "pw-client.sh"), "#!/bin/sh\necho \"$1 $2\"\n", 0o700)
	failing := writeFile(t, filepath.Join(dir, "bad.sh"), "#!/bin/sh\necho oops >&2\nexit 3\n", 0o700)
	empty := writeFile(t, filepath.Join(dir, "empty"), " \n", 0o600)
	var stderr strings.Builder
	var warnings []string
	l := Loader{Stderr: &stderr, Warn: func(m string) { warnings = append(warnings, m) }}
	got, err := l.Load(context.Background(), []Source{
		{ID: "f", Path: file}, {ID: "s", Path: script}, {ID: "lab", Path: client},
		{ID: "b", Path: failing}, {ID: "e", Path: empty}, {ID: "m", Path: filepath.Join(dir, "missing")},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Secret{secret("f", "two words"), secret("s", "from-script"), secret("lab", "--vault-id lab")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("secrets = %q, want %q", got, want)
	}
	wantWarn := []string{"returned non-zero (3)", "from file (" + empty + "): it is empty", "missing was not found"}
	if len(warnings) != len(wantWarn) {
		t.Fatalf("warnings = %q", warnings)
	}
	for i, w := range wantWarn {
		if !strings.Contains(warnings[i], w) {
			t.Errorf("warning %d = %q, want %q in it", i, warnings[i], w)
		}
	}
	if stderr.String() != "oops\n" {
		t.Errorf("script stderr = %q", stderr.String())
	}
	// With no source that works, the last error is the run's.
	if _, err := (Loader{}).Load(context.Background(), []Source{{ID: "m", Path: filepath.Join(dir, "missing")}}); err == nil || !strings.Contains(err.Error(), "was not found") {
		t.Errorf("only a missing file: %v", err)
	}
}

// Paths expand ~ and $VARS, as Ansible's.
func TestLoaderExpandsPaths(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pw"), "hunter2\n", 0o600)
	vars := map[string]string{"HOME": dir, "SECRETS": dir}
	l := Loader{Getenv: func(k string) string { return vars[k] }}
	got, err := l.Load(context.Background(), []Source{{ID: "a", Path: "~/pw"}, {ID: "b", Path: "$SECRETS/pw"}})
	if err != nil || len(got) != 2 || string(got[0].Password) != "hunter2" || string(got[1].Password) != "hunter2" {
		t.Errorf("Load = %q, %v", got, err)
	}
}

// A password file that is itself encrypted is decrypted with the secrets
// read before it.
func TestLoaderEncryptedPasswordFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "outer"), "hunter2\n", 0o600)
	inner := writeFile(t, filepath.Join(dir, "inner"), "inner-password\n", 0o600)
	ansibleVault(t, dir, "encrypt", "--vault-password-file", "outer", inner)
	got, err := Loader{}.Load(context.Background(), []Source{{ID: "a", Path: filepath.Join(dir, "outer")}, {ID: "b", Path: inner}})
	if err != nil || len(got) != 2 || string(got[1].Password) != "inner-password" {
		t.Errorf("Load = %q, %v", got, err)
	}
}

func TestLoaderPrompt(t *testing.T) {
	src := []Source{ParseID("dev@prompt")}
	if _, err := (Loader{}).Load(context.Background(), src); err == nil || !strings.Contains(err.Error(), "no terminal") {
		t.Errorf("no terminal: %v", err)
	}
	var asked string
	l := Loader{Prompt: func(p string) (string, error) { asked = p; return " pw \n", nil }}
	got, err := l.Load(context.Background(), src)
	if err != nil || asked != "Vault password (dev): " || !reflect.DeepEqual(got, []Secret{secret("dev", "pw")}) {
		t.Errorf("prompt %q: %q, %v", asked, got, err)
	}
	for _, answer := range []struct {
		pw  string
		err error
	}{{"  ", nil}, {"", errors.New("interrupted")}} {
		l := Loader{Prompt: func(string) (string, error) { return answer.pw, answer.err }}
		if _, err := l.Load(context.Background(), src); err == nil {
			t.Errorf("answer %q, %v: no error", answer.pw, answer.err)
		}
	}
}
