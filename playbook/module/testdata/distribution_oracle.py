"""Print ansible-core's distribution facts for a fake root directory.

The oracle of TestDistributionFactsAsAnsible: Debian's ansible-core runs its
own DistributionFactCollector code with every file it reads taken from
argv[1] instead of /, and prints the facts as JSON.
"""
import json
import sys

import ansible.module_utils.distro  # noqa: F401 (replaces itself in sys.modules by the distro library in use)
import ansible.module_utils.facts.system.distribution as D

root = sys.argv[1]
distro = sys.modules['ansible.module_utils.distro']
# the module whose functions (distro.id()...) read its _distro instance
sys.modules[distro.id.__module__]._distro = distro.LinuxDistribution(include_lsb=False, include_uname=False, root_dir=root)

_gfc, _gfl, _fe = D.get_file_content, D.get_file_lines, D._file_exists
D.get_file_content = lambda p, default=None, strip=True: _gfc(root + p, default, strip)
D.get_file_lines = lambda p, *a, **k: _gfl(root + p, *a, **k)
D._file_exists = lambda p, allow_empty=False: _fe(root + p, allow_empty)


class Module:
    def get_bin_path(self, *a, **k):
        return None

    def run_command(self, *a, **k):
        return 1, "", ""


print(json.dumps(D.Distribution(module=Module()).get_distribution_facts()))
