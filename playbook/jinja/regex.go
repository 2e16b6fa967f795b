package jinja

import (
	"fmt"
	"regexp"
	"strings"
)

// compilePython compiles a Python regular expression with Go's RE2. What
// RE2 cannot run (lookaround, backreferences, atomic groups, conditionals)
// is refused with an Unsupported error naming the construct; \Z becomes
// \z. ignorecase and multiline are re.I and re.M.
func compilePython(pattern string, ignorecase, multiline bool) (*regexp.Regexp, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			n := pattern[i+1]
			i++
			switch {
			case inClass:
				b.WriteByte(c)
				b.WriteByte(n)
			case n >= '1' && n <= '9':
				return nil, unsupportedRegex(pattern, "backreference \\"+string(n))
			case n == 'Z':
				b.WriteString(`\z`)
			default:
				b.WriteByte(c)
				b.WriteByte(n)
			}
		case inClass:
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
			if strings.HasPrefix(pattern[i+1:], "^]") {
				b.WriteString("^]")
				i += 2
			} else if strings.HasPrefix(pattern[i+1:], "]") {
				b.WriteString("]")
				i++
			}
		case c == '(' && strings.HasPrefix(pattern[i:], "(?"):
			rest := pattern[i+2:]
			for _, bad := range []struct{ prefix, what string }{
				{"=", "lookahead (?=...)"}, {"!", "negative lookahead (?!...)"},
				{"<=", "lookbehind (?<=...)"}, {"<!", "negative lookbehind (?<!...)"},
				{"P=", "backreference (?P=name)"}, {">", "atomic group (?>...)"},
				{"(", "conditional group (?(...)...)"}, {"#", "comment group (?#...)"},
			} {
				if strings.HasPrefix(rest, bad.prefix) {
					return nil, unsupportedRegex(pattern, bad.what)
				}
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	flags := ""
	if ignorecase {
		flags += "i"
	}
	if multiline {
		flags += "m"
	}
	src := b.String()
	if flags != "" {
		src = "(?" + flags + ")" + src
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, unsupported("regular expression %q: %v", pattern, err)
	}
	return re, nil
}

func unsupportedRegex(pattern, what string) error {
	return unsupported("regular expression %q: it uses a %s, which Go's RE2 engine cannot run; rewrite it without", pattern, what)
}

// pythonReplacement turns a re.sub replacement (\1, \g<name>, \g<1>,
// \n) into a regexp.Expand template.
func pythonReplacement(repl string) string {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(repl):
			n := repl[i+1]
			switch {
			case n >= '0' && n <= '9':
				j := i + 2
				if j < len(repl) && repl[j] >= '0' && repl[j] <= '9' {
					j++
				}
				b.WriteString("${" + repl[i+1:j] + "}")
				i = j - 1
			case n == 'g' && i+2 < len(repl) && repl[i+2] == '<':
				end := strings.IndexByte(repl[i:], '>')
				if end < 0 {
					b.WriteByte(c)
					continue
				}
				b.WriteString("${" + repl[i+3:i+end] + "}")
				i += end
			case n == 'n':
				b.WriteByte('\n')
				i++
			case n == 't':
				b.WriteByte('\t')
				i++
			case n == '\\':
				b.WriteByte('\\')
				i++
			default:
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func regexFlags(c call, first int) (bool, bool) {
	return truthy(c.arg(first, "ignorecase", false)), truthy(c.arg(first+1, "multiline", false))
}

// filterRegexReplace is Ansible's regex_replace(pattern, replacement=”,
// ignorecase=False, multiline=False).
func filterRegexReplace(in any, c call) (any, error) {
	ic, ml := regexFlags(c, 2)
	re, err := compilePython(pyStr(c.arg(0, "pattern", "")), ic, ml)
	if err != nil {
		return nil, err
	}
	tmpl := pythonReplacement(pyStr(c.arg(1, "replacement", "")))
	s := pyStr(in)
	limit := -1
	if n, ok := c.kw["count"].(int); ok && n > 0 {
		limit = n
	}
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, limit) {
		b.WriteString(s[last:m[0]])
		b.Write(re.ExpandString(nil, tmpl, s, m))
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// filterRegexSearch is Ansible's regex_search(regex, *groups,
// ignorecase=False, multiline=False): the match, the listed groups
// ('\\1', '\\g<name>') or None.
func filterRegexSearch(in any, c call) (any, error) {
	if len(c.args) == 0 {
		return nil, runtimeErr("regex_search requires a regular expression")
	}
	ic, ml := truthy(c.kw["ignorecase"]), truthy(c.kw["multiline"])
	re, err := compilePython(pyStr(c.args[0]), ic, ml)
	if err != nil {
		return nil, err
	}
	var groups []string
	for _, a := range c.args[1:] {
		s := pyStr(a)
		switch {
		case strings.HasPrefix(s, `\g<`) && strings.HasSuffix(s, ">"):
			groups = append(groups, s[3:len(s)-1])
		case strings.HasPrefix(s, `\`) && isDigits(s[1:]):
			groups = append(groups, s[1:])
		default:
			return nil, runtimeErr("Unknown argument")
		}
	}
	s := pyStr(in)
	m := re.FindStringSubmatchIndex(s)
	if m == nil {
		return nil, nil
	}
	if len(groups) == 0 {
		return s[m[0]:m[1]], nil
	}
	out := []any{}
	for _, g := range groups {
		idx := re.SubexpIndex(g)
		if isDigits(g) {
			fmt.Sscan(g, &idx)
		}
		if idx < 0 || 2*idx+1 >= len(m) {
			return nil, runtimeErr("no such group: %s", g)
		}
		if m[2*idx] < 0 {
			out = append(out, nil)
		} else {
			out = append(out, s[m[2*idx]:m[2*idx+1]])
		}
	}
	return out, nil
}

// filterRegexFindall is Python's re.findall: the matches, the group of a
// one-group pattern, or lists of groups.
func filterRegexFindall(in any, c call) (any, error) {
	ml, ic := truthy(c.arg(1, "multiline", false)), truthy(c.arg(2, "ignorecase", false))
	re, err := compilePython(pyStr(c.arg(0, "regex", "")), ic, ml)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, m := range re.FindAllStringSubmatch(pyStr(in), -1) {
		switch len(m) {
		case 1:
			out = append(out, m[0])
		case 2:
			out = append(out, m[1])
		default:
			out = append(out, strList(m[1:]))
		}
	}
	return out, nil
}
