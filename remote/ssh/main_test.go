//go:build unix

package ssh

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves goroutines behind: keepalives,
// bastion watchers, session waiters and stdin feeders must all end when
// transports and dialers are closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
