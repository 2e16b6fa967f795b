package jinja

import (
	"cmp"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/omap"
)

// moreFilters are the rest of ansible-core 2.14's filters (core.py,
// mathstuff.py, urls.py, urlsplit.py) that real roles use: comments,
// paths, hashes, sizes, combinatorics, zips, sets. An itertools result
// (product, zip, ...) is its list, as `| list` makes it in Ansible.
func moreFilters() map[string]filterFunc {
	return map[string]filterFunc{
		"comment": filterComment, "regex_escape": filterRegexEscape, "path_join": filterPathJoin,
		"realpath": filterRealpath, "relpath": filterRelpath, "splitext": filterSplitext,
		"expandvars": filterExpandvars, "md5": filterMD5, "sha1": filterSHA1, "to_uuid": filterToUUID,
		"log": filterLog, "pow": filterPow, "root": filterRoot, "human_readable": filterHumanReadable,
		"human_to_bytes": filterHumanToBytes, "rekey_on_member": filterRekeyOnMember,
		"symmetric_difference": filterSymmetricDifference, "zip": filterZip, "zip_longest": filterZipLongest,
		"product": filterProduct, "combinations": filterCombinations, "permutations": filterPermutations,
		"subelements": filterSubelements, "extract": filterExtract, "fileglob": filterFileglob,
		"from_yaml_all": filterFromYAMLAll, "urldecode": filterURLDecode, "urlsplit": filterURLSplit,
		"random": filterRandom, "shuffle": filterShuffle, "dictsort": filterDictsort,
		"strftime":     filterStrftime,
		"win_basename": filterWinBasename, "win_dirname": filterWinDirname, "win_splitdrive": filterWinSplitdrive,
	}
}

// commentStyles are the comment filter's predefined styles.
var commentStyles = map[string]map[string]string{
	"plain":  {"decoration": "# "},
	"erlang": {"decoration": "% "},
	"c":      {"decoration": "// "},
	"cblock": {"beginning": "/*", "decoration": " * ", "end": " */"},
	"xml":    {"beginning": "<!--", "decoration": " - ", "end": "-->"},
}

// filterComment is Ansible's comment(text, style='plain', **kw).
func filterComment(in any, c call) (any, error) {
	styleName := pyStr(c.arg(0, "style", "plain"))
	style, ok := commentStyles[styleName]
	if !ok {
		return nil, runtimeErr("KeyError: '%s'", styleName)
	}
	prepost := style["decoration"]
	if d, ok := c.kw["decoration"]; ok {
		prepost = pyStr(d)
	}
	p := map[string]any{
		"newline": "\n", "beginning": "", "prefix": strings.TrimRight(prepost, " \t\n\r\v\f"), "prefix_count": 1,
		"decoration": "", "postfix": strings.TrimRight(prepost, " \t\n\r\v\f"), "postfix_count": 1, "end": "",
	}
	for k, v := range style {
		p[k] = v
	}
	for k, v := range c.kw {
		if k != "style" {
			p[k] = v
		}
	}
	str := func(k string) string { return pyStr(p[k]) }
	count := func(k string) (int, error) {
		n, ok := asInt(p[k])
		if !ok {
			if s, isStr := p[k].(string); isStr {
				if m, ok := pyInt(s, 10); ok {
					return m, nil
				}
			}
			return 0, runtimeErr("invalid literal for int() with base 10: %s", pyRepr(p[k]))
		}
		return n, nil
	}
	nl, deco := str("newline"), str("decoration")
	var b strings.Builder
	if str("beginning") != "" {
		b.WriteString(str("beginning") + nl)
	}
	if prefix := str("prefix"); prefix != "" {
		n, err := count("prefix_count")
		if err != nil {
			return nil, err
		}
		unit := prefix + nl
		if prefix == nl {
			unit = nl
		}
		b.WriteString(strings.Repeat(unit, max(n, 0)))
	}
	text := deco + strings.ReplaceAll(pyStr(in), nl, nl+deco)
	b.WriteString(strings.ReplaceAll(text, deco+nl, strings.TrimRight(deco, " \t\n\r\v\f")+nl))
	n, err := count("postfix_count")
	if err != nil {
		return nil, err
	}
	for range max(n, 0) {
		b.WriteString(nl + str("postfix"))
	}
	if str("end") != "" {
		b.WriteString(nl + str("end"))
	}
	return b.String(), nil
}

// pyReSpecial are the characters Python's re.escape escapes (3.7+).
const pyReSpecial = "()[]{}?*+-|^$\\.&~# \t\n\r\v\f"

var reBRESpecial = regexp.MustCompile(`([].[^$*\\])`)

func filterRegexEscape(in any, c call) (any, error) {
	s := pyStr(in)
	switch t := pyStr(c.arg(0, "re_type", "python")); t {
	case "python":
		var b strings.Builder
		for _, r := range s {
			if r < 128 && strings.ContainsRune(pyReSpecial, r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		return b.String(), nil
	case "posix_basic":
		return reBRESpecial.ReplaceAllString(s, `\$1`), nil
	case "posix_extended":
		return nil, runtimeErr("Regex type (%s) not yet implemented", t)
	default:
		return nil, runtimeErr("Invalid regex type (%s)", t)
	}
}

// pyJoin is Python's os.path.join.
func pyJoin(parts ...string) string {
	out := parts[0]
	for _, p := range parts[1:] {
		switch {
		case strings.HasPrefix(p, "/"):
			out = p
		case out == "" || strings.HasSuffix(out, "/"):
			out += p
		default:
			out += "/" + p
		}
	}
	return out
}

func filterPathJoin(in any, _ call) (any, error) {
	switch x := in.(type) {
	case string:
		return x, nil
	case []any:
		if len(x) == 0 {
			return nil, runtimeErr("join() missing 1 required positional argument: 'a'")
		}
		parts := make([]string, len(x))
		for i, p := range x {
			s, ok := p.(string)
			if !ok {
				return nil, runtimeErr("join() argument must be str, bytes, or os.PathLike object, not '%s'", typeName(p))
			}
			parts[i] = s
		}
		return pyJoin(parts...), nil
	}
	return nil, runtimeErr("|path_join expects string or sequence, got %s instead.", typeName(in))
}

// filterRealpath is os.path.realpath on the controller: symbolic links
// of the part that exists resolved, the rest kept.
func filterRealpath(in any, _ call) (any, error) {
	p, err := filepath.Abs(pyStr(in))
	if err != nil {
		return nil, runtimeErr("%v", err)
	}
	rest := ""
	for dir := p; ; dir = filepath.Dir(dir) {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest), nil
		}
		if dir == "/" {
			return p, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

func filterRelpath(in any, c call) (any, error) {
	start, err := filepath.Abs(pyStr(c.arg(0, "start", ".")))
	if err != nil {
		return nil, runtimeErr("%v", err)
	}
	p, err := filepath.Abs(pyStr(in))
	if err != nil {
		return nil, runtimeErr("%v", err)
	}
	r, err := filepath.Rel(start, p)
	if err != nil {
		return nil, runtimeErr("%v", err)
	}
	return r, nil
}

// filterSplitext is os.path.splitext: [root, ext], ext from the last dot
// of the last part unless the part's leading dots are all it has before.
func filterSplitext(in any, _ call) (any, error) {
	s := pyStr(in)
	base := s[strings.LastIndexByte(s, '/')+1:]
	dot := strings.LastIndexByte(base, '.')
	if dot <= 0 || strings.Trim(base[:dot], ".") == "" {
		return []any{s, ""}, nil
	}
	cut := len(s) - len(base) + dot
	return []any{s[:cut], s[cut:]}, nil
}

var reShellVar = regexp.MustCompile(`\$(\w+|\{[^}]*\})`)

// filterExpandvars is os.path.expandvars with the controller's
// environment: $name and ${name} of set variables replaced, others kept.
func filterExpandvars(in any, _ call) (any, error) {
	return reShellVar.ReplaceAllStringFunc(pyStr(in), func(m string) string {
		name := strings.TrimSuffix(strings.TrimPrefix(m[1:], "{"), "}")
		if v, ok := os.LookupEnv(name); ok {
			return v
		}
		return m
	}), nil
}

func filterMD5(in any, _ call) (any, error) {
	s := md5.Sum([]byte(pyStr(in)))
	return hex.EncodeToString(s[:]), nil
}

func filterSHA1(in any, _ call) (any, error) {
	s := sha1.Sum([]byte(pyStr(in)))
	return hex.EncodeToString(s[:]), nil
}

// ansibleUUIDNamespace is Ansible's UUID_NAMESPACE_ANSIBLE.
const ansibleUUIDNamespace = "361E6D51-FAEC-444A-9079-341386DA8E2E"

// filterToUUID is to_uuid(namespace): a version 5 UUID of the text.
func filterToUUID(in any, c call) (any, error) {
	ns := pyStr(c.arg(0, "namespace", ansibleUUIDNamespace))
	raw, err := hex.DecodeString(strings.NewReplacer("-", "", "{", "", "}", "", "urn:uuid:", "").Replace(ns))
	if err != nil || len(raw) != 16 {
		return nil, runtimeErr("Invalid value '%s' for 'namespace': badly formed hexadecimal UUID string", ns)
	}
	h := sha1.New()
	h.Write(raw)
	h.Write([]byte(pyStr(in)))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:], nil
}

// floatArg is a number argument of a math filter, as Python's math takes it.
func floatArg(name string, v any) (float64, error) {
	f, ok := number(v)
	if !ok {
		return 0, runtimeErr("%s() can only be used on numbers: must be real number, not %s", name, typeName(v))
	}
	return f, nil
}

func filterLog(in any, c call) (any, error) {
	x, err := floatArg("log", in)
	if err != nil {
		return nil, err
	}
	base, err := floatArg("log", c.arg(0, "base", math.E))
	if err != nil {
		return nil, err
	}
	if x <= 0 || base <= 0 || base == 1 {
		return nil, runtimeErr("math domain error")
	}
	if base == 10 {
		return math.Log10(x), nil
	}
	return math.Log(x) / math.Log(base), nil
}

func filterPow(in any, c call) (any, error) {
	x, err := floatArg("pow", in)
	if err != nil {
		return nil, err
	}
	y, err := floatArg("pow", c.arg(0, "y", nil))
	if err != nil {
		return nil, err
	}
	r := math.Pow(x, y)
	if math.IsNaN(r) {
		return nil, runtimeErr("math domain error")
	}
	return r, nil
}

func filterRoot(in any, c call) (any, error) {
	x, err := floatArg("root", in)
	if err != nil {
		return nil, err
	}
	base, err := floatArg("root", c.arg(0, "base", 2))
	if err != nil {
		return nil, err
	}
	if x < 0 {
		return nil, runtimeErr("root() can only be used on numbers: math domain error")
	}
	if base == 2 {
		return math.Sqrt(x), nil
	}
	return math.Pow(x, 1/base), nil
}

// sizeRanges are Ansible's SIZE_RANGES, largest first.
var sizeRanges = []struct {
	suffix string
	limit  float64
}{{"Y", 1 << 80}, {"Z", 1 << 70}, {"E", 1 << 60}, {"P", 1 << 50}, {"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}}

// filterHumanReadable is human_readable(isbits=False, unit=None).
func filterHumanReadable(in any, c call) (any, error) {
	size, ok := number(in)
	if !ok {
		return nil, runtimeErr("human_readable() can't interpret following string: %s", pyStr(in))
	}
	base := "Bytes"
	if truthy(c.arg(0, "isbits", false)) {
		base = "bits"
	}
	unit, hasUnit := c.arg(1, "unit", nil).(string)
	suffix, limit := "", 1.0
	for _, r := range sizeRanges {
		suffix, limit = r.suffix, r.limit
		if (!hasUnit && size >= limit) || hasUnit && unit != "" && strings.ToUpper(unit)[0] == r.suffix[0] {
			break
		}
	}
	if limit != 1 {
		suffix += base[:1]
	} else {
		suffix = base
	}
	return fmt.Sprintf("%.2f %s", size/limit, suffix), nil
}

var reHumanSize = regexp.MustCompile(`^\s*(\d*\.?\d*)\s*([A-Za-z]+)?`)

// filterHumanToBytes is human_to_bytes(default_unit=None, isbits=False).
func filterHumanToBytes(in any, c call) (any, error) {
	s := pyStr(in)
	fail := func() (any, error) {
		return nil, runtimeErr("human_to_bytes() can't interpret following string: %s", s)
	}
	m := reHumanSize.FindStringSubmatch(s)
	num, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return fail()
	}
	unit := m[2]
	if unit == "" {
		if d, ok := c.arg(0, "default_unit", nil).(string); ok {
			unit = d
		}
	}
	if unit == "" {
		return int(math.RoundToEven(num)), nil
	}
	key := strings.ToUpper(unit[:1])
	limit := 0.0
	for _, r := range sizeRanges {
		if r.suffix == key {
			limit = r.limit
		}
	}
	if limit == 0 {
		return fail()
	}
	class, className := "B", "byte"
	if truthy(c.arg(1, "isbits", false)) {
		class, className = "b", "bit"
	}
	if len(unit) > 1 && !strings.Contains(strings.ToLower(unit), className) && unit[1:2] != class {
		return fail()
	}
	return int(math.RoundToEven(num * limit)), nil
}

func filterRekeyOnMember(in any, c call) (any, error) {
	key := pyStr(c.arg(0, "key", nil))
	dup := pyStr(c.arg(1, "duplicates", "error"))
	if dup != "error" && dup != "overwrite" {
		return nil, runtimeErr("duplicates parameter to rekey_on_member has unknown value: %s", dup)
	}
	var list []any
	switch x := in.(type) {
	case map[string]any, *omap.Map:
		m, _ := dictOf(x)
		for _, v := range m.All() {
			list = append(list, v)
		}
	case []any:
		list = x
	default:
		return nil, runtimeErr("Type is not a valid list, set, or dict")
	}
	out := omap.New(len(list))
	for _, item := range list {
		m, ok := dictOf(item)
		if !ok {
			return nil, runtimeErr("List item is not a valid dict")
		}
		v, ok := m.Get(key)
		if !ok {
			return nil, runtimeErr("Key %s was not found", key)
		}
		k := pyStr(v)
		if out.Has(k) && dup == "error" {
			return nil, runtimeErr("Key %s is not unique, cannot correctly turn into dict", k)
		}
		out.Set(k, item)
	}
	return out, nil
}

func filterSymmetricDifference(in any, c call) (any, error) {
	a, b, err := twoLists("symmetric_difference", in, c)
	if err != nil {
		return nil, err
	}
	both := []any{}
	for _, x := range a {
		if contains(b, x) {
			both = append(both, x)
		}
	}
	out := []any{}
	for _, x := range unique(append(append([]any{}, a...), b...)) {
		if !contains(both, x) {
			out = append(out, x)
		}
	}
	return out, nil
}

// iterables are the filter's input and its positional arguments, each
// as a list (Python iterates strings by character and dicts by key).
func iterables(name string, in any, c call) ([][]any, error) {
	var out [][]any
	for _, v := range append([]any{in}, c.args...) {
		s, ok := seq(v)
		if !ok {
			return nil, runtimeErr("'%s' object is not iterable (%s)", typeName(v), name)
		}
		out = append(out, s)
	}
	return out, nil
}

func filterZip(in any, c call) (any, error) {
	lists, err := iterables("zip", in, c)
	if err != nil {
		return nil, err
	}
	n := len(lists[0])
	for _, l := range lists {
		n = min(n, len(l))
	}
	out := make([]any, n)
	for i := range out {
		row := make([]any, len(lists))
		for j, l := range lists {
			row[j] = l[i]
		}
		out[i] = row
	}
	return out, nil
}

func filterZipLongest(in any, c call) (any, error) {
	lists, err := iterables("zip_longest", in, c)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, l := range lists {
		n = max(n, len(l))
	}
	fill := c.kw["fillvalue"]
	out := make([]any, n)
	for i := range out {
		row := make([]any, len(lists))
		for j, l := range lists {
			row[j] = fill
			if i < len(l) {
				row[j] = l[i]
			}
		}
		out[i] = row
	}
	return out, nil
}

func filterProduct(in any, c call) (any, error) {
	lists, err := iterables("product", in, c)
	if err != nil {
		return nil, err
	}
	repeat := 1
	if r, ok := c.kw["repeat"]; ok {
		if repeat, ok = asInt(r); !ok || repeat < 0 {
			return nil, runtimeErr("repeat argument cannot be negative")
		}
	}
	var pools [][]any
	for range repeat {
		pools = append(pools, lists...)
	}
	out := []any{[]any{}}
	for _, pool := range pools {
		var next []any
		for _, prefix := range out {
			for _, it := range pool {
				next = append(next, append(append([]any{}, prefix.([]any)...), it))
			}
		}
		out = next
	}
	if out == nil {
		out = []any{}
	}
	return out, nil
}

// choose calls emit with every r-length selection of indices below n:
// combinations (increasing indices) or permutations (distinct indices),
// in itertools' order.
func choose(n, r int, ordered bool, emit func([]int)) {
	idx := make([]int, 0, r)
	used := make([]bool, n)
	var rec func(start int)
	rec = func(start int) {
		if len(idx) == r {
			emit(idx)
			return
		}
		from := start
		if ordered {
			from = 0
		}
		for i := from; i < n; i++ {
			if used[i] {
				continue
			}
			used[i] = true
			idx = append(idx, i)
			rec(i + 1)
			idx = idx[:len(idx)-1]
			used[i] = false
		}
	}
	rec(0)
}

func selections(name string, in any, r any, ordered bool) (any, error) {
	pool, ok := seq(in)
	if !ok {
		return nil, runtimeErr("'%s' object is not iterable (%s)", typeName(in), name)
	}
	n := len(pool)
	if r != nil {
		var ok bool
		if n, ok = asInt(r); !ok || n < 0 {
			return nil, runtimeErr("r must be a non-negative integer")
		}
	}
	out := []any{}
	if n > len(pool) {
		return out, nil
	}
	choose(len(pool), n, ordered, func(idx []int) {
		row := make([]any, len(idx))
		for i, j := range idx {
			row[i] = pool[j]
		}
		out = append(out, row)
	})
	return out, nil
}

func filterCombinations(in any, c call) (any, error) {
	r := c.arg(0, "r", nil)
	if r == nil {
		return nil, runtimeErr("combinations() missing required argument 'r' (pos 2)")
	}
	return selections("combinations", in, r, false)
}

func filterPermutations(in any, c call) (any, error) {
	return selections("permutations", in, c.arg(0, "r", nil), true)
}

// filterSubelements is subelements(subelements, skip_missing=False):
// [element, subitem] pairs.
func filterSubelements(in any, c call) (any, error) {
	var elements []any
	switch x := in.(type) {
	case []any:
		elements = x
	case map[string]any, *omap.Map:
		m, _ := dictOf(x)
		for _, v := range m.All() {
			elements = append(elements, v)
		}
	default:
		return nil, runtimeErr("obj must be a list of dicts or a nested dict")
	}
	var path []string
	switch s := c.arg(0, "subelements", nil).(type) {
	case string:
		path = strings.Split(s, ".")
	case []any:
		for _, p := range s {
			path = append(path, pyStr(p))
		}
	default:
		return nil, runtimeErr("subelements must be a list or a string")
	}
	skip := truthy(c.arg(1, "skip_missing", false))
	out := []any{}
	for _, el := range elements {
		var values any = el
		missing := false
		for _, p := range path {
			m, ok := dictOf(values)
			var v any
			found := false
			if ok {
				v, found = m.Get(p)
			}
			if !ok || !found {
				if skip {
					missing = true
					break
				}
				return nil, runtimeErr("could not find %s key in iterated item %s", pyRepr(p), pyRepr(values))
			}
			values = v
		}
		if missing {
			continue
		}
		list, ok := values.([]any)
		if !ok {
			return nil, runtimeErr("the key %s should point to a list, got %s", pyRepr(path[len(path)-1]), pyRepr(values))
		}
		for _, v := range list {
			out = append(out, []any{el, v})
		}
	}
	return out, nil
}

// filterExtract is extract(container, morekeys=None): container[item]
// (then [key] for each of morekeys).
func filterExtract(in any, c call) (any, error) {
	keys := []any{in}
	switch m := c.arg(1, "morekeys", nil).(type) {
	case nil:
	case []any:
		keys = append(keys, m...)
	default:
		keys = append(keys, m)
	}
	v := c.arg(0, "container", nil)
	for _, k := range keys {
		next, err := index(v, k)
		if err != nil {
			return nil, err
		}
		v = next
	}
	return v, nil
}

// index is Jinja2's getitem on plain data; a missing key is undefined.
func index(v, k any) (any, error) {
	missing := func() (any, error) {
		return undefined{err: &Error{Kind: Undefined, Msg: fmt.Sprintf("%s has no element %s", typeName(v), pyRepr(k))}}, nil
	}
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x[pyStr(k)]; ok {
			return r, nil
		}
		return missing()
	case *omap.Map:
		if r, ok := x.Get(pyStr(k)); ok {
			return r, nil
		}
		return missing()
	case []any:
		i, ok := asInt(k)
		if i < 0 {
			i += len(x)
		}
		if !ok || i < 0 || i >= len(x) {
			return missing()
		}
		return x[i], nil
	}
	return missing()
}

func filterFileglob(in any, _ call) (any, error) {
	matches, err := filepath.Glob(pyStr(in))
	if err != nil {
		return nil, runtimeErr("%v", err)
	}
	out := []any{}
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
			out = append(out, m)
		}
	}
	return out, nil
}

func filterFromYAMLAll(in any, _ call) (any, error) {
	s, ok := in.(string)
	if !ok {
		return in, nil
	}
	dec := yaml.NewDecoder(strings.NewReader(s))
	out := []any{}
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if err.Error() == "EOF" {
				return out, nil
			}
			return nil, runtimeErr("from_yaml_all: %v", err)
		}
		v, err := yaml11(&n)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

func filterURLDecode(in any, _ call) (any, error) {
	s, err := url.QueryUnescape(pyStr(in))
	if err != nil {
		return pyStr(in), nil
	}
	return s, nil
}

// filterURLSplit is urlsplit(query): the parts of a URL as a dict, or
// one of them.
func filterURLSplit(in any, c call) (any, error) {
	s := pyStr(in)
	u, err := url.Parse(s)
	if err != nil {
		return nil, runtimeErr("%v", err)
	}
	var port any
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	var user, pass any
	if u.User != nil {
		user = u.User.Username()
		if p, ok := u.User.Password(); ok {
			pass = p
		}
	}
	var host any
	if h := u.Hostname(); h != "" {
		host = strings.ToLower(h)
	}
	netloc := u.Host
	if u.User != nil {
		netloc = u.User.String() + "@" + netloc
	}
	path := u.EscapedPath()
	if u.Opaque != "" {
		path = u.Opaque
	}
	parts := map[string]any{
		"scheme": u.Scheme, "netloc": netloc, "path": path, "query": u.RawQuery, "fragment": u.Fragment,
		"username": user, "password": pass, "hostname": host, "port": port,
	}
	q := pyStr(c.arg(0, "query", ""))
	if q == "" {
		return parts, nil
	}
	v, ok := parts[q]
	if !ok {
		return nil, runtimeErr("urlsplit: unknown URL component: %s", q)
	}
	return v, nil
}

// winSplitdrive is ntpath.splitdrive for drive letters and UNC shares.
func winSplitdrive(p string) (string, string) {
	norm := strings.ReplaceAll(p, "/", `\`)
	if strings.HasPrefix(norm, `\\`) && !strings.HasPrefix(norm, `\\\`) {
		i := strings.Index(norm[2:], `\`)
		if i < 0 {
			return "", p
		}
		j := strings.Index(norm[2+i+1:], `\`)
		if i == 0 || j == 0 {
			return "", p
		}
		if j < 0 {
			return p, ""
		}
		end := 2 + i + 1 + j
		return p[:end], p[end:]
	}
	if len(p) >= 2 && p[1] == ':' {
		return p[:2], p[2:]
	}
	return "", p
}

func winSplit(p string) (string, string) {
	drive, rest := winSplitdrive(p)
	i := strings.LastIndexAny(rest, `\/`) + 1
	head, tail := rest[:i], rest[i:]
	if trimmed := strings.TrimRight(head, `\/`); trimmed != "" {
		head = trimmed
	}
	return drive + head, tail
}

func filterWinBasename(in any, _ call) (any, error) { _, t := winSplit(pyStr(in)); return t, nil }

func filterWinDirname(in any, _ call) (any, error) { h, _ := winSplit(pyStr(in)); return h, nil }

func filterWinSplitdrive(in any, _ call) (any, error) {
	d, r := winSplitdrive(pyStr(in))
	return []any{d, r}, nil
}

// pyCompare orders two values as Python's < does for numbers, strings and
// lists of them; other pairs cannot be ordered.
func pyCompare(a, b any) (int, error) {
	if fa, ok := number(a); ok {
		if fb, ok := number(b); ok {
			return cmp.Compare(fa, fb), nil
		}
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case []any:
		if y, ok := b.([]any); ok {
			for i := 0; i < len(x) && i < len(y); i++ {
				if c, err := pyCompare(x[i], y[i]); err != nil || c != 0 {
					return c, err
				}
			}
			return cmp.Compare(len(x), len(y)), nil
		}
	}
	return 0, runtimeErr("'<' not supported between instances of '%s' and '%s'", typeName(a), typeName(b))
}

// filterDictsort is Jinja2's dictsort(case_sensitive=False, by='key',
// reverse=False): the [key, value] pairs sorted.
func filterDictsort(in any, c call) (any, error) {
	m, ok := dictOf(in)
	if !ok {
		return nil, runtimeErr("You can only sort by either 'key' or 'value'")
	}
	caseSensitive := truthy(c.arg(0, "case_sensitive", false))
	pos := 0
	switch by := pyStr(c.arg(1, "by", "key")); by {
	case "key":
	case "value":
		pos = 1
	default:
		return nil, runtimeErr("You can only sort by either 'key' or 'value'")
	}
	reverse := truthy(c.arg(2, "reverse", false))
	pairs := make([]any, 0, m.Len())
	for k, v := range m.All() {
		pairs = append(pairs, []any{k, v})
	}
	sortKey := func(p any) any {
		v := p.([]any)[pos]
		if s, ok := v.(string); ok && !caseSensitive {
			return strings.ToLower(s)
		}
		return v
	}
	var err error
	slices.SortStableFunc(pairs, func(a, b any) int {
		c, e := pyCompare(sortKey(a), sortKey(b))
		if e != nil && err == nil {
			err = e
		}
		if reverse {
			return -c
		}
		return c
	})
	if err != nil {
		return nil, err
	}
	return pairs, nil
}
