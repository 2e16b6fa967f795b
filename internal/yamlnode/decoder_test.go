package yamlnode

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// testFile is a file type that reports *Error.
var testFile = &FileType{Plural: "test files"}

// messages returns the text of every error d recorded.
func messages(d *Decoder) []string {
	out := []string{}
	for _, err := range d.Errs {
		out = append(out, err.Error())
	}
	return out
}

// keys returns the keys of pairs.
func keys(pairs [][2]*yaml.Node) []string {
	out := []string{}
	for _, kv := range pairs {
		out = append(out, kv[0].Value)
	}
	return out
}

func TestDecoderMapping(t *testing.T) {
	src := "a: 1\nb: &x 2\n[c]: 3\n<<: {d: 4}\na: 5\ne: *x\n"
	d := NewDecoder("f.yaml", len(src), testFile)
	pairs := d.Mapping(root(t, src), "the test")
	equal(t, "keys", keys(pairs), []string{"a", "b", "e"})
	equal(t, "alias value", pairs[2][1].Value, "2")
	equal(t, "errors", messages(d), []string{
		"f.yaml:3:1: a key of the test must be a string, not a list",
		"f.yaml:4:1: merge keys (<<) are not supported in test files; hint: write the keys out",
		`f.yaml:5:1: "a" appears twice in the test (first at line 1); the second would replace the first`,
	})

	d = NewDecoder("f.yaml", 0, testFile)
	equal(t, "empty value", len(d.Mapping(root(t, "~"), "the test")), 0)
	equal(t, "a list", len(d.Mapping(root(t, "[1]"), "the test")), 0)
	equal(t, "errors", messages(d), []string{"f.yaml:1:1: the test must be a mapping, not a list"})
}

func TestDecoderSequence(t *testing.T) {
	src := "- &x a\n- *x\n- [b]\n"
	d := NewDecoder("f.yaml", len(src), testFile)
	items := d.Sequence(root(t, src), "the list")
	equal(t, "items", len(items), 3)
	equal(t, "alias item", items[1].Value, "a")
	equal(t, "empty value", len(d.Sequence(root(t, "~"), "the list")), 0)
	equal(t, "a mapping", len(d.Sequence(root(t, "{a: 1}"), "the list")), 0)
	equal(t, "errors", messages(d), []string{"f.yaml:1:1: the list must be a list, not a mapping"})
}

func TestDecoderStr(t *testing.T) {
	d := NewDecoder("f.yaml", 0, testFile)
	equal(t, "string", d.Str(root(t, "web"), "name"), "web")
	equal(t, "number as written", d.Str(root(t, "0x1F"), "name"), "0x1F")
	equal(t, "empty", d.Str(root(t, "~"), "name"), "")
	equal(t, "list", d.Str(root(t, "[a]"), "name"), "")
	equal(t, "errors", messages(d), []string{
		"f.yaml:1:1: name must be a string, not empty",
		"f.yaml:1:1: name must be a string, not a list",
	})
}

func TestDecoderResolve(t *testing.T) {
	d := NewDecoder("f.yaml", 0, testFile)
	dangling := &yaml.Node{Kind: yaml.AliasNode, Value: "gone", Line: 4, Column: 3}
	if d.Resolve(dangling) != nil {
		t.Error("a dangling alias resolved")
	}
	loop := &yaml.Node{Kind: yaml.AliasNode, Value: "self", Line: 5, Column: 1}
	loop.Alias = loop
	if d.Resolve(loop) != nil {
		t.Error("an alias to itself resolved")
	}
	equal(t, "errors", messages(d), []string{
		"f.yaml:4:3: alias *gone cannot be resolved",
		"f.yaml:5:1: alias *self cannot be resolved",
	})
}

func TestDecoderBudget(t *testing.T) {
	// Each level doubles the nodes a walk visits: 2^20 of them from a few
	// hundred bytes ("billion laughs").
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x]\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [*l%d, *l%d]\n", i, i, i-1, i-1)
	}
	src := b.String()
	d := NewDecoder("f.yaml", len(src), testFile)
	var walk func(n *yaml.Node) int
	walk = func(n *yaml.Node) int {
		if n = d.Resolve(n); n == nil {
			return 0
		}
		visited := 1
		if n.Kind == yaml.SequenceNode {
			for _, c := range d.Sequence(n, "a level") {
				visited += walk(c)
			}
		}
		return visited
	}
	visited := 0
	for _, kv := range d.Mapping(root(t, src), "the levels") {
		visited += walk(kv[1])
	}
	if limit := 100*len(src) + 10_000; visited > limit {
		t.Errorf("visited %d nodes, more than the budget of %d", visited, limit)
	}
	const want = ": the document expands to too many nodes; hint: use fewer aliases"
	if msgs := messages(d); len(msgs) != 1 || !strings.HasSuffix(msgs[0], want) {
		t.Errorf("%d errors, the first %q; want one ending %q", len(msgs), append(msgs, "")[0], want)
	}
}

// testError is a caller's own error type, defined on Error.
type testError Error

func (e *testError) Error() string { return (*Error)(e).Error() }

func TestDecoderWrapAndErr(t *testing.T) {
	d := NewDecoder("f.yaml", 0, &FileType{Wrap: func(e *Error) error { return (*testError)(e) }})
	if err := d.Err(); err != nil {
		t.Fatalf("Err with nothing recorded = %v", err)
	}
	n := root(t, "a")
	d.Errorf(n, "", "first %d", 1)
	d.Errs = append(d.Errs, errors.New("a caller's own"))
	d.Errorf(n, "do this", "second")
	var te *testError
	if !errors.As(d.Errs[0], &te) || te.Pos != "f.yaml:1:1" || te.Msg != "first 1" {
		t.Errorf("recorded %#v, want a *testError at f.yaml:1:1", d.Errs[0])
	}
	equal(t, "Err", d.Err().Error(), "f.yaml:1:1: first 1\na caller's own\nf.yaml:1:1: second; hint: do this")
}
