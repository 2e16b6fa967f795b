package module

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/remotectl/remotectl/remote"
)

// pipStates are pip's arguments for each state (pip.py's state_map).
var pipStates = map[string][]string{
	"present":        {"install"},
	"absent":         {"uninstall", "-y"},
	"latest":         {"install", "-U"},
	"forcereinstall": {"install", "-U", "--force-reinstall"},
}

func pipModule() *Module {
	return &Module{Name: "pip", Collection: "ansible.builtin", Check: CheckFull,
		Params: []Param{
			{Name: "state", Type: Str, Default: "present", Choices: []string{"absent", "forcereinstall", "latest", "present"}},
			{Name: "name", Type: List, Elements: Str},
			{Name: "version", Type: Str},
			{Name: "requirements", Type: Str},
			{Name: "virtualenv", Type: Path},
			{Name: "virtualenv_site_packages", Type: Bool, Default: false},
			{Name: "virtualenv_command", Type: Path, Default: "virtualenv"},
			{Name: "virtualenv_python", Type: Str},
			{Name: "extra_args", Type: Str},
			{Name: "editable", Type: Bool, Default: false},
			{Name: "chdir", Type: Path},
			{Name: "executable", Type: Path},
			{Name: "umask", Type: Str},
		},
		Run: runPip}
}

// pipVCSRe is pip.py's _VCS_RE.
var pipVCSRe = regexp.MustCompile(`^(svn|git|hg|bzr)\+`)

// pipPlan is what the pip module decided from its arguments alone.
type pipPlan struct {
	env, chdir string
	umask      string // octal, "" for none
	names      []any  // the name argument, as given (the result's name)
	packages   []string
	reqs       []pyRequirement // packages that parse, for check mode
	plain      []bool
	args       []string // after pip: install ..., extra_args, packages or -r file
	hasVCS     bool
}

// planPip checks the arguments as pip.py's main does; a non-nil Result is
// the module's failure.
func planPip(c *Call) (pipPlan, Result) {
	a := c.Args
	p := pipPlan{env: a.Str("virtualenv"), chdir: a.Str("chdir"), names: a.List("name")}
	switch {
	case !a.Has("name") && !a.Has("requirements"):
		return p, Failed("one of the following is required: name, requirements")
	case a.Has("name") && a.Has("requirements"):
		return p, Failed("parameters are mutually exclusive: name|requirements")
	case a.Has("executable") && a.Has("virtualenv"):
		return p, Failed("parameters are mutually exclusive: executable|virtualenv")
	}
	if p.env != "" && p.chdir != "" && !strings.HasPrefix(p.env, "/") {
		p.env = path.Join(p.chdir, p.env)
	}
	if u := a.Str("umask"); u != "" {
		n, err := strconv.ParseInt(u, 8, 32)
		if err != nil {
			return p, Failed("umask must be an octal integer")
		}
		p.umask = fmt.Sprintf("%04o", n)
	}
	state := a.Str("state")
	if state == "latest" && a.Has("version") {
		return p, Failed("version is incompatible with state=latest")
	}
	if r := p.planPackages(a); r != nil {
		return p, r
	}
	extra := a.Str("extra_args")
	if a.Bool("editable") {
		var words []string
		if extra != "" {
			words = strings.Split(extra, " ")
		}
		if !slices.Contains(words, "-e") {
			extra = strings.Join(append(words, "-e"), " ")
		}
	}
	p.args = append([]string{}, pipStates[state]...)
	if extra != "" {
		words, err := remote.ShlexSplit(extra, false)
		if err != nil {
			return p, Failed("extra_args: %v", err)
		}
		p.args = append(p.args, words...)
	}
	if a.Has("name") {
		p.args = append(p.args, p.packages...)
	} else {
		p.args = append(p.args, "-r", a.Str("requirements"))
	}
	return p, nil
}

// planPackages is _recover_package_name and Package over the name list,
// with version applied to the one package.
func (p *pipPlan) planPackages(a Args) Result {
	names := a.Strings("name")
	if len(names) == 0 {
		return nil
	}
	for _, n := range names {
		if n != "" && pipVCSRe.MatchString(n) {
			p.hasVCS = true
		}
		if strings.Contains(n, ";") {
			return Failed("pip: the name %q has an environment marker, which remotectl does not evaluate", n)
		}
	}
	recovered := recoverPipNames(names)
	for _, n := range recovered {
		r, ok := parsePyRequirement(n)
		p.reqs = append(p.reqs, r)
		p.plain = append(p.plain, ok)
	}
	if a.Has("version") {
		if len(recovered) > 1 {
			return Failed("'version' argument is ambiguous when installing multiple package distributions. " +
				"Please specify version restrictions next to each package in 'name' argument.")
		}
		if p.plain[0] && len(p.reqs[0].specs) > 0 {
			return Failed("The 'version' argument conflicts with any version specifier provided along with a package name. " +
				"Please keep the version specifier, but remove the 'version' argument.")
		}
		first := recovered[0]
		if p.plain[0] {
			first = p.reqs[0].String()
		}
		v := strings.TrimLeft(a.Str("version"), " \t\n\r\f\v")
		sep := " "
		if v != "" && v[0] >= '0' && v[0] <= '9' {
			sep = "=="
		}
		recovered[0] = first + sep + v
		p.reqs[0], p.plain[0] = parsePyRequirement(recovered[0])
	}
	for i, n := range recovered {
		if p.plain[i] {
			n = p.reqs[i].String()
		}
		p.packages = append(p.packages, n)
	}
	return nil
}

// recoverPipNames is pip.py's _recover_package_name: version specifiers
// split off by the list conversion ("django>1.11.1,<1.11.3") are joined
// back to their package.
func recoverPipNames(names []string) []string {
	var words []string
	for _, n := range names {
		words = append(words, strings.Split(n, ",")...)
	}
	var out, parts []string
	inBrackets := false
	for _, w := range words {
		if isPipPackageName(w) && !inBrackets {
			if len(parts) > 0 {
				out = append(out, strings.Join(parts, ","))
			}
			parts = nil
		}
		if strings.Contains(w, "[") {
			inBrackets = true
		}
		if inBrackets && strings.Contains(w, "]") {
			inBrackets = false
		}
		parts = append(parts, w)
	}
	return append(out, strings.Join(parts, ","))
}

func isPipPackageName(w string) bool {
	w = strings.TrimLeft(w, " \t\n\r\f\v")
	for _, op := range []string{">=", "<=", ">", "<", "==", "!=", "~="} {
		if strings.HasPrefix(w, op) {
			return false
		}
	}
	return true
}

// pipScript is the one script of a run: create the virtualenv if it has no
// bin/activate (in check mode: report it), find pip, list the packages when
// list is set, run pip with args unless check, and list again when wanted.
func pipScript(c *Call, p pipPlan, check, listBefore, listAfter bool) *shSteps {
	s := newShSteps()
	if p.umask != "" {
		s.line("umask " + p.umask)
	}
	chdir := `"${TMPDIR:-/tmp}"`
	if p.chdir != "" {
		chdir = Quote(p.chdir)
	}
	// run_command ignores a cwd that is no directory (ignore_invalid_cwd).
	s.line("cd " + chdir + " 2>/dev/null")
	if p.env != "" {
		s.line("if [ ! -e " + Quote(p.env+"/bin/activate") + " ]; then")
		if check {
			s.step("venvneeded", "true")
			s.line("exit 0")
		} else {
			pipVenvSteps(c, p, s)
		}
		s.line("fi")
	}
	pipFindStep(c, p, s)
	s.line(`case "$PIPM" in m) set -- "$PIP" -m pip.__main__;; *) set -- "$PIP";; esac`)
	list := `LANG=C LC_ALL=C LC_MESSAGES=C "$@" list --format=freeze || { echo "$T-freeze" >&2; "$@" freeze; }`
	if listBefore {
		s.step("before", list)
	}
	if check {
		return s
	}
	run := `"$@"`
	for _, w := range p.args {
		run += " " + Quote(w)
	}
	if p.env != "" {
		run = "PATH=" + Quote(p.env+"/bin") + `:"$PATH" ` + run
	}
	s.step("run", run)
	if listAfter {
		s.step("after", list)
	}
	return s
}

// pipVenvSteps is setup_virtualenv: the virtualenv command, with
// --system-site-packages or (if the command knows it) --no-site-packages,
// and -p for virtualenv itself.
func pipVenvSteps(c *Call, p pipPlan, s *shSteps) {
	words, _ := remote.ShlexSplit(c.Args.Str("virtualenv_command"), false)
	if len(words) == 0 {
		words = []string{""}
	}
	cmd0 := Quote(words[0])
	if !strings.Contains(words[0], "/") {
		s.step("venvbin", "V0=$(PATH=\"$PATH:/sbin:/usr/sbin:/usr/local/sbin\" command -v "+cmd0+")")
		s.line("[ -n \"$V0\" ] || exit 0")
	} else {
		s.line("V0=" + cmd0)
	}
	opts := ""
	if c.Args.Bool("virtualenv_site_packages") {
		opts = " --system-site-packages"
	} else {
		s.step("venvhelp", `H=$("$V0" --help 2>&1) && case " $(echo $H) " in *" --no-site-packages "*) NS=--no-site-packages;; esac`)
	}
	rest := ""
	for _, w := range words[1:] {
		rest += " " + Quote(w)
	}
	vc := c.Args.Str("virtualenv_command")
	pflag := ""
	if !strings.Contains(vc, "pyvenv") && !strings.Contains(vc, "-m venv") {
		if py := c.Args.Str("virtualenv_python"); py != "" {
			pflag = " " + Quote("-p"+py)
		} else {
			pflag = ` "-p$(` + pythonLookup(c) + `)"`
		}
	}
	s.step("venv", `"$V0"`+rest+opts+` $NS`+pflag+" "+Quote(p.env))
}

// pythonLookup is a shell command printing the host's Python, what
// pip.py's sys.executable is there: the host's ansible_python_interpreter,
// else what Ansible's interpreter discovery finds on Linux
// (/usr/bin/python3, /usr/libexec/platform-python), else python3 on PATH.
func pythonLookup(c *Call) string {
	if py, _ := c.Host.Vars()["ansible_python_interpreter"].(string); py != "" {
		return "command -v " + Quote(py)
	}
	return `for p in /usr/bin/python3 /usr/libexec/platform-python; do [ -x "$p" ] && { echo "$p"; exit 0; }; done; command -v python3`
}

// pipFindStep is _get_pip: sets PIP (and PIPM=m for "python -m pip").
func pipFindStep(c *Call, p pipPlan, s *shSteps) {
	exe := c.Args.Str("executable")
	lookup := `PIP=$(PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin" command -v %s) || PIP=`
	switch {
	case exe != "" && strings.HasPrefix(exe, "/"):
		s.step("pip", "PIP="+Quote(exe))
	case exe != "":
		s.step("pip", fmt.Sprintf(lookup, Quote(exe)))
	case p.env != "":
		s.step("pip", `PIP=; for b in pip3 pip; do c=`+Quote(p.env+"/bin/")+`$b; if [ -e "$c" ] && [ -x "$c" ]; then PIP=$c; break; fi; done`)
	default:
		s.step("pip", `PY=$(`+pythonLookup(c)+`) && "$PY" -c 'import importlib.util, sys; sys.exit(not importlib.util.find_spec("pip"))' 2>/dev/null && PIP=$PY PIPM=m || `+fmt.Sprintf(lookup, "pip3"))
	}
	s.line(`echo "$T-pip $PIPM $PIP"; [ -n "$PIP" ] || exit 0`)
}

func runPip(ctx context.Context, c *Call) (Result, error) {
	p, fail := planPip(c)
	if fail != nil {
		return fail, nil
	}
	state := c.Args.Str("state")
	quick := c.Args.Has("extra_args") || c.Args.Has("requirements") || state == "latest" || len(p.packages) == 0
	if c.Check {
		return pipCheck(ctx, c, p, !quick)
	}
	before := c.Args.Has("requirements") || p.hasVCS
	s := pipScript(c, p, false, before, before)
	out, err := c.Host.Run(ctx, Command{Script: s.String()})
	if err != nil {
		return nil, err
	}
	steps := s.parse(out)
	stdout, stderr, pipCmd, fail := pipPrelude(c, p, s, out, steps)
	if fail != nil {
		return fail, nil
	}
	cmd := append(pipCmd, p.args...)
	run, ok := steps["run"]
	if !ok {
		return Failed("pip: the host did not run pip: %s", strings.TrimSpace(out.Stderr)), nil
	}
	stdout += run.Stdout
	stderr += run.Stderr
	notInstalled := strings.Contains(run.Stdout, "not installed") || strings.Contains(run.Stderr, "not installed")
	if run.RC != 0 && !(run.RC == 1 && state == "absent" && notInstalled) {
		return pipFailed(toAnyList(cmd), stdout, stderr), nil
	}
	var changed bool
	switch {
	case state == "absent":
		changed = strings.Contains(run.Stdout, "Successfully uninstalled")
	case before:
		changed = steps["before"].Stdout != steps["after"].Stdout
	default:
		changed = strings.Contains(run.Stdout, "Successfully installed")
	}
	_, created := steps["venv"]
	var version any
	if c.Args.Has("version") {
		version = c.Args.Str("version")
	}
	return Result{"changed": changed || created, "cmd": toAnyList(cmd), "name": nilIfEmpty(p.names), "version": version,
		"state": state, "requirements": c.Args["requirements"], "virtualenv": nilIfBlank(p.env),
		"stdout": stdout, "stderr": stderr}, nil
}

func nilIfEmpty(l []any) any {
	if l == nil {
		return nil
	}
	return l
}

func nilIfBlank(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// pipPrelude reads the steps before pip ran: chdir, the virtualenv's
// creation and finding pip. It returns the output so far and pip's argv.
func pipPrelude(c *Call, p pipPlan, s *shSteps, out Output, steps map[string]shStep) (string, string, []string, Result) {
	var stdout, stderr string
	if st, ok := steps["venvbin"]; ok && st.RC != 0 {
		words, _ := remote.ShlexSplit(c.Args.Str("virtualenv_command"), false)
		return "", "", nil, Failed("Failed to find required executable \"%s\" in paths: %s", first(words), "$PATH:/sbin:/usr/sbin:/usr/local/sbin")
	}
	if st, ok := steps["venvhelp"]; ok && st.RC != 0 {
		return "", "", nil, Failed("Could not get output from %s --help: %s", c.Args.Str("virtualenv_command"), st.Stdout+st.Stderr)
	}
	if st, ok := steps["venv"]; ok {
		stdout, stderr = st.Stdout, st.Stderr
		if st.RC != 0 {
			words, _ := remote.ShlexSplit(c.Args.Str("virtualenv_command"), false)
			return "", "", nil, pipFailed(toAnyList(append(words, p.env)), stdout, stderr)
		}
	}
	m := regexp.MustCompile(regexp.QuoteMeta(s.token) + `-pip (m?) (.*)\n`).FindStringSubmatch(out.Stdout)
	if m == nil || m[2] == "" {
		return "", "", nil, pipNotFound(c, p)
	}
	if m[1] == "m" {
		return stdout, stderr, []string{m[2], "-m", "pip.__main__"}, nil
	}
	return stdout, stderr, []string{m[2]}, nil
}

func pipNotFound(c *Call, p pipPlan) Result {
	switch exe := c.Args.Str("executable"); {
	case exe != "":
		return Failed("Unable to find any of %s to use.  pip needs to be installed.", exe)
	case p.env != "":
		return Failed("Unable to find pip in the virtualenv, %s, under any of these names: pip3, pip. Make sure pip is present in the virtualenv.", p.env)
	}
	return Failed("Unable to find any of pip3 to use.  pip needs to be installed.")
}

// pipFailed is pip.py's _fail.
func pipFailed(cmd any, stdout, stderr string) Result {
	msg := ""
	if stdout != "" {
		msg += "stdout: " + stdout
	}
	if stderr != "" {
		msg += "\n:stderr: " + stderr
	}
	return Result{"failed": true, "changed": false, "cmd": cmd, "msg": msg}
}

// pipCheck is check mode: a missing virtualenv, extra_args, requirements
// or state=latest are a change; otherwise the installed packages decide.
func pipCheck(ctx context.Context, c *Call, p pipPlan, list bool) (Result, error) {
	s := pipScript(c, p, true, list, false)
	out, err := c.Host.Run(ctx, Command{Script: s.String()})
	if err != nil {
		return nil, err
	}
	steps := s.parse(out)
	if _, ok := steps["venvneeded"]; ok {
		return Result{"changed": true}, nil
	}
	_, _, pipCmd, fail := pipPrelude(c, p, s, out, steps)
	if fail != nil {
		return fail, nil
	}
	if !list {
		return Result{"changed": true}, nil
	}
	st := steps["before"]
	listCmd := append(pipCmd, "list", "--format=freeze")
	if i := strings.Index(st.Stderr, s.token+"-freeze\n"); i >= 0 {
		listCmd = append(pipCmd, "freeze")
		st.Stderr = st.Stderr[i+len(s.token)+len("-freeze\n"):]
		if st.RC != 0 {
			return pipFailed(strings.Join(listCmd, " "), st.Stdout, st.Stderr), nil
		}
	}
	var installed []string
	for _, l := range strings.Split(st.Stdout, "\n") {
		if l != "" && !strings.HasPrefix(l, "You are using") && !strings.HasPrefix(l, "You should consider") {
			installed = append(installed, l)
		}
	}
	state := c.Args.Str("state")
	changed := false
	for i := range p.packages {
		present := p.plain[i] && pipPresent(p.reqs[i], installed)
		if state == "present" && !present || state == "absent" && present {
			changed = true
			break
		}
	}
	return Result{"changed": changed, "cmd": strings.Join(listCmd, " "), "stdout": st.Stdout, "stderr": st.Stderr}, nil
}

// pipPresent is _is_present over "name==version" lines.
func pipPresent(r pyRequirement, installed []string) bool {
	want := canonicalPyName(r.name)
	for _, l := range installed {
		name, version, ok := strings.Cut(l, "==")
		if !ok || strings.Contains(version, "==") {
			continue
		}
		if canonicalPyName(name) == want && r.satisfiedBy(version) {
			return true
		}
	}
	return false
}
