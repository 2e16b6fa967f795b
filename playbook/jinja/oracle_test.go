package jinja

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/ansible.golden.json from ansible-playbook's output")

const goldenPath = "testdata/ansible.golden.json"

// outcome is what rendering one case gives: a value or an error.
type outcome struct {
	Case  string `json:"case"`
	Value any    `json:"value,omitempty"`
	Error string `json:"error,omitempty"`
	// undefined: the engine's error is of Kind Undefined.
	undefined bool
}

// knownDiffs are the cases where remotectl deliberately or knowingly
// differs from ansible-core 2.14, with why.
var knownDiffs = map[string]string{
	"{{ ('it''s ' * 20) | to_yaml }}":                "gonja does not join adjacent string literals ('it' 's '): a syntax error",
	"{{ 'abc' | regex_replace('(?<=a)b', 'X') }}":    "RE2 has no lookbehind: refused with an Unsupported error naming the construct",
	"{{ 'aaa' | regex_replace('a', 'b', count=1) }}": "count= is accepted as in ansible-core 2.17+; 2.14 rejects it",
	"{{ 5 | random(seed=1.5) }}":                     "a float seed is hashed by Python's hash(): refused (Unsupported) rather than seeded differently",
	"{{ 27 | root(3) }}":                             "Go's math.Pow is not correctly rounded as glibc's pow: 2.9999999999999996 (1 ulp) for 3.0",
	"{{ 'C:/Users/x/f.txt' | win_splitdrive }}":      "a Python tuple is a list in remotectl: its items and indexing agree, its text is a list's",
}

// condition returns the conditional of a case, or false for a template.
func condition(c string) (string, bool) {
	return strings.CutPrefix(c, "when: ")
}

// templateFile returns the template file of a case, or false.
func templateFile(c string) (string, bool) {
	return strings.CutPrefix(c, "file: ")
}

// engineOutcome renders one case with the engine.
func engineOutcome(e *Engine, c string, vars map[string]any) outcome {
	var v any
	var err error
	if cond, ok := condition(c); ok {
		v, err = e.Conditional(cond, vars)
	} else if file, ok := templateFile(c); ok {
		v, err = e.RenderText(file, vars)
	} else {
		v, err = e.Render(c, vars)
	}
	if err != nil {
		return outcome{Case: c, Error: err.Error(), undefined: IsUndefined(err)}
	}
	return outcome{Case: c, Value: jsonValue(v)}
}

// jsonValue is v as encoding/json reads it back, to compare values the
// same way whatever produced them.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return "unencodable: " + err.Error()
	}
	var out any
	_ = json.Unmarshal(b, &out)
	if out == nil {
		return json.RawMessage("null")
	}
	return out
}

// agree reports whether the engine's outcome matches Ansible's: the same
// value, or both an error, undefined for both when Ansible says so.
func agree(ours, theirs outcome) bool {
	if theirs.Error != "" || ours.Error != "" {
		undefined := strings.Contains(theirs.Error, "is undefined") || strings.Contains(theirs.Error, "has no attribute")
		return theirs.Error != "" && ours.Error != "" && (!undefined || ours.undefined)
	}
	return reflect.DeepEqual(jsonValue(ours.Value), jsonValue(theirs.Value))
}

func readGolden(t *testing.T) []outcome {
	t.Helper()
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var golden []outcome
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	for i := range golden {
		if golden[i].Value == nil && golden[i].Error == "" {
			golden[i].Value = json.RawMessage("null")
		}
	}
	return golden
}

// compare checks every case of want against the engine and returns how
// many agree.
func compare(t *testing.T, want []outcome) int {
	t.Helper()
	e, vars := New(), oracleVars()
	agreed := 0
	for _, w := range want {
		got := engineOutcome(e, w.Case, vars)
		ok := agree(got, w)
		why, known := knownDiffs[w.Case]
		switch {
		case ok && known:
			t.Errorf("%s: agrees with ansible now; remove it from knownDiffs", w.Case)
		case ok:
			agreed++
		case known:
			t.Logf("known difference %s: %s", w.Case, why)
		default:
			t.Errorf("%s:\n  ansible: %s\n  engine:  %s", w.Case, show(w), show(got))
		}
	}
	return agreed
}

func show(o outcome) string {
	if o.Error != "" {
		return "error: " + o.Error
	}
	b, _ := json.Marshal(o.Value)
	return string(b)
}

// TestGolden renders the oracle table and compares it with what
// ansible-playbook gave (testdata/ansible.golden.json).
func TestGolden(t *testing.T) {
	golden := readGolden(t)
	if len(golden) != len(oracleCases) {
		t.Fatalf("golden has %d cases, the table %d: run go test -run TestAnsibleOracle -update", len(golden), len(oracleCases))
	}
	for i, g := range golden {
		if g.Case != oracleCases[i] {
			t.Fatalf("golden case %d is %q, the table's %q: run go test -run TestAnsibleOracle -update", i, g.Case, oracleCases[i])
		}
	}
	n := compare(t, golden)
	t.Logf("agreement with ansible-core: %d/%d (%d known differences)", n, len(golden), len(knownDiffs))
}

// TestAnsibleOracle runs the table through ansible-playbook in one run and
// checks the golden file holds what it gave (-update rewrites it).
func TestAnsibleOracle(t *testing.T) {
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ansible-playbook is missing: scripts/test.sh installs ansible-core")
		}
		t.Skip("ansible-playbook not installed (apt-get install ansible-core); TestGolden still checks the recorded outputs")
	}
	if testing.Short() {
		t.Skip("runs ansible-playbook (slow)")
	}
	got := runAnsible(t, bin)
	if *update {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(got); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden := readGolden(t)
	if !reflect.DeepEqual(jsonValue(golden), jsonValue(got)) {
		t.Fatalf("%s is stale: ansible-playbook now gives other results; rerun with -update and review the diff", goldenPath)
	}
	n := compare(t, got)
	t.Logf("agreement with ansible-playbook: %d/%d", n, len(got))
}

// callbackPlugin is an Ansible stdout callback printing the result of every
// task, in order, as one JSON list (ansible-core 2.14 ships no json one).
const callbackPlugin = `from ansible.plugins.callback import CallbackBase
from ansible.module_utils.common.json import AnsibleJSONEncoder
import json


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'oracle'

    def __init__(self):
        super().__init__()
        self.results = []

    def add(self, result, **extra):
        r = dict(result._result)
        r.update(extra)
        self.results.append(r)

    def v2_runner_on_ok(self, result):
        self.add(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self.add(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self.add(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        self._display.display(json.dumps(self.results, cls=AnsibleJSONEncoder))
`

// runAnsible renders every case with one ansible-playbook run: a debug
// task per template, a when per conditional, a template lookup per
// template file, results read from the callback.
func runAnsible(t *testing.T, bin string) []outcome {
	t.Helper()
	dir := t.TempDir()
	tasks := make([]any, len(oracleCases))
	for i, c := range oracleCases {
		task := map[string]any{"name": fmt.Sprintf("case %d", i), "ignore_errors": true}
		if cond, ok := condition(c); ok {
			task["debug"] = map[string]any{"msg": "ran"}
			task["when"] = cond
		} else if file, ok := templateFile(c); ok {
			path := filepath.Join(dir, fmt.Sprintf("case%d.j2", i))
			if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
				t.Fatal(err)
			}
			task["debug"] = map[string]any{"msg": "{{ lookup('template', '" + path + "') }}"}
		} else {
			task["debug"] = map[string]any{"msg": c}
		}
		tasks[i] = task
	}
	play := []any{map[string]any{
		"hosts": "localhost", "gather_facts": false, "connection": "local",
		"vars": oracleVars(), "tasks": tasks,
	}}
	book := filepath.Join(dir, "oracle.yml")
	b, err := json.Marshal(play)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(book, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "oracle.py"), []byte(callbackPlugin), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-i", "localhost,", book)
	cmd.Env = append(os.Environ(), "ANSIBLE_STDOUT_CALLBACK=oracle", "ANSIBLE_CALLBACK_PLUGINS="+dir, "ANSIBLE_NOCOLOR=1",
		"ANSIBLE_LOCALHOST_WARNING=false", "ANSIBLE_CONFIG="+filepath.Join(dir, "none.cfg"),
		"ANSIBLE_HOME="+dir, "ANSIBLE_LOCAL_TEMP="+dir, "ANSIBLE_DEPRECATION_WARNINGS=false")
	out, err := cmd.Output()
	if err != nil && len(out) == 0 {
		t.Fatalf("ansible-playbook: %v", err)
	}
	var run []map[string]any
	if err := json.Unmarshal(out, &run); err != nil {
		t.Fatalf("ansible-playbook output: %v\n%s", err, out)
	}
	if len(run) != len(oracleCases) {
		t.Fatalf("ansible-playbook ran %d tasks, expected %d:\n%s", len(run), len(oracleCases), out)
	}
	results := make([]outcome, len(oracleCases))
	for i, r := range run {
		o := outcome{Case: oracleCases[i]}
		_, isCond := condition(oracleCases[i])
		switch {
		case r["failed"] == true:
			o.Error, _ = r["msg"].(string)
			if o.Error == "" {
				o.Error = "failed"
			}
		case isCond:
			o.Value = r["skipped"] != true
		default:
			o.Value = r["msg"]
		}
		if o.Value == nil && o.Error == "" {
			o.Value = json.RawMessage("null")
		}
		results[i] = o
	}
	return results
}
