"""The 20 checks of bench/checks.sh, for testinfra.

testinfra's side of the comparison with remotectl: the same 20 properties as
bench/checks/fleet-checks.yaml, in the same order, one assertion per test so that
each host reports 20 results as remotectl does. Every host of the loopback fleet
(bench/fleet.sh) passes all of them; a failure means the comparison is broken.

    BENCH_SSHD_PORT=2222 py.test-3 -q -p no:cacheprovider --ssh-config=DIR/ssh_config \
        --hosts=ssh://rcbench@127.1.0.1:2222,... bench/checks/test_fleet.py

BENCH_SSHD_PORT is the fleet's sshd port (default 2222), which check 1 expects
to be listening.
"""

import os

SSHD_PORT = int(os.environ.get("BENCH_SSHD_PORT", "2222"))


def test_01_port_listening(host):
    # goss/remotectl "tcp:2222 listening": something listens on the port, on any
    # address (testinfra's socket("tcp://2222") would demand 0.0.0.0 and ::).
    suffix = ":%d" % SSHD_PORT
    listening = host.socket.get_listening_sockets()
    assert any(s.startswith("tcp://") and s.endswith(suffix) for s in listening)


def test_02_passwd_exists(host):
    assert host.file("/etc/passwd").exists


def test_03_passwd_mode(host):
    assert host.file("/etc/passwd").mode == 0o644


def test_04_passwd_owner(host):
    assert host.file("/etc/passwd").user == "root"


def test_05_hostname_exists(host):
    assert host.file("/etc/hostname").exists


def test_06_hostname_is_file(host):
    assert host.file("/etc/hostname").is_file


def test_07_os_release_contents(host):
    assert host.file("/etc/os-release").contains("Debian")


def test_08_env_mode(host):
    assert host.file("/usr/bin/env").mode == 0o755


def test_09_rcbench_exists(host):
    assert host.user("rcbench").exists


def test_10_rcbench_home(host):
    assert host.user("rcbench").home == "/home/rcbench"


def test_11_rcbench_shell(host):
    assert host.user("rcbench").shell == "/bin/sh"


def test_12_root_uid(host):
    assert host.user("root").uid == 0


def test_13_root_group_exists(host):
    assert host.group("root").exists


def test_14_root_group_gid(host):
    assert host.group("root").gid == 0


def test_15_openssh_server_installed(host):
    assert host.package("openssh-server").is_installed


def test_16_coreutils_installed(host):
    assert host.package("coreutils").is_installed


def test_17_sshd_running(host):
    assert host.process.filter(comm="sshd")


def test_18_uname_stdout(host):
    assert "Linux" in host.run("uname -s").stdout


def test_19_true_exit_status(host):
    assert host.run("true").rc == 0


def test_20_kernel_ostype(host):
    assert host.sysctl("kernel.ostype") == "Linux"
