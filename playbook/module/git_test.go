package module

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestGitProbeParse(t *testing.T) {
	p := parseGitProbe("EXISTS\nBEFORE\taaa\nMODS\nURL\tfile:///src\nLSRC\t0\nLS\th1\tHEAD\nLS\th1\trefs/heads/main\nLS\tt0\trefs/tags/v1\nLS\tc1\trefs/tags/v1^{}\nLS\tl2\trefs/tags/light\n")
	if !p.exists || p.before != "aaa" || !p.localMods || p.remoteURL != "file:///src" {
		t.Errorf("probe: %+v", p)
	}
	for v, want := range map[string]string{"HEAD": "h1", "main": "h1", "v1": "c1", "light": "l2", "0123abc": "0123abc"} {
		if got := p.remoteHead(v); got != want {
			t.Errorf("remoteHead(%s) = %s, want %s", v, got, want)
		}
	}
	if gitRepoURL("/srv/x") != "file:///srv/x" || unfrackGitPath("file:///srv/x/") != "/srv/x" {
		t.Error("repo URL")
	}
	if s := gitSwitchScript("git", "origin", "main", p, 0); !strings.Contains(s, "reset --hard origin/main") {
		t.Errorf("switch to a branch: %s", s)
	}
	if s := gitSwitchScript("git", "origin", "v1", p, 0); s != "git checkout --force v1 || { echo \"Failed to checkout v1\" >&2; exit 1; }\n" {
		t.Errorf("switch to a tag: %s", s)
	}
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.invalid", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestGitAsAnsible(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	gitIn(t, src, "init", "-q", "-b", "main")
	mustWrite(t, filepath.Join(src, "a.txt"), "one\n")
	gitIn(t, src, "add", "a.txt")
	gitIn(t, src, "commit", "-q", "-m", "one")
	gitIn(t, src, "tag", "-a", "-m", "v1", "v1")
	v1 := gitIn(t, src, "rev-parse", "HEAD")
	mustWrite(t, filepath.Join(src, "a.txt"), "two\n")
	gitIn(t, src, "commit", "-q", "-am", "two")
	head := gitIn(t, src, "rev-parse", "HEAD")
	dests := [2]string{filepath.Join(dir, "ours", "co"), filepath.Join(dir, "ansible", "co")}
	type step struct {
		args    map[string]any
		check   bool
		changed bool
		after   func() string
		failed  bool
		before  func()
	}
	same := func(s string) func() string { return func() string { return s } }
	var head2 string
	steps := []step{
		{args: map[string]any{}, check: true, changed: true, after: same(head)},
		{args: map[string]any{}, changed: true, after: same(head)},
		{args: map[string]any{}, changed: false, after: same(head)},
		{args: map[string]any{"version": "v1"}, changed: true, after: same(v1)},
		{args: map[string]any{"version": "main"}, changed: true, after: same(head)},
		{args: map[string]any{"update": false}, changed: false, after: same(head), before: func() {
			mustWrite(t, filepath.Join(src, "a.txt"), "three\n")
			gitIn(t, src, "commit", "-q", "-am", "three")
			head2 = gitIn(t, src, "rev-parse", "HEAD")
		}},
		{args: map[string]any{}, check: true, changed: true, after: func() string { return head2 }},
		{args: map[string]any{}, changed: true, after: func() string { return head2 }},
		{args: map[string]any{}, failed: true, before: func() {
			for _, d := range dests {
				mustWrite(t, filepath.Join(d, "a.txt"), "local\n")
			}
		}},
		{args: map[string]any{"force": true}, changed: true, after: func() string { return head2 }},
		{args: map[string]any{"depth": 1, "version": "main", "dest": "shallow"}, changed: true, after: func() string { return head2 }},
	}
	for i, s := range steps {
		if s.before != nil {
			s.before()
		}
		var results [2]map[string]any
		for run := range 2 {
			if run == 1 && (i == 2 || i == 5) { // repeats of a state (idempotence, update: false): remotectl's runs show them
				results[1] = results[0]
				continue
			}
			args := map[string]any{"repo": src, "dest": dests[run]}
			for k, v := range s.args {
				args[k] = v
			}
			if d, ok := s.args["dest"].(string); ok {
				args["dest"] = filepath.Join(filepath.Dir(dests[run]), d)
			}
			if run == 0 {
				results[run] = runLocal(t, "git", args, s.check, false)
			} else {
				results[run] = ansibleOracle(t, "git", args, s.check, false)
			}
			res := results[run]
			f, _ := res["failed"].(bool)
			if run == 1 && s.failed { // ansible's tree callback drops failed: the message says it
				msg, _ := res["msg"].(string)
				f = strings.HasPrefix(msg, "Local modifications exist in the destination")
			}
			if f != s.failed {
				t.Fatalf("run %d step %d %v: failed=%v: %v", run, i, s.args, f, res)
			}
			if s.failed {
				continue
			}
			if c, _ := res["changed"].(bool); c != s.changed || res["after"] != s.after() {
				t.Errorf("run %d step %d %v: changed=%v after=%v, want %v %v (%v)", run, i, s.args, c, res["after"], s.changed, s.after(), res)
			}
		}
		for _, k := range []string{"before", "after", "remote_url_changed"} {
			if results[0][k] != results[1][k] {
				t.Errorf("step %d %v: %s: ours %v, ansible %v", i, s.args, k, results[0][k], results[1][k])
			}
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dests[0], "a.txt")); string(got) != "three\n" {
		t.Errorf("checkout holds %q", got)
	}
}
