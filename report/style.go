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
// share a domain), else the names that would look the same stay whole.
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
