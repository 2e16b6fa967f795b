package jinja

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

func TestRenderTypes(t *testing.T) {
	e := New()
	vars := map[string]any{
		"n": int64(7), "names": []string{"a", "b"}, "labels": map[string]string{"k": "v"},
		"nothing": nil, "ok": true, "tmpl": "{{ n * 2 }}",
	}
	for _, tc := range []struct {
		tmpl string
		want any
	}{
		{"plain {text}", "plain {text}"},
		{"{{ n }}", 7},
		{"{{ ok }}", true},
		{"{{ nothing }}", nil},
		{"{{ names }}", []any{"a", "b"}},
		{"{{ labels }}", map[string]any{"k": "v"}},
		{"{{ n + 1 }}", "8"},
		{"{{ tmpl }}", "14"},
		{"n={{ n }} {{ names }}", "n=7 ['a', 'b']"},
		{"[{{ n }}, 1]", []any{7, 1}},
		{"{{ labels | to_json }}", `{"k": "v"}`},
		{"{{ none }}", ""},
	} {
		got, err := e.Render(tc.tmpl, vars)
		if err != nil {
			t.Errorf("%s: %v", tc.tmpl, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s = %#v, want %#v", tc.tmpl, got, tc.want)
		}
	}
}

func TestUnsafe(t *testing.T) {
	vars := map[string]any{"out": map[string]any{"stdout": Unsafe("{{ secret }}")}, "secret": "s3cr3t"}
	got, err := New().Render("{{ out.stdout }}", vars)
	if err != nil || got != "{{ secret }}" {
		t.Errorf("got %#v, %v; an Unsafe value must not be templated", got, err)
	}
}

func TestRenderText(t *testing.T) {
	got, err := New().RenderText("{% for h in hosts %}\n{{ h }} {{ port | default(22) }}\n{% endfor %}\n", map[string]any{"hosts": []any{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a 22\nb 22\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestEval(t *testing.T) {
	got, err := New().Eval("xs | map('int') | sum + 1", map[string]any{"xs": []any{"1", "2"}})
	if err != nil || got != 4 {
		t.Errorf("got %#v, %v; want 4", got, err)
	}
}

func TestConditional(t *testing.T) {
	e := New()
	vars := map[string]any{"x": 1, "s": "false", "out": map[string]any{"rc": 0, "changed": true}}
	for _, tc := range []struct {
		cond any
		want bool
	}{
		{true, true}, {false, false}, {nil, true}, {"", true},
		{"x == 1", true}, {"s", true}, {"s | bool", false}, {"{{ s }}", false},
		{"out is changed and out.rc == 0", true},
		{[]any{"x == 1", "x > 0"}, true},
		{[]any{"x == 2", "undefined_var"}, false}, // stops at the first false
		{1, true}, {0, false},
	} {
		got, err := e.Conditional(tc.cond, vars)
		if err != nil || got != tc.want {
			t.Errorf("%#v = %v, %v; want %v", tc.cond, got, err, tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	e := New()
	vars := map[string]any{"a": "{{ b }}", "b": "{{ a }}", "d": map[string]any{}}
	for _, tc := range []struct {
		tmpl string
		kind Kind
		name string
	}{
		{"{{ missing }}", Undefined, "missing"},
		{"x {{ missing | upper }}", Undefined, "missing"},
		{"{{ d.key }}", Undefined, "key"},
		{"{{ a }}", Recursion, "a"},
		{"{{ 1 +  }}", Syntax, ""},
		{"{{ 'x' | regex_replace('(?=x)', '') }}", Unsupported, ""},
		{"{{ 1 // 0 }}", Runtime, ""},
	} {
		_, err := e.Render(tc.tmpl, vars)
		var je *Error
		if !errors.As(err, &je) {
			t.Errorf("%s: error %v is not an *Error", tc.tmpl, err)
			continue
		}
		if je.Kind != tc.kind || tc.name != "" && je.Name != tc.name {
			t.Errorf("%s: kind %d name %q (%v), want kind %d name %q", tc.tmpl, je.Kind, je.Name, err, tc.kind, tc.name)
		}
	}
	if _, err := e.Conditional("missing", nil); !IsUndefined(err) {
		t.Errorf("when: missing gave %v, want undefined", err)
	}
}

func TestNames(t *testing.T) {
	got := Names("{{ a.b | default(c) }} {% for x in items if x is defined %}{{ x }}{% endfor %}")
	want := []string{"a", "c", "items"} // not filters, tests, attributes or loop variables
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %q, want %q", got, want)
	}
	if got := Names("{% set n = 1 %}{{ n + lookup('env', 'HOME') | length }} {{ d | combine(x, recursive=true) }}"); !reflect.DeepEqual(got, []string{"lookup", "d", "x"}) {
		t.Errorf("Names = %q", got)
	}
	if Names("no template") != nil {
		t.Error("Names of plain text should be nil")
	}
}

func TestConcurrent(t *testing.T) {
	e := New()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vars := map[string]any{"xs": []any{i, i + 1}}
			got, err := e.Render("{{ xs | map('string') | join(',') }}", vars)
			if err != nil || got == "" {
				t.Errorf("render: %v %v", got, err)
			}
			text, err := e.RenderText("{% for x in xs %}{{ x * 2 }} {% endfor %}", vars)
			if want := fmt.Sprintf("%d %d ", 2*i, 2*i+2); err != nil || text != want {
				t.Errorf("text: %q %v, want %q", text, err, want)
			}
		}()
	}
	wg.Wait()
}

func TestShaCryptVectors(t *testing.T) {
	// Checked against Python's crypt.crypt.
	for _, tc := range []struct {
		id, salt string
		rounds   int
		want     string
	}{
		{"6", "saltsalt", 0, "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"},
		{"5", "saltsalt", 0, "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA"},
		{"6", "saltsalt", 10000, "$6$rounds=10000$saltsalt$WowrPBpEDVlCoruBosYlrZycTCx3//TyDHYqEhX9DUHHt0XTztUqzQDDUuvUGRA8aUe9p55hcAxeGcu58sm3u."},
	} {
		if got := shaCrypt(tc.id, "secret", tc.salt, tc.rounds); got != tc.want {
			t.Errorf("shaCrypt(%s, %d) = %s, want %s", tc.id, tc.rounds, got, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	e := New()
	for _, tc := range []struct {
		src  string
		expr bool
		kind Kind // 0: valid
	}{
		{"{{ x | default('a') | upper }}", false, 0},
		{"plain", false, 0},
		{"{{ x | json_query('a') }}", false, Unsupported},
		{"{% if x is version('1', '>') %}{% endif %}", false, 0},
		{"{{ x is frobnicated }}", false, Unsupported},
		{"{{ x | }}", false, Syntax},
		{"x is defined and x | bool", true, 0},
		{"x ==", true, Syntax},
	} {
		check := e.Check
		if tc.expr {
			check = e.CheckExpr
		}
		err := check(tc.src)
		var je *Error
		switch {
		case tc.kind == 0 && err != nil:
			t.Errorf("%s: %v", tc.src, err)
		case tc.kind != 0 && (!errors.As(err, &je) || je.Kind != tc.kind):
			t.Errorf("%s: got %v, want kind %d", tc.src, err, tc.kind)
		}
	}
}

func TestLookupsAndSyntaxPositions(t *testing.T) {
	e := New(WithLookups(map[string]Lookup{
		"env":   func(c LookupCall) ([]any, error) { return []any{"v-" + String(c.Terms[0])}, nil },
		"items": func(c LookupCall) ([]any, error) { return c.Terms, nil },
		"var": func(c LookupCall) ([]any, error) {
			v, ok := c.Vars[String(c.Terms[0])]
			if !ok {
				return nil, errors.New("no such variable")
			}
			return []any{v, c.Kwargs["k"]}, nil
		},
	}))
	// A plugin sees the variables of the rendering and its keywords;
	// errors='ignore' makes a failure None (lookup) or [] (query).
	vars := map[string]any{"x": "X"}
	for src, want := range map[string]string{
		"{{ query('var', 'x', k=1) }}":                      "['X', 1]",
		"{{ lookup('var', 'y', errors='ignore') is none }}": "True",
		"{{ query('var', 'y', errors='warn') }}":            "[]",
	} {
		if got, err := e.Render(src, vars); err != nil || String(got) != want {
			t.Errorf("%s = %v, %v; want %s", src, got, err, want)
		}
	}
	if _, err := e.Render("{{ lookup('var', 'y') }}", vars); err == nil {
		t.Errorf("a failing lookup without errors= must fail the template")
	}
	if got, err := e.Render("{{ lookup('env', 'HOME') | upper }}", nil); err != nil || got != "V-HOME" {
		t.Errorf("lookup env = %v, %v", got, err)
	}
	// As Ansible's: lookup joins strings, query (and wantlist) keeps the list.
	for src, want := range map[string]string{
		"{{ lookup('items', 'a', 'b') }}":                "a,b",
		"{{ lookup('items', 'a', 'b', wantlist=True) }}": "['a', 'b']",
		"{{ query('items', 'a', 'b') }}":                 "['a', 'b']",
		"{{ q('items', 1) }}":                            "[1]",
		"{{ lookup('items', 1) }}":                       "1",
		"{{ lookup('items', 1, 2) }}":                    "[1, 2]",
	} {
		if got, err := e.Render(src, nil); err != nil || String(got) != want {
			t.Errorf("%s = %v, %v; want %s", src, got, err, want)
		}
	}
	var je *Error
	if _, err := e.Render("{{ lookup('pipe', 'id') }}", nil); !errors.As(err, &je) || je.Kind != Unsupported {
		t.Errorf("lookup pipe: %v, want Unsupported", err)
	}
	if err := e.Check("a\nb {{ x | }}"); !errors.As(err, &je) || je.Line != 2 || je.Col != 10 {
		t.Errorf("Check: %#v", err)
	}
	if err := e.CheckExpr("x =="); !errors.As(err, &je) || je.Line != 1 || je.Col != 5 {
		t.Errorf("CheckExpr: %#v", err)
	}
	if got := String([]any{"a", 1, true, nil}); got != "['a', 1, True, None]" {
		t.Errorf("String = %q", got)
	}
}

func TestUnsafeComparesAsText(t *testing.T) {
	e := New()
	vars := map[string]any{"x": Unsafe("a"), "m": map[string]any{"s": Unsafe("{{ x }}")}}
	for _, c := range []string{"x == 'a'", "m.s.startswith('{')", "m.s | length == 7"} {
		if ok, err := e.Conditional(c, vars); err != nil || !ok {
			t.Errorf("%s: %v, %v", c, ok, err)
		}
	}
	if got, err := e.Render("{{ m.s }}", vars); err != nil || got != "{{ x }}" {
		t.Errorf("Render = %v, %v; an unsafe value is not templated", got, err)
	}
}

// A lone variable followed by one newline is still a lone variable (Jinja2
// drops the template's trailing newline): a number stays a number, a
// string keeps its newline (Ansible's preserve_trailing_newlines), as
// ansible-playbook writes copy: content="{{ item }}\n".
func TestLoneVariableAndTrailingNewline(t *testing.T) {
	e := New()
	vars := map[string]any{"item": 1, "g": "hello", "t": true}
	for src, want := range map[string]any{"{{ item }}\n": 1, "{{ t }}\n": true, "{{ g }}\n": "hello\n", "x{{ item }}\n": "x1\n", "{{ item }}\n\n": "1\n\n"} {
		got, err := e.Render(src, vars)
		if err != nil || got != want {
			t.Errorf("Render(%q) = %#v, %v; want %#v", src, got, err, want)
		}
	}
}
