package jinja

import (
	"slices"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// strSearchMethods are Python's str.find, rfind, index, rindex and count
// over code points, with start and end read as slice bounds (negative
// from the end). gonja's find answers 0 for "".find("x") and it has no
// index or rindex; `when: out.stdout.find('hi') != -1` must hold as in
// Python.
func strSearchMethods() map[string]exec.Method[string] {
	method := func(name string, f func(s, sub []rune, lo, hi int) (int, error)) exec.Method[string] {
		return func(self string, _ *exec.Value, params *exec.VarArgs) (any, error) {
			c, err := goArgs(params)
			if err != nil {
				return nil, err
			}
			sub, ok := c.arg(0, "sub", nil).(string)
			if !ok {
				return nil, runtimeErr("%s() argument must be str, not %s", name, typeName(c.arg(0, "sub", nil)))
			}
			s := []rune(self)
			lo, hi, err := pySliceBounds(len(s), c.arg(1, "start", nil), c.arg(2, "end", nil))
			if err != nil {
				return nil, err
			}
			return f(s, []rune(sub), lo, hi)
		}
	}
	notFound := func(i int, err error) (int, error) {
		if err == nil && i < 0 {
			return 0, runtimeErr("substring not found")
		}
		return i, err
	}
	return map[string]exec.Method[string]{
		"find":   method("find", pyFind),
		"rfind":  method("rfind", pyRFind),
		"index":  method("index", func(s, sub []rune, lo, hi int) (int, error) { return notFound(pyFind(s, sub, lo, hi)) }),
		"rindex": method("rindex", func(s, sub []rune, lo, hi int) (int, error) { return notFound(pyRFind(s, sub, lo, hi)) }),
		"count":  method("count", pyCount),
	}
}

// pySliceBounds are CPython's ADJUST_INDICES of start and end (None or
// ints) for a string of n code points: end clamped to n, negatives
// counted from the end and clamped to 0; start may stay above n.
func pySliceBounds(n int, start, end any) (int, int, error) {
	lo, hi := 0, n
	for i, v := range []any{start, end} {
		if v == nil {
			continue
		}
		x, ok := v.(int)
		if !ok {
			return 0, 0, runtimeErr("slice indices must be integers or None, not %s", typeName(v))
		}
		if x < 0 {
			x = max(x+n, 0)
		}
		if i == 0 {
			lo = x
		} else {
			hi = min(x, n)
		}
	}
	return lo, hi, nil
}

// pyFind is the first index of sub in s[lo:hi], -1 when absent.
func pyFind(s, sub []rune, lo, hi int) (int, error) {
	if hi-lo < len(sub) {
		return -1, nil
	}
	for i := lo; i+len(sub) <= hi; i++ {
		if slices.Equal(s[i:i+len(sub)], sub) {
			return i, nil
		}
	}
	return -1, nil
}

// pyRFind is the last index of sub in s[lo:hi], -1 when absent.
func pyRFind(s, sub []rune, lo, hi int) (int, error) {
	if hi-lo < len(sub) {
		return -1, nil
	}
	for i := hi - len(sub); i >= lo; i-- {
		if slices.Equal(s[i:i+len(sub)], sub) {
			return i, nil
		}
	}
	return -1, nil
}

// pyCount counts the non-overlapping occurrences of sub in s[lo:hi]; an
// empty sub is found between every two code points and at both ends.
func pyCount(s, sub []rune, lo, hi int) (int, error) {
	if hi-lo < len(sub) {
		return 0, nil
	}
	if len(sub) == 0 {
		return hi - lo + 1, nil
	}
	n := 0
	for i := lo; i+len(sub) <= hi; {
		if slices.Equal(s[i:i+len(sub)], sub) {
			n++
			i += len(sub)
			continue
		}
		i++
	}
	return n, nil
}
