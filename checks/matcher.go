package checks

import (
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/antchfx/xmlquery"
	"github.com/antchfx/xpath"
	"github.com/blang/semver/v4"
	"github.com/tidwall/gjson"
)

// MatchOp is a matcher's operation, named as in goss.
type MatchOp string

// Matcher operations. A literal in a check file is OpEqual; a plain list is
// OpContainElements for list properties and goss's line patterns ("foo",
// "!foo", "/re/", "!/re/") for text properties (command output, file
// contents, HTTP bodies), expanded into OpAnd of element matchers.
const (
	OpEqual            MatchOp = "equal"             // Value, or Args in order (lists)
	OpHavePrefix       MatchOp = "have-prefix"       // Value
	OpHaveSuffix       MatchOp = "have-suffix"       // Value
	OpContainSubstring MatchOp = "contain-substring" // Value
	OpMatchRegexp      MatchOp = "match-regexp"      // Regexp
	OpLT               MatchOp = "lt"                // Value (number)
	OpLE               MatchOp = "le"
	OpGT               MatchOp = "gt"
	OpGE               MatchOp = "ge"
	OpHaveLen          MatchOp = "have-len"         // Value (number)
	OpContainElement   MatchOp = "contain-element"  // Args[0] matches some element
	OpContainElements  MatchOp = "contain-elements" // each of Args matches some element
	OpConsistOf        MatchOp = "consist-of"       // Args match the elements one to one, in any order
	OpNot              MatchOp = "not"              // Args[0]
	OpAnd              MatchOp = "and"              // Args
	OpOr               MatchOp = "or"               // Args
	// goss's matchers for structured and versioned values.
	OpSemverConstraint MatchOp = "semver-constraint" // Value: a range every version must satisfy
	OpHaveKey          MatchOp = "have-key"          // Args[0] matches some key of a map
	OpGjson            MatchOp = "gjson"             // Value: a gjson path; Args[0] matches what it selects
	OpHavePatterns     MatchOp = "have-patterns"     // Args: goss's line patterns, expanded
	OpXML              MatchOp = "xml"               // Value: an XPath; Args[0].Value the expected result
)

// Matcher is an expectation on one property, as written in a check file.
type Matcher struct {
	Op     MatchOp
	Value  Literal        // operand of scalar operations
	Regexp *regexp.Regexp // OpMatchRegexp
	Args   []*Matcher     // operands of list and logical operations
	Text   string         // the expectation as written, in flow style, for reports

	semver semver.Range // OpSemverConstraint
	// patterns: a plain list of goss's line patterns on a text (an OpAnd
	// of them), which goss reads so only as a property's whole expectation.
	patterns bool
	// invalid is why the expectation could not be read ("file:line:col:
	// what; hint: ..."): the property is an error, the rest of the file
	// runs.
	invalid string
	// mapping: OpEqual with a mapping, Value.Text its canonical JSON,
	// compared with a map value's (goss's deep equality).
	mapping bool
}

// LiteralKind is the YAML type of a literal.
type LiteralKind uint8

const (
	LitString LiteralKind = iota + 1
	LitNumber
	LitBool
)

// Literal is a scalar from a check file. Text is always the value as
// written; Num and Bool are set for numbers and booleans.
type Literal struct {
	Kind LiteralKind
	Text string
	Num  float64
	Bool bool
}

// valueKind is the type of a property's observed value.
type valueKind uint8

const (
	kindBool   valueKind = iota + 1
	kindInt              // a number
	kindString           // one string
	kindList             // a list of strings
	kindText             // output read line by line (goss's io.Reader)
	kindAny              // any YAML or JSON value (matching's content, what gjson selects)
)

func (k valueKind) String() string {
	switch k {
	case kindBool:
		return "a boolean (true or false)"
	case kindInt:
		return "a number"
	case kindString:
		return "a string"
	case kindList:
		return "a list"
	case kindAny:
		return "any value"
	}
	return "text"
}

// value is an observed property value.
type value struct {
	kind  valueKind
	b     bool
	n     int64
	s     string   // kindString, or the whole of kindText, or a map's JSON
	list  []string // kindList, or a map's keys
	isMap bool     // a map (matching's content, a JSON object): list holds its keys
	// items are a list's elements as values when they are structured
	// (matching's content, a JSON array): element matchers see a map
	// element as a map (have-key, gjson), not as its text.
	items []value
	// A text matched line by line as it came (see lineScan): s is its
	// head, more the bytes after it, seen the element matchers some line
	// matched.
	more int
	seen map[*Matcher]bool
}

func boolValue(b bool) value      { return value{kind: kindBool, b: b} }
func intValue(n int64) value      { return value{kind: kindInt, n: n} }
func stringValue(s string) value  { return value{kind: kindString, s: s} }
func listValue(l []string) value  { return value{kind: kindList, list: l} }
func textValue(s string) value    { return value{kind: kindText, s: s} }
func elementValue(s string) value { return stringValue(s) }

// anyValue converts a decoded YAML or JSON value: a map is its keys (for
// have-key) and its JSON, a list its elements as text, a scalar itself.
func anyValue(x any) value {
	switch t := x.(type) {
	case bool:
		return boolValue(t)
	case nil:
		return stringValue("")
	case string:
		return stringValue(t)
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b, _ := json.Marshal(t)
		return value{kind: kindAny, isMap: true, list: keys, s: string(b)}
	case []any:
		items := make([]value, len(t))
		elems := make([]string, len(t))
		for i, e := range t {
			items[i] = anyValue(e)
			elems[i] = items[i].text()
		}
		v := listValue(elems)
		v.items = items
		return v
	}
	return stringValue(fmt.Sprint(x))
}

// lines splits text into lines without their line ends; a final line end
// does not start another line.
func lines(s string) []string {
	return slices.Collect(eachLine(s))
}

// eachLine yields the lines of s as lines splits them, without keeping
// them: matching a pattern against a large output allocates nothing.
func eachLine(s string) iter.Seq[string] {
	return func(yield func(string) bool) {
		if s == "" {
			return
		}
		for l := range strings.SplitSeq(strings.TrimSuffix(s, "\n"), "\n") {
			if !yield(strings.TrimSuffix(l, "\r")) {
				return
			}
		}
	}
}

// maxActual is how much of a text value a result shows.
const maxActual = 1024

// String renders the value for a report's "actual" column.
func (v value) String() string {
	switch v.kind {
	case kindBool:
		return strconv.FormatBool(v.b)
	case kindInt:
		return strconv.FormatInt(v.n, 10)
	case kindList:
		return formatList(v.list)
	case kindText:
		if len(v.s) > maxActual {
			cut := maxActual
			for cut > 0 && !utf8.RuneStart(v.s[cut]) {
				cut--
			}
			return v.s[:cut] + "… (" + strconv.Itoa(len(v.s)+v.more-cut) + " more bytes)"
		}
		return strings.TrimSuffix(v.s, "\n")
	}
	return v.s
}

// formatList renders a list in YAML flow style.
func formatList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = flowScalar(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// flowScalar quotes s when YAML flow style needs it.
func flowScalar(s string) string {
	if s == "" || strings.ContainsAny(s, ",[]{}:#'\"\n\t&*!|>%@`") || strings.TrimSpace(s) != s {
		return strconv.Quote(s)
	}
	return s
}

// text is the value as a string, for string operations: a number in
// decimal, a boolean as true/false, text as a whole.
func (v value) text() string {
	switch v.kind {
	case kindBool:
		return strconv.FormatBool(v.b)
	case kindInt:
		return strconv.FormatInt(v.n, 10)
	}
	return v.s
}

// number is the value as a number, for numeric comparisons.
func (v value) number() (float64, bool) {
	if v.kind == kindInt {
		return float64(v.n), true
	}
	if v.kind == kindString || v.kind == kindText {
		f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
		return f, err == nil
	}
	return 0, false
}

// elements is the value as a list, for element matchers: a string or a
// text is its lines, as goss's to-array transform splits it; a structured
// list its items.
func (v value) elements() iter.Seq[value] {
	if v.items != nil {
		return slices.Values(v.items)
	}
	strs := slices.Values(v.list)
	if v.kind == kindString || v.kind == kindText {
		strs = eachLine(v.s)
	}
	return func(yield func(value) bool) {
		for s := range strs {
			if !yield(elementValue(s)) {
				return
			}
		}
	}
}

// elementList is elements as a slice, for the matchers that pair elements
// up (equal with a list, consist-of).
func (v value) elementList() []value {
	if v.items != nil {
		return v.items
	}
	strs := v.list
	if v.kind == kindText {
		strs = lines(v.s)
	}
	out := make([]value, len(strs))
	for i, s := range strs {
		out[i] = elementValue(s)
	}
	return out
}

// matches reports whether v satisfies m.
func (m *Matcher) matches(v value) bool {
	switch m.Op {
	case OpEqual:
		if m.mapping {
			return v.isMap && v.s == m.Value.Text
		}
		if m.Args != nil {
			return equalList(m.Args, v.elementList())
		}
		return equalLiteral(m.Value, v)
	case OpHavePrefix:
		return strings.HasPrefix(v.text(), m.Value.Text)
	case OpHaveSuffix:
		return strings.HasSuffix(v.text(), m.Value.Text)
	case OpContainSubstring:
		return strings.Contains(v.text(), m.Value.Text)
	case OpMatchRegexp:
		return m.Regexp.MatchString(v.text())
	case OpLT, OpLE, OpGT, OpGE:
		n, ok := v.number()
		return ok && compare(m.Op, n, m.Value.Num)
	case OpHaveLen:
		if v.kind == kindList {
			return float64(len(v.list)) == m.Value.Num
		}
		return float64(utf8.RuneCountInString(v.text())) == m.Value.Num
	case OpContainElement:
		if v.seen != nil {
			return v.seen[m.Args[0]]
		}
		return containElement(m.Args[0], v.elements())
	case OpContainElements:
		for _, a := range m.Args {
			if v.seen != nil && !v.seen[a] || v.seen == nil && !containElement(a, v.elements()) {
				return false
			}
		}
		return true
	case OpConsistOf:
		return consistOf(m.Args, v.elementList())
	case OpNot:
		return !m.Args[0].matches(v)
	case OpAnd:
		for _, a := range m.Args {
			if !a.matches(v) {
				return false
			}
		}
		return true
	case OpOr:
		for _, a := range m.Args {
			if a.matches(v) {
				return true
			}
		}
		return false
	case OpSemverConstraint:
		return semverMatches(m.semver, v)
	case OpHaveKey:
		return v.isMap && containElement(m.Args[0], listValue(v.list).elements())
	case OpGjson:
		sel, ok := gjsonSelect(v, m.Value.Text)
		return ok && m.Args[0].matches(sel)
	case OpXML:
		return xpathMatches(v.text(), m.Value.Text, m.Args[0].Value.Text)
	}
	return false
}

// gossError returns why goss's binary cannot evaluate m on v, which it
// reports as an error of the property rather than a failure, or "": a
// gjson path on a text that is not JSON or in which it selects nothing,
// and, when single values have no elements (matching's content without
// as-reader), an element matcher (a plain list, contain-element,
// contain-elements, consist-of) on a single value. Only what applies to v
// itself is looked at: the matcher and its not, and, or operands.
func (m *Matcher) gossError(v value, singleHasNoElements bool) string {
	return m.gossErrorAt(v, singleHasNoElements, true)
}

// gossErrorAt is gossError of m, the property's whole expectation when top.
// A list of line patterns under not, and, or is, for goss, a
// contain-elements on the text as one string: an error too.
func (m *Matcher) gossErrorAt(v value, singleHasNoElements, top bool) string {
	if m.patterns && !top {
		return "a list under not, and or or is not line patterns in goss: it is contain-elements on the whole text, " +
			"which goss cannot evaluate (ContainElements matcher expects an array/slice/map); write the patterns as the property's list"
	}
	switch m.Op {
	case OpNot, OpAnd, OpOr:
		if m.patterns {
			return ""
		}
		for _, a := range m.Args {
			if msg := a.gossErrorAt(v, singleHasNoElements, false); msg != "" {
				return msg
			}
		}
	case OpContainElement, OpContainElements, OpConsistOf:
		if singleHasNoElements && v.kind != kindList && !v.isMap && v.items == nil {
			return fmt.Sprintf("%s expects a list or a map, not the single value %q (goss: ContainElements matcher expects an array/slice/map)",
				m.Op, v.text())
		}
	case OpGjson:
		if v.isMap || v.kind == kindList || v.kind == kindBool {
			return "gjson reads JSON text, not " + v.String()
		}
		if !gjson.Valid(v.text()) {
			return fmt.Sprintf("gjson %q: invalid JSON", m.Value.Text)
		}
		if !gjson.Get(v.text(), m.Value.Text).Exists() {
			return fmt.Sprintf("gjson: path not found: %s", m.Value.Text)
		}
	}
	return ""
}

// semverMatches reports whether every version in v (one string, or a list)
// satisfies r, as goss does: versions are strict semver, and a value
// that is not one, or an empty list, does not match.
func semverMatches(r semver.Range, v value) bool {
	versions := v.list
	if v.kind != kindList {
		versions = []string{v.text()}
	}
	if len(versions) == 0 {
		return false
	}
	for _, s := range versions {
		ver, err := semver.Parse(s)
		if err != nil || !r(ver) {
			return false
		}
	}
	return true
}

// gjsonSelect applies a gjson path to a JSON text, as goss's gjson
// transform does: invalid JSON or a path that selects nothing matches
// nothing.
func gjsonSelect(v value, path string) (value, bool) {
	if v.isMap || v.kind == kindList || v.kind == kindBool {
		return value{}, false // goss's gjson reads strings only
	}
	s := v.text()
	if !gjson.Valid(s) {
		return value{}, false
	}
	r := gjson.Get(s, path)
	if !r.Exists() {
		return value{}, false
	}
	return jsonValue(r), true
}

// jsonValue converts what gjson selected: objects become maps (their keys,
// for have-key, and their JSON, for gjson), arrays lists of their elements.
func jsonValue(r gjson.Result) value {
	switch {
	case r.IsObject():
		m, _ := r.Value().(map[string]any)
		return anyValue(m)
	case r.IsArray():
		var elems []string
		var items []value
		for _, e := range r.Array() {
			elems = append(elems, e.String())
			items = append(items, jsonValue(e))
		}
		v := listValue(elems)
		v.items = items
		return v
	case r.Type == gjson.True || r.Type == gjson.False:
		return boolValue(r.Bool())
	}
	return stringValue(r.String())
}

// xpathMatches evaluates an XPath on an XML text as goss's xml matcher
// does: a node set with an empty expected result matches when it is not
// empty; otherwise the nodes' XML (or the number, boolean or string the
// expression yields) must equal the expected result.
func xpathMatches(doc, path, want string) bool {
	root, err := xmlquery.Parse(strings.NewReader(doc))
	if err != nil {
		return false
	}
	expr, err := xpath.Compile(path)
	if err != nil {
		return false
	}
	var got string
	switch r := expr.Evaluate(xmlquery.CreateXPathNavigator(root)).(type) {
	case *xpath.NodeIterator:
		nodes := xmlquery.QuerySelectorAll(root, expr)
		if strings.TrimSpace(want) == "" {
			return len(nodes) > 0
		}
		var b strings.Builder
		for _, n := range nodes {
			b.WriteString(n.OutputXMLWithOptions(xmlquery.WithEmptyTagSupport(), xmlquery.WithOutputSelf()))
		}
		got = b.String()
	case float64:
		got = strconv.FormatFloat(r, 'G', -1, 64)
	case bool:
		got = strconv.FormatBool(r)
	case string:
		got = r
	default:
		return false
	}
	return got == want
}

// equalLiteral compares a literal with a scalar value as goss does: booleans
// by value, numbers numerically, and anything else by its text, so that
// `mode: 0644` and `value: 1` compare with the strings the host reports.
func equalLiteral(lit Literal, v value) bool {
	switch v.kind {
	case kindBool:
		return lit.Kind == LitBool && lit.Bool == v.b
	case kindList:
		// goss compares a single value with the list's elements joined by
		// line ends (its to-string transform): groups: root is [root].
		if lit.Kind == LitNumber && len(v.list) == 1 {
			n, err := strconv.ParseFloat(strings.TrimSpace(v.list[0]), 64)
			return err == nil && n == lit.Num
		}
		return lit.Text == strings.Join(v.list, "\n")
	case kindText:
		// goss compares the whole output, line ends included: stdout: hello
		// does not match "hello\n" (a number compares numerically).
		if lit.Kind == LitNumber {
			n, ok := v.number()
			return ok && n == lit.Num
		}
		return lit.Text == v.s
	}
	if lit.Text == v.text() {
		return true
	}
	if lit.Kind == LitNumber {
		n, ok := v.number()
		return ok && n == lit.Num
	}
	return false
}

func compare(op MatchOp, a, b float64) bool {
	switch op {
	case OpLT:
		return a < b
	case OpLE:
		return a <= b
	case OpGT:
		return a > b
	}
	return a >= b
}

func containElement(m *Matcher, elems iter.Seq[value]) bool {
	for e := range elems {
		if m.matches(e) {
			return true
		}
	}
	return false
}

func equalList(want []*Matcher, got []value) bool {
	if len(want) != len(got) {
		return false
	}
	for i, m := range want {
		if !m.matches(got[i]) {
			return false
		}
	}
	return true
}

// consistOf reports whether the matchers and the elements pair up one to
// one (a perfect bipartite matching, found with augmenting paths).
func consistOf(want []*Matcher, got []value) bool {
	if len(want) != len(got) {
		return false
	}
	owner := make([]int, len(got)) // matcher paired with each element, -1 when none
	for i := range owner {
		owner[i] = -1
	}
	var try func(m int, seen []bool) bool
	try = func(m int, seen []bool) bool {
		for e := range got {
			if seen[e] || !want[m].matches(got[e]) {
				continue
			}
			seen[e] = true
			if owner[e] < 0 || try(owner[e], seen) {
				owner[e] = m
				return true
			}
		}
		return false
	}
	for m := range want {
		if !try(m, make([]bool, len(got))) {
			return false
		}
	}
	return true
}

// patternMatcher turns one of goss's line patterns into a matcher on lines,
// as goss's have-patterns does: "foo" some line contains foo, "!foo" no
// line does, "/re/" (with flags i, m, s after the closing slash: "/re/i")
// some line matches re, "!/re/" none does. A string pattern loses every
// leading \, / and ! ("\!foo" looks for "foo"), and the empty pattern
// always matches, even no output at all.
func patternMatcher(p string) (*Matcher, error) {
	negate := strings.HasPrefix(p, "!")
	var elem *Matcher
	if isRegexPattern(p) {
		src := strings.TrimPrefix(p, "!")[1:]
		cut := strings.LastIndex(src, "/")
		if flags := src[cut+1:]; flags != "" {
			src = "(?" + flags + ")" + src[:cut]
		} else {
			src = src[:cut]
		}
		re, err := regexp.Compile(src)
		if err != nil {
			return nil, err
		}
		elem = &Matcher{Op: OpMatchRegexp, Regexp: re, Value: Literal{Kind: LitString, Text: src}}
	} else {
		if p == "" {
			return &Matcher{Op: OpAnd}, nil
		}
		elem = &Matcher{Op: OpContainSubstring, Value: Literal{Kind: LitString, Text: strings.TrimLeft(p, `\/!`)}}
	}
	m := &Matcher{Op: OpContainElement, Args: []*Matcher{elem}}
	if negate {
		m = &Matcher{Op: OpNot, Args: []*Matcher{m}}
	}
	return m, nil
}

// isRegexPattern reports whether a line pattern is a regular expression:
// "/re/" or "/re/flags", maybe after a "!".
func isRegexPattern(p string) bool {
	core := strings.TrimPrefix(p, "!")
	if !strings.HasPrefix(core, "/") {
		return false
	}
	cut := strings.LastIndex(core[1:], "/")
	if cut < 0 {
		return false
	}
	return strings.Trim(core[1:][cut+1:], "ims") == ""
}

// numberLiteral parses a YAML number, including the forms YAML 1.2 allows
// (0x, 0o, .inf are not useful here and are refused).
func numberLiteral(s string) (float64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return float64(n), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}
