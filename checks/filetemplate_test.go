package checks

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// webHost is the host the template fixtures are rendered for.
var webHost = HostInfo{
	Name: "web1",
	Vars: map[string]any{"ports": []any{80, 443}, "role": "web", "release": "v2.7", "files": []any{"/etc/a", "/etc/b"}, "port": 8080},
	Env:  map[string]string{"TIER": "prod"},
}

// TestRenderGolden renders a goss-style whole-file template (ranges and
// conditions around YAML, goss's functions, Sprig's, .Env, .Vars) and
// compares it with its golden rendering.
func TestRenderGolden(t *testing.T) {
	var l Loader
	got, err := l.Render(filepath.Join("testdata", "templates", "web.yaml"), webHost)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "templates", "web.rendered.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("rendered:\n%s\nwant:\n%s", got, want)
	}
}

// TestLoaderRendersWholeFiles loads the fixture for a host: the rendered
// checks are read, and every matching check passes.
func TestLoaderRendersWholeFiles(t *testing.T) {
	var l Loader
	s, err := l.Load([]string{filepath.Join("testdata", "templates", "include.yaml")}, webHost)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var matching []*Check
	for _, c := range s.Checks {
		ids = append(ids, c.Type+" "+c.ID)
		if c.Type == "matching" {
			matching = append(matching, c)
		}
	}
	want := []string{"port tcp:80", "port tcp:443", "file /etc/hosts", "file /etc/hostname", "service nginx",
		"matching tier", "matching home", "matching version", "matching named-groups-absent", "matching is-web", "matching motd", "matching list"}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("checks = %q\nwant %q", ids, want)
	}
	for _, r := range Run(context.Background(), nil, webHost, matching, RunOptions{}) {
		if r.Status != Pass {
			t.Errorf("%s %s: %s %s (expected %s, got %s)", r.ID, r.Property, r.Status, r.Message, r.Expected, r.Actual)
		}
	}

	// A second host rendering the same text shares the parse; another
	// rendering is parsed on its own.
	again, err := l.Load([]string{filepath.Join("testdata", "templates", "web.yaml")}, webHost)
	if err != nil || again.Checks[0] != s.Checks[0] {
		t.Errorf("same rendering parsed again: %v", err)
	}
	db := webHost
	db.Name, db.Vars = "db1", map[string]any{"ports": []any{5432}, "role": "db", "release": "v2.0", "extra": true}
	s, err = l.Load([]string{filepath.Join("testdata", "templates", "include.yaml")}, db)
	if err != nil {
		t.Fatal(err)
	}
	// Entries are read in id order, as goss does: quoted.yaml first.
	if len(s.Checks) != 12 || s.Checks[0].ID != "port-{{ .Vars.port }}" || s.Checks[2].ID != "tcp:5432" {
		t.Errorf("db1 checks: %d, first %q, third %q", len(s.Checks), s.Checks[0].ID, s.Checks[2].ID)
	}
}

// TestQuotedTemplatesStayPerValue: a file whose templates all sit in
// values is parsed once, typed per host, and sees goss's functions.
func TestQuotedTemplatesStayPerValue(t *testing.T) {
	path := filepath.Join("testdata", "templates", "quoted.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if wholeFileTemplate(data) {
		t.Fatal("quoted.yaml should render per value")
	}
	s, err := Load([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	rendered, failed := s.For(webHost, s.Checks)
	if len(failed) > 0 {
		t.Fatalf("failed: %+v", failed)
	}
	if rendered[0].ID != "port-8080" {
		t.Errorf("id = %q", rendered[0].ID)
	}
	for _, r := range Run(context.Background(), nil, webHost, rendered, RunOptions{}) {
		if r.Status != Pass {
			t.Errorf("%s %s: %s %s (expected %s, got %s)", r.ID, r.Property, r.Status, r.Message, r.Expected, r.Actual)
		}
	}
}

// TestWholeFileErrors: a template error names the template's line and
// column in the file; a YAML problem after rendering names the rendered
// line and says so; Load without a host refuses a whole-file template.
func TestWholeFileErrors(t *testing.T) {
	var l Loader
	dir := filepath.Join("testdata", "templates")
	_, err := l.Load([]string{filepath.Join(dir, "badtemplate.yaml")}, webHost)
	want := filepath.Join(dir, "badtemplate.yaml") + `:8:22: template: at <.Vars.nope>: map has no entry for key "nope"`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v\nwant prefix %s", err, want)
	}
	_, err = l.Load([]string{filepath.Join(dir, "badyaml.yaml")}, webHost)
	for _, want := range []string{
		filepath.Join(dir, "badyaml.yaml") + `:4:5: file: unknown property "colour"`,
		filepath.Join(dir, "badyaml.yaml") + `:7:5: file: unknown property "colour"`,
		"the line is that of " + filepath.Join(dir, "badyaml.yaml") + " as rendered for web1",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant %s", err, want)
		}
	}
	_, err = l.Load([]string{"x.yaml"}, webHost)
	if err == nil || !strings.Contains(err.Error(), "x.yaml: cannot read the check file") {
		t.Errorf("err = %v", err)
	}
	_, err = Load([]string{filepath.Join(dir, "web.yaml")})
	if err == nil || !strings.Contains(err.Error(), "rendered for each host") {
		t.Errorf("Load err = %v", err)
	}
	_, err = l.Render(filepath.Join(dir, "web.yaml"), HostInfo{Name: "bare"})
	if err == nil || !strings.Contains(err.Error(), "web.yaml:4:") {
		t.Errorf("Render without vars: %v", err)
	}
}

// TestLoadVars follows goss's loadVars: files merged in order, nested
// mappings key by key, empty values never replacing; inline replacing
// whole top-level keys. Command-line variables replace inventory ones.
func TestLoadVars(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.json")
	if err := os.WriteFile(a, []byte("a: 1\nnested: {x: 1, y: 2}\nkeep: yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(`{"nested": {"y": 3}, "keep": "", "b": "b"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadVars([]string{a, b}, `{"b": "inline", "nested": {"z": 1}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": 1, "keep": "yes", "b": "inline", "nested": map[string]any{"z": 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("vars = %v, want %v", got, want)
	}
	got, _ = LoadVars([]string{a, b}, "")
	if n := got["nested"].(map[string]any); n["x"] != 1 || n["y"] != 3 {
		t.Errorf("nested = %v", n)
	}
	for _, bad := range []struct {
		files        []string
		inline, want string
	}{
		{[]string{filepath.Join(dir, "none.yaml")}, "", "cannot read the vars file"},
		{nil, "[1, 2]", "--vars-inline: "},
	} {
		if _, err := LoadVars(bad.files, bad.inline); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("LoadVars(%v, %q) = %v, want %q", bad.files, bad.inline, err, bad.want)
		}
	}
	merged := MergeVars(map[string]any{"port": 80, "role": "web"}, map[string]any{"port": 8080})
	if !reflect.DeepEqual(merged, map[string]any{"port": 8080, "role": "web"}) {
		t.Errorf("merged = %v", merged)
	}
}
