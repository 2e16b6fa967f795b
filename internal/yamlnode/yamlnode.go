// Package yamlnode holds the helpers the YAML readers of remotectl
// (inventories, check files, playbooks) share: parsing one document, naming
// node kinds and positions in messages, rewording yaml.v3 syntax errors, a
// positioned error with a hint, an error-collecting node decoder, and
// did-you-mean suggestions. Wording that belongs to one kind of file stays in
// its package; this one only holds what they say alike.
package yamlnode

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Short tags of the YAML core schema, as yaml.Node.ShortTag returns them.
const (
	TagStr   = "!!str"
	TagInt   = "!!int"
	TagFloat = "!!float"
	TagBool  = "!!bool"
	TagNull  = "!!null"
	TagMerge = "!!merge"
)

// IsNull reports whether n is an empty value: nil, or a null scalar ("key:"
// with nothing after it, "~" or "null").
func IsNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == TagNull)
}

// Position returns where n is in file as "file:line:col".
func Position(file string, n *yaml.Node) string {
	return fmt.Sprintf("%s:%d:%d", file, n.Line, n.Column)
}

// Describe names the YAML type of n for "must be X, not Y" messages: "a
// mapping", "a list", "empty", "a boolean (yes)", "a number (3)" or "the
// string \"x\"".
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case TagNull:
			return "empty"
		case TagBool:
			return "a boolean (" + n.Value + ")"
		case TagInt, TagFloat:
			return "a number (" + n.Value + ")"
		}
		return fmt.Sprintf("the string %q", n.Value)
	}
	return "an alias"
}
