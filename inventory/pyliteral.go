package inventory

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseINIValue converts an INI value as Ansible does: when the text is a
// Python literal (as ast.literal_eval reads it) its value is used, otherwise
// the text itself. Tuples and sets become lists, bytes and the Ellipsis become
// strings, and complex numbers keep their text.
//
// Python's integers are unbounded; one that does not fit in 64 bits keeps its
// text, as complex numbers do.
func parseINIValue(text string) any {
	v, err := pyLiteral(text)
	if err != nil {
		return text
	}
	return v
}

// errNotLiteral is returned for any text that is not a Python literal.
var errNotLiteral = errors.New("not a Python literal")

// pyLiteral evaluates text as Python's ast.literal_eval would.
func pyLiteral(text string) (any, error) {
	p := &pyParser{src: strings.TrimLeft(text, " \t")}
	p.skipSpace()
	v, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i < len(p.src) {
		return nil, errNotLiteral
	}
	return v.export(), nil
}

// pyValue is a parsed literal before conversion to plain Go values.
type pyValue struct {
	kind  pyKind
	scal  any       // int, float64, bool, nil or string (str and bytes)
	bytes bool      // a bytes literal (b'...')
	items []pyValue // list, tuple, set; dict keys and values alternate
	text  string    // complex numbers: the source text
}

type pyKind uint8

const (
	pyScalar pyKind = iota
	pyComplex
	pyList
	pyDict
)

// export converts to plain Go values.
func (v pyValue) export() any {
	switch v.kind {
	case pyComplex:
		return v.text
	case pyList:
		out := make([]any, 0, len(v.items))
		for _, it := range v.items {
			out = append(out, it.export())
		}
		return out
	case pyDict:
		out := make(map[string]any, len(v.items)/2)
		for i := 0; i+1 < len(v.items); i += 2 {
			out[pyKey(v.items[i])] = v.items[i+1].export()
		}
		return out
	}
	return v.scal
}

// pyKey formats a dict key as Python's str() would for simple values.
func pyKey(k pyValue) string {
	switch x := k.export().(type) {
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	default:
		return fmt.Sprint(x)
	}
}

// pyParser is a recursive-descent parser over the literal subset of Python
// expressions.
type pyParser struct {
	src   string
	i     int
	depth int // bracket nesting: newlines are white space inside brackets
}

// maxPyDepth bounds nesting so hostile input cannot exhaust the stack.
const maxPyDepth = 200

// skipSpace skips blanks, comments and (inside brackets) newlines.
func (p *pyParser) skipSpace() {
	for p.i < len(p.src) {
		switch c := p.src[p.i]; {
		case c == ' ' || c == '\t' || c == '\f':
			p.i++
		case (c == '\n' || c == '\r') && p.depth > 0:
			p.i++
		case c == '#':
			for p.i < len(p.src) && p.src[p.i] != '\n' {
				p.i++
			}
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end.
func (p *pyParser) peek() byte {
	if p.i < len(p.src) {
		return p.src[p.i]
	}
	return 0
}

// expr parses a literal, including signed numbers and complex sums.
func (p *pyParser) expr(nest int) (pyValue, error) {
	if nest > maxPyDepth {
		return pyValue{}, errNotLiteral
	}
	left, err := p.signed(nest)
	if err != nil {
		return left, err
	}
	p.skipSpace()
	if c := p.peek(); (c == '+' || c == '-') && isRealNumber(left) {
		// a + bj: only a real number plus or minus an imaginary literal.
		start := p.i
		p.i++
		p.skipSpace()
		right, err := p.atom(nest)
		if err != nil || right.kind != pyComplex {
			return pyValue{}, errNotLiteral
		}
		return pyValue{kind: pyComplex, text: "(" + fmt.Sprint(left.scal) + p.src[start:start+1] + right.text + ")"}, nil
	}
	return left, nil
}

// isRealNumber reports whether v is an int or float (not a bool).
func isRealNumber(v pyValue) bool {
	if v.kind != pyScalar {
		return false
	}
	switch v.scal.(type) {
	case int, float64:
		return true
	}
	return false
}

// signed parses an optional single unary sign applied to a number.
func (p *pyParser) signed(nest int) (pyValue, error) {
	c := p.peek()
	if c != '+' && c != '-' {
		return p.atom(nest)
	}
	p.i++
	p.skipSpace()
	v, err := p.atom(nest)
	if err != nil {
		return v, err
	}
	if c == '+' {
		if isRealNumber(v) || v.kind == pyComplex {
			return v, nil
		}
		return pyValue{}, errNotLiteral
	}
	switch x := v.scal.(type) {
	case int:
		if v.kind == pyScalar {
			return pyValue{scal: -x}, nil
		}
	case float64:
		if v.kind == pyScalar {
			return pyValue{scal: -x}, nil
		}
	}
	if v.kind == pyComplex {
		return pyValue{kind: pyComplex, text: "-" + v.text}, nil
	}
	return pyValue{}, errNotLiteral
}

// atom parses one literal without a sign.
func (p *pyParser) atom(nest int) (pyValue, error) {
	switch c := p.peek(); {
	case c == '(':
		return p.parens(nest)
	case c == '[':
		items, err := p.sequence(nest, ']')
		return pyValue{kind: pyList, items: items}, err
	case c == '{':
		return p.braces(nest)
	case c == '.' && strings.HasPrefix(p.src[p.i:], "..."):
		p.i += 3
		return pyValue{scal: "..."}, nil
	case c == '.' || isDigitByte(c):
		return p.number()
	case c == '\'' || c == '"':
		return p.strings()
	case isIdentStart(c):
		return p.name()
	}
	return pyValue{}, errNotLiteral
}

// parens parses "(x)" (just x) or a tuple "()", "(x,)", "(x, y)".
func (p *pyParser) parens(nest int) (pyValue, error) {
	items, trailingComma, err := p.items(nest, ')')
	if err != nil {
		return pyValue{}, err
	}
	if len(items) == 1 && !trailingComma {
		return items[0], nil // parentheses only group
	}
	return pyValue{kind: pyList, items: items}, nil
}

// sequence parses a bracketed, comma-separated list.
func (p *pyParser) sequence(nest int, closer byte) ([]pyValue, error) {
	items, _, err := p.items(nest, closer)
	return items, err
}

// items parses "open item, item, ... close" and says whether a comma ended it.
func (p *pyParser) items(nest int, closer byte) ([]pyValue, bool, error) {
	p.i++ // opener
	p.depth++
	defer func() { p.depth-- }()
	var items []pyValue
	trailing := false
	for {
		p.skipSpace()
		if p.peek() == closer {
			p.i++
			return items, trailing, nil
		}
		v, err := p.expr(nest + 1)
		if err != nil {
			return nil, false, err
		}
		items = append(items, v)
		trailing = false
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.i++
			trailing = true
		case closer:
		default:
			return nil, false, errNotLiteral
		}
	}
}

// braces parses a dict "{k: v, ...}" or a set "{a, b}" (a list, duplicates
// dropped).
func (p *pyParser) braces(nest int) (pyValue, error) {
	p.i++
	p.depth++
	defer func() { p.depth-- }()
	var items []pyValue
	isDict := false
	for n := 0; ; n++ {
		p.skipSpace()
		if p.peek() == '}' {
			p.i++
			break
		}
		k, err := p.expr(nest + 1)
		if err != nil {
			return pyValue{}, err
		}
		p.skipSpace()
		if n == 0 {
			isDict = p.peek() == ':'
		}
		if isDict {
			if p.peek() != ':' {
				return pyValue{}, errNotLiteral
			}
			p.i++
			p.skipSpace()
			v, err := p.expr(nest + 1)
			if err != nil {
				return pyValue{}, err
			}
			items = append(items, k, v)
		} else {
			items = append(items, k)
		}
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
		default:
			return pyValue{}, errNotLiteral
		}
	}
	if isDict || len(items) == 0 {
		return pyValue{kind: pyDict, items: items}, nil
	}
	return pyValue{kind: pyList, items: uniqueItems(items)}, nil
}

// uniqueItems drops repeated set members, keeping the first.
func uniqueItems(items []pyValue) []pyValue {
	var out []pyValue
	for _, it := range items {
		dup := false
		for _, o := range out {
			if reflect.DeepEqual(o.export(), it.export()) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, it)
		}
	}
	return out
}

// name parses True, False, None and the empty-set call set().
func (p *pyParser) name() (pyValue, error) {
	start := p.i
	for p.i < len(p.src) && isIdentByte(p.src[p.i]) {
		p.i++
	}
	switch word := p.src[start:p.i]; word {
	case "True":
		return pyValue{scal: true}, nil
	case "False":
		return pyValue{scal: false}, nil
	case "None":
		return pyValue{scal: nil}, nil
	case "set":
		p.skipSpace()
		if strings.HasPrefix(p.src[p.i:], "(") {
			p.i++
			p.depth++
			p.skipSpace()
			p.depth--
			if p.peek() == ')' {
				p.i++
				return pyValue{kind: pyList}, nil
			}
		}
	default:
		if q := p.peek(); q == '\'' || q == '"' {
			p.i = start
			return p.strings() // a prefixed string: r'..', b"..", rb'..'
		}
	}
	return pyValue{}, errNotLiteral
}

// number parses an int, float or imaginary literal with Python 3 syntax.
func (p *pyParser) number() (pyValue, error) {
	start := p.i
	s := p.src
	isFloat := false
	if s[p.i] == '0' && p.i+1 < len(s) && strings.IndexByte("xXoObB", s[p.i+1]) >= 0 {
		base := radix(s[p.i+1])
		p.i += 2
		digits, ok := p.digitRun(base, true)
		if !ok || p.identFollows() {
			return pyValue{}, errNotLiteral
		}
		n, err := strconv.ParseInt(digits, base, 64)
		if err != nil {
			return pyValue{kind: pyComplex, text: s[start:p.i]}, nil // too big: keep the text
		}
		return pyValue{scal: int(n)}, nil
	}
	intPart, ok := p.digitRun(10, false)
	if !ok {
		return pyValue{}, errNotLiteral
	}
	if p.peek() == '.' {
		isFloat = true
		p.i++
		if isDigitByte(p.peek()) {
			if _, ok := p.digitRun(10, false); !ok {
				return pyValue{}, errNotLiteral
			}
		}
		if intPart == "" && p.i == start+1 {
			return pyValue{}, errNotLiteral // a lone "."
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		isFloat = true
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if _, ok := p.digitRun(10, false); !ok || !isDigitByte(p.src[p.i-1]) {
			return pyValue{}, errNotLiteral
		}
	}
	if c := p.peek(); c == 'j' || c == 'J' {
		p.i++
		if p.identFollows() {
			return pyValue{}, errNotLiteral
		}
		return pyValue{kind: pyComplex, text: s[start:p.i]}, nil
	}
	if p.identFollows() {
		return pyValue{}, errNotLiteral
	}
	text := strings.ReplaceAll(s[start:p.i], "_", "")
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !math.IsInf(f, 0) {
			return pyValue{}, errNotLiteral
		}
		return pyValue{scal: f}, nil
	}
	if len(text) > 1 && text[0] == '0' && strings.Trim(text, "0") != "" {
		return pyValue{}, errNotLiteral // leading zeros are not allowed in Python 3
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return pyValue{kind: pyComplex, text: s[start:p.i]}, nil // too big: keep the text
	}
	return pyValue{scal: int(n)}, nil
}

// digitRun reads digits of base with single underscores between them
// ("1_000"); leadingUnderscore allows "0x_ff". It returns the digits read.
func (p *pyParser) digitRun(base int, leadingUnderscore bool) (string, bool) {
	start := p.i
	prevUnderscore := false
	for p.i < len(p.src) {
		c := p.src[p.i]
		if c == '_' {
			if prevUnderscore || (p.i == start && !leadingUnderscore) {
				return "", false
			}
			prevUnderscore = true
			p.i++
			continue
		}
		if digitValue(c) >= base {
			break
		}
		prevUnderscore = false
		p.i++
	}
	if prevUnderscore {
		return "", false
	}
	digits := strings.ReplaceAll(p.src[start:p.i], "_", "")
	if base != 10 && digits == "" {
		return "", false
	}
	return digits, true
}

// identFollows reports whether a letter or digit follows a number, which
// Python rejects ("1abc", "0x1g").
func (p *pyParser) identFollows() bool {
	return p.i < len(p.src) && (isIdentByte(p.src[p.i]) || p.src[p.i] >= utf8.RuneSelf)
}

// strings parses one or more adjacent string literals, concatenated.
func (p *pyParser) strings() (pyValue, error) {
	var b strings.Builder
	kind := -1 // 0 str, 1 bytes
	for {
		p.skipSpace()
		start := p.i
		for p.i < len(p.src) && isIdentByte(p.src[p.i]) {
			p.i++
		}
		prefix := strings.ToLower(p.src[start:p.i])
		if q := p.peek(); q != '\'' && q != '"' {
			p.i = start
			break
		}
		raw, isBytes, ok := stringPrefix(prefix)
		if !ok {
			return pyValue{}, errNotLiteral
		}
		k := 0
		if isBytes {
			k = 1
		}
		if kind >= 0 && k != kind {
			return pyValue{}, errNotLiteral // cannot mix bytes and str
		}
		kind = k
		if err := p.stringBody(&b, raw, isBytes); err != nil {
			return pyValue{}, err
		}
	}
	if kind < 0 {
		return pyValue{}, errNotLiteral
	}
	return pyValue{scal: b.String(), bytes: kind == 1}, nil
}

// stringPrefix decodes a string prefix (r, u, b, br, rb).
func stringPrefix(prefix string) (raw, isBytes, ok bool) {
	switch prefix {
	case "", "u":
		return false, false, true
	case "r":
		return true, false, true
	case "b":
		return false, true, true
	case "br", "rb":
		return true, true, true
	}
	return false, false, false
}

// stringBody reads one quoted string (the quote is at p.i).
func (p *pyParser) stringBody(b *strings.Builder, raw, isBytes bool) error {
	q := p.src[p.i]
	delim := string(q)
	if strings.HasPrefix(p.src[p.i:], strings.Repeat(delim, 3)) {
		delim = strings.Repeat(delim, 3)
	}
	p.i += len(delim)
	for {
		if p.i >= len(p.src) {
			return errNotLiteral
		}
		if strings.HasPrefix(p.src[p.i:], delim) {
			p.i += len(delim)
			return nil
		}
		c := p.src[p.i]
		if c == '\n' && len(delim) == 1 {
			return errNotLiteral
		}
		if c != '\\' {
			b.WriteByte(c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.src) {
			return errNotLiteral
		}
		if raw {
			b.WriteString(p.src[p.i : p.i+2]) // the backslash stays, the next char is literal
			p.i += 2
			continue
		}
		if err := p.escape(b, isBytes); err != nil {
			return err
		}
	}
}

// escape decodes one backslash escape at p.i.
func (p *pyParser) escape(b *strings.Builder, isBytes bool) error {
	c := p.src[p.i+1]
	if r, ok := simpleEscapes[c]; ok {
		if c != '\n' {
			b.WriteByte(r)
		}
		p.i += 2
		return nil
	}
	switch {
	case c >= '0' && c <= '7':
		j := p.i + 1
		n := 0
		for j < len(p.src) && j < p.i+4 && p.src[j] >= '0' && p.src[j] <= '7' {
			n = n*8 + int(p.src[j]-'0')
			j++
		}
		writeCode(b, rune(n), isBytes)
		p.i = j
		return nil
	case c == 'x' || (!isBytes && (c == 'u' || c == 'U')):
		width := 2
		switch c {
		case 'u':
			width = 4
		case 'U':
			width = 8
		}
		hex := p.src[p.i+2 : min(len(p.src), p.i+2+width)]
		n, err := strconv.ParseUint(hex, 16, 32)
		if len(hex) != width || err != nil || n > utf8.MaxRune {
			return errNotLiteral
		}
		writeCode(b, rune(n), isBytes)
		p.i += 2 + width
		return nil
	case c == 'N' && !isBytes:
		return errNotLiteral // named Unicode escapes are not supported
	}
	b.WriteByte('\\') // unknown escapes keep their backslash
	p.i++
	return nil
}

// simpleEscapes are the one-character escapes of Python strings; an escaped
// newline continues the line and writes nothing.
var simpleEscapes = map[byte]byte{
	'\\': '\\', '\'': '\'', '"': '"', 'a': '\a', 'b': '\b', 'f': '\f',
	'n': '\n', 'r': '\r', 't': '\t', 'v': '\v', '\n': 0,
}

// radix returns the base a number prefix letter (x, o, b) selects.
func radix(c byte) int {
	switch c | 0x20 {
	case 'x':
		return 16
	case 'o':
		return 8
	}
	return 2
}

// writeCode writes a code point (str) or a byte (bytes, shown as Latin-1).
func writeCode(b *strings.Builder, r rune, isBytes bool) {
	if isBytes {
		r &= 0xff
	}
	b.WriteRune(r)
}

func isDigitByte(c byte) bool  { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentByte(c byte) bool  { return isIdentStart(c) || isDigitByte(c) }
func digitValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10
	}
	return 99
}
