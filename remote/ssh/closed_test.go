package ssh

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// TestRunOnClosedTransportRefuses checks that Run and Upload on a closed
// transport fail at once, without opening anything on the connection.
func TestRunOnClosedTransportRefuses(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var out bytes.Buffer
	_, err := tr.Run(testContext(t), &remote.Cmd{Args: []string{"echo", "after close"}, Stdout: &out})
	wantClass(t, err, remote.ClassOther)
	if err == nil || !strings.Contains(err.Error(), "the transport is closed") {
		t.Errorf("Run after Close: %v, want it to say the transport is closed", err)
	}
	if out.Len() != 0 || len(srv.Commands()) != 0 {
		t.Errorf("Run after Close reached the server: output %q, commands %q", out.String(), srv.Commands())
	}
	if err := tr.Upload(testContext(t), "/tmp/never", strings.NewReader("x"), 0o600); err == nil {
		t.Error("Upload after Close succeeded")
	}
}

// TestRunGivesUpOnUnansweredSession checks that a Run whose session open is
// never answered (as on a connection the server has just cut) ends when its
// context does, with the context's error class, instead of waiting forever.
func TestRunGivesUpOnUnansweredSession(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{StallSessions: true})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	ctx, cancel := context.WithTimeout(testContext(t), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := tr.Run(ctx, &remote.Cmd{Args: []string{"true"}})
		done <- err
	}()
	select {
	case err := <-done:
		wantClass(t, err, remote.ClassTimeout)
	case <-time.After(30 * time.Second):
		t.Fatal("Run still waits for a session the server never answers, 30 s after its context ended")
	}
}
