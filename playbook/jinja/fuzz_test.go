package jinja

import "testing"

// FuzzRender checks that no template makes the engine panic or hang:
// every input renders or fails with an error.
func FuzzRender(f *testing.F) {
	for _, c := range oracleCases {
		f.Add(c)
	}
	e, vars := New(), oracleVars()
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := e.Render(s, vars); err != nil && err.Error() == "" {
			t.Errorf("%q: empty error", s)
		}
		_, _ = e.RenderText(s, vars)
		_, _ = e.Conditional(s, vars)
		_ = e.Check(s)
	})
}
