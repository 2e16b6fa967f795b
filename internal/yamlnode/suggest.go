package yamlnode

import (
	"fmt"
	"sort"
	"strings"
)

// Distance returns the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and swaps of adjacent bytes, the
// usual typos), or limit+1 when it exceeds limit, found out as early as
// possible.
func Distance(a, b string, limit int) int {
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
	return min(prev[len(b)], limit+1)
}

// typoLimit is how many edits still make a typo of word: one per three
// letters, at least one.
func typoLimit(word string) int { return max(1, len(word)/3) }

// Closest returns the candidate closest to word, the smallest name among
// equally close ones, when it is close enough to be a typo of word; else "".
// word itself is a candidate like any other.
func Closest(word string, candidates []string) string {
	limit := typoLimit(word)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if d := Distance(word, c, limit); d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	return best
}

// Suggest returns up to n candidates close enough to be typos of word,
// closest first (ties by name), leaving out word itself and repeats.
func Suggest(word string, candidates []string, n int) []string {
	limit := typoLimit(word)
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
		d := Distance(word, c, limit)
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

// DidYouMean returns a hint for an unknown word: `did you mean "x"?` naming
// the Closest candidate, or `expected one of: a, b, c` listing the
// candidates in order when none is close.
func DidYouMean(word string, candidates []string) string {
	if best := Closest(word, candidates); best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	return "expected one of: " + strings.Join(sorted, ", ")
}
