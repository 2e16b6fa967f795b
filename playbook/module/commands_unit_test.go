package module

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPyRenderings(t *testing.T) {
	deltas := map[time.Duration]string{
		3456 * time.Microsecond:                  "0:00:00.003456",
		2 * time.Second:                          "0:00:02",
		26*time.Hour + 3*time.Minute:             "1 day, 2:03:00",
		50*time.Hour + 1500*time.Millisecond:     "2 days, 2:00:01.500000",
		-time.Second:                             "0:00:00",
		59*time.Minute + 59*time.Second + 999999: "0:59:59.000999",
	}
	for d, want := range deltas {
		if got := pyDelta(d); got != want {
			t.Errorf("pyDelta(%v) = %q, want %q", d, got, want)
		}
	}
	reprs := map[string]string{
		"/tmp/x":      `b'/tmp/x'`,
		"it's":        `b"it's"`,
		`a'b"c`:       `b'a\'b"c'`,
		"tab\there\n": `b'tab\there\n'`,
		"\xc3\xa9":    `b'\xc3\xa9'`,
	}
	for s, want := range reprs {
		if got := pyBytesRepr(s); got != want {
			t.Errorf("pyBytesRepr(%q) = %s, want %s", s, got, want)
		}
	}
	quotes := map[string]string{"": "''", "abc/d-e.f": "abc/d-e.f", "a b": "'a b'", "it's": `'it'"'"'s'`, "é": "'é'"}
	for s, want := range quotes {
		if got := pyShlexQuote(s); got != want {
			t.Errorf("pyShlexQuote(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestParseReport(t *testing.T) {
	tok := "rctl0123"
	cases := map[string]cmdReport{
		"hello\n":                          {},
		tok + " chdir 2\n/no where\x00":    {kind: "chdir", errno: "2", vals: []string{"/no where"}},
		tok + " exec 13\n/x\x00a b\x00":    {kind: "exec", errno: "13", vals: []string{"/x", "a b"}},
		tok + " creates -\n/tmp/a\nb\x00":  {kind: "creates", errno: "-", vals: []string{"/tmp/a\nb"}},
		"x" + tok + " run -\n":             {},
		tok + " run -\necho\x00\x00hi\x00": {kind: "run", errno: "-", vals: []string{"echo", "", "hi"}},
	}
	for out, want := range cases {
		if got := parseReport(tok, out); !reflect.DeepEqual(got, want) {
			t.Errorf("parseReport(%q) = %+v, want %+v", out, got, want)
		}
	}
}

// TestCommandBeyondAnsible214 covers what the oracle (2.14) cannot:
// expand_argument_vars (2.16) and a chdir with a space for script (which
// Ansible does not quote).
func TestCommandBeyondAnsible214(t *testing.T) {
	dir := commandFixture(t)
	res := runLocal(t, "command", map[string]any{"cmd": "echo $HOME ~", "expand_argument_vars": false}, false, false)
	if res["stdout"] != "$HOME ~" || res["rc"] != 0 || !res.Changed() {
		t.Errorf("expand_argument_vars=false: %v", res)
	}
	res = runLocal(t, "command", map[string]any{"cmd": "echo $HOME"}, false, false)
	if res["stdout"] != filepath.Join(dir, "home") {
		t.Errorf("expand_argument_vars default: %v", res)
	}
	res = runLocal(t, "script", map[string]any{"cmd": filepath.Join(dir, "pwd.sh"), "chdir": filepath.Join(dir, "sub dir")}, false, false)
	if res["stdout"] != filepath.Join(dir, "sub dir")+"\n" || res.IsFailed() {
		t.Errorf("script chdir with a space: %v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, "absent")); err == nil {
		t.Fatal("fixture")
	}
	tmp, _ := filepath.Glob("/tmp/.remotectl-script-*")
	for _, f := range tmp {
		if data, _ := os.ReadFile(f); strings.Contains(string(data), "pwd") {
			t.Errorf("script left its temporary copy %s", f)
		}
	}
	res = runLocal(t, "command", map[string]any{"cmd": "echo 'unclosed"}, false, false)
	if !res.IsFailed() || !strings.Contains(res["msg"].(string), "shlex") {
		t.Errorf("unclosed quote: %v", res)
	}
}
