package yamlnode

import "strings"

// Error is a problem at a place in a file: where it is ("file:line:col"),
// what is wrong and, when there is something obvious to do about it, a hint.
// Packages keep their own exported error types, defined on this one
// (type ParseError yamlnode.Error) so that a *Error converts to them.
type Error struct {
	Pos  string
	Msg  string
	Hint string
}

// Error returns "pos: message; hint: hint", leaving out the parts that are
// empty.
func (e *Error) Error() string {
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
