package jinja

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// RenderFile finds included templates in the search path in order, takes
// the first found of a list, skips a missing one with ignore missing and
// fails on a missing one otherwise; a template without such a tag (the
// word include in its text) renders as RenderText.
func TestRenderFileIncludes(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	write := func(dir, name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(first, "a.j2", "first {{ x }}\n")
	write(second, "a.j2", "second\n")
	write(second, "b.j2", "b {{ y | default('none') }}\n")
	e := New()
	vars := map[string]any{"x": 1, "flag": true}
	for src, want := range map[string]string{
		"{% include 'a.j2' %}|{% include 'b.j2' %}\n":                  "first 1|b none\n",
		"{% include ['nope.j2', 'b.j2'] %}\n":                          "b none\n",
		"<{% include 'nope.j2' ignore missing %}>\n":                   "<>\n",
		"include /etc/nginx/conf.d/*.conf; {{ flag }}\n":               "include /etc/nginx/conf.d/*.conf; True\n",
		"{% set a, b = [x, 2] -%}\n{{ a }}{{ b }}{% include 'a.j2' %}": "12first 1",
	} {
		got, err := e.RenderFile(src, vars, []string{first, second})
		if err != nil || got != want {
			t.Errorf("RenderFile(%q) = %q, %v; want %q", src, got, err, want)
		}
	}
	if _, err := e.RenderFile("{% include 'nope.j2' %}", vars, []string{first}); err == nil || !strings.Contains(err.Error(), "nope.j2") {
		t.Errorf("a missing include: %v", err)
	}
}
