package checks

import (
	"maps"
	"os"

	"go.yaml.in/yaml/v3"
)

// LoadVars reads template variables as goss's --vars and --vars-inline give
// them: each file (YAML or JSON) merged into the files before it, nested
// mappings key by key, a later non-empty value replacing an earlier one;
// then inline (YAML or JSON text) replaces whole top-level keys.
func LoadVars(files []string, inline string) (map[string]any, error) {
	vars := map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, &ParseError{Pos: f, Msg: "cannot read the vars file: " + unwrapPathError(err)}
		}
		fv, err := parseVars(data)
		if err != nil {
			return nil, &ParseError{Pos: f, Msg: "bad vars file: " + err.Error(), Hint: "a vars file is a YAML or JSON mapping"}
		}
		mergeVars(vars, fv)
	}
	if inline != "" {
		iv, err := parseVars([]byte(inline))
		if err != nil {
			return nil, &ParseError{Pos: "--vars-inline", Msg: err.Error(), Hint: `give a JSON or YAML mapping: --vars-inline '{"port": 8080}'`}
		}
		maps.Copy(vars, iv)
	}
	return vars, nil
}

// parseVars reads a YAML or JSON mapping.
func parseVars(data []byte) (map[string]any, error) {
	var v map[string]any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	if v == nil {
		v = map[string]any{}
	}
	return v, nil
}

// mergeVars merges src into dst as goss's mergo.Merge(WithOverride) does:
// mappings on both sides merge, an empty value never replaces.
func mergeVars(dst, src map[string]any) {
	for k, sv := range src {
		dm, dok := dst[k].(map[string]any)
		sm, sok := sv.(map[string]any)
		switch {
		case dok && sok:
			mergeVars(dm, sm)
		case !isEmptyVar(sv) || dst[k] == nil:
			dst[k] = sv
		}
	}
}

// isEmptyVar is mergo's notion of an empty value, which does not override.
func isEmptyVar(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case bool:
		return !v
	case int:
		return v == 0
	case float64:
		return v == 0
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// MergeVars returns a host's template variables: its inventory variables,
// each replaced whole by the command line's variable of the same name
// (--vars, --vars-inline), as -e wins over the inventory in a play.
func MergeVars(inventory, cmdline map[string]any) map[string]any {
	if len(cmdline) == 0 {
		return inventory
	}
	out := make(map[string]any, len(inventory)+len(cmdline))
	maps.Copy(out, inventory)
	maps.Copy(out, cmdline)
	return out
}
