package checks

import (
	"errors"
	"fmt"
	"strings"
	"text/template"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// HostInfo is what templates see of a host: {{ .Host.Name }}, and its
// variables as {{ .Vars.name }} (also {{ .Host.Vars.name }}). Env is the
// controller's environment, {{ .Env.HOME }} and getEnv as in goss; nil is
// an empty one.
type HostInfo struct {
	Name string
	Vars map[string]any
	Env  map[string]string
}

// scalarTemplate is a parsed template in one scalar of a check.
type scalarTemplate struct {
	tmpl *template.Template
}

// maxRendered bounds what one template may produce.
const maxRendered = 1 << 20

// findTemplates parses the templates in the scalars of a check (its id and
// body). Syntax errors are recorded; the scalars that parse are returned.
func (d *decoder) findTemplates(key, body *yaml.Node) map[*yaml.Node]*scalarTemplate {
	found := make(map[*yaml.Node]*scalarTemplate)
	var funcs template.FuncMap // built at the first template
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > 100 {
			return
		}
		switch n.Kind {
		case yaml.ScalarNode:
			if !strings.Contains(n.Value, "{{") {
				return
			}
			if funcs == nil {
				funcs = templateFuncs(nil)
			}
			t, err := template.New(d.Pos(n)).Funcs(funcs).Option("missingkey=error").Parse(n.Value)
			if err != nil {
				d.Errorf(n, "Go template syntax: {{ .Host.Name }}, {{ .Vars.port }}", "bad template: %s", yamlnode.TemplateError(d.Pos(n), err))
				return
			}
			found[n] = &scalarTemplate{tmpl: t}
		case yaml.MappingNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, depth+1)
			}
		}
	}
	walk(key, 0)
	walk(body, 0)
	return found
}

// For returns the checks of one host with their templates executed. A
// check without templates is returned as is; a check whose templates fail
// (a missing variable, say) or render an invalid value is left out and
// reported as an Error result instead.
func (s *Suite) For(h HostInfo, checks []*Check) ([]*Check, []Result) {
	out := make([]*Check, 0, len(checks))
	var failed []Result
	for _, c := range checks {
		if c.tmpl == nil {
			out = append(out, c)
			continue
		}
		rc, err := c.tmpl.render(h)
		if err != nil {
			failed = append(failed, Result{
				Host: h.Name, Pos: c.Pos, Type: c.Type, ID: c.ID, Title: c.DisplayTitle(),
				Property: "template", Status: Error, Message: err.Error(), Vantage: c.From,
			})
			continue
		}
		out = append(out, rc)
	}
	return out, failed
}

// render executes a check's templates for one host and decodes the result.
func (t *checkTemplate) render(h HostInfo) (*Check, error) {
	vars, env := h.Vars, h.Env
	if vars == nil {
		vars = map[string]any{}
	}
	if env == nil {
		env = map[string]string{}
	}
	r := &renderer{
		scalars: t.scalars,
		data:    fileData{Host: HostInfo{Name: h.Name, Vars: vars}, Vars: vars, Env: env},
		funcs:   template.FuncMap{"getEnv": getEnv(env)},
		budget:  maxRenderedNodes,
	}
	key, body := r.copy(t.key, 0), r.copy(t.body, 0)
	if r.budget < 0 {
		return nil, fmt.Errorf("%s: the check expands to more than %d YAML nodes; use fewer aliases",
			yamlnode.Position(t.file, t.key), maxRenderedNodes)
	}
	if len(r.errs) > 0 {
		return nil, errors.Join(r.errs...)
	}
	d := newDecoder(t.file, maxRendered)
	d.rendering = true
	c := d.parseCheck(schemas[t.typ], key, body, t.defaults)
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("after templates: %w", err)
	}
	return c, nil
}

// maxRenderedNodes bounds the YAML nodes a check may expand to once its
// aliases are resolved ("billion laughs").
const maxRenderedNodes = 100_000

// renderer copies a check's YAML tree for one host, resolving aliases and
// executing the templates of the scalars it copies.
type renderer struct {
	scalars map[*yaml.Node]*scalarTemplate
	data    fileData
	funcs   template.FuncMap // those bound to the host's data
	budget  int
	errs    []error
}

func (r *renderer) copy(n *yaml.Node, depth int) *yaml.Node {
	r.budget--
	if n == nil || depth > 200 || r.budget < 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yamlnode.TagNull}
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return r.copy(n.Alias, depth+1)
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		c.Content[i] = r.copy(child, depth+1)
	}
	if st := r.scalars[n]; st != nil {
		r.execute(st, &c)
	}
	return &c
}

// execute renders a templated scalar into n.
func (r *renderer) execute(st *scalarTemplate, n *yaml.Node) {
	var b strings.Builder
	t, err := st.tmpl.Clone()
	if err == nil {
		err = t.Funcs(r.funcs).Execute(&limitedBuilder{b: &b, max: maxRendered}, r.data)
	}
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: template: %s", st.tmpl.Name(), yamlnode.TemplateError(st.tmpl.Name(), err)))
		return
	}
	n.Value = b.String()
	// A rendered value is typed by what it became: "8080" is a number,
	// "true" a boolean, whatever quotes the template was written in.
	n.Style, n.Tag = 0, ""
	if n.Value == "" {
		n.Tag = yamlnode.TagStr
	}
}

// limitedBuilder stops a template that renders too much.
type limitedBuilder struct {
	b   *strings.Builder
	max int
}

func (l *limitedBuilder) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) > l.max {
		return 0, fmt.Errorf("the template renders more than %d bytes", l.max)
	}
	return l.b.Write(p)
}
