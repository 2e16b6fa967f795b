package winrm

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves goroutines behind: connections,
// stdin feeders and polls must all end when transports are closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
