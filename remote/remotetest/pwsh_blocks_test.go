package remotetest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPwshNamedBlocksAndTraps: begin/process/end fed by standard input
// lines, trap, for, typed parameters with defaults and the assignment in
// parentheses, with what Windows PowerShell 5.1 prints.
func TestPwshNamedBlocksAndTraps(t *testing.T) {
	for _, tc := range []struct{ name, script, stdin, want string }{
		{"named blocks", "begin { $n = 0; 'begin' }\nprocess { $n++; \"line ${n}: $_ ($input)\" }\nend { \"end after $n\" }", "a\r\nb\nc", "begin\nline 1: a (a)\nline 2: b (b)\nline 3: c (c)\nend after 3"},
		{"return ends the process block only", "process { if ($_ -eq 'skip') { return }; $_ }\nend { 'done' }", "x\nskip\ny\n", "x\ny\ndone"},
		{"trap writes the error and goes on", "trap { \"trapped: $($_.Exception.Message)\" }\n'one'\n[IO.File]::ReadAllText('C:\\nope.txt')\n'two'", "", "one\ntrapped: Exception calling \"ReadAllText\" with \"1\" argument(s): \"Could not find a part of the path 'C:\\nope.txt'.\"\ntwo"},
		{"trap continue drops the error", "trap { 'gone'; continue }\nthrow 'x'\n'after'", "", "gone\nafter"},
		{"for", "for ($i = 0; $i -lt 3; $i++) { $i }\n$e = 5; for (; $e; $e = $e - 2) { if ($e -lt 0) { break }; \"e$e\" }", "", "0\n1\n2\ne5\ne3\ne1"},
		{"assignment in parentheses", "$s = 'abc'; $i = 0; while (($c = $s.Substring($i, 1)) -ne 'c') { $c; $i++ }; ($x = 4) + 1", "", "a\nb\n5"},
		{"typed parameters and defaults", "function F([string]$s, [int]$code = 3, $u) { \"[$s] $code $($null -eq $u)\" }\nF; F x 7; F -code '9'", "", "[] 3 True\n[x] 7 True\n[] 9 True"},
		{"-is walks base classes, InnerException", "try { [IO.File]::OpenRead('C:\\none') } catch { $e = $_.Exception; $e -is [System.Management.Automation.MethodInvocationException]; $e.InnerException -is [System.IO.FileNotFoundException]; $e.InnerException -is [IO.IOException]; $e.InnerException -is [System.UnauthorizedAccessException] -or $false; $e.InnerException.Message }", "", "True\nTrue\nTrue\nFalse\nCould not find file 'C:\\none'."},
		{"hash, BitConverter, Guid", "$h = [System.Security.Cryptography.SHA256]::Create(); $b = [Text.Encoding]::UTF8.GetBytes('abc'); [void]$h.TransformBlock($b, 0, 2, $null, 0); [void]$h.TransformFinalBlock($b, 2, 1); [BitConverter]::ToString($h.Hash).Replace('-', '').ToLowerInvariant(); [BitConverter]::ToString([byte[]]::new(3)); [Guid]::NewGuid().ToString('N').Length; [Convert]::ToBase64String($b, 1, 2)", "", sha256Hex("abc") + "\n00-00-00\n32\nYmM="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runPwshForTest(t, newPwshForTest(t), tc.script, tc.stdin)
			got := strings.TrimRight(strings.ReplaceAll(out, "\r\n", "\n"), "\n")
			if got != tc.want || code != 0 {
				t.Errorf("got %q (exit %d, stderr %q), want %q", got, code, errs, tc.want)
			}
		})
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestPwshNamedBlocksOnlyAtTheStart: after a statement, begin is a command
// name, as in PowerShell ("The term 'begin' is not recognized").
func TestPwshNamedBlocksOnlyAtTheStart(t *testing.T) {
	_, errs, code := runPwshForTest(t, newPwshForTest(t), "$ProgressPreference = 'SilentlyContinue'; begin { 'x' }", "")
	if code != 1 || !strings.Contains(errs, "The term 'begin' is not recognized") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	_, errs, code = runPwshForTest(t, newPwshForTest(t), "begin { 'x' }\n'stray'", "")
	if code != 1 || !strings.Contains(errs, "named blocks") {
		t.Errorf("a statement after named blocks: exit %d, stderr %q", code, errs)
	}
}

// TestPwshFileStreams: FileStream reads and writes in chunks; .NET's
// exceptions for a missing file, a missing directory and a directory.
func TestPwshFileStreams(t *testing.T) {
	sim := newPwshForTest(t)
	data := make([]byte, 70000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	script := `$in = [System.IO.File]::OpenRead('C:\Windows\Temp\in.bin')
$out = [System.IO.File]::Create('C:\Windows\Temp\out.bin')
$buf = [byte[]]::new(32768)
$chunks = 0
while (($n = $in.Read($buf, 0, $buf.Length)) -gt 0) { $out.Write($buf, 0, $n); $chunks++ }
$in.Dispose(); $out.Dispose()
$chunks
foreach ($p in 'C:\Windows\Temp\none.bin', 'C:\none\x.bin', 'C:\Windows') {
    try { [IO.File]::OpenRead($p) } catch { $_.Exception.InnerException.GetType().FullName + ': ' + $_.Exception.InnerException.Message }
}
try { [IO.File]::Create('C:\none\x.bin') } catch { $_.Exception.Message }
try { $in.Read($buf, 0, 1) } catch { $_.Exception.InnerException.Message }
`
	if err := os.WriteFile(filepath.Join(sim.Root, "Windows", "Temp", "in.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runPwshForTest(t, sim, script, "")
	want := "3\n" +
		"System.IO.FileNotFoundException: Could not find file 'C:\\Windows\\Temp\\none.bin'.\n" +
		"System.IO.DirectoryNotFoundException: Could not find a part of the path 'C:\\none\\x.bin'.\n" +
		"System.UnauthorizedAccessException: Access to the path 'C:\\Windows' is denied.\n" +
		"Exception calling \"Create\" with \"1\" argument(s): \"Could not find a part of the path 'C:\\none\\x.bin'.\"\n" +
		"Cannot access a closed file."
	if got := strings.TrimRight(strings.ReplaceAll(out, "\r\n", "\n"), "\n"); got != want || code != 0 {
		t.Errorf("got %q (exit %d, stderr %q), want %q", got, code, errs, want)
	}
	if got, err := os.ReadFile(filepath.Join(sim.Root, "Windows", "Temp", "out.bin")); err != nil || base64.StdEncoding.EncodeToString(got) != base64.StdEncoding.EncodeToString(data) {
		t.Errorf("the copy differs (%d bytes, %v)", len(got), err)
	}
}
