package playbook

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/remotectl/remotectl/checks"
)

// ParseError is a problem in a playbook (or a vars file it names): where it
// is ("file:line:col"), what is wrong and, when there is something obvious to
// do about it, a hint. Load and Parse report every problem they find, joined
// with errors.Join; IsInvalid recognises them.
type ParseError struct {
	Pos  string
	Msg  string
	Hint string
}

// Error returns "file:line:col: message; hint: ...".
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Pos != "" {
		b.WriteString(e.Pos)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString("; hint: ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// IsInvalid reports whether err says a playbook, a vars file, a check file
// or extra vars are invalid (exit 65), as opposed to a failure while running.
func IsInvalid(err error) bool {
	var pe *ParseError
	var ce *checks.ParseError
	return errors.As(err, &pe) || errors.As(err, &ce)
}

// editDistance returns the Levenshtein distance between a and b, counting a
// swap of two adjacent bytes as one edit (the usual typo).
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// didYouMean returns a hint naming the candidate closest to word, or listing
// them all when none is close enough to be a typo.
func didYouMean(word string, candidates []string) string {
	if best := closest(word, candidates); best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	return "expected one of: " + strings.Join(sorted, ", ")
}

// closest returns the candidate close enough to word to be a typo of it, or "".
func closest(word string, candidates []string) string {
	limit := max(1, len(word)/3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	return best
}
