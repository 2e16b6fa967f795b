package inventory

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind: loading a
// large hosts: block parses it on goroutines, which must all be stopped.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
