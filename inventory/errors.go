package inventory

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// Pos is a place in an inventory source. Zero parts are unknown.
type Pos struct {
	File string
	Line int
	Col  int
}

// String returns "file:line:col", leaving out the parts that are zero (a
// column is only shown after a line).
func (p Pos) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p.Line))
		if p.Col > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Col))
		}
	}
	return b.String()
}

// Error is a problem in an inventory source: where it is, what is wrong and,
// when there is something obvious to do about it, a hint.
type Error struct {
	Pos  Pos
	Msg  string
	Hint string
	Err  error // the cause, for errors.Is (a dynamic inventory stopped by its context); Msg already tells it
}

// Error returns "file:line:col: message; hint".
func (e *Error) Error() string {
	return (&yamlnode.Error{Pos: e.Pos.String(), Msg: e.Msg, Hint: e.Hint}).Error()
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// errorf returns an *Error at pos.
func errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// withHint sets the hint of e and returns e.
func (e *Error) withHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// Errors of host selection, matched with errors.Is.
var (
	// ErrUnknownName: a plain word in a pattern names no host and no group.
	ErrUnknownName = errors.New("unknown host or group")
	// ErrNoMatch: a glob or regex matches nothing, or the whole selection is empty.
	ErrNoMatch = errors.New("no host matched")
	// ErrNoHosts: the inventories given define no host at all, so nothing
	// can be selected (not even the implicit localhost).
	ErrNoHosts = errors.New("the inventory has no hosts")
)

// didYouMean returns ` (did you mean "x"?)` for the closest candidate, or
// ` (expected one of: a, b, c)` when nothing is close.
func didYouMean(word string, candidates []string) string {
	if s := yamlnode.Suggest(word, candidates, 1); len(s) > 0 {
		return fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return " (expected one of: " + strings.Join(candidates, ", ") + ")"
}

// quoteList returns the names quoted and joined with ", ".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
