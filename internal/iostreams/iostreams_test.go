package iostreams

import "testing"

func TestColorEnabled(t *testing.T) {
	env := map[string]string{}
	s := &Streams{OutTTY: true, Getenv: func(k string) string { return env[k] }}
	if !s.ColorEnabled("auto") || !s.ColorEnabled("always") || s.ColorEnabled("never") {
		t.Error("on a terminal: auto and always colour, never does not")
	}
	env["NO_COLOR"] = "1"
	if s.ColorEnabled("auto") || !s.ColorEnabled("always") {
		t.Error("NO_COLOR: auto does not colour, always does")
	}
	delete(env, "NO_COLOR")
	s.OutTTY = false
	if s.ColorEnabled("auto") {
		t.Error("auto coloured a pipe")
	}
}
