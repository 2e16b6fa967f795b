package jinja

import (
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// moreTests are the rest of ansible-core 2.14's tests (core.py, files.py,
// mathstuff.py, uri.py): Python's all/any, sets, paths on the controller,
// async results, URIs.
func moreTests() map[string]testFunc {
	return map[string]testFunc{
		"all": testAll, "any": testAny, "subset": testSubset, "issubset": testSubset,
		"superset": testSuperset, "issuperset": testSuperset, "nan": testNaN, "isnan": testNaN,
		"abs": testAbs, "is_abs": testAbs, "is_file": testFile, "is_dir": testDirectory,
		"is_link": testLink, "link_exists": testLinkExists, "same_file": testSameFile,
		"is_same_file": testSameFile, "mount": testMount, "is_mount": testMount,
		"started": asyncTest("started"), "finished": asyncTest("finished"),
		"uri": testURI, "url": testURL, "urn": testURN,
	}
}

func iterable(name string, v any) ([]any, error) {
	s, ok := seq(v)
	if !ok {
		return nil, runtimeErr("'%s' object is not iterable", typeName(v))
	}
	return s, nil
}

func testAll(in any, _ call) (bool, error) {
	s, err := iterable("all", in)
	for _, x := range s {
		if !truthy(x) {
			return false, nil
		}
	}
	return err == nil, err
}

func testAny(in any, _ call) (bool, error) {
	s, err := iterable("any", in)
	for _, x := range s {
		if truthy(x) {
			return true, nil
		}
	}
	return false, err
}

func testSubset(in any, c call) (bool, error) {
	a, err := iterable("subset", in)
	if err != nil {
		return false, err
	}
	b, err := iterable("subset", c.arg(0, "b", nil))
	if err != nil {
		return false, err
	}
	for _, x := range a {
		if !contains(b, x) {
			return false, nil
		}
	}
	return true, nil
}

func testSuperset(in any, c call) (bool, error) {
	return testSubset(c.arg(0, "b", nil), call{args: []any{in}})
}

func testNaN(in any, _ call) (bool, error) {
	f, ok := in.(float64)
	return ok && math.IsNaN(f), nil
}

func testAbs(in any, _ call) (bool, error) { return filepath.IsAbs(pyStr(in)), nil }

func testLinkExists(in any, _ call) (bool, error) {
	_, err := os.Lstat(pyStr(in))
	return err == nil, nil
}

func testSameFile(in any, c call) (bool, error) {
	a, err1 := os.Stat(pyStr(in))
	b, err2 := os.Stat(pyStr(c.arg(0, "b", nil)))
	if err1 != nil || err2 != nil {
		return false, runtimeErr("[Errno 2] No such file or directory")
	}
	return os.SameFile(a, b), nil
}

// testMount is os.path.ismount: a directory on another device than its
// parent, or the same inode as its parent (the root).
func testMount(in any, _ call) (bool, error) {
	p := pyStr(in)
	st, err := os.Lstat(p)
	if err != nil || !st.IsDir() {
		return false, nil
	}
	parent, err := os.Lstat(filepath.Join(p, ".."))
	if err != nil {
		return false, nil
	}
	s1, ok1 := st.Sys().(*syscall.Stat_t)
	s2, ok2 := parent.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return false, nil
	}
	return s1.Dev != s2.Dev || s1.Ino == s2.Ino, nil
}

// asyncTest is started/finished: the result's key equals 1; a result
// without it (no async task) passes, as Ansible's (which warns).
func asyncTest(key string) testFunc {
	return func(in any, _ call) (bool, error) {
		m, err := result(key, in)
		if err != nil {
			return false, err
		}
		v, ok := m[key]
		if !ok {
			return true, nil
		}
		return pyEqual(v, 1), nil
	}
}

// uriScheme is urlparse's scheme of s, lower-cased.
func uriScheme(s string) (string, *url.URL) {
	u, err := url.Parse(s)
	if err != nil {
		return "", nil
	}
	return strings.ToLower(u.Scheme), u
}

func inSchemes(scheme string, schemes any) bool {
	list, ok := schemes.([]any)
	if schemes == nil || ok && len(list) == 0 {
		return true
	}
	return contains(list, scheme)
}

func testURI(in any, c call) (bool, error) {
	s, ok := in.(string)
	if !ok {
		return false, nil
	}
	scheme, _ := uriScheme(s)
	return inSchemes(scheme, c.arg(0, "schemes", nil)), nil
}

func testURL(in any, c call) (bool, error) {
	if ok, _ := testURI(in, c); !ok {
		return false, nil
	}
	scheme, u := uriScheme(in.(string))
	return u != nil && (u.Host != "" || u.User != nil || scheme == "file"), nil
}

func testURN(in any, _ call) (bool, error) {
	return testURI(in, call{args: []any{[]any{"urn"}}})
}
