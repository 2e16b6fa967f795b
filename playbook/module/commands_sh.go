package module

import (
	"fmt"
	"regexp"
	"strings"
)

// The host-side half of command, shell and script: one POSIX sh script
// that expands the path arguments (and command's argv) as Ansible's
// Python does on the host, changes directory, evaluates creates/removes,
// finds the program and then either reports why it stops or execs the
// command. It reports on stdout with a line that starts with a random
// token the command cannot print, so the command's own output is never
// mistaken for it.

// shPrelude defines the helpers of the script.
//
// _rctl_tilde expands a leading ~ of $_rctl_w as Python's
// os.path.expanduser: ~ is $HOME (when exported) or the user's home, ~name
// is name's home or stays when there is no such user.
//
// _rctl_hit reports whether one of its arguments exists (a broken link
// counts, as for Python's glob).
//
// _rctl_exe sets _rctl_err to the errno Python's execvp would fail with for
// the program $1 (2: not found, 13: not executable), or 0.
const shPrelude = `_rctl_tilde() {
	case $_rctl_w in '~'*) ;; *) return 0 ;; esac
	_rctl_r=${_rctl_w#?}
	_rctl_n=${_rctl_r%%/*}
	_rctl_t=${_rctl_r#"$_rctl_n"}
	if [ -z "$_rctl_n" ]; then
		if printenv HOME >/dev/null 2>&1; then _rctl_h=$HOME; else _rctl_n=$(id -u); _rctl_h=$(getent passwd "$_rctl_n" | cut -d: -f6); fi
	else
		_rctl_h=$(getent passwd "$_rctl_n" | { IFS=: read -r u _ _ _ _ h _ && [ "$u" = "$_rctl_n" ] && printf '%s/' "$h"; })
		[ -n "$_rctl_h" ] || return 0
	fi
	while :; do case $_rctl_h in */) _rctl_h=${_rctl_h%/} ;; *) break ;; esac; done
	_rctl_w=$_rctl_h$_rctl_t
	[ -n "$_rctl_w" ] || _rctl_w=/
}
_rctl_hit() {
	for _rctl_f do
		if [ -e "$_rctl_f" ] || [ -L "$_rctl_f" ]; then return 0; fi
	done
	return 1
}
_rctl_exe() {
	_rctl_err=2
	case $1 in
	*/*) set -- "$1" ;;
	*) _rctl_p=$1; _rctl_ifs=$IFS; IFS=:; set -f; set -- ${PATH-/bin:/usr/bin}; set +f; IFS=$_rctl_ifs
		for _rctl_d do set -- "$@" "${_rctl_d:-.}/$_rctl_p"; shift; done ;;
	esac
	for _rctl_c do
		if [ -f "$_rctl_c" ] && [ -x "$_rctl_c" ]; then _rctl_err=0; return 0; fi
		if [ -e "$_rctl_c" ]; then _rctl_err=13; fi
	done
}
`

// pyVarRef is a reference os.path.expandvars expands: $name or ${name}.
var pyVarRef = regexp.MustCompile(`\$([\p{L}\p{N}_]+|\{[^}]*\})`)

var shName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// shExpand returns sh code that sets the variable v to s expanded as
// Python's os.path.expanduser(os.path.expandvars(s)) on the host: a
// variable is replaced only when it is in the environment (exported),
// otherwise its reference stays as written.
func shExpand(v, s string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s=''\n", v)
	last := 0
	for _, m := range pyVarRef.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > last {
			fmt.Fprintf(&b, "%s=\"$%s\"%s\n", v, v, Quote(s[last:m[0]]))
		}
		name := strings.TrimSuffix(strings.TrimPrefix(s[m[2]:m[3]], "{"), "}")
		ref := s[m[0]:m[1]]
		if shName.MatchString(name) {
			fmt.Fprintf(&b, "if printenv %s >/dev/null 2>&1; then %s=\"$%s$%s\"; else %s=\"$%s\"%s; fi\n",
				name, v, v, name, v, v, Quote(ref))
		} else {
			fmt.Fprintf(&b, "%s=\"$%s\"%s\n", v, v, Quote(ref))
		}
		last = m[1]
	}
	if last < len(s) {
		fmt.Fprintf(&b, "%s=\"$%s\"%s\n", v, v, Quote(s[last:]))
	}
	if strings.HasPrefix(s, "~") || strings.HasPrefix(s, "$") {
		fmt.Fprintf(&b, "_rctl_w=$%s; _rctl_tilde; %s=$_rctl_w\n", v, v)
	}
	return b.String()
}

// cmdPlan is what the host script does.
type cmdPlan struct {
	token  string
	argv   []string // the words of the command (command, or [executable -c cmd] for shell)
	expand bool     // expand argv as command does (expand_argument_vars)
	chdir  string
	// creates and removes are globs (command, shell) or plain paths
	// (script: test -e)
	creates, removes string
	glob             bool
	noExpand         bool // keep chdir, creates and removes as written (script)
	check            bool // stop before running: report "run"
}

// Reports of the script, after the token: "chdir ERRNO PATH", "creates",
// "removes", "exec ERRNO", "run" (check mode), each followed by the
// expanded words the Go side needs.
func (p cmdPlan) script() string {
	var b strings.Builder
	b.WriteString(shPrelude)
	// say reports and stops: a line "TOKEN kind errno", then the values
	// it names, each ended by a NUL.
	say := func(kind string, vals ...string) string {
		return fmt.Sprintf("printf '%%s\\n' \"%s %s\"; printf '%%s\\0' %s; exit 0", p.token, kind, strings.Join(vals, " "))
	}
	var words []string
	for i := range p.argv {
		words = append(words, fmt.Sprintf("\"$_rctl_a%d\"", i))
	}
	for i, w := range p.argv {
		if p.expand {
			b.WriteString(shExpand(fmt.Sprintf("_rctl_a%d", i), w))
		} else {
			fmt.Fprintf(&b, "_rctl_a%d=%s\n", i, Quote(w))
		}
	}
	for _, v := range []struct{ name, val string }{{"chdir", p.chdir}, {"creates", p.creates}, {"removes", p.removes}} {
		switch {
		case v.val == "":
		case p.noExpand:
			fmt.Fprintf(&b, "_rctl_%s=%s\n", v.name, Quote(v.val))
		default:
			b.WriteString(shExpand("_rctl_"+v.name, v.val))
		}
	}
	if p.chdir != "" {
		fmt.Fprintf(&b, "if [ ! -e \"$_rctl_chdir\" ]; then %s; fi\n", say("chdir 2", `"$_rctl_chdir"`))
		fmt.Fprintf(&b, "if [ ! -d \"$_rctl_chdir\" ]; then %s; fi\n", say("chdir 20", `"$_rctl_chdir"`))
		fmt.Fprintf(&b, "cd -- \"$_rctl_chdir\" 2>/dev/null || { %s; }\n", say("chdir 13", `"$_rctl_chdir"`))
	}
	test := func(v string) string {
		if p.glob {
			return fmt.Sprintf("{ _rctl_ifs=$IFS; IFS=; set +f; set -- $%s; IFS=$_rctl_ifs; _rctl_hit \"$@\"; }", v)
		}
		return fmt.Sprintf("_rctl_hit \"$%s\"", v)
	}
	if p.creates != "" {
		fmt.Fprintf(&b, "if %s; then %s; fi\n", test("_rctl_creates"), say("creates -", `"$_rctl_creates"`))
	}
	if p.removes != "" {
		fmt.Fprintf(&b, "if ! %s; then %s; fi\n", test("_rctl_removes"), say("removes -", `"$_rctl_removes"`))
	}
	if p.check {
		fmt.Fprintf(&b, "%s\n", say("run -", words...))
		return b.String()
	}
	fmt.Fprintf(&b, "_rctl_exe \"$_rctl_a0\"\nif [ $_rctl_err != 0 ]; then %s; fi\n", say("exec $_rctl_err", words...))
	fmt.Fprintf(&b, "exec %s\n", strings.Join(words, " "))
	return b.String()
}

// cmdReport is the script's report when it did not exec the command.
type cmdReport struct {
	kind  string // "chdir", "creates", "removes", "exec", "run"; "" when the command ran
	errno string
	vals  []string // the expanded path (chdir, creates, removes) or argv (exec, run)
}

// parseReport reads the script's report from its stdout.
func parseReport(token, stdout string) cmdReport {
	rest, ok := strings.CutPrefix(stdout, token+" ")
	if !ok {
		return cmdReport{}
	}
	line, vals, _ := strings.Cut(rest, "\n")
	kind, errno, _ := strings.Cut(line, " ")
	r := cmdReport{kind: kind, errno: errno}
	if vals != "" {
		r.vals = strings.Split(strings.TrimSuffix(vals, "\x00"), "\x00")
	}
	return r
}
