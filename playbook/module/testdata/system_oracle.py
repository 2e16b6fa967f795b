"""Print what ansible-core's Linux virtual, service_mgr or pkg_mgr collector
(argv[2]) computes on a fake root directory (argv[1]); the commands found
on the PATH are those of argv[1]/bin. argv[3] is, for service_mgr and
pkg_mgr, the facts they require as JSON.

The oracle of TestSystemFactsAsAnsible.
"""
import glob
import json
import os
import sys
import types

import ansible.module_utils.facts.system.pkg_mgr as P
import ansible.module_utils.facts.system.service_mgr as S
import ansible.module_utils.facts.utils as U
import ansible.module_utils.facts.virtual.linux as V

root, what = sys.argv[1], sys.argv[2]
collected = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
_gfc, _glob = U.get_file_content, glob.glob


def content(p, default=None, strip=True):
    return _gfc(root + p, default, strip)


def lines(p, strip=True, line_sep=None):
    data = content(p, strip=strip)
    if not data:
        return []
    if line_sep is None:
        return data.splitlines()
    return data.rstrip(line_sep).split(line_sep) if len(line_sep) == 1 else data.split(line_sep)


fake_os = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if not k.startswith('__')})
fake_os.path = types.SimpleNamespace(**{k: getattr(os.path, k) for k in dir(os.path) if not k.startswith('__')})
fake_os.path.exists = lambda p: os.path.exists(root + p)
fake_os.path.isdir = lambda p: os.path.isdir(root + p)
fake_os.path.islink = lambda p: os.path.islink(root + p)
fake_os.readlink = lambda p: os.readlink(root + p)
fake_os.access = lambda p, m: os.access(root + p, m)
for mod in (P, S, V):
    mod.os = fake_os
    if hasattr(mod, 'get_file_content'):
        mod.get_file_content = content
    if hasattr(mod, 'get_file_lines'):
        mod.get_file_lines = lines
V.glob = types.SimpleNamespace(glob=lambda pat: [p[len(root):] for p in _glob(root + pat)])


class Module:
    def get_bin_path(self, name, *a, **k):
        p = '/bin/' + name
        return p if os.path.exists(root + p) else None

    def run_command(self, *a, **k):
        return 1, '', ''


if what == 'virtual':
    facts = V.LinuxVirtual(Module()).get_virtual_facts()
    facts['virtualization_tech_guest'] = sorted(facts['virtualization_tech_guest'])
    facts['virtualization_tech_host'] = sorted(facts['virtualization_tech_host'])
elif what == 'service_mgr':
    facts = S.ServiceMgrFactCollector().collect(module=Module(), collected_facts=collected)
elif what == 'pkg_mgr':
    facts = P.PkgMgrFactCollector().collect(module=Module(), collected_facts=collected)
print(json.dumps(facts))
