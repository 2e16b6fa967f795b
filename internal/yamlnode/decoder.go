package yamlnode

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// maxAliasHops bounds a chain of aliases to aliases.
const maxAliasHops = 100

// Decoder reads the nodes of one document, recording every problem with its
// position rather than stopping at the first, so that a user sees all that is
// wrong with a file at once. Packages embed it in their own decoder and add
// the readers whose wording or rules are theirs.
type Decoder struct {
	// File names the document in positions.
	File string
	// Errs are the problems recorded so far. Errorf adds to them; callers
	// may append errors of their own.
	Errs []error

	// ft is the type of the document: its wording and error type.
	ft *FileType
	// budget is how many more nodes may be visited: aliases can make a small
	// document expand enormously ("billion laughs").
	budget int
}

// NewDecoder returns a Decoder for a document of size bytes, read from file,
// of the given type.
func NewDecoder(file string, size int, ft *FileType) *Decoder {
	return &Decoder{File: file, ft: ft, budget: 100*size + 10_000}
}

// Pos returns where n is: "file:line:col".
func (d *Decoder) Pos(n *yaml.Node) string { return Position(d.File, n) }

// Errorf records a problem at n; hint may be empty.
func (d *Decoder) Errorf(n *yaml.Node, hint, format string, args ...any) {
	d.Errs = append(d.Errs, d.ft.wrap(&Error{Pos: d.Pos(n), Msg: fmt.Sprintf(format, args...), Hint: hint}))
}

// Err returns every recorded problem, joined with errors.Join, or nil.
func (d *Decoder) Err() error { return errors.Join(d.Errs...) }

// Resolve follows aliases and charges the visit to the node budget. nil
// means the node cannot be used: the alias is dangling or too deep, or the
// document expands to too many nodes (the problem is recorded once).
func (d *Decoder) Resolve(n *yaml.Node) *yaml.Node {
	ref := n
	for hops := 0; n.Kind == yaml.AliasNode; hops++ {
		if n.Alias == nil || hops > maxAliasHops {
			d.Errorf(ref, "", "alias *%s cannot be resolved", ref.Value)
			return nil
		}
		n = n.Alias
	}
	d.budget--
	if d.budget == 0 {
		d.Errorf(ref, "use fewer aliases", "the document expands to too many nodes")
	}
	if d.budget <= 0 {
		return nil
	}
	return n
}

// Mapping returns the key/value pairs of a mapping node in order, with
// aliases resolved; an empty value is an empty mapping. what names n in
// messages ("a check file", "play"). It records an error for a node that is
// not a mapping, and skips (recording why) keys that are not strings, merge
// keys (<<) and keys that appear twice.
func (d *Decoder) Mapping(n *yaml.Node, what string) [][2]*yaml.Node {
	if IsNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "", "%s must be a mapping, not %s", what, Describe(n))
		return nil
	}
	pairs := make([][2]*yaml.Node, 0, len(n.Content)/2)
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.Resolve(n.Content[i]), d.Resolve(n.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.Errorf(k, "", "a key of %s must be a string, not %s", what, Describe(k))
			continue
		}
		if k.Value == "<<" && k.ShortTag() == TagMerge {
			d.Errorf(k, "write the keys out", "merge keys (<<) are not supported in %s", d.ft.Plural)
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			d.Errorf(k, "", "%q appears twice in %s (first at line %d); the second would replace the first",
				k.Value, what, prev.Line)
			continue
		}
		seen[k.Value] = k
		pairs = append(pairs, [2]*yaml.Node{k, v})
	}
	return pairs
}

// Sequence returns the items of a list node, with aliases resolved; an empty
// value is an empty list. It records an error for a node that is not a list.
func (d *Decoder) Sequence(n *yaml.Node, what string) []*yaml.Node {
	if IsNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, "", "%s must be a list, not %s", what, Describe(n))
		return nil
	}
	items := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		if c = d.Resolve(c); c != nil {
			items = append(items, c)
		}
	}
	return items
}

// Str reads a scalar as a string: any scalar's text is accepted, so numbers
// and booleans keep what was written (`name: 1234` is the string "1234").
// An empty value or a collection is an error.
func (d *Decoder) Str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || IsNull(n) {
		d.Errorf(n, "", "%s must be a string, not %s", what, Describe(n))
		return ""
	}
	return n.Value
}
