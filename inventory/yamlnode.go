package inventory

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/omap"
	"github.com/remotectl/remotectl/internal/yamlnode"
)

// parseYAML parses one YAML document into its root node; nil means the
// document is empty. A second document is an error, as in Ansible, unless it
// is empty.
func parseYAML(file string, data []byte) (*yaml.Node, error) {
	root, next, err := yamlnode.ParseDocument(data)
	switch {
	case err != nil:
		return nil, yamlSyntaxError(file, err)
	case next != nil && !yamlnode.IsNull(next.Content[0]):
		return nil, errorf(Pos{File: file, Line: next.Line, Col: next.Column}, "a second YAML document starts here").
			withHint("an inventory is one document; remove the --- line or split the file")
	}
	return root, nil
}

// yamlParserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner). For those, yaml.v3 reports a 0-based line: the line where the
// enclosing block starts, for the first four.
var yamlParserProblems = []string{
	"did not find expected key",
	"did not find expected '-' indicator",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected node content",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
	"found incompatible YAML document",
}

// yamlSyntaxError turns a yaml.v3 parse error into an *Error with a position.
func yamlSyntaxError(file string, err error) *Error {
	line, msg := yamlnode.SplitSyntaxError(err)
	parser := containsString(yamlParserProblems, msg)
	switch {
	case line == 0:
		line = 1 // yaml.v3 leaves out line numbers on the first line
	case parser:
		line++
	}
	if parser && slices.Index(yamlParserProblems, msg) < 4 {
		msg += " (in the block that starts on this line)"
	}
	e := errorf(Pos{File: file, Line: line}, "invalid YAML: %s", msg)
	if strings.Contains(msg, "did not find expected ',' or ']'") {
		return e.withHint(`quote node ranges inside [...] lists ("web[01-04]"), or use a block list (- web[01-04])`)
	}
	return e.withHint("check the indentation and quoting around this line")
}

// yamlReader converts YAML nodes into values, with positions for errors.
type yamlReader struct {
	file string
	// ansible selects YAML 1.1 scalars as Ansible (PyYAML) reads them
	// (yes/no/on/off are booleans), lenient duplicate keys, and Ansible tags.
	ansible bool
	// json says the document is JSON, which Ansible reads as JSON (numbers
	// such as 1e3 included), not with YAML 1.1's scalars.
	json bool
	// decrypt decrypts inline !vault values (LoadOptions.Decrypt); nil: they
	// are an error.
	decrypt func([]byte) ([]byte, error)
	// ordered decodes mappings inside values as *omap.Map
	// (LoadOptions.OrderedDicts).
	ordered bool
	// budget is how many more nodes may be visited; aliases can make a small
	// document expand enormously ("billion laughs"), this stops it.
	budget int
	// via is the outermost alias being expanded, blamed when the budget runs out.
	via *yaml.Node
}

// newYAMLReader returns a reader for a document of size bytes.
func newYAMLReader(file string, size int, ansible bool) *yamlReader {
	return &yamlReader{file: file, ansible: ansible, budget: 100*size + 100_000}
}

// newAnsibleReader returns a reader of Ansible YAML data, which Ansible
// reads as JSON when it is JSON.
func newAnsibleReader(file string, data []byte) *yamlReader {
	r := newYAMLReader(file, len(data), true)
	r.json = json.Valid(data)
	return r
}

// pos returns where n is.
func (r *yamlReader) pos(n *yaml.Node) Pos { return Pos{File: r.file, Line: n.Line, Col: n.Column} }

// resolve follows aliases and charges the visit to the budget.
func (r *yamlReader) resolve(n *yaml.Node) (*yaml.Node, error) {
	ref := n
	for hops := 0; n.Kind == yaml.AliasNode; hops++ {
		if n.Alias == nil || hops > 100 {
			return nil, errorf(r.pos(ref), "alias *%s cannot be resolved", ref.Value)
		}
		n = n.Alias
	}
	r.budget--
	if r.budget < 0 {
		if r.via != nil {
			ref = r.via
		}
		return nil, errorf(r.pos(ref), "the document expands to too many values through aliases").
			withHint("aliases (*name) may repeat values, but not exponentially")
	}
	return n, nil
}

// kindName describes a node for "must be X, got Y" messages.
func kindName(n *yaml.Node) string {
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case yamlnode.IsNull(n):
		return "null"
	}
	switch n.ShortTag() {
	case yamlnode.TagInt, yamlnode.TagFloat:
		return "the number " + n.Value
	case yamlnode.TagBool:
		return "the boolean " + n.Value
	}
	return strconv.Quote(n.Value)
}

// pair is one key/value of a mapping.
type pair struct {
	name string
	key  *yaml.Node
	val  *yaml.Node
}

// pairs returns the entries of mapping n in order, with merge keys ("<<:")
// applied. what names n in the "must be a mapping" error.
func (r *yamlReader) pairs(n *yaml.Node, what phrase) ([]pair, error) {
	n, err := r.resolve(n)
	if err != nil {
		return nil, err
	}
	if n.Kind != yaml.MappingNode {
		return nil, errorf(r.pos(n), "%s must be a mapping, got %s", what, kindName(n))
	}
	out := make([]pair, 0, len(n.Content)/2)
	keys := newKeySet(len(n.Content) / 2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, err := r.resolve(n.Content[i])
		if err != nil {
			return nil, err
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == yamlnode.TagMerge {
			merges = append(merges, n.Content[i+1])
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, errorf(r.pos(k), "%s: keys must be plain names, got %s", what, kindName(k))
		}
		if first := keys.find(out, k.Value); first != nil && !r.ansible {
			return nil, duplicateKey(r, k, what, first.Line)
		}
		out = keys.add(out, pair{name: k.Value, key: k, val: n.Content[i+1]})
	}
	for _, m := range merges {
		merged, err := r.mergeSources(m, what)
		if err != nil {
			return nil, err
		}
		for _, p := range merged {
			if keys.find(out, p.name) == nil {
				out = keys.add(out, p)
			}
		}
	}
	return out, nil
}

// duplicateKey reports key k of mapping what, first written on line first.
func duplicateKey(r *yamlReader, k *yaml.Node, what phrase, first int) error {
	return errorf(r.pos(k), "duplicate key %q in %s (first at line %d)", k.Value, what, first).
		withHint("merge the two entries into one")
}

// keySet finds keys among the pairs of one mapping: by scanning for small
// mappings (most of them), through an index for large ones.
type keySet struct{ index map[string]*yaml.Node }

// newKeySet returns a keySet for a mapping of about n entries.
func newKeySet(n int) keySet {
	if n > 16 {
		return keySet{index: make(map[string]*yaml.Node, n)}
	}
	return keySet{}
}

// find returns the key node of name among ps, or nil.
func (s keySet) find(ps []pair, name string) *yaml.Node {
	if s.index != nil {
		return s.index[name]
	}
	for i := range ps {
		if ps[i].name == name {
			return ps[i].key
		}
	}
	return nil
}

// add appends p to ps and indexes it.
func (s keySet) add(ps []pair, p pair) []pair {
	if s.index != nil {
		if _, dup := s.index[p.name]; !dup {
			s.index[p.name] = p.key
		}
	}
	return append(ps, p)
}

// mergeSources returns the entries a merge key brings in: one mapping, or a
// list of mappings where earlier ones win.
func (r *yamlReader) mergeSources(n *yaml.Node, what phrase) ([]pair, error) {
	n, err := r.resolve(n)
	if err != nil {
		return nil, err
	}
	if n.Kind != yaml.SequenceNode {
		return r.pairs(n, what.then(": merge (<<) value"))
	}
	var out []pair
	seen := make(map[string]bool)
	for _, item := range n.Content {
		ps, err := r.pairs(item, what.then(": merge (<<) value"))
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if !seen[p.name] {
				seen[p.name] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// value converts n into plain Go values: map[string]any, []any, string, int,
// float64, bool or nil.
func (r *yamlReader) value(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode && r.via == nil {
		r.via = n
		defer func() { r.via = nil }()
	}
	n, err := r.resolve(n)
	if err != nil {
		return nil, err
	}
	switch n.Kind {
	case yaml.MappingNode:
		ps, err := r.pairs(n, words("value"))
		if err != nil {
			return nil, err
		}
		if r.ordered {
			m := omap.New(len(ps))
			for _, p := range ps {
				v, err := r.value(p.val)
				if err != nil {
					return nil, err
				}
				m.Set(p.name, v)
			}
			return m, nil
		}
		m := make(map[string]any, len(ps))
		for _, p := range ps {
			if m[p.name], err = r.value(p.val); err != nil {
				return nil, err
			}
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			if l[i], err = r.value(c); err != nil {
				return nil, err
			}
		}
		return l, nil
	case yaml.ScalarNode:
		return r.scalar(n)
	}
	return nil, errorf(r.pos(n), "unsupported YAML node")
}

// scalar converts a scalar node.
func (r *yamlReader) scalar(n *yaml.Node) (any, error) {
	tag := n.ShortTag()
	if r.ansible && n.Tag == "!vault" {
		return r.vault(n)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return n.Value, nil // application tags such as Ansible's !unsafe mark strings
	}
	if r.ansible && !r.json && n.Style == 0 {
		return yaml11Scalar(n.Value), nil // plain, untagged: as PyYAML reads it
	}
	switch tag {
	case yamlnode.TagStr:
		return n.Value, nil
	case yamlnode.TagNull:
		return nil, nil
	case "!!timestamp", "!!binary":
		return n.Value, nil
	case yamlnode.TagInt:
		if i, ok := plainInt(n.Value); ok {
			return i, nil
		}
	case yamlnode.TagBool:
		if b, ok := plainBool(n.Value); ok {
			return b, nil
		}
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, errorf(r.pos(n), "bad value %q: %v", n.Value, err)
	}
	switch x := v.(type) {
	case int64:
		return int(x), nil
	case uint64:
		return float64(x), nil
	case time.Time:
		return n.Value, nil
	}
	return v, nil
}

// vault decrypts an inline !vault value into a string.
func (r *yamlReader) vault(n *yaml.Node) (any, error) {
	if r.decrypt == nil {
		return nil, errorf(r.pos(n), "value is encrypted with Ansible Vault and no vault password was given").
			withHint(vaultHint)
	}
	plain, err := r.decrypt([]byte(strings.TrimSpace(n.Value)))
	if err != nil {
		return nil, errorf(r.pos(n), "cannot decrypt this Ansible Vault value: %v", err).
			withHint("check the vault password (--vault-password-file, --vault-id)")
	}
	return string(plain), nil
}

// plainInt reads the integers most documents hold ("42", "-7") as
// yaml.v3 resolves them, without Node.Decode, which sets up a whole decoder
// for each value. ok is false for every other form (0x1F, 0o17, 017, 1_000,
// or too many digits), left to Node.Decode.
func plainInt(s string) (int, bool) {
	digits := s
	if digits != "" && (digits[0] == '-' || digits[0] == '+') {
		digits = digits[1:]
	}
	if !isDigits(digits) || len(digits) > 18 || (digits[0] == '0' && len(digits) > 1) {
		return 0, false
	}
	i, err := strconv.Atoi(s) // cannot fail: at most 18 digits
	return i, err == nil
}

// plainBool reads the booleans of YAML 1.2 as yaml.v3 resolves them; ok is
// false for other forms, left to Node.Decode.
func plainBool(s string) (b, ok bool) {
	switch s {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

// str reads a string scalar (numbers and booleans are taken as written).
func (r *yamlReader) str(n *yaml.Node, what phrase) (string, error) {
	n, err := r.resolve(n)
	if err != nil {
		return "", err
	}
	if n.Kind != yaml.ScalarNode || yamlnode.IsNull(n) {
		return "", errorf(r.pos(n), "%s must be a string, got %s", what, kindName(n))
	}
	return n.Value, nil
}

// integer reads an integer scalar.
func (r *yamlReader) integer(n *yaml.Node, what phrase) (int, error) {
	n, err := r.resolve(n)
	if err != nil {
		return 0, err
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == yamlnode.TagInt {
		if i, ok := plainInt(n.Value); ok {
			return i, nil
		}
		var i int
		if n.Decode(&i) == nil {
			return i, nil
		}
	}
	return 0, errorf(r.pos(n), "%s must be a number, got %s", what, kindName(n))
}

// boolean reads a boolean scalar (true/false).
func (r *yamlReader) boolean(n *yaml.Node, what phrase) (bool, error) {
	n, err := r.resolve(n)
	if err != nil {
		return false, err
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == yamlnode.TagBool {
		if b, ok := plainBool(n.Value); ok {
			return b, nil
		}
		var b bool
		if n.Decode(&b) == nil {
			return b, nil
		}
	}
	return false, errorf(r.pos(n), "%s must be true or false, got %s", what, kindName(n))
}

// duration reads a Go duration ("10s", "1m30s") or a number of seconds.
func (r *yamlReader) duration(n *yaml.Node, what phrase) (time.Duration, error) {
	n, err := r.resolve(n)
	if err != nil {
		return 0, err
	}
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case yamlnode.TagInt, yamlnode.TagFloat:
			if secs, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil && secs >= 0 && secs < 1e9 {
				return time.Duration(secs * float64(time.Second)), nil
			}
		case yamlnode.TagStr:
			if d, err := time.ParseDuration(n.Value); err == nil && d >= 0 {
				return d, nil
			}
		}
	}
	return 0, errorf(r.pos(n), "%s must be a duration such as 10s or 1m30s, or a number of seconds, got %s", what, kindName(n))
}

// strList reads a list of strings; a single string is a list of one.
func (r *yamlReader) strList(n *yaml.Node, what phrase) ([]string, []Pos, error) {
	n, err := r.resolve(n)
	if err != nil {
		return nil, nil, err
	}
	if yamlnode.IsNull(n) {
		return nil, nil, nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}, []Pos{r.pos(n)}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, nil, errorf(r.pos(n), "%s must be a list of names, got %s", what, kindName(n))
	}
	out := make([]string, 0, len(n.Content))
	pos := make([]Pos, 0, len(n.Content))
	for _, c := range n.Content {
		s, err := r.str(c, what.then(" entry"))
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
		pos = append(pos, r.pos(c))
	}
	return out, pos, nil
}

// checkKeys fails on the first key of ps that is not in allowed, suggesting
// the closest allowed key. where completes "unknown key "x" ...", e.g.
// "in host \"web01\"".
func (r *yamlReader) checkKeys(ps []pair, where phrase, allowed []string) error {
	for _, p := range ps {
		known := false
		for _, a := range allowed {
			if p.name == a {
				known = true
				break
			}
		}
		if !known {
			return errorf(r.pos(p.key), "unknown key %q %s%s", p.name, where, didYouMean(p.name, allowed))
		}
	}
	return nil
}

// errAt wraps a non-*Error error at n's position.
func (r *yamlReader) errAt(n *yaml.Node, err error) error {
	if _, ok := err.(*Error); ok {
		return err
	}
	return errorf(r.pos(n), "%v", err)
}

// phrase names a part of an inventory in messages: `vars of host "web01"`,
// `children of group "web" entry`, "defaults". Loading passes phrases down to
// where a problem may show, and only a message composes the text: composing
// it for each of 100,000 hosts costs more than loading them.
type phrase struct {
	prefix string // "vars of ", "in the connection of "
	kind   string // "host", "group": name follows, quoted; "": name is the text itself
	name   string
	suffix string // " entry", ": merge (<<) value"
}

// words returns the phrase s, as written.
func words(s string) phrase { return phrase{name: s} }

// named returns the phrase `kind "name"`.
func named(kind, name string) phrase { return phrase{kind: kind, name: name} }

// in returns the phrase with prefix put before it: words("x").in("vars of ")
// is "vars of x".
func (p phrase) in(prefix string) phrase {
	p.prefix = prefix + p.prefix
	return p
}

// then returns the phrase with suffix put after it.
func (p phrase) then(suffix string) phrase {
	p.suffix += suffix
	return p
}

// String composes the phrase.
func (p phrase) String() string {
	name := p.name
	if p.kind != "" {
		name = p.kind + " " + strconv.Quote(p.name)
	}
	return p.prefix + name + p.suffix
}
