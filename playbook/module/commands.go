package module

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// commandModules are the modules that run commands: command, shell, raw
// and script.
func commandModules() []*Module {
	return []*Module{
		{Name: "command", Collection: "ansible.builtin", FreeForm: "cmd", Check: CheckFull,
			Params: append(commonCommandParams(),
				Param{Name: "argv", Type: List, Elements: Str},
				// Ansible 2.16's name for what 2.14 always does.
				Param{Name: "expand_argument_vars", Type: Bool, Default: true}),
			Run: func(ctx context.Context, c *Call) (Result, error) { return runCommand(ctx, c, false) }},
		{Name: "shell", Collection: "ansible.builtin", FreeForm: "cmd", Check: CheckFull,
			Params: commonCommandParams(),
			Run:    func(ctx context.Context, c *Call) (Result, error) { return runCommand(ctx, c, true) }},
		{Name: "raw", Collection: "ansible.builtin", FreeForm: "_raw_params", Check: CheckFull,
			Params: []Param{{Name: "_raw_params", Type: Str, Required: true}, {Name: "executable", Type: Str}},
			Run:    runRaw},
		{Name: "script", Collection: "ansible.builtin", FreeForm: "cmd", Check: CheckFull,
			Params: []Param{{Name: "cmd", Type: Str}, {Name: "creates", Type: Str}, {Name: "removes", Type: Str},
				{Name: "chdir", Type: Str}, {Name: "executable", Type: Str}},
			Run: runScript},
	}
}

// commonCommandParams are the parameters command and shell share.
func commonCommandParams() []Param {
	return []Param{
		{Name: "cmd", Type: Str},
		{Name: "chdir", Type: Path},
		{Name: "executable", Type: Str},
		{Name: "creates", Type: Path},
		{Name: "removes", Type: Path},
		{Name: "stdin", Type: Str},
		{Name: "stdin_add_newline", Type: Bool, Default: true},
		{Name: "strip_empty_ends", Type: Bool, Default: true},
	}
}

// runCommand is Ansible's command module; shell is the same with
// _uses_shell: the command line goes to /bin/sh -c (or executable -c).
func runCommand(ctx context.Context, c *Call, shell bool) (Result, error) {
	a := c.Args
	raw, argv := a.Str("cmd"), a.Strings("argv")
	r := Result{"changed": false, "stdout": "", "stderr": "", "rc": nil, "cmd": nil,
		"start": nil, "end": nil, "delta": nil, "msg": ""}
	exe := a.Str("executable")
	if !shell && exe != "" {
		r["warnings"] = []any{fmt.Sprintf("As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' module. Not using '%s'.", exe)}
		exe = ""
	}
	fail := func(rc int, msg string) (Result, error) {
		r["rc"], r["msg"], r["failed"] = rc, msg, true
		return r, nil
	}
	if strings.TrimSpace(raw) == "" && len(argv) == 0 {
		return fail(256, "no command given")
	}
	if raw != "" && len(argv) > 0 {
		return fail(256, "only command or argv can be given, not both")
	}
	plan := cmdPlan{token: "rctl" + RandomSuffix(), chdir: a.Str("chdir"), creates: a.Str("creates"),
		removes: a.Str("removes"), glob: true, check: c.Check}
	switch {
	case shell:
		r["cmd"] = raw
		if exe == "" {
			exe = "/bin/sh"
		}
		plan.argv = []string{exe, "-c", raw}
	case raw != "":
		words, err := remote.ShlexSplit(raw, false)
		if err != nil {
			return Failed("cannot split the command %q as Python's shlex does: %v", raw, err), nil
		}
		r["cmd"], plan.argv, plan.expand = toAnyList(words), words, a.Bool("expand_argument_vars")
	default:
		r["cmd"], plan.argv, plan.expand = toAnyList(argv), argv, a.Bool("expand_argument_vars")
	}
	var stdin []byte
	if s := a.Str("stdin"); s != "" {
		if a.Bool("stdin_add_newline") {
			s += "\n"
		}
		stdin = []byte(s)
	}
	start := time.Now()
	out, err := c.Host.Run(ctx, Command{Script: plan.script(), Stdin: stdin, UserCommand: true})
	if err != nil {
		return nil, err
	}
	end := time.Now()
	if rep := parseReport(plan.token, out.Stdout); rep.kind != "" {
		return reportResult(r, rep, c.Check, a.Has("creates") || a.Has("removes")), nil
	}
	r["changed"], r["rc"], r["stdout"], r["stderr"] = true, out.RC, out.Stdout, out.Stderr
	r["start"], r["end"], r["delta"] = pyTime(start), pyTime(end), pyDelta(end.Sub(start))
	if a.Bool("strip_empty_ends") {
		r["stdout"] = strings.TrimRight(out.Stdout, "\r\n")
		r["stderr"] = strings.TrimRight(out.Stderr, "\r\n")
	}
	if out.RC != 0 {
		r["msg"], r["failed"] = "non-zero return code", true
	}
	return r, nil
}

// reportResult is command's result when the host script did not run the
// command: chdir failed, creates/removes hit, check mode, or the program
// cannot be executed.
func reportResult(r Result, rep cmdReport, check, createsOrRemoves bool) Result {
	shoulda := "Did"
	if check {
		shoulda = "Would"
	}
	switch rep.kind {
	case "chdir":
		r["msg"], r["failed"] = "Unable to change directory before execution: "+pyOSError(rep.errno, first(rep.vals)), true
	case "creates":
		r["msg"] = fmt.Sprintf("%s not run command since '%s' exists", shoulda, first(rep.vals))
		r["stdout"], r["rc"] = fmt.Sprintf("skipped, since %s exists", first(rep.vals)), 0
	case "removes":
		r["msg"] = fmt.Sprintf("%s not run command since '%s' does not exist", shoulda, first(rep.vals))
		r["stdout"], r["rc"] = fmt.Sprintf("skipped, since %s does not exist", first(rep.vals)), 0
	case "run":
		r["changed"], r["rc"], r["msg"] = true, 0, "Command would have run if not in check mode"
		if !createsOrRemoves {
			r["skipped"], r["changed"] = true, false
		}
	case "exec":
		rc, _ := strconv.Atoi(rep.errno)
		res := Result{"changed": false, "failed": true, "rc": rc, "stdout": "", "stderr": "",
			"msg": pyOSError(rep.errno, first(rep.vals)), "cmd": pyShlexJoin(rep.vals)}
		if w, ok := r["warnings"]; ok {
			res["warnings"] = w
		}
		return res
	default:
		return Failed("the command's host script reported %q", rep.kind)
	}
	return r
}

func first(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	return vals[0]
}

func toAnyList(words []string) []any {
	out := make([]any, len(words))
	for i, w := range words {
		out[i] = w
	}
	return out
}

// runRaw is Ansible's raw: the command line as is, through the login
// shell (or executable -c); skipped in check mode.
func runRaw(ctx context.Context, c *Call) (Result, error) {
	if c.Check {
		return Result{"changed": false, "skipped": true}, nil
	}
	line := c.Args.Str("_raw_params")
	if exe := c.Args.Str("executable"); exe != "" {
		line = exe + " -c " + pyShlexQuote(line)
	}
	out, err := c.Host.Run(ctx, Command{Script: line, UserCommand: true})
	if err != nil {
		return nil, err
	}
	return ranResult(out), nil
}

// ranResult is the result of raw and script: changed, and failed when the
// command exited non-zero.
func ranResult(out Output) Result {
	r := Result{"changed": true, "rc": out.RC, "stdout": out.Stdout, "stderr": out.Stderr}
	if out.RC != 0 {
		r["failed"], r["msg"] = true, "non-zero return code"
	}
	return r
}

// runScript is Ansible's script: the local script (found in the role's
// files/) is uploaded to a temporary file, run with its arguments and
// removed.
func runScript(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	creates, removes, chdir := a.Str("creates"), a.Str("removes"), a.Str("chdir")
	if creates != "" || removes != "" {
		plan := cmdPlan{token: "rctl" + RandomSuffix(), creates: creates, removes: removes, noExpand: true, check: true}
		out, err := c.Host.Run(ctx, Command{Script: plan.script()})
		if err != nil {
			return nil, err
		}
		switch parseReport(plan.token, out.Stdout).kind {
		case "creates":
			return Result{"changed": false, "skipped": true, "msg": creates + " exists, matching creates option"}, nil
		case "removes":
			return Result{"changed": false, "skipped": true, "msg": removes + " does not exist, matching removes option"}, nil
		case "run":
		default:
			return Failed("cannot test creates/removes on the host: %s", strings.TrimSpace(out.Stderr)), nil
		}
	}
	if chdir != "" && !strings.HasPrefix(chdir, "/") {
		return Failed("chdir %s must be an absolute path for a Unix-aware remote node", chdir), nil
	}
	line := strings.TrimSpace(a.Str("cmd"))
	parts, err := remote.ShlexSplit(line, false)
	if err != nil || len(parts) == 0 {
		return Failed("script needs the path of a local script (free form or cmd): %q", line), nil
	}
	data, err := readControllerFile(c, parts[0])
	if err != nil {
		return Failed("%v", err), nil
	}
	if c.Check {
		if creates != "" || removes != "" {
			return Result{"changed": true}, nil
		}
		return Result{"changed": false, "skipped": true, "msg": "Check mode is not supported for this task."}, nil
	}
	tmp := "/tmp/.remotectl-script-" + RandomSuffix()
	if err := c.Host.WriteFile(ctx, tmp, data, 0o700); err != nil {
		return nil, err
	}
	defer c.Host.Run(context.WithoutCancel(ctx), Command{Argv: []string{"rm", "-f", tmp}}) //nolint:errcheck // best effort
	cmdline := strings.ReplaceAll(line, parts[0], tmp)
	if exe := a.Str("executable"); exe != "" {
		cmdline = exe + " " + cmdline
	}
	if chdir != "" {
		// Ansible does not quote chdir (a space breaks it); we do.
		cmdline = "cd " + Quote(chdir) + " && " + cmdline
	}
	out, err := c.Host.Run(ctx, Command{Script: cmdline, UserCommand: true})
	if err != nil {
		return nil, err
	}
	return ranResult(out), nil
}

// readControllerFile reads a src: file on the controller, found as Ansible
// finds it (kind "files").
func readControllerFile(c *Call, name string) ([]byte, error) {
	notFound := fmt.Errorf("Could not find or access '%s' on the Ansible Controller.", name)
	if c.Controller == nil {
		return nil, notFound
	}
	path, err := c.Controller.FindFile("files", name)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", notFound, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", notFound, err)
	}
	return data, nil
}
