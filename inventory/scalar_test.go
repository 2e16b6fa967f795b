package inventory

import (
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// decodeScalar is what yaml.v3 makes of a scalar tagged tag.
func decodeScalar(tag, value string) (any, error) {
	var v any
	err := (&yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}).Decode(&v)
	return v, err
}

// checkPlainScalars fails unless plainInt and plainBool, when they read s,
// read it as yaml.v3 does.
func checkPlainScalars(t *testing.T, s string) {
	t.Helper()
	if i, ok := plainInt(s); ok {
		if v, err := decodeScalar(yamlnode.TagInt, s); err != nil || v != any(i) {
			t.Errorf("plainInt(%q) = %d; yaml.v3 reads %#v (%v)", s, i, v, err)
		}
	}
	if b, ok := plainBool(s); ok {
		if v, err := decodeScalar(yamlnode.TagBool, s); err != nil || v != any(b) {
			t.Errorf("plainBool(%q) = %t; yaml.v3 reads %#v (%v)", s, b, v, err)
		}
	}
}

func TestPlainScalars(t *testing.T) {
	for _, tc := range []struct {
		in      string
		integer bool // plainInt reads it
	}{
		{"0", true}, {"7", true}, {"-7", true}, {"+7", true}, {"-0", true}, {"123456789012345678", true},
		{"1234567890123456789", false}, {"007", false}, {"0x1F", false}, {"0o17", false}, {"1_000", false},
		{"", false}, {"-", false}, {"+-1", false}, {"1.5", false}, {"1e3", false}, {" 1", false},
	} {
		if _, ok := plainInt(tc.in); ok != tc.integer {
			t.Errorf("plainInt(%q) reads it: %t, want %t", tc.in, ok, tc.integer)
		}
		checkPlainScalars(t, tc.in)
	}
	for _, s := range []string{"true", "True", "TRUE", "false", "False", "FALSE", "tRUE", "yes", "on", "1"} {
		checkPlainScalars(t, s)
	}
	equal(t, "plainBool(yes)", func() bool { _, ok := plainBool("yes"); return ok }(), false)
}

func FuzzPlainScalars(f *testing.F) {
	for _, s := range []string{"0", "-12", "+3", "007", "0x1F", "true", "False", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(checkPlainScalars)
}
