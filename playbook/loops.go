package playbook

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/remotectl/remotectl/internal/omap"
	"github.com/remotectl/remotectl/playbook/jinja"
)

// loopPlugin turns the (templated) terms of with_NAME: into the loop's
// items, as Ansible's lookup plugin NAME; s finds relative controller
// paths.
type loopPlugin func(terms any, s fileSearch) ([]any, error)

// loopPlugins are the with_NAME loops (and lookup('NAME') plugins)
// remotectl implements.
var loopPlugins = map[string]loopPlugin{
	"list":          func(t any, _ fileSearch) ([]any, error) { return asList(t), nil },
	"items":         func(t any, _ fileSearch) ([]any, error) { return flattenOnce(asList(t)), nil },
	"flattened":     func(t any, _ fileSearch) ([]any, error) { return flattenAll(asList(t)), nil },
	"indexed_items": loopIndexed,
	"dict":          loopDict,
	"together":      loopTogether,
	"nested":        loopNested,
	"cartesian":     loopNested,
	"sequence":      loopSequence,
	"subelements":   loopSubelements,
	"fileglob":      loopFileglob,
	"first_found":   loopFirstFound,
	"file":          loopFile,
}

// asList is terms as a list: a list, or one term.
func asList(t any) []any {
	switch x := t.(type) {
	case []any:
		return x
	case nil:
		return []any{}
	}
	return []any{t}
}

func flattenOnce(items []any) []any {
	out := make([]any, 0, len(items))
	for _, it := range items {
		if l, ok := it.([]any); ok {
			out = append(out, l...)
		} else {
			out = append(out, it)
		}
	}
	return out
}

func flattenAll(items []any) []any {
	var out []any
	for _, it := range items {
		if l, ok := it.([]any); ok {
			out = append(out, flattenAll(l)...)
		} else {
			out = append(out, it)
		}
	}
	return out
}

func loopIndexed(t any, _ fileSearch) ([]any, error) {
	items := flattenOnce(asList(t))
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = []any{i, it}
	}
	return out, nil
}

// loopDict is with_dict: {key, value} per entry, in the dict's order.
func loopDict(t any, _ fileSearch) ([]any, error) {
	var out []any
	for _, term := range asList(t) {
		m, ok := dictOf(term)
		if !ok {
			return nil, fmt.Errorf("with_dict expects a dict, got %s", jinja.String(term))
		}
		for k, v := range m.All() {
			item := omap.New(2)
			item.Set("key", k)
			item.Set("value", v)
			out = append(out, item)
		}
	}
	return out, nil
}

func loopTogether(t any, _ fileSearch) ([]any, error) {
	lists := asList(t)
	n := 0
	for _, l := range lists {
		n = max(n, len(asList(l)))
	}
	out := make([]any, n)
	for i := range out {
		row := make([]any, len(lists))
		for j, l := range lists {
			if items := asList(l); i < len(items) {
				row[j] = items[i]
			}
		}
		out[i] = row
	}
	return out, nil
}

func loopNested(t any, _ fileSearch) ([]any, error) {
	out := []any{[]any{}}
	for _, l := range asList(t) {
		var next []any
		for _, prefix := range out {
			for _, it := range asList(l) {
				next = append(next, append(slices.Clone(prefix.([]any)), it))
			}
		}
		out = next
	}
	return out, nil
}

// sequenceShortcut is with_sequence's short form: [start-]end[/stride][:format].
var sequenceShortcut = regexp.MustCompile(`^(?:(-?[0-9a-fA-Fx]+)-)?(-?[0-9a-fA-Fx]+)(?:/(-?[0-9a-fA-Fx]+))?(?::(.+))?$`)

func loopSequence(t any, _ fileSearch) ([]any, error) {
	var out []any
	for _, term := range asList(t) {
		start, end, stride, count, format := 1, 0, 1, -1, "%d"
		s := strings.TrimSpace(jinja.String(term))
		if m := sequenceShortcut.FindStringSubmatch(s); m != nil && !strings.Contains(s, "=") {
			if m[1] != "" {
				start = parseSeqInt(m[1])
			}
			end = parseSeqInt(m[2])
			if m[3] != "" {
				stride = parseSeqInt(m[3])
			}
			if m[4] != "" {
				format = m[4]
			}
		} else {
			opts, raw := parseKV(s, false)
			if raw != "" {
				return nil, fmt.Errorf("with_sequence: cannot read %q", raw)
			}
			for k, v := range opts {
				vs := jinja.String(v)
				switch k {
				case "start":
					start = parseSeqInt(vs)
				case "end":
					end = parseSeqInt(vs)
				case "stride":
					stride = parseSeqInt(vs)
				case "count":
					count = parseSeqInt(vs)
				case "format":
					format = vs
				default:
					return nil, fmt.Errorf("with_sequence: unrecognized arguments to with_sequence: %s", k)
				}
			}
		}
		if count >= 0 {
			end = start + (count-1)*stride
			if count == 0 {
				continue
			}
		}
		if stride == 0 {
			return nil, fmt.Errorf("with_sequence: stride must not be 0")
		}
		for i := start; (stride > 0 && i <= end) || (stride < 0 && i >= end); i += stride {
			out = append(out, fmt.Sprintf(format, i))
		}
	}
	return out, nil
}

func parseSeqInt(s string) int {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 0, 64)
	if err != nil {
		return 0
	}
	return int(n)
}

// loopSubelements is with_subelements: [list, 'key'] (or [list, 'key',
// {skip_missing: true}]) → [item, subitem] pairs.
func loopSubelements(t any, _ fileSearch) ([]any, error) {
	terms := asList(t)
	if len(terms) < 2 {
		return nil, fmt.Errorf("subelements lookup expects a list of two or three items")
	}
	key := jinja.String(terms[1])
	skip := false
	if len(terms) > 2 {
		if f, ok := plainDict(terms[2]); ok {
			skip, _ = f["skip_missing"].(bool)
		}
	}
	var out []any
	for _, item := range asList(terms[0]) {
		if _, ok := dictOf(item); !ok {
			return nil, fmt.Errorf("subelements lookup expects a list of dicts")
		}
		sub := item
		for _, part := range strings.Split(key, ".") {
			sm, _ := plainDict(sub)
			v, ok := sm[part]
			if !ok {
				if skip {
					sub = nil
					break
				}
				return nil, fmt.Errorf("could not find '%s' key in iterated item '%s'", key, jinja.String(item))
			}
			sub = v
		}
		if sub == nil {
			continue
		}
		for _, s := range asList(sub) {
			out = append(out, []any{item, s})
		}
	}
	return out, nil
}
