package jinja

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// The filters that apply a test, a filter or an attribute to each item
// (map, select, reject, selectattr, rejectattr) work on gonja values, so
// that a missing attribute is an undefined item, as in Jinja2: dropped by
// select('defined'), an error when it reaches the output.

// items returns the items of a list (the keys of a dict).
func items(in *exec.Value) ([]*exec.Value, error) {
	if !in.IsIterable() {
		return nil, runtimeErr("'%s' object is not iterable", in.String())
	}
	var out []*exec.Value
	in.Iterate(func(_, _ int, key, _ *exec.Value) bool {
		out = append(out, key)
		return true
	}, func() {})
	return out, nil
}

// getAttr is Jinja2's environment.getattr with dotted paths ("a.b", "0");
// a missing attribute gives an undefined value.
func getAttr(v *exec.Value, attr string) *exec.Value {
	for _, part := range strings.Split(attr, ".") {
		if u, ok := v.Interface().(undefined); ok {
			return exec.AsValue(u)
		}
		var next *exec.Value
		found := false
		if n, err := strconv.Atoi(part); err == nil && v.IsList() {
			next, found = v.GetItem(n)
		} else if v.IsDict() {
			next, found = v.GetItem(part)
		}
		if !found {
			return exec.AsValue(undefined{err: &Error{Kind: Undefined, Name: part,
				Msg: fmt.Sprintf("'%s object' has no attribute '%s'", typeNameOf(v), part)}})
		}
		v = next
	}
	return v
}

func typeNameOf(v *exec.Value) string {
	switch {
	case v.IsDict():
		return "dict"
	case v.IsList():
		return "list"
	case v.IsString():
		return "str"
	case v.IsInteger():
		return "int"
	}
	return "object"
}

// rest returns params without its first n positional arguments.
func rest(params *exec.VarArgs, n int) *exec.VarArgs {
	out := &exec.VarArgs{Args: []*exec.Value{}, KwArgs: map[string]*exec.Value{}}
	if len(params.Args) > n {
		out.Args = params.Args[n:]
	}
	for k, v := range params.KwArgs {
		out.KwArgs[k] = v
	}
	return out
}

// values wraps gonja values into a list value.
func values(vs []*exec.Value) *exec.Value {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return exec.AsValue(out)
}

// filterMap is Jinja2's map(attribute=, default=) and map(filter, *args).
func filterMap(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	list, err := items(in)
	if err != nil {
		return exec.AsValue(err)
	}
	out := make([]*exec.Value, 0, len(list))
	if attr, ok := params.KwArgs["attribute"]; ok {
		def, hasDefault := params.KwArgs["default"]
		for _, item := range list {
			v := getAttr(item, attr.String())
			if _, missing := v.Interface().(undefined); missing && hasDefault {
				v = def
			}
			out = append(out, v)
		}
		return values(out)
	}
	if len(params.Args) == 0 {
		return exec.AsValue(runtimeErr("map requires a filter name or attribute="))
	}
	name, args := params.Args[0].String(), rest(params, 1)
	for _, item := range list {
		v := e.ExecuteFilterByName(name, item, args)
		if v.IsError() {
			return v
		}
		out = append(out, v)
	}
	return values(out)
}

// truth is Jinja2's bool() of a value; an undefined one is an error.
func truth(v *exec.Value) (bool, error) {
	if u, ok := v.Interface().(undefined); ok {
		return false, u.err
	}
	if v.IsError() {
		return false, v.Interface().(error)
	}
	return v.IsTrue(), nil
}

// selectItems keeps the items whose (attribute's) test result is want.
func selectItems(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs, byAttr, want bool) *exec.Value {
	if in.IsError() {
		return in
	}
	list, err := items(in)
	if err != nil {
		return exec.AsValue(err)
	}
	skip := 0
	attr := ""
	if byAttr {
		if len(params.Args) == 0 {
			return exec.AsValue(runtimeErr("selectattr/rejectattr require an attribute name"))
		}
		attr, skip = params.Args[0].String(), 1
	}
	out := []*exec.Value{}
	for _, item := range list {
		v := item
		if byAttr {
			v = getAttr(item, attr)
		}
		var ok bool
		if len(params.Args) > skip {
			r := e.ExecuteTestByName(params.Args[skip].String(), v, rest(params, skip+1))
			if r.IsError() {
				return r
			}
			ok = r.IsTrue()
		} else if ok, err = truth(v); err != nil {
			return exec.AsValue(err)
		}
		if ok == want {
			out = append(out, item)
		}
	}
	return values(out)
}

func filterSelect(e *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
	return selectItems(e, in, p, false, true)
}

func filterReject(e *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
	return selectItems(e, in, p, false, false)
}

func filterSelectAttr(e *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
	return selectItems(e, in, p, true, true)
}

func filterRejectAttr(e *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
	return selectItems(e, in, p, true, false)
}
