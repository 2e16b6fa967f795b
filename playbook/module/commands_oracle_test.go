package module

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// oracleCase is one task of a batch run by ansible-playbook.
type oracleCase struct {
	Module string
	Free   string // the free-form string ("" for none)
	Args   map[string]any
	Check  bool
}

// ansibleBatch runs the cases as the tasks of one play with Debian's
// ansible-playbook on the controller (-c local), each registered with
// ignore_errors, and returns their registered results (skipped ones
// included): one ansible run for many comparisons. The environment is the
// test's (HOME included: set it with t.Setenv).
func ansibleBatch(t *testing.T, cases []oracleCase) []map[string]any {
	t.Helper()
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Skip("ansible-playbook (Debian's ansible-core) is not installed; scripts/test.sh installs it")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "results.json")
	var b strings.Builder
	b.WriteString("- hosts: localhost\n  gather_facts: false\n  tasks:\n")
	var regs []string
	for i, c := range cases {
		args := c.Args
		if args == nil {
			args = map[string]any{}
		}
		aj, _ := json.Marshal(args)
		fmt.Fprintf(&b, "    - name: case %d\n", i)
		if c.Free != "" {
			fj, _ := json.Marshal(c.Free)
			fmt.Fprintf(&b, "      %s: %s\n      args: %s\n", c.Module, fj, aj)
		} else {
			fmt.Fprintf(&b, "      %s: %s\n", c.Module, aj)
		}
		fmt.Fprintf(&b, "      register: r%d\n      ignore_errors: true\n      check_mode: %v\n", i, c.Check)
		regs = append(regs, fmt.Sprintf("r%d", i))
	}
	oj, _ := json.Marshal(out)
	fmt.Fprintf(&b, "    - copy: {content: \"{{ [%s] | to_json }}\", dest: %s}\n      check_mode: false\n", strings.Join(regs, ","), oj)
	book := filepath.Join(dir, "play.yml")
	if err := os.WriteFile(book, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-i", "localhost,", "-c", "local", book)
	cmd.Env = append(os.Environ(), "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "tmp"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(dir, "rtmp"), "ANSIBLE_LOCALHOST_WARNING=0", "ANSIBLE_NOCOLOR=1",
		"ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3", "ANSIBLE_CONFIG="+filepath.Join(dir, "none.cfg"),
		"ANSIBLE_RETRY_FILES_ENABLED=0")
	log, _ := cmd.CombinedOutput()
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("ansible-playbook: no results: %v\n%s\n%s", err, b.String(), log)
	}
	var res []map[string]any
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("ansible-playbook results: %v\n%s", err, data)
	}
	if len(res) != len(cases) {
		t.Fatalf("ansible-playbook: %d results for %d cases", len(res), len(cases))
	}
	return res
}

// runCase runs an oracleCase with remotectl's module on the controller.
func runCase(t *testing.T, c oracleCase) Result {
	t.Helper()
	args := map[string]any{}
	for k, v := range c.Args {
		args[k] = v
	}
	if c.Free != "" {
		m, _ := Lookup(c.Module)
		args[m.FreeForm] = c.Free
	}
	return runLocal(t, c.Module, args, c.Check, false)
}

// sameKeys compares the keys of our result with Ansible's, after a JSON
// round trip (numbers as float64); a missing changed/failed/skipped is
// false on both sides.
func sameKeys(t *testing.T, what string, got Result, want map[string]any, keys ...string) {
	t.Helper()
	gj, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var g map[string]any
	_ = json.Unmarshal(gj, &g)
	for _, k := range keys {
		gv, gok := g[k]
		wv, wok := want[k]
		switch k {
		case "changed", "failed", "skipped":
			gv, wv, gok, wok = gv == true, wv == true, true, true
		}
		if gok != wok || !reflect.DeepEqual(gv, wv) {
			t.Errorf("%s: %s: got %#v (present %v), ansible %#v (present %v)\n got %v\nwant %v", what, k, gv, gok, wv, wok, g, want)
		}
	}
}
