package jinja

import (
	"os"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/remotectl/remotectl/internal/omap"
)

// testFunc is a Jinja2 test over Go data.
type testFunc func(in any, c call) (bool, error)

// adaptTest makes t a gonja test. An undefined input is an error unless
// onUndefined is given, then it is the result.
func adaptTest(t testFunc, onUndefined *bool) exec.TestFunction {
	return func(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) (bool, error) {
		if u, ok := in.Interface().(undefined); ok {
			if onUndefined != nil {
				return *onUndefined, nil
			}
			return false, u.err
		}
		if in.IsError() {
			if onUndefined != nil && isUndefined(in) {
				return *onUndefined, nil
			}
			return false, in.Interface().(error)
		}
		x, err := toGo(in)
		if err != nil {
			return false, err
		}
		if len(params.Args) == 1 {
			if inner, ok := params.Args[0].Interface().(*exec.VarArgs); ok {
				params = inner
			}
		}
		c, err := goArgs(params)
		if err != nil {
			return false, err
		}
		return t(x, c)
	}
}

// ownTests names the tests of ansibleTests that take arguments.
var ownTests = map[string]bool{
	"match": true, "search": true, "regex": true, "version": true, "version_compare": true,
	"truthy": true, "falsy": true, "in": true, "contains": true, "subset": true, "issubset": true,
	"superset": true, "issuperset": true, "same_file": true, "is_same_file": true, "uri": true, "url": true,
}

// ansibleTests are Ansible's tests, and Jinja2's whose gonja version
// differs from Python's.
func ansibleTests() map[string]exec.TestFunction {
	yes, no := true, false
	out := map[string]exec.TestFunction{
		"defined":   adaptTest(func(any, call) (bool, error) { return true, nil }, &no),
		"undefined": adaptTest(func(any, call) (bool, error) { return false, nil }, &yes),
		"none":      adaptTest(func(in any, _ call) (bool, error) { return in == nil, nil }, &no),
	}
	for name, t := range map[string]testFunc{
		"failed": testFailed, "failure": testFailed, "succeeded": testSucceeded, "success": testSucceeded,
		"successful": testSucceeded, "changed": testChanged, "change": testChanged,
		"skipped": testSkipped, "skip": testSkipped, "unreachable": testUnreachable,
		"reachable": testReachable, "match": testMatch, "search": testSearch, "regex": testRegex,
		"version": testVersion, "version_compare": testVersion, "file": testFile,
		"directory": testDirectory, "exists": testExists, "link": testLink,
		"truthy": testTruthy, "falsy": testFalsy, "in": testIn, "contains": testContains,
	} {
		out[name] = adaptTest(t, nil)
	}
	for name, t := range moreTests() {
		out[name] = adaptTest(t, nil)
	}
	return out
}

func result(name string, in any) (map[string]any, error) {
	m, ok := in.(map[string]any)
	if om, ordered := in.(*omap.Map); ordered {
		m, ok = om.ToMap(), true
	}
	if !ok {
		return nil, runtimeErr("The '%s' test expects a dictionary", name)
	}
	return m, nil
}

func testFailed(in any, _ call) (bool, error) {
	m, err := result("failed", in)
	return err == nil && truthy(m["failed"]), err
}

func testSucceeded(in any, c call) (bool, error) {
	failed, err := testFailed(in, c)
	return !failed, err
}

func testChanged(in any, _ call) (bool, error) {
	m, err := result("changed", in)
	if err != nil {
		return false, err
	}
	if v, ok := m["changed"]; ok {
		return truthy(v), nil
	}
	results, _ := m["results"].([]any)
	for _, r := range results {
		if rm, ok := dictOf(r); ok {
			if changed, _ := rm.Get("changed"); truthy(changed) {
				return true, nil
			}
		}
	}
	return false, nil
}

func testSkipped(in any, _ call) (bool, error) {
	m, err := result("skipped", in)
	return err == nil && truthy(m["skipped"]), err
}

func testUnreachable(in any, _ call) (bool, error) {
	m, err := result("unreachable", in)
	return err == nil && truthy(m["unreachable"]), err
}

func testReachable(in any, c call) (bool, error) {
	u, err := testUnreachable(in, c)
	return !u, err
}

// regexTest is Ansible's regex test: match anchors at the start, search
// does not.
func regexTest(in any, c call, anchored bool) (bool, error) {
	ic, ml := regexFlags(c, 1)
	pattern := pyStr(c.arg(0, "pattern", ""))
	if anchored {
		pattern = `\A(?:` + pattern + `)`
	}
	re, err := compilePython(pattern, ic, ml)
	if err != nil {
		return false, err
	}
	return re.MatchString(pyStr(in)), nil
}

func testMatch(in any, c call) (bool, error) { return regexTest(in, c, true) }

func testSearch(in any, c call) (bool, error) { return regexTest(in, c, false) }

func testRegex(in any, c call) (bool, error) {
	return regexTest(in, c, pyStr(c.arg(3, "match_type", "search")) == "match")
}

func testIn(in any, c call) (bool, error) {
	return member(in, c.arg(0, "seq", nil))
}

func testContains(in any, c call) (bool, error) {
	return member(c.arg(0, "seq", nil), in)
}

// member is Python's `x in container`.
func member(x, container any) (bool, error) {
	switch s := container.(type) {
	case string:
		sub, ok := x.(string)
		if !ok {
			return false, runtimeErr("'in <string>' requires string as left operand, not %s", typeName(x))
		}
		return strings.Contains(s, sub), nil
	case []any:
		return contains(s, x), nil
	case map[string]any:
		_, ok := s[pyStr(x)]
		return ok, nil
	case *omap.Map:
		return s.Has(pyStr(x)), nil
	}
	return false, runtimeErr("argument of type '%s' is not iterable", typeName(container))
}

func stat(in any) (os.FileInfo, bool) {
	fi, err := os.Stat(pyStr(in))
	return fi, err == nil
}

func testFile(in any, _ call) (bool, error) {
	fi, ok := stat(in)
	return ok && fi.Mode().IsRegular(), nil
}

func testDirectory(in any, _ call) (bool, error) {
	fi, ok := stat(in)
	return ok && fi.IsDir(), nil
}

func testExists(in any, _ call) (bool, error) {
	_, ok := stat(in)
	return ok, nil
}

func testLink(in any, _ call) (bool, error) {
	fi, err := os.Lstat(pyStr(in))
	return err == nil && fi.Mode()&os.ModeSymlink != 0, nil
}

func testTruthy(in any, c call) (bool, error) {
	if truthy(c.arg(0, "convert_bool", false)) {
		if b, ok := toBool(in).(bool); ok {
			switch in.(type) {
			case bool, string, int, float64:
				return b, nil
			}
		}
	}
	return truthy(in), nil
}

func testFalsy(in any, c call) (bool, error) {
	t, err := testTruthy(in, c)
	return !t, err
}

// testVersion is Ansible's version test: version(other, operator='eq',
// strict=False, version_type=None) with LooseVersion or StrictVersion.
func testVersion(in any, c call) (bool, error) {
	op := pyStr(c.arg(1, "operator", "eq"))
	kind := "loose"
	if truthy(c.arg(2, "strict", false)) {
		kind = "strict"
	}
	if vt := c.arg(3, "version_type", nil); vt != nil {
		kind = pyStr(vt)
	}
	var cmp int
	var err error
	a, b := pyStr(in), pyStr(c.arg(0, "version", ""))
	switch kind {
	case "loose":
		cmp, err = compareLoose(a, b)
	case "strict":
		cmp, err = compareStrict(a, b)
	default:
		return false, unsupported("version_type %q (it has loose and strict)", kind)
	}
	if err != nil {
		return false, err
	}
	switch op {
	case "==", "=", "eq":
		return cmp == 0, nil
	case "<", "lt":
		return cmp < 0, nil
	case "<=", "le":
		return cmp <= 0, nil
	case ">", "gt":
		return cmp > 0, nil
	case ">=", "ge":
		return cmp >= 0, nil
	case "!=", "<>", "ne":
		return cmp != 0, nil
	}
	return false, runtimeErr("Invalid operator type (%s)", op)
}

// looseParts splits a version as distutils' LooseVersion: runs of digits
// (numbers), runs of lowercase letters, and what lies between them; dots
// are dropped.
func looseParts(v string) []any {
	var parts []any
	other := ""
	flush := func() {
		if other != "" {
			parts = append(parts, other)
			other = ""
		}
	}
	for i := 0; i < len(v); {
		c := v[i]
		j := i
		switch {
		case c >= '0' && c <= '9':
			for j < len(v) && v[j] >= '0' && v[j] <= '9' {
				j++
			}
			flush()
			n, _ := strconv.Atoi(v[i:j])
			parts = append(parts, n)
		case c >= 'a' && c <= 'z':
			for j < len(v) && v[j] >= 'a' && v[j] <= 'z' {
				j++
			}
			flush()
			parts = append(parts, v[i:j])
		case c == '.':
			flush()
			j++
		default:
			other += string(c)
			j++
		}
		i = j
	}
	flush()
	return parts
}

func compareLoose(a, b string) (int, error) {
	x, y := looseParts(a), looseParts(b)
	for i := 0; i < len(x) && i < len(y); i++ {
		xn, xInt := x[i].(int)
		yn, yInt := y[i].(int)
		switch {
		case xInt && yInt:
			if xn != yn {
				return sign(xn - yn), nil
			}
		case !xInt && !yInt:
			if c := strings.Compare(x[i].(string), y[i].(string)); c != 0 {
				return c, nil
			}
		default:
			return 0, runtimeErr("Version comparison failed: '<' not supported between instances of '%s' and '%s'", typeName(x[i]), typeName(y[i]))
		}
	}
	return sign(len(x) - len(y)), nil
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// strictParts parses a StrictVersion: N.N[.N][{a|b}N].
func strictParts(v string) ([5]int, error) {
	var p [5]int
	main, pre := v, ""
	if i := strings.IndexAny(v, "ab"); i >= 0 {
		main, pre = v[:i], v[i:]
	}
	nums := strings.Split(main, ".")
	if len(nums) < 2 || len(nums) > 3 {
		return p, runtimeErr("Version comparison failed: invalid version number '%s'", v)
	}
	for i, n := range nums {
		if !isDigits(n) {
			return p, runtimeErr("Version comparison failed: invalid version number '%s'", v)
		}
		p[i], _ = strconv.Atoi(n)
	}
	p[3] = 'z'
	if pre != "" {
		if !isDigits(pre[1:]) {
			return p, runtimeErr("Version comparison failed: invalid version number '%s'", v)
		}
		p[3] = int(pre[0])
		p[4], _ = strconv.Atoi(pre[1:])
	}
	return p, nil
}

func compareStrict(a, b string) (int, error) {
	x, err := strictParts(a)
	if err != nil {
		return 0, err
	}
	y, err := strictParts(b)
	if err != nil {
		return 0, err
	}
	for i := range x {
		if x[i] != y[i] {
			return sign(x[i] - y[i]), nil
		}
	}
	return 0, nil
}
