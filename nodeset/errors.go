package nodeset

import (
	"errors"
	"fmt"
	"math"
)

// Kinds of Expand failures, matched with errors.Is.
var (
	// ErrSyntax: the expression is not well formed.
	ErrSyntax = errors.New("malformed node set")
	// ErrTooLarge: the expression stands for more names than the caller allows.
	ErrTooLarge = errors.New("node set too large")
)

// Error reports why Expand rejected an expression. It unwraps to ErrSyntax or
// ErrTooLarge.
type Error struct {
	Expr   string // the expression as given to Expand
	Offset int    // byte offset of the problem in Expr, or -1 when it concerns the whole expression
	Reason string // what is wrong, usually ending with a hint
	Kind   error  // ErrSyntax or ErrTooLarge
}

// Error returns a message naming the expression, where the problem is, and
// what it is.
func (e *Error) Error() string {
	switch {
	case e.Kind == ErrTooLarge:
		return fmt.Sprintf("%s %s", e.Expr, e.Reason)
	case e.Offset < 0:
		return fmt.Sprintf("node set %q: %s", e.Expr, e.Reason)
	}
	return fmt.Sprintf("node set %q, column %d: %s", e.Expr, e.Offset+1, e.Reason)
}

// Unwrap returns the kind of failure, ErrSyntax or ErrTooLarge.
func (e *Error) Unwrap() error { return e.Kind }

// syntaxError returns an ErrSyntax failure at byte offset off of expr.
func syntaxError(expr string, off int, format string, args ...any) *Error {
	return &Error{Expr: expr, Offset: off, Reason: fmt.Sprintf(format, args...), Kind: ErrSyntax}
}

// tooLargeError returns an ErrTooLarge failure for expr, which expands to
// count names (math.MaxUint64 meaning at least that many).
func tooLargeError(expr string, count uint64, limit int) *Error {
	amount := fmt.Sprint(count)
	if count == math.MaxUint64 {
		amount = "at least " + amount
	}
	return &Error{
		Expr:   expr,
		Offset: -1,
		Reason: fmt.Sprintf("expands to %s names, more than the limit of %d", amount, limit),
		Kind:   ErrTooLarge,
	}
}
