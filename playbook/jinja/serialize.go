package jinja

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/omap"
)

// jsonOpts are the json.dumps arguments the filters use.
type jsonOpts struct {
	indent   int    // 0: one line
	itemSep  string // ", " on one line, "," when indented
	sortKeys bool   // dicts in key order (else in their own order)
}

// pyJSON is Python's json.dumps(v, ensure_ascii=True): dicts in their
// order (a map without one sorted), or sorted with o.sortKeys.
func pyJSON(v any, o jsonOpts) string {
	v = normalize(v)
	if o.sortKeys {
		v = omap.Plain(v)
	}
	var b strings.Builder
	writeJSON(&b, v, o, 0)
	return b.String()
}

func writeJSON(b *strings.Builder, v any, o jsonOpts, level int) {
	newline := func(l int) {
		if o.indent > 0 {
			b.WriteString("\n" + strings.Repeat(" ", o.indent*l))
		}
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString("NaN")
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(pyFloat(x))
		}
	case string:
		writeJSONString(b, x)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, item := range x {
			if i > 0 {
				b.WriteString(o.itemSep)
			}
			newline(level + 1)
			writeJSON(b, item, o, level+1)
		}
		newline(level)
		b.WriteByte(']')
	case map[string]any, *omap.Map:
		m, _ := dictOf(x)
		if m.Len() == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, k := range m.Keys() {
			if i > 0 {
				b.WriteString(o.itemSep)
			}
			newline(level + 1)
			writeJSONString(b, k)
			b.WriteString(": ")
			item, _ := m.Get(k)
			writeJSON(b, item, o, level+1)
		}
		newline(level)
		b.WriteByte('}')
	default:
		writeJSONString(b, pyStr(x))
	}
}

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || r >= 0x7f && r <= 0xffff:
				fmt.Fprintf(b, `\u%04x`, r)
			case r > 0xffff:
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

func filterToJSON(in any, c call) (any, error) {
	o := jsonOpts{itemSep: ", "}
	if n, ok := c.kw["indent"].(int); ok && n > 0 {
		o = jsonOpts{indent: n, itemSep: ","}
	}
	return pyJSON(in, o), nil
}

func filterToNiceJSON(in any, c call) (any, error) {
	indent := 4
	if n, ok := c.arg(0, "indent", 4).(int); ok {
		indent = n
	}
	return pyJSON(in, jsonOpts{indent: indent, itemSep: ",", sortKeys: true}), nil
}

func filterFromJSON(in any, _ call) (any, error) {
	v, err := omap.DecodeJSON([]byte(pyStr(in)))
	if err != nil {
		return nil, runtimeErr("from_json: %v", err)
	}
	return v, nil
}

func filterFromYAML(in any, _ call) (any, error) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(pyStr(in)), &n); err != nil {
		return nil, runtimeErr("from_yaml: %v", err)
	}
	if n.Kind == 0 {
		return nil, nil
	}
	return yaml11(&n)
}

// yaml11 converts a YAML node into Go data with YAML 1.1's scalar rules,
// as PyYAML's safe_load reads them (yes/no/on/off are booleans, 010 is
// octal).
func yaml11(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return yaml11(n.Content[0])
	case yaml.AliasNode:
		return yaml11(n.Alias)
	case yaml.SequenceNode:
		out := []any{}
		for _, c := range n.Content {
			v, err := yaml11(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := omap.New(len(n.Content) / 2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := yaml11(n.Content[i])
			if err != nil {
				return nil, err
			}
			v, err := yaml11(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out.Set(pyStr(k), v)
		}
		return out, nil
	}
	if n.Style != 0 || n.Tag == "!!str" && n.Style != 0 {
		return n.Value, nil
	}
	switch n.Tag {
	case "!!str":
		if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return n.Value, nil
		}
	case "!!binary":
		return n.Value, nil
	}
	return resolve11(n.Value), nil
}

var (
	reYAMLBool  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	reYAMLNull  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	reYAMLInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	reYAMLFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	reYAMLTime  = regexp.MustCompile(`^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}`)
)

// resolve11 is YAML 1.1's resolution of a plain scalar.
func resolve11(s string) any {
	switch {
	case reYAMLNull.MatchString(s):
		return nil
	case reYAMLBool.MatchString(s):
		switch strings.ToLower(s) {
		case "yes", "true", "on":
			return true
		}
		return false
	case reYAMLInt.MatchString(s):
		return yamlInt(s)
	case reYAMLFloat.MatchString(s):
		return yamlFloat(s)
	}
	return s
}

func yamlInt(s string) any {
	t := strings.ReplaceAll(s, "_", "")
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimLeft(t, "+-")
	var n int64
	var err error
	switch {
	case strings.Contains(t, ":"):
		for _, part := range strings.Split(t, ":") {
			d, _ := strconv.ParseInt(part, 10, 64)
			n = n*60 + d
		}
	case strings.HasPrefix(t, "0b"):
		n, err = strconv.ParseInt(t[2:], 2, 64)
	case strings.HasPrefix(t, "0x"):
		n, err = strconv.ParseInt(t[2:], 16, 64)
	case len(t) > 1 && t[0] == '0':
		n, err = strconv.ParseInt(t[1:], 8, 64)
	default:
		n, err = strconv.ParseInt(t, 10, 64)
	}
	if err != nil {
		return s
	}
	if neg {
		n = -n
	}
	return int(n)
}

func yamlFloat(s string) any {
	t := strings.ToLower(strings.ReplaceAll(s, "_", ""))
	switch strings.TrimLeft(t, "+-") {
	case ".inf":
		if strings.HasPrefix(t, "-") {
			return math.Inf(-1)
		}
		return math.Inf(1)
	case ".nan":
		return math.NaN()
	}
	if strings.Contains(t, ":") {
		neg := strings.HasPrefix(t, "-")
		var f float64
		for _, part := range strings.Split(strings.TrimLeft(t, "+-"), ":") {
			d, _ := strconv.ParseFloat(part, 64)
			f = f*60 + d
		}
		if neg {
			f = -f
		}
		return f
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return s
	}
	return f
}

// yamlOpts are the yaml.dump arguments the filters use.
type yamlOpts struct {
	indent int
	flow   bool // default_flow_style=None: collections of scalars in flow style
}

func filterToYAML(in any, c call) (any, error) {
	o := yamlOpts{indent: 2, flow: true}
	if n, ok := c.kw["indent"].(int); ok && n > 1 {
		o.indent = n
	}
	if f, ok := c.kw["default_flow_style"]; ok && f != nil {
		o.flow = false
		if truthy(f) {
			return nil, unsupported("to_yaml with default_flow_style=True")
		}
	}
	return pyYAML(in, o), nil
}

func filterToNiceYAML(in any, c call) (any, error) {
	indent := 4
	if n, ok := c.arg(0, "indent", 4).(int); ok && n > 1 {
		indent = n
	}
	return pyYAML(in, yamlOpts{indent: indent}), nil
}

// pyYAML is PyYAML's yaml.dump(v, allow_unicode=True) with sorted keys:
// block style (flow for collections of scalars when o.flow), indentless
// sequences in mappings, scalars plain when they read back as themselves.
func pyYAML(v any, o yamlOpts) string {
	v = omap.Plain(normalize(v))
	var b strings.Builder
	if isScalar(v) {
		// PyYAML ends a document that is a lone plain scalar with "...".
		out := foldYAML(yamlScalar(v, false), 0, o.indent)
		b.WriteString(out + "\n")
		if !strings.HasPrefix(out, "'") && !strings.HasPrefix(out, `"`) {
			b.WriteString("...\n")
		}
		return b.String()
	}
	writeYAML(&b, v, o, 0, false)
	return b.String()
}

func isScalar(v any) bool {
	switch v.(type) {
	case []any, map[string]any:
		return false
	}
	return true
}

func isLeaf(v any) bool {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return true
		}
		for _, i := range x {
			if !isScalar(i) {
				return false
			}
		}
	case map[string]any:
		if len(x) == 0 {
			return true
		}
		for _, i := range x {
			if !isScalar(i) {
				return false
			}
		}
	}
	return true
}

// widthYAML is PyYAML's best_width: past it, scalars fold at spaces.
const widthYAML = 80

// foldYAML folds a plain or single-quoted scalar s that starts at column
// col as PyYAML does: a single space met past widthYAML becomes a line
// break and indent spaces.
func foldYAML(s string, col, indent int) string {
	if strings.HasPrefix(s, `"`) {
		return s
	}
	lo, hi := 0, len(s)
	if strings.HasPrefix(s, "'") {
		lo, hi = 1, len(s)-1
	}
	var b strings.Builder
	b.WriteString(s[:lo])
	col += lo
	for i := lo; i < hi; {
		j := i
		if s[i] == ' ' {
			for j < hi && s[j] == ' ' {
				j++
			}
			if j-i == 1 && col > widthYAML && i != lo && j != hi {
				b.WriteString("\n" + strings.Repeat(" ", indent))
				col = indent
			} else {
				b.WriteString(s[i:j])
				col += j - i
			}
			i = j
			continue
		}
		for j < hi && s[j] != ' ' {
			j++
		}
		b.WriteString(s[i:j])
		col += utf8.RuneCountInString(s[i:j])
		i = j
	}
	b.WriteString(s[hi:])
	return b.String()
}

// endColumn is the column after writing s from column col.
func endColumn(s string, col int) int {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return utf8.RuneCountInString(s[i+1:])
	}
	return col + utf8.RuneCountInString(s)
}

// flowYAML writes a collection of scalars in flow style, starting at
// column col inside a block indented by outer.
func flowYAML(v any, col, outer, step int) string {
	var b strings.Builder
	indent := outer + 2*step
	write := func(s string) {
		b.WriteString(s)
		col = endColumn(s, col)
	}
	switch x := v.(type) {
	case []any:
		write("[")
		for i, item := range x {
			if i > 0 {
				write(", ")
			}
			write(foldYAML(yamlScalar(item, true), col, indent))
		}
		write("]")
	case map[string]any:
		write("{")
		for i, k := range sortedKeys(x) {
			if i > 0 {
				write(", ")
			}
			write(yamlScalar(k, true) + ": ")
			write(foldYAML(yamlScalar(x[k], true), col, indent))
		}
		write("}")
	}
	return b.String()
}

// writeYAML writes the collection v, its lines indented by col spaces;
// inline says the first line continues one already started ("- ").
func writeYAML(b *strings.Builder, v any, o yamlOpts, col int, inline bool) {
	pad := func(first bool) {
		if !(first && inline) {
			b.WriteString(strings.Repeat(" ", col))
		}
	}
	if isLeaf(v) && (o.flow || isEmpty(v)) {
		pad(true)
		b.WriteString(flowYAML(v, col, col, o.indent) + "\n")
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for i, k := range sortedKeys(x) {
			pad(i == 0)
			key := yamlScalar(k, false)
			b.WriteString(key + ":")
			item := x[k]
			at := col + utf8.RuneCountInString(key) + 2
			switch {
			case isScalar(item):
				b.WriteString(" " + foldYAML(yamlScalar(item, false), at, col+o.indent) + "\n")
			case isLeaf(item) && (o.flow || isEmpty(item)):
				b.WriteString(" " + flowYAML(item, at, col, o.indent) + "\n")
			default:
				b.WriteString("\n")
				if _, isList := item.([]any); isList {
					writeYAML(b, item, o, col, false)
				} else {
					writeYAML(b, item, o, col+o.indent, false)
				}
			}
		}
	case []any:
		for i, item := range x {
			pad(i == 0)
			b.WriteString("-")
			if isScalar(item) {
				b.WriteString(" " + foldYAML(yamlScalar(item, false), col+2, col+o.indent) + "\n")
				continue
			}
			b.WriteString(strings.Repeat(" ", o.indent-1))
			writeYAML(b, item, o, col+o.indent, true)
		}
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// yamlScalar writes a scalar as PyYAML does: plain when it reads back as
// the same value, else single-quoted (double-quoted with escapes when it
// holds characters that must be escaped).
func yamlScalar(v any, flow bool) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		switch {
		case math.IsNaN(x):
			return ".nan"
		case math.IsInf(x, 1):
			return ".inf"
		case math.IsInf(x, -1):
			return "-.inf"
		}
		s := strings.ToLower(pyFloat(x))
		if !strings.Contains(s, ".") && strings.Contains(s, "e") {
			s = strings.Replace(s, "e", ".0e", 1)
		}
		return s
	}
	s := pyStr(v)
	for _, r := range s {
		if r < 0x20 && r != '\n' || r == 0x7f || r == 0xfeff {
			return strconv.Quote(s)
		}
	}
	if plainOK(s, flow) {
		return s
	}
	if strings.Contains(s, "\n") {
		return strconv.Quote(s)
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func plainOK(s string, flow bool) bool {
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, "\n") {
		return false
	}
	if _, isStr := resolve11(s).(string); !isStr || reYAMLTime.MatchString(s) || s == "<<" || s == "=" {
		return false
	}
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	if strings.ContainsRune("#,[]{}&*!|>'\"%@`", rune(s[0])) {
		return false
	}
	if (s[0] == '-' || s[0] == '?' || s[0] == ':') && (len(s) == 1 || s[1] == ' ') {
		return false
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") {
		return false
	}
	if flow && strings.ContainsAny(s, ",?[]{}") {
		return false
	}
	return true
}
