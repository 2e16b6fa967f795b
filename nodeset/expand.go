package nodeset

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// span is one element of a bracket range: the numbers lo..hi, each written
// with at least width digits (zero-padded).
type span struct {
	lo, hi uint64
	width  int
}

// count returns how many numbers s holds, saturating at math.MaxUint64.
func (s span) count() uint64 { return addSat(s.hi-s.lo, 1) }

// bracket is the parsed content of one "[...]".
type bracket []span

// count returns how many numbers b holds, saturating at math.MaxUint64.
func (b bracket) count() uint64 {
	var n uint64
	for _, s := range b {
		n = addSat(n, s.count())
	}
	return n
}

// pattern is one comma-separated name of an expression:
// texts[0] brackets[0] texts[1] ... brackets[n-1] texts[n].
type pattern struct {
	texts    []string
	brackets []bracket
}

// count returns how many names p stands for, saturating at math.MaxUint64.
func (p pattern) count() uint64 {
	n := uint64(1)
	for _, b := range p.brackets {
		n = mulSat(n, b.count())
	}
	return n
}

// Expand returns the names an expression stands for, in the order written:
// names left to right, numbers of a bracket in the order listed, and several
// brackets of one name as a cartesian product with the rightmost varying
// fastest. Repeated names are kept. A name without brackets stands for itself.
//
// It fails with an *Error if expr is malformed (ErrSyntax) or stands for more
// than max names (ErrTooLarge); max <= 0 means DefaultMax. The count is
// computed, overflow-safe, before any name is built.
func Expand(expr string, max int) ([]string, error) {
	if max <= 0 {
		max = DefaultMax
	}
	if expr != "" && !strings.ContainsAny(expr, "[],") {
		return []string{expr}, nil
	}
	patterns, err := parse(expr)
	if err != nil {
		return nil, err
	}
	var total uint64
	for _, p := range patterns {
		total = addSat(total, p.count())
	}
	if total > uint64(max) {
		return nil, tooLargeError(expr, total, max)
	}
	names := make([]string, 0, total)
	var buf []byte
	for _, p := range patterns {
		names, buf = p.expand(names, buf)
	}
	return names, nil
}

// cursor is the position of an expansion within one bracket.
type cursor struct {
	span  int    // index of the current span
	value uint64 // current number within that span
}

// expand appends the names p stands for to names, using buf as scratch space,
// and returns both.
func (p pattern) expand(names []string, buf []byte) ([]string, []byte) {
	if len(p.brackets) == 0 {
		return append(names, p.texts[0]), buf
	}
	pos := make([]cursor, len(p.brackets))
	for i, b := range p.brackets {
		pos[i] = cursor{value: b[0].lo}
	}
	for {
		buf = append(buf[:0], p.texts[0]...)
		for i, b := range p.brackets {
			buf = appendPadded(buf, pos[i].value, b[pos[i].span].width)
			buf = append(buf, p.texts[i+1]...)
		}
		names = append(names, string(buf))
		if !p.advance(pos) {
			return names, buf
		}
	}
}

// advance moves pos to the next combination, like an odometer whose rightmost
// wheel turns fastest. It reports false once every combination has been seen.
func (p pattern) advance(pos []cursor) bool {
	for i := len(pos) - 1; i >= 0; i-- {
		b, c := p.brackets[i], &pos[i]
		switch {
		case c.value < b[c.span].hi:
			c.value++
			return true
		case c.span+1 < len(b):
			c.span++
			c.value = b[c.span].lo
			return true
		}
		*c = cursor{value: b[0].lo}
	}
	return false
}

// parse splits expr into its comma-separated patterns.
func parse(expr string) ([]pattern, error) {
	if expr == "" {
		return nil, syntaxError(expr, -1, "empty expression; give a name such as web01 or web[01-03]")
	}
	var (
		patterns  []pattern
		cur       pattern
		textStart int // where the literal text being scanned begins
		nameStart int // where the current comma-separated name begins
	)
	for i := 0; i < len(expr); i++ {
		switch expr[i] {
		case '[':
			end, err := closingBracket(expr, i)
			if err != nil {
				return nil, err
			}
			b, err := parseBracket(expr, i+1, end)
			if err != nil {
				return nil, err
			}
			cur.texts = append(cur.texts, expr[textStart:i])
			cur.brackets = append(cur.brackets, b)
			i, textStart = end, end+1
		case ']':
			return nil, syntaxError(expr, i, "']' without a matching '['")
		case ',':
			if i == nameStart {
				return nil, syntaxError(expr, i, "empty name before ','; remove the extra ','")
			}
			cur.texts = append(cur.texts, expr[textStart:i])
			patterns = append(patterns, cur)
			cur = pattern{}
			textStart, nameStart = i+1, i+1
		}
	}
	if nameStart == len(expr) {
		return nil, syntaxError(expr, len(expr)-1, "empty name after the last ','; remove the trailing ','")
	}
	cur.texts = append(cur.texts, expr[textStart:])
	return append(patterns, cur), nil
}

// closingBracket returns the offset of the ']' closing the '[' at offset open.
func closingBracket(expr string, open int) (int, error) {
	for i := open + 1; i < len(expr); i++ {
		switch expr[i] {
		case ']':
			return i, nil
		case '[':
			return 0, syntaxError(expr, i, "'[' inside a bracket range; ranges cannot be nested")
		}
	}
	return 0, syntaxError(expr, open, "'[' is never closed; add the missing ']'")
}

// parseBracket parses expr[from:to], the content of one bracket range.
func parseBracket(expr string, from, to int) (bracket, error) {
	if from == to {
		return nil, syntaxError(expr, from-1, "empty range []; list numbers or ranges inside, as in [1-3,7]")
	}
	b := make(bracket, 0, strings.Count(expr[from:to], ",")+1)
	for start := from; start <= to; {
		end := to
		if comma := strings.IndexByte(expr[start:to], ','); comma >= 0 {
			end = start + comma
		}
		s, err := parseSpan(expr, start, end)
		if err != nil {
			return nil, err
		}
		b = append(b, s)
		start = end + 1
	}
	return b, nil
}

// parseSpan parses expr[from:to], one element of a bracket range: a number or
// an inclusive range "lo-hi".
func parseSpan(expr string, from, to int) (span, error) {
	elem := expr[from:to]
	if elem == "" {
		return span{}, syntaxError(expr, from, "empty element in a bracket range; remove the extra ','")
	}
	loText, hiText, isRange := strings.Cut(elem, "-")
	lo, err := parseNumber(expr, from, loText, elem)
	if err != nil {
		return span{}, err
	}
	hi := lo
	if isRange {
		if hi, err = parseNumber(expr, from+len(loText)+1, hiText, elem); err != nil {
			return span{}, err
		}
	}
	if lo > hi {
		return span{}, syntaxError(expr, from, "reversed range %s; write the smaller bound first, as in [%s-%s]",
			elem, hiText, loText)
	}
	width := 0
	if loText[0] == '0' {
		width = len(loText)
	}
	return span{lo: lo, hi: hi, width: width}, nil
}

// parseNumber parses text, found at offset off of expr inside the bracket
// element elem, as a non-negative decimal number.
func parseNumber(expr string, off int, text, elem string) (uint64, error) {
	if text == "" {
		return 0, syntaxError(expr, off, "%q lacks a bound; write a range as lo-hi, as in [1-3]", elem)
	}
	for i := 0; i < len(text); i++ {
		if !isDigit(text[i]) {
			return 0, syntaxError(expr, off+i, "%q is not a number or a range of numbers; "+
				"bracket ranges hold only numbers and ranges, as in [1,3,5-7]", elem)
		}
	}
	n, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return 0, syntaxError(expr, off, "%s is too large; numbers must not exceed %d", text, uint64(math.MaxUint64))
	}
	return n, nil
}

// addSat returns a+b, or math.MaxUint64 if the sum overflows.
func addSat(a, b uint64) uint64 {
	sum, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return sum
}

// mulSat returns a*b, or math.MaxUint64 if the product overflows.
func mulSat(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}
