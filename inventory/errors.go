package inventory

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Pos is a place in an inventory source. Zero parts are unknown.
type Pos struct {
	File string
	Line int
	Col  int
}

// String returns "file:line:col", leaving out the parts that are zero (a
// column is only shown after a line).
func (p Pos) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p.Line))
		if p.Col > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Col))
		}
	}
	return b.String()
}

// Error is a problem in an inventory source: where it is, what is wrong and,
// when there is something obvious to do about it, a hint.
type Error struct {
	Pos  Pos
	Msg  string
	Hint string
}

// Error returns "file:line:col: message; hint".
func (e *Error) Error() string {
	var b strings.Builder
	if where := e.Pos.String(); where != "" {
		b.WriteString(where)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString("; hint: ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// errorf returns an *Error at pos.
func errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// withHint sets the hint of e and returns e.
func (e *Error) withHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// Errors of host selection, matched with errors.Is.
var (
	// ErrUnknownName: a plain word in a pattern names no host and no group.
	ErrUnknownName = errors.New("unknown host or group")
	// ErrNoMatch: a glob or regex matches nothing, or the whole selection is empty.
	ErrNoMatch = errors.New("no host matched")
)

// editDistance returns the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and swaps of adjacent bytes, the usual
// typos), or limit+1 as soon as it is known to exceed limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1) // row i-2, for swaps
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// suggest returns up to n candidates closest to word by edit distance, closest
// first (ties by name), leaving out anything too far away to be a typo.
func suggest(word string, candidates []string, n int) []string {
	limit := max(1, len(word)/3) // one typo per three letters
	type scored struct {
		name string
		dist int
	}
	var best []scored
	seen := make(map[string]bool)
	for _, c := range candidates {
		if c == word || seen[c] {
			continue
		}
		d := editDistance(word, c, limit)
		if d > limit {
			continue
		}
		seen[c] = true
		best = append(best, scored{c, d})
	}
	sort.Slice(best, func(i, j int) bool {
		if best[i].dist != best[j].dist {
			return best[i].dist < best[j].dist
		}
		return best[i].name < best[j].name
	})
	out := make([]string, 0, min(n, len(best)))
	for i := 0; i < len(best) && i < n; i++ {
		out = append(out, best[i].name)
	}
	return out
}

// didYouMean returns ` (did you mean "x"?)` for the closest candidate, or
// ` (expected one of: a, b, c)` when nothing is close.
func didYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates, 1); len(s) > 0 {
		return fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return " (expected one of: " + strings.Join(candidates, ", ") + ")"
}

// quoteList returns the names quoted and joined with ", ".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
