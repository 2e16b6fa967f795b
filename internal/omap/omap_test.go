package omap

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

func TestMapKeepsInsertionOrder(t *testing.T) {
	m := New(0)
	m.Set("b", 1)
	m.Set("a", 2)
	m.Set("c", 3)
	m.Set("b", 4) // an existing key keeps its place, as in Python
	m.Delete("a")
	m.Delete("missing")
	m.Set("a", 5) // a key set again after a delete goes last
	if got := fmt.Sprint(m.Keys()); got != "[b c a]" {
		t.Errorf("keys = %s, want [b c a]", got)
	}
	if v, _ := m.Get("b"); v != 4 {
		t.Errorf("b = %v, want 4", v)
	}
	if m.String() != "map[b:4 c:3 a:5]" {
		t.Errorf("String = %s", m)
	}
	b, err := json.Marshal(m)
	if err != nil || string(b) != `{"b":4,"c":3,"a":5}` {
		t.Errorf("json = %s, %v", b, err)
	}
}

func TestDecodeJSONAndPlain(t *testing.T) {
	v, err := DecodeJSON([]byte(`{"z": {"y": 1, "x": [1.5, {"q": null, "p": true}]}, "a": "s", "z2": 10}`))
	if err != nil {
		t.Fatal(err)
	}
	m := v.(*Map)
	if got := fmt.Sprint(m.Keys()); got != "[z a z2]" {
		t.Errorf("keys = %s", got)
	}
	inner, _ := m.Get("z")
	if got := fmt.Sprint(inner.(*Map).Keys()); got != "[y x]" {
		t.Errorf("inner keys = %s", got)
	}
	want := map[string]any{"z": map[string]any{"y": 1, "x": []any{1.5, map[string]any{"q": nil, "p": true}}}, "a": "s", "z2": 10}
	if got := Plain(m); !reflect.DeepEqual(got, want) {
		t.Errorf("Plain = %#v, want %#v", got, want)
	}
	if !Holds([]any{1, m}) || Holds([]any{1, map[string]any{"a": 1}}) {
		t.Error("Holds is wrong")
	}
	for _, bad := range []string{`{"a": 1} x`, `{"a": }`, ``} {
		if _, err := DecodeJSON([]byte(bad)); err == nil {
			t.Errorf("DecodeJSON(%q) accepted", bad)
		}
	}
}

func TestAsSortsPlainMaps(t *testing.T) {
	m, ok := As(map[string]any{"b": 1, "a": 2, "B": 3})
	if !ok || fmt.Sprint(m.Keys()) != "[B a b]" {
		t.Errorf("As = %v %v", m, ok)
	}
	if _, ok := As([]any{}); ok {
		t.Error("a list is not a mapping")
	}
}
