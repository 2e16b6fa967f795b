package module

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// commandFixture is a directory with a file, a directory, a script and a
// non-executable file, and HOME and a variable set for both runs.
func commandFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("HOME", filepath.Join(dir, "home"))
	t.Setenv("RCTL_TEST_VAR", "a b  c")
	for _, d := range []string{"home", "sub dir"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"present.txt": "x\n",
		"noexec":      "echo never\n",
		"script.sh":   "#!/bin/sh\necho \"args:$#:$1:$2\"\necho to-err >&2\nexit ${RC:-0}\n",
		"fail.sh":     "#!/bin/sh\necho failing\nexit 4\n",
		"pwd.sh":      "pwd\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCommandsAsAnsible(t *testing.T) {
	dir := commandFixture(t)
	p := func(name string) string { return filepath.Join(dir, name) }
	keys := []string{"changed", "failed", "skipped", "rc", "stdout", "stderr", "cmd", "msg"}
	cases := []oracleCase{
		{Module: "command", Free: `echo hi 'a  b' "c\"d"`},
		{Module: "command", Free: `echo $HOME ~ ${HOME} $NOPE_RCTL ${RCTL_TEST_VAR}x $ ~/x ~root ~nosuchuser_rctl/y`},
		{Module: "command", Args: map[string]any{"argv": []any{"printf", "%s|", "$RCTL_TEST_VAR", "~", "two words"}}},
		{Module: "command", Free: "pwd", Args: map[string]any{"chdir": p("sub dir")}},
		{Module: "command", Free: "pwd", Args: map[string]any{"chdir": "~"}},
		{Module: "command", Free: "echo ran", Args: map[string]any{"creates": p("pres*.txt")}},
		{Module: "command", Free: "echo ran", Args: map[string]any{"creates": p("absent*")}},
		{Module: "command", Free: "echo ran", Args: map[string]any{"removes": p("absent")}},
		{Module: "command", Free: "echo ran", Args: map[string]any{"removes": p("present.txt")}},
		{Module: "command", Free: "echo ran", Args: map[string]any{"creates": "$HOME"}},
		{Module: "command", Free: "echo ran", Check: true},
		{Module: "command", Free: "echo ran", Args: map[string]any{"creates": p("absent")}, Check: true},
		{Module: "command", Free: "echo ran", Args: map[string]any{"creates": p("present.txt")}, Check: true},
		{Module: "command", Free: "echo ran", Args: map[string]any{"removes": p("absent")}, Check: true},
		{Module: "command", Args: map[string]any{"argv": []any{"sh", "-c", "echo out; echo err >&2; exit 3"}}},
		{Module: "command", Free: "nonexistent_rctl_cmd arg"},
		{Module: "command", Free: p("noexec")},
		{Module: "command", Free: "pwd", Args: map[string]any{"chdir": p("absent")}},
		{Module: "command", Free: "pwd", Args: map[string]any{"chdir": p("present.txt")}},
		{Module: "command", Free: "cat", Args: map[string]any{"stdin": "hello"}},
		{Module: "command", Free: "cat", Args: map[string]any{"stdin": "hello", "stdin_add_newline": false, "strip_empty_ends": false}},
		{Module: "command", Args: map[string]any{"argv": []any{"printf", `a\n\n`}, "strip_empty_ends": false}},
		{Module: "command", Free: "echo x", Args: map[string]any{"argv": []any{"echo"}}},
		{Module: "shell", Free: "echo $((1+2)) | tr 3 x; echo e >&2; echo \"$RCTL_TEST_VAR\""},
		{Module: "shell", Free: `echo "${BASH_VERSION:+bash}"`, Args: map[string]any{"executable": "/bin/bash"}},
		{Module: "shell", Free: "ls; exit 2", Args: map[string]any{"chdir": p("sub dir"), "removes": p("present.txt")}},
		{Module: "shell", Free: "echo no", Args: map[string]any{"creates": "~"}},
		{Module: "shell", Free: "echo hi", Args: map[string]any{"executable": p("absent")}},
		{Module: "raw", Free: "echo hi; echo err >&2"},
		{Module: "raw", Free: "echo out; exit 3"},
		{Module: "raw", Free: "echo hi", Check: true},
		{Module: "raw", Free: `echo "${BASH_VERSION:+bash}" 'q'`, Args: map[string]any{"executable": "/bin/bash"}},
		{Module: "script", Free: p("script.sh") + ` 'one arg' two`},
		{Module: "script", Args: map[string]any{"cmd": p("pwd.sh"), "chdir": p("home")}},
		{Module: "script", Free: p("fail.sh")},
		{Module: "script", Free: p("script.sh"), Args: map[string]any{"creates": p("present.txt")}},
		{Module: "script", Free: p("script.sh"), Args: map[string]any{"removes": p("absent")}},
		{Module: "script", Free: p("script.sh"), Check: true},
		{Module: "script", Free: p("script.sh"), Args: map[string]any{"creates": p("absent")}, Check: true},
		{Module: "script", Free: p("script.sh") + " x", Args: map[string]any{"executable": "/bin/bash"}},
	}
	want := ansibleBatch(t, cases)
	for i, c := range cases {
		what := c.Module + " " + c.Free + " " + strings.ReplaceAll(fmtArgs(c.Args), dir, "DIR")
		if c.Check {
			what += " (check)"
		}
		got := runCase(t, c)
		sameKeys(t, what, got, want[i], keys...)
		if got["start"] != nil {
			if _, err := time.Parse("2006-01-02 15:04:05.000000", got["start"].(string)); err != nil {
				t.Errorf("%s: start: %v", what, err)
			}
			if _, ok := got["delta"].(string); !ok {
				t.Errorf("%s: delta %v", what, got["delta"])
			}
		}
		for _, k := range []string{"start", "end", "delta"} {
			if _, inAnsible := want[i][k]; c.Module == "command" || c.Module == "shell" {
				if _, inOurs := got[k]; inOurs != inAnsible || (got[k] == nil) != (want[i][k] == nil) {
					t.Errorf("%s: %s: got %v, ansible %v", what, k, got[k], want[i][k])
				}
			}
		}
	}
}

func fmtArgs(a map[string]any) string {
	var b strings.Builder
	for k, v := range a {
		fmt.Fprintf(&b, "%s=%v ", k, v)
	}
	return b.String()
}

// A command guarded by creates/removes runs once: first run changed,
// second run skipped, on separate state directories for ansible and us.
func TestCommandIdempotenceAsAnsible(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	keys := []string{"changed", "failed", "skipped", "rc", "stdout", "stderr", "cmd", "msg"}
	made := "@D@/made"
	cases := []oracleCase{
		{Module: "shell", Free: "echo made > " + made, Args: map[string]any{"creates": made}, Check: true},
		{Module: "shell", Free: "echo made > " + made, Args: map[string]any{"creates": made}},
		{Module: "shell", Free: "echo made > " + made, Args: map[string]any{"creates": made}},
		{Module: "command", Free: "rm " + made, Args: map[string]any{"removes": made}, Check: true},
		{Module: "command", Free: "cp " + made + " @D@/sub/copy", Args: map[string]any{"chdir": "@D@", "creates": "sub/copy"}},
		{Module: "command", Free: "cp " + made + " @D@/sub/copy", Args: map[string]any{"chdir": "@D@", "creates": "sub/copy"}},
		{Module: "command", Free: "rm " + made, Args: map[string]any{"removes": made}},
		{Module: "command", Free: "rm " + made, Args: map[string]any{"removes": made}},
	}
	got, _ := compareBatch(t, cases, keys)
	if !got[1].Changed() || got[2].Changed() || !got[6].Changed() || got[7].Changed() {
		t.Errorf("not idempotent: %v", got)
	}
}
