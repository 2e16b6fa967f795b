package winrm

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/remotectl/remotectl/remote"
)

// simulateCmdExe does to a command line what `cmd.exe /c` does before the
// program starts: the /c quote stripping (a line starting with a quote
// loses it and the last quote), %VARIABLE% expansion of the variables in
// env, and the caret and quote processing, in which an unescaped operator
// outside quotes is an error.
func simulateCmdExe(line string, env map[string]string) (string, error) {
	if strings.HasPrefix(line, `"`) {
		last := strings.LastIndexByte(line, '"')
		line = line[1:last] + line[last+1:]
	}
	var expanded strings.Builder
	for i := 0; i < len(line); i++ {
		if line[i] == '%' {
			if j := strings.IndexByte(line[i+1:], '%'); j > 0 {
				if v, ok := env[strings.ToUpper(line[i+1:i+1+j])]; ok {
					expanded.WriteString(v)
					i += j + 1
					continue
				}
			}
		}
		expanded.WriteByte(line[i])
	}
	line = expanded.String()
	var out strings.Builder
	quoted := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '^':
			if i+1 < len(line) {
				i++
				c = line[i]
			}
		case strings.IndexByte("&|<>()", c) >= 0:
			return "", fmt.Errorf("unescaped %q outside quotes at %d in %s", c, i, line)
		}
		out.WriteByte(c)
	}
	return out.String(), nil
}

// parseWindowsArgs splits a command line as the C runtime (and
// CommandLineToArgvW) does.
func parseWindowsArgs(line string) []string {
	var args []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return args
		}
		var arg strings.Builder
		quoted := false
		for i < len(line) {
			c := line[i]
			if c == '\\' {
				n := 0
				for i < len(line) && line[i] == '\\' {
					n++
					i++
				}
				if i < len(line) && line[i] == '"' {
					arg.WriteString(strings.Repeat(`\`, n/2))
					if n%2 == 1 {
						arg.WriteByte('"')
						i++
					}
				} else {
					arg.WriteString(strings.Repeat(`\`, n))
				}
				continue
			}
			if c == '"' {
				if quoted && i+1 < len(line) && line[i+1] == '"' {
					arg.WriteByte('"')
					i += 2
					continue
				}
				quoted = !quoted
				i++
				continue
			}
			if !quoted && (c == ' ' || c == '\t') {
				break
			}
			arg.WriteByte(c)
			i++
		}
		args = append(args, arg.String())
	}
}

// cmdEnv is the environment of the simulated cmd.exe: variables whose
// expansion would change an argument.
var cmdEnv = map[string]string{"PATH": "C:\\Windows", "A": "expanded", "B": "x y", "USERNAME": "admin"}

func checkCmdRoundTrip(t *testing.T, args []string) {
	t.Helper()
	line, err := cmdArgv(args)
	if err != nil {
		t.Fatalf("cmdArgv(%q): %v", args, err)
	}
	seen, err := simulateCmdExe(line, cmdEnv)
	if err != nil {
		t.Fatalf("cmdArgv(%q) = %s: cmd.exe would fail: %v", args, line, err)
	}
	if got := parseWindowsArgs(seen); !slices.Equal(got, args) {
		t.Fatalf("cmdArgv(%q) = %s\n  the program sees %s\n  parsed as %q", args, line, seen, got)
	}
}

func TestQuoteCmdArg(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{`C:\Windows\System32`, `C:\Windows\System32`},
		{"", `""`},
		{"a b", `"a b"`},
		{"a&b", `"a&b"`},
		{"x|y>z", `"x|y>z"`},
		{`trailing\`, `trailing\`},
		{`with space\`, `"with space\\"`},
		{`say "hi"`, `^"say \^"hi\^"^"`},
		{`50%`, `^"50^%^"`},
		{`%PATH%`, `^"^%PATH^%^"`},
		{`a\"b`, `^"a\\\^"b^"`},
	}
	for _, tt := range tests {
		got, err := quoteCmdArg(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("quoteCmdArg(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"a\nb", "a\rb", "a\x00b"} {
		if _, err := quoteCmdArg(bad); err == nil {
			t.Errorf("quoteCmdArg(%q) accepted an argument Windows cannot pass", bad)
		}
	}
}

func TestCmdArgvRoundTrip(t *testing.T) {
	for _, args := range [][]string{
		{"echo", "hello"},
		{"echo", "a b", "", "c"},
		{`C:\Program Files\App\app.exe`, "--flag", "a b"},
		{`C:\Program Files\App\app.exe`},
		{"findstr", `"quoted"`, "x&y", "(paren)", "a^b", "pipe|", "<in>"},
		{"echo", "%PATH%", "%A%", "100%", "%%", "%A", "A%", "%B%%A%"},
		{"prog", `back\slash\`, `dir with space\`, `\\server\share`, `\"`, `\\"`, `a"b"c`},
		{"prog", "!bang!", "semi;colon", "comma,x", "eq=ual", "tab\there"},
		{"prog", "unicode ✓ é 日本"},
	} {
		checkCmdRoundTrip(t, args)
	}
}

func FuzzCmdArgv(f *testing.F) {
	f.Add("prog", "a b", `"%PATH%"`)
	f.Add(`C:\x y\p.exe`, `\"`, "&|<>()^%!")
	f.Add("p", "", `a\\"b`)
	f.Fuzz(func(t *testing.T, prog, a, b string) {
		if prog == "" || strings.ContainsAny(prog, `"`) || strings.HasSuffix(prog, `\`) {
			return // not a program path
		}
		args := []string{prog, a, b}
		for _, s := range args {
			if strings.ContainsAny(s, "\r\n\x00") {
				if _, err := cmdArgv(args); err == nil {
					t.Fatalf("cmdArgv(%q) accepted a line break or NUL", args)
				}
				return
			}
		}
		checkCmdRoundTrip(t, args)
	})
}

// parsePowerShellLiterals reads a sequence of single-quoted PowerShell
// string literals separated by spaces, as the PowerShell parser does.
func parsePowerShellLiterals(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if rs[i] == ' ' {
			i++
			continue
		}
		if !isPowerShellQuote(rs[i]) {
			t.Fatalf("literal does not start with a quote at %d in %s", i, s)
		}
		i++
		var b strings.Builder
		for {
			if i >= len(rs) {
				t.Fatalf("unterminated literal in %s", s)
			}
			if isPowerShellQuote(rs[i]) {
				if i+1 < len(rs) && isPowerShellQuote(rs[i+1]) {
					b.WriteRune(rs[i])
					i += 2
					continue
				}
				i++
				break
			}
			b.WriteRune(rs[i])
			i++
		}
		out = append(out, b.String())
	}
	return out
}

func TestQuotePowerShell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "'plain'"},
		{"", "''"},
		{"it's", "'it''s'"},
		{"$env:PATH `n \"x\"", "'$env:PATH `n \"x\"'"},
		{"typographic ‘quotes’", "'typographic ‘‘quotes’’'"},
	}
	for _, tt := range tests {
		if got := quotePowerShell(tt.in); got != tt.want {
			t.Errorf("quotePowerShell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzQuotePowerShell(f *testing.F) {
	f.Add("it's", "$x")
	f.Add("‘’‚‛", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		literals := quotePowerShell(a) + " " + quotePowerShell(b)
		if got := parsePowerShellLiterals(t, literals); !slices.Equal(got, []string{a, b}) {
			t.Fatalf("round trip of %q, %q through %s gave %q", a, b, literals, got)
		}
	})
}

func TestPowershellArgv(t *testing.T) {
	script := powershellArgv([]string{"C:\\Tools\\app.exe", "a b", "it's"})
	first, _, _ := strings.Cut(script, ";")
	if got := parsePowerShellLiterals(t, strings.TrimPrefix(first, "& ")); !slices.Equal(got, []string{"C:\\Tools\\app.exe", "a b", "it's"}) {
		t.Errorf("the call in %q passes %q", script, got)
	}
	if !strings.Contains(script, "exit $LASTEXITCODE") || !strings.Contains(script, "exit 1") {
		t.Errorf("the script does not pass the exit code on: %q", script)
	}
}

// decodePowerShell reverses -EncodedCommand's encoding.
func decodePowerShell(t *testing.T, line string) string {
	t.Helper()
	encoded, ok := strings.CutPrefix(line, powershellPrefix)
	if !ok {
		t.Fatalf("%q does not start with %q", line, powershellPrefix)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(raw)%2 != 0 {
		t.Fatalf("bad -EncodedCommand %q: %v", encoded, err)
	}
	units := make([]uint16, len(raw)/2)
	for i := range units {
		units[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	script, ok := strings.CutPrefix(string(utf16.Decode(units)), powershellPreamble)
	if !ok {
		t.Fatalf("the script does not start with the preamble: %q", script)
	}
	return script
}

func TestPowershellCommand(t *testing.T) {
	script := "Write-Output 'héllo 😀'\nexit 3"
	line, err := powershellCommand(script)
	if err != nil {
		t.Fatal(err)
	}
	if got := decodePowerShell(t, line); got != script {
		t.Errorf("decoded script = %q, want %q", got, script)
	}
	if _, err := powershellCommand("bad \xff"); err == nil {
		t.Error("a script that is not UTF-8 was accepted")
	}
	if _, err := powershellCommand("nul \x00"); err == nil {
		t.Error("a script with NUL was accepted")
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name  string
		kind  string
		cmd   remote.Cmd
		want  string // for cmd lines; decoded script for PowerShell
		error string // substring of the error
	}{
		{name: "shell as is", kind: shellCmd, cmd: remote.Cmd{Shell: `echo a & echo "b"`}, want: `echo a & echo "b"`},
		{name: "CDATA end kept", kind: shellCmd, cmd: remote.Cmd{Shell: "echo ]]> done"}, want: "echo ]]> done"},
		{name: "args", kind: shellCmd, cmd: remote.Cmd{Args: []string{"echo", "a b"}}, want: `echo "a b"`},
		{name: "powershell shell", kind: shellPowerShell, cmd: remote.Cmd{Shell: "Get-Date\nexit 2"}, want: "Get-Date\nexit 2"},
		{name: "powershell args", kind: shellPowerShell, cmd: remote.Cmd{Args: []string{"whoami"}}, want: powershellArgv([]string{"whoami"})},
		{name: "both", kind: shellCmd, cmd: remote.Cmd{Args: []string{"a"}, Shell: "b"}, error: "both"},
		{name: "empty", kind: shellCmd, cmd: remote.Cmd{}, error: "empty command"},
		{name: "line break", kind: shellCmd, cmd: remote.Cmd{Shell: "echo a\necho b"}, error: "line break"},
		{name: "control character", kind: shellCmd, cmd: remote.Cmd{Shell: "echo \x07"}, error: "U+0007"},
		{name: "not UTF-8", kind: shellCmd, cmd: remote.Cmd{Shell: "echo \xff"}, error: "UTF-8"},
		{name: "too long", kind: shellCmd, cmd: remote.Cmd{Shell: "echo " + strings.Repeat("x", maxCommandLine)}, error: "8191"},
		{name: "script too long", kind: shellPowerShell, cmd: remote.Cmd{Shell: strings.Repeat("x", 4000)}, error: "upload a script"},
		{name: "arg with NUL", kind: shellCmd, cmd: remote.Cmd{Args: []string{"echo", "\x00"}}, error: "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, err := commandLine(tt.kind, &tt.cmd)
			if tt.error != "" {
				if err == nil || !strings.Contains(err.Error(), tt.error) {
					t.Fatalf("commandLine = %q, %v; want an error about %q", line, err, tt.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.kind == shellPowerShell {
				line = decodePowerShell(t, line)
			}
			if line != tt.want {
				t.Errorf("commandLine = %q, want %q", line, tt.want)
			}
		})
	}
}

// cdataRoundTrip puts s in the CDATA section the winrm library writes
// and reads it back as an XML parser does.
func cdataRoundTrip(s string) (string, error) {
	var v struct {
		Command string `xml:"Command"`
	}
	doc := "<CommandLine><Command><![CDATA[" + escapeCDATA(s) + "]]></Command></CommandLine>"
	if err := xml.Unmarshal([]byte(doc), &v); err != nil {
		return "", err
	}
	return v.Command, nil
}

func TestEscapeCDATA(t *testing.T) {
	for _, s := range []string{"plain", "]]>", "a]]>b]]>c", "]]]>>", "]]", "<![CDATA[x]]>"} {
		got, err := cdataRoundTrip(s)
		if err != nil || got != s {
			t.Errorf("CDATA round trip of %q = %q, %v", s, got, err)
		}
	}
}

func FuzzEscapeCDATA(f *testing.F) {
	f.Add("a]]>b")
	f.Fuzz(func(t *testing.T, s string) {
		if checkCommandLine(s) != nil || strings.ContainsAny(s, "\r") {
			return // refused before it is ever wrapped; XML normalizes \r
		}
		got, err := cdataRoundTrip(s)
		if err != nil {
			var syntax *xml.SyntaxError
			if errors.As(err, &syntax) {
				t.Fatalf("CDATA of %q is not XML: %v", s, err)
			}
			t.Fatal(err)
		}
		if got != s {
			t.Fatalf("CDATA round trip of %q = %q", s, got)
		}
	})
}
