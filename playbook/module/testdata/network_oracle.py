"""Print ansible-core's Linux network facts for a fake /sys/class/net under
argv[1], the output of each `ip` command read from the files of argv[2]
(named by the command's arguments, spaces and slashes as underscores).

The oracle of TestNetworkFactsAsAnsible.
"""
import glob
import json
import os
import sys
import types

import ansible.module_utils.facts.network.linux as N

root, ipdir = sys.argv[1], sys.argv[2]
_gfc, _glob = N.get_file_content, glob.glob
N.get_file_content = lambda p, default=None, strip=True: _gfc(root + p, default, strip)
N.glob = types.SimpleNamespace(glob=lambda pat: [p[len(root):] for p in _glob(root + pat)])
fake_os = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if not k.startswith('__')})
fake_os.path = types.SimpleNamespace(**{k: getattr(os.path, k) for k in dir(os.path) if not k.startswith('__')})
fake_os.path.exists = lambda p: os.path.exists(root + p)
fake_os.path.isdir = lambda p: os.path.isdir(root + p)
fake_os.path.realpath = lambda p: os.path.realpath(root + p)
fake_os.readlink = lambda p: os.readlink(root + p)
N.os = fake_os


class Module:
    def get_bin_path(self, name, *a, **k):
        return '/sbin/ip' if name == 'ip' else None

    def run_command(self, args, **k):
        f = os.path.join(ipdir, ' '.join(args[1:]).replace(' ', '_').replace('/', '_'))
        if not os.path.exists(f):
            return 1, '', ''
        with open(f) as fh:
            return 0, fh.read(), ''


facts = N.LinuxNetwork(Module()).populate({})
facts['interfaces'] = sorted(facts['interfaces'])
print(json.dumps(facts))
