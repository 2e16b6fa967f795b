package nodeset

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{"web01", []string{"web01"}},
		{"web01.example.com", []string{"web01.example.com"}},
		{"web[01-03,07].example.com", []string{
			"web01.example.com", "web02.example.com", "web03.example.com", "web07.example.com"}},
		{"rack[1-2]-n[01-02]", []string{"rack1-n01", "rack1-n02", "rack2-n01", "rack2-n02"}},
		{"[1,3,5-7]", []string{"1", "3", "5", "6", "7"}},
		{"[08-11]", []string{"08", "09", "10", "11"}},
		{"[8-11]", []string{"8", "9", "10", "11"}},
		{"n[98-101]", []string{"n98", "n99", "n100", "n101"}},
		{"n[0-2]", []string{"n0", "n1", "n2"}},
		{"n[00-02]", []string{"n00", "n01", "n02"}},
		{"n[007]", []string{"n007"}},
		{"n[7]", []string{"n7"}},
		{"n[5-5]", []string{"n5"}},
		// Padding comes from the lower bound only.
		{"n[8-011]", []string{"n8", "n9", "n10", "n11"}},
		{"n[098-0101]", []string{"n098", "n099", "n100", "n101"}},
		// Each element keeps its own padding.
		{"web[8-10,09]", []string{"web8", "web9", "web10", "web09"}},
		// Elements in the order written, repeats kept.
		{"n[3,1,2,1]", []string{"n3", "n1", "n2", "n1"}},
		// Several names, each expanded in turn.
		{"db1,web[1-2]", []string{"db1", "web1", "web2"}},
		{"a,b,a", []string{"a", "b", "a"}},
		{"x[1-2],y[1-2]z", []string{"x1", "x2", "y1z", "y2z"}},
		// Three brackets: rightmost fastest.
		{"r[1-2]c[1-2]s[1-2]", []string{
			"r1c1s1", "r1c1s2", "r1c2s1", "r1c2s2", "r2c1s1", "r2c1s2", "r2c2s1", "r2c2s2"}},
		{"[1-2][1-2]", []string{"11", "12", "21", "22"}},
		// Brackets with nothing around them, and the largest numbers.
		{"[18446744073709551614-18446744073709551615]", []string{
			"18446744073709551614", "18446744073709551615"}},
		// Anything but brackets and commas is literal text.
		{"web-1 .x", []string{"web-1 .x"}},
		{"a-[1-2]-b", []string{"a-1-b", "a-2-b"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := Expand(tt.expr, 0)
			if err != nil {
				t.Fatalf("Expand(%q): %v", tt.expr, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Expand(%q)\n got %q\nwant %q", tt.expr, got, tt.want)
			}
		})
	}
}

func TestExpandErrors(t *testing.T) {
	tests := []struct {
		expr   string
		offset int    // expected Error.Offset
		want   string // expected substring of the message
	}{
		{"", -1, "empty expression"},
		{"web[01", 3, "'[' is never closed; add the missing ']'"},
		{"web[01-02", 3, "never closed"},
		{"web01]", 5, "']' without a matching '['"},
		{"web[1]]", 6, "']' without a matching '['"},
		{"web[[1]]", 4, "cannot be nested"},
		{"web[1[2]]", 5, "cannot be nested"},
		{"web[]", 3, "empty range []"},
		{"web[1,,2]", 6, "empty element"},
		{"web[,1]", 4, "empty element"},
		{"web[1,]", 6, "empty element"},
		{"web[10-2]", 4, "reversed range 10-2; write the smaller bound first, as in [2-10]"},
		{"web[a]", 4, `"a" is not a number`},
		{"web[1-b]", 6, `"1-b" is not a number`},
		{"web[1-2-3]", 7, `"1-2-3" is not a number`},
		{"web[ 1]", 4, `" 1" is not a number`},
		{"web[+1]", 4, `"+1" is not a number`},
		{"web[-1]", 4, `"-1" lacks a bound`},
		{"web[1-]", 6, `"1-" lacks a bound`},
		{"web[18446744073709551616]", 4, "18446744073709551616 is too large"},
		{",web", 0, "empty name before ','"},
		{"a,,b", 2, "empty name before ','"},
		{"a,", 1, "empty name after the last ','"},
		{"web[1-2],db[", 11, "never closed"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			names, err := Expand(tt.expr, 0)
			if err == nil {
				t.Fatalf("Expand(%q) = %q, want an error", tt.expr, names)
			}
			if names != nil {
				t.Errorf("Expand(%q) returned names %q with its error", tt.expr, names)
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrSyntax) || errors.Is(err, ErrTooLarge) {
				t.Fatalf("Expand(%q) error %v (%T) is not an *Error of kind ErrSyntax", tt.expr, err, err)
			}
			if e.Expr != tt.expr || e.Offset != tt.offset {
				t.Errorf("Expand(%q): error at %q offset %d, want offset %d", tt.expr, e.Expr, e.Offset, tt.offset)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("Expand(%q) error %q does not contain %q", tt.expr, msg, tt.want)
			}
			if !strings.Contains(msg, `"`+tt.expr+`"`) {
				t.Errorf("Expand(%q) error %q does not name the expression", tt.expr, msg)
			}
		})
	}
}

func TestExpandErrorNamesColumn(t *testing.T) {
	_, err := Expand("web[10-2]", 0)
	const want = `node set "web[10-2]", column 5: reversed range 10-2; write the smaller bound first, as in [2-10]`
	if err == nil || err.Error() != want {
		t.Fatalf("Expand error = %v, want %s", err, want)
	}
}

func TestExpandLimit(t *testing.T) {
	tests := []struct {
		expr    string
		max     int
		wantErr string // empty when the expression fits
	}{
		{"web[1-10]", 10, ""},
		{"web[1-11]", 10, "web[1-11] expands to 11 names, more than the limit of 10"},
		{"a[1-5],b[1-5]", 10, ""},
		{"a[1-5],b[1-6]", 10, "expands to 11 names, more than the limit of 10"},
		{"r[1-4]n[1-3]", 12, ""},
		{"r[1-4]n[1-3]", 11, "expands to 12 names"},
		{"n[1-3,5-7]", 6, ""},
		{"n[1-3,5-7]", 5, "expands to 6 names"},
		// max <= 0 means DefaultMax.
		{"web[1-2000000]", 0, "web[1-2000000] expands to 2000000 names, more than the limit of 1000000"},
		{"web[1-1000001]", -1, "expands to 1000001 names, more than the limit of 1000000"},
	}
	for _, tt := range tests {
		names, err := Expand(tt.expr, tt.max)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("Expand(%q, %d): %v", tt.expr, tt.max, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("Expand(%q, %d) = %d names, want an error", tt.expr, tt.max, len(names))
			continue
		}
		if !errors.Is(err, ErrTooLarge) || errors.Is(err, ErrSyntax) {
			t.Errorf("Expand(%q, %d) error %v is not ErrTooLarge", tt.expr, tt.max, err)
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Expand(%q, %d) error %q does not contain %q", tt.expr, tt.max, err, tt.wantErr)
		}
	}
}

// TestExpandCountsBeforeAllocating checks that an expression standing for an
// astronomical number of names is refused without building any of them.
func TestExpandCountsBeforeAllocating(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"n[0-18446744073709551615]", "expands to at least 18446744073709551615 names"},
		{"n[1-4294967296][1-4294967296]", "expands to at least 18446744073709551615 names"},
		{"n" + strings.Repeat("[0-9]", 19), "expands to 10000000000000000000 names"},
		{"n" + strings.Repeat("[0-9]", 40), "expands to at least"},
		{"a[0-18446744073709551614],b[0-9]", "expands to at least"},
		{"a[1-3,0-18446744073709551615]", "expands to at least"},
	}
	for _, tt := range tests {
		var err error
		allocs := testing.AllocsPerRun(10, func() { _, err = Expand(tt.expr, 0) })
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Expand(%q) error = %v, want one containing %q", tt.expr, err, tt.want)
		}
		if allocs > 100 {
			t.Errorf("Expand(%q) made %v allocations before refusing, want a handful", tt.expr, allocs)
		}
	}
}

func TestExpandErrorFallbackMessage(t *testing.T) {
	e := &Error{Expr: "x", Offset: -1, Reason: "something is off", Kind: ErrSyntax}
	if got, want := e.Error(), `node set "x": something is off`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestHasRange(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{"web01", false},
		{"web01.example.com", false},
		{"a,b", false},
		{"", false},
		{"web[01-03]", true},
		{"[1]", true},
		{"web[01", true}, // malformed, so Expand gets to report it
		{"web01]", true},
	}
	for _, tt := range tests {
		if got := HasRange(tt.expr); got != tt.want {
			t.Errorf("HasRange(%q) = %v, want %v", tt.expr, got, tt.want)
		}
	}
}

// FuzzExpand checks that Expand never panics, honours its limit, reports
// failures as *Error, and that whatever it returns folds back to the same set.
func FuzzExpand(f *testing.F) {
	for _, seed := range []string{
		"web01", "web[01-03,07].example.com", "rack[1-2]-n[01-02]", "[08-11]", "[8-11]",
		"db1,web[01-03,07]", "web[8-10,09]", "web[10-2]", "web[01", "web01]", "[]", "[[1]]",
		"a,,b", "a,", "", "[1-2-3]", "[18446744073709551615]", "n[0-18446744073709551615]",
		"x[0-9][0-9][0-9]", "[001-100]", "a[1-3]b[1-3]c",
	} {
		f.Add(seed)
	}
	const max = 64
	f.Fuzz(func(t *testing.T, expr string) {
		names, err := Expand(expr, max)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Kind != ErrSyntax && e.Kind != ErrTooLarge) {
				t.Fatalf("Expand(%q) error %v (%T) is not an *Error with a known kind", expr, err, err)
			}
			if e.Offset < -1 || e.Offset >= len(expr) {
				t.Fatalf("Expand(%q) error offset %d outside the expression", expr, e.Offset)
			}
			return
		}
		if len(names) == 0 || len(names) > max {
			t.Fatalf("Expand(%q) returned %d names, want 1..%d", expr, len(names), max)
		}
		for _, name := range names {
			if name == "" || strings.ContainsAny(name, "[],") {
				t.Fatalf("Expand(%q) returned the name %q", expr, name)
			}
		}
		assertFoldsBack(t, names)
	})
}

func BenchmarkExpand(b *testing.B) {
	const expr = "rack[01-16]-n[001-064].example.com"
	b.ReportAllocs()
	for b.Loop() {
		names, err := Expand(expr, 0)
		if err != nil || len(names) != 16*64 {
			b.Fatalf("Expand(%q) = %d names, %v", expr, len(names), err)
		}
	}
}
