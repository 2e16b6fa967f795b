package ansiblecli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/internal/errkind"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/playbook"
)

// ansiblePlaybook runs ansible-playbook (the oracle) in dir with a home of
// its own and returns its standard output and exit code; the test is
// skipped without it.
func ansiblePlaybook(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		t.Skip("ansible-playbook (the oracle) is not installed")
	}
	home := t.TempDir()
	cmd := exec.Command("ansible-playbook", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+home, "ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "tmp"),
		"ANSIBLE_CONFIG="+filepath.Join(home, "none.cfg"), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCALHOST_WARNING=0")
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// inspect runs Load.Inspect on file with o, over testdata's inventory.
func inspect(t *testing.T, file string, o *Options, limit string) (string, error) {
	t.Helper()
	inv, err := inventory.Load([]string{"testdata/inventory.ini"}, inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	l := Load{File: file, Cwd: "testdata", Getenv: func(string) string { return "" }, Options: o, Secrets: &playbook.Secrets{}}
	err = l.Inspect(&out, inv, "", limit)
	return out.String(), err
}

// sortHosts sorts the host lines of each "hosts (N):" block:
// ansible-playbook lists them in no fixed order.
func sortHosts(s string) string {
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "    hosts (") {
			continue
		}
		j := i + 1
		for j < len(lines) && strings.HasPrefix(lines[j], "      ") {
			j++
		}
		slices.Sort(lines[i+1 : j])
		i = j - 1
	}
	return strings.Join(lines, "\n")
}

// --list-hosts, --list-tasks and --list-tags print what ansible-playbook
// prints for the same playbook, inventory, --limit and tags.
func TestListingsAgainstAnsiblePlaybook(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		opts  Options
		limit string
	}{
		{"tasks", []string{"--list-tasks"}, Options{List: List{Tasks: true}}, ""},
		{"hosts", []string{"--list-hosts"}, Options{List: List{Hosts: true}}, ""},
		{"tags", []string{"--list-tags"}, Options{List: List{Tags: true}}, ""},
		{"all three", []string{"--list-tasks", "--list-hosts", "--list-tags"}, Options{List: List{Hosts: true, Tasks: true, Tags: true}}, ""},
		{"limit", []string{"--list-hosts", "-l", "web1:db1"}, Options{List: List{Hosts: true}}, "web1:db1"},
		{"tags selected", []string{"--list-tasks", "-t", "config,debug"}, Options{Tags: []string{"config", "debug"}, List: List{Tasks: true}}, ""},
		{"tags skipped", []string{"--list-tasks", "--list-tags", "--skip-tags", "a"}, Options{SkipTags: []string{"a"}, List: List{Tasks: true, Tags: true}}, ""},
		{"start at task", []string{"--list-tasks", "--start-at-task", "configure"}, Options{StartAtTask: "configure", List: List{Tasks: true}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, code := ansiblePlaybook(t, ".", append([]string{"-i", "testdata/inventory.ini", "testdata/site.yml"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("ansible-playbook exited %d:\n%s", code, want)
			}
			got, err := inspect(t, "testdata/site.yml", &tc.opts, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if sortHosts(got) != sortHosts(want) {
				t.Errorf("remotectl:\n%s\nansible-playbook:\n%s", got, want)
			}
		})
	}
}

// --syntax-check prints what ansible-playbook prints for a valid
// playbook; an invalid one is invalid input (ansible-playbook exits 4
// for it, as for an unreachable host: remotectl keeps 65).
func TestSyntaxCheck(t *testing.T) {
	want, code := ansiblePlaybook(t, ".", "-i", "testdata/inventory.ini", "--syntax-check", "testdata/site.yml")
	got, err := inspect(t, "testdata/site.yml", &Options{SyntaxCheck: true}, "")
	if err != nil || code != 0 || got != want {
		t.Errorf("valid: remotectl %q, %v; ansible-playbook %q, exit %d", got, err, want, code)
	}
	bad := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(bad, []byte("- hosts: all\n  tasks:\n    - debug: {msg: x}\n  bogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, code := ansiblePlaybook(t, ".", "-i", "testdata/inventory.ini", "--syntax-check", bad); code != 4 {
		t.Errorf("ansible-playbook --syntax-check of an invalid playbook exited %d, want 4", code)
	}
	_, err = inspect(t, bad, &Options{SyntaxCheck: true}, "")
	var input errkind.Input
	if !errors.As(err, &input) || !strings.Contains(err.Error(), bad+":4:3") {
		t.Errorf("invalid: %v, want an input error at %s:4:3", err, bad)
	}
}
