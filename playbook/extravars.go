package playbook

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/omap"
)

// ParseExtraVars reads -e values, later ones winning: KEY=VALUE (a string),
// @FILE (a YAML or JSON mapping; relative to dir) or an inline YAML/JSON
// mapping ({"version": "1.2"}).
func ParseExtraVars(values []string, dir string) (map[string]any, error) {
	vars := map[string]any{}
	for _, v := range values {
		switch {
		case strings.HasPrefix(v, "@"):
			path := v[1:]
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			fileVars, err := LoadVarsFile(path)
			if err != nil {
				if IsInvalid(err) {
					return nil, err
				}
				return nil, &ParseError{Pos: "-e " + v, Msg: err.Error(), Hint: "-e @FILE names a YAML or JSON file of variables"}
			}
			for k, val := range fileVars {
				vars[k] = val
			}
		case strings.HasPrefix(strings.TrimSpace(v), "{"):
			m, err := inlineExtraVars(v)
			if err != nil {
				return nil, &ParseError{Pos: "-e", Msg: fmt.Sprintf("%q is not a YAML or JSON mapping: %v", v, err)}
			}
			for k, val := range m.All() {
				vars[k] = val
			}
		default:
			k, val, ok := strings.Cut(v, "=")
			if !ok || !isIdentifier(k) {
				return nil, &ParseError{Pos: "-e", Msg: fmt.Sprintf("%q: want KEY=VALUE, @FILE or a JSON mapping", v),
					Hint: "-e version=1.2 -e @vars.yaml"}
			}
			vars[k] = val
		}
	}
	return vars, nil
}

// inlineExtraVars reads an inline -e mapping as a vars file is read, its
// dicts in the order written.
func inlineExtraVars(v string) (*omap.Map, error) {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(v), &root); err != nil {
		return nil, err
	}
	if len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a mapping")
	}
	d := newDecoder("-e", len(v))
	m, _ := d.value(root.Content[0]).(*omap.Map)
	if err := d.Err(); err != nil {
		return nil, err
	}
	return m, nil
}
