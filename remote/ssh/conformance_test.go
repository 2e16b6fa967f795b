//go:build unix

package ssh

import (
	"context"
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

// TestSSHDConformancePooled runs the suite again with every command marked
// Pooled, so that each runs on the connection's pool shell (shell.go):
// streams, exit codes, environment, directory, streaming, deadlines,
// cancellation and concurrent runs must be those of a session. Commands
// with input or a terminal take a session anyway.
func TestSSHDConformancePooled(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHDOptions{MaxStartups: "100:30:200"})
	d := newTestDialer(t, Options{Home: t.TempDir(), AgentSocket: "none", ConfigFile: s.SSHConfig})
	remotetest.RunConformance(t, remotetest.ConformanceEnv{
		Dialer:  pooledDialer{d},
		Target:  s.Targets()[0],
		OS:      remote.OSLinux,
		Shell:   remotetest.DialectPOSIX,
		TempDir: sharedTempDir,
	})
}

// pooledDialer dials transports whose every command is Pooled.
type pooledDialer struct{ d remote.Dialer }

func (p pooledDialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	tr, err := p.d.Dial(ctx, t)
	if err != nil {
		return nil, err
	}
	return pooledTransport{tr}, nil
}

type pooledTransport struct{ remote.Transport }

func (p pooledTransport) Run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
	c := *cmd
	c.Pooled = true
	return p.Transport.Run(ctx, &c)
}
