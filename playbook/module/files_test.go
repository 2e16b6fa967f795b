package module

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// fsCase is one oracle comparison: the same layout in two temporary
// directories, the module run by remotectl in one and by ansible in the
// other; end state, result keys, check mode and idempotence compared.
type fsCase struct {
	name   string
	module string
	setup  func(t *testing.T, dir string)             // the layout (nil: empty)
	args   func(dir string) map[string]any            // the arguments
	keys   []string                                   // result keys compared ("stat.exists": nested)
	check  bool                                       // also compare check mode first
	diff   bool                                       // diff mode (the oracle's tree has no diff: ours is checked by want)
	want   func(t *testing.T, dir string, res Result) // more assertions on our result
	skipFS bool                                       // the end state is not comparable (random names)
}

// runOracleCases runs the cases in parallel (each waits on ansible).
func runOracleCases(t *testing.T, cases []fsCase) {
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ours, theirs := t.TempDir(), t.TempDir()
			if tc.setup != nil {
				tc.setup(t, ours)
				tc.setup(t, theirs)
			}
			if tc.check {
				before := snapshot(t, ours)
				got := runLocal(t, tc.module, tc.args(ours), true, tc.diff)
				want := ansibleOracle(t, tc.module, tc.args(theirs), true, false)
				if g, w := got.Changed(), want["changed"] == true; g != w {
					t.Errorf("check mode: changed %v, ansible %v\n ours    %v\n ansible %v", g, w, got, want)
				}
				if after := snapshot(t, ours); !reflect.DeepEqual(before, after) {
					t.Errorf("check mode changed the disk:\nbefore %v\nafter  %v", before, after)
				}
			}
			got := runLocal(t, tc.module, tc.args(ours), false, tc.diff)
			want := ansibleOracle(t, tc.module, tc.args(theirs), false, false)
			compareKeys(t, tc.keys, normalize(map[string]any(got), ours), normalize(want, theirs))
			if !tc.skipFS {
				if a, b := snapshot(t, ours), snapshot(t, theirs); !reflect.DeepEqual(a, b) {
					t.Errorf("end state differs:\n ours    %v\n ansible %v", a, b)
				}
			}
			if tc.want != nil {
				tc.want(t, ours, got)
			}
			if got.IsFailed() {
				return
			}
			again := runLocal(t, tc.module, tc.args(ours), false, false)
			if again.Changed() && want["changed"] == true && tc.module != "tempfile" && !strings.Contains(tc.name, "always") {
				t.Errorf("second run changed: %v", again)
			}
		})
	}
}

// compareKeys compares the named result keys ("a.b" for nested ones).
func compareKeys(t *testing.T, keys []string, got, want map[string]any) {
	t.Helper()
	var bad []string
	for _, k := range append([]string{"changed"}, keys...) {
		g, gok := lookupKey(got, k)
		w, wok := lookupKey(want, k)
		if gok != wok || fmt.Sprint(g) != fmt.Sprint(w) {
			bad = append(bad, fmt.Sprintf("%s: got %v (%v), ansible %v (%v)", k, g, gok, w, wok))
		}
	}
	if bad != nil {
		t.Errorf("%s\n ours    %v\n ansible %v", strings.Join(bad, "\n"), got, want)
	}
}

func lookupKey(m map[string]any, k string) (any, bool) {
	first, rest, nested := strings.Cut(k, ".")
	v, ok := m[first]
	if !ok || !nested {
		if f, isF := v.(float64); isF && f == float64(int64(f)) {
			return int64(f), ok
		}
		return v, ok
	}
	sub, _ := v.(map[string]any)
	return lookupKey(sub, rest)
}

// normalize replaces the temporary directory in every string by {D} and
// turns Go values into the JSON ones ansible returns.
func normalize(v any, dir string) map[string]any {
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			return strings.ReplaceAll(x, dir, "{D}")
		case map[string]any:
			m := map[string]any{}
			for k, e := range x {
				m[k] = walk(e)
			}
			return m
		case Result:
			return walk(map[string]any(x))
		case []any:
			var l []any
			for _, e := range x {
				l = append(l, walk(e))
			}
			return l
		case int:
			return int64(x)
		case int64:
			return x
		case float64:
			if x == float64(int64(x)) {
				return int64(x)
			}
		}
		return v
	}
	m, _ := walk(v).(map[string]any)
	return m
}

var backupName = regexp.MustCompile(`\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$`)

// snapshot describes every path under dir: type, mode, content or link
// target (backup files by their content, their name without pid and time).
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = backupName.ReplaceAllString(rel, ".BACKUP~")
		line := fmt.Sprintf("%s %v", rel, info.Mode())
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + strings.ReplaceAll(target, dir, "{D}")
		case info.Mode().IsRegular():
			data, _ := os.ReadFile(p)
			line += fmt.Sprintf(" %q", data)
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// write makes a file (and its directories) under dir.
func write(t *testing.T, dir, rel, content string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, dir, rel string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(p, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, dir, target, rel string) {
	t.Helper()
	if err := os.Symlink(target, filepath.Join(dir, rel)); err != nil {
		t.Fatal(err)
	}
}

// layout is a setup from a list of files (rel → content; a rel ending in
// / is a directory).
func layout(files map[string]string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		for rel, content := range files {
			if strings.HasSuffix(rel, "/") {
				mkdir(t, dir, rel, 0o755)
				continue
			}
			write(t, dir, rel, content, 0o644)
		}
	}
}
