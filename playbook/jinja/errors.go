package jinja

import (
	"errors"
	"fmt"
)

// Kind classes the errors of templating.
type Kind int

// The kinds of template errors.
const (
	// Syntax: the template does not parse.
	Syntax Kind = iota + 1
	// Undefined: it reads a variable or attribute that is not defined
	// (Ansible's "'x' is undefined"); Error.Name names it.
	Undefined
	// Runtime: a filter, test or operation failed on the values given.
	Runtime
	// Recursion: variables refer to themselves, or nest too deep.
	Recursion
	// Unsupported: valid for Python but beyond what remotectl implements
	// (a regular expression RE2 cannot run, an unknown hash type).
	Unsupported
)

// Error is a template that cannot be rendered or evaluated.
type Error struct {
	Kind     Kind
	Name     string // the undefined or recursive variable, when known
	Template string // the template or expression at fault
	Msg      string
	// Line and Col locate a Syntax error in the template, from 1; 0 when
	// unknown. For CheckExpr they count in the expression as given.
	Line, Col int
}

// Error returns the message, as Ansible words it where it can.
func (e *Error) Error() string { return e.Msg }

// unsupportedPrefix starts the message of every Unsupported error, which
// is how it is recognised after gonja has flattened it into text.
const unsupportedPrefix = "remotectl does not support "

// unsupported returns an Unsupported error: what is valid for Ansible but
// beyond what remotectl implements.
func unsupported(format string, a ...any) error {
	return &Error{Kind: Unsupported, Msg: unsupportedPrefix + fmt.Sprintf(format, a...)}
}

// asError is errors.As for *Error.
func asError(err error, target **Error) bool { return errors.As(err, target) }

// IsUndefined reports whether err is an undefined variable or attribute.
func IsUndefined(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == Undefined
}
