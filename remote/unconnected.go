package remote

import (
	"context"
	"io"
	"io/fs"
)

// Unconnected is the Transport of a host a job reaches without a connection
// (doctor's steps dial on their own; a host whose checks are all observed
// from the controller): the Runner gets it from a Dialer that does not
// connect. Every use fails with Err; Close does nothing.
type Unconnected struct{ Err error }

// Run fails with u.Err.
func (u Unconnected) Run(context.Context, *Cmd) (Result, error) { return Result{}, u.Err }

// Upload fails with u.Err.
func (u Unconnected) Upload(context.Context, string, io.Reader, fs.FileMode) error { return u.Err }

// Download fails with u.Err.
func (u Unconnected) Download(context.Context, string, io.Writer) error { return u.Err }

// OS is OSUnknown: nothing was asked of the host.
func (Unconnected) OS() OSFamily { return OSUnknown }

// Close does nothing.
func (Unconnected) Close() error { return nil }
