// Package checks holds infrastructure checks: typed specs of what to check
// (port listening, service up, HTTP 200, DNS resolves, ...) kept apart from how
// each is observed. Host-side observations go through the narrow Executor
// interface, so this package never depends on a concrete transport (SSH,
// WinRM): the architecture test in internal/archtest enforces it.
package checks

import (
	"context"

	"github.com/remotectl/remotectl/remote"
)

// Executor runs commands on the host under check. remote.Transport satisfies it.
type Executor interface {
	Run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error)
	OS() remote.OSFamily
}

var _ Executor = remote.Transport(nil)
