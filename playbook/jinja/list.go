package jinja

import (
	"cmp"
	"reflect"
	"slices"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Python's lists are objects: `{% set l = [] %}` names one, and
// `l.append(x)` changes it wherever it is seen from, a {% for %} body
// included, the idiom templates use to collect values:
//
//	{% set ips = [] %}{% for h in groups.web %}{% set _ = ips.append(hostvars[h].ip) %}{% endfor %}
//
// gonja holds a list as a Go slice, copied into each value that reads it,
// and writes a method's result back into the innermost scope only, which
// a loop's body drops at the end of each pass. So a list that {% set %}
// names is kept boxed (*[]any, which gonja reads through as a list), as
// are the lists directly in it (a list of lists, a dict of lists) and the
// lists put in a list or a dict by a method (append, update, setdefault),
// and the list methods change the box in place. A list reached any other way
// (a variable, a literal, a filter's result) is changed in a copy, which
// gonja writes back to the name the method was called on, as before.

// boxedSet is gonja's {% set name = expr %}, keeping a list it stores
// boxed.
type boxedSet struct {
	exec.ControlStructure
	name string // the target when it is a plain name
}

// boxedSetParser parses {% set %} as gonja does and boxes its lists.
func boxedSetParser(base parser.ControlStructureParser) parser.ControlStructureParser {
	return func(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
		name := ""
		if tok := args.Current(); tok != nil && tok.Type == tokens.Name && args.Peek(tokens.Assign) != nil {
			name = tok.Val
		}
		cs, err := base(p, args)
		if err != nil {
			return nil, err
		}
		ecs, ok := cs.(exec.ControlStructure)
		if !ok || name == "" {
			return cs, nil
		}
		return &boxedSet{ControlStructure: ecs, name: name}, nil
	}
}

func (s *boxedSet) Execute(r *exec.Renderer, tag *nodes.ControlStructureBlock) error {
	if err := s.ControlStructure.Execute(r, tag); err != nil {
		return err
	}
	v, ok := r.Environment.Context.Get(s.name)
	if !ok {
		return nil
	}
	_, wasList := unboxedList(v)
	if b := boxDeep(exec.ToValue(v), boxDepth); wasList {
		r.Environment.Context.Set(s.name, b.Interface())
	}
	return nil
}

// boxDepth is how deep {% set %} boxes the lists of the value it names:
// the nested literals templates write ({'a': [], 'b': [[0]]}), not a
// whole hostvars.
const boxDepth = 4

// boxDeep boxes v (boxed) and the lists and dicts in it, depth levels
// down: dicts' values are boxed in place.
func boxDeep(v *exec.Value, depth int) *exec.Value {
	if depth == 0 {
		return v
	}
	switch x := v.Interface().(type) {
	case *exec.Dict:
		for _, p := range x.Pairs {
			p.Value = boxDeep(p.Value, depth-1)
		}
		return v
	case *[]any:
		for i := range *x {
			(*x)[i] = boxDeep(exec.ToValue((*x)[i]), depth-1).Interface()
		}
		return v
	}
	if list, ok := unboxedList(v.Interface()); ok {
		for i := range list {
			list[i] = boxDeep(exec.ToValue(list[i]), depth-1).Interface()
		}
		return exec.ToValue(&list)
	}
	return v
}

// boxed is v, a list boxed: a list put in a list or a dict stays the one
// object its methods change, as in Python.
func boxed(v *exec.Value) *exec.Value {
	if list, ok := unboxedList(v.Interface()); ok {
		return exec.ToValue(&list)
	}
	return v
}

// unboxedList is v as a new []any when v is a list that is not boxed.
func unboxedList(v any) ([]any, bool) {
	if _, boxed := v.(*[]any); boxed || v == nil {
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// listOf is the list a method was called on: the box itself, or a copy
// of an unboxed list with a box of its own.
func listOf(self *exec.Value) *[]any {
	if p, ok := self.Interface().(*[]any); ok {
		return p
	}
	list, _ := unboxedList(self.Interface())
	if list == nil {
		list = []any{}
	}
	return &list
}

// listMethod is one of Python's list methods on the list's elements.
type listMethod func(list *[]any, params *exec.VarArgs) (any, error)

// listMethods are Python's list methods, in place on a boxed list. On an
// unboxed one the changed copy replaces the method's receiver, which
// gonja writes back to a name in scope.
func listMethods() *exec.MethodSet[[]any] {
	own := map[string]listMethod{
		"append": func(l *[]any, params *exec.VarArgs) (any, error) {
			if len(params.Args) != 1 || len(params.KwArgs) > 0 {
				return nil, runtimeErr("list.append() takes exactly one argument (%d given)", len(params.Args))
			}
			*l = append(*l, boxed(params.Args[0]).Interface())
			return nil, nil
		},
		"extend": func(l *[]any, params *exec.VarArgs) (any, error) {
			if len(params.Args) != 1 || len(params.KwArgs) > 0 {
				return nil, runtimeErr("list.extend() takes exactly one argument (%d given)", len(params.Args))
			}
			items, err := iterItems(params.Args[0])
			if err != nil {
				return nil, err
			}
			*l = append(*l, items...)
			return nil, nil
		},
		"insert": func(l *[]any, params *exec.VarArgs) (any, error) {
			if len(params.Args) != 2 || !params.Args[0].IsInteger() {
				return nil, runtimeErr("list.insert() takes an integer index and an object")
			}
			i := pyIndexClamp(params.Args[0].Integer(), len(*l))
			*l = slices.Insert(*l, i, boxed(params.Args[1]).Interface())
			return nil, nil
		},
		"pop": func(l *[]any, params *exec.VarArgs) (any, error) {
			if len(*l) == 0 {
				return nil, runtimeErr("pop from empty list")
			}
			i := len(*l) - 1
			if len(params.Args) > 0 {
				if !params.Args[0].IsInteger() {
					return nil, runtimeErr("'%s' object cannot be interpreted as an integer", typeNameOf(params.Args[0]))
				}
				i = params.Args[0].Integer()
				if i < 0 {
					i += len(*l)
				}
				if i < 0 || i >= len(*l) {
					return nil, runtimeErr("pop index out of range")
				}
			}
			item := (*l)[i]
			*l = slices.Delete(*l, i, i+1)
			return item, nil
		},
		"remove": func(l *[]any, params *exec.VarArgs) (any, error) {
			if len(params.Args) != 1 {
				return nil, runtimeErr("list.remove() takes exactly one argument (%d given)", len(params.Args))
			}
			i, err := listIndex(*l, params.Args[0])
			if err != nil {
				return nil, err
			}
			if i < 0 {
				return nil, runtimeErr("list.remove(x): x not in list")
			}
			*l = slices.Delete(*l, i, i+1)
			return nil, nil
		},
		"clear": func(l *[]any, params *exec.VarArgs) (any, error) {
			*l = (*l)[:0]
			return nil, params.Take()
		},
		"reverse": func(l *[]any, params *exec.VarArgs) (any, error) {
			slices.Reverse(*l)
			return nil, params.Take()
		},
		"sort": func(l *[]any, params *exec.VarArgs) (any, error) {
			if len(params.Args) > 0 {
				return nil, runtimeErr("sort() takes no positional arguments")
			}
			type item struct{ plain, orig any }
			items := make([]item, len(*l))
			for i, orig := range *l {
				g, err := toGo(exec.ToValue(orig))
				if err != nil {
					return nil, err
				}
				items[i] = item{g, orig}
			}
			sign := 1
			if rev, ok := params.KwArgs["reverse"]; ok && rev.IsTrue() {
				sign = -1 // still stable, as Python's
			}
			var sortErr error
			slices.SortStableFunc(items, func(a, b item) int {
				c, err := pyCompare(a.plain, b.plain)
				sortErr = cmp.Or(sortErr, err)
				return sign * c
			})
			if sortErr != nil {
				return nil, sortErr
			}
			for i, it := range items {
				(*l)[i] = it.orig
			}
			return nil, nil
		},
		"index": func(l *[]any, params *exec.VarArgs) (any, error) {
			if len(params.Args) < 1 {
				return nil, runtimeErr("index expected at least 1 argument, got 0")
			}
			i, err := listIndex(*l, params.Args[0])
			if err != nil {
				return nil, err
			}
			if i < 0 {
				g, _ := toGo(params.Args[0])
				return nil, runtimeErr("%s is not in list", pyRepr(g))
			}
			return i, nil
		},
		"count": func(l *[]any, params *exec.VarArgs) (any, error) {
			if len(params.Args) != 1 {
				return nil, runtimeErr("list.count() takes exactly one argument (%d given)", len(params.Args))
			}
			x, err := toGo(params.Args[0])
			if err != nil {
				return nil, err
			}
			n := 0
			for _, item := range *l {
				if g, err := toGo(exec.ToValue(item)); err == nil && pyEqual(g, x) {
					n++
				}
			}
			return n, nil
		},
		"copy": func(l *[]any, params *exec.VarArgs) (any, error) {
			return slices.Clone(*l), params.Take()
		},
	}
	all := map[string]exec.Method[[]any]{}
	for name, fn := range own {
		all[name] = func(_ []any, self *exec.Value, params *exec.VarArgs) (any, error) {
			list := listOf(self)
			res, err := fn(list, params)
			if _, boxed := self.Interface().(*[]any); !boxed && err == nil {
				*self = *exec.ToValue(*list)
			}
			return res, err
		}
	}
	return exec.NewMethodSet(all)
}

// iterItems are the items Python's iteration of v gives: a list's, a
// string's characters, a dict's keys.
func iterItems(v *exec.Value) ([]any, error) {
	if !v.IsIterable() {
		return nil, runtimeErr("'%s' object is not iterable", typeNameOf(v))
	}
	var out []any
	v.Iterate(func(_, _ int, key, _ *exec.Value) bool {
		out = append(out, boxed(key).Interface())
		return true
	}, func() {})
	return out, nil
}

// listIndex is the index of the first item equal to x (Python's ==), or -1.
func listIndex(l []any, x *exec.Value) (int, error) {
	want, err := toGo(x)
	if err != nil {
		return -1, err
	}
	for i, item := range l {
		if g, err := toGo(exec.ToValue(item)); err == nil && pyEqual(g, want) {
			return i, nil
		}
	}
	return -1, nil
}

// pyIndexClamp is list.insert's index: negative from the end, clamped to
// the list.
func pyIndexClamp(i, n int) int {
	if i < 0 {
		i += n
	}
	return max(0, min(i, n))
}
