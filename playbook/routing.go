package playbook

import (
	_ "embed"
	"strings"
)

// moduleRouting is ansible-core 2.14's routing of the short module names
// that moved to collections (lib/ansible/config/ansible_builtin_runtime.yml,
// plugin_routing.modules redirects), one line per collection: the
// collection, then its short names, space-separated. Generated with:
//
//	python3 -c "import yaml,collections; d=yaml.safe_load(open('ansible_builtin_runtime.yml'))
//	by=collections.defaultdict(list)
//	[by[v['redirect'].rsplit('.',1)[0]].append(k) for k,v in d['plugin_routing']['modules'].items() if 'redirect' in v]
//	print(''.join('%s %s\n'%(c,' '.join(sorted(n))) for c,n in sorted(by.items())),end='')"
//
//go:embed module_routing.txt
var moduleRouting string

// routedCollection is the collection Ansible routes a short module name
// to (ufw: community.general), for the refusal of a module remotectl does
// not implement.
func routedCollection(short string) (string, bool) {
	for line := range strings.Lines(moduleRouting) {
		coll, names, _ := strings.Cut(strings.TrimSpace(line), " ")
		for name := range strings.FieldsSeq(names) {
			if name == short {
				return coll, true
			}
		}
	}
	return "", false
}
