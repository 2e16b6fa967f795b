"""Print what one of ansible-core's Linux fact collectors computes from the
files of a fake root directory (argv[1]); argv[2] names the collector part:
cpu (argv[3] is the ansible_architecture fact), memory, dns, cmdline,
mounts (findmnt and lsblk print root/findmnt.out and root/lsblk.out; the
statvfs numbers of a mount point are those of root/statvfs.json).

The oracle of TestFactParsersAsAnsible: Debian's ansible-core runs its own
code, every file it reads taken from the fake root instead of /.
"""
import json
import os
import sys
import types

import ansible.module_utils.facts.hardware.linux as L
import ansible.module_utils.facts.system.cmdline as CL
import ansible.module_utils.facts.system.dns as DNS

root, what = sys.argv[1], sys.argv[2]


def content(p, default=None, strip=True):
    return _gfc(root + p, default, strip)


def lines(p, *a, **k):
    return _gfl(root + p, *a, **k)


_gfc, _gfl = L.get_file_content, L.get_file_lines
fake_os = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if not k.startswith('__')})
fake_os.path = types.SimpleNamespace(**{k: getattr(os.path, k) for k in dir(os.path) if not k.startswith('__')})
fake_os.path.exists = lambda p: os.path.exists(root + p)
fake_os.access = lambda p, m: os.access(root + p, m)
fake_os.sched_getaffinity = lambda pid: set(range(4))
for mod in (L, CL, DNS):
    mod.get_file_content, mod.get_file_lines = content, lines
L.os = fake_os

class Module:
    def get_bin_path(self, name, *a, **k):
        return '/bin/' + name if os.path.exists(root + '/' + name + '.out') else None

    def run_command(self, args, **k):
        name = os.path.basename(args[0] if isinstance(args, list) else args.split()[0])
        with open(root + '/' + name + '.out') as fh:
            return 0, fh.read(), ''

    def warn(self, msg):
        pass


def mount_size(mount):
    with open(root + '/statvfs.json') as fh:
        return json.load(fh).get(mount, {})


L.get_mount_size = mount_size

if what == 'mounts':
    facts = L.LinuxHardware(module=Module()).get_mount_facts()
elif what == 'cpu':
    facts = L.LinuxHardware(module=None).get_cpu_facts({'ansible_architecture': sys.argv[3]})
elif what == 'memory':
    facts = L.LinuxHardware(module=None).get_memory_facts()
elif what == 'dns':
    facts = DNS.DnsFactCollector().collect()
elif what == 'cmdline':
    facts = CL.CmdLineFactCollector().collect()
print(json.dumps(facts))
