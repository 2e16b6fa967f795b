package remotetest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newPwshForTest returns a simulator on a fresh temporary C:\.
func newPwshForTest(t *testing.T) *PowerShell {
	t.Helper()
	sim, err := NewPowerShell(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

// runPwshForTest runs a script and returns its output, errors and exit code.
func runPwshForTest(t *testing.T, sim *PowerShell, script, stdin string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb strings.Builder
	code := sim.Run(ctx, script, strings.NewReader(stdin), &out, &errb, "", nil)
	return out.String(), errb.String(), code
}

func TestPwshSmoke(t *testing.T) {
	sim := newPwshForTest(t)
	script := `$ErrorActionPreference = 'Stop'
$p = ConvertFrom-Json (@($input) -join "` + "`" + `n")
$r = @{ a = $p.x + 1; s = "v=$($p.y)"; list = @(1, 2) }
New-Item -Path C:\tmp\sub -ItemType Directory -Force | Out-Null
[IO.File]::WriteAllBytes('C:\tmp\sub\f.txt', [Convert]::FromBase64String('aGVsbG8='))
$r.hash = (Get-FileHash -LiteralPath 'c:\TMP\sub\F.txt' -Algorithm SHA1).Hash.ToLower()
$r.exists = Test-Path -LiteralPath C:\tmp\sub\f.txt -PathType Leaf
try { Get-Item -LiteralPath C:\nope } catch { $r.err = $_.Exception.Message }
foreach ($i in 1..2) { }
$r | ConvertTo-Json -Compress -Depth 3
`
	out, errs, code := runPwshForTest(t, sim, script, `{"x": 41, "y": "z"}`)
	t.Logf("out=%q errs=%q code=%d", out, errs, code)
	if _, err := os.Stat(filepath.Join(sim.Root, "tmp", "sub", "f.txt")); err != nil {
		t.Error(err)
	}
}
