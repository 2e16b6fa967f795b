package nodeset

import (
	"cmp"
	"strings"
)

// Compare orders names naturally, the order Fold uses: runs of digits compare
// by numeric value (web9 < web10), everything else byte by byte. Names equal
// but for leading zeros are ordered by the first run that differs in length,
// shorter first (web9 < web09). It returns -1, 0 or +1, and 0 only if a == b,
// so it can be passed to slices.SortFunc.
func Compare(a, b string) int {
	tie := 0 // decides between names whose numbers differ only in leading zeros
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if !isDigit(a[i]) || !isDigit(b[j]) {
			if a[i] != b[j] {
				return cmp.Compare(a[i], b[j])
			}
			i++
			j++
			continue
		}
		runA, runB := digitRun(a, i), digitRun(b, j)
		if c := compareNumbers(runA, runB); c != 0 {
			return c
		}
		if tie == 0 {
			tie = cmp.Compare(len(runA), len(runB))
		}
		i += len(runA)
		j += len(runB)
	}
	if c := cmp.Compare(len(a)-i, len(b)-j); c != 0 {
		return c
	}
	return tie
}

// digitRun returns the run of digits of s starting at offset from.
func digitRun(s string, from int) string {
	end := from
	for end < len(s) && isDigit(s[end]) {
		end++
	}
	return s[from:end]
}

// compareNumbers compares two runs of decimal digits by value, whatever their
// length.
func compareNumbers(x, y string) int {
	x, y = strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")
	if c := cmp.Compare(len(x), len(y)); c != 0 {
		return c
	}
	return strings.Compare(x, y)
}
