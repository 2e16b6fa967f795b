package inventory

import (
	"math"
	"strings"
	"testing"
)

// notLiteral marks texts Python's ast.literal_eval rejects.
type notLiteral struct{}

// TestPyLiteral checks the Python literal reader against what CPython 3.11's
// ast.literal_eval returns for the same texts (with tuples and sets shown as
// lists, bytes as text, complex numbers as their str()).
func TestPyLiteral(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"5", 5}, {" 5", 5}, {"-5", -5}, {"+5", 5}, {"--5", notLiteral{}},
		{"0x1F", 31}, {"0o17", 15}, {"0b101", 5}, {"1_000", 1000}, {"01", notLiteral{}}, {"00", 0}, {"0_0", 0},
		{"1__0", notLiteral{}}, {"1_", notLiteral{}}, {"0x", notLiteral{}}, {"1abc", notLiteral{}},
		{"1.5", 1.5}, {".5", 0.5}, {"5.", 5.0}, {"0.", 0.0}, {"1e3", 1000.0}, {"1.5E-2", 0.015}, {"1e400", math.Inf(1)},
		{"-1.5", -1.5}, {"- 1", -1}, {"1_0.5", 10.5}, {"1.2.3", notLiteral{}}, {"1e", notLiteral{}}, {"1e+", notLiteral{}},
		{".e1", notLiteral{}}, {"1__.5", notLiteral{}},
		{"1j", "1j"}, {"1+2j", "(1+2j)"},
		{"True", true}, {"False", false}, {"None", nil}, {"true", notLiteral{}}, {"yes", notLiteral{}},
		{"-True", notLiteral{}}, {"+True", notLiteral{}}, {"-(1)", -1}, {"-+1", notLiteral{}},
		{"'a'", "a"}, {`"b"`, "b"}, {"'a' 'b'", "ab"}, {"'a' b'c'", notLiteral{}}, {"u'x'", "x"}, {`r'\n'`, `\n`},
		{`b'\x41'`, "A"}, {`'\x41\n\t'`, "A\n\t"}, {`'\q'`, `\q`}, {`'\101'`, "A"}, {`'\u00e9'`, "é"},
		{"'''tri'''", "tri"}, {"f'x'", notLiteral{}}, {"'unterminated", notLiteral{}}, {`'a\'b'`, "a'b"},
		{`"a\"b"`, `a"b`}, {`r'a\'b'`, `a\'b`}, {"'a' # c", "a"},
		{"[1, 'a', [2]]", []any{1, "a", []any{2}}}, {"[1,]", []any{1}}, {"[,]", notLiteral{}}, {"[1, 2", notLiteral{}},
		{"[1,\n2]", []any{1, 2}}, {"(1)", 1}, {"(1,)", []any{1}}, {"()", []any{}}, {"(1, 2)", []any{1, 2}},
		{"{1, 2, 1}", []any{1, 2}}, {"set()", []any{}}, {"{}", map[string]any{}},
		{"{'a': 1, 'b': [True]}", map[string]any{"a": 1, "b": []any{true}}}, {"{1: 'x'}", map[string]any{"1": "x"}},
		{"{'a': 1, 2}", notLiteral{}}, {"{'a':}", notLiteral{}},
		{"...", "..."}, {"1 # c", 1}, {"# c", notLiteral{}}, {"host-01.internal", notLiteral{}},
		{"9999999999999999999999", "9999999999999999999999"}, // beyond int64: kept as text
		{"[" + strings.Repeat("[", 300) + "]", notLiteral{}}, // too deep
	}
	for _, tc := range tests {
		got, err := pyLiteral(tc.in)
		if _, want := tc.want.(notLiteral); want {
			if err == nil {
				t.Errorf("pyLiteral(%q) = %#v, want not a literal", tc.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("pyLiteral(%q): %v, want %#v", tc.in, err, tc.want)
			continue
		}
		equal(t, "pyLiteral("+tc.in+")", got, tc.want)
	}
	equal(t, "parseINIValue keeps non-literals", parseINIValue("yes please"), any("yes please"))
}

func TestShlexSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"a b  c", []string{"a", "b", "c"}, false},
		{`x="a b" y='c d'`, []string{"x=a b", "y=c d"}, false},
		{`k="a\\b\"c\n"`, []string{`k=a\b"c\n`}, false},
		{`a\ b`, []string{"a b"}, false},
		{`""`, []string{""}, false},
		{`a "" b`, []string{"a", "", "b"}, false},
		{"a#b c", []string{"a"}, false},
		{"k=v # comment", []string{"k=v"}, false},
		{`'#' "#"`, []string{"#", "#"}, false},
		{`unclosed "quote`, nil, true},
		{`unclosed 'quote`, nil, true},
		{`trailing\`, nil, true},
	}
	for _, tc := range tests {
		got, err := shlexSplit(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("shlexSplit(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("shlexSplit(%q): %v", tc.in, err)
			continue
		}
		equal(t, "shlexSplit("+tc.in+")", got, tc.want)
	}
}

func TestExpandAnsibleRange(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"web", []string{"web"}, ""},
		{"www[01:03].x", []string{"www01.x", "www02.x", "www03.x"}, ""},
		{"n[8:10]", []string{"n8", "n9", "n10"}, ""},
		{"n[:2]", []string{"n0", "n1", "n2"}, ""},
		{"n[01:10:4]", []string{"n01", "n05", "n09"}, ""},
		{"db-[a:c]", []string{"db-a", "db-b", "db-c"}, ""},
		{"x[a:e:2]", []string{"xa", "xc", "xe"}, ""},
		{"x[Y:b]", nil, "begin must not come after end"},
		{"x[y:B]", []string{"xy", "xz", "xA", "xB"}, ""}, // Python's string.ascii_letters order
		{"r[1:2]-n[01:02]", []string{"r1-n01", "r1-n02", "r2-n01", "r2-n02"}, ""},
		{"x[01:5]", nil, "same width"},
		{"x[1:]", nil, "no end value"},
		{"x[1:2:0]", nil, "step must be a positive number"},
		{"x[1-2]", nil, "must be [begin:end]"},
		{"x[1:2:3:4]", nil, "must be [begin:end]"},
		{"x[3:1]", nil, "must not be greater"},
		{"x[a:3]", nil, "two numbers or two letters"},
		{"x[1:2", nil, "unbalanced"},
		{"x]1:2[", nil, "unbalanced"},
		{"x[0:99999999999]", nil, "more than 1000 names"},
		{"x[0:99][0:99]", nil, "more than 1000 names"},
		{"x[0:99999999999999999999]", nil, "two numbers"}, // beyond uint64
	}
	for _, tc := range tests {
		got, err := expandAnsibleRange(tc.in, 1000)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("expandAnsibleRange(%q) = %v, %v; want an error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("expandAnsibleRange(%q): %v", tc.in, err)
			continue
		}
		equal(t, "expandAnsibleRange("+tc.in+")", got, tc.want)
	}
}

func TestSplitAnsibleHost(t *testing.T) {
	tests := []struct {
		in   string
		host string
		port int
		err  bool
	}{
		{"web", "web", 0, false},
		{"web:2222", "web", 2222, false},
		{"10.0.0.1:22", "10.0.0.1", 22, false},
		{"www[01:50].example.com", "www[01:50].example.com", 0, false},
		{"www[01:50].example.com:2200", "www[01:50].example.com", 2200, false},
		{"[2001:db8::1]:22", "2001:db8::1", 22, false},
		{"[2001:db8::1]", "2001:db8::1", 0, false},
		{"2001:db8::1", "2001:db8::1", 0, false},
		{"web:ssh", "web:ssh", 0, false},
		{"web:", "", 0, true},
		{"web:99999", "", 0, true},
	}
	for _, tc := range tests {
		host, port, err := splitAnsibleHost(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("splitAnsibleHost(%q) = %q, %d; want an error", tc.in, host, port)
			}
			continue
		}
		if err != nil || host != tc.host || port != tc.port {
			t.Errorf("splitAnsibleHost(%q) = %q, %d, %v; want %q, %d", tc.in, host, port, err, tc.host, tc.port)
		}
	}
}

func TestPosAndError(t *testing.T) {
	equal(t, "full", Pos{"f.yaml", 3, 7}.String(), "f.yaml:3:7")
	equal(t, "no column", Pos{"f.ini", 3, 0}.String(), "f.ini:3")
	equal(t, "file only", Pos{File: "f"}.String(), "f")
	equal(t, "no file", Pos{Line: 2, Col: 1}.String(), "2:1")
	equal(t, "column without line", Pos{File: "f", Col: 4}.String(), "f")
	equal(t, "zero", Pos{}.String(), "")
	equal(t, "error", (&Error{Pos: Pos{"f", 1, 2}, Msg: "bad", Hint: "fix it"}).Error(), "f:1:2: bad; hint: fix it")
	equal(t, "error without pos", (&Error{Msg: "bad"}).Error(), "bad")
}
