package module

import (
	"regexp"
	"testing"
)

var editKeys = []string{"msg", "found", "rc"}

const confText = "# config\nport = 80\nhost = a\n#listen 1\n[main]\nuser = x\n"

func TestLineinfileAsAnsible(t *testing.T) {
	conf := layout(map[string]string{"f.conf": confText, "noeol": "a\nb"})
	p := func(d string, kv ...any) map[string]any {
		m := map[string]any{"path": d + "/f.conf"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	runOracleCases(t, []fsCase{
		{name: "regexp replaces with mode", module: "lineinfile", setup: conf, check: true, diff: true, keys: editKeys,
			args: func(d string) map[string]any {
				return p(d, "regexp", `^port\s*=`, "line", "port = 8080", "mode", "0600")
			}},
		{name: "insertafter regexp", module: "lineinfile", setup: conf, keys: editKeys,
			args: func(d string) map[string]any { return p(d, "line", "extra = 1", "insertafter", `^\[main\]`) }},
		{name: "absent regexp backup", module: "lineinfile", setup: conf, diff: true, keys: editKeys,
			args: func(d string) map[string]any { return p(d, "regexp", "^#", "state", "absent", "backup", true) }},
		{name: "backrefs match", module: "lineinfile", setup: conf, keys: editKeys,
			args: func(d string) map[string]any {
				return p(d, "regexp", `^#listen (?P<n>\d+)$`, "line", `listen \g<n>0 \1`, "backrefs", true)
			}},
		{name: "line appended after no eol", module: "lineinfile", setup: conf, keys: editKeys,
			args: func(d string) map[string]any { return map[string]any{"path": d + "/noeol", "line": "c"} }},
		{name: "create in new dir", module: "lineinfile", setup: conf, check: true, diff: true, keys: editKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/new/sub/x.conf", "line": "k=v", "create": true, "mode": "0640"}
			}},
	})
}

func TestBlockinfileAsAnsible(t *testing.T) {
	managed := confText + "# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\ntail\n"
	conf := layout(map[string]string{"f.conf": confText, "m.conf": managed})
	runOracleCases(t, []fsCase{
		{name: "insert at EOF", module: "blockinfile", setup: conf, check: true, diff: true, keys: editKeys,
			args: func(d string) map[string]any { return map[string]any{"path": d + "/f.conf", "block": "a = 1\nb = 2"} }},
		{name: "replace existing block backup", module: "blockinfile", setup: conf, diff: true, keys: editKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/m.conf", "content": "new\n", "backup": true}
			}},
		{name: "absent removes", module: "blockinfile", setup: conf, keys: editKeys,
			args: func(d string) map[string]any { return map[string]any{"path": d + "/m.conf", "state": "absent"} }},
		{name: "custom marker insertbefore", module: "blockinfile", setup: conf, keys: editKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/f.conf", "block": "z", "marker": "; {mark} mine", "marker_begin": "start",
					"marker_end": "stop", "insertbefore": `^\[main\]`}
			}},
		{name: "create new file", module: "blockinfile", setup: conf, diff: true, keys: editKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/n.conf", "block": "q", "create": true}
			}},
	})
}

func TestReplaceAsAnsible(t *testing.T) {
	conf := layout(map[string]string{"f.conf": confText})
	runOracleCases(t, []fsCase{
		{name: "groups after section", module: "replace", setup: conf, check: true, diff: true, keys: editKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/f.conf", "regexp": `^(?P<k>\w+) = (x)$`, "replace": `\g<k> = \2y`, "after": `\[main\]`}
			}},
		{name: "before no match", module: "replace", setup: conf, keys: editKeys,
			args: func(d string) map[string]any {
				return map[string]any{"path": d + "/f.conf", "regexp": "a", "before": "nothere"}
			}},
		{name: "missing", module: "replace", setup: conf, keys: editKeys,
			args: func(d string) map[string]any { return map[string]any{"path": d + "/none", "regexp": "a"} }},
	})
}

func TestPyExpand(t *testing.T) {
	re := regexp.MustCompile(`(?P<k>\w+)=(\d+)`)
	src := "port=80"
	m := re.FindStringSubmatchIndex(src)
	if got := pyExpand(re, `\g<k>: \2\n\\\g<2>`, src, m); got != "port: 80\n\\80" {
		t.Errorf("pyExpand: %q", got)
	}
	if _, err := compilePy("regexp", `foo(?=bar)`, ""); err == nil {
		t.Error("a lookahead is refused")
	}
}
