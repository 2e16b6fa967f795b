package nodeset

import (
	"cmp"
	"slices"
	"strings"
)

// maxFoldDigits is the longest number (leading zeros aside) Fold folds. Every
// such number is below 10^19, so it and its successor fit in a uint64; names
// with longer numbers are kept as they are.
const maxFoldDigits = 19

// pow10 holds 10^0 .. 10^maxFoldDigits.
var pow10 = func() (p [maxFoldDigits + 1]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// Fold returns a compact node-set expression for names, the inverse of Expand:
//
//	web01 web02 web03 web07 db1  ->  db1,web[01-03,07]
//
// Only the last number of a name is folded (web01.example.com and
// web02.example.com fold to web[01-02].example.com), so names sharing the text
// around their last number fold together. Zero padding is preserved:
// web09 and web10 fold to web[09-10], while web9 and web09 are different
// names and stay separate elements, web[9,09]. Duplicates and empty names are
// dropped, and the comma-separated parts are sorted by their first name in
// the order of Compare. Names holding '[', ']' or ',' cannot be expressed in
// the syntax and are listed unchanged.
//
// Fold runs in O(n log n) time for n names.
func Fold(names []string) string {
	return strings.Join(FoldSlice(names), ",")
}

// FoldSlice is Fold but returns the comma-separated parts as a slice, nil when
// there are no names.
func FoldSlice(names []string) []string {
	literals, groups := classify(names)
	parts := make([]part, 0, len(literals)+len(groups))
	slices.Sort(literals)
	for _, name := range slices.Compact(literals) {
		parts = append(parts, part{first: name, text: name})
	}
	for _, g := range groups {
		parts = append(parts, g.fold())
	}
	if len(parts) == 0 {
		return nil
	}
	slices.SortFunc(parts, func(a, b part) int { return Compare(a.first, b.first) })
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.text
	}
	return out
}

// part is one comma-separated element of a folded expression.
type part struct {
	first string // the name the part expands to first in Compare order, its sort key
	text  string // the part as written
}

// number is the last number of a name.
type number struct {
	value uint64
	width int // zero-padded width when written with a leading zero, else 0
}

// group gathers the numbers of names sharing a prefix and a suffix, as the
// names web01.example.com and web02.example.com share web and .example.com.
type group struct {
	prefix, suffix string
	tracks         []*track       // one per zero-padding width, in order of first use
	byWidth        map[int]*track // index of tracks, built once a second width shows up
	last           *track         // the track used last, as consecutive names usually share it
}

// track holds the values of a group's numbers written with one zero-padding
// width (0 for numbers written without leading zeros).
type track struct {
	width  int
	values []uint64
}

// add records the number of one name of g.
func (g *group) add(n number) {
	if g.last == nil || g.last.width != n.width {
		g.last = g.track(n.width)
	}
	g.last.values = append(g.last.values, n.value)
}

// track returns g's track for width, creating it if needed.
func (g *group) track(width int) *track {
	if g.byWidth == nil {
		if len(g.tracks) == 0 {
			t := &track{width: width}
			g.tracks = append(g.tracks, t)
			return t
		}
		g.byWidth = map[int]*track{g.tracks[0].width: g.tracks[0]}
	}
	if t, ok := g.byWidth[width]; ok {
		return t
	}
	t := &track{width: width}
	g.tracks = append(g.tracks, t)
	g.byWidth[width] = t
	return t
}

// groupKey identifies a group.
type groupKey struct{ prefix, suffix string }

// classify sorts names into literals, which Fold lists unchanged, and groups
// of names with a number to fold; groups are returned in order of first
// appearance.
func classify(names []string) (literals []string, groups []*group) {
	var (
		byKey = make(map[groupKey]*group)
		last  *group // consecutive names usually share a group: skip the map then
	)
	for _, name := range names {
		prefix, num, suffix, ok := splitName(name)
		if !ok {
			if name != "" {
				literals = append(literals, name)
			}
			continue
		}
		g := last
		if g == nil || g.prefix != prefix || g.suffix != suffix {
			key := groupKey{prefix, suffix}
			if g = byKey[key]; g == nil {
				g = &group{prefix: prefix, suffix: suffix}
				byKey[key] = g
				groups = append(groups, g)
			}
			last = g
		}
		g.add(num)
	}
	return literals, groups
}

// splitName splits name around its last run of digits. It reports false for
// names without digits, with a number too long to fold, or holding characters
// the syntax reserves.
func splitName(name string) (prefix string, num number, suffix string, ok bool) {
	start, end := 0, -1 // bounds of the last run of digits seen
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case isDigit(c):
			if end != i {
				start = i
			}
			end = i + 1
		case c == '[' || c == ']' || c == ',':
			return "", number{}, "", false
		}
	}
	if end < 0 {
		return "", number{}, "", false
	}
	digits := name[start:end]
	significant := strings.TrimLeft(digits, "0")
	if len(significant) > maxFoldDigits {
		return "", number{}, "", false
	}
	for i := 0; i < len(significant); i++ {
		num.value = num.value*10 + uint64(significant[i]-'0')
	}
	if len(digits) > 1 && digits[0] == '0' {
		num.width = len(digits)
	}
	return name[:start], num, name[end:], true
}

// fold returns the folded form of g: the name itself when g holds a single
// number, else prefix[spans]suffix.
func (g *group) fold() part {
	slices.SortFunc(g.tracks, func(a, b *track) int { return cmp.Compare(a.width, b.width) })
	var spans []span
	distinct := 0
	for _, t := range g.tracks {
		sortValues(t.values)
		t.values = slices.Compact(t.values)
		distinct += len(t.values)
		spans = appendRuns(spans, t.values, t.width)
	}
	spans = joinPaddingBoundaries(spans)
	slices.SortFunc(spans, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.lo, b.lo), cmp.Compare(a.width, b.width))
	})

	first := g.render([]span{{lo: spans[0].lo, hi: spans[0].lo, width: spans[0].width}}, false)
	if distinct == 1 {
		return part{first: first, text: first}
	}
	return part{first: first, text: g.render(spans, true)}
}

// radixSortMin is the length from which sortValues uses a radix sort.
const radixSortMin = 256

// sortValues sorts values in increasing order. Long slices get a
// least-significant-byte radix sort that skips the bytes all values share, so
// the numbers of a fleet (rarely more than two significant bytes) sort in a
// couple of linear passes whatever their initial order.
func sortValues(values []uint64) {
	switch {
	case slices.IsSorted(values):
		return
	case len(values) < radixSortMin:
		slices.Sort(values)
		return
	}
	var varying uint64 // bits that are not the same in every value
	for _, v := range values {
		varying |= v ^ values[0]
	}
	src, dst := values, make([]uint64, len(values))
	for shift := 0; shift < 64; shift += 8 {
		if byte(varying>>shift) == 0 {
			continue
		}
		var start [256]int // where values with each byte go in dst
		for _, v := range src {
			start[byte(v>>shift)]++
		}
		offset := 0
		for b, n := range start {
			start[b] = offset
			offset += n
		}
		for _, v := range src {
			b := byte(v >> shift)
			dst[start[b]] = v
			start[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &values[0] {
		copy(values, src)
	}
}

// appendRuns appends to spans the runs of consecutive numbers in values,
// which are sorted and distinct and all written with the given width.
func appendRuns(spans []span, values []uint64, width int) []span {
	for i, v := range values {
		if k := len(spans) - 1; i > 0 && spans[k].hi+1 == v {
			spans[k].hi = v
			continue
		}
		spans = append(spans, span{lo: v, hi: v, width: width})
	}
	return spans
}

// joinPaddingBoundaries merges each padded span that ends just below the
// point where its numbers stop needing padding (09 for width 2) with the
// unpadded span that starts there (10-12), writing them as one span (09-12).
// spans come from appendRuns: unpadded spans first, sorted by lo.
func joinPaddingBoundaries(spans []span) []span {
	unpadded := len(spans)
	for i, s := range spans {
		if s.width != 0 {
			unpadded = i
			break
		}
	}
	merged := false
	for i := unpadded; i < len(spans); i++ {
		s := &spans[i]
		if s.width-1 > maxFoldDigits || s.hi+1 != pow10[s.width-1] {
			continue
		}
		k, found := slices.BinarySearchFunc(spans[:unpadded], s.hi+1, func(u span, lo uint64) int {
			return cmp.Compare(u.lo, lo)
		})
		if found {
			s.hi = spans[k].hi
			spans[k].width = -1 // absorbed; removed below
			merged = true
		}
	}
	if merged {
		spans = slices.DeleteFunc(spans, func(s span) bool { return s.width < 0 })
	}
	return spans
}

// render writes spans with g's prefix and suffix, in brackets if bracketed.
func (g *group) render(spans []span, bracketed bool) string {
	const spanSizeHint = 12 // two numbers of a few digits and their separators
	buf := make([]byte, 0, len(g.prefix)+len(g.suffix)+2+len(spans)*spanSizeHint)
	buf = append(buf, g.prefix...)
	if bracketed {
		buf = append(buf, '[')
	}
	for i, s := range spans {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendPadded(buf, s.lo, s.width)
		if s.hi > s.lo {
			buf = append(buf, '-')
			buf = appendPadded(buf, s.hi, s.width)
		}
	}
	if bracketed {
		buf = append(buf, ']')
	}
	buf = append(buf, g.suffix...)
	return string(buf)
}
