//go:build unix

package ssh

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/remotectl/remotectl/remote/remotetest"
)

// TestMain fails the run if a test leaves goroutines behind: keepalives,
// bastion watchers, session waiters and stdin feeders must all end when
// transports and dialers are closed. Run with remotetest.NetcatEnv set, the
// test binary is a netcat for ProxyCommand tests.
func TestMain(m *testing.M) {
	remotetest.MaybeNetcat()
	goleak.VerifyTestMain(m)
}
