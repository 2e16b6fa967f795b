package ansiblecfg

import (
	"fmt"
	"strings"
)

// entry is one key of an INI file, at its line.
type entry struct {
	Section, Key, Value string
	Line                int
}

// parseINI reads INI text as Python's configparser does for Ansible
// (ConfigParser(inline_comment_prefixes=(';',)), strict): [section]
// headers, "key = value" or "key: value" with keys lowercased, comment
// lines starting with # or ;, inline comments after whitespace and ;,
// indented continuation lines, %% for %. A key before any section, a
// duplicate section or key is an error, as in Ansible.
func parseINI(name string, data []byte) ([]entry, error) {
	var out []entry
	section := ""
	seen := map[string]bool{}
	for i, raw := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		line := i + 1
		trimmed := strings.TrimSpace(raw)
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		if raw[0] == ' ' || raw[0] == '\t' {
			if len(out) == 0 || out[len(out)-1].Section != section || section == "" {
				return nil, fmt.Errorf("%s:%d: an indented line continues no key; hint: remove its indentation", name, line)
			}
			last := &out[len(out)-1]
			last.Value += "\n" + uncomment(trimmed)
			continue
		}
		if trimmed[0] == '[' {
			end := strings.IndexByte(trimmed, ']')
			if end < 0 {
				return nil, fmt.Errorf("%s:%d: the section header %q has no closing ]", name, line, trimmed)
			}
			section = trimmed[1:end]
			if seen["["+section] {
				return nil, fmt.Errorf("%s:%d: section [%s] appears twice; hint: merge the two", name, line, section)
			}
			seen["["+section] = true
			continue
		}
		if section == "" {
			return nil, fmt.Errorf("%s:%d: %q is outside any section; hint: put it under [defaults]", name, line, trimmed)
		}
		cut := strings.IndexAny(trimmed, "=:")
		if cut <= 0 {
			return nil, fmt.Errorf("%s:%d: %q is not key = value", name, line, trimmed)
		}
		key := strings.ToLower(strings.TrimSpace(trimmed[:cut]))
		if seen[section+"\x00"+key] {
			return nil, fmt.Errorf("%s:%d: [%s] %s is set twice; hint: keep one", name, line, section, key)
		}
		seen[section+"\x00"+key] = true
		out = append(out, entry{Section: section, Key: key, Value: uncomment(strings.TrimSpace(trimmed[cut+1:])), Line: line})
	}
	return out, nil
}

// uncomment removes an inline comment (; after whitespace) and turns %%
// into %.
func uncomment(v string) string {
	for i := 1; i < len(v); i++ {
		if v[i] == ';' && (v[i-1] == ' ' || v[i-1] == '\t') {
			v = strings.TrimSpace(v[:i])
			break
		}
	}
	return strings.ReplaceAll(v, "%%", "%")
}
