package playbook

import (
	"maps"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/omap"
	"github.com/remotectl/remotectl/playbook/jinja"
)

// Playbook values keep Python's dict order: a mapping read from YAML or
// JSON, or built by a template, is a *omap.Map (keys in the order
// written), so loops over it and the text written from it come out as
// ansible-playbook writes them. Maps built in Go (facts, module results,
// hostvars) stay map[string]any, shown with sorted keys. Code that reads a
// mapping takes either through dictOf or plainDict; modules receive plain
// maps (omap.Plain), their arguments' order being irrelevant to them.

// dictOf returns v as an ordered mapping when it is one: a *omap.Map
// itself, a plain map with its keys sorted.
func dictOf(v any) (*omap.Map, bool) { return omap.As(v) }

// plainDict returns v as a plain map when it is a mapping (a *omap.Map's
// entries copied, shallow).
func plainDict(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, true
	case *omap.Map:
		return x.ToMap(), true
	}
	return nil, false
}

// valueMap decodes a mapping node into a map of its keys' values (each
// ordered inside), nil when n is not a mapping.
func (d *decoder) valueMap(n *yaml.Node) map[string]any {
	m, ok := d.value(n).(*omap.Map)
	if !ok {
		return nil
	}
	return m.ToMap()
}

// redactValue is Masker.RedactValue through ordered dicts too: every
// string in v, at any depth, with the known secrets masked.
func redactValue(m *Secrets, v any) any {
	if m.Empty() {
		return v
	}
	switch x := v.(type) {
	case *omap.Map:
		out := omap.New(x.Len())
		for k, item := range x.All() {
			out.Set(k, redactValue(m, item))
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[k] = redactValue(m, item)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = redactValue(m, item)
		}
		return out
	}
	return m.RedactValue(v)
}

// jsonTextArgs are the module arguments Ansible writes as json.dumps's
// text when they are a dict or a list (copy's content, uri's body).
var jsonTextArgs = map[string]string{"copy": "content", "uri": "body"}

// moduleArgs are a module's templated arguments as modules take them:
// plain maps. A dict or list that the module would write as JSON text is
// given as that text, so that its dicts keep their order.
func moduleArgs(mod string, args map[string]any) map[string]any {
	if name, ok := jsonTextArgs[mod]; ok && omap.Holds(args[name]) && jinja.String(args["body_format"]) != "form-urlencoded" {
		args = maps.Clone(args)
		args[name] = jinja.JSON(args[name])
	}
	return omap.PlainMap(args)
}
