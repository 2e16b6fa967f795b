package checks

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/antchfx/xpath"
	"github.com/blang/semver/v4"
	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// checkFile is the wording and error type of check files.
var checkFile = &yamlnode.FileType{
	Plural:          "check files",
	OneDocumentHint: "a check file is one document; remove the --- line or split the file",
	QuoteHint:       `quote values that start with { (templates: "{{ .Vars.port }}") or contain ": "`,
	Wrap:            func(e *yamlnode.Error) error { return (*ParseError)(e) },
}

// decoder reads the YAML nodes of a check file into typed values,
// collecting every error with its position rather than stopping at the first.
type decoder struct {
	*yamlnode.Decoder
	// deferred holds the scalars that contain templates: their type is only
	// known per host, so Parse accepts them and Suite.For checks them.
	deferred map[*yaml.Node]bool
	// rendering is set while Suite.For decodes a rendered check: values that
	// came from variables are data, never templates.
	rendering bool
}

func newDecoder(file string, size int) *decoder {
	return &decoder{Decoder: yamlnode.NewDecoder(file, size, checkFile)}
}

// isDeferred reports whether n is a templated scalar Parse cannot type yet.
func (d *decoder) isDeferred(n *yaml.Node) bool { return d.deferred[n] }

// boolean reads true or false.
func (d *decoder) boolean(n *yaml.Node, what string) bool {
	if d.isDeferred(n) {
		return false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != yamlnode.TagBool {
		d.Errorf(n, "", "%s must be true or false, not %s", what, yamlnode.Describe(n))
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
	if n.Kind == yaml.ScalarNode && n.ShortTag() == yamlnode.TagInt {
		ms, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil || ms < 0 || ms > int64(24*time.Hour/time.Millisecond) {
			d.Errorf(n, "write milliseconds between 0 and 86400000, or a duration such as 30s", "%s %s is out of range", what, n.Value)
			return 0
		}
		return time.Duration(ms) * time.Millisecond
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == yamlnode.TagStr {
		dur, err := time.ParseDuration(n.Value)
		if err != nil || dur < 0 {
			d.Errorf(n, "write milliseconds (5000) or a duration with a unit (5s, 1m)", "%s %q is not a duration", what, n.Value)
			return 0
		}
		return dur
	}
	d.Errorf(n, "write milliseconds (5000) or a duration with a unit (5s, 1m)", "%s must be a duration, not %s", what, yamlnode.Describe(n))
	return 0
}

// count reads a small non-negative integer (retry_count).
func (d *decoder) count(n *yaml.Node, what string) int {
	if d.isDeferred(n) {
		return 0
	}
	i, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != yamlnode.TagInt || err != nil || i < 0 || i > 1000 {
		d.Errorf(n, "write a whole number from 0 to 1000", "%s must be a number of retries, not %s", what, yamlnode.Describe(n))
		return 0
	}
	return i
}

// strList reads a list of strings; a single string is a list of one.
func (d *decoder) strList(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode {
		return []string{d.Str(n, what)}
	}
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, "", "%s must be a list of strings, not %s", what, yamlnode.Describe(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, item := range n.Content {
		if item = d.Resolve(item); item != nil {
			out = append(out, d.Str(item, what+" item"))
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
	if n = d.Resolve(n); n == nil {
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
	d.Errorf(n, "", "%s: unexpected %s", prop, yamlnode.Describe(n))
	return nil
}

// literal reads a scalar as a literal.
func literal(n *yaml.Node) Literal {
	switch n.ShortTag() {
	case yamlnode.TagBool:
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		return Literal{Kind: LitBool, Text: n.Value, Bool: b}
	case yamlnode.TagInt, yamlnode.TagFloat:
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
	case n.ShortTag() == yamlnode.TagNull:
		d.Errorf(n, "write the expected value after the colon", "%s has no value", prop)
	case kind == kindBool && m.Value.Kind != LitBool:
		d.Errorf(n, "write true or false", "%s must be %s, not %s", prop, kind, yamlnode.Describe(n))
	case kind == kindInt && m.Value.Kind == LitBool:
		d.Errorf(n, "", "%s must be %s, not %s", prop, kind, yamlnode.Describe(n))
	default:
		return m
	}
	return nil
}

// listMatcher reads a plain list: "contains all of these" for lists, goss's
// line patterns for text.
func (d *decoder) listMatcher(n *yaml.Node, kind valueKind, prop string) *Matcher {
	switch kind {
	case kindList, kindAny:
		return &Matcher{Op: OpContainElements, Args: d.elementMatchers(n, kind, prop)}
	case kindText:
		args := make([]*Matcher, 0, len(n.Content))
		for _, item := range n.Content {
			if item = d.Resolve(item); item == nil {
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
				d.Errorf(item, "check the regular expression between the slashes (Go RE2 syntax)", "%s: bad regular expression: %v", prop, err)
				continue
			}
			args = append(args, p)
		}
		return &Matcher{Op: OpAnd, Args: args, patterns: true}
	}
	d.Errorf(n, "", "%s must be %s, not a list", prop, kind)
	return nil
}

// elementMatchers reads a list whose items each match one element.
func (d *decoder) elementMatchers(n *yaml.Node, kind valueKind, prop string) []*Matcher {
	args := make([]*Matcher, 0, len(n.Content))
	for _, item := range n.Content {
		if e := d.matcherNode(item, elementKind(kind), prop+" item"); e != nil {
			args = append(args, e)
		}
	}
	return args
}

// elementKind is the kind of a list's elements: strings, or anything in
// matching's content (a list of lists, as goss allows).
func elementKind(kind valueKind) valueKind {
	if kind == kindAny {
		return kindAny
	}
	return kindString
}

// matcherOps are the names of the matchers with an operand, for did-you-mean.
var matcherOps = []string{
	string(OpEqual), string(OpHavePrefix), string(OpHaveSuffix), string(OpContainSubstring),
	string(OpMatchRegexp), string(OpLT), string(OpLE), string(OpGT), string(OpGE), string(OpHaveLen),
	string(OpContainElement), string(OpContainElements), string(OpConsistOf), string(OpNot), string(OpAnd), string(OpOr),
	string(OpSemverConstraint), string(OpHaveKey), string(OpGjson), string(OpHavePatterns), string(OpXML),
}

// opMatcher reads a mapping naming one matcher: {gt: 3}, {not: ...}.
func (d *decoder) opMatcher(n *yaml.Node, kind valueKind, prop string) *Matcher {
	pairs := d.Mapping(n, prop)
	if len(pairs) != 1 {
		d.Errorf(n, "combine matchers with and: [...] or or: [...]", "%s: a matcher is a mapping with exactly one key", prop)
		return nil
	}
	k, v := pairs[0][0], pairs[0][1]
	op := MatchOp(k.Value)
	fits := func(kinds ...valueKind) bool {
		if kind == kindAny {
			return true
		}
		for _, want := range kinds {
			if want == kind {
				return true
			}
		}
		d.Errorf(k, "", "%s cannot be used on %s, which is %s", op, prop, kind)
		return false
	}
	switch op {
	case OpEqual:
		if v.Kind == yaml.SequenceNode {
			if !fits(kindList, kindText) {
				return nil
			}
			return &Matcher{Op: OpEqual, Args: d.elementMatchers(v, kind, prop)}
		}
		if v.Kind == yaml.MappingNode && kind == kindAny {
			var x any
			if err := v.Decode(&x); err != nil {
				d.Errorf(v, "", "%s: equal: %v", prop, err)
				return nil
			}
			m, _ := x.(map[string]any)
			return &Matcher{Op: OpEqual, Value: Literal{Kind: LitString, Text: anyValue(m).s}, mapping: true}
		}
		if v.Kind != yaml.ScalarNode {
			d.Errorf(v, "", "%s: equal needs a value or a list, not %s", prop, yamlnode.Describe(v))
			return nil
		}
		return d.scalarMatcher(v, kind, prop)
	case OpHavePrefix, OpHaveSuffix, OpContainSubstring:
		if !fits(kindString, kindText, kindInt) {
			return nil
		}
		return &Matcher{Op: op, Value: Literal{Kind: LitString, Text: d.Str(v, string(op))}}
	case OpMatchRegexp:
		if !fits(kindString, kindText, kindInt) {
			return nil
		}
		src := d.Str(v, string(op))
		if d.isDeferred(v) {
			return &Matcher{Op: op, Regexp: regexp.MustCompile(""), Value: Literal{Kind: LitString, Text: src}}
		}
		re, err := regexp.Compile(src)
		if err != nil {
			d.Errorf(v, "Go RE2 syntax: https://golang.org/s/re2syntax", "%s: bad regular expression: %v", prop, err)
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
			d.Errorf(v, "", "%s: %s needs a number, not %s", prop, op, yamlnode.Describe(v))
			return nil
		}
		return &Matcher{Op: op, Value: lit}
	case OpContainElement:
		if !fits(kindList, kindText) {
			return nil
		}
		if e := d.matcherNode(v, elementKind(kind), prop+" element"); e != nil {
			return &Matcher{Op: op, Args: []*Matcher{e}}
		}
		return nil
	case OpContainElements, OpConsistOf:
		if !fits(kindList, kindText) {
			return nil
		}
		if v.Kind != yaml.SequenceNode {
			d.Errorf(v, "", "%s: %s needs a list, not %s", prop, op, yamlnode.Describe(v))
			return nil
		}
		return &Matcher{Op: op, Args: d.elementMatchers(v, kind, prop)}
	case OpNot:
		if inner := d.matcherNode(v, kind, prop); inner != nil {
			return &Matcher{Op: op, Args: []*Matcher{inner}}
		}
		return nil
	case OpAnd, OpOr:
		if v.Kind != yaml.SequenceNode {
			d.Errorf(v, "", "%s: %s needs a list of matchers, not %s", prop, op, yamlnode.Describe(v))
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
	if m, known := d.structuredMatcher(op, v, kind, prop, fits); known {
		return m
	}
	d.Errorf(k, yamlnode.DidYouMean(k.Value, matcherOps), "%s: unknown matcher %q", prop, k.Value)
	return nil
}

// structuredMatcher reads goss's matchers for versions, JSON, XML and line
// patterns; known is false for any other name.
func (d *decoder) structuredMatcher(op MatchOp, v *yaml.Node, kind valueKind, prop string, fits func(...valueKind) bool) (m *Matcher, known bool) {
	switch op {
	case OpSemverConstraint:
		if !fits(kindString, kindText, kindList) {
			return nil, true
		}
		src := d.Str(v, string(op))
		m := &Matcher{Op: op, Value: Literal{Kind: LitString, Text: src}}
		if d.isDeferred(v) {
			m.semver = func(semver.Version) bool { return false }
			return m, true
		}
		r, err := semver.ParseRange(src)
		if err != nil {
			d.Errorf(v, `write a range such as ">=1.2.0 <2.0.0"`, "%s: bad semver constraint %q: %v", prop, src, err)
			return nil, true
		}
		m.semver = r
		return m, true
	case OpHaveKey:
		if !fits(kindAny) {
			return nil, true
		}
		if e := d.matcherNode(v, kindString, prop+" key"); e != nil {
			return &Matcher{Op: op, Args: []*Matcher{e}}, true
		}
		return nil, true
	case OpGjson:
		if !fits(kindString, kindText) {
			return nil, true
		}
		m := &Matcher{Op: OpAnd}
		for _, kv := range d.Mapping(v, string(op)) {
			path := d.Str(kv[0], "gjson path")
			if e := d.matcherNode(kv[1], kindAny, prop+" "+path); e != nil {
				m.Args = append(m.Args, &Matcher{Op: op, Value: Literal{Kind: LitString, Text: path}, Args: []*Matcher{e}})
			}
		}
		return m, true
	case OpHavePatterns:
		if !fits(kindString, kindText, kindList) {
			return nil, true
		}
		if v.Kind != yaml.SequenceNode {
			d.Errorf(v, "", "%s: have-patterns needs a list of patterns, not %s", prop, yamlnode.Describe(v))
			return nil, true
		}
		return d.listMatcher(v, kindText, prop), true
	case OpXML:
		if !fits(kindString, kindText) {
			return nil, true
		}
		var path, want *yaml.Node
		for _, kv := range d.Mapping(v, string(op)) {
			switch kv[0].Value {
			case "xpath":
				path = kv[1]
			case "result":
				want = kv[1]
			default:
				d.Errorf(kv[0], "xml takes xpath: and result:", "%s: unknown xml key %q", prop, kv[0].Value)
			}
		}
		if path == nil || want == nil {
			d.Errorf(v, "write xml: {xpath: EXPR, result: VALUE}", "%s: xml needs xpath and result", prop)
			return nil, true
		}
		expr := d.Str(path, "xpath")
		if _, err := xpath.Compile(expr); err != nil && !d.isDeferred(path) {
			d.Errorf(path, "", "%s: bad XPath %q: %v", prop, expr, err)
			return nil, true
		}
		res := &Matcher{Op: OpEqual, Value: Literal{Kind: LitString, Text: want.Value}}
		return &Matcher{Op: op, Value: Literal{Kind: LitString, Text: expr}, Args: []*Matcher{res}}, true
	}
	return nil, false
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
		if n.ShortTag() == yamlnode.TagStr && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			b.WriteString(flowScalar(n.Value))
		} else {
			b.WriteString(n.Value)
		}
	}
}
