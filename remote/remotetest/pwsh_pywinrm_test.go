//go:build unix

package remotetest

import (
	"strings"
	"testing"
)

// TestPwshPywinrmRunPS: Debian's pywinrm, a client tested against real
// Windows, runs PowerShell (Session.run_ps: powershell -encodedcommand of
// the UTF-16LE script) on the server with the simulator, and gets what
// Windows PowerShell prints.
func TestPwshPywinrmRunPS(t *testing.T) {
	requirePywinrm(t)
	sim := newPwshForTest(t)
	srv := StartWSMan(t, WSManOptions{Seal: true, PowerShell: sim})
	got := runPywinrm(t, srv, srv.User, srv.Password, map[string]any{"transport": "ntlm"},
		pywinrmStep{Kind: "ps", Script: "$s = Get-Service -Name WinRM\n\"$($s.Name) is $($s.Status) on $env:COMPUTERNAME\"\nSet-Content -Path C:\\héllo.txt -Value 'wörld'"},
		pywinrmStep{Kind: "ps", Script: "Get-Content -LiteralPath C:\\héllo.txt; exit 4"},
	)
	// (No step writes to standard error: Debian's pywinrm's run_ps then
	// fails in _clean_error_msg, comparing bytes with a str.)
	if out := strings.ReplaceAll(string(got[0].Stdout), "\r\n", "\n"); out != "WinRM is Running on RCTEST-WIN\n" || got[0].Code != 0 {
		t.Errorf("run_ps: stdout %q, stderr %q, exit %d", got[0].Stdout, got[0].Stderr, got[0].Code)
	}
	if out := strings.ReplaceAll(string(got[1].Stdout), "\r\n", "\n"); out != "wörld\n" || got[1].Code != 4 {
		t.Errorf("run_ps: stdout %q, stderr %q, exit %d", got[1].Stdout, got[1].Stderr, got[1].Code)
	}
}
