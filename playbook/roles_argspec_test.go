package playbook

import (
	"strings"
	"testing"
)

func TestValidateArgSpecErrors(t *testing.T) {
	spec := map[string]any{
		"count": map[string]any{"type": "int"},
		"mode":  map[string]any{"choices": []any{"a", "b"}},
		"name":  map[string]any{"required": true},
		"items": map[string]any{"type": "list", "elements": "dict", "options": map[string]any{"n": map[string]any{"type": "int", "required": true}}},
	}
	tests := []struct {
		values map[string]any
		want   string // "" for none
	}{
		{map[string]any{"name": "x", "count": "7", "mode": "a", "items": []any{map[string]any{"n": "1"}}}, ""},
		{map[string]any{"name": "x", "count": "seven"}, "argument 'count' is of type string and we were unable to convert to int"},
		{map[string]any{"name": "x", "mode": "c"}, "value of mode must be one of: a, b, got: c"},
		{map[string]any{"count": 1}, "missing required arguments: name"},
		{map[string]any{"name": "x", "other": 1}, "Unsupported parameters for (validate_argument_spec) module: other"},
		{map[string]any{"name": "x", "items": []any{map[string]any{}}}, "missing required arguments: n found in items"},
	}
	for _, tt := range tests {
		errs := strings.Join(validateArgSpec(spec, tt.values, ""), "\n")
		if tt.want == "" && errs != "" || !strings.Contains(errs, tt.want) {
			t.Errorf("validateArgSpec(%v) = %q, want %q", tt.values, errs, tt.want)
		}
	}
}
