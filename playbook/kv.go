package playbook

import (
	"regexp"
	"strconv"
	"strings"
)

// rawParamKeys are the k=v names a free-form module (command, shell,
// script, raw) takes from its command line; other k=v words stay in the
// command, as Ansible's parse_kv(check_raw=True).
var rawParamKeys = []string{"creates", "removes", "chdir", "executable", "warn", "stdin", "stdin_add_newline", "strip_empty_ends"}

// parseKV parses a free-form argument string as Ansible's parse_kv:
// k=v words (values unquoted) are options; the other words, joined as
// written, are the free-form text ("" when none). With checkRaw only the
// rawParamKeys are options.
func parseKV(s string, checkRaw bool) (map[string]any, string) {
	opts := map[string]any{}
	var raw []argWord
	for _, w := range splitArgs(s) {
		orig := w
		w.text = decodeEscapes(w.text)
		pos := equalsIndex(w.text)
		switch {
		case !strings.Contains(w.text, "="): // free-form text stays as written
			raw = append(raw, orig)
			continue
		case pos < 0: // only escaped equals signs
			w.text = strings.ReplaceAll(w.text, `\=`, "=")
			raw = append(raw, w)
			continue
		}
		k, v := w.text[:pos], w.text[pos+1:]
		if checkRaw && !contains(rawParamKeys, k) {
			raw = append(raw, orig)
			continue
		}
		opts[strings.TrimSpace(k)] = unquote(strings.TrimSpace(v))
	}
	return opts, joinArgs(raw)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// equalsIndex is the index of the first = not escaped by a backslash and
// not at the start, -1 when none.
func equalsIndex(w string) int {
	for i := 1; i < len(w); i++ {
		if w[i] == '=' && w[i-1] != '\\' {
			return i
		}
	}
	return -1
}

// argWord is a word of a free-form argument and whether a newline came
// before it (join_args keeps the lines).
type argWord struct {
	text    string
	newline bool
}

// splitArgs splits s on spaces as Ansible's split_args: quoted strings
// and Jinja2 blocks ({{ }}, {% %}, {# #}) stay whole, quotes kept.
func splitArgs(s string) []argWord {
	var out []argWord
	var cur strings.Builder
	var quote byte
	depth := 0
	newline := false
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, argWord{text: cur.String(), newline: newline})
			cur.Reset()
			newline = false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			cur.WriteByte(c)
			if c == quote && (i == 0 || s[i-1] != '\\') {
				quote = 0
			}
		case depth == 0 && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			flush()
			if c == '\n' && len(out) > 0 {
				newline = true
			}
		case c == '"' || c == '\'':
			quote = c
			cur.WriteByte(c)
		case c == '{' && i+1 < len(s) && strings.IndexByte("{%#", s[i+1]) >= 0:
			depth++
			cur.WriteString(s[i : i+2])
			i++
		case depth > 0 && strings.IndexByte("}%#", c) >= 0 && i+1 < len(s) && s[i+1] == '}':
			depth--
			cur.WriteString(s[i : i+2])
			i++
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// joinArgs joins words as Ansible's join_args: by spaces, or newlines where
// the text had them.
func joinArgs(words []argWord) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			if w.newline {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(w.text)
	}
	return b.String()
}

// unquote removes one pair of matching quotes around s.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] && (len(s) < 3 || s[len(s)-2] != '\\') {
		return s[1 : len(s)-1]
	}
	return s
}

// escapeSequence matches the escapes Ansible's parse_kv decodes in each
// word (_decode_escapes): \U, \u and \x hex escapes and the one-letter
// ones. \N{name} is left as written.
var escapeSequence = regexp.MustCompile(`\\U[0-9a-fA-F]{8}|\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|\\[\\'"abfnrtv]`)

// decodeEscapes is parse_kv's _decode_escapes: content="a\n" holds a newline.
func decodeEscapes(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return escapeSequence.ReplaceAllStringFunc(s, func(m string) string {
		switch m[1] {
		case 'U', 'u', 'x':
			n, _ := strconv.ParseUint(m[2:], 16, 32)
			return string(rune(n))
		}
		return map[byte]string{'\\': `\`, '\'': "'", '"': `"`, 'a': "\a", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t", 'v': "\v"}[m[1]]
	})
}
