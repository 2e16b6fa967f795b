package jinja

import (
	"testing"

	"github.com/remotectl/remotectl/internal/omap"
)

// orderedVars are variables holding dicts whose keys are neither sorted
// nor case-insensitively sorted, as a playbook's YAML gives them.
func orderedVars() map[string]any {
	inner := omap.New(0)
	inner.Set("y", 1)
	inner.Set("x", 2)
	d := omap.New(0)
	d.Set("zeta", 1)
	d.Set("Alpha", 2)
	d.Set("inner", inner)
	return map[string]any{"d": d, "empty": omap.New(0), "plain": map[string]any{"b": 1, "a": 2}}
}

// TestDictOrder: every way of iterating a dict follows its order, as
// Python's (the playbook's differential tests check the same against
// ansible-playbook); the outputs Ansible sorts stay sorted.
func TestDictOrder(t *testing.T) {
	cases := map[string]string{
		"{% for k in d %}{{ k }},{% endfor %}":                                      "zeta,Alpha,inner,",
		"{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}":                   "zeta=1;Alpha=2;inner={'y': 1, 'x': 2};",
		"{{ d.keys() | list }}":                                                     "['zeta', 'Alpha', 'inner']",
		"{{ d.values() | list }}":                                                   "[1, 2, {'y': 1, 'x': 2}]",
		"{{ d | list }}":                                                            "['zeta', 'Alpha', 'inner']",
		"{{ d | first }}":                                                           "zeta",
		"{{ d }}":                                                                   "{'zeta': 1, 'Alpha': 2, 'inner': {'y': 1, 'x': 2}}",
		"{{ d | to_json }}":                                                         `{"zeta": 1, "Alpha": 2, "inner": {"y": 1, "x": 2}}`,
		"{{ d | to_nice_json(indent=1) }}":                                          "{\n \"Alpha\": 2,\n \"inner\": {\n  \"x\": 2,\n  \"y\": 1\n },\n \"zeta\": 1\n}",
		"{{ d | to_yaml }}":                                                         "Alpha: 2\ninner: {x: 2, y: 1}\nzeta: 1\n",
		"{{ d | dictsort }}":                                                        "[['Alpha', 2], ['inner', {'y': 1, 'x': 2}], ['zeta', 1]]",
		"{{ d | dict2items | map(attribute='key') | list }}":                        "['zeta', 'Alpha', 'inner']",
		"{{ d | dict2items | reverse | items2dict | list }}":                        "['inner', 'Alpha', 'zeta']",
		"{{ d | combine({'new': 1, 'zeta': 5}) }}":                                  "{'zeta': 5, 'Alpha': 2, 'inner': {'y': 1, 'x': 2}, 'new': 1}",
		"{{ d | combine({'inner': {'z': 1, 'y': 3}}, recursive=True) }}":            "{'zeta': 1, 'Alpha': 2, 'inner': {'y': 3, 'x': 2, 'z': 1}}",
		"{{ {} | combine(d) | list }}":                                              "['zeta', 'Alpha', 'inner']",
		"{{ {'b': 1, 'a': 2} }}":                                                    "{'b': 1, 'a': 2}",
		"{% for k in {'b': 1, 'a': 2} %}{{ k }}{% endfor %}":                        "ba",
		"{{ dict(b=1, a=2, c=1 + 1) }}":                                             "{'b': 1, 'a': 2, 'c': 2}",
		"{{ dict(['b', 'a'] | zip([1, 2])) }}":                                      "{'b': 1, 'a': 2}",
		"{{ dict(d, new=1) | list }}":                                               "['zeta', 'Alpha', 'inner', 'new']",
		"{{ d.get('inner') | list }}":                                               "['y', 'x']",
		"{{ d.get('missing', 7) }}":                                                 "7",
		"{{ d.copy() | list }}":                                                     "['zeta', 'Alpha', 'inner']",
		"{{ [d | length, 'Alpha' in d, 'alpha' in d, d.inner.x] }}":                 "[3, True, False, 2]",
		"{{ ('{\"b\": 1, \"a\": 2}' | from_json) | list }}":                         "['b', 'a']",
		"{{ ('b: 1\\na: 2' | from_yaml) | list }}":                                  "['b', 'a']",
		"{% if empty %}yes{% else %}no{% endif %}{{ empty | bool }}{{ not empty }}": "noFalseTrue",
		"{{ plain | list }}":                                                        "['a', 'b']",
		"{% set x = {'z': 0} %}{% set _ = x.update({'b': 2, 'a': 1}) %}{{ x }}":     "{'z': 0, 'b': 2, 'a': 1}",
		"{% set x = {'z': 0, 'y': 1} %}{{ x.pop('z') }} {{ x }} {{ x.setdefault('q', 5) }} {{ x }}":  "0 {'y': 1} 5 {'y': 1, 'q': 5}",
		"{% set x = {'a': 1} %}{{ x.pop('b', 'dflt') }}{% set _ = x.clear() %}{{ x }}":               "dflt{}",
		"{% set x = {} %}{% for k in ['b', 'a'] %}{% set _ = x.update({k: 1}) %}{% endfor %}{{ x }}": "{'b': 1, 'a': 1}",
	}
	e := New()
	for src, want := range cases {
		got, err := e.RenderText(src, orderedVars())
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
	v, err := e.Render("{{ {'b': 1, 'a': 2} }}", nil)
	if m, ok := v.(*omap.Map); err != nil || !ok || m.Keys()[0] != "b" {
		t.Errorf("a dict literal renders as %#v, %v; want a *omap.Map in order", v, err)
	}
}
