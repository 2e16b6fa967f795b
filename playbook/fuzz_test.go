package playbook

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// scriptPlaybooks returns the playbooks of the command's txtar scripts, the
// seed corpus of FuzzParse: every YAML file there that is a list of plays.
func scriptPlaybooks(t testing.TB) [][]byte {
	t.Helper()
	var seeds [][]byte
	for _, dir := range []string{"script", "ssh"} {
		files, err := filepath.Glob(filepath.Join("..", "cmd", "remotectl", "testdata", dir, "*.txtar"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range ar.Files {
				if ext := filepath.Ext(f.Name); (ext == ".yaml" || ext == ".yml") && isPlaybook(f.Data) {
					seeds = append(seeds, f.Data)
				}
			}
		}
	}
	return seeds
}

// isPlaybook reports whether data looks like a list of plays (rather than an
// inventory, a check file or vars).
func isPlaybook(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		return strings.HasPrefix(line, "- ") && bytes.Contains(data, []byte("hosts:"))
	}
	return false
}

func TestFuzzSeedsAreFound(t *testing.T) {
	if n := len(scriptPlaybooks(t)); n < 10 {
		t.Errorf("found %d playbooks in the txtar scripts, want at least 10", n)
	}
}

// FuzzParse feeds the playbook parser arbitrary YAML: it must never panic,
// and must return either a playbook or parse errors (exit 65), never both,
// never an error of another kind.
func FuzzParse(f *testing.F) {
	for _, seed := range scriptPlaybooks(f) {
		f.Add(seed)
	}
	for _, seed := range []string{
		"- hosts: all\n  serial: [1, \"25%\", \"100%\"]\n  max_fail: 10%\n  tasks:\n    - shell: echo {{ idx }}\n      register: out\n      when: idx > 1\n",
		"- hosts: all\n  tasks:\n    - debug: {msg: hi}\n      loop: [1, 2]\n      notify: restart\n  handlers:\n    - name: restart\n      command: true\n",
		"",
		"{}",
		"- hosts: all\n  vars_files: [missing.yaml]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pb, err := Parse(filepath.Join("nonexistent", "play.yaml"), data, LoadOptions{
			LookupEnv: func(string) (string, bool) { return "", false },
		})
		switch {
		case err != nil && pb != nil:
			t.Fatalf("Parse returned a playbook and an error: %v", err)
		case err == nil && pb == nil:
			t.Fatal("Parse returned neither a playbook nor an error")
		case err != nil && !IsInvalid(err):
			t.Fatalf("Parse error is not a parse error (exit 65): %T %v", err, err)
		}
	})
}
