package jinja

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"

	"github.com/remotectl/remotectl/internal/omap"
)

// maxDepth bounds how deep variables that are templates may refer to
// other templates before rendering gives up.
const maxDepth = 40

// Engine renders Jinja2 templates and evaluates conditionals as Ansible
// (ansible-core 2.14, default settings) does. It holds the filters and
// tests; it keeps no state between calls and is safe for concurrent use.
type Engine struct {
	cfg *config.Config
	env *exec.Environment

	mu    sync.Mutex
	cache map[cacheKey]*compiled

	lookups map[string]Lookup
}

// maxCached bounds the parsed templates an Engine keeps.
const maxCached = 8192

// mode is how a template is used: as a value, as text, as an expression.
type mode int

const (
	modeValue mode = iota
	modeText
	modeExpr
)

type cacheKey struct {
	src  string
	mode mode
}

// compiled is a template parsed and rewritten, ready to run any number of
// times, concurrently.
type compiled struct {
	t      *exec.Template
	single *nodes.Output // its only node, when it is one {{ expression }}
	names  []string      // the variables it may read
}

// New returns an Engine with Jinja2's builtins and Ansible's filters and
// tests, configured as Ansible configures Jinja2: strict undefined,
// trim_blocks, trailing newlines kept.
func New(opts ...Option) *Engine {
	cfg := config.New()
	cfg.StrictUndefined = true
	cfg.TrimBlocks = true
	cfg.KeepTrailingNewline = false
	filters := exec.NewFilterSet(map[string]exec.FilterFunction{}).Update(builtins.Filters)
	for name, fn := range ansibleFilters() {
		filters.Update(exec.NewFilterSet(map[string]exec.FilterFunction{name: fn}))
	}
	tests := exec.NewTestSet(map[string]exec.TestFunction{}).Update(builtins.Tests)
	for name, fn := range ansibleTests() {
		tests.Update(exec.NewTestSet(map[string]exec.TestFunction{name: fn}))
	}
	ctx := exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables)
	ctx.Set(testArgsFunc, testArgs)
	ctx.Set(pyDict, dictFunc)
	ctx.Set("none", nil)
	e := &Engine{cfg: cfg, cache: map[cacheKey]*compiled{}, env: &exec.Environment{
		Context:           ctx,
		Filters:           filters,
		Tests:             tests,
		ControlStructures: controlStructures(builtins.ControlStructures),
		Methods:           methods(),
	}}
	for _, opt := range opts {
		opt(e)
	}
	return e
}

// Option configures an Engine.
type Option func(*Engine)

// Lookup is one of Ansible's lookup plugins: it receives the call's
// terms, keywords and the variables of the template it runs in, and
// returns its list of values.
type Lookup func(c LookupCall) ([]any, error)

// LookupCall is one call of a lookup plugin: lookup('name', term...,
// key=value...).
type LookupCall struct {
	Terms  []any
	Kwargs map[string]any // without wantlist and errors, which the engine handles
	// Vars are the variables of the rendering (not yet templated), nil
	// outside one.
	Vars map[string]any
}

// WithLookups makes lookup('name', ...) and query('name', ...) (q) call
// lookups[name]; a plugin not in it is an Unsupported error when the
// template runs. As Ansible's, query always gives the list; lookup joins
// a list of strings with commas (a single other value is itself) unless
// wantlist=True; errors='ignore' or 'warn' turns a failing plugin's
// value into None (lookup) or [] (query).
func WithLookups(lookups map[string]Lookup) Option {
	return func(e *Engine) {
		e.lookups = lookups
		for _, name := range []string{"lookup", "query", "q"} {
			e.env.Context.Set(name, e.lookupFunc(name != "lookup", nil))
		}
	}
}

// lookupFunc is the lookup (or, with wantlist, query) global of a
// rendering whose variables are vars.
func (e *Engine) lookupFunc(wantlist bool, vars map[string]any) func(*exec.Evaluator, *exec.VarArgs) (any, error) {
	return func(_ *exec.Evaluator, params *exec.VarArgs) (any, error) {
		c, err := goArgs(params)
		if err != nil {
			return nil, err
		}
		if len(c.args) == 0 {
			return nil, runtimeErr("lookup needs the name of a plugin")
		}
		name := pyStr(c.args[0])
		fn, ok := e.lookups[lookupName(name)]
		if !ok {
			return nil, unsupported("the lookup plugin '%s'", name)
		}
		list := wantlist
		if w, ok := c.kw["wantlist"].(bool); ok && w {
			list = true
		}
		errorsMode := "strict"
		if m, ok := c.kw["errors"]; ok {
			errorsMode = pyStr(m)
		}
		delete(c.kw, "wantlist")
		delete(c.kw, "errors")
		items, err := fn(LookupCall{Terms: c.args[1:], Kwargs: c.kw, Vars: vars})
		if err != nil {
			if (errorsMode == "ignore" || errorsMode == "warn") && !IsUndefined(err) {
				if list {
					return []any{}, nil
				}
				return nil, nil
			}
			return nil, err
		}
		if list {
			return toGonja(items), nil
		}
		return toGonja(joinLookup(items)), nil
	}
}

// joinLookup is lookup()'s value without wantlist: strings joined with
// commas, else the one value, else the list.
func joinLookup(items []any) any {
	parts := make([]string, len(items))
	for i, it := range items {
		s, ok := it.(string)
		if !ok {
			if len(items) == 1 {
				return it
			}
			return items
		}
		parts[i] = s
	}
	return strings.Join(parts, ",")
}

// strMethods are the Python str methods gonja implements.
var strMethods = []string{
	"capitalize", "casefold", "center", "count", "endswith", "expandtabs", "find", "format", "index",
	"isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
	"isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "partition",
	"removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit",
	"rstrip", "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill",
}

// methods are gonja's methods of Python types, with str.split as
// Python's (no separator splits on runs of whitespace).
func methods() exec.Methods {
	m := builtins.Methods
	str := map[string]exec.Method[string]{}
	for _, name := range strMethods {
		if fn, ok := m.Str.Get(name); ok {
			str[name] = fn
		}
	}
	for name, fn := range strSearchMethods() {
		str[name] = fn
	}
	str["split"] = func(self string, _ *exec.Value, params *exec.VarArgs) (any, error) {
		c, err := goArgs(params)
		if err != nil {
			return nil, err
		}
		return filterSplit(self, c)
	}
	m.Str = exec.NewMethodSet(str)
	m.Dict = dictMethods(m.Dict)
	m.List = listMethods()
	return m
}

// dictMethods are gonja's dict methods, with keys, values, items, get and
// copy of an ordered dict (an exec.Dict) in its order, as Python's: gonja
// gives them a Go map, which has none.
func dictMethods(base *exec.MethodSet[map[string]any]) *exec.MethodSet[map[string]any] {
	ordered := map[string]func(d *exec.Dict, params *exec.VarArgs) (any, error){
		"keys": func(d *exec.Dict, params *exec.VarArgs) (any, error) {
			return pairsOf(d, func(p *exec.Pair) any { return p.Key }), params.Take()
		},
		"values": func(d *exec.Dict, params *exec.VarArgs) (any, error) {
			return pairsOf(d, func(p *exec.Pair) any { return p.Value }), params.Take()
		},
		"items": func(d *exec.Dict, params *exec.VarArgs) (any, error) {
			return pairsOf(d, func(p *exec.Pair) any { return []any{p.Key, p.Value} }), params.Take()
		},
		"copy": func(d *exec.Dict, params *exec.VarArgs) (any, error) {
			return &exec.Dict{Pairs: slices.Clone(d.Pairs)}, params.Take()
		},
		"update":     dictUpdate,
		"pop":        dictPop,
		"setdefault": dictSetdefault,
		"clear": func(d *exec.Dict, params *exec.VarArgs) (any, error) {
			d.Pairs = d.Pairs[:0]
			return nil, params.Take()
		},
		"get": func(d *exec.Dict, params *exec.VarArgs) (any, error) {
			if len(params.Args) < 1 || len(params.Args) > 2 {
				return nil, runtimeErr("get() takes 1 or 2 positional arguments")
			}
			if i := dictIndex(d, params.Args[0].String()); i >= 0 {
				return d.Pairs[i].Value.Interface(), nil
			}
			if len(params.Args) == 2 {
				return params.Args[1].Interface(), nil
			}
			return nil, nil
		},
	}
	all := map[string]exec.Method[map[string]any]{}
	for _, name := range []string{"keys", "values", "items", "get", "pop", "setdefault", "update", "copy", "clear"} {
		fallback, ok := base.Get(name)
		if !ok {
			continue
		}
		own, hasOwn := ordered[name]
		all[name] = func(self map[string]any, selfValue *exec.Value, params *exec.VarArgs) (any, error) {
			if d, isOrdered := selfValue.Interface().(*exec.Dict); isOrdered && hasOwn {
				return own(d, params)
			}
			return fallback(self, selfValue, params)
		}
	}
	return exec.NewMethodSet(all)
}

// dictIndex is the index of key k's pair in d, or -1.
func dictIndex(d *exec.Dict, k string) int {
	return slices.IndexFunc(d.Pairs, func(p *exec.Pair) bool { return p.Key.String() == k })
}

// dictSet sets k to v in place: a new key goes last, as in Python.
func dictSet(d *exec.Dict, k, v *exec.Value) {
	v = boxed(v)
	if i := dictIndex(d, k.String()); i >= 0 {
		d.Pairs[i] = &exec.Pair{Key: d.Pairs[i].Key, Value: v}
		return
	}
	d.Pairs = append(d.Pairs, &exec.Pair{Key: k, Value: v})
}

// dictUpdate is Python's dict.update in place: a mapping's pairs in its
// order, then keyword arguments (sorted: gonja keeps no order of them).
func dictUpdate(d *exec.Dict, params *exec.VarArgs) (any, error) {
	if len(params.Args) > 1 {
		return nil, runtimeErr("update() takes at most 1 positional argument")
	}
	if len(params.Args) == 1 {
		arg := params.Args[0]
		if !arg.IsDict() {
			return nil, runtimeErr("update() takes a mapping")
		}
		arg.Iterate(func(_, _ int, k, v *exec.Value) bool {
			dictSet(d, k, v)
			return true
		}, func() {})
	}
	for _, k := range slices.Sorted(maps.Keys(params.KwArgs)) {
		dictSet(d, exec.AsValue(k), params.KwArgs[k])
	}
	return nil, nil
}

// dictPop is Python's dict.pop(key[, default]) in place.
func dictPop(d *exec.Dict, params *exec.VarArgs) (any, error) {
	if len(params.Args) < 1 || len(params.Args) > 2 {
		return nil, runtimeErr("pop expected at least 1 argument, got %d", len(params.Args))
	}
	if i := dictIndex(d, params.Args[0].String()); i >= 0 {
		v := d.Pairs[i].Value
		d.Pairs = slices.Delete(d.Pairs, i, i+1)
		return v.Interface(), nil
	}
	if len(params.Args) == 2 {
		return params.Args[1].Interface(), nil
	}
	return nil, runtimeErr("KeyError: %s", pyRepr(params.Args[0].Interface()))
}

// dictSetdefault is Python's dict.setdefault(key[, default]) in place.
func dictSetdefault(d *exec.Dict, params *exec.VarArgs) (any, error) {
	if len(params.Args) < 1 || len(params.Args) > 2 {
		return nil, runtimeErr("setdefault expected at least 1 argument, got %d", len(params.Args))
	}
	if i := dictIndex(d, params.Args[0].String()); i >= 0 {
		return d.Pairs[i].Value.Interface(), nil
	}
	v := exec.AsValue(nil)
	if len(params.Args) == 2 {
		v = boxed(params.Args[1])
	}
	d.Pairs = append(d.Pairs, &exec.Pair{Key: params.Args[0], Value: v})
	return v.Interface(), nil
}

// pairsOf lists f of each pair of d, as gonja values.
func pairsOf(d *exec.Dict, f func(*exec.Pair) any) []any {
	out := make([]any, len(d.Pairs))
	for i, p := range d.Pairs {
		out[i] = f(p)
	}
	return out
}

// IsTemplate reports whether s holds Jinja2 syntax ({{ }}, {% %} or
// {# #}); a string that does not is never templated.
func IsTemplate(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#")
}

// Render templates s with vars as Ansible templates a task argument or a
// variable: a string without Jinja2 syntax is returned unchanged; the
// output of a template is a string, except that output which reads as a
// Python list, dict or boolean literal ("[1, 2]", "{'a': 1}", "True") is
// that value, as Ansible's ansible_eval_concat makes it. So "{{ users }}"
// is the list itself, "{{ 1 + 1 }}" is the string "2" and "{{ none }}" is
// "". Variables whose values are templates are rendered when read.
func (e *Engine) Render(s string, vars map[string]any) (any, error) {
	return newScope(e, vars).render(s, 0)
}

// RenderText templates a template file: the output is always text, with
// its trailing newlines, as Ansible's template module writes it.
func (e *Engine) RenderText(s string, vars map[string]any) (string, error) {
	return newScope(e, vars).text(s, 0)
}

// Eval evaluates a bare Jinja2 expression ("x | length > 2", no braces)
// and returns its value as Go data: nil, bool, int, float64, string,
// []any, *omap.Map or map[string]any.
func (e *Engine) Eval(expr string, vars map[string]any) (any, error) {
	v, err := newScope(e, vars).eval(expr, 0)
	if err != nil {
		return nil, err
	}
	g, err := toGo(v)
	if err != nil {
		return nil, runtimeError(expr, exec.AsValue(err))
	}
	return g, nil
}

// Conditional evaluates a when, changed_when, failed_when or until value
// as Ansible does: a bool is itself; null and "" are true; a list is true
// when every item is (evaluated in order, stopping at the first false);
// a string is a bare expression (a template in it is rendered first, and a
// non-string result is judged by Python truthiness); other values by
// Python truthiness. An undefined variable is an error, not false.
func (e *Engine) Conditional(cond any, vars map[string]any) (bool, error) {
	sc := newScope(e, vars)
	if list, ok := cond.([]any); ok {
		for _, c := range list {
			ok, err := sc.conditional(c)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	}
	return sc.conditional(cond)
}

// Check validates template s without rendering it: its syntax, and that
// every filter and test it calls exists. It is what a playbook's
// validation runs on each templated string, before any connection.
func (e *Engine) Check(s string) error {
	return e.check(s, prepare(s, true))
}

// CheckExpr is Check for a bare expression (a when or until).
func (e *Engine) CheckExpr(expr string) error {
	err := e.check(expr, prepare("{{ "+expr+" }}", false))
	var je *Error
	if asError(err, &je) && je.Line == 1 && je.Col > 0 {
		je.Col = min(max(je.Col-3, 1), len(expr)+1) // the column in expr, without "{{ "
	}
	return err
}

func (e *Engine) check(orig, src string) error {
	if !IsTemplate(src) {
		return nil
	}
	t, err := e.parse(src)
	if err != nil {
		return err
	}
	if err := e.checkLookups(orig, src); err != nil {
		return err
	}
	rw := rewrite(t.Root(), false)
	for _, name := range rw.filters {
		if msg, ok := fqcnMessage("filter", name); ok {
			return &Error{Kind: Unsupported, Template: orig, Msg: msg}
		}
		if !e.env.Filters.Exists(name) {
			return &Error{Kind: Unsupported, Template: orig, Msg: unsupportedPrefix + fmt.Sprintf("the filter '%s'", name)}
		}
	}
	for _, name := range rw.tests {
		if msg, ok := fqcnMessage("test", name); ok {
			return &Error{Kind: Unsupported, Template: orig, Msg: msg}
		}
		if !e.env.Tests.Exists(name) {
			return &Error{Kind: Unsupported, Template: orig, Msg: unsupportedPrefix + fmt.Sprintf("the test '%s'", name)}
		}
	}
	return nil
}

// Names returns the top-level variable names template s may read, in
// order of first appearance: every identifier in its expressions that is
// not a Jinja2 keyword, an attribute, a filter or test name, a keyword
// argument, or a name the template binds itself ({% set %}, {% for %}).
// It may still over-approximate; callers check names against what is
// defined.
func Names(s string) []string {
	if !IsTemplate(s) {
		return nil
	}
	toks := lex(s)
	bound := map[string]bool{}
	for i, tok := range toks {
		if tok.Type != tokens.Name || (tok.Val != "for" && tok.Val != "set") {
			continue
		}
		for j := i + 1; j < len(toks) && (toks[j].Type == tokens.Name || toks[j].Type == tokens.Comma); j++ {
			if toks[j].Val == "in" {
				break
			}
			if toks[j].Type == tokens.Name {
				bound[toks[j].Val] = true
			}
		}
	}
	seen := map[string]bool{}
	var names []string
	for i, tok := range toks {
		if tok.Type != tokens.Name || keywords[tok.Val] || bound[tok.Val] || seen[tok.Val] || notVariable(toks, i) {
			continue
		}
		seen[tok.Val] = true
		names = append(names, tok.Val)
	}
	return names
}

// notVariable reports whether the name at toks[i] is an attribute, a
// filter, a test or a keyword argument rather than a variable.
func notVariable(toks []*tokens.Token, i int) bool {
	if i+1 < len(toks) && toks[i+1].Type == tokens.Assign {
		return true
	}
	if i == 0 {
		return false
	}
	switch prev := toks[i-1]; prev.Type {
	case tokens.Dot, tokens.Pipe, tokens.Is:
		return true
	case tokens.Not:
		return i >= 2 && toks[i-2].Type == tokens.Is
	}
	return false
}

var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "is": true, "if": true, "else": true, "elif": true,
	"endif": true, "for": true, "endfor": true, "set": true, "endset": true, "true": true, "false": true,
	"none": true, "True": true, "False": true, "None": true, "macro": true, "endmacro": true, "block": true,
	"endblock": true, "raw": true, "endraw": true, "with": true, "endwith": true, "filter": true,
	"endfilter": true, "recursive": true, "loop": true, "include": true, "import": true, "from": true,
	"as": true, "call": true, "endcall": true,
}

// testArgsFunc is the function rewriteTestCalls wraps test arguments in.
const testArgsFunc = "__remotectl_test_args__"

// testArgs returns the arguments of a test call as one value, for the
// tests to unpack.
func testArgs(_ *exec.Evaluator, params *exec.VarArgs) (*exec.VarArgs, error) { return params, nil }

// lex returns the tokens of s up to where gonja's lexer stops (it may
// panic on malformed input: what was read by then is returned).
func lex(s string) (toks []*tokens.Token) {
	defer func() { _ = recover() }()
	stream := tokens.LexAll(s, config.New())
	for tok := stream.Current(); tok != nil && !stream.End(); tok = stream.Next() {
		toks = append(toks, tok)
	}
	return toks
}

// rewriteTestCalls turns `is name(a, k=v)` into
// `is name __remotectl_test_args__(a, k=v)` for Ansible's tests, so that
// gonja parses the argument list as a call and the test receives every
// argument.
func rewriteTestCalls(s string) string {
	if strings.Contains(s, "\r") {
		return s
	}
	toks := lex(s)
	var b strings.Builder
	last := 0
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].Type != tokens.Is {
			continue
		}
		j := i + 1
		if toks[j].Type == tokens.Not {
			j++
		}
		if j+1 >= len(toks) || toks[j].Type != tokens.Name || toks[j+1].Type != tokens.LeftParenthesis || !ownTests[toks[j].Val] {
			continue
		}
		pos := toks[j+1].Pos
		b.WriteString(s[last:pos])
		b.WriteString(" " + testArgsFunc)
		last = pos
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// scope is one rendering: the variables, the templated values of those
// already read, and the names being templated (to detect loops).
type scope struct {
	e        *Engine
	vars     map[string]any
	resolved map[string]any
	active   map[string]bool
}

func newScope(e *Engine, vars map[string]any) *scope {
	return &scope{e: e, vars: vars, resolved: map[string]any{}, active: map[string]bool{}}
}

// compile parses s for mode m, or returns it from the cache.
func (e *Engine) compile(s string, m mode) (*compiled, error) {
	key := cacheKey{s, m}
	e.mu.Lock()
	c, ok := e.cache[key]
	e.mu.Unlock()
	if ok {
		return c, nil
	}
	src := prepare(s, m == modeValue)
	if m == modeExpr {
		src = prepare("{{ "+s+" }}", false)
	}
	t, err := e.parse(src)
	if err != nil {
		return nil, err
	}
	out, isSingle := single(t.Root())
	if m == modeExpr && !isSingle {
		return nil, &Error{Kind: Syntax, Template: s, Msg: "not a single expression"}
	}
	rewrite(t.Root(), m == modeText || !isSingle)
	c = &compiled{t: t, names: Names(src)}
	if isSingle && m != modeText {
		c.single = out
	}
	e.mu.Lock()
	if len(e.cache) < maxCached {
		e.cache[key] = c
	}
	e.mu.Unlock()
	return c, nil
}

// parse parses s as a template. A panic of gonja's parser (on some
// malformed input) becomes a syntax error.
func (e *Engine) parse(s string) (t *exec.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, &Error{Kind: Syntax, Template: s, Msg: "template syntax error: unexpected end of template"}
		}
	}()
	// gonja reads a test's arguments as one value: calls with several
	// (version('2', operator='ge')) are rewritten into one.
	src := rewriteTestCalls(rewriteFQCN(rewriteTupleSets(s)))
	loader, err := loaders.NewMemoryLoader(map[string]string{"/t": src})
	if err != nil {
		return nil, err
	}
	t, err = exec.NewTemplate("/t", e.cfg, loader, e.env)
	if err != nil {
		return nil, syntaxError(s, src, err)
	}
	return t, nil
}

// context returns the variables names, each templated.
func (sc *scope) context(names []string, depth int) *exec.Context {
	data := map[string]any{}
	for _, name := range names {
		if v, ok := sc.lookup(name, depth); ok {
			data[name] = v
		} else if sc.e.lookups != nil && (name == "lookup" || name == "query" || name == "q") {
			data[name] = sc.e.lookupFunc(name != "lookup", sc.vars)
		}
	}
	return exec.NewContext(data)
}

// lookup returns variable name, templated: a value that cannot be
// templated becomes an error value, raised only if the template reads it.
func (sc *scope) lookup(name string, depth int) (any, bool) {
	if v, ok := sc.resolved[name]; ok {
		return v, true
	}
	raw, ok := sc.vars[name]
	if !ok {
		return nil, false
	}
	if sc.active[name] {
		return exec.AsValue(&Error{Kind: Recursion, Name: name, Msg: fmt.Sprintf("recursive loop detected in template: variable '%s' refers to itself", name)}), true
	}
	sc.active[name] = true
	v, err := sc.deep(raw, depth+1)
	delete(sc.active, name)
	if err != nil {
		return exec.AsValue(err), true
	}
	v = toGonja(normalize(v)) // Unsafe strings compare as the strings they are
	sc.resolved[name] = v
	return v, true
}

// deep templates every string held in v; v itself is returned, not a
// copy, when it holds no template.
func (sc *scope) deep(v any, depth int) (any, error) {
	if !holdsTemplate(v) {
		return v, nil
	}
	switch x := v.(type) {
	case string:
		if !IsTemplate(x) {
			return x, nil
		}
		return sc.render(x, depth)
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			r, err := sc.deep(item, depth)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			r, err := sc.deep(item, depth)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case *omap.Map:
		out := omap.New(x.Len())
		for k, item := range x.All() {
			r, err := sc.deep(item, depth)
			if err != nil {
				return nil, err
			}
			out.Set(k, r)
		}
		return out, nil
	}
	return v, nil
}

// holdsTemplate reports whether v is or holds a string with Jinja2 syntax.
func holdsTemplate(v any) bool {
	switch x := v.(type) {
	case string:
		return IsTemplate(x)
	case []any:
		for _, item := range x {
			if holdsTemplate(item) {
				return true
			}
		}
	case map[string]any:
		for _, item := range x {
			if holdsTemplate(item) {
				return true
			}
		}
	case *omap.Map:
		for _, item := range x.All() {
			if holdsTemplate(item) {
				return true
			}
		}
	}
	return false
}

func (sc *scope) checkDepth(s string, depth int) error {
	if depth > maxDepth {
		return &Error{Kind: Recursion, Template: s, Msg: fmt.Sprintf("templates nest more than %d deep", maxDepth)}
	}
	return nil
}

// render is Render at a nesting depth.
func (sc *scope) render(s string, depth int) (any, error) {
	if !IsTemplate(s) {
		return s, nil
	}
	if err := sc.checkDepth(s, depth); err != nil {
		return nil, err
	}
	// Ansible passes a lone variable holding a number, a bool or None
	// through untouched.
	// Jinja2 drops one trailing newline of a template (keep_trailing_newline
	// is off): "{{ port }}\n" is still a lone variable, and a number stays a
	// number (Ansible writes copy: content="{{ port }}\n" as "8080").
	if m := reSingleVar.FindStringSubmatch(strings.TrimSuffix(s, "\n")); m != nil {
		if raw, ok := sc.vars[m[1]]; ok {
			switch raw := normalize(raw).(type) {
			case nil, bool, int, float64:
				return raw, nil
			}
		}
	}
	c, err := sc.e.compile(s, modeValue)
	if err != nil {
		return nil, err
	}
	ctx := sc.context(c.names, depth)
	if out := c.single; out != nil {
		v := sc.evaluate(out.Expression, ctx)
		if v.IsError() {
			return nil, runtimeError(s, v)
		}
		g, err := toGo(v)
		if err != nil {
			return nil, runtimeError(s, exec.AsValue(err))
		}
		if str, ok := g.(string); ok && yieldsText(out.Expression) {
			return keepNewlines(s, str), nil
		}
		if str, ok := concatOne(g).(string); ok {
			return keepNewlines(s, str), nil
		}
		return concatOne(g), nil
	}
	text, err := execute(c.t, ctx)
	if err != nil {
		return nil, runtimeError(s, exec.AsValue(err))
	}
	return literalIfLooks(keepNewlines(s, text)), nil
}

// text is RenderText at a nesting depth.
func (sc *scope) text(s string, depth int) (string, error) {
	if !IsTemplate(s) {
		return s, nil
	}
	c, err := sc.e.compile(s, modeText)
	if err != nil {
		return "", err
	}
	out, err := execute(c.t, sc.context(c.names, depth))
	if err != nil {
		return "", runtimeError(s, exec.AsValue(err))
	}
	return keepNewlines(s, out), nil
}

// eval evaluates the bare expression expr.
func (sc *scope) eval(expr string, depth int) (*exec.Value, error) {
	c, err := sc.e.compile(expr, modeExpr)
	if err != nil {
		var je *Error
		if asError(err, &je) {
			je.Template = expr
		}
		return nil, err
	}
	v := sc.evaluate(c.single.Expression, sc.context(c.names, depth))
	if v.IsError() {
		return nil, runtimeError(expr, v)
	}
	return v, nil
}

// evaluate evaluates one expression node of t. A panic of gonja (integer
// division by zero) becomes an error value.
func (sc *scope) evaluate(expr nodes.Expression, ctx *exec.Context) (v *exec.Value) {
	defer func() {
		if r := recover(); r != nil {
			v = exec.AsValue(&Error{Kind: Runtime, Msg: fmt.Sprint(r)})
		}
	}()
	loader, _ := loaders.NewMemoryLoader(map[string]string{"/t": ""})
	ev := &exec.Evaluator{
		Config: sc.e.cfg,
		Environment: &exec.Environment{
			Context:           sc.e.env.Context.Inherit().Update(ctx),
			Filters:           sc.e.env.Filters,
			Tests:             sc.e.env.Tests,
			ControlStructures: sc.e.env.ControlStructures,
			Methods:           sc.e.env.Methods,
		},
		Loader: loader,
	}
	return ev.Eval(expr)
}

// keepNewlines gives out as many trailing newlines as src has, as
// Ansible's preserve_trailing_newlines does after Jinja2 (trim_blocks)
// took the one after a closing block tag.
func keepNewlines(src, out string) string {
	trailing := func(s string) int { return len(s) - len(strings.TrimRight(s, "\n")) }
	if n := trailing(src) - trailing(out); n > 0 {
		out += strings.Repeat("\n", n)
	}
	return out
}

// execute renders t; a panic of gonja becomes an error.
func execute(t *exec.Template, ctx *exec.Context) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &Error{Kind: Runtime, Msg: fmt.Sprint(r)}
		}
	}()
	return t.ExecuteToString(ctx)
}

// conditional evaluates one condition.
func (sc *scope) conditional(c any) (bool, error) {
	switch x := c.(type) {
	case nil:
		return true, nil
	case bool:
		return x, nil
	case string:
		if x == "" {
			return true, nil
		}
		expr := x
		if IsTemplate(x) {
			r, err := sc.render(x, 0)
			if err != nil {
				return false, err
			}
			s, ok := r.(string)
			if !ok || s == "" {
				return truthy(r), nil
			}
			expr = s
		}
		v, err := sc.eval(expr, 0)
		if err != nil {
			return false, err
		}
		return v.IsTrue(), nil
	}
	return truthy(c), nil
}

// reSingleVar matches a template that is one variable name.
var reSingleVar = regexp.MustCompile(`^\{\{\s*(\w*)\s*\}\}$`)

// yieldsText reports whether expr ends with a filter whose output Ansible
// keeps as text (its STRING_TYPE_FILTERS), never read back as a literal.
func yieldsText(expr nodes.Expression) bool {
	f, ok := expr.(*nodes.FilteredExpression)
	if !ok || len(f.Filters) == 0 {
		return false
	}
	switch f.Filters[len(f.Filters)-1].Name {
	case "string", "to_json", "to_nice_json", "to_yaml", "to_nice_yaml", "ppretty", "json":
		return true
	}
	return false
}

// prepare readies s for gonja, whose lexer and parser differ from
// Jinja2's in three ways this makes up for:
//   - newlines inside {{ }} and {% %} (outside string literals) become
//     spaces, as gonja's parser stops at them;
//   - a backslash before a character Go's unquoting does not know (\d,
//     \s, \.) stays a backslash, as in Python;
//   - with escape, every backslash of a string literal inside {{ }} stays
//     a backslash, as Ansible doubles them before Jinja2 parses a task's
//     template, so that '\d' written in YAML reaches the filter as \d.
func prepare(s string, escape bool) string {
	if !strings.Contains(s, "{{") && !strings.Contains(s, "{%") || !strings.ContainsAny(s, "\\\n") {
		return s
	}
	var b strings.Builder
	var end string // "}}" or "%}" inside an expression, "" in text
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\':
			// A backslash that stays one is written \x5c: gonja's lexer
			// takes \\' for an escaped quote.
			next := byte(0)
			if i+1 < len(s) {
				next = s[i+1]
			}
			switch {
			case escape && end == "}}":
				b.WriteString(`\x5c`)
				continue
			case next == '\\':
				b.WriteString(`\x5c`)
				i++
				continue
			case next != 0 && strings.IndexByte("'\"abfnrtvxuU01234567", next) < 0:
				b.WriteString(`\x5c`)
				continue
			}
			b.WriteByte(c)
			if next != 0 {
				b.WriteByte(next)
				i++
			}
			continue
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case end == "" && (strings.HasPrefix(s[i:], "{{") || strings.HasPrefix(s[i:], "{%")):
			end = map[byte]string{'{': "}}", '%': "%}"}[s[i+1]]
			b.WriteString(s[i : i+2])
			i++
			continue
		case end != "" && strings.HasPrefix(s[i:], end):
			end = ""
			b.WriteString(s[i : i+2])
			i++
			continue
		case end != "" && (c == '\'' || c == '"'):
			quote = c
		case end != "" && (c == '\n' || c == '\r'):
			c = ' '
		}
		b.WriteByte(c)
	}
	return b.String()
}

// single returns the only node of root when it is one {{ expression }}.
func single(root *nodes.Template) (*nodes.Output, bool) {
	if root == nil || root.Parent != nil || len(root.Nodes) != 1 {
		return nil, false
	}
	out, ok := root.Nodes[0].(*nodes.Output)
	if !ok || out.Condition != nil {
		return nil, false
	}
	return out, true
}

// concatOne is ansible_eval_concat for a template that is one expression
// of value v: the text of v, read back as a Python literal when it looks
// like a list, dict or bool. Lists, dicts and bools so stay themselves,
// numbers become their text and None the empty string.
func concatOne(v any) any {
	switch x := v.(type) {
	case nil:
		return ""
	case bool, []any, map[string]any, *omap.Map:
		return x
	case string:
		return literalIfLooks(x)
	}
	return pyStr(v)
}

// literalIfLooks reads s as a Python literal when it starts with [ or { or
// is True or False, and returns s itself when it is not one.
func literalIfLooks(s string) any {
	if !strings.HasPrefix(s, "[") && !strings.HasPrefix(s, "{") && s != "True" && s != "False" {
		return s
	}
	if v, ok := parseLiteral(s); ok {
		return v
	}
	return s
}

var (
	reUndefinedName = regexp.MustCompile(`Unable to evaluate name "([^"]+)"|'(\w+)' is undefined`)
	reNoAttribute   = regexp.MustCompile(`(?:attribute|item) '*(.+?)'* not found|has no attribute '([^']+)'`)
	reOwnUndefined  = regexp.MustCompile(`sequence was empty|Mandatory variable`)
	reGonjaPrefix   = regexp.MustCompile(`^.*invalid call to (filter|test) '([^']+)': `)
)

func firstGroup(m []string) string {
	for _, g := range m[1:] {
		if g != "" {
			return g
		}
	}
	return ""
}

// runtimeError turns the error value gonja produced into an *Error.
func runtimeError(s string, v *exec.Value) error {
	var own *Error
	if err, ok := v.Interface().(error); ok && asError(err, &own) {
		return own
	}
	msg := strings.ReplaceAll(v.Error(), pyDict, "dict")
	if m := reUndefinedName.FindStringSubmatch(msg); m != nil {
		name := firstGroup(m)
		return &Error{Kind: Undefined, Name: name, Template: s, Msg: fmt.Sprintf("'%s' is undefined", name)}
	}
	if m := reNoAttribute.FindStringSubmatch(msg); m != nil {
		name := firstGroup(m)
		return &Error{Kind: Undefined, Name: name, Template: s, Msg: fmt.Sprintf("object has no attribute '%s'", name)}
	}
	kind := Runtime
	switch {
	case reOwnUndefined.MatchString(msg):
		kind = Undefined
	case strings.Contains(msg, unsupportedPrefix):
		kind = Unsupported
	}
	if m := reGonjaPrefix.FindStringSubmatch(msg); m != nil {
		msg = m[1] + " " + m[2] + ": " + msg[len(m[0]):]
	}
	return &Error{Kind: kind, Template: s, Msg: msg}
}

// isUndefined reports whether the error value v stands for an undefined
// variable or attribute.
func isUndefined(v *exec.Value) bool {
	if !v.IsError() {
		return false
	}
	var own *Error
	if err, ok := v.Interface().(error); ok && asError(err, &own) {
		return own.Kind == Undefined
	}
	msg := v.Error()
	return reUndefinedName.MatchString(msg) || reNoAttribute.MatchString(msg) || reOwnUndefined.MatchString(msg)
}

func syntaxMessage(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "failed to parse template") {
		return "template syntax error: " + msg[i+2:]
	}
	return msg
}

// gonjaPos is the position gonja appends to a syntax error.
var gonjaPos = regexp.MustCompile(`^(?s)(.*) \(Line: (\d+) Col: (\d+), (near .*)\)$`)

// syntaxError turns gonja's parse error of src into a Syntax *Error with
// the position it names.
func syntaxError(orig, src string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "failed to parse template '"+src+"': ")
	m := gonjaPos.FindStringSubmatch(msg)
	if m == nil {
		return &Error{Kind: Syntax, Template: orig, Msg: syntaxMessage(err)}
	}
	line, _ := strconv.Atoi(m[2])
	col, _ := strconv.Atoi(m[3])
	return &Error{Kind: Syntax, Template: orig, Msg: "template syntax error: " + m[1] + ", " + m[4], Line: line, Col: col}
}
