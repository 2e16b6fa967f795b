package report

import (
	"hash/fnv"
	"unicode/utf8"

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

// nameWidth returns the display width of the longest target name.
func nameWidth(targets []remote.Target) int {
	width := 0
	for i := range targets {
		width = max(width, utf8.RuneCountInString(targets[i].Name))
	}
	return width
}
