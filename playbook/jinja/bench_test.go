package jinja

import "testing"

func BenchmarkRender(b *testing.B) {
	e := New()
	vars := oracleVars()
	for b.Loop() {
		if _, err := e.Render("/srv/{{ users | selectattr('admin') | map(attribute='name') | join('-') }}/{{ num + 1 }}", vars); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConditional(b *testing.B) {
	e := New()
	vars := oracleVars()
	for b.Loop() {
		if _, err := e.Conditional("ok_result is changed and num > 40", vars); err != nil {
			b.Fatal(err)
		}
	}
}
