package winrm

import (
	"testing"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// TestConformance runs the transport conformance suite against the
// WS-Management test server, over HTTPS with Basic authentication and over
// plain HTTP with NTLM-sealed messages. The server runs commands with
// /bin/sh (so the suite's POSIX command lines work, and the Args cases
// whose cmd.exe quoting sh reads differently are skipped), and file
// transfers use the POSIX scripts of newTestDialer.
func TestConformance(t *testing.T) {
	modes := []struct {
		name     string
		server   remotetest.WSManOptions
		settings remote.WinRMSettings
	}{
		{"basic over HTTPS", remotetest.WSManOptions{Auth: "basic", HTTPS: true}, remote.WinRMSettings{Auth: "basic"}},
		{"NTLM sealed over HTTP", remotetest.WSManOptions{Seal: true}, remote.WinRMSettings{Auth: "ntlm"}},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			_, target := startHost(t, mode.server, mode.settings)
			remotetest.RunConformance(t, remotetest.ConformanceEnv{
				Dialer: newTestDialer(Options{}),
				Target: target,
				OS:     remote.OSWindows, // what a WinRM transport always reports
				Shell:  remotetest.DialectCmdAsSh,
			})
		})
	}
}
