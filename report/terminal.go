package report

import (
	"bytes"
	"strings"
	"unicode"

	"golang.org/x/text/width"

	"github.com/remotectl/remotectl/internal/termtext"
)

// Output shown on a terminal is escaped: a host's output is text from
// elsewhere, and the control characters in it (ESC starting the sequences
// that move the cursor, retitle the window or write the clipboard, BEL, CR
// overwriting a line, C1 controls) would drive the terminal of whoever
// reads it. They are written as Go writes them, \x1b, \r, \a, \u009b, and
// so are bytes that are not UTF-8 (\xff). Tabs stay, and a carriage return
// before a newline (Windows line ends) is dropped. Only the text formats
// escape: json, jsonl and the output directory keep the exact bytes.

// nextLine returns the first line of text, its newline included.
func nextLine(text []byte) []byte {
	if j := bytes.IndexByte(text, '\n'); j >= 0 {
		return text[:j+1]
	}
	return text
}

// appendLine appends one line escaped, and a newline. The line's own line
// end, "\n" or "\r\n", if any, is not escaped.
func appendLine(buf, line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = bytes.TrimSuffix(line[:n-1], []byte("\r"))
	}
	buf = appendEscaped(buf, line)
	return append(buf, '\n')
}

const hexDigits = "0123456789abcdef"

// Printable makes text seen on hosts safe to show on one line of a
// terminal (termtext.Printable).
func Printable(s string) string { return termtext.Printable(s) }

// appendEscaped appends line, terminal-safe, to buf (termtext.AppendEscaped).
func appendEscaped(buf, line []byte) []byte { return termtext.AppendEscaped(buf, line) }

// cells returns how many terminal columns s takes: East Asian wide and
// full-width characters take two, combining marks and format characters
// none.
func cells(s string) int {
	n := 0
	for _, r := range s {
		n += runeCells(r)
	}
	return n
}

func runeCells(r rune) int {
	switch {
	case r == 0x200b || unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// ellipsis shortens s to at most max cells by replacing its middle with
// "…", keeping about tail cells of its end and the rest of its start: the
// head and the tail of a host name are what tell hosts apart
// ("db-primary-…-eu-west-1a"). s is returned unchanged when it fits.
func ellipsis(s string, max, tail int) string {
	if cells(s) <= max {
		return s
	}
	if max < 1 {
		return ""
	}
	runes := []rune(s)
	budget := max - 1 // the "…" takes one cell
	head, used := 0, 0
	for head < len(runes) && used+runeCells(runes[head]) <= budget-min(tail, budget) {
		used += runeCells(runes[head])
		head++
	}
	end := len(runes)
	for end > head && used+runeCells(runes[end-1]) <= budget {
		used += runeCells(runes[end-1])
		end--
	}
	return string(runes[:head]) + "…" + string(runes[end:])
}

// CutCells shortens s to at most max cells, ending it with "…" when it
// does not fit: a line that wraps on a terminal cannot be erased with
// \r\033[K, so live lines are cut to the width.
func CutCells(s string, max int) string { return ellipsis(s, max, 0) }

// padCells pads s with spaces to w cells.
func padCells(s string, w int) string {
	return s + strings.Repeat(" ", max(0, w-cells(s)))
}

// wrapCells cuts s into lines of at most w cells (0: no limit), after a
// comma or a space where it can, anywhere otherwise.
func wrapCells(s string, w int) []string {
	if w <= 0 || cells(s) <= w {
		return []string{s}
	}
	var lines []string
	runes := []rune(s)
	for len(runes) > 0 {
		n, used, lastBreak := 0, 0, 0
		for n < len(runes) && used+runeCells(runes[n]) <= w {
			used += runeCells(runes[n])
			if runes[n] == ',' || runes[n] == ' ' {
				lastBreak = n + 1
			}
			n++
		}
		if n < len(runes) && lastBreak > 0 {
			n = lastBreak
		}
		n = max(n, 1)
		lines = append(lines, strings.TrimRight(string(runes[:n]), " "))
		runes = runes[n:]
		for len(runes) > 0 && runes[0] == ' ' {
			runes = runes[1:]
		}
	}
	return lines
}
