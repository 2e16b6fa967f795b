package module

import (
	"archive/zip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// pipWheelDir builds, in a temp dir, the wheels of a tiny distribution
// "demo_pkg" at each version (by hand: a wheel is a zip), for pip's
// --no-index --find-links.
func pipWheelDir(t *testing.T, versions ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, v := range versions {
		f, err := os.Create(filepath.Join(dir, "demo_pkg-"+v+"-py3-none-any.whl"))
		if err != nil {
			t.Fatal(err)
		}
		z := zip.NewWriter(f)
		info := "demo_pkg-" + v + ".dist-info/"
		files := map[string]string{
			"demo_pkg/__init__.py": "VERSION = '" + v + "'\n",
			info + "METADATA":      "Metadata-Version: 2.1\nName: demo_pkg\nVersion: " + v + "\n",
			info + "WHEEL":         "Wheel-Version: 1.0\nGenerator: remotectl-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
			info + "RECORD":        "demo_pkg/__init__.py,,\n" + info + "METADATA,,\n" + info + "WHEEL,,\n" + info + "RECORD,,\n",
		}
		for _, name := range []string{"demo_pkg/__init__.py", info + "METADATA", info + "WHEEL", info + "RECORD"} {
			w, err := z.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte(files[name]))
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return dir
}

// pipVenvOrSkip skips when Debian's python3 cannot make a virtualenv
// (python3-venv).
func pipVenvOrSkip(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import venv, ensurepip").Run(); err != nil {
		t.Skip("/usr/bin/python3 has no venv/ensurepip (Debian's python3-venv)")
	}
}

// pipFrozen is what the virtualenv holds: pip list --format=freeze lines
// of demo_pkg.
func pipFrozen(t *testing.T, venv string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(venv, "bin", "pip"), "list", "--format=freeze", "--disable-pip-version-check").Output()
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("pip list in %s: %v", venv, err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(strings.ToLower(l), "demo") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// pipComparable is a result with the run's own paths replaced, and the
// keys that vary with pip's output left out: what must equal Ansible's.
func pipComparable(r map[string]any, venv, wheels string) map[string]any {
	data, _ := json.Marshal(r)
	text := strings.ReplaceAll(strings.ReplaceAll(string(data), venv, "VENV"), wheels, "WHEELS")
	var out map[string]any
	_ = json.Unmarshal([]byte(text), &out)
	for _, k := range []string{"stdout", "stderr", "stdout_lines", "stderr_lines", "invocation", "warnings"} {
		delete(out, k)
	}
	if out["failed"] == false {
		delete(out, "failed")
	}
	return out
}

func TestPipAsAnsible(t *testing.T) {
	pipVenvOrSkip(t)
	wheels := pipWheelDir(t, "1.0", "2.0")
	ours, theirs := filepath.Join(t.TempDir(), "venv"), filepath.Join(t.TempDir(), "venv")
	offline := "--no-index --find-links " + wheels + " --disable-pip-version-check"
	reqs := filepath.Join(t.TempDir(), "requirements.txt")
	if err := os.WriteFile(reqs, []byte("demo_pkg==1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		what  string
		args  map[string]any
		check bool
	}{
		{"check, no virtualenv yet", map[string]any{"name": "demo_pkg"}, true},
		{"install 1.0 into a new virtualenv", map[string]any{"name": []any{"demo_pkg==1.0"}, "extra_args": offline}, false},
		{"again: idempotent", map[string]any{"name": []any{"demo_pkg==1.0"}, "extra_args": offline}, false},
		{"check present, installed", map[string]any{"name": "demo-pkg>=1.0,<2"}, true},
		{"check present, other version", map[string]any{"name": "demo_pkg", "version": "2.0"}, true},
		{"check absent, installed", map[string]any{"name": "Demo.Pkg", "state": "absent"}, true},
		{"check with extra_args", map[string]any{"name": "demo_pkg", "extra_args": offline}, true},
		{"version 2.0", map[string]any{"name": "demo_pkg", "version": "2.0", "extra_args": offline}, false},
		{"absent", map[string]any{"name": "demo_pkg", "state": "absent"}, false},
		{"absent again", map[string]any{"name": "demo_pkg", "state": "absent"}, false},
		{"check absent, not installed", map[string]any{"name": "demo_pkg", "state": "absent"}, true},
		{"requirements", map[string]any{"requirements": reqs, "extra_args": offline}, false},
		{"requirements again", map[string]any{"requirements": reqs, "extra_args": offline}, false},
		{"latest", map[string]any{"name": "demo_pkg", "state": "latest", "extra_args": offline}, false},
		{"latest again", map[string]any{"name": "demo_pkg", "state": "latest", "extra_args": offline}, false},
		{"not found", map[string]any{"name": "demo_pkg==3.0", "extra_args": offline}, false},
		{"version with latest", map[string]any{"name": "demo_pkg", "version": "1.0", "state": "latest"}, false},
		{"name and requirements", map[string]any{"name": "demo_pkg", "requirements": reqs}, false},
		{"forcereinstall", map[string]any{"name": "demo_pkg==2.0", "state": "forcereinstall", "extra_args": offline}, false},
		{"executable", map[string]any{"name": "demo_pkg", "executable": "VENV/bin/pip", "virtualenv": nil}, false},
		{"executable, check", map[string]any{"name": "demo_pkg<2", "executable": "VENV/bin/pip", "virtualenv": nil}, true},
	}
	args := func(venv string, step map[string]any) map[string]any {
		a := map[string]any{"virtualenv": venv, "virtualenv_command": "/usr/bin/python3 -m venv"}
		for k, v := range step {
			if s, ok := v.(string); ok {
				v = strings.ReplaceAll(s, "VENV", venv)
			}
			a[k] = v
			if v == nil {
				delete(a, k)
			}
		}
		return a
	}
	t.Setenv("HOME", t.TempDir())
	var cases []oracleCase
	for _, s := range steps {
		cases = append(cases, oracleCase{Module: "pip", Args: args(theirs, s.args), Check: s.check})
	}
	wants := ansibleBatch(t, cases)
	for i, s := range steps {
		got := runLocal(t, "pip", args(ours, s.args), s.check, false)
		g, w := pipComparable(got, ours, wheels), pipComparable(wants[i], theirs, wheels)
		if g["failed"] == true {
			delete(g, "msg")
			delete(w, "msg")
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %v\nwant %v\nours: %v", s.what, g, w, got)
		}
	}
	if a, b := pipFrozen(t, ours), pipFrozen(t, theirs); a != b {
		t.Errorf("virtualenvs differ: ours %q, ansible's %q", a, b)
	}
	if got := pipFrozen(t, ours); got != "demo_pkg==2.0" && got != "demo-pkg==2.0" {
		t.Errorf("end state: %q, want demo_pkg 2.0", got)
	}
}

// TestPipRequirementsAsPython checks the requirement and specifier logic
// (the check mode's decision) against pkg_resources on this machine.
func TestPipRequirementsAsPython(t *testing.T) {
	names := []string{"Foo>=1.0,<2", "foo >= 1.0", "Foo_Bar[x,a]>1", "foo==1.*", "foo~=1.2", "foo", "git+https://x/y.git", "./dir", "foo bar"}
	versions := []string{"0.9", "1.0", "1.0.0", "1.0rc1", "1.0.post1", "1.0.dev3", "1.2", "1.2.5", "1.10", "2.0", "2.0a1", "1.0+local.1", "1!0.5"}
	cases := map[string]any{"names": names, "versions": versions}
	in, _ := json.Marshal(cases)
	py := `
import json, sys
from pkg_resources import Requirement
c = json.load(sys.stdin); out = {}
for n in c["names"]:
    try:
        r = Requirement.parse(n)
    except ValueError:
        out[n] = None; continue
    out[n] = {"str": str(r), "sat": [r.specifier.contains(v, prereleases=True) for v in c["versions"]]}
json.dump(out, sys.stdout)`
	cmd := exec.Command("/usr/bin/python3", "-c", py)
	cmd.Stdin = strings.NewReader(string(in))
	data, err := cmd.Output()
	if err != nil {
		t.Skipf("/usr/bin/python3 with pkg_resources: %v", err)
	}
	var want map[string]*struct {
		Str string `json:"str"`
		Sat []bool `json:"sat"`
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		r, ok := parsePyRequirement(n)
		w := want[n]
		if ok != (w != nil) {
			t.Errorf("%q: parsed %v, pkg_resources %v", n, ok, w != nil)
			continue
		}
		if !ok {
			continue
		}
		if r.String() != w.Str {
			t.Errorf("%q: str %q, pkg_resources %q", n, r.String(), w.Str)
		}
		for i, v := range versions {
			if got := r.satisfiedBy(v); got != w.Sat[i] {
				t.Errorf("%q contains %q: %v, packaging %v", n, v, got, w.Sat[i])
			}
		}
	}
}

func TestRecoverPipNames(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"django>1.11.1", "<1.11.3", "ipaddress", "simpleproject>1.1.0", "<2.0.0"},
			[]string{"django>1.11.1,<1.11.3", "ipaddress", "simpleproject>1.1.0,<2.0.0"}},
		{[]string{"django>1.11.1,<1.11.3,ipaddress", "simpleproject>1.1.0,<2.0.0"},
			[]string{"django>1.11.1,<1.11.3", "ipaddress", "simpleproject>1.1.0,<2.0.0"}},
		{[]string{"foo[a", "b]>=1"}, []string{"foo[a,b]>=1"}},
	} {
		if got := recoverPipNames(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}

// TestPipSystemPythonCheckAsAnsible: without virtualenv or executable,
// pip runs as the host's python -m pip.__main__ (check mode: nothing is
// installed).
func TestPipSystemPythonCheckAsAnsible(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import pip").Run(); err != nil {
		t.Skip("/usr/bin/python3 has no pip")
	}
	t.Setenv("HOME", t.TempDir())
	cases := []oracleCase{
		{Module: "pip", Args: map[string]any{"name": "pip"}, Check: true},
		{Module: "pip", Args: map[string]any{"name": "no-such-pkg-rctl"}, Check: true},
		{Module: "pip", Args: map[string]any{"name": "no-such-pkg-rctl", "state": "absent"}, Check: true},
		{Module: "pip", Args: map[string]any{"name": "pip", "chdir": filepath.Join(t.TempDir(), "missing")}, Check: true},
	}
	wants := ansibleBatch(t, cases)
	for i, c := range cases {
		sameKeys(t, fmtArgs(c.Args), runCase(t, c), wants[i], "changed", "failed", "cmd")
	}
}
