package inventory

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestVarListIndexesLongLists(t *testing.T) {
	var vl varList
	for i := range 3 * varIndexMin {
		vl.set(fmt.Sprintf("v%d", i), i, Pos{Line: i + 1})
	}
	vl.set("v3", "again", Pos{Line: 100}) // replaces in place, before and after indexing
	vl.set(fmt.Sprintf("v%d", 2*varIndexMin), "again", Pos{Line: 101})
	if vl.index == nil {
		t.Fatal("a long list is not indexed")
	}
	equal(t, "length", len(vl.defs), 3*varIndexMin)
	for i, d := range vl.defs {
		if got := vl.find(d.name); got != i {
			t.Errorf("find(%q) = %d, want %d", d.name, got, i)
		}
	}
	equal(t, "replaced", vl.defs[3], varDef{"v3", "again", Pos{Line: 100}})
	equal(t, "missing", vl.find("nope"), -1)
}

func TestVarOriginOfManyGroupVars(t *testing.T) {
	var b strings.Builder
	b.WriteString("hosts:\n  h1: { vars: { v1: host } }\n  h2:\ngroups:\n  g:\n    hosts: [h1, h2]\n    vars:\n")
	for i := range 40 {
		fmt.Fprintf(&b, "      v%d: %d\n", i, i)
	}
	inv := parse(t, "inv.yaml", b.String())
	h1, h2 := mustHost(t, inv, "h1"), mustHost(t, inv, "h2")
	equal(t, "host var", h1.VarOrigin("v1"), "host (inv.yaml:2:17)")
	equal(t, "group var", h1.VarOrigin("v39"), "group g (inv.yaml:47:7)")
	equal(t, "unknown", h1.VarOrigin("nope"), "")
	origins := h1.VarOrigins()
	equal(t, "origins", len(origins), 40)
	for name := range h1.Vars {
		equal(t, "VarOrigin("+name+")", h1.VarOrigin(name), origins[name])
	}
	equal(t, "h2 v1", h2.VarOrigin("v1"), "group g (inv.yaml:9:7)")
	equal(t, "h2 v1 value", h2.Vars["v1"], any(1))
}

func TestHostsOfTheSameGroupsShareVars(t *testing.T) {
	inv := parse(t, "inv.yaml", `
defaults: { vars: { a: 1 } }
hosts:
  h1:
  h2:
  h3: { vars: { b: 2 } }
groups:
  g: { hosts: [h1, h2, h3], vars: { c: 3 } }
`)
	h1, h2, h3 := mustHost(t, inv, "h1"), mustHost(t, inv, "h2"), mustHost(t, inv, "h3")
	same := func(a, b map[string]any) bool {
		return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
	}
	if !same(h1.Vars, h2.Vars) {
		t.Error("h1 and h2 have the same groups and no variables of their own, but two Vars maps")
	}
	if same(h1.Vars, h3.Vars) {
		t.Error("h3 has a variable of its own, but shares the Vars of h1")
	}
	equal(t, "h1 vars", h1.Vars, map[string]any{"a": 1, "c": 3})
	equal(t, "h3 vars", h3.Vars, map[string]any{"a": 1, "b": 2, "c": 3})
	equal(t, "h3 origins", h3.VarOrigins(), map[string]string{
		"a": "defaults (inv.yaml:2:21)", "b": "host (inv.yaml:6:17)", "c": "group g (inv.yaml:8:37)",
	})
}

func TestVarOriginOfAZeroHost(t *testing.T) {
	var h Host
	equal(t, "VarOrigin", h.VarOrigin("x"), "")
	equal(t, "VarOrigins", h.VarOrigins(), map[string]string{})
}
