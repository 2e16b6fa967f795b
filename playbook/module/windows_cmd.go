package module

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

func winCommandParams() []Param {
	return []Param{
		{Name: "_raw_params", Type: Str},
		{Name: "chdir", Type: Path},
		{Name: "creates", Type: Path},
		{Name: "removes", Type: Path},
		{Name: "stdin", Type: Str},
	}
}

func winCommandModule() *Module {
	return &Module{Name: "win_command", Collection: "ansible.windows", Windows: true, FreeForm: "_raw_params",
		Check: CheckNone, // as win_command.ps1: supports_check_mode $false
		Params: append(winCommandParams(),
			Param{Name: "cmd", Type: Str},
			Param{Name: "argv", Type: List, Elements: Str}),
		Run: func(ctx context.Context, c *Call) (Result, error) { return runWinCommand(ctx, c, false) }}
}

func winShellModule() *Module {
	return &Module{Name: "win_shell", Collection: "ansible.windows", Windows: true, FreeForm: "_raw_params",
		Check: CheckNone, // as win_shell.ps1
		Params: append(winCommandParams(),
			Param{Name: "executable", Type: Path},
			Param{Name: "no_profile", Type: Bool, Default: false}),
		Run: func(ctx context.Context, c *Call) (Result, error) { return runWinCommand(ctx, c, true) }}
}

// runWinCommand is win_command (the command line split as a Windows
// program splits it, each argument quoted for the WinRM shell) and win_shell (the command run by
// powershell.exe -EncodedCommand, or by executable /c), after creates and
// removes are checked with one script.
func runWinCommand(ctx context.Context, c *Call, shell bool) (Result, error) {
	a := c.Args
	raw := strings.TrimSpace(a.Str("_raw_params"))
	if !shell && a.Str("cmd") != "" {
		if raw != "" {
			return Failed("parameters are mutually exclusive: _raw_params, cmd"), nil
		}
		raw = strings.TrimSpace(a.Str("cmd"))
	}
	argv := a.Strings("argv")
	switch {
	case raw == "" && len(argv) == 0:
		return Failed("no command given"), nil
	case raw != "" && len(argv) > 0:
		return Failed("parameters are mutually exclusive: _raw_params|cmd, argv"), nil
	}
	cmd := raw
	if len(argv) > 0 {
		cmd = strings.Join(argv, " ")
	}
	if skip, err := winCreatesRemoves(ctx, c, cmd); skip != nil || err != nil {
		return skip, err
	}
	command := Command{Argv: argv, Dir: a.Str("chdir"), Stdin: []byte(a.Str("stdin"))}
	switch {
	case shell:
		command.Script = winShellLine(raw, a.Str("executable"), a.Bool("no_profile"))
	case raw != "":
		// CreateProcess hands the line to the program, which splits it as
		// CommandLineToArgvW; split it the same way and let the transport
		// quote each argument for the host's shell, so that cmd.exe
		// interprets none of its characters.
		command.Argv = winSplitCommandLine(raw)
	}
	start := time.Now().UTC()
	out, err := c.Host.Run(ctx, command)
	if err != nil {
		return nil, err
	}
	end := time.Now().UTC()
	r := Result{"changed": true, "cmd": cmd, "rc": out.RC, "stdout": out.Stdout, "stderr": out.Stderr,
		"start": pyTime(start), "end": pyTime(end), "delta": pyDelta(end.Sub(start))}
	if out.RC != 0 {
		r["failed"], r["msg"] = true, "non-zero return code"
	}
	return r, nil
}

// winCreatesRemoves checks creates and removes with one script: a result
// when the command is skipped, nil when it runs.
func winCreatesRemoves(ctx context.Context, c *Call, cmd string) (Result, error) {
	creates, removes := c.Args.Str("creates"), c.Args.Str("removes")
	if creates == "" && removes == "" {
		return nil, nil
	}
	items, err := statWindows(ctx, c.Host, []string{creates, removes}, "", false)
	if err != nil {
		return psFailed(err, nil)
	}
	switch {
	case creates != "" && items[0].Exists:
		return Result{"msg": fmt.Sprintf("skipped, since %s exists", creates), "cmd": cmd, "changed": false, "skipped": true, "rc": 0}, nil
	case removes != "" && !items[1].Exists:
		return Result{"msg": fmt.Sprintf("skipped, since %s does not exist", removes), "cmd": cmd, "changed": false, "skipped": true, "rc": 0}, nil
	}
	return nil, nil
}

// winShellLine is the command line win_shell.ps1 starts: powershell.exe
// with the command base64-encoded (-noprofile with no_profile), or
// "executable /c command" for another executable (cmd).
func winShellLine(raw, executable string, noProfile bool) string {
	if executable == "" || strings.EqualFold(executable, "powershell") || strings.EqualFold(executable, "powershell.exe") {
		units := utf16.Encode([]rune(raw))
		b := make([]byte, 2*len(units))
		for i, u := range units {
			b[2*i], b[2*i+1] = byte(u), byte(u>>8)
		}
		args := "-noninteractive -encodedcommand " + base64.StdEncoding.EncodeToString(b)
		if noProfile {
			args = "-noprofile " + args
		}
		return "powershell.exe " + args
	}
	if !strings.HasSuffix(strings.ToLower(executable), ".exe") {
		executable += ".exe"
	}
	return executable + " /c " + raw
}

// winSplitCommandLine splits a command line as CommandLineToArgvW (and
// the C runtime) do: the program name up to a blank or between quotes;
// then arguments separated by blanks, where 2n backslashes before a quote
// are n backslashes and the quote toggles quoting, 2n+1 are n backslashes
// and a literal quote, and "" inside quotes is a literal quote.
func winSplitCommandLine(line string) []string {
	var args []string
	rs := []rune(strings.TrimSpace(line))
	i := 0
	var prog strings.Builder
	if i < len(rs) && rs[i] == '"' {
		for i++; i < len(rs) && rs[i] != '"'; i++ {
			prog.WriteRune(rs[i])
		}
		i++
	} else {
		for ; i < len(rs) && rs[i] != ' ' && rs[i] != '\t'; i++ {
			prog.WriteRune(rs[i])
		}
	}
	args = append(args, prog.String())
	for {
		for i < len(rs) && (rs[i] == ' ' || rs[i] == '\t') {
			i++
		}
		if i >= len(rs) {
			return args
		}
		var arg strings.Builder
		quoted := false
		for ; i < len(rs) && (quoted || rs[i] != ' ' && rs[i] != '\t'); i++ {
			switch {
			case rs[i] == '\\':
				n := 0
				for i < len(rs) && rs[i] == '\\' {
					n, i = n+1, i+1
				}
				if i < len(rs) && rs[i] == '"' {
					arg.WriteString(strings.Repeat(`\`, n/2))
					if n%2 == 1 {
						arg.WriteRune('"')
						continue
					}
				} else {
					arg.WriteString(strings.Repeat(`\`, n))
				}
				i--
			case rs[i] == '"' && quoted && i+1 < len(rs) && rs[i+1] == '"':
				arg.WriteRune('"')
				i++
			case rs[i] == '"':
				quoted = !quoted
			default:
				arg.WriteRune(rs[i])
			}
		}
		args = append(args, arg.String())
	}
}
