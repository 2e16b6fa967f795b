package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Class is the kind of a failure, decided once at the transport boundary. The
// rest of the code tests it with errors.Is(err, remote.ClassAuth) or ClassOf.
type Class int

const (
	ClassNone           Class = iota
	ClassDNS                  // name does not resolve
	ClassRefused              // TCP connection refused / unreachable network
	ClassTimeout              // connect or command deadline passed
	ClassAuth                 // authentication failed or no usable credential
	ClassHostKeyUnknown       // host key not in known_hosts (strict policy)
	ClassHostKeyChanged       // host key differs from known_hosts: possible MITM
	ClassProtocol             // handshake or protocol error
	ClassLost                 // connection lost mid-command (outcome unknown)
	ClassRemoteExit           // remote command exited non-zero
	ClassSudoPassword         // sudo needs a password and none was given
	ClassCancelled            // interrupted by the user
	ClassConfig               // the host's settings cannot work (found when connecting): invalid input
	ClassNotFound             // a file operation's file or directory does not exist
	ClassPermission           // a file operation was refused permission
	ClassOther                // anything not classified above
)

var classNames = [...]string{
	ClassNone:           "ok",
	ClassDNS:            "dns",
	ClassRefused:        "refused",
	ClassTimeout:        "timeout",
	ClassAuth:           "auth",
	ClassHostKeyUnknown: "hostkey-unknown",
	ClassHostKeyChanged: "hostkey-changed",
	ClassProtocol:       "protocol",
	ClassLost:           "lost",
	ClassRemoteExit:     "remote-exit",
	ClassSudoPassword:   "sudo-password",
	ClassCancelled:      "cancelled",
	ClassConfig:         "config",
	ClassNotFound:       "not-found",
	ClassPermission:     "permission-denied",
	ClassOther:          "error",
}

// String returns the stable, machine-readable name of the class (used in JSON).
func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return "error"
	}
	return classNames[c]
}

// Error makes a Class usable as an errors.Is target.
func (c Class) Error() string { return c.String() }

// Unreachable reports whether the class means the host could not be used at
// all (exit bit 2): name, network, authentication, host key or protocol
// trouble, or a connection lost mid-command. Other failures on a reached
// host (ClassOther, ClassSudoPassword, ClassRemoteExit, ClassNotFound,
// ClassPermission) count as failed (bit 1); ClassConfig is neither: the
// settings are invalid input.
func (c Class) Unreachable() bool {
	switch c {
	case ClassDNS, ClassRefused, ClassAuth, ClassHostKeyUnknown, ClassHostKeyChanged,
		ClassProtocol, ClassLost:
		return true
	}
	return false
}

// Transient reports whether a connection attempt that failed with this class
// may succeed if tried again (refused during a restart, MaxStartups resets,
// timeouts). Auth and host-key failures never are.
func (c Class) Transient() bool {
	switch c {
	case ClassRefused, ClassTimeout, ClassProtocol:
		return true
	}
	return false
}

// Error is a classified failure on one host.
type Error struct {
	Class Class
	Op    string // "dial", "handshake", "auth", "run", "upload", ...
	Err   error  // underlying error, may be nil
	Hint  string // what the user can do next
}

// Error reads "class: op: what happened" ("timeout: run: no result within
// 1s"), the one form every output shows an error in: the class first, as
// the status a report prints before it; then what was being done; then
// what happened. It says each thing once: an error wrapping another of the
// same class does not repeat the class ("timeout: run: timeout: ..."), nor
// the op when it is the same, nor the class as the op ("auth: denied"); a
// bare context error adds nothing to its class ("cancelled: run", not
// "cancelled: run: context canceled").
func (e *Error) Error() string {
	class := e.Class.String()
	if body := e.body(); body != "" {
		return class + ": " + body
	}
	return class
}

// body is the error without its class: "op: what happened", with the body
// of a wrapped error of the same class in place of its whole message.
func (e *Error) body() string {
	var msg string
	var inner *Error
	switch {
	case e.Err == nil || e.sameAsContextErr():
	case errors.As(e.Err, &inner) && inner.Class == e.Class:
		msg = strings.Replace(e.Err.Error(), inner.Error(), inner.body(), 1)
		if inner.Op != "" && inner.Op == e.Op && msg == inner.body() {
			return msg // the op once
		}
	default:
		msg = e.Err.Error()
	}
	op := e.Op
	if op == e.Class.String() {
		op = ""
	}
	switch {
	case op == "":
		return msg
	case msg == "":
		return op
	}
	return op + ": " + msg
}

// sameAsContextErr reports whether Err is only the context error that the
// class already names.
func (e *Error) sameAsContextErr() bool {
	return (e.Class == ClassCancelled && e.Err == context.Canceled) ||
		(e.Class == ClassTimeout && e.Err == context.DeadlineExceeded)
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches a Class target.
func (e *Error) Is(target error) bool {
	c, ok := target.(Class)
	return ok && c == e.Class
}

// FileClass is the class of a failed file operation (copy, fetch, an
// upload): ClassNotFound, ClassPermission, else ClassOther.
func FileClass(err error) Class {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ClassNotFound
	case errors.Is(err, fs.ErrPermission):
		return ClassPermission
	}
	return ClassOther
}

// Errorf builds a classified error.
func Errorf(class Class, op, format string, args ...any) *Error {
	return &Error{Class: class, Op: op, Err: fmt.Errorf(format, args...)}
}

// Wrap classifies err. An error already classified keeps its class.
func Wrap(class Class, op string, err error) error {
	if err == nil {
		return nil
	}
	var re *Error
	if errors.As(err, &re) {
		return err
	}
	return &Error{Class: class, Op: op, Err: err}
}

// ClassOf returns the class of err: ClassNone for nil, the class of a wrapped
// *Error, ClassCancelled / ClassTimeout for context errors, else ClassOther.
func ClassOf(err error) Class {
	if err == nil {
		return ClassNone
	}
	var re *Error
	if errors.As(err, &re) {
		return re.Class
	}
	switch {
	case errors.Is(err, context.Canceled):
		return ClassCancelled
	case errors.Is(err, context.DeadlineExceeded):
		return ClassTimeout
	}
	return ClassOther
}

// HintOf returns the first hint found on err's chain.
func HintOf(err error) string {
	for err != nil {
		if re, ok := err.(*Error); ok && re.Hint != "" {
			return re.Hint
		}
		err = errors.Unwrap(err)
	}
	return ""
}
