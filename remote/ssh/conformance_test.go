//go:build unix

package ssh

import (
	"testing"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// TestSSHDConformance runs the transport conformance suite against a real
// OpenSSH sshd on loopback, logging in as the fleet's non-root user (the
// case files live in directories that user may write). Without sshd the
// test is skipped, or fails under CI=true.
func TestSSHDConformance(t *testing.T) {
	// Every case dials its own connection, in parallel (up to -parallel at
	// once): MaxStartups must not drop any of them.
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{MaxStartups: "100:30:200"})
	d := newTestDialer(t, Options{Home: t.TempDir(), AgentSocket: "none", ConfigFile: s.SSHConfig})
	remotetest.RunConformance(t, remotetest.ConformanceEnv{
		Dialer:  d,
		Target:  s.Targets()[0],
		OS:      remote.OSLinux, // StartSSHD runs only on Linux
		Shell:   remotetest.DialectPOSIX,
		TempDir: sharedTempDir,
	})
}
