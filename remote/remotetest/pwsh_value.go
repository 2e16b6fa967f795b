package remotetest

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Values of the PowerShell simulator: nil ($null), bool, int64, float64,
// string, []any (object[]), []byte (byte[]), *psHash (hashtable, ordered),
// *psObject (PSCustomObject and the objects cmdlets return), time.Time
// (DateTime), *psScript (script block), psTypeLit ([Type]).

// psHash is a hashtable with case-insensitive keys that keeps its order.
type psHash struct {
	keys []string
	vals map[string]any // by lower-case key
}

func newPSHash() *psHash { return &psHash{vals: map[string]any{}} }

func (h *psHash) get(k string) (any, bool) { v, ok := h.vals[strings.ToLower(k)]; return v, ok }

func (h *psHash) set(k string, v any) {
	lk := strings.ToLower(k)
	if _, ok := h.vals[lk]; !ok {
		h.keys = append(h.keys, k)
	}
	h.vals[lk] = v
}

func (h *psHash) remove(k string) {
	lk := strings.ToLower(k)
	delete(h.vals, lk)
	h.keys = slices.DeleteFunc(h.keys, func(s string) bool { return strings.ToLower(s) == lk })
}

// psObject is an object with named properties (case-insensitive), a type
// name, and optionally setters and methods.
type psObject struct {
	typ     string // e.g. System.Management.Automation.PSCustomObject
	props   *psHash
	str     string                                   // its ToString(); "" means the type's default
	setter  func(name string, v any) error           // property assignment; nil: properties are added
	methods map[string]func(args []any) (any, error) // by lower-case name
}

func newPSObject(typ string) *psObject { return &psObject{typ: typ, props: newPSHash()} }

// psEnum is a .NET enum value (a service's Status...): its name as a
// string, its number in JSON.
type psEnum struct {
	typ, name string
	val       int64
}

// psCustomTyp is the type name of [pscustomobject]s.
const psCustomTyp = "System.Management.Automation.PSCustomObject"

// psString is PowerShell's conversion of a value to a string.
func psString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', 15, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = psString(e)
		}
		return strings.Join(parts, " ")
	case []byte:
		return "System.Byte[]"
	case *psHash:
		return "System.Collections.Hashtable"
	case time.Time:
		return x.Format("01/02/2006 15:04:05")
	case *psObject:
		if x.str != "" {
			return x.str
		}
		if x.typ == psCustomTyp {
			parts := make([]string, len(x.props.keys))
			for i, k := range x.props.keys {
				v, _ := x.props.get(k)
				parts[i] = k + "=" + psString(v)
			}
			return "@{" + strings.Join(parts, "; ") + "}"
		}
		return x.typ
	case *psScript:
		return "{ script block }"
	case psTypeLit:
		return x.name
	case psEnum:
		return x.name
	}
	return fmt.Sprint(v)
}

// psBool is PowerShell's conversion of a value to a boolean.
func psBool(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		switch len(x) {
		case 0:
			return false
		case 1:
			return psBool(x[0])
		}
		return true
	}
	return true
}

// psNumber converts a value to a number (int64 or float64).
func psNumber(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return int64(0), nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case int64, float64:
		return x, nil
	case int:
		return int64(x), nil
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return int64(0), nil
		}
		if n, ok := parsePSNumber(s); ok {
			return n, nil
		}
	}
	return nil, fmt.Errorf("Cannot convert value \"%s\" to type \"System.Int32\".", psString(v))
}

func psFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// psUnroll is what a pipeline sends on for a value: the elements of an
// array, nothing for $null... as PowerShell enumerates.
func psUnroll(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

// psCollapse is the value of a pipeline's output: $null for none, the
// object for one, an array for more.
func psCollapse(out []any) any {
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// psEqual compares as -eq does: the right operand converted to the left's
// type, strings case-insensitively.
func psEqual(l, r any) bool {
	switch x := l.(type) {
	case nil:
		return r == nil
	case string:
		if r == nil {
			return false
		}
		return strings.EqualFold(x, psString(r))
	case bool:
		return x == psBool(r)
	case int64, float64:
		n, err := psNumber(r)
		if err != nil || r == nil {
			return false
		}
		return psFloat(x) == psFloat(n)
	case time.Time:
		t, ok := r.(time.Time)
		return ok && x.Equal(t)
	case psEnum:
		if n, isInt := r.(int64); isInt {
			return x.val == n
		}
		return strings.EqualFold(x.name, psString(r))
	}
	return l == r
}

// psCompare orders l and r (-lt, -gt...): numbers numerically, the rest
// as case-insensitive strings.
func psCompare(l, r any) (int, error) {
	switch x := l.(type) {
	case int64, float64:
		n, err := psNumber(r)
		if err != nil {
			return 0, err
		}
		a, b := psFloat(x), psFloat(n)
		switch {
		case a < b:
			return -1, nil
		case a > b:
			return 1, nil
		}
		return 0, nil
	case time.Time:
		if t, ok := r.(time.Time); ok {
			return x.Compare(t), nil
		}
	}
	return strings.Compare(strings.ToLower(psString(l)), strings.ToLower(psString(r))), nil
}

// psLike matches PowerShell wildcards (* ? [...]) case-insensitively.
func psLike(s, pattern string) bool {
	s, pattern = strings.ToLower(s), strings.ToLower(pattern)
	var match func(si, pi int) bool
	match = func(si, pi int) bool {
		for pi < len(pattern) {
			switch pattern[pi] {
			case '*':
				for k := si; k <= len(s); k++ {
					if match(k, pi+1) {
						return true
					}
				}
				return false
			case '?':
				if si >= len(s) {
					return false
				}
			case '[':
				end := strings.IndexByte(pattern[pi:], ']')
				if end < 0 || si >= len(s) || !strings.ContainsRune(pattern[pi+1:pi+end], rune(s[si])) {
					return false
				}
				pi += end
			default:
				if si >= len(s) || s[si] != pattern[pi] {
					return false
				}
			}
			si, pi = si+1, pi+1
		}
		return si == len(s)
	}
	return match(0, 0)
}
