package playbook

import (
	"reflect"
	"testing"
)

func TestParseKV(t *testing.T) {
	for _, tc := range []struct {
		in       string
		checkRaw bool
		opts     map[string]any
		raw      string
	}{
		{"src=a dest=b", false, map[string]any{"src": "a", "dest": "b"}, ""},
		{`dest=/etc/x content="a b c" mode=0644`, false, map[string]any{"dest": "/etc/x", "content": "a b c", "mode": "0644"}, ""},
		{"ls -l chdir=/tmp creates=/x", true, map[string]any{"chdir": "/tmp", "creates": "/x"}, "ls -l"},
		{"echo a=b chdir=/tmp", true, map[string]any{"chdir": "/tmp"}, "echo a=b"},
		{`echo "{{ x | default('a b') }}" 'c d'`, true, map[string]any{}, `echo "{{ x | default('a b') }}" 'c d'`},
		{"msg={{ a ~ ' ' ~ b }}", false, map[string]any{"msg": "{{ a ~ ' ' ~ b }}"}, ""},
		{"echo x\\=y", false, map[string]any{}, "echo x=y"},
		{"one\ntwo three", true, map[string]any{}, "one\ntwo three"},
	} {
		opts, raw := parseKV(tc.in, tc.checkRaw)
		if !reflect.DeepEqual(opts, tc.opts) || raw != tc.raw {
			t.Errorf("parseKV(%q) = %v, %q; want %v, %q", tc.in, opts, raw, tc.opts, tc.raw)
		}
	}
}

// parse_kv decodes escapes in k=v values (content="a\n" is a newline) and
// leaves free-form words as written.
func TestParseKVEscapes(t *testing.T) {
	opts, raw := parseKV(`content="a\tb\n" dest=/tmp/x`, false)
	if opts["content"] != "a\tb\n" || opts["dest"] != "/tmp/x" || raw != "" {
		t.Errorf("copy k=v: %q %q", opts, raw)
	}
	opts, raw = parseKV(`printf "a\nb" chdir=/tmp`, true)
	if raw != `printf "a\nb"` || opts["chdir"] != "/tmp" {
		t.Errorf("shell free-form: %q %q", opts, raw)
	}
}
