// Package termtext makes text that came from elsewhere (a host's output,
// names and values from inventories, recorded command lines) safe to show
// on a terminal: control characters and invalid UTF-8 are written escaped,
// as Go writes them (\x1b, \r, \a, \u009b, \xff), so they cannot move the
// cursor, retitle the window or write the clipboard of whoever reads it.
package termtext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// AppendEscaped appends line, terminal-safe, to buf. line holds no newline.
func AppendEscaped(buf, line []byte) []byte {
	for len(line) > 0 {
		// The common case: a run of printable ASCII.
		i := 0
		for i < len(line) && (line[i] >= 0x20 && line[i] < 0x7f || line[i] == '\t') {
			i++
		}
		buf = append(buf, line[:i]...)
		if line = line[i:]; len(line) == 0 {
			break
		}
		r, size := utf8.DecodeRune(line)
		switch {
		case r == utf8.RuneError && size == 1:
			buf = appendHexEscape(buf, line[0])
		case unicode.IsControl(r):
			buf = appendControl(buf, r)
		default:
			buf = append(buf, line[:size]...)
		}
		line = line[size:]
	}
	return buf
}

// appendControl appends the escape of a control character: \a \b \f \r \v
// for the usual ones, \x1b for the other C0 ones and DEL, \u0085 for C1.
func appendControl(buf []byte, r rune) []byte {
	if k := strings.IndexRune("\a\b\f\n\r\t\v", r); k >= 0 {
		return append(buf, '\\', "abfnrtv"[k])
	}
	if r < 0x80 {
		return appendHexEscape(buf, byte(r))
	}
	return append(buf, '\\', 'u', '0', '0', hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

const hexDigits = "0123456789abcdef"

func appendHexEscape(buf []byte, b byte) []byte {
	return append(buf, '\\', 'x', hexDigits[b>>4], hexDigits[b&0xf])
}

// Printable makes text seen on hosts safe to show on one line of a
// terminal: control characters (line breaks, the escape sequences that
// drive terminals) and invalid UTF-8 are written escaped, as Go writes
// them: \n, \x1b, \xff.
func Printable(s string) string {
	if !needsEscape(s) {
		return s
	}
	var buf []byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = appendHexEscape(buf, s[i])
		case unicode.IsControl(r):
			buf = appendControl(buf, r)
		default:
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return string(buf)
}

func needsEscape(s string) bool {
	for i, r := range s {
		if unicode.IsControl(r) || (r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD")) {
			return true
		}
	}
	return false
}
