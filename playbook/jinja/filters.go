package jinja

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/exec"
	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/blake2s"

	"github.com/remotectl/remotectl/internal/omap"
)

// undefined is Jinja2's Undefined: the input of the filters that accept
// one (default, mandatory), and the output of those that give one (first
// of an empty list), which fails only when used.
type undefined struct{ err error }

// call is the arguments of one filter or test call.
type call struct {
	args []any
	kw   map[string]any
}

// arg returns the argument at position i or named name, or def.
func (c call) arg(i int, name string, def any) any {
	if i >= 0 && i < len(c.args) {
		return c.args[i]
	}
	if v, ok := c.kw[name]; ok {
		return v
	}
	return def
}

// filterFunc is a filter over Go data.
type filterFunc func(in any, c call) (any, error)

// adapt makes f a gonja filter. An undefined input is passed on as an
// error unless takesUndefined, then f sees an undefined.
func adapt(f filterFunc, takesUndefined bool) exec.FilterFunction {
	return func(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		var x any
		if u, ok := in.Interface().(undefined); ok {
			if !takesUndefined {
				return exec.AsValue(u.err)
			}
			x = u
		} else if in.IsError() {
			if !takesUndefined || !isUndefined(in) {
				return in
			}
			x = undefined{err: in.Interface().(error)}
		} else {
			g, err := toGo(in)
			if err != nil {
				return exec.AsValue(err)
			}
			x = g
		}
		c, err := goArgs(params)
		if err != nil {
			return exec.AsValue(err)
		}
		if !takesUndefined {
			for _, a := range c.args {
				if u, ok := a.(undefined); ok {
					return exec.AsValue(u.err)
				}
			}
		}
		out, err := f(x, c)
		if err != nil {
			return exec.AsValue(err)
		}
		return exec.AsValue(toGonja(out))
	}
}

func goArgs(params *exec.VarArgs) (call, error) {
	c := call{kw: map[string]any{}}
	for _, a := range params.Args {
		if u, ok := a.Interface().(undefined); ok {
			c.args = append(c.args, u)
			continue
		}
		g, err := toGo(a)
		if err != nil {
			return c, err
		}
		c.args = append(c.args, g)
	}
	for k, a := range params.KwArgs {
		g, err := toGo(a)
		if err != nil {
			return c, err
		}
		c.kw[k] = g
	}
	return c, nil
}

func runtimeErr(format string, a ...any) error {
	return &Error{Kind: Runtime, Msg: fmt.Sprintf(format, a...)}
}

// ansibleFilters are the filters Ansible adds to Jinja2's, and those of
// Jinja2 whose gonja version differs from Python's.
func ansibleFilters() map[string]exec.FilterFunction {
	own := map[string]filterFunc{
		"bool": filterBool, "int": filterInt, "float": filterFloat, "string": filterString,
		"split": filterSplit, "regex_replace": filterRegexReplace, "regex_search": filterRegexSearch,
		"regex_findall": filterRegexFindall, "unique": filterUnique, "union": filterUnion,
		"difference": filterDifference, "intersect": filterIntersect, "flatten": filterFlatten,
		"dict2items": filterDict2Items, "items2dict": filterItems2Dict, "combine": filterCombine,
		"to_json": filterToJSON, "to_nice_json": filterToNiceJSON, "from_json": filterFromJSON,
		"to_yaml": filterToYAML, "to_nice_yaml": filterToNiceYAML, "from_yaml": filterFromYAML,
		"b64encode": filterB64Encode, "b64decode": filterB64Decode, "basename": filterBasename,
		"dirname": filterDirname, "expanduser": filterExpanduser, "quote": filterQuote,
		"password_hash": filterPasswordHash, "hash": filterHash,
		"checksum": filterChecksum, "length": filterLength, "count": filterLength,
		"first": filterFirst, "last": filterLast, "lower": filterLower, "upper": filterUpper,
		"trim": filterTrim, "replace": filterReplace, "join": filterJoin, "reverse": filterReverse,
	}
	own["format"] = func(in any, c call) (any, error) { return percentFormat(pyStr(in), c.args) }
	out := map[string]exec.FilterFunction{}
	for name, f := range own {
		out[name] = adapt(f, false)
	}
	for name, f := range moreFilters() {
		out[name] = adapt(f, false)
	}
	for name, f := range opFilters() {
		out[name] = adapt(f, false)
	}
	out[undefinedOK] = adapt(func(in any, _ call) (any, error) { return in, nil }, true)
	out["default"] = adapt(filterDefault, true)
	out["d"] = out["default"]
	out["mandatory"] = adapt(filterMandatory, true)
	out["ternary"] = adapt(filterTernary, true)
	out["map"] = filterMap
	out["select"] = filterSelect
	out["reject"] = filterReject
	out["selectattr"] = filterSelectAttr
	out["rejectattr"] = filterRejectAttr
	return out
}

func filterDefault(in any, c call) (any, error) {
	def := c.arg(0, "default_value", "")
	if _, ok := in.(undefined); ok {
		return def, nil
	}
	if truthy(c.arg(1, "boolean", false)) && !truthy(in) {
		return def, nil
	}
	return in, nil
}

func filterMandatory(in any, c call) (any, error) {
	if u, ok := in.(undefined); ok {
		if msg, ok := c.arg(0, "msg", nil).(string); ok {
			return nil, runtimeErr("%s", msg)
		}
		var e *Error
		if asError(u.err, &e) && e.Name != "" {
			return nil, &Error{Kind: Undefined, Name: e.Name, Msg: fmt.Sprintf("Mandatory variable '%s' not defined.", e.Name)}
		}
		return nil, &Error{Kind: Undefined, Msg: "Mandatory variable not defined."}
	}
	return in, nil
}

// toBool is Ansible's bool filter: yes/on/1/true (any case) and 1 are
// true, None and bools are themselves, everything else is false.
func toBool(v any) any {
	switch x := v.(type) {
	case nil, bool:
		return x
	case string:
		switch strings.ToLower(x) {
		case "yes", "on", "1", "true":
			return true
		}
	case int:
		return x == 1
	case float64:
		return x == 1
	}
	return false
}

func filterBool(in any, _ call) (any, error) { return toBool(in), nil }

// pyInt is Python's int() of a string in base.
func pyInt(s string, base int) (int, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "__") || strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") {
		return 0, false
	}
	s = strings.ReplaceAll(s, "_", "")
	if base == 0 {
		n, err := strconv.ParseInt(s, 0, 64)
		return int(n), err == nil
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	if base == 16 {
		s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	}
	if base == 8 {
		s = strings.TrimPrefix(strings.TrimPrefix(s, "0o"), "0O")
	}
	if base == 2 {
		s = strings.TrimPrefix(strings.TrimPrefix(s, "0b"), "0B")
	}
	n, err := strconv.ParseInt(s, base, 64)
	if neg {
		n = -n
	}
	return int(n), err == nil
}

// pyFloatOf is Python's float() of a string.
func pyFloatOf(s string) (float64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch strings.TrimLeft(s, "+-") {
	case "inf", "infinity", "nan":
	default:
		if strings.ContainsAny(s, "xpn") {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	return f, err == nil
}

// filterInt is Jinja2's int(default=0, base=10).
func filterInt(in any, c call) (any, error) {
	def := c.arg(0, "default", 0)
	base, _ := c.arg(1, "base", 10).(int)
	switch x := in.(type) {
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case int:
		return x, nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return def, nil
		}
		return int(x), nil
	case string:
		if n, ok := pyInt(x, base); ok {
			return n, nil
		}
		if f, ok := pyFloatOf(x); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return int(f), nil
		}
	}
	return def, nil
}

// filterFloat is Jinja2's float(default=0.0).
func filterFloat(in any, c call) (any, error) {
	switch x := in.(type) {
	case bool:
		if x {
			return 1.0, nil
		}
		return 0.0, nil
	case int:
		return float64(x), nil
	case float64:
		return x, nil
	case string:
		if f, ok := pyFloatOf(x); ok {
			return f, nil
		}
	}
	return c.arg(0, "default", 0.0), nil
}

func filterString(in any, _ call) (any, error) { return pyStr(in), nil }

// filterSplit is Python's str.split(sep=None, maxsplit=-1).
func filterSplit(in any, c call) (any, error) {
	s, ok := in.(string)
	if !ok {
		return nil, runtimeErr("split expects a string, got %s", typeName(in))
	}
	max := -1
	if m, ok := c.arg(1, "maxsplit", -1).(int); ok {
		max = m
	}
	var parts []string
	switch sep := c.arg(0, "sep", nil).(type) {
	case nil:
		parts = whitespaceSplit(s, max)
	case string:
		if sep == "" {
			return nil, runtimeErr("empty separator")
		}
		n := -1
		if max >= 0 {
			n = max + 1
		}
		parts = strings.SplitN(s, sep, n)
	default:
		return nil, runtimeErr("split: separator must be a string")
	}
	return strList(parts), nil
}

func whitespaceSplit(s string, max int) []string {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t\n\r\v\f")
		if s == "" {
			return out
		}
		if max >= 0 && len(out) == max {
			return append(out, strings.TrimRight(s, " \t\n\r\v\f"))
		}
		i := strings.IndexAny(s, " \t\n\r\v\f")
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
}

func strList(parts []string) []any {
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any, *omap.Map:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// seq returns v as a list: lists as is, strings as their characters,
// dicts as their keys.
func seq(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case string:
		out := []any{}
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, true
	case map[string]any, *omap.Map:
		m, _ := dictOf(x)
		return strList(m.Keys()), true
	}
	return nil, false
}

func filterLength(in any, _ call) (any, error) {
	switch x := in.(type) {
	case string:
		return utf8.RuneCountInString(x), nil
	case []any:
		return len(x), nil
	case map[string]any:
		return len(x), nil
	case *omap.Map:
		return x.Len(), nil
	}
	return nil, runtimeErr("object of type '%s' has no len()", typeName(in))
}

func filterFirst(in any, _ call) (any, error) {
	s, ok := seq(in)
	if !ok {
		return nil, runtimeErr("'%s' object is not iterable", typeName(in))
	}
	if len(s) == 0 {
		return undefined{err: &Error{Kind: Undefined, Msg: "No first item, sequence was empty."}}, nil
	}
	return s[0], nil
}

func filterLast(in any, _ call) (any, error) {
	s, ok := seq(in)
	if !ok {
		return nil, runtimeErr("'%s' object is not iterable", typeName(in))
	}
	if len(s) == 0 {
		return undefined{err: &Error{Kind: Undefined, Msg: "No last item, sequence was empty."}}, nil
	}
	return s[len(s)-1], nil
}

func filterReverse(in any, _ call) (any, error) {
	s, ok := seq(in)
	if !ok {
		return nil, runtimeErr("argument to reverse() must be a sequence")
	}
	out := make([]any, len(s))
	for i, x := range s {
		out[len(s)-1-i] = x
	}
	if _, isStr := in.(string); isStr {
		var b strings.Builder
		for _, r := range out {
			b.WriteString(r.(string))
		}
		return b.String(), nil
	}
	return out, nil
}

func filterLower(in any, _ call) (any, error) { return strings.ToLower(pyStr(in)), nil }

func filterUpper(in any, _ call) (any, error) { return strings.ToUpper(pyStr(in)), nil }

func filterTrim(in any, c call) (any, error) {
	if chars, ok := c.arg(0, "chars", nil).(string); ok {
		return strings.Trim(pyStr(in), chars), nil
	}
	return strings.TrimSpace(pyStr(in)), nil
}

func filterReplace(in any, c call) (any, error) {
	old, ok1 := c.arg(0, "old", nil).(string)
	repl, ok2 := c.arg(1, "new", nil).(string)
	if !ok1 || !ok2 {
		return nil, runtimeErr("replace expects two strings")
	}
	n := -1
	if cnt, ok := c.arg(2, "count", nil).(int); ok {
		n = cnt
	}
	return strings.Replace(pyStr(in), old, repl, n), nil
}

func filterJoin(in any, c call) (any, error) {
	s, ok := seq(in)
	if !ok {
		return nil, runtimeErr("join expects a list, got %s", typeName(in))
	}
	sep := pyStr(c.arg(0, "d", ""))
	attr, _ := c.arg(1, "attribute", nil).(string)
	parts := make([]string, len(s))
	for i, item := range s {
		if attr != "" {
			v, err := attribute(item, attr)
			if err != nil {
				return nil, err
			}
			item = v
		}
		parts[i] = pyStr(item)
	}
	return strings.Join(parts, sep), nil
}

// attribute is Jinja2's attribute lookup with dots ("a.b", "0").
func attribute(v any, attr string) (any, error) {
	for _, part := range strings.Split(attr, ".") {
		switch x := v.(type) {
		case map[string]any, *omap.Map:
			m, _ := dictOf(x)
			item, ok := m.Get(part)
			if !ok {
				return nil, &Error{Kind: Undefined, Name: part, Msg: fmt.Sprintf("'dict object' has no attribute '%s'", part)}
			}
			v = item
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil, &Error{Kind: Undefined, Name: part, Msg: fmt.Sprintf("'list object' has no attribute '%s'", part)}
			}
			v = x[i]
		default:
			return nil, &Error{Kind: Undefined, Name: part, Msg: fmt.Sprintf("'%s object' has no attribute '%s'", typeName(v), part)}
		}
	}
	return v, nil
}

// pyEqual is Python's == on plain data (1 == 1.0 == True).
func pyEqual(a, b any) bool {
	fa, aNum := number(a)
	fb, bNum := number(b)
	if aNum && bNum {
		return fa == fb
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !pyEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any, *omap.Map:
		xm, _ := dictOf(x)
		ym, ok := dictOf(b)
		if !ok || xm.Len() != ym.Len() {
			return false
		}
		for k, v := range xm.All() {
			w, ok := ym.Get(k)
			if !ok || !pyEqual(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func contains(list []any, v any) bool {
	for _, x := range list {
		if pyEqual(x, v) {
			return true
		}
	}
	return false
}

// unique keeps the first of equal items, in order.
func unique(list []any) []any {
	out := []any{}
	for _, x := range list {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func twoLists(name string, a any, c call) ([]any, []any, error) {
	x, ok1 := seq(a)
	y, ok2 := seq(c.arg(0, "b", nil))
	if !ok1 || !ok2 {
		return nil, nil, runtimeErr("%s expects two lists", name)
	}
	return x, y, nil
}

// filterUnique is Ansible's unique(case_sensitive=None, attribute=None):
// Jinja2's, which ignores the case of strings unless told not to.
func filterUnique(in any, c call) (any, error) {
	s, ok := seq(in)
	if !ok {
		return nil, runtimeErr("unique expects a list, got %s", typeName(in))
	}
	attr, _ := c.arg(1, "attribute", nil).(string)
	caseSensitive := truthy(c.arg(0, "case_sensitive", false))
	out, seen := []any{}, []any{}
	for _, item := range s {
		v := item
		if attr != "" {
			a, err := attribute(item, attr)
			if err != nil {
				return nil, err
			}
			v = a
		}
		if str, ok := v.(string); ok && !caseSensitive {
			v = strings.ToLower(str)
		}
		if !contains(seen, v) {
			seen = append(seen, v)
			out = append(out, item)
		}
	}
	return out, nil
}

func filterUnion(in any, c call) (any, error) {
	a, b, err := twoLists("union", in, c)
	if err != nil {
		return nil, err
	}
	return unique(append(append([]any{}, a...), b...)), nil
}

func filterDifference(in any, c call) (any, error) {
	a, b, err := twoLists("difference", in, c)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, x := range a {
		if !contains(b, x) {
			out = append(out, x)
		}
	}
	return unique(out), nil
}

func filterIntersect(in any, c call) (any, error) {
	a, b, err := twoLists("intersect", in, c)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, x := range a {
		if contains(b, x) {
			out = append(out, x)
		}
	}
	return unique(out), nil
}

// filterFlatten is Ansible's flatten(levels=None, skip_nulls=True).
func filterFlatten(in any, c call) (any, error) {
	list, ok := in.([]any)
	if !ok {
		return nil, runtimeErr("flatten expects a list, got %s", typeName(in))
	}
	levels := -1
	if l, ok := c.arg(0, "levels", nil).(int); ok {
		levels = l
	}
	return flatten(list, levels, truthy(c.arg(1, "skip_nulls", true))), nil
}

func flatten(list []any, levels int, skipNulls bool) []any {
	out := []any{}
	for _, item := range list {
		if skipNulls && (item == nil || item == "None" || item == "null") {
			continue
		}
		sub, isList := item.([]any)
		switch {
		case isList && levels < 0:
			out = append(out, flatten(sub, -1, skipNulls)...)
		case isList && levels >= 1:
			out = append(out, flatten(sub, levels-1, skipNulls)...)
		default:
			out = append(out, item)
		}
	}
	return out
}

func filterDict2Items(in any, c call) (any, error) {
	m, ok := dictOf(in)
	if !ok {
		return nil, runtimeErr("dict2items requires a dictionary, got %s instead.", typeName(in))
	}
	kn := pyStr(c.arg(0, "key_name", "key"))
	vn := pyStr(c.arg(1, "value_name", "value"))
	out := []any{}
	for k, v := range m.All() {
		item := omap.New(2)
		item.Set(kn, k)
		item.Set(vn, v)
		out = append(out, item)
	}
	return out, nil
}

func filterItems2Dict(in any, c call) (any, error) {
	list, ok := in.([]any)
	if !ok {
		return nil, runtimeErr("items2dict requires a list, got %s instead.", typeName(in))
	}
	kn := pyStr(c.arg(0, "key_name", "key"))
	vn := pyStr(c.arg(1, "value_name", "value"))
	out := omap.New(len(list))
	for _, item := range list {
		m, ok := dictOf(item)
		if !ok {
			return nil, runtimeErr("items2dict requires a list of dictionaries, got %s", typeName(item))
		}
		k, ok1 := m.Get(kn)
		v, ok2 := m.Get(vn)
		if !ok1 || !ok2 {
			return nil, runtimeErr("items2dict requires each dictionary in the list to contain the keys '%s' and '%s'", kn, vn)
		}
		out.Set(pyStr(k), v)
	}
	return out, nil
}

// filterCombine is Ansible's combine(*dicts, recursive=False,
// list_merge='replace').
func filterCombine(in any, c call) (any, error) {
	dicts := []any{in}
	for _, a := range c.args {
		if l, ok := a.([]any); ok {
			dicts = append(dicts, l...)
		} else {
			dicts = append(dicts, a)
		}
	}
	if l, ok := in.([]any); ok {
		dicts = append(append([]any{}, l...), dicts[1:]...)
	}
	recursive := truthy(c.kw["recursive"])
	listMerge := "replace"
	if lm, ok := c.kw["list_merge"].(string); ok {
		listMerge = lm
	}
	switch listMerge {
	case "replace", "keep", "append", "prepend", "append_rp", "prepend_rp":
	default:
		return nil, runtimeErr("combine: list_merge must be one of replace, keep, append, prepend, append_rp, prepend_rp")
	}
	out := omap.New(0)
	for _, d := range dicts {
		m, ok := dictOf(d)
		if !ok {
			return nil, runtimeErr("failed to combine variables, expected dicts but got a '%s'", typeName(d))
		}
		out = merge(out, m, recursive, listMerge)
	}
	return out, nil
}

// merge is Ansible's merge_hash: x's keys in their order, then y's new
// ones (Python's dict update); when x is empty or equal to y, a copy of y.
func merge(x, y *omap.Map, recursive bool, listMerge string) *omap.Map {
	if x.Len() == 0 || pyEqual(x, y) {
		return y.Clone()
	}
	out := x.Clone()
	for k, yv := range y.All() {
		xv, ok := out.Get(k)
		if !ok {
			out.Set(k, yv)
			continue
		}
		xm, xIsMap := dictOf(xv)
		ym, yIsMap := dictOf(yv)
		if xIsMap && yIsMap && recursive {
			out.Set(k, merge(xm, ym, recursive, listMerge))
			continue
		}
		xl, xIsList := xv.([]any)
		yl, yIsList := yv.([]any)
		if xIsList && yIsList {
			out.Set(k, mergeLists(xl, yl, listMerge))
			continue
		}
		out.Set(k, yv)
	}
	return out
}

func mergeLists(x, y []any, mode string) []any {
	without := func(a, b []any) []any {
		out := []any{}
		for _, v := range a {
			if !contains(b, v) {
				out = append(out, v)
			}
		}
		return out
	}
	switch mode {
	case "keep":
		return x
	case "append":
		return append(append([]any{}, x...), y...)
	case "prepend":
		return append(append([]any{}, y...), x...)
	case "append_rp":
		return append(without(x, y), y...)
	case "prepend_rp":
		return append(append([]any{}, y...), without(x, y)...)
	}
	return y
}

func filterB64Encode(in any, _ call) (any, error) {
	return base64.StdEncoding.EncodeToString([]byte(pyStr(in))), nil
}

func filterB64Decode(in any, _ call) (any, error) {
	s := pyStr(in)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, runtimeErr("b64decode: Incorrect padding or invalid base64: %v", err)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

// filterBasename is Python's os.path.basename: "/a/b/" gives "".
func filterBasename(in any, _ call) (any, error) {
	s := pyStr(in)
	return s[strings.LastIndex(s, "/")+1:], nil
}

// filterDirname is Python's os.path.dirname: "/a/b/" gives "/a/b".
func filterDirname(in any, _ call) (any, error) {
	s := pyStr(in)
	i := strings.LastIndex(s, "/")
	if i < 0 {
		return "", nil
	}
	head := s[:i+1]
	if strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head, nil
}

// filterExpanduser is Python's os.path.expanduser for "~" and "~/…"
// (the controller's home directory); "~user" is left as is.
func filterExpanduser(in any, _ call) (any, error) {
	s := pyStr(in)
	if s != "~" && !strings.HasPrefix(s, "~/") {
		return s, nil
	}
	home := os.Getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return s, nil
		}
		home = h
	}
	if home != "/" {
		home = strings.TrimRight(home, "/")
	}
	return home + s[1:], nil
}

var unsafeShell = regexp.MustCompile(`[^\w@%+=:,./-]`)

// filterQuote is Python's shlex.quote.
func filterQuote(in any, _ call) (any, error) {
	s := ""
	if in != nil {
		s = pyStr(in)
	}
	if s == "" {
		return "''", nil
	}
	if !unsafeShell.MatchString(s) && isASCII(s) {
		return s, nil
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'", nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// filterTernary is Ansible's ternary(true_val, false_val, none_val=None).
func filterTernary(in any, c call) (any, error) {
	if u, ok := in.(undefined); ok {
		return nil, u.err
	}
	if none := c.arg(2, "none_val", nil); none != nil && in == nil {
		return none, nil
	}
	if truthy(in) {
		return c.arg(0, "true_val", nil), nil
	}
	return c.arg(1, "false_val", nil), nil
}

var hashes = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha224": sha256.New224, "sha256": sha256.New,
	"sha384": sha512.New384, "sha512": sha512.New,
	"sha3_224": func() hash.Hash { return sha3.New224() }, "sha3_256": func() hash.Hash { return sha3.New256() },
	"sha3_384": func() hash.Hash { return sha3.New384() }, "sha3_512": func() hash.Hash { return sha3.New512() },
	"blake2b": func() hash.Hash { h, _ := blake2b.New512(nil); return h },
	"blake2s": func() hash.Hash { h, _ := blake2s.New256(nil); return h },
}

// filterHash is Ansible's hash(hashtype='sha1').
func filterHash(in any, c call) (any, error) {
	name := pyStr(c.arg(0, "hashtype", "sha1"))
	h, ok := hashes[name]
	if !ok {
		return nil, unsupported("hash type %q (it has md5, sha1, sha224 to sha512, sha3_224 to sha3_512, blake2b, blake2s)", name)
	}
	sum := h()
	sum.Write([]byte(pyStr(in)))
	return hex.EncodeToString(sum.Sum(nil)), nil
}

// filterChecksum is Ansible's checksum: the SHA-1 of the text.
func filterChecksum(in any, _ call) (any, error) {
	return filterHash(in, call{args: []any{"sha1"}})
}

// filterPasswordHash is Ansible's password_hash for sha512 (and sha256)
// crypt; the salt is random unless given.
func filterPasswordHash(in any, c call) (any, error) {
	scheme := pyStr(c.arg(0, "hashtype", "sha512"))
	var id string
	saltSize := 16
	switch scheme {
	case "sha512", "sha512_crypt":
		id = "6"
	case "sha256", "sha256_crypt":
		id = "5"
	case "md5", "md5_crypt":
		id, saltSize = "1", 8
	default:
		return nil, unsupported("password_hash type %q (it has sha512, sha256, md5)", scheme)
	}
	salt, _ := c.arg(1, "salt", nil).(string)
	if salt == "" {
		s, err := randomSalt(saltSize)
		if err != nil {
			return nil, err
		}
		salt = s
	}
	if strings.Trim(salt, cryptAlphabet) != "" {
		return nil, runtimeErr("invalid characters in salt")
	}
	if id == "1" {
		return md5Crypt(pyStr(in), salt), nil
	}
	rounds := 0
	if r, ok := c.arg(3, "rounds", nil).(int); ok {
		rounds = r
	}
	return shaCrypt(id, pyStr(in), salt, rounds), nil
}
