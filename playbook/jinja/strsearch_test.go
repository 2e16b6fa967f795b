package jinja

import (
	"strings"
	"testing"
)

// TestStrSearchMethods: str.find, rfind, index, rindex and count as
// Python's (the expected values are python3's): code points, slice
// bounds, -1 for "".find("hi") (gonja said 0).
func TestStrSearchMethods(t *testing.T) {
	vars := map[string]any{"s": "ahéhi", "empty": "", "abc": "abc"}
	expr := "[empty.find('hi'), s.find('hi'), s.find('h', 2), s.find('h', -2), s.rfind('h'), s.rfind('h', 0, 3)," +
		" s.index('é'), s.count('h'), empty.count(''), s.count('', 2), abc.find('', 4), abc.find('', 3), s.rindex('h')]"
	got, err := New().Render("{{ "+expr+" | to_json }}", vars)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[-1, 3, 3, 3, 3, 1, 2, 2, 1, 4, -1, 3, 3]"; got != want {
		t.Errorf("got %v, want %s", got, want)
	}
	ok, err := New().Conditional("empty.find('hi') != -1", vars)
	if err != nil || ok {
		t.Errorf("empty.find('hi') != -1 = %v, %v; want false", ok, err)
	}
	if _, err := New().Render("{{ s.index('zz') }}", vars); err == nil || !strings.Contains(err.Error(), "substring not found") {
		t.Errorf("index of a missing substring: %v, want substring not found", err)
	}
}
