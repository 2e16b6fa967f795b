package module

import (
	"context"
	"io/fs"
	"path"
	"strings"
)

// runSh runs a shell script on the host (with the task's become) and
// returns its output; the error is the host's (connection lost, context
// done).
func runSh(ctx context.Context, c *Call, script string, env map[string]string) (Output, error) {
	return c.Host.Run(ctx, Command{Script: script, Env: env})
}

// fnmatch is Python's fnmatch.fnmatch (case-sensitive, as on POSIX): *, ?,
// [seq] and [!seq].
func fnmatch(name, pattern string) bool {
	p := strings.ReplaceAll(pattern, "[!", "[^")
	p = strings.ReplaceAll(p, `\`, `\\`)
	ok, err := path.Match(p, name)
	if err != nil {
		return name == pattern
	}
	if strings.Contains(name, "/") {
		// path.Match stops * at a slash; fnmatch does not.
		ok2, _ := path.Match(strings.ReplaceAll(p, "/", "\x00"), strings.ReplaceAll(name, "/", "\x00"))
		return ok || ok2
	}
	return ok
}

// hasGlob reports whether a package name is an fnmatch pattern (none of
// these characters is allowed in a Debian package name).
func hasGlob(s string) bool { return strings.ContainsAny(s, "*?[]!") }

// debVersionCompare compares two Debian versions as dpkg does
// (epoch:upstream-revision): <0, 0, >0.
func debVersionCompare(a, b string) int {
	ea, ua, ra := splitDebVersion(a)
	eb, ub, rb := splitDebVersion(b)
	if c := compareInt(ea, eb); c != 0 {
		return c
	}
	if c := debVerrevCompare(ua, ub); c != 0 {
		return c
	}
	return debVerrevCompare(ra, rb)
}

func splitDebVersion(v string) (epoch, upstream, revision string) {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

func compareInt(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func debOrder(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return 0
	case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		return int(c)
	case c == '~':
		return -1
	case c == 0:
		return 0
	}
	return int(c) + 256
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// debVerrevCompare is dpkg's verrevcmp.
func debVerrevCompare(a, b string) int {
	i, j := 0, 0
	at := func(s string, k int) byte {
		if k < len(s) {
			return s[k]
		}
		return 0
	}
	for i < len(a) || j < len(b) {
		first := 0
		for i < len(a) && !isDigit(a[i]) || j < len(b) && !isDigit(b[j]) {
			ac, bc := debOrder(at(a, i)), debOrder(at(b, j))
			if isDigit(at(a, i)) {
				ac = 0
			}
			if isDigit(at(b, j)) {
				bc = 0
			}
			if ac != bc {
				return ac - bc
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			return first
		}
	}
	return 0
}

// tabFields splits a probe line into its tab-separated fields.
func tabFields(line string) []string { return strings.Split(line, "\t") }

// fsMode is a permission number as a file mode.
func fsMode(m uint64) fs.FileMode { return fs.FileMode(m) & fs.ModePerm }
