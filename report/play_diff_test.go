package report

import (
	"os/exec"
	"strings"
	"testing"
)

// TestUnifiedDiff compares with Python's difflib.unified_diff, which
// Ansible's --diff output uses.
func TestUnifiedDiff(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is the oracle")
	}
	for _, tc := range [][2]string{
		{"", "a\nb\n"},
		{"a\nb\n", ""},
		{"a\nb\nc\n", "a\nB\nc\n"},
		{"l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\nl11\n", "l1\nl2\nL3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\nl11\nl12\n"},
		{"one\n", "one"},
	} {
		got := UnifiedDiff(tc[0], tc[1], "before: x", "after: y")
		script := `import difflib,sys
a,b=sys.argv[1],sys.argv[2]
out=difflib.unified_diff(a.splitlines(True),b.splitlines(True),fromfile="before: x",tofile="after: y")
s=""
for l in out:
    s+=l
    if not l.endswith("\n"): s+="\n\\ No newline at end of file\n"
sys.stdout.write(s)`
		want, err := exec.Command("python3", "-c", script, tc[0], tc[1]).Output()
		if err != nil {
			t.Fatal(err)
		}
		if w := string(want); got != w {
			t.Errorf("diff of %q and %q:\n%s\nwant:\n%s", tc[0], tc[1], got, w)
		}
	}
}

// TestWriteDiffsLines: a diff is shown as lines (escaped one by one), the
// last one ended, as ansible-playbook --diff shows it.
func TestWriteDiffsLines(t *testing.T) {
	var b strings.Builder
	writeDiffs(&b, map[string]any{"before": "", "after": "a\x1b\nb\n", "after_header": "t.j2"})
	writeDiffs(&b, map[string]any{"prepared": "x\ny"})
	want := "--- before\n+++ t.j2\n@@ -0,0 +1,2 @@\n+a\\x1b\n+b\nx\ny\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
