package module

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
)

// runLocal runs the module on the controller itself (the local transport)
// with raw arguments, as a task would after templating.
func runLocal(t *testing.T, name string, raw map[string]any, check, diff bool) Result {
	t.Helper()
	m, ok := Lookup(name)
	if !ok {
		t.Fatalf("no module %s", name)
	}
	args, err := m.Normalize(raw)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	target := &remote.Target{Name: "localhost", Transport: remote.KindLocal}
	tr, err := local.Dialer{}.Dial(ctx, *target)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	res, err := m.Run(ctx, &Call{Module: m, Args: args, Host: NewHost(tr, target, Become{}, nil), Check: check, Diff: diff,
		Controller: testController{dir: t.TempDir()}})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// testController finds files relative to dir and renders nothing.
type testController struct{ dir string }

func (c testController) FindFile(kind, name string) (string, error) {
	if filepath.IsAbs(name) {
		return name, nil
	}
	return filepath.Join(c.dir, name), nil
}
func (testController) Template(text, _, _, _ string) (string, error) { return text, nil }
func (testController) Vars() map[string]any                          { return map[string]any{} }
func (c testController) BaseDir() string                             { return c.dir }

// ansibleOracle runs the same module with Debian's ansible-core on the
// controller (ansible -c local) and returns its result: the oracle each
// module is compared with. It skips the test when ansible is not installed
// (scripts/test.sh installs it).
func ansibleOracle(t *testing.T, name string, raw map[string]any, check, diff bool) map[string]any {
	t.Helper()
	bin, err := exec.LookPath("ansible")
	if err != nil {
		t.Skip("ansible (Debian's ansible-core) is not installed; scripts/test.sh installs it")
	}
	home := t.TempDir()
	tree := filepath.Join(home, "tree")
	argsJSON, _ := json.Marshal(raw)
	cmdArgs := []string{"localhost", "-c", "local", "-i", "localhost,", "-m", name, "-t", tree}
	if len(raw) > 0 {
		cmdArgs = append(cmdArgs, "-a", string(argsJSON))
	}
	if check {
		cmdArgs = append(cmdArgs, "--check")
	}
	if diff {
		cmdArgs = append(cmdArgs, "--diff")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, cmdArgs...)
	cmd.Env = append(os.Environ(), "HOME="+home, "ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "tmp"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(home, "rtmp"), "ANSIBLE_LOCALHOST_WARNING=0", "ANSIBLE_NOCOLOR=1",
		"ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3", "ANSIBLE_CONFIG="+filepath.Join(home, "none.cfg"))
	out, _ := cmd.CombinedOutput() // a failed module exits 2; its result is in the tree
	data, err := os.ReadFile(filepath.Join(tree, "localhost"))
	if err != nil {
		t.Fatalf("ansible %s: no result: %v\n%s", name, err, out)
	}
	var res map[string]any
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("ansible %s: %v\n%s", name, err, data)
	}
	delete(res, "ansible_facts") // discovered_interpreter_python
	return res
}
