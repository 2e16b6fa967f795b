package yamlnode

import (
	"errors"
	"io"
	"reflect"
	"testing"
	"text/template"

	"go.yaml.in/yaml/v3"
)

// equal fails the test when got is not want.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// root parses src, which must be valid YAML, and returns its top node.
func root(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatalf("parse %q: %v", src, err)
	}
	return doc.Content[0]
}

func TestDescribe(t *testing.T) {
	for src, want := range map[string]string{
		"{a: 1}":  "a mapping",
		"[1, 2]":  "a list",
		"~":       "empty",
		"yes":     `the string "yes"`,
		"true":    "a boolean (true)",
		"0x1F":    "a number (0x1F)",
		"1.5":     "a number (1.5)",
		"web":     `the string "web"`,
		`"8080"`:  `the string "8080"`,
		"a\tb":    `the string "a\tb"`,
		"!!str 3": `the string "3"`,
	} {
		equal(t, "Describe("+src+")", Describe(root(t, src)), want)
	}
	equal(t, "Describe(alias)", Describe(&yaml.Node{Kind: yaml.AliasNode}), "an alias")
}

func TestIsNull(t *testing.T) {
	equal(t, "nil", IsNull(nil), true)
	for src, want := range map[string]bool{"~": true, "null": true, `""`: false, "0": false, "{}": false, "[]": false} {
		equal(t, "IsNull("+src+")", IsNull(root(t, src)), want)
	}
	equal(t, "IsNull(empty value)", IsNull(root(t, "a:").Content[1]), true)
}

func TestPosition(t *testing.T) {
	n := root(t, "a:\n  b: 1\n").Content[1].Content[1]
	equal(t, "Position", Position("f.yaml", n), "f.yaml:2:6")
}

func TestError(t *testing.T) {
	equal(t, "full", (&Error{Pos: "f:1:2", Msg: "bad", Hint: "fix it"}).Error(), "f:1:2: bad; hint: fix it")
	equal(t, "no hint", (&Error{Pos: "f:1:2", Msg: "bad"}).Error(), "f:1:2: bad")
	equal(t, "no pos", (&Error{Msg: "bad", Hint: "fix it"}).Error(), "bad; hint: fix it")
}

func TestParseDocument(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		root      string // the top node's value or tag; "" for none
		nextLine  int    // where the second document starts; 0 for none
		err       bool
	}{
		{name: "no document", src: ""},
		{name: "comment only", src: "# nothing\n"},
		{name: "null document", src: "~\n"},
		{name: "scalar", src: "web\n", root: "web"},
		{name: "mapping", src: "a: 1\n", root: "!!map"},
		{name: "explicit start", src: "---\n- a\n", root: "!!seq"},
		{name: "empty second document", src: "a: 1\n---\n", root: "!!map", nextLine: 2},
		{name: "second document", src: "a: 1\n---\nb: 2\n", root: "!!map", nextLine: 2},
		{name: "second after null", src: "~\n---\nb: 2\n", nextLine: 2},
		{name: "bad first document", src: "a: [1\n", err: true},
		{name: "bad second document", src: "a: 1\n---\nb: [\n", err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, next, err := ParseDocument([]byte(tc.src))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error: %v", err, tc.err)
			}
			if err != nil {
				if r != nil || next != nil {
					t.Errorf("nodes returned with an error: %v, %v", r, next)
				}
				return
			}
			got := ""
			if r != nil {
				got = r.Value
				if r.Kind != yaml.ScalarNode {
					got = r.ShortTag()
				}
			}
			equal(t, "root", got, tc.root)
			gotLine := 0
			if next != nil {
				gotLine = next.Line
				equal(t, "next kind", next.Kind, yaml.DocumentNode)
			}
			equal(t, "next line", gotLine, tc.nextLine)
		})
	}
}

// yamlError returns yaml.v3's error for src.
func yamlError(t *testing.T, src string) error {
	t.Helper()
	var n yaml.Node
	err := yaml.Unmarshal([]byte(src), &n)
	if err == nil {
		t.Fatalf("%q parsed", src)
	}
	return err
}

func TestSplitSyntaxError(t *testing.T) {
	line, msg := SplitSyntaxError(yamlError(t, "a: [1, 2\n"))
	equal(t, "line", line, 1)
	equal(t, "msg", msg, "did not find expected ',' or ']'")
	line, msg = SplitSyntaxError(yamlError(t, "a: b: c\n"))
	equal(t, "line without one", line, 0)
	equal(t, "msg without line", msg, "mapping values are not allowed in this context")
}

func TestSyntaxError(t *testing.T) {
	const quote = "quote it"
	for _, tc := range []struct{ name, src, want string }{
		{"no line, quoting", "a: b: c\n",
			"f.yaml:1: invalid YAML: mapping values are not allowed in this context; hint: quote it"},
		{"tab, quoting", "\t- a\n",
			"f.yaml:1: invalid YAML: found character that cannot start any token; hint: quote it"},
		{"a block problem moves a line", "- a\nb: 1\n",
			"f.yaml:2: invalid YAML: did not find expected '-' indicator (in the block that starts on this line); hint: check the indentation and quoting around this line"},
		{"other problems stay", "\"a\n",
			"f.yaml:2: invalid YAML: found unexpected end of stream; hint: check the indentation and quoting around this line"},
	} {
		equal(t, tc.name, syntaxError("f.yaml", yamlError(t, tc.src), quote).Error(), tc.want)
	}
	equal(t, "not yaml.v3's", syntaxError("f", errors.New("yaml: something odd"), quote).Error(),
		"f:1: invalid YAML: something odd; hint: check the indentation and quoting around this line")
}

func TestParseFile(t *testing.T) {
	ft := &FileType{OneDocumentHint: "one document, please", QuoteHint: "quote it"}
	for _, tc := range []struct{ name, src, root, err string }{
		{name: "empty", src: ""},
		{name: "null", src: "~\n"},
		{name: "one document", src: "- a\n", root: "!!seq"},
		{name: "empty second document", src: "- a\n---\n",
			err: "f.yaml:2:1: a second YAML document starts here; hint: one document, please"},
		{name: "second document", src: "a: 1\n...\n---\nb: 2\n",
			err: "f.yaml:3:1: a second YAML document starts here; hint: one document, please"},
		{name: "invalid", src: "a: b: c\n",
			err: "f.yaml:1: invalid YAML: mapping values are not allowed in this context; hint: quote it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ft.ParseFile("f.yaml", []byte(tc.src))
			if tc.err != "" {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v, want an *Error saying %q", err, tc.err)
				}
				equal(t, "error", err.Error(), tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if r != nil {
				got = r.ShortTag()
			}
			equal(t, "root", got, tc.root)
		})
	}
}

func TestParseFileWraps(t *testing.T) {
	ft := &FileType{Wrap: func(e *Error) error { return (*testError)(e) }}
	for _, src := range []string{"a: [\n", "a\n---\nb\n"} {
		_, err := ft.ParseFile("f.yaml", []byte(src))
		var te *testError
		if !errors.As(err, &te) {
			t.Errorf("ParseFile(%q) = %#v, want a *testError", src, err)
		}
	}
}

func TestTemplateError(t *testing.T) {
	const name = "f.yaml:3:7"
	_, err := template.New(name).Parse("a {{ .x }")
	if err == nil {
		t.Fatal("a bad template parsed")
	}
	equal(t, "parse error", TemplateError(name, err), `unexpected "}" in operand`)

	tmpl := template.Must(template.New(name).Option("missingkey=error").Parse("a\n{{ .x }}"))
	err = tmpl.Execute(io.Discard, map[string]any{})
	if err == nil {
		t.Fatal("a missing key executed")
	}
	equal(t, "execution error", TemplateError(name, err), `at <.x>: map has no entry for key "x"`)

	other := errors.New(`template: other:1: bad`)
	equal(t, "another template's error", TemplateError(name, other), other.Error())
}
