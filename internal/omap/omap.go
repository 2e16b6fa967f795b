// Package omap is the ordered mapping of Ansible's values: a map from
// strings to values that keeps its keys in the order they were first
// inserted, as Python's dict (3.7+) does. Playbook values read from YAML
// and JSON and the dicts built by Jinja2 templates are *Map, so that
// iterating them (a {% for %} loop, with_dict, to_json) follows the order
// the user wrote, as ansible-playbook does.
package omap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Map is an ordered mapping from strings to values. The zero value is not
// usable: create one with New. A Map is not safe for concurrent writes;
// values shared between hosts are copied before they are changed.
type Map struct {
	keys []string
	vals map[string]any
}

// New returns an empty Map with room for n keys.
func New(n int) *Map {
	return &Map{keys: make([]string, 0, n), vals: make(map[string]any, n)}
}

// FromMap returns a Map of m's entries, keys sorted (a Go map keeps no
// order; sorted is what remotectl shows for maps that have none).
func FromMap(m map[string]any) *Map {
	out := New(len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out.Set(k, m[k])
	}
	return out
}

// Len is the number of keys.
func (m *Map) Len() int { return len(m.keys) }

// Get returns the value at key k.
func (m *Map) Get(k string) (any, bool) {
	v, ok := m.vals[k]
	return v, ok
}

// Has reports whether k is a key of m.
func (m *Map) Has(k string) bool {
	_, ok := m.vals[k]
	return ok
}

// Set sets the value at k: a new key goes last, an existing key keeps its
// place, as in Python.
func (m *Map) Set(k string, v any) {
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

// Delete removes key k.
func (m *Map) Delete(k string) {
	if _, ok := m.vals[k]; !ok {
		return
	}
	delete(m.vals, k)
	m.keys = slices.DeleteFunc(m.keys, func(x string) bool { return x == k })
}

// Keys returns the keys in order; the caller must not modify the slice.
func (m *Map) Keys() []string { return m.keys }

// All yields the entries in order.
func (m *Map) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for _, k := range m.keys {
			if !yield(k, m.vals[k]) {
				return
			}
		}
	}
}

// Clone returns a shallow copy of m.
func (m *Map) Clone() *Map {
	return &Map{keys: slices.Clone(m.keys), vals: maps.Clone(m.vals)}
}

// ToMap returns m's entries as a plain map (shallow).
func (m *Map) ToMap() map[string]any {
	return maps.Clone(m.vals)
}

// String writes m as fmt writes a Go map, keys in order:
// map[k1:v1 k2:v2].
func (m *Map) String() string {
	var b strings.Builder
	b.WriteString("map[")
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%v:%v", k, m.vals[k])
	}
	b.WriteByte(']')
	return b.String()
}

// MarshalJSON writes m as a JSON object, keys in order.
func (m *Map) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kj, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vj, err := json.Marshal(m.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(kj)
		b.WriteByte(':')
		b.Write(vj)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// As returns v as a Map when it is a mapping: a *Map itself, a plain
// map[string]any as a new Map with sorted keys.
func As(v any) (*Map, bool) {
	switch x := v.(type) {
	case *Map:
		return x, true
	case map[string]any:
		return FromMap(x), true
	}
	return nil, false
}

// Plain returns v with every *Map in it, at any depth, turned into a
// map[string]any, for code where order does not matter (module
// arguments). Lists and maps are copied only when they hold a *Map.
func Plain(v any) any {
	switch x := v.(type) {
	case *Map:
		out := make(map[string]any, len(x.keys))
		for k, item := range x.vals {
			out[k] = Plain(item)
		}
		return out
	case map[string]any:
		if !holdsMap(x) {
			return x
		}
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[k] = Plain(item)
		}
		return out
	case []any:
		if !holdsMap(x) {
			return x
		}
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = Plain(item)
		}
		return out
	}
	return v
}

// PlainMap is Plain for a map of values (a module's arguments).
func PlainMap(m map[string]any) map[string]any {
	return Plain(m).(map[string]any)
}

// Holds reports whether v is or holds a *Map, at any depth.
func Holds(v any) bool { return holdsMap(v) }

// holdsMap reports whether v holds a *Map at any depth.
func holdsMap(v any) bool {
	switch x := v.(type) {
	case *Map:
		return true
	case map[string]any:
		for _, item := range x {
			if holdsMap(item) {
				return true
			}
		}
	case []any:
		for _, item := range x {
			if holdsMap(item) {
				return true
			}
		}
	}
	return false
}

// DecodeJSON reads one JSON value from data as Ansible's json.loads does,
// objects as *Map in the order written (a key written twice keeps its
// first place and its last value, as Python's dict), numbers as int when
// they are whole and fit, float64 otherwise.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("extra data after the JSON value at offset %d", dec.InputOffset())
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := New(0)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				m.Set(kt.(string), v)
			}
			_, err := dec.Token()
			return m, err
		case '[':
			l := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := dec.Token()
			return l, err
		}
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return int(n), nil
		}
		return t.Float64()
	}
	return tok, nil
}

// SortedKeys returns m's keys sorted, for the outputs Ansible sorts
// (to_nice_json, to_yaml).
func SortedKeys(m *Map) []string {
	keys := slices.Clone(m.keys)
	sort.Strings(keys)
	return keys
}
