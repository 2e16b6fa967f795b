package checks

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
	// deferred holds the scalars that contain templates: their type is only
	// known per host, so Parse accepts them and Suite.For checks them.
	deferred map[*yaml.Node]bool
	// rendering is set while Suite.For decodes a rendered check: values that
	// came from variables are data, never templates.
	rendering bool
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

// isDeferred reports whether n is a templated scalar Parse cannot type yet.
func (d *decoder) isDeferred(n *yaml.Node) bool { return d.deferred[n] }

// mapping returns the key/value pairs of a mapping node, or records an error.
func (d *decoder) mapping(n *yaml.Node, what string) [][2]*yaml.Node {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull {
		return nil // "name:" with nothing after it is an empty mapping
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
			d.errorf(k, "write the keys out", "merge keys (<<) are not supported in check files")
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

// str reads a scalar as a string: any scalar's text is accepted, as goss
// does for names and paths (`name: 1234` is the string "1234").
func (d *decoder) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == tagNull {
		d.errorf(n, "", "%s must be a string, not %s", what, describe(n))
		return ""
	}
	return n.Value
}

// boolean reads true or false.
func (d *decoder) boolean(n *yaml.Node, what string) bool {
	if d.isDeferred(n) {
		return false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != tagBool {
		d.errorf(n, "", "%s must be true or false, not %s", what, describe(n))
		return false
	}
	b, _ := strconv.ParseBool(strings.ToLower(n.Value))
	return b
}

// duration reads a timeout: an integer is milliseconds (goss), a string is a
// Go duration ("5s", "1m30s").
func (d *decoder) duration(n *yaml.Node, what string) time.Duration {
	if d.isDeferred(n) {
		return 0
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == tagInt {
		ms, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil || ms < 0 || ms > int64(24*time.Hour/time.Millisecond) {
			d.errorf(n, "write milliseconds between 0 and 86400000, or a duration such as 30s", "%s %s is out of range", what, n.Value)
			return 0
		}
		return time.Duration(ms) * time.Millisecond
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == tagStr {
		dur, err := time.ParseDuration(n.Value)
		if err != nil || dur < 0 {
			d.errorf(n, "write milliseconds (5000) or a duration with a unit (5s, 1m)", "%s %q is not a duration", what, n.Value)
			return 0
		}
		return dur
	}
	d.errorf(n, "write milliseconds (5000) or a duration with a unit (5s, 1m)", "%s must be a duration, not %s", what, describe(n))
	return 0
}

// strList reads a list of strings; a single string is a list of one.
func (d *decoder) strList(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode {
		return []string{d.str(n, what)}
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "", "%s must be a list of strings, not %s", what, describe(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, item := range n.Content {
		if item = d.resolve(item); item != nil {
			out = append(out, d.str(item, what+" item"))
		}
	}
	return out
}

// matcher reads the expectation for a property whose observed values are of
// the given kind, checking that the two fit together.
func (d *decoder) matcher(n *yaml.Node, kind valueKind, prop string) *Matcher {
	m := d.matcherNode(n, kind, prop)
	if m != nil {
		m.Text = flowYAML(n)
	}
	return m
}

func (d *decoder) matcherNode(n *yaml.Node, kind valueKind, prop string) *Matcher {
	if n = d.resolve(n); n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return d.scalarMatcher(n, kind, prop)
	case yaml.SequenceNode:
		return d.listMatcher(n, kind, prop)
	case yaml.MappingNode:
		return d.opMatcher(n, kind, prop)
	}
	d.errorf(n, "", "%s: unexpected %s", prop, describe(n))
	return nil
}

// literal reads a scalar as a literal.
func literal(n *yaml.Node) Literal {
	switch n.ShortTag() {
	case tagBool:
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		return Literal{Kind: LitBool, Text: n.Value, Bool: b}
	case tagInt, tagFloat:
		if f, ok := numberLiteral(n.Value); ok {
			return Literal{Kind: LitNumber, Text: n.Value, Num: f}
		}
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil { // 0x1F, 0o17
			return Literal{Kind: LitNumber, Text: n.Value, Num: float64(i)}
		}
	}
	return Literal{Kind: LitString, Text: n.Value}
}

// scalarMatcher reads a literal: equality.
func (d *decoder) scalarMatcher(n *yaml.Node, kind valueKind, prop string) *Matcher {
	m := &Matcher{Op: OpEqual, Value: literal(n)}
	if d.isDeferred(n) {
		return m
	}
	switch {
	case n.ShortTag() == tagNull:
		d.errorf(n, "write the expected value after the colon", "%s has no value", prop)
	case kind == kindBool && m.Value.Kind != LitBool:
		d.errorf(n, "write true or false", "%s must be %s, not %s", prop, kind, describe(n))
	case kind == kindInt && m.Value.Kind == LitBool:
		d.errorf(n, "", "%s must be %s, not %s", prop, kind, describe(n))
	case kind == kindList:
		d.errorf(n, fmt.Sprintf("write a list: %s: [%s]", prop, n.Value),
			"%s is a list; a single value cannot be compared with it", prop)
	default:
		return m
	}
	return nil
}

// listMatcher reads a plain list: "contains all of these" for lists, goss's
// line patterns for text.
func (d *decoder) listMatcher(n *yaml.Node, kind valueKind, prop string) *Matcher {
	switch kind {
	case kindList:
		return &Matcher{Op: OpContainElements, Args: d.elementMatchers(n, prop)}
	case kindText:
		args := make([]*Matcher, 0, len(n.Content))
		for _, item := range n.Content {
			if item = d.resolve(item); item == nil {
				continue
			}
			if item.Kind != yaml.ScalarNode {
				// A matcher in the list applies to one line.
				if e := d.matcherNode(item, kindString, prop+" item"); e != nil {
					args = append(args, &Matcher{Op: OpContainElement, Args: []*Matcher{e}})
				}
				continue
			}
			if d.isDeferred(item) {
				continue
			}
			p, err := patternMatcher(item.Value)
			if err != nil {
				d.errorf(item, "check the regular expression between the slashes (Go RE2 syntax)", "%s: bad regular expression: %v", prop, err)
				continue
			}
			args = append(args, p)
		}
		return &Matcher{Op: OpAnd, Args: args}
	}
	d.errorf(n, "", "%s must be %s, not a list", prop, kind)
	return nil
}

// elementMatchers reads a list whose items each match one element.
func (d *decoder) elementMatchers(n *yaml.Node, prop string) []*Matcher {
	args := make([]*Matcher, 0, len(n.Content))
	for _, item := range n.Content {
		if e := d.matcherNode(item, kindString, prop+" item"); e != nil {
			args = append(args, e)
		}
	}
	return args
}

// matcherOps are the names of the matchers with an operand, for did-you-mean.
var matcherOps = []string{
	string(OpEqual), string(OpHavePrefix), string(OpHaveSuffix), string(OpContainSubstring),
	string(OpMatchRegexp), string(OpLT), string(OpLE), string(OpGT), string(OpGE), string(OpHaveLen),
	string(OpContainElement), string(OpContainElements), string(OpConsistOf), string(OpNot), string(OpAnd), string(OpOr),
}

// opMatcher reads a mapping naming one matcher: {gt: 3}, {not: ...}.
func (d *decoder) opMatcher(n *yaml.Node, kind valueKind, prop string) *Matcher {
	pairs := d.mapping(n, prop)
	if len(pairs) != 1 {
		d.errorf(n, "combine matchers with and: [...] or or: [...]", "%s: a matcher is a mapping with exactly one key", prop)
		return nil
	}
	k, v := pairs[0][0], pairs[0][1]
	op := MatchOp(k.Value)
	fits := func(kinds ...valueKind) bool {
		for _, want := range kinds {
			if want == kind {
				return true
			}
		}
		d.errorf(k, "", "%s cannot be used on %s, which is %s", op, prop, kind)
		return false
	}
	switch op {
	case OpEqual:
		if v.Kind == yaml.SequenceNode {
			if !fits(kindList, kindText) {
				return nil
			}
			return &Matcher{Op: OpEqual, Args: d.elementMatchers(v, prop)}
		}
		if v.Kind != yaml.ScalarNode {
			d.errorf(v, "", "%s: equal needs a value or a list, not %s", prop, describe(v))
			return nil
		}
		return d.scalarMatcher(v, kind, prop)
	case OpHavePrefix, OpHaveSuffix, OpContainSubstring:
		if !fits(kindString, kindText, kindInt) {
			return nil
		}
		return &Matcher{Op: op, Value: Literal{Kind: LitString, Text: d.str(v, string(op))}}
	case OpMatchRegexp:
		if !fits(kindString, kindText, kindInt) {
			return nil
		}
		src := d.str(v, string(op))
		if d.isDeferred(v) {
			return &Matcher{Op: op, Regexp: regexp.MustCompile(""), Value: Literal{Kind: LitString, Text: src}}
		}
		re, err := regexp.Compile(src)
		if err != nil {
			d.errorf(v, "Go RE2 syntax: https://golang.org/s/re2syntax", "%s: bad regular expression: %v", prop, err)
			return nil
		}
		return &Matcher{Op: op, Regexp: re, Value: Literal{Kind: LitString, Text: src}}
	case OpLT, OpLE, OpGT, OpGE, OpHaveLen:
		if op == OpHaveLen && !fits(kindString, kindText, kindList) {
			return nil
		}
		if op != OpHaveLen && !fits(kindInt, kindString, kindText) {
			return nil
		}
		lit := literal(v)
		if lit.Kind != LitNumber && !d.isDeferred(v) {
			d.errorf(v, "", "%s: %s needs a number, not %s", prop, op, describe(v))
			return nil
		}
		return &Matcher{Op: op, Value: lit}
	case OpContainElement:
		if !fits(kindList, kindText) {
			return nil
		}
		if e := d.matcherNode(v, kindString, prop+" element"); e != nil {
			return &Matcher{Op: op, Args: []*Matcher{e}}
		}
		return nil
	case OpContainElements, OpConsistOf:
		if !fits(kindList, kindText) {
			return nil
		}
		if v.Kind != yaml.SequenceNode {
			d.errorf(v, "", "%s: %s needs a list, not %s", prop, op, describe(v))
			return nil
		}
		return &Matcher{Op: op, Args: d.elementMatchers(v, prop)}
	case OpNot:
		if inner := d.matcherNode(v, kind, prop); inner != nil {
			return &Matcher{Op: op, Args: []*Matcher{inner}}
		}
		return nil
	case OpAnd, OpOr:
		if v.Kind != yaml.SequenceNode {
			d.errorf(v, "", "%s: %s needs a list of matchers, not %s", prop, op, describe(v))
			return nil
		}
		m := &Matcher{Op: op}
		for _, item := range v.Content {
			if inner := d.matcherNode(item, kind, prop); inner != nil {
				m.Args = append(m.Args, inner)
			}
		}
		return m
	}
	d.errorf(k, didYouMean(k.Value, matcherOps), "%s: unknown matcher %q", prop, k.Value)
	return nil
}

// flowYAML renders a node on one line, in YAML flow style, for reports.
func flowYAML(n *yaml.Node) string {
	var b strings.Builder
	writeFlow(&b, n, 0)
	return b.String()
}

func writeFlow(b *strings.Builder, n *yaml.Node, depth int) {
	if depth > 20 {
		b.WriteString("…")
		return
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias != nil {
			writeFlow(b, n.Alias, depth+1)
		}
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteString(", ")
			}
			writeFlow(b, c, depth+1)
		}
		b.WriteByte(']')
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			writeFlow(b, n.Content[i], depth+1)
			b.WriteString(": ")
			writeFlow(b, n.Content[i+1], depth+1)
		}
		b.WriteByte('}')
	default:
		if n.ShortTag() == tagStr && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			b.WriteString(flowScalar(n.Value))
		} else {
			b.WriteString(n.Value)
		}
	}
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
			Msg: "a second YAML document starts here", Hint: "a check file is one document; remove the --- line or split the file"}
	}
	if len(doc.Content) == 0 || doc.Content[0].ShortTag() == tagNull {
		return nil, nil
	}
	return doc.Content[0], nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntaxError turns a yaml.v3 error into an *Error with the line.
// yaml.v3 reports some parser errors one line early (0-based); those name
// the block the problem is in.
func yamlSyntaxError(file string, err error) *ParseError {
	msg, line := strings.TrimPrefix(err.Error(), "yaml: "), 1
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if strings.HasPrefix(msg, "did not find expected") {
			line++ // yaml.v3 counts these from 0, at the start of the enclosing block
			msg += " (in the block that starts on this line)"
		}
	}
	hint := "check the indentation and quoting around this line"
	if strings.Contains(msg, "found character that cannot start any token") || strings.Contains(msg, "mapping values are not allowed") {
		hint = `quote values that start with { (templates: "{{ .Vars.port }}") or contain ": "`
	}
	return &ParseError{Pos: fmt.Sprintf("%s:%d", file, line), Msg: "invalid YAML: " + msg, Hint: hint}
}
