package remotetest

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// PowerShell is the WS-Management test server's PowerShell simulator: an
// interpreter of the subset of Windows PowerShell 5.1 that remotectl's
// Windows modules use, on a real directory tree standing for C:\, with a
// small in-memory service table. WSManOptions.PowerShell makes the server
// run every "powershell.exe ... -EncodedCommand <base64 UTF-16LE>" command
// line with it (other command lines still run with /bin/sh).
//
// It parses real PowerShell syntax, and what it does not implement fails
// loudly: an unknown cmdlet, parameter, .NET member or operator is a
// terminating error naming it, never a silent success. The subset:
//
//   - Statements: pipelines, assignments (=, +=, -=, ++, --) to variables,
//     properties, indexes and [Console]::OutputEncoding, (assignments in
//     parentheses output their value), if/elseif/else, foreach, for,
//     while, break, continue, try/catch/finally (catch [Type] accepted, any
//     error caught, $_ the ErrorRecord with .Exception.Message and
//     .InnerException), trap { } (then the error is written and the block
//     goes on, unless the trap exits or says break or continue), throw,
//     exit N, return, function Name { param(...) } with named and
//     positional arguments, typed ([string], [int]...) and defaulted
//     parameters. A script that starts with begin/process/end blocks runs
//     process once per line of standard input, read as it arrives;
//     elsewhere those words are command names, as in PowerShell.
//   - Expressions: $variables ($null, $true, $false, $_, $input (standard
//     input, as lines), $args, $LASTEXITCODE, $?, $PID, $Matches,
//     $env:NAME, $script:x, $PSVersionTable, $ErrorActionPreference),
//     'literal' and "expandable"
//     strings (`escapes, $var, $(subexpression)), here-strings, numbers
//     (0x hex, kb/mb/gb), @() and $() and (), @{ hashtables } (ordered),
//     a, b arrays, { script blocks }, [type] literals and casts ([string],
//     [int], [bool], [array], [hashtable], [ordered], [pscustomobject],
//     [datetime], [void]), .Property, .Method(), [Type]::Member, $a[i],
//     $h['k'], operators -eq -ne -lt -le -gt -ge -like -notlike -match
//     -notmatch -replace -contains -notcontains -in -notin -is -isnot -as
//     -join -split -f -and -or -xor -not ! + - * / % and the range 1..n,
//     with PowerShell's
//     conversions (the right operand to the left's type, strings
//     case-insensitively).
//   - Cmdlets: Write-Output/-Host/-Error/-Warning/-Verbose, Out-Null,
//     Out-String, ConvertTo-Json (-Depth, -Compress; enums as numbers, as
//     5.1), ConvertFrom-Json, ForEach-Object, Where-Object, Select-Object,
//     Get-Location, Set-Location, Get-Date, Start-Sleep, Join-Path,
//     Split-Path; Test-Path, Get-Item, Get-ChildItem, New-Item (File,
//     Directory), Remove-Item, Copy-Item, Move-Item, Set-Content,
//     Add-Content, Get-Content, Get-FileHash, Get-Acl; Get-Service,
//     Start-/Stop-/Restart-/Suspend-/Resume-Service, Set-Service
//     (-StartupType, -DisplayName, -Description, -Status), New-Service,
//     Invoke-CimMethod (Win32_Service Change and Delete), Get-CimInstance
//     and Get-WmiObject (Win32_Service with -Filter "Name='x'", Win32_Share
//     with -Filter "Path='x'" (no share), Win32_OperatingSystem,
//     Win32_ComputerSystem). Parameters bind by
//     name, alias, unambiguous prefix and position; -ErrorAction and
//     $ErrorActionPreference (Stop, SilentlyContinue, Continue) decide
//     whether a cmdlet's error is terminating, dropped or written to
//     standard error.
//   - .NET: [IO.File] Exists, ReadAllBytes, ReadAllText, WriteAllBytes,
//     WriteAllText, Copy, Delete; [IO.Directory] Exists, CreateDirectory;
//     [IO.Path] Combine, GetFileName, GetDirectoryName, GetFullPath,
//     GetTempPath; [Convert] FromBase64String, ToBase64String;
//     [Environment] MachineName, UserName, NewLine,
//     ExpandEnvironmentVariables; [DateTime] Now, UtcNow (and
//     .ToFileTimeUtc(), .ToString(format)); [Guid]::NewGuid();
//     [Text.Encoding]::UTF8 (GetBytes, GetString); [ScriptBlock]::Create
//     (run with &); [IO.File] Create, OpenRead, OpenWrite (FileStream
//     Read, Write, Flush, Dispose); [Security.Cryptography.SHA256] (and
//     SHA1, MD5, SHA384, SHA512) Create (TransformBlock,
//     TransformFinalBlock, ComputeHash, Hash); [BitConverter]::ToString;
//     [byte[]]::new(n); [Console]::Out/Error (Write, WriteLine, Flush)
//     and [Console]::In (ReadToEnd, ReadLine); string methods (ToLower,
//     ToUpper, Trim*, StartsWith, EndsWith, Contains, Replace, Split,
//     Substring, IndexOf, PadLeft), hashtable ContainsKey/Add/Remove/Keys/
//     Count, array Count/Contains.
//   - Programs: whoami, hostname, shutdown /r (a reboot: the boot time
//     changes, automatic services start, the others stop), powershell.exe
//     (-EncodedCommand or -Command, run by the simulator). $LASTEXITCODE
//     is their exit code.
//
// A .NET method's exception reaches the script as PowerShell wraps it: a
// MethodInvocationException ("Exception calling "M" with "N"
// argument(s): ...") whose InnerException is the .NET one
// (FileNotFoundException, DirectoryNotFoundException,
// UnauthorizedAccessException...); -is knows their base classes.
//
// Errors are PowerShell's: throw and cmdlet errors under -ErrorAction Stop
// end the script unless caught; other errors (.NET exceptions, parameter
// binding, unknown commands) end their statement, are written to standard
// error, and the script goes on (under $ErrorActionPreference = 'Stop' or
// in try they propagate). A script's exit code is its exit N, 1 after an
// uncaught terminating error or when its last statement failed ($? false),
// else 0. Output objects are written as
// PowerShell formats them, lines ending in CRLF.
type PowerShell struct {
	Root         string // the directory standing for C:\
	ComputerName string // $env:COMPUTERNAME, hostname
	User         string // $env:USERNAME, whoami
	Owner        string // the owner Get-Acl reports

	pids atomic.Int64 // numbers its runs, as process IDs

	mu       sync.Mutex
	services map[string]*PwshService // by lower-case name
	boot     time.Time
	lastBoot time.Time
	reboots  int
}

// NewPowerShell returns a simulator whose C:\ is root (created, with
// C:\Windows\Temp, when missing), with a few of Windows' services:
// WinRM and Spooler (automatic, running), W32Time (manual, stopped),
// LanmanServer (automatic, running) and LanmanWorkstation, which it
// depends on.
func NewPowerShell(root string) (*PowerShell, error) {
	if err := os.MkdirAll(filepath.Join(root, "Windows", "Temp"), 0o755); err != nil {
		return nil, err
	}
	s := &PowerShell{Root: root, ComputerName: "RCTEST-WIN", User: "rctest-win", Owner: `BUILTIN\Administrators`,
		services: map[string]*PwshService{}, boot: time.Now().UTC().Add(-time.Hour).Truncate(time.Second)}
	s.lastBoot = s.boot
	for _, svc := range []PwshService{
		{Name: "WinRM", DisplayName: "Windows Remote Management (WS-Management)", StartMode: "Auto", State: "Running",
			Path: `C:\Windows\System32\svchost.exe -k NetworkService -p`, StartName: `NT AUTHORITY\NetworkService`,
			Description: "Windows Remote Management (WinRM) service implements the WS-Management protocol for remote management."},
		{Name: "Spooler", DisplayName: "Print Spooler", StartMode: "Auto", State: "Running",
			Path: `C:\Windows\System32\spoolsv.exe`, Description: "This service spools print jobs and handles interaction with the printer."},
		{Name: "W32Time", DisplayName: "Windows Time", StartMode: "Manual", State: "Stopped",
			Path: `C:\Windows\system32\svchost.exe -k LocalService`, StartName: `NT AUTHORITY\LocalService`,
			Description: "Maintains date and time synchronization on all clients and servers in the network."},
		{Name: "LanmanWorkstation", DisplayName: "Workstation", StartMode: "Auto", State: "Running", AcceptPause: true,
			Path: `C:\Windows\System32\svchost.exe -k NetworkService -p`, StartName: `NT AUTHORITY\NetworkService`},
		{Name: "LanmanServer", DisplayName: "Server", StartMode: "Auto", State: "Running", DependsOn: []string{"LanmanWorkstation"},
			Path: `C:\Windows\system32\svchost.exe -k netsvcs -p`},
	} {
		s.AddService(svc)
	}
	return s, nil
}

// Run runs a script: stdin feeds $input and [Console]::In, output goes to
// stdout and errors to stderr; cwd is the Windows path of the current
// location (C:\ when empty); env adds to the simulated environment. It
// returns the script's exit code.
func (s *PowerShell) Run(ctx context.Context, script string, stdin io.Reader, stdout, stderr io.Writer, cwd string, env []string) int {
	r := &psRun{sim: s, ctx: ctx, scopes: []map[string]any{{"lastexitcode": int64(0), "?": true}}, funcs: map[string]*psFunction{},
		out: stdout, errw: stderr, cwd: `C:\`, env: s.environment(env)}
	if stdin != nil {
		r.stdin = bufio.NewReader(stdin)
	}
	if cwd != "" {
		r.cwd = cwd
	}
	return r.runScript(script)
}

// environment is Windows' environment of a session, then env's entries.
func (s *PowerShell) environment(env []string) map[string]string {
	m := map[string]string{
		"COMPUTERNAME": s.ComputerName, "USERNAME": s.User, "USERDOMAIN": s.ComputerName,
		"SYSTEMROOT": `C:\Windows`, "WINDIR": `C:\Windows`, "SYSTEMDRIVE": "C:", "TEMP": `C:\Windows\Temp`, "TMP": `C:\Windows\Temp`,
		"PROGRAMDATA": `C:\ProgramData`, "PROGRAMFILES": `C:\Program Files`, "USERPROFILE": `C:\Users\` + s.User,
		"APPDATA": `C:\Users\` + s.User + `\AppData\Roaming`, "PROCESSOR_ARCHITECTURE": "AMD64", "OS": "Windows_NT",
	}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if _, windows := m[strings.ToUpper(k)]; !windows {
				m[strings.ToUpper(k)] = v
			}
		}
	}
	return m
}

// runScript parses and runs a script, writing its output.
func (r *psRun) runScript(script string) (code int) {
	block, err := parsePowerShell(script)
	if err != nil {
		fmt.Fprintf(r.errw, "%v\r\n    + CategoryInfo          : ParserError\r\n", err)
		return 1
	}
	defer func() {
		if e := recover(); e != nil {
			code = r.settle(e)
		}
	}()
	if block.named != nil {
		r.runNamedBlocks(block.named)
	} else {
		r.runTop(block, true)
	}
	if r.scopes[0]["?"] == false { // as powershell.exe -Command: the last statement's $?
		return 1
	}
	return 0
}

// runTop runs the statements of a script (or of one of its named blocks),
// writing each one's output as it ends. A return ends the block, and the
// script too when returnExits.
func (r *psRun) runTop(b *psBlock, returnExits bool) {
	defer func() {
		if e := recover(); e != nil {
			ret, ok := e.(*psReturnFlow)
			if !ok {
				panic(e)
			}
			r.writeOut(ret.val)
			if returnExits {
				panic(&psExitFlow{code: 0})
			}
		}
	}()
	for _, s := range b.stmts {
		r.scopes[0]["?"] = true
		if err := r.ctx.Err(); err != nil {
			panic(&psExitFlow{code: 1})
		}
		r.writeOut(r.trapped(b.traps, s))
	}
}

// writeOut writes output objects as PowerShell formats them.
func (r *psRun) writeOut(vals []any) {
	for _, v := range vals {
		fmt.Fprint(r.out, psFormatOut(v))
	}
}

// settle turns what ended a script into its exit code.
func (r *psRun) settle(e any) int {
	switch x := e.(type) {
	case *psExitFlow:
		return x.code
	case *psError:
		r.writeError(x)
		return 1
	case *psLoopFlow:
		return 0
	}
	panic(e)
}

// psNative is a program of the simulated host: it returns its output lines
// and exit code.
type psNative func(r *psRun, args []string, input []any) ([]any, int)

func psNatives() map[string]psNative {
	return map[string]psNative{
		"whoami": func(r *psRun, _ []string, _ []any) ([]any, int) {
			return []any{strings.ToLower(r.sim.ComputerName + `\` + r.sim.User)}, 0
		},
		"hostname":   func(r *psRun, _ []string, _ []any) ([]any, int) { return []any{r.sim.ComputerName}, 0 },
		"shutdown":   nativeShutdown,
		"powershell": nativePowerShell,
		"pwsh":       func(r *psRun, args []string, input []any) ([]any, int) { return nativePowerShell(r, args, input) },
	}
}

// nativeShutdown is shutdown.exe: /r reboots (after /t seconds, at most
// a few here), /a aborts nothing; anything else is refused.
func nativeShutdown(r *psRun, args []string, _ []any) ([]any, int) {
	reboot := false
	for i := 0; i < len(args); i++ {
		switch strings.ToLower(args[i]) {
		case "/r", "-r":
			reboot = true
		case "/t", "/c", "/d", "-t", "-c", "-d":
			i++
		case "/f", "-f":
		default:
			fmt.Fprintf(r.errw, "shutdown: the simulator does not implement %s\r\n", args[i])
			return nil, 87
		}
	}
	if !reboot {
		fmt.Fprintf(r.errw, "shutdown: the simulator implements /r only\r\n")
		return nil, 87
	}
	r.sim.reboot()
	return nil, 0
}

// nativePowerShell runs powershell.exe -EncodedCommand or -Command in a
// new run of the simulator.
func nativePowerShell(r *psRun, args []string, input []any) ([]any, int) {
	for i := 0; i < len(args); i++ {
		flag := strings.ToLower(args[i])
		if !strings.HasPrefix(flag, "-") || i+1 >= len(args) {
			continue
		}
		var script string
		switch {
		case flag == "-ec" || len(flag) >= 2 && strings.HasPrefix("-encodedcommand", flag) && len(flag) > 2:
			raw, err := base64.StdEncoding.DecodeString(args[i+1])
			if err == nil {
				script, err = decodeNTLMString(raw, true)
			}
			if err != nil {
				fmt.Fprintf(r.errw, "Cannot process the command because the value specified with -EncodedCommand is not properly encoded.\r\n")
				return nil, 1
			}
		case flag == "-c" || strings.HasPrefix("-command", flag) && len(flag) > 2:
			script = strings.Join(args[i+1:], " ")
		default:
			continue
		}
		// Pipeline input, if any, is its standard input; else it inherits
		// this one's, as a native command started by PowerShell does.
		var in io.Reader = r.stdin
		if input != nil {
			var sb strings.Builder
			for _, v := range input {
				sb.WriteString(psString(v) + "\n")
			}
			in = strings.NewReader(sb.String())
		}
		var out strings.Builder
		code := r.sim.Run(r.ctx, script, in, &out, r.errw, r.cwd, nil)
		lines := strings.Split(strings.TrimSuffix(strings.ReplaceAll(out.String(), "\r\n", "\n"), "\n"), "\n")
		if out.Len() == 0 {
			lines = nil
		}
		return psUnrollStrings(lines), code
	}
	fmt.Fprintf(r.errw, "powershell: the simulator runs -EncodedCommand and -Command only\r\n")
	return nil, 1
}

// consoleStatic is [Console]::Out, ::Error and ::In.
func (r *psRun) consoleStatic(name string) any {
	writer := func(w io.Writer) *psObject {
		o := newPSObject("System.IO.TextWriter")
		o.methods = map[string]func([]any) (any, error){
			"write":     func(a []any) (any, error) { _, err := fmt.Fprint(w, psJoinArgs(a)); return nil, err },
			"writeline": func(a []any) (any, error) { _, err := fmt.Fprint(w, psJoinArgs(a)+"\r\n"); return nil, err },
			"flush":     func([]any) (any, error) { return nil, nil },
		}
		return o
	}
	switch name {
	case "out":
		return writer(r.out)
	case "error":
		return writer(r.errw)
	case "in":
		o := newPSObject("System.IO.TextReader")
		o.methods = map[string]func([]any) (any, error){
			"readtoend": func([]any) (any, error) {
				if r.stdin == nil {
					return "", nil
				}
				b, err := io.ReadAll(r.stdin)
				return string(b), err
			},
			"readline": func([]any) (any, error) {
				if r.stdin == nil {
					return nil, nil
				}
				line, err := r.stdin.ReadString('\n')
				if errors.Is(err, io.EOF) && line == "" {
					return nil, nil
				}
				return strings.TrimRight(line, "\r\n"), nil
			},
		}
		return o
	}
	psThrow("System.Management.Automation.RuntimeException", "the simulator does not implement [Console]::%s", name)
	return nil
}

func psJoinArgs(a []any) string {
	if len(a) == 0 {
		return ""
	}
	return psString(a[0])
}

// HostPath maps a Windows path (C:\..., either slash) to the simulator's
// tree, matching existing names case-insensitively.
func (s *PowerShell) HostPath(win string) string {
	r := &psRun{sim: s, cwd: `C:\`}
	full := `C:\`
	func() {
		defer func() { _ = recover() }() // another drive: C:\
		full = r.fullPath(win)
	}()
	return s.hostPath(full)
}
