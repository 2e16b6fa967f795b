package checks

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// parseMatcher reads src as the expectation of a property of the given kind.
func parseMatcher(t *testing.T, kind valueKind, src string) *Matcher {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	d := newDecoder("m.yaml", len(src))
	m := d.matcher(doc.Content[0], kind, "prop")
	if len(d.Errs) > 0 || m == nil {
		t.Fatalf("matcher %s: %v", src, d.Errs)
	}
	return m
}

func TestMatchers(t *testing.T) {
	tests := []struct {
		kind  valueKind
		src   string
		value value
		want  bool
	}{
		{kindBool, "true", boolValue(true), true},
		{kindBool, "false", boolValue(true), false},
		{kindBool, "{not: false}", boolValue(true), true},

		{kindInt, "200", intValue(200), true},
		{kindInt, "200", intValue(404), false},
		{kindInt, `"200"`, intValue(200), true}, // goss compares a string with the number's text
		{kindInt, "{lt: 5}", intValue(4), true},
		{kindInt, "{le: 5}", intValue(5), true},
		{kindInt, "{gt: 5}", intValue(5), false},
		{kindInt, "{ge: 5.5}", intValue(6), true},
		{kindInt, "{or: [200, 204]}", intValue(204), true},
		{kindInt, "{and: [{gt: 1}, {lt: 3}]}", intValue(3), false},
		{kindInt, "{not: 0}", intValue(1), true},
		{kindInt, "{have-prefix: '2'}", intValue(204), true},

		{kindString, `"0644"`, stringValue("0644"), true},
		{kindString, "0644", stringValue("0644"), true}, // unquoted: same text
		{kindString, "644", stringValue("0644"), true},  // same number
		{kindString, `"0600"`, stringValue("0644"), false},
		{kindString, "1", stringValue("1"), true},
		{kindString, "{have-prefix: Lin}", stringValue("Linux"), true},
		{kindString, "{have-suffix: nux}", stringValue("Linux"), true},
		{kindString, "{contain-substring: inu}", stringValue("Linux"), true},
		{kindString, `{match-regexp: "^L.*x$"}`, stringValue("Linux"), true},
		{kindString, "{match-regexp: ^B}", stringValue("Linux"), false},
		{kindString, "{gt: 100}", stringValue("4096"), true},
		{kindString, "{gt: 100}", stringValue("lots"), false},
		{kindString, "{have-len: 5}", stringValue("Linux"), true},

		{kindList, "[a, b]", listValue([]string{"b", "a", "c"}), true},
		{kindList, "[a, d]", listValue([]string{"b", "a", "c"}), false},
		{kindList, "[]", listValue(nil), true},
		{kindList, "{consist-of: [a, {have-prefix: b}]}", listValue([]string{"b1", "a"}), true},
		{kindList, "{consist-of: [a, {have-prefix: b}]}", listValue([]string{"a", "b1", "c"}), false},
		// Needs an augmenting path: the prefix matcher must give "ab" up.
		{kindList, "{consist-of: [{have-prefix: a}, ab]}", listValue([]string{"ab", "ax"}), true},
		{kindList, "{consist-of: [a, a]}", listValue([]string{"a", "b"}), false},
		{kindList, "{equal: [a, b]}", listValue([]string{"a", "b"}), true},
		{kindList, "{equal: [a, b]}", listValue([]string{"b", "a"}), false},
		{kindList, "{contain-element: {match-regexp: '^127\\.'}}", listValue([]string{"::1", "127.0.0.1"}), true},
		{kindList, "{contain-elements: ['::1']}", listValue([]string{"::1", "127.0.0.1"}), true},
		{kindList, "{have-len: 2}", listValue([]string{"x", "y"}), true},
		{kindList, "{not: [x]}", listValue([]string{"y"}), true},

		{kindText, "[hi]", textValue("hi\nthere\n"), true},
		{kindText, "[hi, bye]", textValue("hi\nthere\n"), false},
		{kindText, `["!err"]`, textValue("all fine\n"), true},
		{kindText, `["!err"]`, textValue("an error\n"), false},
		{kindText, `["/^th.*e$/"]`, textValue("hi\nthere\n"), true},
		{kindText, `["!/^th/"]`, textValue("hi\nthere\n"), false},
		{kindText, `["\\!bang"]`, textValue("a !bang\n"), true},
		{kindAny, `{have-key: a}`, value{kind: kindAny, isMap: true, list: []string{"a"}}, true},
		{kindAny, `{have-key: {have-prefix: b}}`, value{kind: kindAny, isMap: true, list: []string{"a"}}, false},
		{kindAny, `{have-key: a}`, listValue([]string{"a"}), false}, // a list has no keys
		{kindText, `[{match-regexp: "^t"}]`, textValue("hi\nthere\n"), true},
		// goss compares a plain string with the whole output: echo hi fails stdout: hi.
		{kindText, "hi", textValue("hi\n"), false},
		// A single value for a list is the list of that one value, as in goss.
		{kindList, "root", listValue([]string{"root"}), true},
		{kindList, "root", listValue([]string{"root", "wheel"}), false},
		{kindList, "0.0.0.0", listValue([]string{"0.0.0.0"}), true},
		{kindList, "5", listValue([]string{"5.0"}), true},
		{kindText, `"hi\n"`, textValue("hi\n"), true},
		{kindText, "3", textValue(" 3\n"), true}, // numbers compare numerically
		// goss's have-patterns, read from matchers/have_patterns.go.
		{kindText, `["\\!bang"]`, textValue("a bang\n"), true}, // leading \ / ! are trimmed
		{kindText, `["/path"]`, textValue("a path\n"), true},   // no closing slash: a string
		{kindText, `["/HI/i"]`, textValue("hi\n"), true},       // flags after the closing slash
		{kindText, `["!/HI/i"]`, textValue("hi\n"), false},
		{kindText, `[""]`, textValue(""), true}, // the empty pattern matches no output
		{kindText, `["x"]`, textValue(""), false},
		{kindText, `{have-patterns: [hi, "!bye"]}`, textValue("hi\n"), true},
		{kindText, `{have-patterns: [bye]}`, textValue("hi\n"), false},
		{kindString, `{have-patterns: [i]}`, stringValue("hi"), true},
		// semver-constraint (blang/semver ranges): every version must satisfy it.
		{kindString, `{semver-constraint: ">=1.2.0 <2.0.0"}`, stringValue("1.10.0"), true},
		{kindString, `{semver-constraint: ">=1.2.0 <2.0.0"}`, stringValue("2.0.0"), false},
		{kindString, `{semver-constraint: ">1.0.0"}`, stringValue("1.1"), false}, // not strict semver
		{kindList, `{semver-constraint: ">1.0.0 || <0.5.0"}`, listValue([]string{"1.2.3", "0.4.0"}), true},
		{kindList, `{semver-constraint: ">1.0.0"}`, listValue([]string{"1.2.3", "0.4.0"}), false},
		{kindList, `{semver-constraint: ">1.0.0"}`, listValue(nil), false},
		// gjson: each path's value against its matcher.
		{kindText, `{gjson: {a.b: 1, c: [x], d: {have-key: e}}}`, textValue(`{"a":{"b":1.0},"c":["x","y"],"d":{"e":null}}`), true},
		{kindText, `{gjson: {a.b: 2}}`, textValue(`{"a":{"b":1}}`), false},
		{kindText, `{gjson: {missing: {not: 1}}}`, textValue(`{"a":1}`), false}, // a path not found fails
		{kindText, `{gjson: {a: true}}`, textValue(`not json`), false},
		{kindText, `{gjson: {"@this": {equal: {foo: bar, n: 1}}}}`, textValue(`{"n": 1, "foo": "bar"}`), true},
		{kindText, `{gjson: {"@this": {equal: {foo: bar}}}}`, textValue(`{"n": 1, "foo": "bar"}`), false},
		{kindText, `{gjson: {"a.#": 2, "a.0": {have-prefix: x}}}`, textValue(`{"a":["xy","z"]}`), true},
		// xml: an XPath and its result.
		{kindText, `{xml: {xpath: "//b", result: ""}}`, textValue(`<a><b>1</b></a>`), true},
		{kindText, `{xml: {xpath: "//c", result: ""}}`, textValue(`<a><b>1</b></a>`), false},
		{kindText, `{xml: {xpath: "count(//b)", result: 2}}`, textValue(`<a><b>1</b><b/></a>`), true},
		{kindText, `{xml: {xpath: "string(//b/@k)", result: v}}`, textValue(`<a><b k="v"/></a>`), true},
		{kindText, `{xml: {xpath: "//b", result: "<b>1</b>"}}`, textValue(`<a><b>1</b></a>`), true},
		{kindText, `{xml: {xpath: "//b", result: ""}}`, textValue(`<a><b>`), false},
		{kindText, "hi", textValue("hi there\n"), false},
		{kindText, "{contain-element: {have-prefix: th}}", textValue("hi\nthere"), true},
		{kindText, `{match-regexp: "(?s)hi.*there"}`, textValue("hi\nthere\n"), true},
		{kindText, `{contain-substring: "i\nth"}`, textValue("hi\nthere\n"), true},
		{kindText, "{equal: [hi, there]}", textValue("hi\r\nthere\r\n"), true},
	}
	for _, tt := range tests {
		m := parseMatcher(t, tt.kind, tt.src)
		if got := m.matches(tt.value); got != tt.want {
			t.Errorf("%s matches %s = %v, want %v", tt.src, tt.value, got, tt.want)
		}
	}
}

func TestMatcherText(t *testing.T) {
	tests := map[string]string{
		"[0.0.0.0, '::']":           `[0.0.0.0, "::"]`,
		"{and: [{gt: 1}, {lt: 3}]}": "{and: [{gt: 1}, {lt: 3}]}",
		"200":                       "200",
		`"plain"`:                   "plain",
		"consist-of:\n  - a\n  - have-prefix: b\n": "{consist-of: [a, {have-prefix: b}]}",
	}
	for src, want := range tests {
		m := parseMatcherAny(t, src)
		if m.Text != want {
			t.Errorf("Text of %q = %q, want %q", src, m.Text, want)
		}
	}
}

// parseMatcherAny parses src for whichever kind accepts it.
func parseMatcherAny(t *testing.T, src string) *Matcher {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []valueKind{kindList, kindInt, kindString} {
		d := newDecoder("m.yaml", len(src))
		if m := d.matcher(doc.Content[0], k, "prop"); m != nil && len(d.Errs) == 0 {
			return m
		}
	}
	t.Fatalf("no kind accepts %q", src)
	return nil
}

func TestValueString(t *testing.T) {
	long := make([]byte, 3000)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		v    value
		want string
	}{
		{boolValue(true), "true"},
		{intValue(-3), "-3"},
		{listValue([]string{"a", "b c", "x:y"}), `[a, b c, "x:y"]`},
		{textValue("one\ntwo\n"), "one\ntwo"},
		{textValue(string(long)), string(long[:maxActual]) + "… (1976 more bytes)"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// TestMatchingListsOfMatchers: in matching's content any element may be
// matched by any matcher, as goss's awesome-gomega example does.
func TestMatchingListsOfMatchers(t *testing.T) {
	m := parseMatcher(t, kindAny, `[{contain-element: {match-regexp: "4."}}, "45", {and: [{ge: 46}, {le: 50}]}]`)
	if !m.matches(listValue([]string{"45", "46", "47"})) {
		t.Error("list of matchers on a list: no match")
	}
}
