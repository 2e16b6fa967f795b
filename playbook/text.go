package playbook

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/playbook/jinja"
)

// Text is a string of a playbook that may hold a Jinja2 template, as
// Ansible's: "{{ app_version }}", "{{ ansible_facts.hostname }}",
// "{{ lookup('env', 'TOKEN') }}", with Ansible's filters and tests.
// Templates see every variable at the top level (inventory, play vars,
// vars_files, -e, registered results, facts, item) and are strict: an
// undefined variable fails unless default() rescues it.
type Text struct {
	Raw  string
	Pos  string        // file:line:col of the value (the file name for a template file)
	eng  *jinja.Engine // nil when Raw holds no template
	file bool          // a template file: rendered as text, trailing newlines kept
}

// IsTemplate reports whether the text holds a template.
func (t Text) IsTemplate() bool { return t.eng != nil }

// String returns the text as written.
func (t Text) String() string { return t.Raw }

// render templates the text with vars into a string; plain text is
// returned as is.
func (t Text) render(vars map[string]any) (string, error) {
	if t.eng == nil {
		return t.Raw, nil
	}
	if t.file {
		s, err := t.eng.RenderText(t.Raw, vars)
		if err != nil {
			return "", t.errorf(err)
		}
		return s, nil
	}
	v, err := t.value(vars)
	if err != nil {
		return "", err
	}
	return jinja.String(v), nil
}

// value templates the text with vars as Ansible templates a value: a lone
// {{ list }} gives the list itself.
func (t Text) value(vars map[string]any) (any, error) {
	if t.eng == nil {
		return t.Raw, nil
	}
	v, err := t.eng.Render(t.Raw, vars)
	if err != nil {
		return nil, t.errorf(err)
	}
	return v, nil
}

func (t Text) errorf(err error) error {
	return fmt.Errorf("%s: %s", t.Pos, err)
}

// jinjaHint shows the template language.
const jinjaHint = `Jinja2, as Ansible's: "{{ app_version }}", "{{ ansible_facts.hostname }}", "{{ x | default('y') }}"`

// newEngine returns the template engine of a playbook: Ansible's Jinja2
// with the env lookup, which marks what it reads as secret.
func newEngine(lookupEnv func(string) (string, bool), secrets *Secrets, dir string) *jinja.Engine {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	env := func(c jinja.LookupCall) ([]any, error) {
		values := make([]any, 0, len(c.Terms))
		for _, term := range c.Terms {
			v, _ := lookupEnv(jinja.String(term)) // unset is "", as Ansible's
			secrets.Add(v)
			values = append(values, v)
		}
		return values, nil
	}
	var eng *jinja.Engine
	lookups := lookupPlugins(dir, func() *jinja.Engine { return eng })
	lookups["env"] = env
	lookups["password"] = func(c jinja.LookupCall) ([]any, error) { return lookupPassword(c.Terms, dir, secrets) }
	eng = jinja.New(jinja.WithLookups(lookups))
	return eng
}

// position is where the text of a value starts in its file (inside the
// quotes of a quoted scalar), to place errors found in the text.
type position struct {
	file      string
	line, col int
}

// srcPos is the position of scalar n's text.
func (d *decoder) srcPos(n *yaml.Node) position {
	return position{file: d.File, line: n.Line, col: scalarColumn(n)}
}

// at is the file:line:col of line and col (from 1) of the text. Columns
// past the first line count from the line's start, exact for block
// scalars and files.
func (p position) at(line, col int) string {
	if line <= 1 {
		return fmt.Sprintf("%s:%d:%d", p.file, p.line, p.col+max(col, 1)-1)
	}
	return fmt.Sprintf("%s:%d:%d", p.file, p.line+line-1, col)
}

// atOffset is the file:line:col of byte off of text.
func (p position) atOffset(text string, off int) string {
	before := text[:off]
	line := strings.Count(before, "\n") + 1
	return p.at(line, off-strings.LastIndex(before, "\n"))
}

// text parses a scalar into a Text, checking the template (its syntax, its
// filters and tests) and the variables it reads against the names known
// before the run (see knownNames). pos is the Text's position in run-time
// errors.
func (d *decoder) text(raw, pos string, at position, eng *jinja.Engine) Text {
	t := Text{Raw: raw, Pos: pos}
	if !jinja.IsTemplate(raw) {
		return t
	}
	if err := eng.Check(raw); err != nil {
		d.Errs = append(d.Errs, dialectHint(raw, templateError(at, "bad template: ", err)))
		return t
	}
	t.eng = eng
	return t
}

// dialectHint points a template of remotectl's old dialect ({{ .x }}) to
// Jinja2.
func dialectHint(raw string, pe *ParseError) *ParseError {
	if strings.Contains(raw, "{{ .") || strings.Contains(raw, "{{.") {
		pe.Hint = "templates are Jinja2 now, as Ansible's: write {{ x }}, not {{ .x }}"
	}
	return pe
}

// templateError is a template or expression refused before the run.
func templateError(at position, prefix string, err error) *ParseError {
	var je *jinja.Error
	if !errors.As(err, &je) {
		return &ParseError{Pos: at.at(1, 1), Msg: prefix + err.Error(), Hint: jinjaHint}
	}
	pos := at.at(je.Line, je.Col)
	if je.Kind == jinja.Unsupported {
		return &ParseError{Pos: pos, Msg: je.Msg, Hint: "remotectl implements ansible-core's filters and tests and its controller-side lookups (file, template, first_found, fileglob, pipe, lines, env, vars, varnames, password and the loop plugins)"}
	}
	return &ParseError{Pos: pos, Msg: prefix + je.Msg, Hint: jinjaHint}
}
