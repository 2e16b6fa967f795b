package yamlnode

import (
	"strconv"
	"strings"
)

// TemplateError shortens the error of a text/template held in a YAML
// scalar and named after the scalar's position: the message is shown after
// that position already, and the line and column within the value say
// little. It drops the "template: name:line:col: " prefix and the
// `executing "name" ` that execution errors repeat.
func TemplateError(name string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "template: "+name+":")
	for range 2 { // "line:" then, for execution errors, "col:"
		if i := strings.Index(msg, ":"); i > 0 && isDigits(msg[:i]) {
			msg = strings.TrimPrefix(msg[i+1:], " ")
		}
	}
	if rest, ok := strings.CutPrefix(msg, "executing "+strconv.Quote(name)+" "); ok {
		msg = rest
	}
	return msg
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
