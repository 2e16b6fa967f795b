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
	if p.String() != "web" {
		t.Errorf("after a refused second pattern: %q, want the first", p.String())
	}
}

// TestPatternFlagSamePatternTwice: cobra's completion parses the command
// line twice into the same flags, setting each -H twice with its value.
func TestPatternFlagSamePatternTwice(t *testing.T) {
	var p PatternFlag
	for range 2 {
		if err := p.Set("localhost"); err != nil {
			t.Fatalf("the same pattern again: %v", err)
		}
	}
	if p.String() != "localhost" {
		t.Errorf("pattern %q, want localhost", p.String())
	}
	if err := p.Set("db"); err == nil {
		t.Error("a different pattern after the same one twice: no error")
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

// TestOutputArg reads -o from a command line cobra could not parse.
func TestOutputArg(t *testing.T) {
	env := func(v string) func(string) string { return func(string) string { return v } }
	for _, tt := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"check", "-o", "nagios", "--bogus"}, "", "nagios"},
		{[]string{"check", "--bogus", "--output", "NAGIOS"}, "", "nagios"},
		{[]string{"-onagios", "check"}, "", "nagios"},
		{[]string{"check", "-o=nagios", "-o", "json"}, "", "json"},
		{[]string{"check", "--output=tap"}, "nagios", "tap"},
		{[]string{"check", "--", "-o", "nagios"}, "", ""},
		{[]string{"check", "--bogus"}, "nagios", "nagios"},
		{[]string{"check", "-o"}, "", ""},
	} {
		if got := OutputArg(tt.args, env(tt.env)); got != tt.want {
			t.Errorf("OutputArg(%q, REMOTECTL_OUTPUT=%q) = %q, want %q", tt.args, tt.env, got, tt.want)
		}
	}
}
