package jinja

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/remotectl/remotectl/internal/omap"
)

// toGo converts a gonja value into plain Go data: nil, bool, int,
// float64, string, []any, and a dict as *omap.Map in its order (a Go map
// gonja holds as map[string]any), keys as Python's str of them.
func toGo(v *exec.Value) (any, error) {
	switch {
	case v == nil || v.IsNil():
		return nil, nil
	case v.IsError():
		return nil, v.Interface().(error)
	}
	if u, ok := v.Interface().(undefined); ok {
		return nil, u.err
	}
	switch {
	case v.IsBool():
		return v.Bool(), nil
	case v.IsInteger():
		return v.Integer(), nil
	case v.IsFloat():
		return v.Float(), nil
	case v.IsString():
		return v.String(), nil
	case v.IsList():
		out := []any{}
		var err error
		v.Iterate(func(_, _ int, item, _ *exec.Value) bool {
			var g any
			g, err = toGo(item)
			out = append(out, g)
			return err == nil
		}, func() {})
		return out, err
	case v.IsDict():
		return dictToGo(v)
	}
	if ch, ok := v.Interface().(<-chan int); ok {
		out := []any{}
		for i := range ch {
			out = append(out, i)
		}
		return out, nil
	}
	rv := reflect.ValueOf(v.Interface())
	if rv.Kind() == reflect.Chan {
		out := []any{}
		for {
			x, ok := rv.Recv()
			if !ok {
				return out, nil
			}
			g, err := toGo(exec.ToValue(x))
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
	}
	return nil, fmt.Errorf("cannot use a value of Go type %T", v.Interface())
}

// dictToGo converts a gonja dict: a Go map (no order) to a map[string]any,
// an exec.Dict (a dict literal, or a *omap.Map given to gonja) to a
// *omap.Map in its order.
func dictToGo(v *exec.Value) (any, error) {
	var set func(k string, g any)
	var out any
	switch v.Interface().(type) {
	case *exec.Dict, exec.Dict:
		m := omap.New(v.Len())
		set, out = m.Set, m
	default:
		m := map[string]any{}
		set, out = func(k string, g any) { m[k] = g }, m
	}
	var err error
	v.Iterate(func(_, _ int, key, item *exec.Value) bool {
		var g any
		g, err = toGo(item)
		set(pyStr(keyOf(key)), g)
		return err == nil
	}, func() {})
	return out, err
}

// toGonja gives gonja a normalized value: a *omap.Map becomes an
// exec.Dict, whose order gonja keeps when it iterates (for loops, Keys,
// length, in); an empty one becomes an empty map, which gonja, unlike an
// empty exec.Dict, knows to be false. Plain maps stay maps (gonja sorts
// their keys). Lists and maps are copied only when they hold a *omap.Map.
func toGonja(v any) any {
	switch x := v.(type) {
	case *omap.Map:
		if x.Len() == 0 {
			return map[string]any{}
		}
		d := &exec.Dict{Pairs: make([]*exec.Pair, 0, x.Len())}
		for k, item := range x.All() {
			d.Pairs = append(d.Pairs, &exec.Pair{Key: exec.AsValue(k), Value: exec.AsValue(toGonja(item))})
		}
		return d
	case []any:
		if !omap.Holds(x) {
			return x
		}
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = toGonja(item)
		}
		return out
	case map[string]any:
		if !omap.Holds(x) {
			return x
		}
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[k] = toGonja(item)
		}
		return out
	}
	return v
}

// dictOf returns v as an ordered mapping when it is a dict: a *omap.Map
// itself, a plain map with its keys sorted.
func dictOf(v any) (*omap.Map, bool) { return omap.As(v) }

func keyOf(k *exec.Value) any {
	g, err := toGo(k)
	if err != nil {
		return k.String()
	}
	return g
}

// Unsafe is a string that is never templated, as Ansible's AnsibleUnsafe:
// callers wrap data from hosts (facts, registered results) in it so that a
// "{{" in a command's output stays text.
type Unsafe string

// Raw is a dict whose values are never templated when a template reads
// it: Ansible's vars magic variable, a copy of the variables a task sees
// (vars['x'] is x as written, "{{ y }}" and all).
type Raw map[string]any

// normalize converts Go data given by callers (int64, []string,
// map[string]string, ...) into the forms the filters work on.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, bool, int, float64, string:
		return x
	case Unsafe:
		return string(x)
	case Raw:
		return normalize(map[string]any(x))
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = normalize(item)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[k] = normalize(item)
		}
		return out
	case *omap.Map:
		out := omap.New(x.Len())
		for k, item := range x.All() {
			out.Set(k, normalize(item))
		}
		return out
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int(rv.Uint())
	case reflect.Float32:
		return rv.Float()
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = normalize(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		for _, k := range rv.MapKeys() {
			out[pyStr(normalize(k.Interface()))] = normalize(rv.MapIndex(k).Interface())
		}
		return out
	}
	return v
}

// truthy is Python's bool().
func truthy(v any) bool {
	switch x := normalize(v).(type) {
	case nil:
		return false
	case bool:
		return x
	case int:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	case *omap.Map:
		return x.Len() > 0
	}
	return true
}

// sortedKeys returns the keys of m in order (Go maps keep none; remotectl
// orders dict keys by name where Python would keep insertion order).
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pyStr is Python's str().
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}

// pyRepr is Python's repr().
func pyRepr(v any) string {
	switch x := normalize(v).(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case float64:
		return pyFloat(x)
	case string:
		return pyQuote(x)
	case []any:
		parts := make([]string, len(x))
		for i, item := range x {
			parts[i] = pyRepr(item)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any, *omap.Map:
		m, _ := dictOf(x)
		parts := make([]string, 0, m.Len())
		for k, item := range m.All() {
			parts = append(parts, pyQuote(k)+": "+pyRepr(item))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// pyFloat is Python's repr of a float.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	exp := 0
	if f != 0 {
		exp = int(math.Floor(math.Log10(math.Abs(f))))
	}
	if exp < -4 || exp >= 16 {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		mant, e, _ := strings.Cut(s, "e")
		sign := e[0]
		digits := strings.TrimLeft(e[1:], "0")
		if len(digits) < 2 {
			digits = fmt.Sprintf("%02s", digits)
		}
		return mant + "e" + string(sign) + digits
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// pyQuote is Python's repr of a str.
func pyQuote(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// parseLiteral is Python's ast.literal_eval for the literals Ansible's
// templating reads back: str, int, float, bool, None, list, tuple, dict.
func parseLiteral(s string) (any, bool) {
	p := &litParser{s: s}
	v, ok := p.value()
	if !ok {
		return nil, false
	}
	p.space()
	return v, p.i == len(p.s)
}

type litParser struct {
	s string
	i int
}

func (p *litParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\n\r", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *litParser) peek() byte {
	p.space()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *litParser) value() (any, bool) {
	switch c := p.peek(); {
	case c == '[':
		p.i++
		items, ok := p.items(']')
		return items, ok
	case c == '(':
		p.i++
		items, ok := p.items(')')
		return items, ok
	case c == '{':
		p.i++
		return p.dict()
	case c == '\'' || c == '"':
		var b strings.Builder
		for c := p.peek(); c == '\'' || c == '"'; c = p.peek() {
			s, ok := p.str()
			if !ok {
				return nil, false
			}
			b.WriteString(s)
		}
		return b.String(), true
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	}
	// Ansible reads JSON's true, false and null too.
	for word, v := range map[string]any{"True": true, "False": false, "None": nil, "true": true, "false": false, "null": nil} {
		if strings.HasPrefix(p.s[p.i:], word) && !p.identAt(p.i+len(word)) {
			p.i += len(word)
			return v, true
		}
	}
	return nil, false
}

func (p *litParser) identAt(i int) bool {
	if i >= len(p.s) {
		return false
	}
	c := p.s[i]
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *litParser) items(end byte) ([]any, bool) {
	out := []any{}
	for {
		if p.peek() == end {
			p.i++
			return out, true
		}
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		switch p.peek() {
		case ',':
			p.i++
		case end:
		default:
			return nil, false
		}
	}
}

func (p *litParser) dict() (any, bool) {
	out := omap.New(0)
	for {
		if p.peek() == '}' {
			p.i++
			return out, true
		}
		k, ok := p.value()
		if !ok || p.peek() != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		switch k.(type) {
		case []any, map[string]any, *omap.Map:
			return nil, false
		}
		out.Set(pyStr(k), v)
		switch p.peek() {
		case ',':
			p.i++
		case '}':
		default:
			return nil, false
		}
	}
}

func (p *litParser) str() (string, bool) {
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), true
		case c == '\n':
			return "", false
		case c == '\\' && p.i+1 < len(p.s):
			p.i++
			e := p.s[p.i]
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '\'', '"':
				b.WriteByte(e)
			case '\n':
			case 'x', 'u', 'U':
				n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
				if p.i+n >= len(p.s) {
					return "", false
				}
				r, err := strconv.ParseUint(p.s[p.i+1:p.i+1+n], 16, 32)
				if err != nil {
					return "", false
				}
				b.WriteRune(rune(r))
				p.i += n
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			p.i++
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", false
}

func (p *litParser) number() (any, bool) {
	start := p.i
	neg := false
	for p.i < len(p.s) && (p.s[p.i] == '-' || p.s[p.i] == '+') {
		if p.s[p.i] == '-' {
			neg = !neg
		}
		p.i++
		p.space()
	}
	j := p.i
	for j < len(p.s) && (p.identAt(j) || p.s[j] == '.' || (p.s[j] == '-' || p.s[j] == '+') && (p.s[j-1] == 'e' || p.s[j-1] == 'E')) {
		j++
	}
	lit := strings.ReplaceAll(p.s[p.i:j], "_", "")
	p.i = j
	if lit == "" {
		p.i = start
		return nil, false
	}
	if n, err := strconv.ParseInt(lit, 0, 64); err == nil && (len(lit) == 1 || lit[0] != '0' || !isDigits(lit[1:])) {
		if neg {
			n = -n
		}
		return int(n), true
	}
	if strings.ContainsAny(lit, "xXoObB") {
		return nil, false
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || strings.ContainsAny(lit, "nN") {
		return nil, false
	}
	if neg {
		f = -f
	}
	return f, true
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// String is Python's str() of a value rendered or evaluated by an Engine,
// as Ansible passes a templated value to a module that takes text.
func String(v any) string { return pyStr(normalize(v)) }

// JSON is Python's json.dumps(v) (ensure_ascii, ", " and ": "), dicts in
// their order, as Ansible's actions write a dict or list argument as text
// (copy's content).
func JSON(v any) string { return pyJSON(v, jsonOpts{itemSep: ", "}) }
