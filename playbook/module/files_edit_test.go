package module

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

var editKeys = []string{"msg", "found", "rc"}

const confText = "# config\nport = 80\nhost = a\n#listen 1\n[main]\nuser = x\n"

func TestLineinfileAsAnsible(t *testing.T) {
	conf := layout(map[string]string{"f.conf": confText, "noeol": "a\nb"})
	p := func(d string, kv ...any) map[string]any {
		m := map[string]any{"path": d + "/f.conf"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	runOracleCases(t, []fsCase{
		{name: "regexp replaces with mode", module: "lineinfile", setup: conf, check: true, diff: true, keys: editKeys,
			args: func(d string) map[string]any {
				return p(d, "regexp", `^port\s*=`, "line", "port = 8080", "mode", "0600")
			}},
		{name: "insertafter regexp", module: "lineinfile", setup: conf, keys: editKeys,
			args: func(d string) map[string]any { return p(d, "line", "extra = 1", "insertafter", `^\[main\]`) }},
		{name: "absent regexp backup", module: "lineinfile", setup: conf, diff: true, keys: editKeys,
			args: func(d string) map[string]any { return p(d, "regexp", "^#", "state", "absent", "backup", true) }},
		{name: "backrefs match", module: "lineinfile", setup: conf, keys: editKeys,
			args: func(d string) map[string]any {
				return p(d, "regexp", `^#listen (?P<n>\d+)$`, "line", `listen \g<n>0 \1`, "backrefs", true)
			}},
		{name: "line appended after no eol", module: "lineinfile", setup: conf, keys: editKeys,
			args: func(d string) map[string]any { return map[string]any{"path": d + "/noeol", "line": "c"} }},
		{name: "create in new dir", module: "lineinfile", setup: conf, check: true, diff: true, keys: editKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/new/sub/x.conf", "line": "k=v", "create": true, "mode": "0640"}
			}},
	})
}

func TestBlockinfileAsAnsible(t *testing.T) {
	managed := confText + "# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\ntail\n"
	conf := layout(map[string]string{"f.conf": confText, "m.conf": managed})
	runOracleCases(t, []fsCase{
		{name: "insert at EOF", module: "blockinfile", setup: conf, check: true, diff: true, keys: editKeys,
			args: func(d string) map[string]any { return map[string]any{"path": d + "/f.conf", "block": "a = 1\nb = 2"} }},
		{name: "replace existing block backup", module: "blockinfile", setup: conf, diff: true, keys: editKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/m.conf", "content": "new\n", "backup": true}
			}},
		{name: "absent removes", module: "blockinfile", setup: conf, keys: editKeys,
			args: func(d string) map[string]any { return map[string]any{"path": d + "/m.conf", "state": "absent"} }},
		{name: "custom marker insertbefore", module: "blockinfile", setup: conf, keys: editKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/f.conf", "block": "z", "marker": "; {mark} mine", "marker_begin": "start",
					"marker_end": "stop", "insertbefore": `^\[main\]`}
			}},
		{name: "create new file", module: "blockinfile", setup: conf, diff: true, keys: editKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/n.conf", "block": "q", "create": true}
			}},
	})
}

func TestReplaceAsAnsible(t *testing.T) {
	conf := layout(map[string]string{"f.conf": confText})
	runOracleCases(t, []fsCase{
		{name: "groups after section", module: "replace", setup: conf, check: true, diff: true, keys: editKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/f.conf", "regexp": `^(?P<k>\w+) = (x)$`, "replace": `\g<k> = \2y`, "after": `\[main\]`}
			}},
		{name: "before no match", module: "replace", setup: conf, keys: editKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/f.conf", "regexp": "a", "before": "nothere"}
			}},
		{name: "missing", module: "replace", setup: conf, keys: editKeys,
			args: func(d string) map[string]any { return map[string]any{"path": d + "/none", "regexp": "a"} }},
	})
}

func TestPyExpand(t *testing.T) {
	re := regexp.MustCompile(`(?P<k>\w+)=(\d+)`)
	src := "port=80"
	m := re.FindStringSubmatchIndex(src)
	if got := pyExpand(re, `\g<k>: \2\n\\\g<2>`, src, m); got != "port: 80\n\\80" {
		t.Errorf("pyExpand: %q", got)
	}
	if _, err := compilePy("regexp", `foo(?=bar)`, ""); err == nil {
		t.Error("a lookahead is refused")
	}
}

// nobodyHost runs a task's commands as the user nobody (runuser), as a
// task that becomes an unprivileged user does; it writes no file.
type nobodyHost struct {
	writes int
}

func (h *nobodyHost) Name() string         { return "h" }
func (h *nobodyHost) OS() remote.OSFamily  { return remote.OSLinux }
func (h *nobodyHost) Vars() map[string]any { return nil }
func (h *nobodyHost) Run(ctx context.Context, c Command) (Output, error) {
	argv := append([]string{"-u", "nobody", "--"}, c.Argv...)
	if c.Script != "" {
		argv = []string{"-u", "nobody", "--", "/bin/sh", "-c", c.Script}
	}
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "runuser", argv...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(c.Stdin), &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return Output{}, err
	}
	return Output{Stdout: out.String(), Stderr: errb.String(), RC: cmd.ProcessState.ExitCode()}, nil
}
func (h *nobodyHost) WriteFile(context.Context, string, []byte, os.FileMode) error {
	h.writes++
	return errors.New("nobodyHost writes no file")
}
func (h *nobodyHost) ReadFile(context.Context, string) ([]byte, error) { return nil, os.ErrPermission }

// TestEditUnreadableFileFails: a file the task's user may not read fails
// the edit modules, as Ansible's fail opening it; they must not write the
// edit alone over it (lineinfile did: the file's other lines were lost).
func TestEditUnreadableFileFails(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run the module as nobody")
	}
	dir, err := os.MkdirTemp("", "rctl-edit-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "secret.conf")
	if err := os.WriteFile(file, []byte("keep = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string]map[string]any{
		"lineinfile":  {"path": file, "line": "y = 2"},
		"blockinfile": {"path": file, "block": "y = 2"},
		"replace":     {"path": file, "regexp": "keep", "replace": "k"},
	} {
		m, _ := Lookup(name)
		a, err := m.Normalize(args)
		if err != nil {
			t.Fatal(err)
		}
		h := &nobodyHost{}
		res, err := m.Run(context.Background(), &Call{Module: m, Args: a, Host: h})
		if err != nil || !res.IsFailed() || h.writes != 0 || !strings.Contains(fmt.Sprint(res["module_stderr"]), "Permission denied") {
			t.Errorf("%s: %v %v, %d writes", name, res, err, h.writes)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "keep = 1\n" {
		t.Errorf("the file became %q", b)
	}
}
