package settings

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPatternFlagTakesOnePattern(t *testing.T) {
	var p PatternFlag
	if err := p.Set("web"); err != nil || p.String() != "web" {
		t.Fatalf("Set: %v, %q", err, p.String())
	}
	if err := p.Set("db"); err == nil || !strings.Contains(err.Error(), "-H 'web,db'") {
		t.Errorf("a second pattern: %v, want the hint to join them", err)
	}
}

func TestAbsInventories(t *testing.T) {
	abs := filepath.Join(string(filepath.Separator), "etc", "inv.yaml")
	g := Globals{Inventories: []string{"inv.yaml", abs, "a/../b.ini"}}
	want := []string{filepath.Join("/work", "inv.yaml"), abs, filepath.Join("/work", "b.ini")}
	if got := g.AbsInventories("/work"); !slices.Equal(got, want) {
		t.Errorf("AbsInventories = %q, want %q", got, want)
	}
}

func TestHintArgs(t *testing.T) {
	g := Globals{Inventories: []string{"a.yaml", "b.yaml"}, KnownHosts: "kh"}
	want := []string{"-i", "a.yaml", "-i", "b.yaml", "--known-hosts", "kh"}
	if got := g.HintArgs(); !slices.Equal(got, want) {
		t.Errorf("HintArgs = %q, want %q", got, want)
	}
}
