package module

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Ansible's ansible.windows modules, run over WinRM: each gathers the state
// it needs with one PowerShell script, decides in Go, and acts with one
// more script. A script is plain Windows PowerShell 5.1 sent with
// -EncodedCommand; its parameters travel as JSON on standard input (so a
// script is a constant text, never built by quoting values into it) and it
// answers one JSON document on standard output. The project's
// WS-Management test server runs them with its PowerShell simulator
// (remotetest.PowerShell), which implements the subset these scripts use.

// windowsModules are ansible.windows' modules.
func windowsModules() []*Module {
	return []*Module{
		winCommandModule(),
		winShellModule(),
		winStatModule(),
		winFileModule(),
		winCopyModule(),
		winTemplateModule(),
		winServiceModule(),
		winPingModule(),
		winRebootModule(),
	}
}

// psCommandLine is the command line that runs a PowerShell script on a
// Windows host: powershell.exe with the script as base64 of its UTF-16LE
// text, which neither cmd.exe nor a PowerShell shell reinterprets.
func psCommandLine(script string) string {
	units := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		b[2*i], b[2*i+1] = byte(u), byte(u>>8)
	}
	return "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand " + base64.StdEncoding.EncodeToString(b)
}

// psBootstrap is the command line's script: it reads the module script
// (base64 of its UTF-8 text) and the parameters (ASCII JSON: \u escapes,
// whatever the console's code page) from standard input, one line each,
// and runs the script with the parameters in $p. Only this short text
// rides on the command line, which cmd.exe caps at 8191 characters (and a
// PowerShell WinRM shell encodes a second time), as Ansible's bootstrap
// wrapper does.
const psBootstrap = `$ErrorActionPreference = 'Stop'
$lines = @($input)
$p = ConvertFrom-Json $lines[1]
& ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($lines[0]))))
`

// psPrelude starts every module script: errors stop it (and reach
// standard error with exit code 1), and Write-Result prints the answer as
// base64 of its UTF-8 JSON, which no output code page can mangle.
const psPrelude = `$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Write-Result($obj) {
    $json = ConvertTo-Json -InputObject $obj -Compress -Depth 5
    [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($json))
}
`

// psError is a module script that failed: its exit code and what it wrote
// on standard error (PowerShell's error record).
type psError struct {
	RC     int
	Stderr string
	Stdout string
}

func (e *psError) Error() string {
	msg := strings.TrimSpace(psErrorText(e.Stderr))
	if i := strings.Index(msg, "\n"); i >= 0 {
		msg = strings.TrimSpace(msg[:i]) // the message; the record's details follow
	}
	if msg == "" {
		msg = strings.TrimSpace(e.Stdout)
	}
	return fmt.Sprintf("the PowerShell script failed (exit code %d): %s", e.RC, msg)
}

// psErrorText is the text of PowerShell's standard error: as it is, or,
// when PowerShell serialised its error records as CLIXML ("#< CLIXML"),
// their strings, with _xHHHH_ escapes and XML entities decoded.
func psErrorText(stderr string) string {
	if !strings.HasPrefix(stderr, "#< CLIXML") {
		return stderr
	}
	var b strings.Builder
	for _, m := range regexp.MustCompile(`<S S="Error">([^<]*)</S>`).FindAllStringSubmatch(stderr, -1) {
		b.WriteString(m[1])
	}
	text := html.UnescapeString(b.String())
	return regexp.MustCompile(`_x([0-9A-Fa-f]{4})_`).ReplaceAllStringFunc(text, func(m string) string {
		n, _ := strconv.ParseUint(m[2:6], 16, 16)
		return string(rune(n))
	})
}

// runPS runs a module script (psPrelude prepended) through psBootstrap with
// params in $p, and decodes the JSON document it prints into out. A script that
// fails is a *psError; a broken connection is another error.
func runPS(ctx context.Context, h Host, script string, params any, out any) error {
	in, err := asciiJSON(params)
	if err != nil {
		return err
	}
	stdin := base64.StdEncoding.EncodeToString([]byte(psPrelude+script)) + "\n" + string(in) + "\n"
	res, err := h.Run(ctx, Command{Script: psCommandLine(psBootstrap), Stdin: []byte(stdin)})
	if err != nil {
		return err
	}
	if res.RC != 0 {
		return &psError{RC: res.RC, Stderr: res.Stderr, Stdout: res.Stdout}
	}
	doc, err := base64.StdEncoding.DecodeString(lastLine(res.Stdout))
	if err == nil {
		err = json.Unmarshal(doc, out)
	}
	if err != nil {
		return &psError{RC: res.RC, Stderr: fmt.Sprintf("its output is not the JSON expected (%v): %q", err, snippet(res.Stdout)), Stdout: res.Stdout}
	}
	return nil
}

// asciiJSON is v as JSON with every non-ASCII character escaped (\uXXXX,
// surrogate pairs beyond the BMP).
func asciiJSON(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, r := range string(data) {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&b, `\u%04x`, u)
		}
	}
	return []byte(b.String()), nil
}

// lastLine is the last non-empty line of a script's output.
func lastLine(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

func snippet(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// psFailed turns a script's failure into the module's failed result (a
// connection error stays an error).
func psFailed(err error, r Result) (Result, error) {
	if pe, ok := err.(*psError); ok {
		if r == nil {
			r = Result{}
		}
		r["failed"], r["msg"] = true, pe.Error()
		if _, ok := r["changed"]; !ok {
			r["changed"] = false
		}
		return r, nil
	}
	return nil, err
}

// winJoin joins a Windows directory and a name with one backslash.
func winJoin(dir, name string) string {
	return strings.TrimRight(dir, `\/`) + `\` + strings.TrimLeft(name, `\/`)
}

// winParent is the directory part of a Windows path ("" for none).
func winParent(p string) string {
	p = strings.TrimRight(p, `\/`)
	i := strings.LastIndexAny(p, `\/`)
	switch {
	case i < 0:
		return ""
	case i == 2 && len(p) > 1 && p[1] == ':':
		return p[:3]
	}
	return p[:i]
}

// winBase is the last name of a Windows (or controller) path.
func winBase(p string) string {
	p = strings.TrimRight(p, `\/`)
	return p[strings.LastIndexAny(p, `\/`)+1:]
}

// endsWithSep reports whether a path ends with a slash or a backslash.
func endsWithSep(p string) bool { return strings.HasSuffix(p, `\`) || strings.HasSuffix(p, "/") }
