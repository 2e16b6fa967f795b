package module

import (
	"strconv"
	"strings"
)

// extraModules are builtin modules that real roles use beyond the core
// groups: pip, apt_key, rpm_key, debconf, known_hosts, getent.
func extraModules() []*Module {
	return []*Module{pipModule(), aptKeyModule(), rpmKeyModule(), debconfModule(), knownHostsModule(), getentModule()}
}

// shSteps builds a POSIX sh script made of named steps whose output is
// told apart by a random token: each step's stdout ends with a line
// "TOKEN name rc", its stderr with "TOKEN name". One round trip runs
// several commands and Go still sees each one's stdout, stderr and rc.
type shSteps struct {
	token string
	b     strings.Builder
}

func newShSteps() *shSteps {
	s := &shSteps{token: "rctl-" + RandomSuffix()}
	s.b.WriteString("T=" + s.token + "\nmark() { printf '%s %s %s\\n' \"$T\" \"$1\" \"$2\"; printf '%s %s\\n' \"$T\" \"$1\" >&2; }\n")
	return s
}

// line adds shell text as is.
func (s *shSteps) line(sh string) { s.b.WriteString(sh + "\n") }

// step runs sh (a command list) and marks its end with name and its rc,
// which is left in $STEP_RC for the lines that follow.
func (s *shSteps) step(name, sh string) {
	s.b.WriteString("{ " + sh + "\n}; STEP_RC=$?; mark " + name + " $STEP_RC\n")
}

func (s *shSteps) String() string { return s.b.String() }

// shStep is what one step printed.
type shStep struct {
	Stdout, Stderr string
	RC             int
}

// parse splits a run's output into its steps, by name.
func (s *shSteps) parse(out Output) map[string]shStep {
	steps := map[string]shStep{}
	so, se := out.Stdout, out.Stderr
	for {
		i := strings.Index(so, s.token+" ")
		if i < 0 {
			return steps
		}
		text := so[:i]
		rest := so[i+len(s.token)+1:]
		eol := strings.IndexByte(rest, '\n')
		if eol < 0 {
			eol = len(rest)
		}
		name, rcText, _ := strings.Cut(rest[:eol], " ")
		rc, _ := strconv.Atoi(rcText)
		so = strings.TrimPrefix(rest[eol:], "\n")
		st := shStep{Stdout: s.dropInfo(text), RC: rc}
		if j := strings.Index(se, s.token+" "+name+"\n"); j >= 0 {
			st.Stderr = se[:j]
			se = se[j+len(s.token)+len(name)+2:]
		}
		steps[name] = st
	}
}

// dropInfo removes the lines "TOKEN-..." a script prints for Go between
// steps.
func (s *shSteps) dropInfo(text string) string {
	if !strings.Contains(text, s.token+"-") {
		return text
	}
	var b strings.Builder
	for _, l := range strings.SplitAfter(text, "\n") {
		if !strings.HasPrefix(l, s.token+"-") {
			b.WriteString(l)
		}
	}
	return b.String()
}
