package module

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// debconfDB points debconf (both tools' and Ansible's runs) at a fresh
// database in a temp dir: DEBCONF_SYSTEMRC names its config.
func debconfDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	conf := "Config: configdb\nTemplates: templatedb\n\nName: configdb\nDriver: File\nFilename: " + dir + "/config.dat\n\n" +
		"Name: templatedb\nDriver: File\nFilename: " + dir + "/templates.dat\n"
	rc := filepath.Join(dir, "debconf.conf")
	if err := os.WriteFile(rc, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DEBCONF_SYSTEMRC", rc)
	return dir
}

func TestDebconfAsAnsible(t *testing.T) {
	for _, bin := range []string{"debconf-show", "debconf-set-selections"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed", bin)
		}
	}
	t.Setenv("HOME", t.TempDir())
	q := func(question, vtype string, value any, extra ...any) map[string]any {
		m := map[string]any{"name": "rctltest", "question": question, "vtype": vtype, "value": value}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	steps := []oracleCase{
		{Args: map[string]any{"name": "rctltest"}},
		{Args: q("rctltest/flag", "boolean", true), Check: true},
		{Args: q("rctltest/flag", "boolean", true)},
		{Args: q("rctltest/flag", "boolean", "TRUE")},
		{Args: q("rctltest/name", "string", "hello world", "unseen", true)},
		{Args: q("rctltest/name", "string", "hello world")},
		{Args: q("rctltest/name", "string", "other"), Check: true},
		{Args: map[string]any{"pkg": "rctltest", "selection": "rctltest/sel", "vtype": "select", "answer": "b"}},
		{Args: map[string]any{"name": "rctltest"}},
		{Args: map[string]any{"name": "rctltest", "question": "rctltest/x", "vtype": "string"}},
	}
	for i := range steps {
		steps[i].Module = "debconf"
	}
	theirs := debconfDB(t)
	wants := ansibleBatch(t, steps)
	wantDiff := ansibleOracle(t, "debconf", q("rctltest/name", "string", "third"), true, true)
	ours := debconfDB(t)
	for i, c := range steps {
		got := runCase(t, c)
		keys := []string{"changed", "failed", "current", "previous", "diff"}
		if !got.IsFailed() {
			keys = append(keys, "msg")
		}
		sameKeys(t, fmtArgs(c.Args), got, wants[i], keys...)
	}
	gotDiff := runLocal(t, "debconf", q("rctltest/name", "string", "third"), true, true)
	sameKeys(t, "diff mode", gotDiff, wantDiff, "changed", "current", "previous")
	// ansible's tree output drops diff: debconf.py's diff is {before: previous, after: previous+current}.
	sameKeys(t, "diff mode", gotDiff, map[string]any{"diff": map[string]any{
		"before": map[string]any{"rctltest/name": "hello world"}, "after": map[string]any{"rctltest/name": "third"}}}, "diff")
	a, _ := os.ReadFile(filepath.Join(ours, "config.dat"))
	b, _ := os.ReadFile(filepath.Join(theirs, "config.dat"))
	if string(a) != string(b) || len(a) == 0 {
		t.Errorf("debconf databases differ:\n ours %s\nansible's %s", a, b)
	}
}
