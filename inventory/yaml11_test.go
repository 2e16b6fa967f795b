package inventory

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestYAML11Scalars pins how plain scalars of Ansible YAML read, with the
// values ansible-inventory --list gives for them (ansible-core 2.14,
// PyYAML); TestAnsibleOracle compares them with ansible itself.
func TestYAML11Scalars(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"yes", true}, {"Off", false}, {"NO", false}, {"y", "y"}, {"Y", "Y"}, {"TRUE", true},
		{"~", nil}, {"null", nil}, {"Null", nil}, {"", nil},
		{"1e3", "1e3"}, {"12e03", "12e03"}, {"1.0e3", "1.0e3"}, {"1.0e+3", 1000.0}, {"1.5e-3", 0.0015},
		{"0o17", "0o17"}, {"-0o17", "-0o17"}, {"017", 15}, {"0_17", 15}, {"08", "08"},
		{"1:30", 90}, {"-1:30", -90}, {"190:20:30", 685230}, {"1:3", 63}, {"1:60", "1:60"}, {"0:30", "0:30"},
		{"190:20:30.15", 685230.15}, {"685.230_15e+03", 685230.15},
		{"0x1F", 31}, {"0x_0A_74_AE", 685230}, {"0b1010_0111", 167}, {"-0b11", -3}, {"+685_230", 685230}, {"-0", 0},
		{"1.5", 1.5}, {"3.", 3.0}, {".5", 0.5}, {"-.5", "-.5"}, {"0.", 0.0}, {"1_000.5", 1000.5},
		{"2001:db8::1", "2001:db8::1"}, {"2024-01-01", "2024-01-01"},
		{"2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43.100000-05:00"},
		{"2001-12-14 21:59:43.10 -5", "2001-12-14T21:59:43.100000-05:00"},
		{"2001-12-15T02:59:43.1Z", "2001-12-15T02:59:43.100000+00:00"},
		{"2002-12-14 01:02:03", "2002-12-14T01:02:03"},
		{"web01", "web01"}, {"1.2.3.4", "1.2.3.4"},
	}
	for _, tc := range tests {
		equal(t, tc.in, yaml11Scalar(tc.in), tc.want)
	}
	for in, sign := range map[string]int{".inf": 1, "-.Inf": -1, "+.INF": 1} {
		if f, ok := yaml11Scalar(in).(float64); !ok || !math.IsInf(f, sign) {
			t.Errorf("%s: got %v", in, yaml11Scalar(in))
		}
	}
	if f, ok := yaml11Scalar(".NaN").(float64); !ok || !math.IsNaN(f) {
		t.Errorf(".NaN: got %v", yaml11Scalar(".NaN"))
	}
}

// TestJSONVarsFilesReadAsJSON: Ansible reads a file that is JSON as JSON,
// so 1e3 there is a number, not the string YAML 1.1 would make of it.
func TestJSONVarsFilesReadAsJSON(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", "[web]\nweb1\n", 0o644)
	writeFile(t, dir, "group_vars/web.json", `{"n": 1e3, "s": "yes"}`, 0o644)
	writeFile(t, dir, "host_vars/web1.yml", "m: 1e3\nb: yes\n", 0o644)
	web1 := mustHost(t, loadPaths(t, hosts), "web1")
	equal(t, "vars", web1.Vars, map[string]any{"n": 1000.0, "s": "yes", "m": "1e3", "b": true})
}

// TestNonFiniteValues: .inf and .nan show as YAML spells them in the text
// view; JSON cannot hold them (ansible-inventory writes Infinity and NaN,
// which are not JSON), so the JSON view refuses, naming the variable.
func TestNonFiniteValues(t *testing.T) {
	inv := parse(t, "inv.yml", "all:\n  hosts:\n    h1:\n      big: .inf\n      nested: {a: [1, -.inf]}\n      odd: .nan\n      fine: 1.5\n")
	v := mustHost(t, inv, "h1").View(true, func(string) string { return "" })
	var text strings.Builder
	if err := v.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"big:     .inf", `nested:  {"a":[1,-.inf]}`, "odd:     .nan", "fine:    1.5"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text view lacks %q:\n%s", want, text.String())
		}
	}
	_, err := json.Marshal(v)
	want := "host h1: variable big holds .inf, which JSON cannot represent (see it with remotectl inventory show h1, without -o json)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("JSON: got %v, want %q", err, want)
	}
	delete(v.Vars, "big")
	delete(v.Vars, "nested")
	delete(v.Vars, "odd")
	if _, err := json.Marshal(v); err != nil {
		t.Fatalf("JSON of finite values: %v", err)
	}
}
