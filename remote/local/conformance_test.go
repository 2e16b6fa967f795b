//go:build unix

package local

import (
	"runtime"
	"testing"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// TestConformance runs the transport conformance suite against the
// controller itself.
func TestConformance(t *testing.T) {
	family := remote.OSUnix
	if runtime.GOOS == "linux" {
		family = remote.OSLinux
	}
	remotetest.RunConformance(t, remotetest.ConformanceEnv{
		Dialer: Dialer{},
		Target: remote.Target{Name: "localhost", Transport: remote.KindLocal},
		OS:     family,
		Shell:  remotetest.DialectPOSIX,
	})
}
