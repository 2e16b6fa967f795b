package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// oracleCase is one differential test: a small inventory layout under
// testdata/oracle/<dir>, the sources given with -i (relative to that
// directory), and host patterns to select with.
type oracleCase struct {
	dir      string
	sources  []string
	patterns []string
	// playbookDir is the directory of a playbook whose group_vars/ and
	// host_vars/ apply too (ansible-inventory --playbook-dir).
	playbookDir string
	// implicitLocalhost loads with LoadOptions.ImplicitLocalhost, as a
	// play does: then localhost exists as in Ansible.
	implicitLocalhost bool
}

var oracleCases = []oracleCase{
	{dir: "groupvars", sources: []string{"hosts"},
		patterns: []string{"all", "web", "prod", "prod[0]", "prod[-1]", "prod[1:]", "web:&prod", "prod:!db",
			"localhost", "localhost,127.0.0.1,web", "all:&localhost", "local*", "::1", "web:localhost:!w1"},
		implicitLocalhost: true},
	{dir: "ec2dir", sources: []string{"inventory"},
		patterns: []string{"all", "tag_web", "*", "aws*", "~^i-0[0-9]+", "static:tag_web", "tag_web[0]"}},
	{dir: "yaml11", sources: []string{"inv.yml"}, patterns: []string{"all"}},
	{dir: "ini", sources: []string{"hosts.ini"},
		patterns: []string{"all", "web", "web[0]", "web[1:3]", "web0[1-3]", "web[01:03]", "node[01:06]", "web[-1]", "letters", "stride", "db-[a-c]", "db-?",
			"~web0[12]", "web:db", "web,db", "web:&odd", "web:!odd", "!web", "&web", "2001:db8::10",
			"[2001:db8::10]", "2001:db8::10,web01", "web01:web02", "all:!web*", "web*[0]", "web*[2:3]", "letters[2:]",
			"all,!web", " web , &odd ", "web:!web[0]", "*[0]", "*[-1]", "~.*[-1]", "!all", "web[0:0]", "web[1:0]", "web[10]",
			"web[2:100]", "WEB", "web0?", "db-[!a-d]", "db-[]", "[!w]*", "~db-[ab]|web0[45]", "fe80::1%eth0", "v6[1]"}},
	{dir: "priority", sources: []string{"hosts"}, patterns: []string{"all"}},
	{dir: "multisource", sources: []string{"one/hosts", "two/hosts.yml"},
		patterns: []string{"all", "web", "web[1]", "db:web"}},
	{dir: "nested", sources: []string{"inv.yml"},
		patterns: []string{"all", "europe", "europe[0]", "europe[-1]", "europe[2:3]", "europe:&db", "europe:!berlin", "db,europe",
			"berlin*", "*1", "~(p|b)[0-9]", "europe[1:]:!p1"}},
	{dir: "iniedge", sources: []string{"hosts"}, patterns: []string{"all", "web-servers", "web-*[1]", "other:&web-servers", "h2:2222", "h2"}},
	{dir: "yamlinv", sources: []string{"hosts.yaml"},
		patterns: []string{"all", "web", "prod", "prod[-1]", "www[a:c]", "web[1:]", "bastion", "2001:db8::1", "~www[a-c]"}},
	{dir: "inispecial", sources: []string{"hosts"}, patterns: []string{"all", "ungrouped", "web", "all[0]", "ungrouped[-1]", "web[2]"}},
	{dir: "playbookdir", sources: []string{"inventory/hosts"}, playbookDir: "play"},
}

func TestAnsibleOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ansible-inventory")
	}
	if _, err := exec.LookPath("ansible-inventory"); err != nil {
		t.Skip("ansible-inventory (Debian's ansible-core) is not installed; scripts/test.sh installs it")
	}
	for _, c := range oracleCases {
		t.Run(c.dir, func(t *testing.T) {
			t.Parallel()
			base, err := filepath.Abs(filepath.Join("testdata/oracle", c.dir))
			if err != nil {
				t.Fatal(err)
			}
			var sources []string
			for _, s := range c.sources {
				sources = append(sources, filepath.Join(base, s))
			}
			var playbookDir string
			if c.playbookDir != "" {
				playbookDir = filepath.Join(base, c.playbookDir)
			}
			want := ansibleInventory(t, sources, playbookDir)
			got, err := Load(sources, LoadOptions{Transports: testTransports(), PlaybookDir: playbookDir,
				ImplicitLocalhost: c.implicitLocalhost})
			if err != nil {
				t.Fatal(err)
			}
			compareStructure(t, got, want)
			compareHostVars(t, got, want)
			compareHostQuery(t, got, sources, playbookDir)
			comparePatterns(t, got, sources, c.patterns)
		})
	}
}

// oracleEnv runs ansible-core hermetically: no ansible.cfg, HOME and its
// temporary directories in a test directory.
func oracleEnv(t *testing.T) (dir string, env []string) {
	home := t.TempDir()
	cfg := filepath.Join(home, "ansible.cfg")
	if err := os.WriteFile(cfg, []byte("[defaults]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return home, append(os.Environ(), "HOME="+home, "ANSIBLE_CONFIG="+cfg, "ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "tmp"),
		"ANSIBLE_NOCOLOR=1", "ANSIBLE_INVENTORY_UNPARSED_FAILED=1", "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=1")
}

// runOracle runs an ansible-core program from an empty directory (so that
// no playbook-adjacent group_vars are read) and returns its standard output.
func runOracle(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	dir, env := oracleEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.Bytes())
	}
	return out
}

// oracleInventory is the output of ansible-inventory --list.
type oracleInventory struct {
	groups   map[string]oracleGroup
	hostvars map[string]map[string]any
}

type oracleGroup struct {
	Hosts    []string `json:"hosts"`
	Children []string `json:"children"`
}

// ansibleInventory runs ansible-inventory --list on sources.
func ansibleInventory(t *testing.T, sources []string, playbookDir string) oracleInventory {
	t.Helper()
	args := []string{"--list"}
	if playbookDir != "" {
		args = append(args, "--playbook-dir", playbookDir)
	}
	for _, s := range sources {
		args = append(args, "-i", s)
	}
	out := runOracle(t, "ansible-inventory", args...)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(pythonJSON(out), &raw); err != nil {
		t.Fatalf("ansible-inventory output: %v\n%s", err, out)
	}
	inv := oracleInventory{groups: map[string]oracleGroup{}}
	for name, msg := range raw {
		if name == "_meta" {
			var meta struct {
				Hostvars map[string]json.RawMessage `json:"hostvars"`
			}
			if err := json.Unmarshal(msg, &meta); err != nil {
				t.Fatal(err)
			}
			inv.hostvars = map[string]map[string]any{}
			for h, vars := range meta.Hostvars {
				v, err := decodeOracle(vars)
				if err != nil {
					t.Fatal(err)
				}
				inv.hostvars[h] = v.(map[string]any)
			}
			continue
		}
		var g oracleGroup
		if err := json.Unmarshal(msg, &g); err != nil {
			t.Fatal(err)
		}
		inv.groups[name] = g
	}
	return inv
}

// Python's json module writes non-finite floats as these tokens, which are
// not JSON: pythonJSON turns them into strings holding these markers.
const (
	markPosInf = "\u2063+Infinity"
	markNegInf = "\u2063-Infinity"
	markNaN    = "\u2063NaN"
)

// pythonJSON rewrites Infinity, -Infinity and NaN outside strings as marker
// strings, so that encoding/json reads the document.
func pythonJSON(in []byte) []byte {
	var out bytes.Buffer
	inString, escaped := false, false
	for i := 0; i < len(in); i++ {
		c := in[i]
		if inString {
			out.WriteByte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		rest := in[i:]
		switch {
		case c == '"':
			inString = true
		case bytes.HasPrefix(rest, []byte("-Infinity")):
			out.WriteString(strconv.Quote(markNegInf))
			i += len("-Infinity") - 1
			continue
		case bytes.HasPrefix(rest, []byte("Infinity")):
			out.WriteString(strconv.Quote(markPosInf))
			i += len("Infinity") - 1
			continue
		case bytes.HasPrefix(rest, []byte("NaN")):
			out.WriteString(strconv.Quote(markNaN))
			i += len("NaN") - 1
			continue
		}
		out.WriteByte(c)
	}
	return out.Bytes()
}

// decodeOracle decodes a JSON value with Python's types: numbers with a
// fraction or an exponent are floats, others integers.
func decodeOracle(msg json.RawMessage) (any, error) {
	d := json.NewDecoder(bytes.NewReader(msg))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return typedOracle(v)
}

func typedOracle(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if strings.ContainsAny(string(x), ".eE") {
			return x.Float64()
		}
		return x.Int64()
	case string:
		switch x {
		case markPosInf:
			return math.Inf(1), nil
		case markNegInf:
			return math.Inf(-1), nil
		case markNaN:
			return math.NaN(), nil
		}
		return x, nil
	case map[string]any:
		for k, e := range x {
			var err error
			if x[k], err = typedOracle(e); err != nil {
				return nil, err
			}
		}
	case []any:
		for i, e := range x {
			var err error
			if x[i], err = typedOracle(e); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// canon writes a value in one canonical text, types included: 1 and 1.0
// differ, NaN equals NaN, maps are sorted.
func canon(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return "float(" + strconv.FormatFloat(x, 'g', -1, 64) + ")"
	case string:
		return strconv.Quote(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = canon(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := sortedKeys(x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = strconv.Quote(k) + ": " + canon(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

// compareStructure compares the hosts and groups: every group
// ansible-inventory lists (it leaves out empty ones) with its direct hosts
// and children in order, and no other non-empty group.
func compareStructure(t *testing.T, got *Inventory, want oracleInventory) {
	t.Helper()
	for name, wg := range want.groups {
		g, ok := got.Group(name)
		if !ok {
			t.Errorf("group %s: missing (ansible: %+v)", name, wg)
			continue
		}
		hosts := wg.Hosts
		if name == GroupAll {
			hosts = nil // ansible-inventory does not list them
		} else if !equalStrings(g.Hosts, hosts) {
			t.Errorf("group %s hosts: %q, ansible: %q", name, g.Hosts, hosts)
		}
		if !equalStrings(g.Children, wg.Children) {
			t.Errorf("group %s children: %q, ansible: %q", name, g.Children, wg.Children)
		}
	}
	for _, g := range got.Groups() {
		if _, ok := want.groups[g.Name]; !ok && (len(g.Hosts) > 0 || len(g.Children) > 0) {
			t.Errorf("group %s: ansible has no such group (ours: hosts %q, children %q)", g.Name, g.Hosts, g.Children)
		}
	}
}

// compareHostVars compares every host's merged variables.
func compareHostVars(t *testing.T, got *Inventory, want oracleInventory) {
	t.Helper()
	names := hostNames(got.Hosts())
	for h := range want.hostvars {
		if _, ok := got.Host(h); !ok {
			t.Errorf("host %s: missing", h)
		}
	}
	for _, name := range names {
		h, _ := got.Host(name)
		wv := want.hostvars[name]
		if wv == nil {
			wv = map[string]any{}
		}
		gv := h.Vars
		if gv == nil {
			gv = map[string]any{}
		}
		for _, k := range unionKeys(gv, wv) {
			g, gok := gv[k]
			w, wok := wv[k]
			switch {
			case !wok:
				t.Errorf("host %s: var %s = %s, ansible has none", name, k, canon(g))
			case !gok:
				t.Errorf("host %s: var %s missing, ansible: %s", name, k, canon(w))
			case canon(g) != canon(w):
				t.Errorf("host %s: var %s = %s (%s), ansible: %s", name, k, canon(g), h.VarOrigin(k), canon(w))
			}
		}
	}
}

// compareHostQuery compares the variables of the last host with
// ansible-inventory --host NAME.
func compareHostQuery(t *testing.T, got *Inventory, sources []string, playbookDir string) {
	t.Helper()
	hosts := got.Hosts()
	if len(hosts) == 0 {
		return
	}
	h := hosts[len(hosts)-1]
	args := []string{"--host", h.Name}
	for _, s := range sources {
		args = append(args, "-i", s)
	}
	if playbookDir != "" {
		args = append(args, "--playbook-dir", playbookDir)
	}
	want, err := decodeOracle(pythonJSON(runOracle(t, "ansible-inventory", args...)))
	if err != nil {
		t.Fatal(err)
	}
	gv := h.Vars
	if gv == nil {
		gv = map[string]any{}
	}
	if canon(gv) != canon(want) {
		t.Errorf("host %s: vars %s, ansible-inventory --host: %s", h.Name, canon(gv), canon(want))
	}
}

func unionKeys(a, b map[string]any) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	return sortedKeys(seen)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// listHostsPy prints, for each pattern, the hosts ansible --list-hosts
// selects (InventoryManager.list_hosts, what the ansible CLI calls), in one
// process rather than one per pattern.
const listHostsPy = `
import json, sys
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
inv = InventoryManager(loader=DataLoader(), sources=json.loads(sys.argv[1]))
out = {}
for p in json.loads(sys.argv[2]):
    try:
        out[p] = [getattr(h, "name", h) for h in inv.list_hosts(p)]
    except Exception as e:
        out[p] = {"error": str(e)}
print(json.dumps(out))
`

// comparePatterns compares the hosts each pattern selects, in order. A
// pattern Ansible matches no host with must be an error here.
func comparePatterns(t *testing.T, got *Inventory, sources, patterns []string) {
	t.Helper()
	if len(patterns) == 0 {
		return
	}
	srcJSON, _ := json.Marshal(sources)
	patJSON, _ := json.Marshal(patterns)
	out := runOracle(t, ansiblePython(t), "-c", listHostsPy, string(srcJSON), string(patJSON))
	var want map[string]any
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("list_hosts output: %v\n%s", err, out)
	}
	for _, p := range patterns {
		hosts, err := got.SelectAnsible(p, "")
		var names []string
		if list, ok := want[p].([]any); ok {
			for _, n := range list {
				names = append(names, n.(string))
			}
		}
		switch {
		case len(names) == 0 && err == nil:
			t.Errorf("pattern %q: %q, ansible matches no host (%v)", p, hostNames(hosts), want[p])
		case len(names) == 0 && !errors.Is(err, ErrNoMatch) && !errors.Is(err, ErrUnknownName) && !errors.Is(err, ErrNoHosts):
			t.Errorf("pattern %q: error %v, want one that no host matches", p, err)
		case len(names) > 0 && err != nil:
			t.Errorf("pattern %q: %v, ansible: %q", p, err, names)
		case len(names) > 0 && !equalStrings(hostNames(hosts), names):
			t.Errorf("pattern %q: %q, ansible: %q", p, hostNames(hosts), names)
		}
	}
}

// ansiblePython returns the interpreter ansible-core runs with, from the
// "#!" line of ansible-inventory.
func ansiblePython(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("ansible-inventory")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	fields := strings.Fields(strings.TrimPrefix(string(line), "#!"))
	if len(fields) == 0 {
		t.Fatalf("%s: no #! line", bin)
	}
	if filepath.Base(fields[0]) == "env" && len(fields) > 1 {
		return fields[1]
	}
	return fields[0]
}

// TestAnsibleOracleExternal compares the inventories listed (separated by
// the OS path-list separator) in REMOTECTL_ORACLE_INVENTORIES, e.g. those of
// public playbook collections, with ansible-inventory: hosts, groups,
// variables, and for each group the patterns NAME, NAME[0], NAME[-1] and
// NAME[1:].
func TestAnsibleOracleExternal(t *testing.T) {
	list := os.Getenv("REMOTECTL_ORACLE_INVENTORIES")
	if list == "" {
		t.Skip("set REMOTECTL_ORACLE_INVENTORIES to compare more inventories")
	}
	if _, err := exec.LookPath("ansible-inventory"); err != nil {
		t.Skip("ansible-inventory is not installed")
	}
	for _, src := range filepath.SplitList(list) {
		t.Run(src, func(t *testing.T) {
			abs, err := filepath.Abs(src)
			if err != nil {
				t.Fatal(err)
			}
			want := ansibleInventory(t, []string{abs}, "")
			got, err := Load([]string{abs}, LoadOptions{Transports: testTransports()})
			if err != nil {
				t.Fatal(err)
			}
			compareStructure(t, got, want)
			compareHostVars(t, got, want)
			patterns := []string{"all"}
			for name := range want.groups {
				patterns = append(patterns, name, name+"[0]", name+"[-1]", name+"[1:]")
			}
			comparePatterns(t, got, []string{abs}, patterns)
		})
	}
}
