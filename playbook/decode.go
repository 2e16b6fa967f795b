package playbook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// YAML short tags.
const (
	tagStr   = "!!str"
	tagInt   = "!!int"
	tagFloat = "!!float"
	tagBool  = "!!bool"
	tagNull  = "!!null"
)

// decoder reads YAML nodes into typed values, collecting every error with
// its position rather than stopping at the first.
type decoder struct {
	file string
	errs []error
	// budget is how many more nodes may be visited: aliases can make a small
	// document expand enormously ("billion laughs").
	budget int
}

func newDecoder(file string, size int) *decoder {
	return &decoder{file: file, budget: 100*size + 10_000}
}

func (d *decoder) pos(n *yaml.Node) string {
	return fmt.Sprintf("%s:%d:%d", d.file, n.Line, n.Column)
}

// errorf records an error at n; hint may be empty.
func (d *decoder) errorf(n *yaml.Node, hint, format string, args ...any) {
	d.errs = append(d.errs, &ParseError{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// err returns every recorded error, joined, or nil.
func (d *decoder) err() error { return errors.Join(d.errs...) }

// resolve follows aliases and charges the visit to the budget; nil means
// the alias cannot be used (the error is recorded).
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	ref := n
	for hops := 0; n.Kind == yaml.AliasNode; hops++ {
		if n.Alias == nil || hops > 100 {
			d.errorf(ref, "", "alias *%s cannot be resolved", ref.Value)
			return nil
		}
		n = n.Alias
	}
	d.budget--
	if d.budget == 0 {
		d.errorf(ref, "use fewer aliases", "the document expands to too many nodes")
	}
	if d.budget <= 0 {
		return nil
	}
	return n
}

// isNull reports whether n is an empty value ("key:" with nothing after it).
func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull }

// mapping returns the key/value pairs of a mapping node, or records an error.
func (d *decoder) mapping(n *yaml.Node, what string) [][2]*yaml.Node {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "", "%s must be a mapping, not %s", what, describe(n))
		return nil
	}
	pairs := make([][2]*yaml.Node, 0, len(n.Content)/2)
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), d.resolve(n.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "", "a key of %s must be a string, not %s", what, describe(k))
			continue
		}
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			d.errorf(k, "write the keys out", "merge keys (<<) are not supported in playbooks")
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			d.errorf(k, "", "%q appears twice in %s (first at line %d); the second would replace the first",
				k.Value, what, prev.Line)
			continue
		}
		seen[k.Value] = k
		pairs = append(pairs, [2]*yaml.Node{k, v})
	}
	return pairs
}

// sequence returns the items of a list node, or records an error.
func (d *decoder) sequence(n *yaml.Node, what string) []*yaml.Node {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "", "%s must be a list, not %s", what, describe(n))
		return nil
	}
	items := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		if c = d.resolve(c); c != nil {
			items = append(items, c)
		}
	}
	return items
}

// describe names the YAML type of n for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case tagNull:
			return "empty"
		case tagBool:
			return "a boolean (" + n.Value + ")"
		case tagInt, tagFloat:
			return "a number (" + n.Value + ")"
		}
		return fmt.Sprintf("the string %q", n.Value)
	}
	return "an alias"
}

// str reads a scalar as a string (numbers and booleans keep their text).
func (d *decoder) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, "", "%s must be a string, not %s", what, describe(n))
		return ""
	}
	return n.Value
}

// boolean reads a YAML boolean (true/false, yes/no are YAML 1.1 and refused
// by yaml.v3 as booleans, so they are accepted here explicitly).
func (d *decoder) boolean(n *yaml.Node, what string) bool {
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on":
			return true
		case "false", "no", "off":
			return false
		}
	}
	d.errorf(n, "write true or false", "%s must be a boolean, not %s", what, describe(n))
	return false
}

// integer reads a non-negative integer.
func (d *decoder) integer(n *yaml.Node, what string) int {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == tagInt {
		if v, err := strconv.Atoi(n.Value); err == nil && v >= 0 {
			return v
		}
	}
	d.errorf(n, "", "%s must be a whole number of at least 0, not %s", what, describe(n))
	return 0
}

// duration reads a duration: a Go duration ("30s", "2m") or a number of
// seconds, as Ansible writes them.
func (d *decoder) duration(n *yaml.Node, what string) time.Duration {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		if secs, err := strconv.ParseFloat(n.Value, 64); err == nil && secs >= 0 && n.ShortTag() != tagStr {
			return time.Duration(secs * float64(time.Second))
		}
		if v, err := time.ParseDuration(n.Value); err == nil && v >= 0 {
			return v
		}
	}
	d.errorf(n, "a number of seconds (30) or a duration (30s, 2m)", "%s must be a duration, not %s", what, describe(n))
	return 0
}

// strList reads a list of strings, or one string as a list of one.
func (d *decoder) strList(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return []string{n.Value}
	}
	var out []string
	for _, item := range d.sequence(n, what) {
		if s := d.str(item, what+" item"); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// value decodes any node into plain Go data: map[string]any, []any, string,
// int, float64, bool or nil.
func (d *decoder) value(n *yaml.Node) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for _, kv := range d.mapping(n, "a mapping") {
			m[kv[0].Value] = d.value(kv[1])
		}
		return m
	case yaml.SequenceNode:
		items := d.sequence(n, "a list")
		l := make([]any, 0, len(items))
		for _, item := range items {
			l = append(l, d.value(item))
		}
		return l
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			d.errorf(n, "", "cannot read the value: %v", err)
			return nil
		}
		return v
	}
	return nil
}

// parseDocument parses one YAML document into its root node; nil means the
// document is empty.
func parseDocument(file string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlSyntaxError(file, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlSyntaxError(file, err)
	case len(next.Content) > 0:
		return nil, &ParseError{Pos: fmt.Sprintf("%s:%d:%d", file, next.Line, next.Column),
			Msg: "a second YAML document starts here", Hint: "a playbook is one document: a list of plays"}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, nil
	}
	return doc.Content[0], nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntaxError turns a yaml.v3 error into a *ParseError with the line.
// yaml.v3 reports some parser errors one line early (0-based).
func yamlSyntaxError(file string, err error) *ParseError {
	msg, line := strings.TrimPrefix(err.Error(), "yaml: "), 1
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if strings.HasPrefix(msg, "did not find expected") {
			line++
			msg += " (in the block that starts on this line)"
		}
	}
	hint := "check the indentation and quoting around this line"
	if strings.Contains(msg, "found character that cannot start any token") || strings.Contains(msg, "mapping values are not allowed") {
		hint = `quote values that start with { (templates: "{{ .port }}") or contain ": "`
	}
	return &ParseError{Pos: fmt.Sprintf("%s:%d", file, line), Msg: "invalid YAML: " + msg, Hint: hint}
}
