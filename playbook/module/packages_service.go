package module

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// systemdModule is ansible.builtin.systemd_service (alias systemd): one
// probe (systemctl show, is-enabled, the init script), the decision of
// systemd_service.py, one script of systemctl actions.
func systemdModule() *Module {
	return &Module{Name: "systemd_service", Aliases: []string{"systemd"}, Collection: "ansible.builtin", Check: CheckFull,
		Params: []Param{
			{Name: "name", Aliases: []string{"service", "unit"}, Type: Str},
			{Name: "state", Type: Str, Choices: []string{"reloaded", "restarted", "started", "stopped"}},
			{Name: "enabled", Type: Bool},
			{Name: "force", Type: Bool},
			{Name: "masked", Type: Bool},
			{Name: "daemon_reload", Aliases: []string{"daemon-reload"}, Type: Bool, Default: false},
			{Name: "daemon_reexec", Aliases: []string{"daemon-reexec"}, Type: Bool, Default: false},
			{Name: "scope", Type: Str, Default: "system", Choices: []string{"system", "user", "global"}},
			{Name: "no_block", Type: Bool, Default: false},
		},
		Run: runSystemd,
	}
}

// serviceModule is ansible.builtin.service: on a host run by systemd
// (/run/systemd/system exists) it does what the systemd module does, as
// Ansible's service action picks it from the service_mgr fact; otherwise
// SysV init scripts through service(8) or /etc/init.d, enabled with
// update-rc.d or chkconfig.
func serviceModule() *Module {
	return &Module{Name: "service", Collection: "ansible.builtin", Check: CheckFull,
		Params: []Param{
			{Name: "name", Type: Str}, // required by SysV; systemd's daemon_reload needs none
			{Name: "state", Type: Str, Choices: []string{"started", "stopped", "reloaded", "restarted"}},
			{Name: "sleep", Type: Int},
			{Name: "pattern", Type: Str},
			{Name: "enabled", Type: Bool},
			{Name: "arguments", Aliases: []string{"args"}, Type: Str, Default: ""},
			{Name: "use", Type: Str, Default: "auto"},
			{Name: "runlevel", Type: Str, Default: "default"}, // OpenRC's only: unused with SysV and systemd, as in Ansible
			// The systemd module's own: Ansible's service action passes the task's
			// arguments unchanged to the module of the host's service_mgr, so on a
			// systemd host they work (geerlingguy.docker's "service: daemon_reload:
			// true"); the SysV service module refuses them when the task runs.
			{Name: "masked", Type: Bool},
			{Name: "daemon_reload", Aliases: []string{"daemon-reload"}, Type: Bool},
			{Name: "daemon_reexec", Aliases: []string{"daemon-reexec"}, Type: Bool},
			{Name: "scope", Type: Str, Choices: []string{"system", "user", "global"}},
			{Name: "no_block", Type: Bool},
			{Name: "force", Type: Bool},
		},
		Run: runService,
	}
}

// systemctlCmd is systemctl with the scope, no_block and force options.
func systemctlCmd(a Args) string {
	cmd := "systemctl"
	if s := a.Str("scope"); s != "" && s != "system" {
		cmd += " --" + s
	}
	if a.Bool("no_block") {
		cmd += " --no-block"
	}
	if a.Bool("force") {
		cmd += " --force"
	}
	return cmd
}

// systemdProbeScript prints, between markers, systemctl show, is-enabled -l
// (output and rc), whether an init script exists and is enabled in a
// runlevel (sysv_exists, sysv_is_enabled).
func systemdProbeScript(systemctl, unit string) string {
	u := Quote(unit)
	return fmt.Sprintf(`%[1]s show %[2]s 2>/dev/null; echo "@@show $?"
%[1]s is-enabled %[2]s -l 2>/dev/null; echo "@@enabled $?"
[ -f /etc/init.d/%[3]s ] && echo "@@initd"
ls /etc/rc?.d/S??%[3]s >/dev/null 2>&1 && echo "@@sysv-enabled"
:
`, systemctl, u, strings.TrimSuffix(unitBase(unit), ".service"))
}

func unitBase(unit string) string {
	if strings.ContainsAny(unit, "/'\"`$\\ ") {
		return "-invalid-"
	}
	return unit
}

// systemdProbe is the parsed probe.
type systemdProbe struct {
	status         map[string]any
	showRC         int
	enabledOut     string
	enabledRC      int
	initd, sysvOn  bool
	showIgnoredErr bool
}

func parseSystemdProbe(out string) *systemdProbe {
	p := &systemdProbe{status: map[string]any{}}
	var show, enabled []string
	cur := &show
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "@@show "):
			p.showRC, _ = strconv.Atoi(strings.TrimPrefix(line, "@@show "))
			cur = &enabled
		case strings.HasPrefix(line, "@@enabled "):
			p.enabledRC, _ = strconv.Atoi(strings.TrimPrefix(line, "@@enabled "))
			cur = nil
		case line == "@@initd":
			p.initd = true
		case line == "@@sysv-enabled":
			p.sysvOn = true
		case cur != nil:
			*cur = append(*cur, line)
		}
	}
	if p.showRC == 0 {
		p.status = parseSystemctlShow(show)
	}
	p.enabledOut = strings.TrimSpace(strings.Join(enabled, "\n"))
	return p
}

// parseSystemctlShow is systemd_service.py's parse_systemctl_show: Key=Value
// lines, a value starting with { continuing until a line ending with }.
func parseSystemctlShow(lines []string) map[string]any {
	parsed := map[string]any{}
	multi := false
	var key string
	var val []string
	for _, line := range lines {
		if !multi {
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			key = strings.TrimSpace(k)
			if strings.HasPrefix(v, "{") {
				if strings.HasSuffix(strings.TrimSpace(v), "}") {
					parsed[key] = strings.TrimSpace(v)
				} else {
					multi, val = true, []string{v}
				}
				continue
			}
			parsed[key] = strings.TrimSpace(v)
			continue
		}
		val = append(val, line)
		if strings.HasSuffix(strings.TrimSpace(line), "}") {
			parsed[key] = strings.TrimSpace(strings.Join(val, "\n"))
			multi = false
		}
	}
	return parsed
}

// systemdPlan is what the systemd module decided: the result and the
// systemctl actions to run.
type systemdPlan struct {
	result  Result
	actions []string // "mask", "enable", "start"...
	failed  string
}

// decideSystemd is systemd_service.py's main, on the probe.
func decideSystemd(a Args, p *systemdProbe) systemdPlan {
	unit := a.Str("name")
	res := Result{"name": unit, "changed": false, "status": p.status}
	plan := systemdPlan{result: res}
	if unit == "" {
		return plan
	}
	isSystemd := false
	if ls, ok := p.status["LoadState"].(string); ok {
		isSystemd = ls != "not-found"
		if isSystemd && ls != "masked" {
			if le, ok := p.status["LoadError"].(string); ok {
				plan.failed = fmt.Sprintf("Error loading unit file '%s': %s", unit, le)
				return plan
			}
		}
	}
	found := isSystemd || p.initd
	missing := fmt.Sprintf("Could not find the requested service %s: host", unit)
	if a.Has("masked") {
		masked := p.enabledOut == "masked"
		if masked != a.Bool("masked") {
			res["changed"] = true
			if a.Bool("masked") {
				plan.actions = append(plan.actions, "mask")
			} else {
				plan.actions = append(plan.actions, "unmask")
			}
		}
	}
	if a.Has("enabled") {
		if !found {
			plan.failed = missing
			return plan
		}
		enabled := false
		if p.enabledRC == 0 {
			enabled = p.enabledOut != "indirect" && p.enabledOut != "alias"
		} else if p.enabledRC == 1 && a.Str("scope") == "system" && p.initd && !strings.HasSuffix(p.enabledOut, "disabled") && p.sysvOn {
			enabled = true
		}
		res["enabled"] = enabled
		if enabled != a.Bool("enabled") {
			res["changed"] = true
			if a.Bool("enabled") {
				plan.actions = append(plan.actions, "enable")
			} else {
				plan.actions = append(plan.actions, "disable")
			}
			res["enabled"] = !enabled
		}
	}
	if a.Has("state") {
		if !found {
			plan.failed = missing
			return plan
		}
		state := a.Str("state")
		res["state"] = state
		active, ok := p.status["ActiveState"].(string)
		if !ok {
			plan.failed = "Service is in unknown state"
			return plan
		}
		running := active == "active" || active == "activating"
		action := ""
		switch state {
		case "started":
			if !running {
				action = "start"
			}
		case "stopped":
			if running || active == "deactivating" {
				action = "stop"
			}
		default:
			action = strings.TrimSuffix(state, "ed")
			if !running {
				action = "start"
			}
			res["state"] = "started"
		}
		if action != "" {
			res["changed"] = true
			plan.actions = append(plan.actions, action)
		}
	}
	return plan
}

func runSystemd(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	unit := a.Str("name")
	if !a.Has("state") && !a.Has("enabled") && !a.Has("masked") && !a.Bool("daemon_reload") && !a.Bool("daemon_reexec") {
		return Failed("one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec"), nil
	}
	if unit == "" && (a.Has("state") || a.Has("enabled") || a.Has("masked")) {
		return Failed("missing parameter(s) required by 'state': name"), nil
	}
	for _, g := range []string{"*", "?", "["} {
		if strings.Contains(unit, g) {
			return Failed("This module does not currently support using glob patterns, found '%s' in service name: %s", g, unit), nil
		}
	}
	systemctl := systemctlCmd(a)
	var pre strings.Builder
	pre.WriteString(`[ -n "${XDG_RUNTIME_DIR:-}" ] || XDG_RUNTIME_DIR=/run/user/$(id -u); export XDG_RUNTIME_DIR` + "\n")
	for _, op := range []string{"daemon_reload", "daemon_reexec"} {
		if a.Bool(op) && !c.Check {
			verb := strings.ReplaceAll(op, "_", "-")
			fmt.Fprintf(&pre, "if ! err=$(%s %s 2>&1); then printf '@@fail %%s %%s\\n' %s \"$(printf %%s \"$err\" | tr '\\n' ' ')\"; exit 0; fi\n", systemctl, verb, verb)
		}
	}
	script := pre.String()
	if unit != "" {
		script += systemdProbeScript(systemctl, unit)
	}
	out, err := runSh(ctx, c, script, nil)
	if err != nil {
		return nil, err
	}
	if i := strings.Index(out.Stdout, "@@fail "); i >= 0 {
		verb, msg, _ := strings.Cut(strings.TrimSpace(out.Stdout[i+7:]), " ")
		return Failed("failure 1 during %s: %s", verb, msg), nil
	}
	if unit == "" {
		return Result{"name": nil, "changed": false, "status": map[string]any{}}, nil
	}
	plan := decideSystemd(a, parseSystemdProbe(out.Stdout))
	if plan.failed != "" {
		res := Failed("%s", plan.failed)
		if plan.failed == "Service is in unknown state" {
			res["status"] = plan.result["status"]
		}
		return res, nil
	}
	if c.Check || len(plan.actions) == 0 {
		return plan.result, nil
	}
	if msg, err := runSystemctlActions(ctx, c, systemctl, unit, plan.actions); err != nil || msg != "" {
		if err != nil {
			return nil, err
		}
		return Failed("%s", msg), nil
	}
	return plan.result, nil
}

// runSystemctlActions runs the actions in one script, stopping at the
// first that fails; it returns Ansible's message for that failure.
func runSystemctlActions(ctx context.Context, c *Call, systemctl, unit string, actions []string) (string, error) {
	var b strings.Builder
	b.WriteString(`[ -n "${XDG_RUNTIME_DIR:-}" ] || XDG_RUNTIME_DIR=/run/user/$(id -u); export XDG_RUNTIME_DIR` + "\n")
	for _, act := range actions {
		fmt.Fprintf(&b, "if ! out=$(%s %s %s 2>&1); then printf '%%s\\n%%s' %s \"$out\"; exit 1; fi\n", systemctl, act, Quote(unit), act)
	}
	out, err := runSh(ctx, c, b.String(), nil)
	if err != nil || out.RC == 0 {
		return "", err
	}
	act, msg, _ := strings.Cut(out.Stdout, "\n")
	switch act {
	case "mask", "unmask":
		return fmt.Sprintf("Could not find the requested service %s: host", unit), nil
	case "enable", "disable":
		return fmt.Sprintf("Unable to %s service %s: %s", act, unit, msg), nil
	}
	return fmt.Sprintf("Unable to %s service %s: %s", act, unit, msg), nil
}

// runService dispatches: systemd hosts get the systemd module's logic
// (Ansible's service action does the same), others SysV init.
func runService(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	name := a.Str("name")
	script := sysvProbeScript(name, a.Str("pattern"))
	if name == "" {
		script, _, _ = strings.Cut(script, "\n") // whether the host runs systemd: no unit to probe
	}
	out, err := runSh(ctx, c, script, nil)
	if err != nil {
		return nil, err
	}
	p := parseSysvProbe(out.Stdout)
	switch use := a.Str("use"); use {
	case "auto":
	case "systemd":
		p.systemd = true
	case "service", "sysvinit":
		if p.systemd {
			// the probe stopped early on a systemd host: read the SysV side too
			if out, err = runSh(ctx, c, strings.Replace(sysvProbeScript(name, a.Str("pattern")), "exit 0", ":", 1), nil); err != nil {
				return nil, err
			}
			p = parseSysvProbe(out.Stdout)
			p.systemd = false
		}
	default:
		return Failed("remotectl's service manages systemd and SysV init services, not %q", use), nil
	}
	if p.systemd {
		// Ansible's service action drops what systemd does not use, with a warning.
		var warnings []any
		for _, p := range []string{"pattern", "sleep", "arguments"} {
			if a.Has(p) && a.Str(p) != "" {
				warnings = append(warnings, fmt.Sprintf("Ignoring \"%s\" as it is not used in \"systemd\"", p))
			}
		}
		sys := systemdModule()
		raw := map[string]any{}
		for _, k := range []string{"name", "state", "enabled", "masked", "daemon_reload", "daemon_reexec", "scope", "no_block", "force"} {
			if a.Has(k) && a[k] != nil {
				raw[k] = a[k]
			}
		}
		sargs, err := sys.Normalize(raw)
		if err != nil {
			return Failed("%v", err), nil
		}
		res, err := runSystemd(ctx, &Call{Module: sys, Args: sargs, Host: c.Host, Check: c.Check, Diff: c.Diff, Controller: c.Controller})
		if err == nil && len(warnings) > 0 {
			res["warnings"] = warnings
		}
		return res, err
	}
	// ansible.legacy.service's argument checks, in its order.
	if name == "" {
		return Failed("missing required arguments: name"), nil
	}
	if !a.Has("state") && !a.Has("enabled") {
		return Failed("one of the following is required: state, enabled"), nil
	}
	var unsupported []string
	for _, k := range []string{"daemon_reexec", "daemon_reload", "force", "masked", "no_block", "scope"} {
		if a.Has(k) {
			unsupported = append(unsupported, k)
		}
	}
	if len(unsupported) > 0 {
		return Failed("Unsupported parameters for (ansible.legacy.service) module: %s. Supported parameters include: arguments, enabled, name, pattern, runlevel, sleep, state (args).",
			strings.Join(unsupported, ", ")), nil
	}
	return runSysv(ctx, c, p)
}

// sysvProbe is what the service module learns on a host without systemd.
type sysvProbe struct {
	systemd              bool
	service, initd       bool // service(8) exists; /etc/init.d/name exists
	statusRC             int
	statusOut            string
	updateRC, chkconfig  bool
	sLinks, kLinks       bool
	chkconfigOn, matched bool
}

// sysvProbeScript: systemd or not; the tools; the status of the script;
// the rc?.d links (update-rc.d) or chkconfig --list.
func sysvProbeScript(name, pattern string) string {
	n := Quote(name)
	var b strings.Builder
	fmt.Fprintf(&b, `if command -v systemctl >/dev/null 2>&1 && { [ -e /run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || [ -e /dev/.systemd/ ] || grep -q systemd /proc/1/comm 2>/dev/null; }; then echo "@@systemd"; exit 0; fi
command -v service >/dev/null 2>&1 && echo "@@service"
[ -f /etc/init.d/%[1]s ] && echo "@@initd"
command -v update-rc.d >/dev/null 2>&1 && echo "@@update-rc.d"
command -v chkconfig >/dev/null 2>&1 && { echo "@@chkconfig"; chkconfig --list %[2]s 2>/dev/null | grep -q ':on' && echo "@@chkconfig-on"; }
ls /etc/rc?.d/S??%[1]s >/dev/null 2>&1 && echo "@@slinks"
ls /etc/rc?.d/K??%[1]s >/dev/null 2>&1 && echo "@@klinks"
`, unitBase(name), n)
	if pattern != "" {
		fmt.Fprintf(&b, "ps auxww | grep -v ' grep ' | grep -F -- %s | grep -v -F \"$$\" >/dev/null && echo \"@@matched\"\n", Quote(pattern))
	}
	fmt.Fprintf(&b, `if command -v service >/dev/null 2>&1; then out=$(service %[1]s status 2>/dev/null; echo "rc=$?")
elif [ -x /etc/init.d/%[2]s ]; then out=$(/etc/init.d/%[2]s status 2>/dev/null; echo "rc=$?")
else out="rc=4"; fi
rc=${out##*rc=}; out=${out%%rc=*}
echo "@@status $rc"; printf '%%s' "$out"
`, n, unitBase(name))
	return b.String()
}

func parseSysvProbe(out string) *sysvProbe {
	p := &sysvProbe{}
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		switch {
		case line == "@@systemd":
			p.systemd = true
		case line == "@@service":
			p.service = true
		case line == "@@initd":
			p.initd = true
		case line == "@@update-rc.d":
			p.updateRC = true
		case line == "@@chkconfig":
			p.chkconfig = true
		case line == "@@chkconfig-on":
			p.chkconfigOn = true
		case line == "@@slinks":
			p.sLinks = true
		case line == "@@klinks":
			p.kLinks = true
		case line == "@@matched":
			p.matched = true
		case strings.HasPrefix(line, "@@status "):
			p.statusRC, _ = strconv.Atoi(strings.TrimPrefix(line, "@@status "))
			p.statusOut = strings.Join(lines[i+1:], "\n")
			return p
		}
	}
	return p
}

// sysvRunning is LinuxService.get_service_status: rc 1-4 or 69 is stopped;
// a one-line output is read for stop/run/start; then rc 0 is running. The
// pattern, when given, wins (check_ps).
// known is false when Ansible's running stays None.
func sysvRunning(a Args, p *sysvProbe) (running, known bool) {
	if a.Str("pattern") != "" {
		return p.matched, true
	}
	switch p.statusRC {
	case 1, 2, 3, 4, 69:
		return false, true
	}
	if strings.Count(p.statusOut, "\n") <= 1 {
		clean := strings.ReplaceAll(strings.ToLower(p.statusOut), strings.ToLower(a.Str("name")), "")
		switch {
		case strings.Contains(clean, "stop"):
			return false, true
		case strings.Contains(clean, "run"):
			return !strings.Contains(clean, "not "), true
		case strings.Contains(clean, "start") && !strings.Contains(clean, "not "):
			return true, true
		case strings.Contains(clean, "could not access pid file"), strings.Contains(clean, "is dead and pid file exists"),
			strings.Contains(clean, "dead but subsys locked"), strings.Contains(clean, "dead but pid file exists"):
			return false, true
		}
	}
	return p.statusRC == 0, p.statusRC == 0
}

// decideSysv returns the result, the enable commands and the state action.
func decideSysv(a Args, p *sysvProbe) (res Result, enable []string, action string, failed string) {
	name := a.Str("name")
	res = Result{"name": name, "changed": false}
	// get_service_tools: without an init script and a tool to enable it,
	// the service is missing.
	if !p.initd || !p.updateRC && !p.chkconfig {
		return nil, nil, "", fmt.Sprintf("Could not find the requested service %s: host", name)
	}
	if a.Has("enabled") {
		want := a.Bool("enabled")
		var enabled bool
		switch {
		case p.updateRC:
			enabled = p.sLinks
			if want != enabled {
				if want && !p.kLinks {
					enable = append(enable, "update-rc.d "+Quote(name)+" defaults")
				}
				verb := "disable"
				if want {
					verb = "enable"
				}
				enable = append(enable, "update-rc.d "+Quote(name)+" "+verb)
			}
		case p.chkconfig:
			enabled = p.chkconfigOn
			if want != enabled {
				verb := "off"
				if want {
					verb = "on"
				}
				enable = append(enable, "chkconfig "+Quote(name)+" "+verb)
			}
		}
		if want != enabled {
			res["changed"] = true
		}
		res["enabled"] = want
	}
	if !a.Has("state") {
		return res, enable, "", ""
	}
	running, known := sysvRunning(a, p)
	if !known {
		return nil, nil, "", "failed determining service state, possible typo of service name?"
	}
	switch st := a.Str("state"); {
	case st == "started" && !running:
		action = "start"
	case st == "stopped" && running:
		action = "stop"
	case st == "reloaded" && !running:
		action = "start"
	case st == "reloaded":
		action = "reload"
	case st == "restarted":
		action = "restart"
	}
	if action != "" {
		res["changed"] = true
	}
	if a.Str("state") == "stopped" {
		res["state"] = "stopped"
	} else {
		res["state"] = "started"
	}
	return res, enable, action, ""
}

func runSysv(ctx context.Context, c *Call, p *sysvProbe) (Result, error) {
	a := c.Args
	res, enable, action, failed := decideSysv(a, p)
	if failed != "" {
		return Failed("%s", failed), nil
	}
	if c.Check && action != "" {
		return Result{"changed": true, "msg": "service state changed"}, nil
	}
	if c.Check || len(enable) == 0 && action == "" {
		return res, nil
	}
	var b strings.Builder
	for _, e := range enable {
		fmt.Fprintf(&b, "if ! out=$(%s 2>&1); then printf '%%s' \"$out\" >&2; exit 1; fi\n", e)
	}
	name := Quote(a.Str("name"))
	svc := "service " + name
	if !p.service {
		svc = "/etc/init.d/" + unitBase(a.Str("name"))
	}
	args := ""
	if s := a.Str("arguments"); s != "" {
		args = " " + s
	}
	switch action {
	case "":
	case "restart":
		if a.Has("sleep") {
			fmt.Fprintf(&b, "%s stop%s; sleep %d; %s start%s\n", svc, args, a.Int("sleep"), svc, args)
		} else {
			fmt.Fprintf(&b, "%s restart%s\n", svc, args)
		}
	default:
		fmt.Fprintf(&b, "%s %s%s\n", svc, action, args)
	}
	out, err := runSh(ctx, c, b.String(), nil)
	if err != nil {
		return nil, err
	}
	if out.RC != 0 && !strings.Contains(out.Stderr, "Job is already running") {
		if strings.TrimSpace(out.Stderr) != "" {
			return Failed("%s", out.Stderr), nil
		}
		return Failed("%s", out.Stdout), nil
	}
	return res, nil
}
