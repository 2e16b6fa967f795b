package playbook

import (
	"errors"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/internal/yamlnode"
)

// ParseError is a problem in a playbook (or a vars file it names): where it
// is (Pos, "file:line:col"), what is wrong (Msg) and, when there is something
// obvious to do about it, a hint (Hint). Load and Parse report every problem
// they find, joined with errors.Join; IsInvalid recognises them.
type ParseError yamlnode.Error

// Error returns "file:line:col: message; hint: ...".
func (e *ParseError) Error() string { return (*yamlnode.Error)(e).Error() }

// IsInvalid reports whether err says a playbook, a vars file, a check file
// or extra vars are invalid (exit 65), as opposed to a failure while running.
func IsInvalid(err error) bool {
	var pe *ParseError
	var ce *checks.ParseError
	var ic *invalidCheck
	return errors.As(err, &pe) || errors.As(err, &ce) || errors.As(err, &ic)
}

// invalidCheck is a property of a check task whose expectation cannot be
// read ("file:line:col: what; hint: ..."). goss runs such a file and
// reports the property as an error; a playbook refuses it before
// connecting, as check --validate-only does.
type invalidCheck struct{ msg string }

func (e *invalidCheck) Error() string { return e.msg }
