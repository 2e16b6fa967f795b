package module

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// sysctlModule is ansible.posix.sysctl on Linux: the entry of a sysctl
// file (default /etc/sysctl.conf) and, with sysctl_set, the kernel's value;
// decided as ansible.posix's SysctlModule.process on one probe.
func sysctlModule() *Module {
	return &Module{Name: "sysctl", Collection: "ansible.posix", Check: CheckFull,
		Params: []Param{
			{Name: "name", Aliases: []string{"key"}, Type: Str, Required: true},
			{Name: "value", Aliases: []string{"val"}, Type: Str},
			{Name: "state", Type: Str, Default: "present", Choices: []string{"present", "absent"}},
			{Name: "reload", Type: Bool, Default: true},
			{Name: "sysctl_file", Type: Path, Default: "/etc/sysctl.conf"},
			{Name: "ignoreerrors", Type: Bool, Default: false},
			{Name: "sysctl_set", Type: Bool, Default: false},
		},
		Run: runSysctl,
	}
}

// sysctlValue is _parse_value: booleans become 1/0, strings are trimmed.
func sysctlValue(raw any) string {
	switch v := raw.(type) {
	case nil:
		return ""
	case bool:
		if v {
			return "1"
		}
		return "0"
	}
	s := fmt.Sprint(raw)
	switch strings.ToLower(s) {
	case "yes", "on", "1", "true", "y", "t":
		return "1"
	case "no", "off", "0", "false", "n", "f":
		return "0"
	}
	return strings.TrimSpace(s)
}

// sysctlPlan is what process() decided.
type sysctlPlan struct {
	changed, writeFile, setProc bool
	lines                       []string // the file's new lines (with their newlines)
}

// decideSysctl is process(): fileText is the sysctl file, proc the
// kernel's value (procOK false when sysctl -n failed).
func decideSysctl(name, value, state string, reload, set bool, fileText, proc string, procOK bool) sysctlPlan {
	var plan sysctlPlan
	fileLines := splitKeepNL(fileText)
	fileValue, inFile := "", false
	for _, line := range fileLines {
		l := strings.TrimSpace(line)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";") || !strings.Contains(l, "=") {
			continue
		}
		k, v, _ := strings.Cut(l, "=")
		if strings.TrimSpace(k) == name {
			fileValue, inFile = strings.TrimSpace(v), true
		}
	}
	plan.lines = sysctlFixLines(fileLines, name, value, state)
	equal := func(a, b string) bool { return slices.Equal(strings.Fields(a), strings.Fields(b)) }
	switch {
	case !inFile && state == "present":
		plan.changed, plan.writeFile = true, true
	case !inFile:
	case state == "absent" && fileValue != "":
		plan.changed, plan.writeFile = true, true
	case fileValue != value:
		plan.changed, plan.writeFile = true, true
	case reload:
		if !procOK || !equal(proc, value) {
			plan.changed = true
		}
	}
	if set && state == "present" {
		if !procOK {
			plan.changed = true
		} else if !equal(proc, value) {
			plan.changed, plan.setProc = true, true
		}
	}
	return plan
}

// sysctlFixLines is fix_lines: every key=value line rewritten as k=v, the
// first of each key kept, the one named replaced (or dropped when absent),
// appended when missing.
func sysctlFixLines(lines []string, name, value, state string) []string {
	var out, checked []string
	for _, line := range lines {
		l := strings.TrimSpace(line)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";") || !strings.Contains(line, "=") {
			out = append(out, line)
			continue
		}
		k, v, _ := strings.Cut(l, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if slices.Contains(checked, k) {
			continue
		}
		checked = append(checked, k)
		if k != name {
			out = append(out, k+"="+v+"\n")
		} else if state == "present" {
			out = append(out, k+"="+value+"\n")
		}
	}
	if !slices.Contains(checked, name) && state == "present" {
		out = append(out, name+"="+value+"\n")
	}
	return out
}

// splitKeepNL is readlines(): lines with their newline.
func splitKeepNL(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

func runSysctl(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	name, state := strings.TrimSpace(a.Str("name")), a.Str("state")
	if state == "present" && !a.Has("value") {
		return Failed("state is present but all of the following are missing: value"), nil
	}
	value := sysctlValue(a["value"])
	if state == "present" && value == "" {
		return Failed("value cannot be None"), nil
	}
	e := ""
	if a.Bool("ignoreerrors") {
		e = "-e "
	}
	file := a.Str("sysctl_file")
	script := fmt.Sprintf(`export LC_ALL=C
if v=$(sysctl %[1]s-n %[2]s 2>/dev/null); then printf 'P\t%%s\n' "$v"; fi
if [ -e %[3]s ]; then echo F; cat %[3]s; fi
`, e, Quote(name), Quote(file))
	out, err := runSh(ctx, c, script, nil)
	if err != nil {
		return nil, err
	}
	proc, procOK, text := "", false, ""
	if rest, ok := strings.CutPrefix(out.Stdout, "P\t"); ok {
		line, after, _ := strings.Cut(rest, "\n")
		proc, procOK, out.Stdout = line, true, after
	}
	if rest, ok := strings.CutPrefix(out.Stdout, "F\n"); ok {
		text = rest
	}
	plan := decideSysctl(name, value, state, a.Bool("reload"), a.Bool("sysctl_set"), text, proc, procOK)
	if c.Check || !plan.changed && !plan.setProc && !plan.writeFile {
		return Result{"changed": plan.changed}, nil
	}
	if plan.setProc {
		argv := []string{"sysctl", "-w", name + "=" + value}
		if a.Bool("ignoreerrors") {
			argv = []string{"sysctl", "-e", "-w", name + "=" + value}
		}
		o, err := c.Host.Run(ctx, Command{Argv: argv, Env: map[string]string{"LC_ALL": "C"}})
		if err != nil {
			return nil, err
		}
		if o.RC != 0 || sysctlStderrFailed(o.Stderr) {
			return Failed("setting %s failed: %s", name, o.Stdout+o.Stderr), nil
		}
	}
	if plan.writeFile {
		if err := writeKeepMode(ctx, c, file, strings.Join(plan.lines, "")); err != nil {
			return Failed("Failed to write to file %s: %v", file, err), nil
		}
	}
	if plan.changed && a.Bool("reload") {
		argv := []string{"sysctl", "-p", file}
		if a.Bool("ignoreerrors") {
			argv = []string{"sysctl", "-e", "-p", file}
		}
		o, err := c.Host.Run(ctx, Command{Argv: argv, Env: map[string]string{"LC_ALL": "C"}})
		if err != nil {
			return nil, err
		}
		if o.RC != 0 || sysctlStderrFailed(o.Stderr) {
			return Failed("Failed to reload sysctl: %s", o.Stdout+o.Stderr), nil
		}
	}
	return Result{"changed": plan.changed}, nil
}

// sysctlStderrFailed is _stderr_failed: sysctl may exit 0 and still fail
// to set a key; these two errors on stderr are failures.
func sysctlStderrFailed(stderr string) bool {
	re := regexp.MustCompile(`(?m)^sysctl: setting key "[^"]+": (Invalid argument|Read-only file system)$`)
	return re.MatchString(stderr)
}

// writeKeepMode writes a file keeping the mode of the one it replaces
// (0644 for a new one), as atomic_move does.
func writeKeepMode(ctx context.Context, c *Call, path, text string) error {
	out, err := c.Host.Run(ctx, Command{Argv: []string{"stat", "-c", "%a", "--", path}})
	if err != nil {
		return err
	}
	mode := uint64(0o644)
	if out.RC == 0 {
		fmt.Sscanf(strings.TrimSpace(out.Stdout), "%o", &mode) //nolint:errcheck // 0644 stays on a parse error
	}
	return c.Host.WriteFile(ctx, path, []byte(text), fsMode(mode))
}
