package module

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// aptRepoDir makes a private apt configuration (APT_CONFIG) whose sources
// are in dir, with a main sources.list and one parts file.
func aptRepoDir(t *testing.T, dir string) string {
	t.Helper()
	parts := filepath.Join(dir, "sources.list.d")
	if err := os.MkdirAll(parts, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "apt.conf")
	write := func(name, text string, mode os.FileMode) {
		if err := os.WriteFile(name, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(conf, fmt.Sprintf("Dir::Etc::sourcelist %q;\nDir::Etc::sourceparts %q;\n", filepath.Join(dir, "sources.list"), parts), 0o644)
	write(filepath.Join(dir, "sources.list"), "#comment line\ndeb   http://deb.example.net/debian bookworm main   # the main one\n# deb http://old.example.net/debian bookworm main\n", 0o644)
	write(filepath.Join(parts, "extra.list"), "deb [arch=amd64] https://user:pw@repo.example.com/apt stable main\n", 0o644)
	return conf
}

// aptRepoState lists every file under dir but apt.conf: name, mode, text.
func aptRepoState(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || filepath.Base(p) == "apt.conf" {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out = append(out, fmt.Sprintf("%s %v %q", rel, info.Mode(), data))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestAptRepositoryAsAnsible(t *testing.T) {
	if _, err := os.Stat("/usr/bin/apt-config"); err != nil {
		t.Skip("needs apt")
	}
	steps := []struct {
		name  string
		args  map[string]any
		check bool
	}{
		{"a new repository gets a file of its own", map[string]any{"repo": "deb http://example.org/debian  bookworm main", "update_cache": false}, false},
		{"again: nothing to do", map[string]any{"repo": "deb http://example.org/debian bookworm main", "update_cache": false}, false},
		{"check mode predicts, writes nothing", map[string]any{"repo": "deb http://check.example.org/x y z", "update_cache": false}, true},
		{"filename and mode", map[string]any{"repo": "deb-src http://src.example.org/debian bookworm main", "filename": "custom", "mode": "0600", "update_cache": false}, false},
		{"a disabled line is enabled", map[string]any{"repo": "deb http://old.example.net/debian bookworm main", "update_cache": false}, false},
		{"absent from the main file", map[string]any{"repo": "deb http://deb.example.net/debian bookworm main", "state": "absent", "update_cache": false}, false},
		{"absent empties a parts file, which goes", map[string]any{"repo": "deb [arch=amd64] https://user:pw@repo.example.com/apt stable main", "state": "absent", "update_cache": false}, false},
		{"absent, not there", map[string]any{"repo": "deb http://nowhere.example.org/ x y", "state": "absent", "update_cache": false}, false},
	}
	ours, theirs := t.TempDir(), t.TempDir()
	confOurs, confTheirs := aptRepoDir(t, ours), aptRepoDir(t, theirs)
	for _, s := range steps {
		t.Setenv("APT_CONFIG", confTheirs)
		want := ansibleOracle(t, "apt_repository", s.args, s.check, true)
		t.Setenv("APT_CONFIG", confOurs)
		got := runLocal(t, "apt_repository", s.args, s.check, true)
		for _, k := range []string{"changed", "repo", "state", "failed"} {
			if !reflect.DeepEqual(got[k], want[k]) {
				t.Errorf("%s: %s = %v, ansible: %v (result %v, ansible's %v)", s.name, k, got[k], want[k], got, want)
			}
		}
		if g, w := aptRepoState(t, ours), aptRepoState(t, theirs); !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: end state\n got %q\nwant %q", s.name, g, w)
		}
	}
}

func TestAptSuggestFilename(t *testing.T) {
	for src, want := range map[string]string{
		"deb http://dl.google.com/linux/chrome/deb/ stable main":             "dl_google_com_linux_chrome_deb.list",
		"deb [arch=amd64 signed-by=/k.gpg] https://u:p@repo.example.com/x y": "repo_example_com_x.list",
		"deb-src http://example.org debian main":                             "example_org.list",
	} {
		if got := aptSuggestFilename(src, ""); got != want {
			t.Errorf("%s: %s, want %s", src, got, want)
		}
	}
	if got := aptSuggestFilename("deb http://x y z", "mine"); got != "mine.list" {
		t.Errorf("with filename: %s", got)
	}
}
