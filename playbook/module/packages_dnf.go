package module

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// dnfModule is ansible.builtin.dnf through the dnf command: rpm -q says
// what is installed, dnf check-update what can be upgraded (one probe);
// one dnf transaction acts. yumModule is the same on the yum command when
// the host has no dnf (Ansible's yum module hands over to dnf where dnf
// exists).
func dnfModule() *Module {
	return &Module{Name: "dnf", Collection: "ansible.builtin", Check: CheckFull, Params: dnfParams(), Run: runDnf}
}

func yumModule() *Module {
	return &Module{Name: "yum", Collection: "ansible.builtin", Check: CheckFull, Params: dnfParams(), Run: runDnf}
}

func dnfParams() []Param {
	return []Param{
		{Name: "name", Aliases: []string{"pkg"}, Type: List, Elements: Str, Default: []any{}},
		{Name: "state", Type: Str, Choices: []string{"absent", "present", "installed", "removed", "latest"}},
		{Name: "update_cache", Aliases: []string{"expire-cache"}, Type: Bool, Default: false},
		{Name: "enablerepo", Type: List, Elements: Str},
		{Name: "disablerepo", Type: List, Elements: Str},
		{Name: "exclude", Type: List, Elements: Str},
		{Name: "disable_gpg_check", Type: Bool, Default: false},
		{Name: "autoremove", Type: Bool, Default: false},
		{Name: "update_only", Type: Bool, Default: false},
		{Name: "allow_downgrade", Type: Bool, Default: false},
	}
}

// dnfPkg is what the probe says of one spec.
type dnfPkg struct {
	installed bool
	upgrade   bool // dnf check-update lists an update
}

// dnfProbeScript: the package tool, and per spec rpm -q (name, NVR or a
// capability) and whether an update is available.
func dnfProbeScript(specs []string, latest bool, opts string) string {
	var b strings.Builder
	b.WriteString(`export LC_ALL=C
if command -v dnf >/dev/null 2>&1; then t=dnf; elif command -v yum >/dev/null 2>&1; then t=yum; else t=; fi
echo "@@tool $t"
`)
	for _, s := range specs {
		q := Quote(s)
		if isRPMFile(s) {
			// a package file or URL: installed when its package name is
			fmt.Fprintf(&b, "n=$(rpm -qp --qf '%%{NAME}' %[1]s 2>/dev/null) && rpm -q \"$n\" >/dev/null 2>&1 && printf 'I\\t%%s\\n' %[1]s\n", q)
			continue
		}
		fmt.Fprintf(&b, "if rpm -q %[1]s >/dev/null 2>&1 || rpm -q --whatprovides %[1]s >/dev/null 2>&1; then printf 'I\\t%%s\\n' %[1]s; fi\n", q)
		if latest {
			fmt.Fprintf(&b, "$t -q%s check-update %s >/dev/null 2>&1; [ $? -eq 100 ] && printf 'U\\t%%s\\n' %s\n", opts, q, q)
		}
	}
	return b.String()
}

func parseDnfProbe(out string) (tool string, pkgs map[string]*dnfPkg) {
	pkgs = map[string]*dnfPkg{}
	get := func(n string) *dnfPkg {
		if pkgs[n] == nil {
			pkgs[n] = &dnfPkg{}
		}
		return pkgs[n]
	}
	for _, line := range strings.Split(out, "\n") {
		if t, ok := strings.CutPrefix(line, "@@tool "); ok {
			tool = strings.TrimSpace(t)
			continue
		}
		f := tabFields(line)
		if len(f) != 2 {
			continue
		}
		switch f[0] {
		case "I":
			get(f[1]).installed = true
		case "U":
			get(f[1]).upgrade = true
		}
	}
	return tool, pkgs
}

// dnfDecide: the dnf command (install, upgrade, remove) and the specs it
// acts on.
func dnfDecide(state string, specs []string, pkgs map[string]*dnfPkg, updateOnly bool) (op string, list []string) {
	for _, s := range specs {
		p := pkgs[s]
		if p == nil {
			p = &dnfPkg{}
		}
		switch state {
		case "absent":
			if p.installed {
				op, list = "remove", append(list, s)
			}
		case "latest":
			if !p.installed && !updateOnly || p.upgrade {
				list = append(list, s)
			}
		default:
			if !p.installed {
				op, list = "install", append(list, s)
			}
		}
	}
	if state == "latest" && len(list) > 0 {
		op = "latest"
	}
	return op, list
}

// dnfTransaction parses a transaction summary: dnf's "Installed:" /
// "Upgraded:" / "Removed:" sections after a run, or the table of an
// --assumeno run, into Ansible's results ("Installed: name-ver.arch").
func dnfTransaction(out string) []string {
	results := []string{}
	section := ""
	words := map[string]string{"Installed:": "Installed", "Upgraded:": "Installed", "Removed:": "Removed",
		"Downgraded:": "Installed", "Dependency Installed:": "Installed", "Updated:": "Installed", "Erased:": "Removed"}
	table := map[string]string{"Installing:": "Installed", "Installing dependencies:": "Installed", "Upgrading:": "Installed",
		"Removing:": "Removed", "Removing dependent packages:": "Removed", "Removing unused dependencies:": "Removed",
		"Downgrading:": "Installed", "Updating:": "Installed", "Installing for dependencies:": "Installed"}
	row := regexp.MustCompile(`^ (\S+)\s+(\S+)\s+(\S+)\s+\S+\s+\S+`)
	mode := ""
	for _, line := range strings.Split(out, "\n") {
		t := strings.TrimSpace(line)
		if w, ok := words[t]; ok {
			section, mode = w, "list"
			continue
		}
		if w, ok := table[t]; ok {
			section, mode = w, "table"
			continue
		}
		if t == "" || !strings.HasPrefix(line, " ") {
			section = ""
			continue
		}
		switch {
		case section != "" && mode == "list":
			for _, n := range strings.Fields(t) {
				results = append(results, section+": "+n)
			}
		case section != "" && mode == "table":
			if m := row.FindStringSubmatch(line); m != nil {
				results = append(results, fmt.Sprintf("%s: %s-%s.%s", section, m[1], m[3], m[2]))
			}
		}
	}
	return results
}

func dnfOptions(a Args) string {
	var o []string
	for _, r := range a.Strings("enablerepo") {
		o = append(o, "--enablerepo="+Quote(r))
	}
	for _, r := range a.Strings("disablerepo") {
		o = append(o, "--disablerepo="+Quote(r))
	}
	for _, e := range a.Strings("exclude") {
		o = append(o, "--exclude="+Quote(e))
	}
	if a.Bool("disable_gpg_check") {
		o = append(o, "--nogpgcheck")
	}
	if len(o) == 0 {
		return ""
	}
	return " " + strings.Join(o, " ")
}

func runDnf(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	specs := a.Strings("name")
	state := a.Str("state")
	switch state {
	case "":
		state = "present"
		if a.Bool("autoremove") {
			state = "absent"
		}
	case "installed":
		state = "present"
	case "removed":
		state = "absent"
	}
	if len(specs) == 0 && !a.Bool("autoremove") && !a.Bool("update_cache") {
		return Failed("one of the following is required: name, list, update_cache"), nil
	}
	for _, s := range specs {
		if strings.HasPrefix(s, "@") || s == "*" && state != "latest" {
			return Failed("remotectl's %s installs packages by name, NVR, .rpm file or URL, not groups (%s)", c.Module.Name, s), nil
		}
		if isRPMFile(s) && state == "absent" {
			return Failed("remotectl's %s removes packages by name, not by .rpm file or URL (%s)", c.Module.Name, s), nil
		}
	}
	opts := dnfOptions(a)
	all := len(specs) == 1 && specs[0] == "*"
	probeSpecs := specs
	if all {
		probeSpecs = nil
	}
	script := dnfProbeScript(probeSpecs, state == "latest", opts)
	if all {
		script += "$t -q" + opts + " check-update >/dev/null 2>&1; [ $? -eq 100 ] && printf 'U\\t*\\n'\n"
	}
	if a.Bool("update_cache") && !c.Check {
		script = strings.Replace(script, `echo "@@tool $t"`, `echo "@@tool $t"; [ -n "$t" ] && $t -q`+opts+` makecache >/dev/null 2>&1`, 1)
	}
	out, err := runSh(ctx, c, script, nil)
	if err != nil {
		return nil, err
	}
	tool, pkgs := parseDnfProbe(out.Stdout)
	if tool == "" {
		return Failed("%s: neither dnf nor yum is installed on the host", c.Module.Name), nil
	}
	op, list := dnfDecide(state, specs, pkgs, a.Bool("update_only"))
	if all && pkgs["*"] != nil && pkgs["*"].upgrade {
		op, list = "latest", nil
	}
	if op == "" && state == "absent" && a.Bool("autoremove") {
		op = "autoremove"
	}
	if op == "" {
		return Result{"changed": false, "msg": "Nothing to do", "rc": 0, "results": []any{}}, nil
	}
	cmd := dnfCommand(tool+opts, c.Check, op, list, pkgs, a.Bool("allow_downgrade"))
	o, err := c.Host.Run(ctx, Command{Script: cmd, Env: map[string]string{"LC_ALL": "C", "LANG": "C"}})
	if err != nil {
		return nil, err
	}
	results := dnfTransaction(o.Stdout)
	if c.Check {
		return Result{"changed": true, "msg": "Check mode: No changes made, but would have if not in check mode", "rc": 0, "results": toAnyList(results)}, nil
	}
	if o.RC != 0 {
		return Result{"failed": true, "changed": false, "msg": "Failed to install some of the specified packages", "rc": o.RC,
			"results": []any{}, "failures": []any{strings.TrimSpace(o.Stderr)}}, nil
	}
	if op == "autoremove" && len(results) == 0 {
		return Result{"changed": false, "msg": "Nothing to do", "rc": 0, "results": []any{}}, nil
	}
	return Result{"changed": true, "msg": "", "rc": 0, "results": toAnyList(results)}, nil
}

// dnfCommand is the transaction: install, remove, autoremove, or for
// latest an install of the missing specs and an upgrade of the others
// (everything with "*"); --assumeno in check mode prints it without acting.
func dnfCommand(tool string, check bool, op string, list []string, pkgs map[string]*dnfPkg, downgrade bool) string {
	mode := " -y "
	sep := " && "
	if check {
		mode, sep = " --assumeno ", "; "
	}
	quoted := func(ss []string) string { return quoteAll(ss) }
	switch op {
	case "latest":
		var inst, up []string
		for _, s := range list {
			if p := pkgs[s]; p != nil && p.installed {
				up = append(up, s)
			} else {
				inst = append(inst, s)
			}
		}
		var parts []string
		if len(inst) > 0 {
			parts = append(parts, tool+mode+"install "+quoted(inst))
		}
		if len(up) > 0 || len(list) == 0 {
			parts = append(parts, strings.TrimSpace(tool+mode+"upgrade "+quoted(up)))
		}
		return strings.Join(parts, sep)
	case "install":
		if downgrade {
			return tool + mode + "install --allowerasing " + quoted(list)
		}
		return tool + mode + "install " + quoted(list)
	case "remove":
		return tool + mode + "remove " + quoted(list)
	}
	return tool + mode + "autoremove"
}

// isRPMFile reports whether a spec is a package file or its URL (dnf
// installs those; Ansible checks the package name they hold).
func isRPMFile(s string) bool { return strings.HasSuffix(s, ".rpm") || strings.Contains(s, "://") }

// packageModule is ansible.builtin.package: it runs the host's package
// manager module (apt, dnf or yum) with the same arguments, as Ansible's
// package action does from the pkg_mgr fact.
func packageModule() *Module {
	params := []Param{
		{Name: "name", Type: Raw, Required: true},
		{Name: "state", Type: Str, Required: true},
		{Name: "use", Type: Str, Default: "auto"},
	}
	// Every parameter of the backends is accepted here and handed to the
	// backend the host uses, which checks them, as Ansible's package action
	// does: `package: name=git enablerepo=epel` is valid on a RedHat host and
	// an "Unsupported parameters for (apt)" failure on a Debian one.
	for _, backend := range []*Module{aptModule(), dnfModule(), yumModule()} {
		for _, p := range backend.Params {
			if _, ok := (&Module{Params: params}).Param(p.Name); !ok {
				params = append(params, Param{Name: p.Name, Aliases: p.Aliases, Type: Raw, NoLog: p.NoLog})
			}
		}
	}
	return &Module{Name: "package", Collection: "ansible.builtin", Check: CheckFull, Params: params, Run: runPackage}
}

func runPackage(ctx context.Context, c *Call) (Result, error) {
	use := c.Args.Str("use")
	if use == "auto" {
		out, err := runSh(ctx, c, `for m in apt-get dnf yum; do command -v $m >/dev/null 2>&1 && { echo $m; exit 0; }; done`, nil)
		if err != nil {
			return nil, err
		}
		use = strings.TrimSuffix(strings.TrimSpace(out.Stdout), "-get")
		if use == "" {
			return Failed("Could not detect which package manager to use. Try gathering facts or setting the \"use\" option."), nil
		}
	}
	m, ok := Lookup(use)
	if !ok || (m.Name != "apt" && m.Name != "dnf" && m.Name != "yum") {
		return Failed("Could not find a module for %s.", use), nil
	}
	raw := map[string]any{}
	for k, v := range c.Args {
		if k != "use" && v != nil {
			raw[k] = v
		}
	}
	args, err := m.Normalize(raw)
	if err != nil {
		return Failed("%v", err), nil
	}
	return m.Run(ctx, &Call{Module: m, Args: args, Host: c.Host, Check: c.Check, Diff: c.Diff, Controller: c.Controller})
}
