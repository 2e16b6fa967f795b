package jinja

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The arithmetic of Python, for the rewriter: in is the left operand,
// the first argument the right one.

func opFilters() map[string]filterFunc {
	return map[string]filterFunc{
		pyOpPrefix + "add": opAdd, pyOpPrefix + "sub": opSub, pyOpPrefix + "mul": opMul,
		pyOpPrefix + "truediv": opTrueDiv, pyOpPrefix + "floordiv": opFloorDiv,
		pyOpPrefix + "mod": opMod, pyOpPrefix + "pow": opPow,
		pyText: func(in any, _ call) (any, error) {
			if in == nil {
				return "", nil
			}
			return pyStr(in), nil
		},
	}
}

// asInt returns v as an int when it is an int or a bool.
func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func operandError(op string, a, b any) error {
	return runtimeErr("unsupported operand type(s) for %s: '%s' and '%s'", op, typeName(a), typeName(b))
}

// numeric applies an arithmetic operator to two numbers: ints give an int
// through onInt, anything with a float a float through onFloat.
func numeric(op string, a, b any, onInt func(x, y int) (any, error), onFloat func(x, y float64) (any, error)) (any, error) {
	x, xi := asInt(a)
	y, yi := asInt(b)
	if xi && yi {
		return onInt(x, y)
	}
	fx, xn := number(a)
	fy, yn := number(b)
	if xn && yn {
		return onFloat(fx, fy)
	}
	return nil, operandError(op, a, b)
}

func opAdd(a any, c call) (any, error) {
	b := c.arg(0, "", nil)
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x + y, nil
		}
		return nil, runtimeErr(`can only concatenate str (not "%s") to str`, typeName(b))
	case []any:
		if y, ok := b.([]any); ok {
			return append(append([]any{}, x...), y...), nil
		}
		return nil, runtimeErr(`can only concatenate list (not "%s") to list`, typeName(b))
	}
	return numeric("+", a, b, func(x, y int) (any, error) { return x + y, nil },
		func(x, y float64) (any, error) { return x + y, nil })
}

func opSub(a any, c call) (any, error) {
	return numeric("-", a, c.arg(0, "", nil), func(x, y int) (any, error) { return x - y, nil },
		func(x, y float64) (any, error) { return x - y, nil })
}

func opMul(a any, c call) (any, error) {
	b := c.arg(0, "", nil)
	if n, ok := asInt(b); ok {
		switch x := a.(type) {
		case string:
			return strings.Repeat(x, max(n, 0)), nil
		case []any:
			out := []any{}
			for range max(n, 0) {
				out = append(out, x...)
			}
			return out, nil
		}
	}
	if n, ok := asInt(a); ok {
		if _, isStr := b.(string); isStr {
			return opMul(b, call{args: []any{n}})
		}
		if _, isList := b.([]any); isList {
			return opMul(b, call{args: []any{n}})
		}
	}
	return numeric("*", a, b, func(x, y int) (any, error) { return x * y, nil },
		func(x, y float64) (any, error) { return x * y, nil })
}

func zeroDivision() error { return runtimeErr("division by zero") }

func opTrueDiv(a any, c call) (any, error) {
	div := func(x, y float64) (any, error) {
		if y == 0 {
			return nil, zeroDivision()
		}
		return x / y, nil
	}
	return numeric("/", a, c.arg(0, "", nil), func(x, y int) (any, error) { return div(float64(x), float64(y)) }, div)
}

func opFloorDiv(a any, c call) (any, error) {
	return numeric("//", a, c.arg(0, "", nil), func(x, y int) (any, error) {
		if y == 0 {
			return nil, runtimeErr("integer division or modulo by zero")
		}
		q := x / y
		if (x%y != 0) && ((x < 0) != (y < 0)) {
			q--
		}
		return q, nil
	}, func(x, y float64) (any, error) {
		if y == 0 {
			return nil, runtimeErr("float floor division by zero")
		}
		return math.Floor(x / y), nil
	})
}

func opMod(a any, c call) (any, error) {
	b := c.arg(0, "", nil)
	if f, ok := a.(string); ok {
		return percentFormat(f, b)
	}
	return numeric("%", a, b, func(x, y int) (any, error) {
		if y == 0 {
			return nil, runtimeErr("integer division or modulo by zero")
		}
		m := x % y
		if m != 0 && (m < 0) != (y < 0) {
			m += y
		}
		return m, nil
	}, func(x, y float64) (any, error) {
		if y == 0 {
			return nil, runtimeErr("float modulo")
		}
		m := math.Mod(x, y)
		if m != 0 && (m < 0) != (y < 0) {
			m += y
		}
		return m, nil
	})
}

func opPow(a any, c call) (any, error) {
	return numeric("**", a, c.arg(0, "", nil), func(x, y int) (any, error) {
		if y < 0 {
			return math.Pow(float64(x), float64(y)), nil
		}
		r := 1
		for range y {
			r *= x
		}
		return r, nil
	}, func(x, y float64) (any, error) { return math.Pow(x, y), nil })
}

// percentFormat is Python's printf-style str % args for the conversions
// s, r, d, i, f, x, o, e, g and %%, with flags, width and precision.
func percentFormat(f string, args any) (any, error) {
	list, isList := args.([]any)
	if !isList {
		list = []any{args}
	}
	var b strings.Builder
	next := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			b.WriteByte(f[i])
			continue
		}
		j := i + 1
		for j < len(f) && strings.IndexByte("-+ #0123456789.", f[j]) >= 0 {
			j++
		}
		if j >= len(f) {
			return nil, runtimeErr("incomplete format")
		}
		spec, verb := f[i+1:j], f[j]
		i = j
		if verb == '%' {
			b.WriteByte('%')
			continue
		}
		if next >= len(list) {
			return nil, runtimeErr("not enough arguments for format string")
		}
		arg := list[next]
		next++
		switch verb {
		case 's':
			fmt.Fprintf(&b, "%"+spec+"s", pyStr(arg))
		case 'r':
			fmt.Fprintf(&b, "%"+spec+"s", pyRepr(arg))
		case 'd', 'i', 'x', 'X', 'o':
			n, ok := asInt(arg)
			if fl, isFloat := arg.(float64); isFloat {
				n, ok = int(fl), true
			}
			if !ok {
				return nil, runtimeErr("%%%c format: a number is required, not %s", verb, typeName(arg))
			}
			v := map[byte]string{'d': "d", 'i': "d", 'x': "x", 'X': "X", 'o': "o"}[verb]
			fmt.Fprintf(&b, "%"+spec+v, n)
		case 'f', 'F', 'e', 'E', 'g', 'G':
			x, ok := number(arg)
			if !ok {
				return nil, runtimeErr("must be real number, not %s", typeName(arg))
			}
			if !strings.Contains(spec, ".") && verb != 'g' && verb != 'G' {
				spec += ".6"
			}
			fmt.Fprintf(&b, "%"+spec+string(verb), x)
		default:
			return nil, runtimeErr("unsupported format character '%c' (0x%s)", verb, strconv.FormatInt(int64(verb), 16))
		}
	}
	if next < len(list) && isList {
		return nil, runtimeErr("not all arguments converted during string formatting")
	}
	return b.String(), nil
}
