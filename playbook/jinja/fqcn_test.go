package jinja

import (
	"strings"
	"testing"
)

// TestFQCNFiltersAndTests: ansible.builtin.X and ansible.legacy.X are the
// filters and tests X, as in Ansible; those of other collections are
// refused at the check naming the collection.
func TestFQCNFiltersAndTests(t *testing.T) {
	e := New()
	got, err := e.Render("{{ 'yes' | ansible.builtin.bool }} {{ [1] | ansible.legacy.to_json }} {{ 1 is ansible.builtin.truthy }}"+
		" {{ '2.1' is ansible.builtin.version('2', '>') }} {{ 'a' is not ansible.builtin.match('b') }} {{ 'x.y' | ansible.builtin.splitext | first }}", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "True [1] True True True x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for tmpl, want := range map[string]string{
		"{{ x | community.general.json_query('a') }}": "the filter community.general.json_query is in community.general, which remotectl does not implement",
		"{{ x is local.colors.blue }}":                "the test local.colors.blue is in local.colors, which remotectl does not implement",
		"{{ x is ansible.builtin.number }}":           "Ansible cannot load the test ansible.builtin.number: number is not one of ansible-core's own",
		"{{ x | ansible.builtin.first }}":             "Ansible cannot load the filter ansible.builtin.first",
	} {
		if err := e.Check(tmpl); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check(%s) = %v, want %s", tmpl, err, want)
		}
	}
	if err := e.CheckExpr("x is not community.general.a_module_test"); err == nil || !strings.Contains(err.Error(), "is in community.general") {
		t.Errorf("CheckExpr: %v", err)
	}
}

// TestLookupNamesChecked: lookup and query take ansible.builtin.NAME as
// NAME; a plugin remotectl lacks is refused by the check, before any
// connection, naming the collection of an FQCN.
func TestLookupNamesChecked(t *testing.T) {
	e := New(WithLookups(map[string]Lookup{"env": func(c LookupCall) ([]any, error) { return []any{"v:" + c.Terms[0].(string)}, nil }}))
	got, err := e.Render("{{ lookup('ansible.builtin.env', 'A') }} {{ query(\"ansible.legacy.env\", 'B') }}", nil)
	if err != nil || got != "v:A ['v:B']" {
		t.Errorf("got %q, %v", got, err)
	}
	for tmpl, want := range map[string]string{
		"{{ lookup('dig', 'x') }}":                    "remotectl does not support the lookup plugin 'dig'",
		"{{ q('community.general.dig', 'x') }}":       "the lookup community.general.dig is in community.general, which remotectl does not implement",
		"{{ lookup('ansible.builtin.nosuch', 'x') }}": "remotectl does not support the lookup plugin 'ansible.builtin.nosuch'",
	} {
		if err := e.Check(tmpl); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check(%s) = %v, want %s", tmpl, err, want)
		}
	}
	if err := e.CheckExpr("lookup('ansible.builtin.env', 'HOME') != ''"); err != nil {
		t.Errorf("CheckExpr: %v", err)
	}
}
