package remotetest

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
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

// TestPwshLanguage runs scripts of the subset and compares their output
// with what Windows PowerShell 5.1 prints.
func TestPwshLanguage(t *testing.T) {
	for _, tc := range []struct{ name, script, want string }{
		{"strings", `$a = 'it''s'; "$a and $($a.Length) ` + "`" + `$x"`, "it's and 4 $x"},
		{"arithmetic", `1 + 2 * 3; 7 / 2; 6 / 3; 'ab' * 2; '1' + 2; 1 + '2'`, "7\n3.5\n2\nabab\n12\n3"},
		{"comparison", `'ABC' -eq 'abc'; 2 -lt 10; '2' -lt '10'; 'file.txt' -like '*.TXT'; 'x1' -match 'x(\d)'; $Matches[1]`, "True\nTrue\nFalse\nTrue\nTrue\n1"},
		{"collections", `$a = @(1, 2); $a += 3; $a.Count; @(1, 2, 3) -contains 2; 2 -in 1, 3; (1..3) -join ','`, "3\nTrue\nFalse\n1,2,3"},
		{"hashtable", `$h = @{ b = 1; a = 2 }; $h.c = 3; $h['D'] = 4; $h.d; $h.Keys -join ','; $h.ContainsKey('A')`, "4\nb,a,c,D\nTrue"},
		{"empty array stays one", `$a = @(); $h = @{ x = @() }; $a.Count; $h.x.Count; $null -eq $h.x`, "0\n0\nFalse"},
		{"if and loops", "foreach ($i in 1..5) { if ($i -eq 2) { continue } elseif ($i -gt 3) { break } else { $i } }\n$n = 0; while ($n -lt 3) { $n++ ; $n += 1 }; $n", "1\n3\n4"},
		{"functions", "function Add($a, $b) { return $a + $b }\nfunction Hi { param([string]$Name = 'x') \"hi $Name\" }\nAdd 1 2; Hi -Name bob", "3\nhi bob"},
		{"try catch", `try { throw 'bad' } catch { "caught: $($_.Exception.Message)" } finally { 'done' }`, "caught: bad\ndone"},
		{"pipelines", `1..4 | Where-Object { $_ % 2 -eq 0 } | ForEach-Object { $_ * 10 }; @(3, 1) | Select-Object -First 1`, "20\n40\n3"},
		{"json", `@{ a = 1; b = @('x'); c = $null; d = $true } | ConvertTo-Json -Compress; ('{"k":[1,2],"s":"v"}' | ConvertFrom-Json).k.Count`, `{"a":1,"b":["x"],"c":null,"d":true}` + "\n2"},
		{"json keeps the order", `'{"b":1,"a":{"y":[true,null],"x":1.5}}' | ConvertFrom-Json | ConvertTo-Json -Compress -Depth 4`, `{"b":1,"a":{"y":[true,null],"x":1.5}}`},
		{"enums are numbers in json", `ConvertTo-Json -InputObject @{ s = (Get-Service WinRM).Status; t = [string](Get-Service WinRM).Status } -Compress`, `{"s":4,"t":"Running"}`},
		{"casts", `[int]'42' + 1; [bool]''; [string]$null -eq ''; ([pscustomobject]@{ a = 1 }).a; [array]5 -is [array]`, "43\nFalse\nTrue\n1\nTrue"},
		{"here-string", "$s = @'\nline $x\n'@\n$s", "line $x"},
		{"static members", `[Environment]::ExpandEnvironmentVariables('%COMPUTERNAME%\x'); [IO.Path]::Combine('C:\a', 'b'); [Convert]::ToBase64String([Convert]::FromBase64String('aGk='))`, "RCTEST-WIN\\x\nC:\\a\\b\naGk="},
		{"cim filters", `@(Get-CimInstance -ClassName Win32_Share -Filter "Path='C:\\x'").Count; (Get-CimInstance Win32_Service -Filter "name = 'winrm'").State`, "0\nRunning"},
		{"natives", `hostname; whoami; $LASTEXITCODE`, "RCTEST-WIN\nrctest-win\\rctest-win\n0"},
		{"input", `$p = $input | Out-String | ConvertFrom-Json; $p.name`, "stdin-value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runPwshForTest(t, newPwshForTest(t), tc.script, `{"name": "stdin-value"}`)
			got := strings.TrimRight(strings.ReplaceAll(out, "\r\n", "\n"), "\n")
			if got != tc.want || code != 0 || errs != "" {
				t.Errorf("got %q (exit %d, stderr %q), want %q", got, code, errs, tc.want)
			}
		})
	}
}

// TestPwshFailsLoudly: what the simulator does not implement is an error
// naming it, never a silent success.
func TestPwshFailsLoudly(t *testing.T) {
	for _, tc := range []struct{ name, script, want string }{
		{"unknown cmdlet", `Get-NetAdapter`, "The term 'Get-NetAdapter' is not recognized"},
		{"unknown parameter", `Get-Item -Path C:\ -Stream x`, "A parameter cannot be found that matches parameter name 'Stream'."},
		{"unknown static", `[IO.File]::Encrypt('C:\x')`, "the simulator does not implement [io.file]::encrypt"},
		{"unknown method", `'x'.Normalize()`, "does not contain a method named 'normalize'"},
		{"syntax", `if ($true { 1 }`, "missing"},
		{"another drive", `Get-Item D:\x`, "A drive with the name 'D' does not exist."},
		{"uncaught throw", `throw 'boom'`, "boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, code := runPwshForTest(t, newPwshForTest(t), tc.script, "")
			if code == 0 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want a failure saying %q", code, errs, tc.want)
			}
		})
	}
}

func TestPwshErrorAction(t *testing.T) {
	sim := newPwshForTest(t)
	// Continue: the error is written, the script goes on; the last
	// statement failed, so the exit code is 1.
	out, errs, code := runPwshForTest(t, sim, "'before'\nGet-Item C:\\nope", "")
	if out != "before\r\n" || !strings.Contains(errs, `Cannot find path 'C:\nope' because it does not exist.`) || code != 1 {
		t.Errorf("Continue: out %q, stderr %q, exit %d", out, errs, code)
	}
	out, errs, code = runPwshForTest(t, sim, "$x = Get-Item C:\\nope -ErrorAction SilentlyContinue\n$null -eq $x", "")
	if out != "True\r\n" || errs != "" || code != 0 {
		t.Errorf("SilentlyContinue: out %q, stderr %q, exit %d", out, errs, code)
	}
	out, _, code = runPwshForTest(t, sim, "$ErrorActionPreference = 'Stop'\ntry { Get-Item C:\\nope; 'not here' } catch { 'caught' }\nGet-Item C:\\nope\n'not reached'", "")
	if out != "caught\r\n" || code != 1 {
		t.Errorf("Stop: out %q, exit %d", out, code)
	}
	if _, _, code := runPwshForTest(t, sim, "exit 7", ""); code != 7 {
		t.Errorf("exit 7: %d", code)
	}
}

func TestPwshFileSystem(t *testing.T) {
	sim := newPwshForTest(t)
	script := `New-Item -Path C:\Data\Sub -ItemType Directory | Out-Null
Set-Content -Path c:\data\sub\A.txt -Value 'one', 'two'
[IO.File]::WriteAllBytes('C:\DATA\b.bin', [Convert]::FromBase64String('AAEC'))
(Get-Content -LiteralPath C:\Data\Sub\a.txt) -join '|'
(Get-Item C:\Data\b.bin).Length
(Get-FileHash -LiteralPath C:\Data\Sub\A.txt -Algorithm SHA1).Hash
Test-Path C:\Data\Sub -PathType Leaf
(Get-ChildItem -LiteralPath C:\Data -Recurse -File | ForEach-Object { $_.FullName }) -join ','
Copy-Item -LiteralPath C:\Data\Sub -Destination C:\Copy -Recurse
Move-Item -LiteralPath C:\Data\b.bin -Destination C:\Data\c.bin
Remove-Item -LiteralPath C:\Data\Sub -Recurse -Force
Get-ChildItem C:\Data | ForEach-Object { $_.Name }
Set-Location C:\Copy
(Get-Item .\a.txt).FullName
`
	out, errs, code := runPwshForTest(t, sim, script, "")
	want := "one|two\n3\nFB3A4C8D5AB6BDC1B6CF3FE8A1C8A5FB30E1E7A6\nFalse\nC:\\Data\\b.bin,C:\\Data\\Sub\\A.txt\nc.bin\nC:\\Copy\\A.txt\n"
	got := strings.ReplaceAll(out, "\r\n", "\n")
	lines := strings.Split(got, "\n")
	if code != 0 || errs != "" || len(lines) < 7 {
		t.Fatalf("exit %d, stderr %q, out %q", code, errs, out)
	}
	wantLines := strings.Split(want, "\n")
	for i, w := range wantLines {
		if i == 2 { // the SHA-1 of "one\r\ntwo\r\n", checked below
			continue
		}
		if lines[i] != w {
			t.Errorf("line %d: %q, want %q\n%s", i+1, lines[i], w, got)
		}
	}
	data, err := os.ReadFile(filepath.Join(sim.Root, "Copy", "A.txt"))
	if err != nil || string(data) != "one\r\ntwo\r\n" {
		t.Errorf("C:\\Copy\\A.txt: %q %v", data, err)
	}
	if sum := sha1.Sum(data); !strings.EqualFold(lines[2], hex.EncodeToString(sum[:])) {
		t.Errorf("Get-FileHash: %s, want %x", lines[2], sum)
	}
}

func TestPwshServices(t *testing.T) {
	sim := newPwshForTest(t)
	script := `Set-Service -Name W32Time -StartupType Automatic
Start-Service W32Time
(Get-Service w32time).Status
(Get-CimInstance -ClassName Win32_Service -Filter "Name='W32Time'").StartMode
try { Stop-Service LanmanWorkstation -ErrorAction Stop } catch { $_.Exception.Message }
Stop-Service LanmanWorkstation -Force
[string](Get-Service LanmanServer).Status
(Get-Service LanmanServer).ServicesDependedOn[0].Name
Set-Service W32Time -StartupType Disabled
Stop-Service W32Time
Start-Service W32Time
`
	out, errs, code := runPwshForTest(t, sim, script, "")
	want := "Running\nAuto\nCannot stop service 'Workstation (LanmanWorkstation)' because it has dependent services. It can only be stopped if the Force flag is set.\nStopped\nLanmanWorkstation\n"
	if got := strings.ReplaceAll(out, "\r\n", "\n"); got != want {
		t.Errorf("out %q, want %q", got, want)
	}
	if code != 1 || !strings.Contains(errs, "cannot be started") {
		t.Errorf("starting a disabled service: exit %d, stderr %q", code, errs)
	}
	if s, _ := sim.Service("W32Time"); s.State != "Stopped" || s.StartMode != "Disabled" {
		t.Errorf("W32Time: %+v", s)
	}
	runPwshForTest(t, sim, `shutdown /r /t 0 /c "bye"`, "")
	if s, _ := sim.Service("LanmanServer"); sim.Reboots() != 1 || s.State != "Running" {
		t.Errorf("after a reboot: %d reboots, LanmanServer %s", sim.Reboots(), s.State)
	}
}

// TestPwshThroughWSMan runs a PowerShell -EncodedCommand line through the
// WS-Management server with a simulator: the simulator runs it (with its
// standard input), and a cmd line still runs with /bin/sh.
func TestPwshThroughWSMan(t *testing.T) {
	sim := newPwshForTest(t)
	script := "$p = $input | Out-String | ConvertFrom-Json\n\"$($p.a) from $env:COMPUTERNAME in $(Get-Location)\"\nexit 3"
	units := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		b[2*i], b[2*i+1] = byte(u), byte(u>>8)
	}
	line := "powershell.exe -NoProfile -NonInteractive -EncodedCommand " + base64.StdEncoding.EncodeToString(b)
	if err := os.MkdirAll(filepath.Join(sim.Root, "Work"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, c := startBasicWSMan(t, WSManOptions{PowerShell: sim})
	shellID := c.createShell(`<rsp:WorkingDirectory>C:\work</rsp:WorkingDirectory>`)
	cmdID := c.command(shellID, line)
	c.mustOK("Send", c.send(shellID, cmdID, []byte(`{"a": "hello"}`), true))
	run := c.receiveAll(shellID, cmdID)
	if run.stdout.String() != "hello from RCTEST-WIN in C:\\Work\r\n" || run.exitCode != 3 {
		t.Errorf("stdout %q, stderr %q, exit %d", run.stdout.String(), run.stderr.String(), run.exitCode)
	}
	run = c.receiveAll(shellID, c.command(shellID, "echo from-sh"))
	if run.stdout.String() != "from-sh\n" || run.exitCode != 0 {
		t.Errorf("a cmd line: stdout %q, exit %d", run.stdout.String(), run.exitCode)
	}
}

// TestPwshEmptyPath: an empty path is a parameter binding error, which
// -ErrorAction does not silence; it ends its statement only, unless
// $ErrorActionPreference is Stop.
func TestPwshEmptyPath(t *testing.T) {
	sim := newPwshForTest(t)
	out, errs, code := runPwshForTest(t, sim, `Get-Item -LiteralPath '' -ErrorAction SilentlyContinue; 'next'`, "")
	if out != "next\r\n" || code != 0 || !strings.Contains(errs, "Cannot bind argument to parameter 'LiteralPath' because it is an empty string.") {
		t.Errorf("out %q, exit %d, stderr %q", out, code, errs)
	}
	out, _, code = runPwshForTest(t, sim, "$ErrorActionPreference = 'Stop'\nGet-Item -LiteralPath ''\n'not reached'", "")
	if out != "" || code != 1 {
		t.Errorf("under Stop: out %q, exit %d", out, code)
	}
}
