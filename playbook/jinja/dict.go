package jinja

import (
	"sort"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// pyDict is the name of the engine's dict(): the rewriter turns every
// call dict(...) into pyDict(...) with the keyword arguments as a last
// positional dict literal, in the order they are written (gonja hands a
// function its keyword arguments as a Go map, which has none).
const pyDict = "__remotectl_dict__"

// dictCall rewrites dict(...) as pyDict(..., {kwargs}).
func dictCall(n *nodes.Call) nodes.Expression {
	name, ok := n.Func.(*nodes.Name)
	if !ok || name.Name.Val != "dict" || n.Parent != nil {
		return n
	}
	names := make([]string, 0, len(n.Kwargs))
	for k := range n.Kwargs {
		names = append(names, k)
	}
	sort.SliceStable(names, func(i, j int) bool { return sourcePos(n.Kwargs[names[i]]) < sourcePos(n.Kwargs[names[j]]) })
	kw := &nodes.Dict{Token: n.Location, Pairs: make([]*nodes.Pair, 0, len(names))}
	for _, k := range names {
		key := &nodes.String{Location: &tokens.Token{Type: tokens.String, Val: k, Pos: sourcePos(n.Kwargs[k])}, Val: k}
		kw.Pairs = append(kw.Pairs, &nodes.Pair{Key: key, Value: n.Kwargs[k]})
	}
	fn := &nodes.Name{Name: &tokens.Token{Type: tokens.Name, Val: pyDict, Pos: name.Name.Pos, Line: name.Name.Line, Col: name.Name.Col}}
	return &nodes.Call{Location: n.Location, Func: fn, Args: append(append([]nodes.Expression{}, n.Args...), kw), Kwargs: map[string]nodes.Expression{}}
}

// sourcePos is where an expression starts in the template, -1 unknown.
func sourcePos(e nodes.Expression) int {
	if e == nil {
		return -1
	}
	if t := e.Position(); t != nil {
		return t.Pos
	}
	return -1
}

// dictFunc is Python's dict(): dict(), dict(mapping), dict(iterable of
// pairs), then the keyword arguments (its last argument, as dictCall
// passes them), keys in the order they come.
func dictFunc(_ *exec.Evaluator, params *exec.VarArgs) *exec.Value {
	if len(params.Args) == 0 || len(params.Args) > 2 {
		return exec.AsValue(runtimeErr("dict expected at most 1 argument, got %d", len(params.Args)-1))
	}
	out := &exec.Dict{}
	set := func(k, v *exec.Value) {
		for _, p := range out.Pairs {
			if p.Key.EqualValueTo(k) {
				p.Value = v
				return
			}
		}
		out.Pairs = append(out.Pairs, &exec.Pair{Key: k, Value: v})
	}
	if len(params.Args) == 2 {
		if err := dictItems(params.Args[0], set); err != nil {
			return exec.AsValue(err)
		}
	}
	if err := dictItems(params.Args[len(params.Args)-1], set); err != nil {
		return exec.AsValue(err)
	}
	if len(out.Pairs) == 0 {
		return exec.AsValue(map[string]any{})
	}
	return exec.AsValue(out)
}

// dictItems calls set for each key and value of a mapping, or of an
// iterable of pairs.
func dictItems(src *exec.Value, set func(k, v *exec.Value)) error {
	if src.IsError() {
		return src.Interface().(error)
	}
	if u, ok := src.Interface().(undefined); ok {
		return u.err
	}
	if src.IsDict() {
		src.Iterate(func(_, _ int, k, v *exec.Value) bool {
			set(k, v)
			return true
		}, func() {})
		return nil
	}
	if !src.IsIterable() || src.IsString() && src.Len() > 0 {
		return runtimeErr("'%s' object is not iterable", typeNameOf(src))
	}
	var err error
	src.Iterate(func(i, _ int, item, _ *exec.Value) bool {
		if !item.IsList() || item.Len() != 2 {
			err = runtimeErr("dictionary update sequence element #%d has length %d; 2 is required", i, item.Len())
			return false
		}
		set(item.Index(0), item.Index(1))
		return true
	}, func() {})
	return err
}
