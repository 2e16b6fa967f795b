package playbook

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/remotectl/remotectl/internal/omap"
	"github.com/remotectl/remotectl/playbook/module"
	"go.yaml.in/yaml/v3"
)

// argSpecTask is the task Ansible puts first in a role whose meta holds
// an argument spec for the entry point (meta/argument_specs.yml, else
// argument_specs: in meta/main.yml): "Validating arguments against arg
// spec 'main'", a validate_argument_spec of the entry point's options
// against the role's parameters and variables, tagged always. nil when
// the role has none.
func (p *parser) argSpecTask(at *yaml.Node, dir, entry string, params map[string]any, s *scope) []*Task {
	if entry == "" {
		entry = "main"
	}
	path := roleFile(dir, "meta", "argument_specs")
	if path == "" {
		path = roleFile(dir, "meta", "")
	}
	if path == "" {
		return nil
	}
	var out []*Task
	p.inFile(at, path, func(root *yaml.Node) {
		spec := mapValue(mapValue(root, "argument_specs"), entry)
		if spec == nil || spec.Kind != yaml.MappingNode {
			return
		}
		name := "Validating arguments against arg spec '" + entry + "'"
		if d := mapValue(spec, "short_description"); d != nil && d.Kind == yaml.ScalarNode {
			name += " - " + d.Value
		}
		options := mapValue(spec, "options")
		if options == nil || yamlnodeNull(options) {
			options = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: spec.Line, Column: spec.Column}
		}
		str := func(v string) *yaml.Node {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Line: spec.Line, Column: spec.Column}
		}
		mapping := func(kv ...*yaml.Node) *yaml.Node {
			return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: kv, Line: spec.Line, Column: spec.Column}
		}
		task := mapping(str("name"), str(name),
			str("ansible.builtin.validate_argument_spec"), mapping(str("argument_spec"), options),
			str("tags"), &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{str("always")}, Line: spec.Line, Column: spec.Column})
		out = p.taskList(&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{task}, Line: spec.Line, Column: spec.Column}, s)
	})
	for _, t := range out {
		if a, ok := t.Action.(*BuiltinAction); ok {
			a.Args["provided_arguments"] = maps.Clone(params)
			a.Args["validate_args_context"] = map[string]any{"type": "role", "name": s.role.Name, "argument_spec_name": entry, "path": dir}
		}
	}
	return out
}

// mapValue is the value of key in mapping n, nil when absent.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func yamlnodeNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// runValidateArgumentSpec is Ansible's validate_argument_spec action: the
// variables the spec names (templated) and provided_arguments over them
// are validated as Ansible's ArgumentSpecValidator does: unsupported
// names, required options, types (Ansible's conversions), choices, and
// the options of dicts and of lists of dicts.
func runValidateArgumentSpec(_ context.Context, r *actionRun, args map[string]any) (*Outcome, error) {
	args = omap.PlainMap(args) // the order of the spec's options does not matter
	spec, ok := args["argument_spec"].(map[string]any)
	if !ok {
		if args["argument_spec"] == nil {
			return failed("\"argument_spec\" arg is required in args: %v", args), nil
		}
		return failed("Incorrect type for argument_spec, expected dict and got %T", args["argument_spec"]), nil
	}
	provided, _ := args["provided_arguments"].(map[string]any)
	if args["provided_arguments"] != nil && provided == nil {
		return failed("Incorrect type for provided_arguments, expected dict and got %T", args["provided_arguments"]), nil
	}
	values := map[string]any{}
	for name := range spec {
		if raw, ok := r.vars[name]; ok {
			v, err := templateArgs(r.task.eng, raw, r.vars)
			if err != nil {
				return failed("%v", err), nil
			}
			values[name] = omap.Plain(v)
		}
	}
	maps.Copy(values, provided)
	errs := validateArgSpec(spec, values, "")
	if len(errs) > 0 {
		out := failed("Validation of arguments failed:\n%s", strings.Join(errs, "\n"))
		out.Extra = map[string]any{"argument_errors": errs, "argument_spec_data": spec, "validate_args_context": args["validate_args_context"]}
		return out, nil
	}
	return &Outcome{Msg: "The arg spec validation passed", Extra: map[string]any{"validate_args_context": args["validate_args_context"]}}, nil
}

// argSpecTypes are the argument spec types remotectl converts as Ansible;
// the others (raw, bits, bytes, json, jsonarg, a callable) take any value.
var argSpecTypes = map[string]module.Type{"str": module.Str, "bool": module.Bool, "int": module.Int, "float": module.Float,
	"list": module.List, "dict": module.Dict, "path": module.Path, "raw": module.Raw}

// validateArgSpec validates values against spec (an options mapping),
// recursively for suboptions; prefix names where a suboption is.
func validateArgSpec(spec, values map[string]any, prefix string) []string {
	m := &module.Module{Name: "validate_argument_spec"}
	for _, name := range sortedNames(spec) {
		attrs, _ := spec[name].(map[string]any)
		p := module.Param{Name: name, Type: argSpecTypes[fmt.Sprint(attrs["type"])], Required: attrs["required"] == true}
		if attrs["type"] == nil {
			p.Type = module.Str // Ansible's default type
		}
		p.Elements = argSpecTypes[fmt.Sprint(attrs["elements"])]
		for _, a := range toAnyList(attrs["aliases"]) {
			p.Aliases = append(p.Aliases, fmt.Sprint(a))
		}
		for _, c := range toAnyList(attrs["choices"]) {
			p.Choices = append(p.Choices, fmt.Sprint(c))
		}
		m.Params = append(m.Params, p)
	}
	var errs []string
	var unknown []string
	for k := range values {
		if _, ok := m.Param(k); !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		errs = append(errs, fmt.Sprintf("Unsupported parameters for (%s) module: %s. Supported parameters include: %s",
			"validate_argument_spec", strings.Join(unknown, ", "), strings.Join(m.ParamNames(), ", ")))
		values = maps.Clone(values)
		for _, k := range unknown {
			delete(values, k)
		}
	}
	norm, err := m.Normalize(values)
	if err != nil {
		return append(errs, prefixed(prefix, err.Error()))
	}
	for _, p := range m.Params {
		sub, _ := spec[p.Name].(map[string]any)
		opts, ok := sub["options"].(map[string]any)
		if !ok || norm[p.Name] == nil {
			continue
		}
		switch v := norm[p.Name].(type) {
		case map[string]any:
			errs = append(errs, validateArgSpec(opts, v, prefix+p.Name+".")...)
		case []any:
			for _, item := range v {
				if d, ok := item.(map[string]any); ok {
					errs = append(errs, validateArgSpec(opts, d, prefix+p.Name+".")...)
				}
			}
		}
	}
	return errs
}

func prefixed(prefix, msg string) string {
	if prefix == "" {
		return msg
	}
	return msg + " found in " + strings.TrimSuffix(prefix, ".")
}

func sortedNames(m map[string]any) []string {
	names := slices.Collect(maps.Keys(m))
	sort.Strings(names)
	return names
}

func toAnyList(v any) []any {
	l, _ := v.([]any)
	return l
}
