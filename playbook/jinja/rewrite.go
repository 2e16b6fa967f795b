package jinja

import (
	"reflect"

	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// rewriter adjusts a parsed template where gonja's evaluation differs
// from Python's, by replacing nodes with calls of the engine's own
// filters:
//   - arithmetic (+ - * / // % **) goes through Python's rules (int
//     floor division, str + int is an error, 'fmt' % args);
//   - the arguments of Ansible's filters may be undefined: they reach the
//     filter as undefined values instead of failing the call, so
//     x | default(y) works while y is undefined;
//   - a method called on a parenthesised expression ((x | f).split())
//     gets its receiver;
//   - dict(...) calls the engine's, which keeps the order of its keys
//     (dict.go);
//   - with text set, each {{ }} of a template that is not one expression
//     is written as Python's str() of its value (” for None).
type rewriter struct {
	text bool
	seen map[uintptr]bool
	// calls collects the filters and tests the template calls.
	filters, tests []string
}

// Names of the engine's internal filters the rewriter calls.
const (
	undefinedOK = "__remotectl_undefined_ok__"
	pyText      = "__remotectl_text__"
	pyOpPrefix  = "__remotectl_op_"
)

// pyOps maps Jinja2's arithmetic operators to their filters' suffixes.
var pyOps = map[string]string{"+": "add", "-": "sub", "*": "mul", "/": "truediv", "//": "floordiv", "%": "mod", "**": "pow"}

var (
	exprType  = reflect.TypeFor[nodes.Expression]()
	tokenType = reflect.TypeFor[*tokens.Token]()
	outType   = reflect.TypeFor[nodes.Output]()
)

// rewrite adjusts the template root in place and returns the rewriter,
// which lists the filters and tests called.
func rewrite(root *nodes.Template, text bool) *rewriter {
	rw := &rewriter{text: text, seen: map[uintptr]bool{}}
	rw.walk(reflect.ValueOf(root))
	return rw
}

func (rw *rewriter) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || v.Type() == tokenType || rw.seen[v.Pointer()] {
			return
		}
		rw.seen[v.Pointer()] = true
		rw.walk(v.Elem())
	case reflect.Interface:
		if !v.IsNil() {
			rw.walk(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				rw.field(f)
			}
		}
		switch call := v.Addr().Interface().(type) {
		case *nodes.FilterCall:
			rw.filters = append(rw.filters, call.Name)
		case *nodes.TestCall:
			rw.tests = append(rw.tests, call.Name)
		}
		if v.Type() == outType && rw.text {
			out := v.Addr().Interface().(*nodes.Output)
			out.Expression = filtered(out.Expression, pyText)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			rw.field(v.Index(i))
		}
	case reflect.Map:
		if v.Type().Elem() != exprType {
			return
		}
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			rw.walk(e)
			v.SetMapIndex(k, reflect.ValueOf(rw.expr(e.Interface().(nodes.Expression))))
		}
	}
}

// field walks a settable value, replacing it when it is an expression.
func (rw *rewriter) field(f reflect.Value) {
	rw.walk(f)
	if f.Type() == exprType && !f.IsNil() {
		f.Set(reflect.ValueOf(rw.expr(f.Interface().(nodes.Expression))))
	}
}

// expr returns the replacement of an expression whose children are done.
func (rw *rewriter) expr(e nodes.Expression) nodes.Expression {
	switch n := e.(type) {
	case *nodes.BinaryExpression:
		if op, ok := pyOps[n.Operator.Token.Val]; ok {
			return &nodes.FilteredExpression{Expression: n.Left, Filters: []*nodes.FilterCall{{
				Token: n.Operator.Token, Name: pyOpPrefix + op, Args: []nodes.Expression{n.Right},
				Kwargs: map[string]nodes.Expression{},
			}}}
		}
	case *nodes.Call:
		if ga, ok := n.Func.(*nodes.GetAttribute); ok && n.Parent == nil && ga.Attribute != "" {
			n.Parent = ga.Node
		}
		return dictCall(n)
	case *nodes.FilteredExpression:
		for _, f := range n.Filters {
			if !lazyArgs[f.Name] {
				continue
			}
			for i, a := range f.Args {
				f.Args[i] = filtered(a, undefinedOK)
			}
			for k, a := range f.Kwargs {
				f.Kwargs[k] = filtered(a, undefinedOK)
			}
		}
	}
	return e
}

// lazyArgs are the filters whose arguments may be undefined until used.
var lazyArgs = map[string]bool{"default": true, "d": true, "ternary": true, "mandatory": true}

func filtered(e nodes.Expression, filter string) nodes.Expression {
	return &nodes.FilteredExpression{Expression: e, Filters: []*nodes.FilterCall{{
		Name: filter, Args: []nodes.Expression{}, Kwargs: map[string]nodes.Expression{},
	}}}
}
