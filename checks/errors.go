package checks

import "github.com/remotectl/remotectl/internal/yamlnode"

// ParseError is a problem in a check file: where it is (Pos, "file:line:col"),
// what is wrong (Msg) and, when there is something obvious to do about it, a
// hint (Hint). Load and Parse report every problem they find, joined with
// errors.Join.
type ParseError yamlnode.Error

// Error returns "file:line:col: message; hint: ...".
func (e *ParseError) Error() string { return (*yamlnode.Error)(e).Error() }
