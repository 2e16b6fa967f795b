package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/internal/settings"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
	"github.com/remotectl/remotectl/report"
)

// smallPlaybook runs a command on every host, then says what it printed.
const smallPlaybook = `- name: deploy
  hosts: all
  gather_facts: false
  tasks:
    - name: version
      command: cat /srv/version
      register: version
      changed_when: false
    - name: say
      debug: {msg: "runs {{ version.stdout }}"}
`

// writePlaybook writes data as a playbook in a temporary directory and
// returns its path.
func writePlaybook(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunPlayCommandAndDebug(t *testing.T) {
	scripts := map[string]remotetest.Script{
		"web01": {Output: []remotetest.Chunk{remotetest.Stdout("1.4.2\n")}},
		"web02": {Output: []remotetest.Chunk{remotetest.Stdout("1.4.1\n")}},
	}
	ff := newFakeFleet(t, settings.Globals{}, scripts, "web01", "web02")
	if code := ff.run(t, newPlayCmd(ff.f, nil), writePlaybook(t, smallPlaybook)); code != report.ExitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, ff.out, ff.err)
	}
	for _, want := range []string{"TASK [version]", "TASK [say]", "runs 1.4.2", "runs 1.4.1", "PLAY RECAP"} {
		if !strings.Contains(ff.out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, ff.out)
		}
	}
	for _, h := range []string{"web01", "web02"} {
		got := ff.fake.Commands(h)
		// The command module runs one script that execs the argv.
		if len(got) != 1 || !strings.Contains(got[0].Shell, `"$_rctl_a1"/srv/version`) {
			t.Errorf("%s ran %+v, want one script running cat /srv/version", h, got)
		}
		if ff.fake.Dials(h) != 1 {
			t.Errorf("%s dialled %d times, want once for the play", h, ff.fake.Dials(h))
		}
	}
}

func TestRunPlayExitCodesAndJSON(t *testing.T) {
	scripts := map[string]remotetest.Script{
		"web01": {ExitCode: 3},
		"db01":  {DialErr: remote.Errorf(remote.ClassRefused, "dial", "connection refused")},
	}
	ff := newFakeFleet(t, settings.Globals{Output: "json"}, scripts, "web01", "web02", "db01")
	code := ff.run(t, newPlayCmd(ff.f, nil), writePlaybook(t, smallPlaybook))
	if code != report.PlayExitUnreachable { // ansible-playbook's: unreachable wins over failed
		t.Fatalf("exit %d, want %d (a task failed, a host unreachable)\nstderr:\n%s", code, report.PlayExitUnreachable, ff.err)
	}
	var doc struct {
		Recap []struct {
			Host        string `json:"host"`
			OK          int    `json:"ok"`
			Failed      int    `json:"failed"`
			Unreachable int    `json:"unreachable"`
		} `json:"recap"`
	}
	if err := json.Unmarshal(ff.out.Bytes(), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, ff.out)
	}
	got := map[string][3]int{}
	for _, r := range doc.Recap {
		got[r.Host] = [3]int{r.OK, r.Failed, r.Unreachable}
	}
	want := map[string][3]int{"web01": {0, 1, 0}, "web02": {2, 0, 0}, "db01": {0, 0, 1}}
	for h, w := range want {
		if got[h] != w {
			t.Errorf("recap of %s: ok/failed/unreachable %v, want %v\n%s", h, got[h], w, ff.out)
		}
	}
}

func TestRunPlayRejectsABadPlaybook(t *testing.T) {
	ff := newFakeFleet(t, settings.Globals{}, nil, "web01")
	bad := writePlaybook(t, "- hosts: all\n  tasks:\n    - command: true\n      whne: x\n")
	o := &playOptions{runDeps: ff.f.runDeps(), OpsRun: ff.f.OpsRun, InventoryFrom: ff.f.InventoryFrom, File: bad}
	err := runPlay(context.Background(), o)
	if code := exitCodeOf(err); code != report.ExitInput || !strings.Contains(err.Error(), `did you mean "when"`) {
		t.Errorf("exit %d, error %v; want %d and a did-you-mean", code, err, report.ExitInput)
	}
	if ff.fake.Dials("web01") != 0 {
		t.Error("a host was dialled for an invalid playbook")
	}
}

func TestNewPlayCmdParses(t *testing.T) {
	var got *playOptions
	capture := func(f *factory) *cobra.Command {
		return newPlayCmd(f, func(_ context.Context, o *playOptions) error { got = o; return nil })
	}
	code, stderr := parse(t, capture, "play", "site.yaml", "-e", "v=1", "-e", "@prod.yaml", "--tags", "a,b", "--skip-tags", "c", "--start-at-task", "restart", "--check")
	if code != report.ExitOK || got == nil {
		t.Fatalf("exit %d, ran %v: %s", code, got != nil, stderr)
	}
	if got.File != "site.yaml" || !slices.Equal(got.ExtraVars, []string{"v=1", "@prod.yaml"}) || !slices.Equal(got.Tags, []string{"a", "b"}) ||
		!slices.Equal(got.SkipTags, []string{"c"}) || got.StartAtTask != "restart" || !got.Check || got.Cwd == "" {
		t.Errorf("parsed as %+v", got)
	}
	for _, args := range [][]string{{"play"}, {"play", "a.yaml", "b.yaml"}} {
		got = nil
		if code, stderr := parse(t, capture, args...); code != report.ExitUsage || got != nil || !strings.Contains(stderr, "play needs one playbook") {
			t.Errorf("%q: exit %d, ran %v, stderr %q; want %d", args, code, got != nil, stderr, report.ExitUsage)
		}
	}
}

// ansible-playbook's letters and names parse into play's options; the
// options remotectl does not implement are refused before running.
func TestNewPlayCmdParsesAnsibleOptions(t *testing.T) {
	var got *playOptions
	capture := func(f *factory) *cobra.Command {
		return newPlayCmd(f, func(_ context.Context, o *playOptions) error { got = o; return nil })
	}
	code, stderr := parse(t, capture, "play", "site.yml", "-l", "web", "-t", "a", "-C", "-D", "-b", "--become-user", "www",
		"--become-method", "sudo", "-K", "-u", "deploy", "-k", "--private-key", "id", "--vault-id", "prod@pw", "--vault-id", "prompt",
		"--vault-password-file", "f", "-J", "--syntax-check", "--list-hosts", "--list-tasks", "--list-tags")
	if code != report.ExitOK || got == nil {
		t.Fatalf("exit %d, ran %v: %s", code, got != nil, stderr)
	}
	a := got.Ansible
	if !got.Check || !got.Diff || !got.SyntaxCheck || !got.List.Hosts || !got.List.Tasks || !got.List.Tags || !slices.Equal(got.Tags, []string{"a"}) ||
		!a.Become || a.BecomeUser != "www" || a.BecomeMethod != "sudo" || !a.AskBecomePass || a.User != "deploy" || !a.AskPass ||
		a.PrivateKey != "id" || !slices.Equal(a.VaultIDs, []string{"prod@pw", "prompt"}) || !slices.Equal(a.VaultPasswordFiles, []string{"f"}) || !a.AskVaultPass {
		t.Errorf("parsed as %+v", got)
	}
	if g := got.Settings(); g.Limit != "web" {
		t.Errorf("-l: limit %q", g.Limit)
	}
	for _, flag := range []string{"--flush-cache", "--force-handlers"} {
		got = nil
		code, stderr := parse(t, capture, "play", "site.yml", flag)
		if code != report.ExitUsage || got != nil || !strings.Contains(stderr, flag+" is not supported: ") {
			t.Errorf("%s: exit %d, ran %v, stderr %q; want %d and a reason", flag, code, got != nil, stderr, report.ExitUsage)
		}
	}
}
