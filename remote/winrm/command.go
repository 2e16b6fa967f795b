package winrm

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/remotectl/remotectl/remote"
)

// Shell kinds a target may ask for (Target.WinRM.Shell).
const (
	shellCmd        = "cmd"
	shellPowerShell = "powershell"
)

// maxCommandLine is the longest command line cmd.exe accepts (8191
// characters); every WinRM command runs through it.
const maxCommandLine = 8191

// powershellPrefix starts every PowerShell command line. -EncodedCommand
// takes the script as base64 of its UTF-16LE text, so no character of it
// is ever interpreted by cmd.exe.
const powershellPrefix = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand "

// powershellPreamble starts every script, as the winrm library's
// Powershell does: progress records would otherwise reach standard error as
// CLIXML.
const powershellPreamble = "$ProgressPreference = 'SilentlyContinue';"

// cmdMeta holds the characters cmd.exe gives a meaning to outside double
// quotes; '%' (variable expansion) and '!' (delayed expansion) are special
// inside them too.
const cmdMeta = "&|<>()^"

// commandLine builds the command line for cmd on a host whose shell is
// kind ("cmd" or "powershell"): Args are quoted for that shell, Shell is
// passed as is. The result is checked: it must fit cmd.exe's limit and hold
// only characters an XML document can carry.
func commandLine(kind string, cmd *remote.Cmd) (string, error) {
	var line string
	var err error
	switch {
	case len(cmd.Args) > 0 && cmd.Shell != "":
		return "", errors.New("the command has both Args and Shell set; use one")
	case len(cmd.Args) == 0 && cmd.Shell == "":
		return "", errors.New("empty command: set Args or Shell")
	case kind == shellPowerShell && len(cmd.Args) > 0:
		line, err = powershellCommand(powershellArgv(cmd.Args))
	case kind == shellPowerShell:
		line, err = powershellCommand(cmd.Shell)
	case len(cmd.Args) > 0:
		line, err = cmdArgv(cmd.Args)
	default:
		line = cmd.Shell
	}
	if err != nil {
		return "", err
	}
	return line, checkCommandLine(line)
}

// checkCommandLine refuses what cannot reach the host intact: text that is
// not UTF-8, characters XML 1.0 cannot carry (NUL and most control
// characters, whatever the quoting), line breaks (cmd.exe ends the command at
// the first one) and lines longer than cmd.exe accepts.
func checkCommandLine(line string) error {
	if !utf8.ValidString(line) {
		return errors.New("the command is not valid UTF-8")
	}
	for _, r := range line {
		if r == '\r' || r == '\n' {
			return errors.New("the command line contains a line break, which cmd.exe treats as its end; " +
				"use the powershell shell for multi-line scripts")
		}
		if !xmlChar(r) {
			return fmt.Errorf("the command contains the character %U, which WinRM cannot carry", r)
		}
	}
	if n := utf16Len(line); n > maxCommandLine {
		return fmt.Errorf("the command line is %d characters long, more than cmd.exe accepts (%d); "+
			"upload a script and run it instead", n, maxCommandLine)
	}
	return nil
}

// xmlChar reports whether r may appear in an XML 1.0 document.
func xmlChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20:
		return false
	case r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
		return false
	}
	return r <= utf8.MaxRune
}

// utf16Len is the length of s in UTF-16 code units, as Windows counts.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// cmdArgv quotes an argv for cmd.exe: see quoteCmdArg. A line that would
// start with a double quote is wrapped in one more pair, which `cmd /c`
// strips, so that its own quote-stripping rule never mangles a quoted program
// path.
func cmdArgv(args []string) (string, error) {
	quoted := make([]string, len(args))
	for i, a := range args {
		q, err := quoteCmdArg(a)
		if err != nil {
			return "", fmt.Errorf("argument %d: %w", i, err)
		}
		quoted[i] = q
	}
	line := strings.Join(quoted, " ")
	if strings.HasPrefix(line, `"`) {
		line = `"` + line + `"`
	}
	return line, nil
}

// quoteCmdArg quotes one argument so that the program started by cmd.exe
// receives it unchanged (through CommandLineToArgvW / the C runtime's
// parser):
//   - a word with no blank and no character special to cmd.exe or the parser
//     is left as is;
//   - otherwise it is quoted with the runtime's rules (backslashes doubled
//     before a quote, quotes escaped as \");
//   - if it holds a double quote or a percent sign, cmd.exe would see
//     unbalanced quotes or expand %VARIABLES%, so every character special to
//     cmd.exe in the quoted form, the quotes included, is also escaped with a
//     caret.
//
// Line breaks and NUL cannot be passed on a Windows command line at all.
func quoteCmdArg(arg string) (string, error) {
	if strings.ContainsAny(arg, "\r\n\x00") {
		return "", errors.New("a Windows command-line argument cannot contain a line break or NUL")
	}
	if arg != "" && !strings.ContainsAny(arg, " \t\v\"%!,;="+cmdMeta) {
		return arg, nil
	}
	q := quoteWindowsArg(arg)
	if !strings.ContainsAny(arg, `"%`) {
		return q, nil
	}
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if strings.IndexByte(cmdMeta+`"%!`, q[i]) >= 0 {
			b.WriteByte('^')
		}
		b.WriteByte(q[i])
	}
	return b.String(), nil
}

// quoteWindowsArg encloses s in double quotes following the rules of
// CommandLineToArgvW: a run of backslashes is literal unless it precedes a
// double quote, where it is doubled, and the quote itself is escaped.
func quoteWindowsArg(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	backslashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			backslashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, backslashes+1))
			backslashes = 0
		default:
			backslashes = 0
		}
		b.WriteByte(c)
	}
	b.WriteString(strings.Repeat(`\`, backslashes))
	b.WriteByte('"')
	return b.String()
}

// powershellKeywords are PowerShell's reserved words: a program named like
// one must be called with the & operator.
var powershellKeywords = map[string]bool{
	"begin": true, "break": true, "catch": true, "class": true, "clean": true, "continue": true,
	"data": true, "define": true, "do": true, "dynamicparam": true, "else": true, "elseif": true,
	"end": true, "enum": true, "exit": true, "filter": true, "finally": true, "for": true,
	"foreach": true, "from": true, "function": true, "hidden": true, "if": true, "in": true,
	"inlinescript": true, "parallel": true, "param": true, "process": true, "return": true,
	"sequence": true, "static": true, "switch": true, "throw": true, "trap": true, "try": true,
	"until": true, "using": true, "var": true, "while": true, "workflow": true,
}

// powershellArgv is a PowerShell script running argv: the program through
// the call operator and every argument as a single-quoted literal (nothing
// in it is expanded). The script exits with the program's exit code, or 1
// when a cmdlet failed, as cmd.exe would report them.
func powershellArgv(args []string) string {
	var b strings.Builder
	b.WriteString("& ")
	b.WriteString(quotePowerShell(args[0]))
	for _, a := range args[1:] {
		b.WriteByte(' ')
		b.WriteString(quotePowerShell(a))
	}
	b.WriteString("; $ok = $?\n")
	b.WriteString("if ($LASTEXITCODE) { exit $LASTEXITCODE } elseif (-not $ok) { exit 1 }\n")
	return b.String()
}

// quotePowerShell returns s as a PowerShell single-quoted string literal.
// PowerShell treats the typographic single quotes (U+2018 to U+201B) like
// the ASCII one, so each of them is doubled too.
func quotePowerShell(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		if isPowerShellQuote(r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

func isPowerShellQuote(r rune) bool {
	return r == '\'' || (r >= '\u2018' && r <= '\u201B')
}

// powershellCommand is the command line running script in powershell.exe,
// after the preamble: encoded for -EncodedCommand, so that no character of
// it is seen by cmd.exe.
func powershellCommand(script string) (string, error) {
	if !utf8.ValidString(script) {
		return "", errors.New("the PowerShell script is not valid UTF-8")
	}
	for _, r := range script {
		if r == 0 {
			return "", errors.New("the PowerShell script contains NUL")
		}
	}
	return powershellPrefix + encodePowerShell(powershellPreamble+script), nil
}

// encodePowerShell encodes a script for powershell.exe -EncodedCommand:
// base64 of its UTF-16LE text.
func encodePowerShell(script string) string {
	units := utf16.Encode([]rune(script))
	raw := make([]byte, 2*len(units))
	for i, u := range units {
		raw[2*i] = byte(u)
		raw[2*i+1] = byte(u >> 8)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// escapeCDATA makes s safe inside the CDATA section the winrm library wraps
// a command in: each "]]>" (which would end the section early) is split
// across two sections.
func escapeCDATA(s string) string {
	return strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>")
}
