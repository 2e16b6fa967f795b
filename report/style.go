package report

import (
	"hash/fnv"

	"github.com/remotectl/remotectl/remote"
)

// ANSI SGR sequences.
const (
	sgrReset  = "\x1b[0m"
	sgrBold   = "\x1b[1m"
	sgrDim    = "\x1b[2m"
	sgrRed    = "\x1b[31m"
	sgrGreen  = "\x1b[32m"
	sgrYellow = "\x1b[33m"
	sgrCyan   = "\x1b[36m"
)

// hostPalette colours host names; red is left out, it marks failures.
var hostPalette = []string{
	"\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[35m", "\x1b[36m",
	"\x1b[92m", "\x1b[93m", "\x1b[94m", "\x1b[95m", "\x1b[96m",
}

// style paints text when colours are on.
type style struct{ color bool }

func (s style) paint(sgr, text string) string {
	if !s.color || text == "" {
		return text
	}
	return sgr + text + sgrReset
}

// host paints a host name in its colour, the same in every run.
func (s style) host(name string) string {
	if !s.color {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return s.paint(hostPalette[h.Sum32()%uint32(len(hostPalette))], name)
}

// status paints a status or a label by how bad it is.
func (s style) status(status, text string) string {
	switch status {
	case StatusOK:
		return s.paint(sgrGreen, text)
	case StatusTimeout:
		return s.paint(sgrYellow, text)
	case StatusCancelled:
		return s.paint(sgrDim, text)
	}
	return s.paint(sgrRed, text)
}

// Host names in line prefixes are capped, so that a long name does not push
// every line of output off a terminal: to minNameCap cells, or a quarter of
// the terminal's width when that is more.
const minNameCap = 24

// shownNames returns the names of the targets as line prefixes show them,
// escaped and, on a terminal of width columns (0: not a terminal, no cap),
// shortened with "…", and the width of the widest, in cells. Shortened
// names keep as much of their end as leaves them all different (names often
// share a domain); names that differ only in the middle keep their head and
// the part where they differ ("prod-…-node01.example.c…"); a name that
// would still look like another stays whole.
func shownNames(targets []remote.Target, width int) ([]string, int) {
	names := make([]string, len(targets))
	for i := range targets {
		names[i] = Printable(targets[i].Name)
	}
	if width > 0 {
		limit := max(minNameCap, width/4)
		var short []string
		var seen map[string]int
		for tail := limit / 2; tail >= 0; tail-- {
			short, seen = shortNames(names, limit, tail)
			if len(seen) == len(names) {
				break
			}
		}
		// Names that differ only in the middle look the same with any
		// tail: they keep their head and the part where they differ.
		for i, n := range names {
			if seen[short[i]] > 1 {
				short[i] = middleOut(n, limit, divergence(names, i))
			}
		}
		seen = make(map[string]int, len(names))
		for _, sh := range short {
			seen[sh]++
		}
		for i := range names {
			if seen[short[i]] == 1 {
				names[i] = short[i]
			}
		}
	}
	widest := 0
	for _, n := range names {
		widest = max(widest, cells(n))
	}
	return names, widest
}

// shortNames returns the names shortened with ellipsis, and how many names
// each shortened name stands for.
func shortNames(names []string, limit, tail int) ([]string, map[string]int) {
	short := make([]string, len(names))
	seen := make(map[string]int, len(names))
	for i, n := range names {
		short[i] = ellipsis(n, limit, tail)
		seen[short[i]]++
	}
	return short, seen
}

// divergence returns where names[i] stops being like the name most like
// it: the length, in runes, of the longest prefix it shares with another.
func divergence(names []string, i int) int {
	a := []rune(names[i])
	d := 0
	for j, n := range names {
		if j == i {
			continue
		}
		k := 0
		for _, r := range n {
			if k >= len(a) || a[k] != r {
				break
			}
			k++
		}
		d = max(d, k)
	}
	return d
}

// middleOut shortens s to at most max cells around the rune at from, where
// it differs from names like it: its head (up to its first separator, or a
// quarter of max), "…", the part from just before from (back to a
// separator, a few runes at most), and "…" when more follows:
// "prod-…-node01.example.c…".
func middleOut(s string, max, from int) string {
	runes := []rune(s)
	if cells(s) <= max || from <= 0 || from >= len(runes) {
		return ellipsis(s, max, max/2)
	}
	const context = 8 // runes kept before the difference, back to a separator
	isSep := func(r rune) bool { return r == '-' || r == '.' || r == '_' }
	head, used := 0, 0
	for head < from && used+runeCells(runes[head]) <= max/4 {
		used += runeCells(runes[head])
		head++
		if isSep(runes[head-1]) {
			break
		}
	}
	start := from
	for start > head && from-start < context && !isSep(runes[start-1]) {
		start--
	}
	if start > head && isSep(runes[start-1]) && from-start < context {
		start-- // show the separator: "-node01"
	}
	budget := max - used - 1 // the first "…"
	if start == head {
		budget++ // nothing left out between the head and the part: no "…"
	}
	end, n := start, 0
	for end < len(runes) && n+runeCells(runes[end]) <= budget {
		n += runeCells(runes[end])
		end++
	}
	if end < len(runes) { // the last cell goes to the closing "…"
		for n > budget-1 && end > start {
			end--
			n -= runeCells(runes[end])
		}
	}
	out := string(runes[:head])
	if start > head {
		out += "…"
	}
	out += string(runes[start:end])
	if end < len(runes) {
		out += "…"
	}
	return out
}
