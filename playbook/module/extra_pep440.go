package module

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// pyRequirement is a pip requirement as pkg_resources.Requirement parses
// it (what the pip module's Package wraps): a name, extras and version
// specifiers. Markers and URLs are not requirements here: the pip module
// passes such names to pip as written.
type pyRequirement struct {
	name   string   // as written: "Foo_Bar"
	extras []string // sorted
	specs  []pySpec
}

// pySpec is one version specifier: ">=" "1.0".
type pySpec struct{ op, version string }

var (
	pyReqRe  = regexp.MustCompile(`^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(.*?)\s*$`)
	pySpecRe = regexp.MustCompile(`^\s*(~=|===|==|!=|<=|>=|<|>)\s*([A-Za-z0-9_.*+!-]+)\s*$`)
	// pyCanonRe is the pip module's Package._CANONICALIZE_RE.
	pyCanonRe = regexp.MustCompile(`[-_.]+`)
)

// parsePyRequirement is Requirement.parse; ok is false where it raises.
func parsePyRequirement(s string) (pyRequirement, bool) {
	m := pyReqRe.FindStringSubmatch(s)
	if m == nil {
		return pyRequirement{}, false
	}
	r := pyRequirement{name: m[1]}
	if m[2] != "" {
		for _, e := range strings.Split(m[2], ",") {
			e = strings.TrimSpace(e)
			if e == "" || !pyReqRe.MatchString(e) {
				return pyRequirement{}, false
			}
			r.extras = append(r.extras, e)
		}
		sort.Strings(r.extras)
	}
	if m[3] == "" {
		return r, true
	}
	for _, part := range strings.Split(m[3], ",") {
		sm := pySpecRe.FindStringSubmatch(part)
		if sm == nil {
			return pyRequirement{}, false
		}
		r.specs = append(r.specs, pySpec{op: sm[1], version: sm[2]})
	}
	return r, true
}

// String is str(Requirement): name, sorted extras, sorted specifiers.
func (r pyRequirement) String() string {
	s := r.name
	if len(r.extras) > 0 {
		s += "[" + strings.Join(r.extras, ",") + "]"
	}
	specs := make([]string, len(r.specs))
	for i, sp := range r.specs {
		specs[i] = sp.op + sp.version
	}
	sort.Strings(specs)
	return s + strings.Join(specs, ",")
}

// canonicalPyName is Package.canonicalize_name.
func canonicalPyName(name string) string {
	return strings.ToLower(pyCanonRe.ReplaceAllString(name, "-"))
}

// satisfiedBy is SpecifierSet.contains(version, prereleases=True).
func (r pyRequirement) satisfiedBy(version string) bool {
	for _, sp := range r.specs {
		if !sp.contains(version) {
			return false
		}
	}
	return true
}

// pyVersion is a PEP 440 version.
type pyVersion struct {
	epoch   int
	release []int
	pre     []int // nil, or {kind (a=0, b=1, rc=2), n}
	post    int   // -1: none
	dev     int   // -1: none
	local   string
}

var pyVersionRe = regexp.MustCompile(`^v?(?:(\d+)!)?(\d+(?:\.\d+)*)` +
	`(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?` +
	`(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?` +
	`(?:[-_.]?(dev)[-_.]?(\d+)?)?` +
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`)

// parsePyVersion parses a PEP 440 version (ok false for a legacy one).
func parsePyVersion(s string) (pyVersion, bool) {
	m := pyVersionRe.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return pyVersion{}, false
	}
	v := pyVersion{post: -1, dev: -1, local: m[10]}
	v.epoch, _ = strconv.Atoi(m[1])
	for _, p := range strings.Split(m[2], ".") {
		n, _ := strconv.Atoi(p)
		v.release = append(v.release, n)
	}
	if m[3] != "" {
		kind := map[string]int{"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}[m[3]]
		n, _ := strconv.Atoi(m[4])
		v.pre = []int{kind, n}
	}
	if m[5] != "" || m[6] != "" {
		v.post, _ = strconv.Atoi(m[5] + m[7])
	}
	if m[8] != "" {
		v.dev, _ = strconv.Atoi(m[9])
	}
	return v, true
}

// key is the version's sort key, as packaging's _cmpkey: trailing zeros of
// the release ignored; a dev release without pre or post sorts before any
// pre-release.
func (v pyVersion) compare(o pyVersion) int {
	if c := cmpInt(v.epoch, o.epoch); c != 0 {
		return c
	}
	if c := cmpRelease(v.release, o.release); c != 0 {
		return c
	}
	if c := slices.Compare(v.preKey(), o.preKey()); c != 0 {
		return c
	}
	if c := cmpInt(v.post, o.post); c != 0 {
		return c
	}
	if c := cmpInt(v.devKey(), o.devKey()); c != 0 {
		return c
	}
	return strings.Compare(v.local, o.local)
}

func (v pyVersion) preKey() []int {
	switch {
	case v.pre != nil:
		return v.pre
	case v.post < 0 && v.dev >= 0:
		return []int{-1} // before any pre-release
	}
	return []int{9} // after any pre-release
}

func (v pyVersion) devKey() int {
	if v.dev < 0 {
		return int(^uint(0) >> 1)
	}
	return v.dev
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpRelease(a, b []int) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if c := cmpInt(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// public is the version without its local label.
func (v pyVersion) public() pyVersion { v.local = ""; return v }

// contains is Specifier.contains(version, prereleases=True).
func (sp pySpec) contains(version string) bool {
	if sp.op == "===" {
		return strings.EqualFold(version, sp.version)
	}
	v, ok := parsePyVersion(version)
	if !ok {
		return false
	}
	if strings.HasSuffix(sp.version, ".*") {
		eq := sp.prefixMatch(v)
		return eq == (sp.op == "==")
	}
	s, ok := parsePyVersion(sp.version)
	if !ok {
		return false
	}
	if s.local == "" {
		v = v.public()
	}
	c := v.compare(s)
	switch sp.op {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case "<=":
		return c <= 0
	case ">=":
		return c >= 0
	case "<":
		// <V excludes pre-releases of V itself.
		return c < 0 && !(s.pre == nil && v.pre != nil && cmpRelease(v.release, s.release) == 0)
	case ">":
		// >V excludes post-releases of V.
		return c > 0 && !(s.post < 0 && v.post >= 0 && cmpRelease(v.release, s.release) == 0)
	case "~=":
		if len(s.release) < 2 {
			return false
		}
		prefix := pySpec{op: "==", version: fmt.Sprint(joinInts(s.release[:len(s.release)-1])) + ".*"}
		return c >= 0 && prefix.prefixMatch(v)
	}
	return false
}

// prefixMatch reports whether v matches the release prefix of "1.2.*".
func (sp pySpec) prefixMatch(v pyVersion) bool {
	p, ok := parsePyVersion(strings.TrimSuffix(sp.version, ".*"))
	if !ok || p.epoch != v.epoch {
		return false
	}
	rel := v.release
	for len(rel) < len(p.release) {
		rel = append(slices.Clone(rel), 0)
	}
	return slices.Equal(rel[:len(p.release)], p.release)
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}
