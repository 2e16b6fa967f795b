package module

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
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
	// norm, when set, rewrites both results before they are compared
	// (lists in a stable order, values that cannot be the same).
	norm func(res map[string]any)
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
				want := ansibleFull(t, tc.module, tc.args(theirs), true, tc.diff)
				if g, w := got.Changed(), want["changed"] == true; g != w {
					t.Errorf("check mode: changed %v, ansible %v\n ours    %v\n ansible %v", g, w, got, want)
				}
				if after := snapshot(t, ours); !reflect.DeepEqual(before, after) {
					t.Errorf("check mode changed the disk:\nbefore %v\nafter  %v", before, after)
				}
			}
			got := runLocal(t, tc.module, tc.args(ours), false, tc.diff)
			want := ansibleFull(t, tc.module, tc.args(theirs), false, tc.diff)
			g, w := normalize(map[string]any(got), ours), normalize(want, theirs)
			if tc.norm != nil {
				tc.norm(g)
				tc.norm(w)
			}
			keys := tc.keys
			if tc.diff {
				keys = append(keys, "diff")
			}
			compareKeys(t, keys, g, w)
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

// diffNorm rewrites the diff of a result with f (each diff of a list).
func diffNorm(f func(d map[string]any)) func(map[string]any) {
	return func(res map[string]any) {
		switch d := res["diff"].(type) {
		case map[string]any:
			f(d)
		case []any:
			for _, e := range d {
				if m, ok := e.(map[string]any); ok {
					f(m)
				}
			}
		}
	}
}

// compareKeys compares the named result keys ("a.b" for nested ones).
func compareKeys(t *testing.T, keys []string, got, want map[string]any) {
	t.Helper()
	var bad []string
	for _, k := range append([]string{"changed", "failed", "skipped"}, keys...) {
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
				m[strings.ReplaceAll(k, dir, "{D}")] = walk(e)
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

// dumpCallback is an ansible stdout callback that writes the whole result
// of the task (diff, failed and skipped included, which the tree callback
// of ansibleOracle leaves out) to $REMOTECTL_DUMP.
const dumpCallback = `from ansible.plugins.callback import CallbackBase
import json, os

class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'remotectl_dump'

    def _dump(self, result, **extra):
        r = dict(result._result)
        r.update(extra)
        with open(os.environ['REMOTECTL_DUMP'], 'w') as f:
            json.dump(r, f)

    def v2_runner_on_ok(self, result):
        self._dump(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._dump(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._dump(result, skipped=True)
`

// ansibleFull is ansibleOracle with the whole result: it runs the module
// with ansible -c local and a callback that dumps the result as is.
func ansibleFull(t *testing.T, name string, raw map[string]any, check, diff bool) map[string]any {
	t.Helper()
	bin, err := exec.LookPath("ansible")
	if err != nil {
		t.Skip("ansible (Debian's ansible-core) is not installed; scripts/test.sh installs it")
	}
	home := t.TempDir()
	plugins := filepath.Join(home, "callbacks")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(plugins, "remotectl_dump.py"), []byte(dumpCallback), 0o644); err != nil {
		t.Fatal(err)
	}
	dump := filepath.Join(home, "result.json")
	argsJSON, _ := json.Marshal(raw)
	cmdArgs := []string{"localhost", "-c", "local", "-i", "localhost,", "-m", name, "-a", string(argsJSON)}
	if check {
		cmdArgs = append(cmdArgs, "--check")
	}
	if diff {
		cmdArgs = append(cmdArgs, "--diff")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, cmdArgs...)
	cmd.Env = append(os.Environ(), "HOME="+home, "ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "tmp"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(home, "rtmp"), "ANSIBLE_LOCALHOST_WARNING=0", "ANSIBLE_NOCOLOR=1",
		"ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3", "ANSIBLE_CONFIG="+filepath.Join(home, "none.cfg"),
		"ANSIBLE_LOAD_CALLBACK_PLUGINS=1", "ANSIBLE_STDOUT_CALLBACK=remotectl_dump", "ANSIBLE_CALLBACK_PLUGINS="+plugins,
		"REMOTECTL_DUMP="+dump)
	out, _ := cmd.CombinedOutput() // a failed module exits 2
	data, err := os.ReadFile(dump)
	if err != nil {
		t.Fatalf("ansible %s: no result: %v\n%s", name, err, out)
	}
	var res map[string]any
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("ansible %s: %v\n%s", name, err, data)
	}
	for _, k := range []string{"ansible_facts", "invocation", "_ansible_no_log", "warnings", "deprecations", "exception"} {
		delete(res, k)
	}
	return res
}
