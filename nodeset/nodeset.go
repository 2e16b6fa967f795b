// Package nodeset expands and folds node sets, the compact host-list notation
// of ClusterShell and pdsh:
//
//	web[01-03,07].example.com  <->  web01.example.com web02.example.com web03.example.com web07.example.com
//
// # Syntax
//
// An expression is one or more names separated by commas. Inside a name, a
// bracket range "[...]" holds a comma-separated list of numbers ("7") and
// inclusive number ranges ("01-03"). A name may hold several bracket ranges;
// they expand as a cartesian product, the leftmost varying slowest:
//
//	rack[1-2]-n[01-02]  ->  rack1-n01 rack1-n02 rack2-n01 rack2-n02
//
// Zero padding is kept: when the lower bound of a range element is written
// with a leading zero, every number of that element is padded to its width
// ("[08-11]" -> 08 09 10 11), otherwise numbers are written as they are
// ("[8-11]" -> 8 9 10 11). Brackets do not nest, and '[', ']' and ',' have no
// meaning other than the above, so names containing them cannot be written.
//
// Expand checks how many names an expression stands for before producing any
// of them, so a typo such as web[1-20000000] fails fast instead of exhausting
// memory. Fold is the inverse: it turns a list of names into the compact form,
// folding the last number of each name.
package nodeset

import (
	"strconv"
	"strings"
)

// DefaultMax is the default cap on the number of names one expression expands to.
const DefaultMax = 1_000_000

// HasRange reports whether expr uses bracket syntax, that is whether it holds
// a '[' or a ']'. Such an expression is not a plain name: Expand turns it into
// the names it stands for, or reports why it is malformed.
func HasRange(expr string) bool {
	return strings.ContainsAny(expr, "[]")
}

// isDigit reports whether c is an ASCII decimal digit.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// appendPadded appends the decimal form of v to dst, left-padded with zeros to
// at least width digits.
func appendPadded(dst []byte, v uint64, width int) []byte {
	var scratch [20]byte
	digits := strconv.AppendUint(scratch[:0], v, 10)
	for i := len(digits); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, digits...)
}
