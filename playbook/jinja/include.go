package jinja

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// mainName is the name of the template being rendered in its loader.
const mainName = "/t"

// fileLoader gives gonja the template being rendered (mainName) and the
// templates it includes or imports, found by name in paths as Jinja2's
// FileSystemLoader with Ansible's template search path; their text is
// prepared as the main template's.
type fileLoader struct {
	main  string
	paths []string
}

// Read implements loaders.Loader.
func (l *fileLoader) Read(path string) (io.Reader, error) {
	if path == mainName {
		return strings.NewReader(l.main), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(rewriteTestCalls(rewriteTupleSets(prepare(string(data), false)))), nil
}

// Resolve implements loaders.Loader: a name is looked for in each
// directory of the search path, in order.
func (l *fileLoader) Resolve(name string) (string, error) {
	if name == mainName {
		return name, nil
	}
	if filepath.IsAbs(name) {
		if _, err := os.Stat(name); err == nil {
			return name, nil
		}
	}
	for _, dir := range l.paths {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("TemplateNotFound: %s", name)
}

// Inherit implements loaders.Loader: an included template finds its own
// includes in the same search path, as Jinja2's.
func (l *fileLoader) Inherit(string) (loaders.Loader, error) { return l, nil }

// includeStructure is Jinja2's {% include %}: gonja's, with the included
// template rewritten as the engine rewrites its own (Python's str() of
// values, Python's arithmetic, undefined arguments of filters).
type includeStructure struct {
	location      *tokens.Token
	name          nodes.Expression
	ignoreMissing bool
}

// Position implements nodes.ControlStructure.
func (s *includeStructure) Position() *tokens.Token { return s.location }

func (s *includeStructure) String() string {
	return fmt.Sprintf("include(%s) at line %d", s.name, s.location.Line)
}

// Execute implements exec.ControlStructure.
func (s *includeStructure) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	names := []string{}
	v := r.Eval(s.name)
	if v.IsError() {
		return fmt.Errorf("unable to evaluate the name of an included template: %v", v.Interface())
	}
	if list, err := toGo(v); err == nil {
		if l, ok := list.([]any); ok { // include ['a.j2', 'b.j2']: the first found
			for _, n := range l {
				names = append(names, pyStr(n))
			}
		} else {
			names = append(names, pyStr(list))
		}
	}
	for _, name := range names {
		path, err := r.Loader.Resolve(name)
		if err != nil {
			continue
		}
		loader, err := r.Loader.Inherit(path)
		if err != nil {
			return err
		}
		included, err := exec.NewTemplate(path, r.Config, loader, r.Environment)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		rewrite(included.Root(), true)
		return exec.NewRenderer(r.Environment, r.Output, r.Config.Inherit(), loader, included).Execute()
	}
	if s.ignoreMissing {
		return nil
	}
	return fmt.Errorf("TemplateNotFound: %s", strings.Join(names, ", "))
}

// includeParser parses {% include NAME [ignore missing] [with|without context] %}.
func includeParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &includeStructure{location: p.Current()}
	name, err := args.ParseExpression()
	if err != nil {
		return nil, err
	}
	s.name = name
	if args.MatchName("ignore") != nil {
		if args.MatchName("missing") == nil {
			return nil, args.Error("expected 'missing' after 'ignore'", nil)
		}
		s.ignoreMissing = true
	}
	if tok := args.MatchName("with", "without"); tok != nil {
		if args.MatchName("context") == nil {
			return nil, args.Error("expected 'context'", nil)
		}
		if tok.Val == "without" {
			return nil, args.Error("include without context is not supported by remotectl", nil)
		}
	}
	if !args.End() {
		return nil, args.Error("Malformed 'include'-tag args.", nil)
	}
	return s, nil
}

// controlStructures are gonja's, with include as includeStructure.
func controlStructures(base *exec.ControlStructureSet) *exec.ControlStructureSet {
	all := map[string]parser.ControlStructureParser{}
	for _, name := range []string{"autoescape", "block", "extends", "filter", "for", "from", "if", "import",
		"macro", "raw", "set", "with", "do", "break", "continue", "trans", "call"} {
		if p, ok := base.Get(name); ok {
			all[name] = p
		}
	}
	all["include"] = includeParser
	if set, ok := base.Get("set"); ok {
		all["set"] = boxedSetParser(set)
	}
	return exec.NewControlStructureSet(all)
}

// reFileTag is a tag that reads another template.
var reFileTag = regexp.MustCompile(`\{%[-+]?\s*(include|import|from|extends)\s`)

// usesFiles reports whether template text includes, imports or extends
// another template.
func usesFiles(s string) bool { return reFileTag.MatchString(s) }

// RenderFile is RenderText for a template file: the templates it
// includes ({% include %}, {% import %}, {% from %}) are found in
// searchPath, in order, as Ansible's template module and lookup find
// them (each search directory's templates/, then the directory). Such a
// template sees every variable.
func (e *Engine) RenderFile(s string, vars map[string]any, searchPath []string) (string, error) {
	if !IsTemplate(s) || !usesFiles(s) {
		return e.RenderText(s, vars)
	}
	src := rewriteTestCalls(rewriteTupleSets(prepare(s, false)))
	t, err := e.parseWith(s, src, &fileLoader{main: src, paths: searchPath})
	if err != nil {
		return "", err
	}
	rewrite(t.Root(), true)
	names := slices.Collect(maps.Keys(vars))
	names = append(names, "lookup", "query", "q")
	sc := newScope(e, vars)
	out, err := execute(t, sc.context(names, 0))
	if err != nil {
		return "", runtimeError(s, exec.AsValue(err))
	}
	return keepNewlines(s, out), nil
}

// parseWith parses src (prepared from s) with loader.
func (e *Engine) parseWith(s, src string, loader loaders.Loader) (t *exec.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, &Error{Kind: Syntax, Template: s, Msg: "template syntax error: unexpected end of template"}
		}
	}()
	t, err = exec.NewTemplate(mainName, e.cfg, loader, e.env)
	if err != nil {
		var je *Error
		if errors.As(err, &je) {
			return nil, err
		}
		return nil, syntaxError(s, src, err)
	}
	return t, nil
}

// reTupleSet is {% set a, b = expr %}, which gonja does not parse.
var reTupleSet = regexp.MustCompile(`\{%(-?)\s*set\s+([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)+)\s*=\s*(.*?)\s*(-?)%\}`)

// tupleSetVar holds the value a tuple set unpacks.
const tupleSetVar = "__remotectl_tuple__"

// rewriteTupleSets writes {% set a, b = expr %} as a set of the value and
// one set per name, the tag's whitespace control kept on the outer ends.
func rewriteTupleSets(s string) string {
	if !strings.Contains(s, "set") || !strings.Contains(s, ",") {
		return s
	}
	return reTupleSet.ReplaceAllStringFunc(s, func(tag string) string {
		m := reTupleSet.FindStringSubmatch(tag)
		names := strings.Split(m[2], ",")
		var b strings.Builder
		fmt.Fprintf(&b, "{%%%s set %s = %s %%}", m[1], tupleSetVar, m[3])
		for i, n := range names {
			end := ""
			if i == len(names)-1 {
				end = m[4]
			}
			fmt.Fprintf(&b, "{%% set %s = %s[%d] %s%%}", strings.TrimSpace(n), tupleSetVar, i, end)
		}
		return b.String()
	})
}
