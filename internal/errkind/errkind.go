// Package errkind marks an error with the kind of failure remotectl's exit
// code reports for it, so that packages below the command line can say "the
// command was called wrongly" or "its input is invalid" without knowing exit
// codes: cmd/remotectl maps Usage to 64 and Input to 65.
package errkind

// Usage is a mistake in how remotectl was called (a flag, a setting, a
// pattern naming nothing): nothing ran. Exit 64.
type Usage struct{ Err error }

func (e Usage) Error() string { return e.Err.Error() }
func (e Usage) Unwrap() error { return e.Err }

// Input is invalid data: an inventory, a playbook, a check file, a config
// file. Exit 65.
type Input struct{ Err error }

func (e Input) Error() string { return e.Err.Error() }
func (e Input) Unwrap() error { return e.Err }
