package checks

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind (a probe, a
// test server, a gather).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
