package inventory

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/remotectl/remotectl/internal/omap"
)

// keysOf returns the keys of an ordered dict variable, failing when the
// variable is not one.
func keysOf(t *testing.T, h *Host, name string) string {
	t.Helper()
	m, ok := h.Vars[name].(*omap.Map)
	if !ok {
		t.Fatalf("%s = %#v, want a *omap.Map", name, h.Vars[name])
	}
	return fmt.Sprint(m.Keys())
}

// TestOrderedDicts: with OrderedDicts, the dicts inside variables of Ansible
// YAML inventories, group_vars/host_vars files and dynamic inventories
// keep the order written (as ansible-playbook iterates them), secrets in
// them are still found; without it they are plain maps.
func TestOrderedDicts(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "hosts.yml", "all:\n  hosts:\n    h1:\n      iv: {zeta: 1, alpha: 2, Mid: {y: 1, x: 2}}\n", 0o644)
	writeFile(t, filepath.Join(dir, "group_vars"), "all.yml", "gv: {b: 1, a: 2}\ndb: {user: u, password: hunter2x}\n", 0o644)
	writeFile(t, filepath.Join(dir, "host_vars"), "h1.json", `{"hv": {"second": 2, "first": 1}}`, 0o644)
	path := script(t, `cat <<'JSON'
{"dyn": {"hosts": ["d1"], "vars": {"dv": {"z": 1, "a": {"q": 1, "p": 2}}}}}
JSON
`)
	inv, err := Load([]string{filepath.Join(dir, "hosts.yml"), path}, LoadOptions{Transports: testTransports(), OrderedDicts: true})
	if err != nil {
		t.Fatal(err)
	}
	h1 := mustHost(t, inv, "h1")
	equal(t, "inventory dict", keysOf(t, h1, "iv"), "[zeta alpha Mid]")
	mid, _ := h1.Vars["iv"].(*omap.Map).Get("Mid")
	equal(t, "nested dict", fmt.Sprint(mid.(*omap.Map).Keys()), "[y x]")
	equal(t, "group_vars dict", keysOf(t, h1, "gv"), "[b a]")
	equal(t, "host_vars JSON dict", keysOf(t, h1, "hv"), "[second first]")
	equal(t, "dynamic inventory dict", keysOf(t, mustHost(t, inv, "d1"), "dv"), "[z a]")
	if !slices.Contains(h1.SecretValues(), "hunter2x") {
		t.Errorf("secrets %v miss the password nested in an ordered dict", h1.SecretValues())
	}

	plain, err := Load([]string{filepath.Join(dir, "hosts.yml"), path}, LoadOptions{Transports: testTransports()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := mustHost(t, plain, "h1").Vars["iv"].(map[string]any); !ok {
		t.Errorf("without OrderedDicts, iv = %#v, want a map[string]any", mustHost(t, plain, "h1").Vars["iv"])
	}
	if _, ok := mustHost(t, plain, "d1").Vars["dv"].(map[string]any); !ok {
		t.Errorf("without OrderedDicts, dv = %#v, want a map[string]any", mustHost(t, plain, "d1").Vars["dv"])
	}
}
