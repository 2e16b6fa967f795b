package playbook

import (
	"fmt"
	"os"
	"strings"
	"text/template"
	"text/template/parse"

	sprig "github.com/go-task/slim-sprig/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// Text is a string of a playbook that may hold a Go template:
// "{{ .app_version }}", {{ .facts.hostname }}, {{ env "TOKEN" }}, plus the
// slim-sprig functions (upper, default, join, ...). Templates see every
// variable at the top level (inventory, play vars, vars_files, -e,
// registered results, item) and execute with missingkey=error, so a
// misspelt name fails instead of producing "<no value>".
type Text struct {
	Raw  string
	Pos  string // file:line:col of the value
	tmpl *template.Template
}

// IsTemplate reports whether the text holds a template.
func (t Text) IsTemplate() bool { return t.tmpl != nil }

// String returns the text as written.
func (t Text) String() string { return t.Raw }

// render executes the template with data; plain text is returned as is.
func (t Text) render(data map[string]any) (string, error) {
	if t.tmpl == nil {
		return t.Raw, nil
	}
	var b strings.Builder
	if err := t.tmpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("%s: %s", t.Pos, yamlnode.TemplateError(t.Pos, err))
	}
	return b.String(), nil
}

// templateEnv is what templates are parsed with: the functions and the
// environment lookup that marks what it reads as secret.
type templateEnv struct {
	funcs     template.FuncMap
	lookupEnv func(string) (string, bool)
}

func newTemplateEnv(lookupEnv func(string) (string, bool), secrets *Secrets) *templateEnv {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	funcs := sprig.TxtFuncMap()
	// slim-sprig's env and expandenv read the environment without marking
	// the values secret: they are replaced.
	delete(funcs, "expandenv")
	funcs["env"] = func(name string) (string, error) {
		v, ok := lookupEnv(name)
		if !ok {
			return "", fmt.Errorf("the environment variable %s is not set", name)
		}
		secrets.Add(v)
		return v, nil
	}
	return &templateEnv{funcs: funcs, lookupEnv: lookupEnv}
}

// text parses a scalar into a Text, checking the template against the
// variable names known before the run (see knownNames).
func (d *decoder) text(raw, pos string, env *templateEnv, known *knownNames) Text {
	t := Text{Raw: raw, Pos: pos}
	if !strings.Contains(raw, "{{") {
		return t
	}
	tmpl, err := template.New(pos).Option("missingkey=error").Funcs(env.funcs).Parse(raw)
	if err != nil {
		d.Errs = append(d.Errs, &ParseError{Pos: pos, Msg: "bad template: " + yamlnode.TemplateError(pos, err),
			Hint: `Go template syntax: "{{ .app_version }}", "{{ .facts.hostname }}", "{{ env \"TOKEN\" }}"`})
		return t
	}
	t.tmpl = tmpl
	if tmpl.Tree != nil {
		d.checkTemplateNames(tmpl.Tree.Root, pos, env, known)
	}
	return t
}

// checkTemplateNames reports the variables a template reads that no source
// defines, and environment variables it reads that are not set. Bodies of
// range and with are not checked: the dot changes there.
func (d *decoder) checkTemplateNames(node parse.Node, pos string, env *templateEnv, known *knownNames) {
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			d.checkTemplateNames(c, pos, env, known)
		}
	case *parse.ActionNode:
		d.checkTemplateNames(n.Pipe, pos, env, known)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			d.checkTemplateNames(c, pos, env, known)
		}
	case *parse.CommandNode:
		d.checkEnvCall(n, pos, env)
		for _, arg := range n.Args {
			d.checkTemplateNames(arg, pos, env, known)
		}
	case *parse.FieldNode:
		d.checkName(n.Ident[0], pos, known)
	case *parse.VariableNode:
		if len(n.Ident) > 1 && n.Ident[0] == "$" {
			d.checkName(n.Ident[1], pos, known)
		}
	case *parse.IfNode:
		d.checkTemplateNames(n.Pipe, pos, env, known)
		d.checkTemplateNames(n.List, pos, env, known)
		d.checkTemplateNames(n.ElseList, pos, env, known)
	case *parse.RangeNode:
		d.checkTemplateNames(n.Pipe, pos, env, known)
	case *parse.WithNode:
		d.checkTemplateNames(n.Pipe, pos, env, known)
	}
}

func (d *decoder) checkName(name, pos string, known *knownNames) {
	if known == nil || known.has(name) {
		return
	}
	d.Errs = append(d.Errs, &ParseError{Pos: pos, Msg: fmt.Sprintf("the template reads the variable %q, which nothing defines", name),
		Hint: known.hint(name)})
}

// checkEnvCall reports {{ env "NAME" }} when NAME is not set: the run would
// fail on every host.
func (d *decoder) checkEnvCall(n *parse.CommandNode, pos string, env *templateEnv) {
	if len(n.Args) != 2 {
		return
	}
	fn, ok := n.Args[0].(*parse.IdentifierNode)
	name, isString := n.Args[1].(*parse.StringNode)
	if !ok || !isString || fn.Ident != "env" {
		return
	}
	if _, set := env.lookupEnv(name.Text); !set {
		d.Errs = append(d.Errs, &ParseError{Pos: pos, Msg: fmt.Sprintf("the environment variable %s is not set", name.Text),
			Hint: fmt.Sprintf("export %s=... before running the playbook", name.Text)})
	}
}
