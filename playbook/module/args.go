package module

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Args are a module's arguments after Normalize: canonical names, defaults
// applied, values of their Param's Type.
type Args map[string]any

// Has reports whether the argument was given (or has a default).
func (a Args) Has(name string) bool { v, ok := a[name]; return ok && v != nil }

// Str returns a Str/Path/Mode argument, "" when absent.
func (a Args) Str(name string) string {
	switch v := a[name].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// Bool returns a Bool argument, false when absent.
func (a Args) Bool(name string) bool { b, _ := a[name].(bool); return b }

// Int returns an Int argument, 0 when absent.
func (a Args) Int(name string) int { i, _ := a[name].(int); return i }

// List returns a List argument, nil when absent.
func (a Args) List(name string) []any { l, _ := a[name].([]any); return l }

// Strings returns a List argument as strings.
func (a Args) Strings(name string) []string {
	var out []string
	for _, v := range a.List(name) {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// Dict returns a Dict argument, nil when absent.
func (a Args) Dict(name string) map[string]any { d, _ := a[name].(map[string]any); return d }

// Param returns the module's parameter named name or by one of its aliases.
func (m *Module) Param(name string) (*Param, bool) {
	for i := range m.Params {
		p := &m.Params[i]
		if p.Name == name || slices.Contains(p.Aliases, name) {
			return p, true
		}
	}
	return nil, false
}

// UnknownArgs returns the names in raw that are no parameter of the module
// (for load-time validation), sorted.
func (m *Module) UnknownArgs(names []string) []string {
	var out []string
	for _, n := range names {
		if _, ok := m.Param(n); !ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// ParamNames lists the module's parameters, for hints.
func (m *Module) ParamNames() []string {
	names := make([]string, len(m.Params))
	for i, p := range m.Params {
		names[i] = p.Name
	}
	sort.Strings(names)
	return names
}

// Normalize turns templated raw arguments into Args: aliases resolved to
// the parameter's name, unknown names refused, values converted to their
// Type (Ansible's conversions), choices and required parameters checked,
// defaults applied. Its errors read as Ansible's ("Unsupported parameters
// for (copy) module: bogus").
func (m *Module) Normalize(raw map[string]any) (Args, error) {
	args := Args{}
	var unknown []string
	for k, v := range raw {
		p, ok := m.Param(k)
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		if _, dup := args[p.Name]; dup && k != p.Name {
			continue // the canonical name wins over an alias
		}
		if v == nil {
			args[p.Name] = nil
			continue
		}
		cv, err := convert(p, v)
		if err != nil {
			return nil, fmt.Errorf("argument '%s' is of type %T and we were unable to convert to %s: %v", k, v, p.Type, err)
		}
		if p.Choices != nil {
			s := fmt.Sprint(cv)
			if !slices.Contains(p.Choices, s) {
				return nil, fmt.Errorf("value of %s must be one of: %s, got: %s", p.Name, strings.Join(p.Choices, ", "), s)
			}
		}
		args[p.Name] = cv
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("Unsupported parameters for (%s) module: %s. Supported parameters include: %s",
			m.Name, strings.Join(unknown, ", "), strings.Join(m.ParamNames(), ", "))
	}
	var missing []string
	for _, p := range m.Params {
		if args.Has(p.Name) {
			continue
		}
		if p.Required {
			missing = append(missing, p.Name)
		} else if p.Default != nil {
			args[p.Name] = p.Default
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing required arguments: %s", strings.Join(missing, ", "))
	}
	return args, nil
}

func (t Type) String() string {
	return [...]string{"raw", "str", "bool", "int", "float", "list", "dict", "path", "mode"}[t]
}

func convert(p *Param, v any) (any, error) {
	switch p.Type {
	case Str, Path:
		switch x := v.(type) {
		case string:
			return x, nil
		case bool:
			if x {
				return "True", nil
			}
			return "False", nil
		case map[string]any, []any:
			return nil, fmt.Errorf("a %T is not a string", v)
		}
		return fmt.Sprint(v), nil
	case Mode:
		switch x := v.(type) {
		case int:
			// YAML 0644 is the int 420; Ansible treats an int mode as the
			// number it is, so 0644 written unquoted works, and 644 is 0o1204.
			return fmt.Sprintf("0%o", x), nil
		case string:
			return x, nil
		}
		return nil, fmt.Errorf("not a mode")
	case Bool:
		return ToBool(v)
	case Int:
		switch x := v.(type) {
		case int:
			return x, nil
		case int64:
			return int(x), nil
		case float64:
			if x == math.Trunc(x) {
				return int(x), nil
			}
		case string:
			if i, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
				return i, nil
			}
		}
		return nil, fmt.Errorf("not an int")
	case Float:
		switch x := v.(type) {
		case int:
			return float64(x), nil
		case float64:
			return x, nil
		case string:
			return strconv.ParseFloat(strings.TrimSpace(x), 64)
		}
		return nil, fmt.Errorf("not a float")
	case List:
		var list []any
		switch x := v.(type) {
		case []any:
			list = x
		case []string:
			for _, s := range x {
				list = append(list, s)
			}
		case string:
			if x != "" {
				for _, s := range strings.Split(x, ",") {
					list = append(list, strings.TrimSpace(s))
				}
			}
		default:
			list = []any{v}
		}
		if p.Elements != Raw && p.Elements != List {
			el := Param{Name: p.Name, Type: p.Elements}
			for i, it := range list {
				cv, err := convert(&el, it)
				if err != nil {
					return nil, err
				}
				list[i] = cv
			}
		}
		return list, nil
	case Dict:
		switch x := v.(type) {
		case map[string]any:
			return x, nil
		case string:
			// k=v,k2=v2 as Ansible accepts for dicts
			d := map[string]any{}
			for _, kv := range strings.Split(x, ",") {
				k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
				if !ok {
					return nil, fmt.Errorf("dictionary requested, could not parse JSON or key=value")
				}
				d[k] = val
			}
			return d, nil
		}
		return nil, fmt.Errorf("not a dict")
	}
	return v, nil
}

// ToBool converts a value as Ansible's boolean(): yes/no, true/false,
// on/off, 1/0, y/n, t/f (any case).
func ToBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case float64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "yes", "on", "1", "true", "y", "t", "1.0":
			return true, nil
		case "no", "off", "0", "false", "n", "f", "0.0", "":
			return false, nil
		}
	}
	return false, fmt.Errorf("The value '%v' is not a valid boolean", v)
}
