package module

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// collectorOracle runs one of ansible-core's collectors on a fake root
// (testdata/collector_oracle.py).
func collectorOracle(t *testing.T, files map[string]string, what string, extra ...string) map[string]any {
	t.Helper()
	if _, err := exec.LookPath("ansible"); err != nil {
		t.Skip("ansible (Debian's ansible-core) is not installed; scripts/test.sh installs it")
	}
	root := t.TempDir()
	for p, data := range files {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	oracle, _ := filepath.Abs("testdata/collector_oracle.py")
	out, err := exec.Command("/usr/bin/python3", append([]string{oracle, root, what}, extra...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("oracle %s: %v\n%s", what, err, out)
	}
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("oracle %s: %v\n%s", what, err, out)
	}
	return res
}

// cpuinfo writes /proc/cpuinfo for sockets × cores × threads x86 CPUs.
func cpuinfo(sockets, cores, threads int, flags string) string {
	var b strings.Builder
	n := 0
	for s := 0; s < sockets; s++ {
		for c := 0; c < cores; c++ {
			for th := 0; th < threads; th++ {
				fmt.Fprintf(&b, "processor\t: %d\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz\n"+
					"physical id\t: %d\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\nflags\t\t: %s\n\n", n, s, cores*threads, c, cores, flags)
				n++
			}
		}
	}
	return b.String()
}

func TestCPUFactsAsAnsible(t *testing.T) {
	arm := ""
	for i := 0; i < 4; i++ {
		arm += fmt.Sprintf("processor\t: %d\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n\n", i)
	}
	power := "processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\n\nprocessor\t: 1\ncpu\t\t: POWER9 (architected), altivec supported\n\ntimebase\t: 512000000\nplatform\t: pSeries\n"
	cases := []struct {
		name, arch string
		files      map[string]string
	}{
		{"2 sockets HT", "x86_64", map[string]string{"/proc/cpuinfo": cpuinfo(2, 4, 2, "fpu vme de")}},
		{"1 vcpu", "x86_64", map[string]string{"/proc/cpuinfo": cpuinfo(1, 1, 1, "fpu vme")}},
		{"xen pv", "x86_64", map[string]string{"/proc/cpuinfo": cpuinfo(1, 2, 1, "fpu de"), "/proc/xen/": ""}},
		{"aarch64", "aarch64", map[string]string{"/proc/cpuinfo": arm}},
		{"ppc64le", "ppc64le", map[string]string{"/proc/cpuinfo": power}},
	}
	for _, c := range cases {
		want := collectorOracle(t, c.files, "cpu", c.arch)
		s := factSections{"cpuinfo": c.files["/proc/cpuinfo"], "nproc": "4", "nproc.rc": "0"}
		if _, ok := c.files["/proc/xen/"]; ok {
			s["exists:/proc/xen"] = "1"
		}
		got := map[string]any{}
		cpuFacts(s, &factContext{collected: map[string]any{"architecture": c.arch}}, got)
		if g := roundTrip(t, got); !reflect.DeepEqual(g, want) {
			t.Errorf("%s:\n got %v\nwant %v", c.name, g, want)
		}
	}
}

func TestMemoryFactsAsAnsible(t *testing.T) {
	for _, meminfo := range []string{
		"MemTotal:       16318412 kB\nMemFree:         1234567 kB\nMemAvailable:    9000000 kB\nBuffers:          204800 kB\nCached:          6000000 kB\nSwapCached:         1024 kB\nSwapTotal:       2097148 kB\nSwapFree:        2000000 kB\n",
		"MemTotal:         512000 kB\nMemFree:          100000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n",
	} {
		want := collectorOracle(t, map[string]string{"/proc/meminfo": meminfo}, "memory")
		got := map[string]any{}
		memoryFacts(factSections{"meminfo": meminfo}, got)
		if g := roundTrip(t, got); !reflect.DeepEqual(g, want) {
			t.Errorf("%q:\n got %v\nwant %v", meminfo, g, want)
		}
	}
}

func TestDNSAndCmdlineFactsAsAnsible(t *testing.T) {
	for _, resolv := range []string{
		"# generated\nnameserver 10.0.0.2\nnameserver 10.0.0.3 10.0.0.4\n; comment\ndomain example.com\nsearch example.com corp.example.com\nsortlist 10.0.0.0/8\noptions ndots:2 rotate timeout:1\n",
		"search a\nsearch b c\noptions\n",
	} {
		want := collectorOracle(t, map[string]string{"/etc/resolv.conf": resolv}, "dns")
		if g := roundTrip(t, dnsFacts(factSections{"resolv.conf": resolv}, nil)); !reflect.DeepEqual(g, want) {
			t.Errorf("%q:\n got %v\nwant %v", resolv, g, want)
		}
	}
	for _, cmdline := range []string{
		"BOOT_IMAGE=/vmlinuz-6.1.0 root=UUID=abc ro quiet console=tty0 console=ttyS0,115200 splash",
		`init=/bin/sh acpi_osi="Windows 2009" foo="a b" 'single quoted' x=1 x=2 x=3 nomodeset`,
		`broken="unbalanced quote`,
	} {
		want := collectorOracle(t, map[string]string{"/proc/cmdline": cmdline + "\n"}, "cmdline")
		if g := roundTrip(t, cmdlineFacts(factSections{"cmdline": cmdline + "\n"}, nil)); !reflect.DeepEqual(g, want) {
			t.Errorf("%q:\n got %v\nwant %v", cmdline, g, want)
		}
	}
}

// TestNetworkFactsAsAnsible runs the network part of the gathering script
// on a fake /sys/class/net with a fake ip command, and compares the facts
// with ansible-core's LinuxNetwork on the same files and outputs.
func TestNetworkFactsAsAnsible(t *testing.T) {
	if _, err := exec.LookPath("ansible"); err != nil {
		t.Skip("ansible (Debian's ansible-core) is not installed; scripts/test.sh installs it")
	}
	root, ipdir, bin := t.TempDir(), t.TempDir(), t.TempDir()
	write := func(dir, p, data string) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
	dev := func(name, mac, mtu, state, typ, flags string) {
		for k, v := range map[string]string{"address": mac, "mtu": mtu, "operstate": state, "type": typ, "flags": flags} {
			write(root, "sys/class/net/"+name+"/"+k, v+"\n")
		}
	}
	dev("lo", "00:00:00:00:00:00", "65536", "unknown", "772", "0x9")
	dev("eth0", "52:54:00:12:34:56", "1500", "up", "1", "0x1103")
	write(root, "sys/class/net/eth0/speed", "1000\n")
	link("../../../devices/pci0000:00/0000:00:03.0/virtio0", "sys/class/net/eth0/device")
	dev("br0", "52:54:00:aa:bb:cc", "1500", "up", "1", "0x1003")
	write(root, "sys/class/net/br0/bridge/bridge_id", "8000.525400aabbcc\n")
	write(root, "sys/class/net/br0/bridge/stp_state", "1\n")
	write(root, "sys/class/net/br0/brif/eth1", "")
	dev("eth1", "52:54:00:00:00:01", "1500", "up", "1", "0x1003")
	dev("bond0", "52:54:00:00:00:02", "9000", "down", "1", "0x1403")
	for k, v := range map[string]string{"slaves": "eth2 eth3", "mode": "active-backup 1", "miimon": "100", "lacp_rate": "slow 0",
		"primary": "eth2", "all_slaves_active": "0"} {
		write(root, "sys/class/net/bond0/bonding/"+k, v+"\n")
	}
	dev("eth2", "52:54:00:00:00:02", "9000", "up", "1", "0x1803")
	write(root, "sys/class/net/eth2/bonding_slave/perm_hwaddr", "52:54:00:00:00:03\n")
	dev("tun0", "", "1400", "unknown", "65534", "0x10d1")
	ip := map[string]string{
		"-4 route get 8.8.8.8":                  "8.8.8.8 via 10.0.0.1 dev eth0 src 10.0.0.5 uid 0 \n    cache \n",
		"-6 route get 2404:6800:400a:800::1012": "2404:6800:400a:800::1012 from :: via fe80::1 dev eth0 proto ra src 2001:db8::5 metric 100 pref medium\n",
		"addr show primary dev lo":              "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n    inet6 ::1/128 scope host \n",
		"addr show primary dev eth0":            "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500\n    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\n    inet6 2001:db8::5/64 scope global dynamic \n    inet6 fe80::5054:ff:fe12:3456/64 scope link \n",
		"addr show secondary dev eth0":          "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500\n    inet 10.0.0.6/24 brd 10.0.0.255 scope global secondary eth0:1\n    inet 10.0.0.7/24 brd 10.0.0.255 scope global secondary eth0\n",
		"addr show primary dev br0":             "4: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500\n    inet 192.168.1.1/16 brd 192.168.255.255 scope global br0\n",
		"addr show dev tun0":                    "9: tun0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1400\n    inet 172.16.0.1 peer 172.16.0.2/32 scope global tun0\n    inet6 fd00::1 peer fd00::2/128 scope global \n",
	}
	for args, out := range ip {
		write(ipdir, strings.NewReplacer(" ", "_", "/", "_").Replace(args), out)
	}
	write(bin, "ip", "#!/bin/sh\nf=\"$RCTL_IPDIR/$(printf '%s' \"$*\" | tr ' /' '__')\"\n[ -e \"$f\" ] || exit 1\ncat \"$f\"\n")
	if err := os.Chmod(filepath.Join(bin, "ip"), 0o755); err != nil {
		t.Fatal(err)
	}
	oracle, _ := filepath.Abs("testdata/network_oracle.py")
	out, err := exec.Command("/usr/bin/python3", oracle, root, ipdir).CombinedOutput()
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, out)
	}
	var want map[string]any
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("oracle: %v\n%s", err, out)
	}
	script := factScriptHead + "RCTL_TIMEOUT=10\n" + factSnippets()["network"]
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "RCTL_FACTS_TEST_ROOT="+root, "RCTL_IPDIR="+ipdir, "PATH="+bin+":"+os.Getenv("PATH"))
	sout, err := cmd.Output()
	if err != nil {
		t.Fatalf("script: %v", err)
	}
	got := roundTrip(t, networkFacts(parseFactSections(string(sout)), nil))
	got["interfaces"] = sortedAny(got["interfaces"])
	if w, ok := want["interfaces"].([]any); ok {
		want["interfaces"] = sortedAny(w)
	}
	for k := range want {
		if !reflect.DeepEqual(got[k], want[k]) {
			t.Errorf("%s:\n got %v\nwant %v", k, got[k], want[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("extra %s: %v", k, got[k])
		}
	}
}

// runSnippet runs the gathering script's part for a collector on a fake
// root, with root/bin and the few tools the snippets use on the PATH.
func runSnippet(t *testing.T, root, collector string) factSections {
	t.Helper()
	tools := t.TempDir()
	for _, tool := range []string{"cat", "tr", "readlink", "ls", "basename", "id", "stat"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("no %s", tool)
		}
		if err := os.Symlink(p, filepath.Join(tools, tool)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("/bin/sh", "-c", factScriptHead+factSnippets()[collector])
	cmd.Env = []string{"RCTL_FACTS_TEST_ROOT=" + root, "PATH=" + filepath.Join(root, "bin") + ":" + tools}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s snippet: %v", collector, err)
	}
	return parseFactSections(string(out))
}

// fakeRoot writes files under a new directory: a path ending in / is a
// directory, a value starting with "->" a symbolic link, "+x" an
// executable.
func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, data := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasSuffix(p, "/"):
			err = os.MkdirAll(full, 0o755)
		case strings.HasPrefix(data, "->"):
			err = os.Symlink(data[2:], full)
		case data == "+x":
			err = os.WriteFile(full, []byte("#!/bin/sh\n"), 0o755)
		default:
			err = os.WriteFile(full, []byte(data), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func systemOracle(t *testing.T, root, what string, collected map[string]any) map[string]any {
	t.Helper()
	if _, err := exec.LookPath("ansible"); err != nil {
		t.Skip("ansible (Debian's ansible-core) is not installed; scripts/test.sh installs it")
	}
	oracle, _ := filepath.Abs("testdata/system_oracle.py")
	c, _ := json.Marshal(collected)
	out, err := exec.Command("/usr/bin/python3", oracle, root, what, string(c)).CombinedOutput()
	if err != nil {
		t.Fatalf("oracle %s: %v\n%s", what, err, out)
	}
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("oracle %s: %v\n%s", what, err, out)
	}
	return res
}

func TestVirtualFactsAsAnsible(t *testing.T) {
	dmi := "sys/devices/virtual/dmi/id/"
	for name, files := range map[string]map[string]string{
		"docker":     {"proc/1/cgroup": "12:cpu:/docker/0123abcdef\n0::/\n", ".dockerenv": ""},
		"podman":     {"proc/1/environ": "container=podman\x00PATH=/bin\x00", "run/systemd/container": "podman\n"},
		"lxc":        {"proc/1/environ": "container=lxc\x00", "proc/1/cgroup": "0::/lxc/web\n"},
		"kvm guest":  {dmi + "product_name": "KVM\n", dmi + "sys_vendor": "QEMU\n", "proc/cpuinfo": "model name\t: QEMU Virtual CPU version 2.5+\n", "proc/modules": "virtio 1 0 - Live 0x0\n"},
		"vmware":     {dmi + "product_name": "VMware Virtual Platform\n", dmi + "sys_vendor": "VMware, Inc.\n"},
		"virtualbox": {dmi + "bios_vendor": "innotek GmbH\n", dmi + "product_name": "VirtualBox\n"},
		"kvm host":   {"proc/modules": "kvm_intel 1 0 - Live 0x0\nkvm 2 1 kvm_intel, Live 0x0\n", "dev/kvm": "", dmi + "product_name": "PowerEdge R640\n"},
		"ec2":        {dmi + "bios_vendor": "Amazon EC2\n", dmi + "sys_vendor": "Amazon EC2\n"},
		"xen guest":  {"proc/xen/": "", "proc/xen/capabilities": "\n"},
		"xen dom0":   {"proc/xen/": "", "proc/xen/capabilities": "control_d\n"},
		"openvz":     {"proc/vz/": ""},
		"vserver":    {"proc/self/status": "Name:\tcat\nVxID:\t42\n"},
		"bare metal": {dmi + "product_name": "PowerEdge R640\n", dmi + "sys_vendor": "Dell Inc.\n", "proc/modules": "ext4 1 0 - Live 0x0\n"},
	} {
		root := fakeRoot(t, files)
		want := systemOracle(t, root, "virtual", nil)
		got := roundTrip(t, virtualFacts(runSnippet(t, root, "virtual"), nil))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", name, got, want)
		}
	}
}

func TestServiceMgrFactsAsAnsible(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"systemd comm":      {"proc/1/comm": "systemd\n"},
		"init + systemctl":  {"proc/1/comm": "init\n", "bin/systemctl": "+x", "run/systemd/system/": ""},
		"init + sysvinit":   {"proc/1/comm": "init\n", "etc/init.d/": ""},
		"sh + openrc":       {"proc/1/comm": "bash\n", "sbin/openrc": "+x", "etc/init.d/": ""},
		"runit":             {"proc/1/comm": "runit-init\n"},
		"upstart":           {"proc/1/comm": "init\n", "bin/initctl": "+x", "etc/init/": ""},
		"sbin/init link":    {"sbin/init": "->../lib/systemd/systemd", "lib/systemd/systemd": "+x", "bin/systemctl": "+x"},
		"offline systemd":   {"proc/1/comm": "init\n", "sbin/init": "->../lib/systemd/systemd", "lib/systemd/systemd": "+x", "bin/systemctl": "+x"},
		"nothing":           {},
		"dumb-init process": {"proc/1/comm": "dumb-init\n"},
	} {
		root := fakeRoot(t, files)
		want := systemOracle(t, root, "service_mgr", map[string]any{"ansible_system": "Linux", "ansible_distribution": "Debian"})
		c := &factContext{collected: map[string]any{"system": "Linux", "distribution": "Debian"}}
		got := roundTrip(t, serviceMgrFacts(runSnippet(t, root, "service_mgr"), c))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", name, got, want)
		}
	}
}

func TestPkgMgrFactsAsAnsible(t *testing.T) {
	cases := []struct {
		name, family, dist, major string
		files                     map[string]string
	}{
		{"debian", "Debian", "Debian", "12", map[string]string{"usr/bin/apt-get": "+x"}},
		{"debian with yum", "Debian", "Debian", "12", map[string]string{"usr/bin/apt-get": "+x", "usr/bin/yum": "+x"}},
		{"rhel7", "RedHat", "RedHat", "7", map[string]string{"usr/bin/yum": "+x"}},
		{"rhel9", "RedHat", "RedHat", "9", map[string]string{"usr/bin/yum": "+x", "usr/bin/dnf": "+x"}},
		{"fedora22", "RedHat", "Fedora", "22", map[string]string{"usr/bin/yum": "+x", "usr/bin/dnf": "+x"}},
		{"fedora39", "RedHat", "Fedora", "39", map[string]string{"usr/bin/dnf": "+x"}},
		{"amazon2", "RedHat", "Amazon", "2", map[string]string{"usr/bin/yum": "+x"}},
		{"amazon2023", "RedHat", "Amazon", "2023", map[string]string{"usr/bin/dnf": "+x", "usr/bin/yum": "+x"}},
		{"ostree", "RedHat", "Fedora", "39", map[string]string{"usr/bin/rpm-ostree": "+x", "usr/bin/dnf": "+x", "run/ostree-booted": ""}},
		{"alpine", "Alpine", "Alpine", "3", map[string]string{"sbin/apk": "+x"}},
		{"suse", "Suse", "openSUSE Leap", "15", map[string]string{"usr/bin/zypper": "+x"}},
		{"arch", "Archlinux", "Archlinux", "NA", map[string]string{"usr/bin/pacman": "+x"}},
		{"none", "Gentoo", "Gentoo", "2", map[string]string{}},
	}
	for _, c := range cases {
		root := fakeRoot(t, c.files)
		want := systemOracle(t, root, "pkg_mgr", map[string]any{"ansible_os_family": c.family, "ansible_distribution": c.dist,
			"ansible_distribution_major_version": c.major})
		ctx := &factContext{collected: map[string]any{"os_family": c.family, "distribution": c.dist, "distribution_major_version": c.major}}
		got := roundTrip(t, pkgMgrFacts(runSnippet(t, root, "pkg_mgr"), ctx))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", c.name, got, want)
		}
	}
}

func TestMountFactsAsAnsible(t *testing.T) {
	mtab := "/dev/sda1 / ext4 rw,relatime,errors=remount-ro 0 0\n" +
		"proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n" +
		"tmpfs /run tmpfs rw,nosuid,nodev,size=1628996k,mode=755 0 0\n" +
		"/dev/sda2 /srv/my\\040data xfs rw,relatime 0 0\n" +
		"/dev/sda1 /var/lib/bound ext4 rw,relatime,errors=remount-ro 0 0\n" +
		"nfs.example.com:/export /mnt/nfs nfs4 rw,vers=4.2 0 0\n" +
		"/dev/mapper/vg-lv /data ext4 rw 0 0\n" +
		"/dev/sdb1 /none none rw 0 0\n" +
		"short line\n"
	findmnt := "/                 /dev/sda1              ext4   rw,relatime\n" +
		"/var/lib/bound    /dev/sda1[/srv/bound]  ext4   rw,relatime\n" +
		"/data             /dev/mapper/vg-lv      ext4   rw\n"
	lsblk := "/dev/sda\n/dev/sda1 0b5c1f7e-1111-2222-3333-444455556666\n/dev/sda2 9f2e\n/dev/mapper/vg-lv\n"
	// statvfs: f_frsize f_bsize f_blocks f_bavail f_files f_favail
	sizes := map[string][]int{"/": {4096, 4096, 1000, 400, 500, 300}, "/srv/my data": {512, 4096, 20, 10, 8, 8}, "/data": {4096, 4096, 7, 7, 7, 7}}
	statvfs := map[string]any{}
	var statfs strings.Builder
	for m, v := range sizes {
		statvfs[m] = map[string]any{"size_total": v[0] * v[2], "size_available": v[0] * v[3], "block_size": v[1], "block_total": v[2],
			"block_available": v[3], "block_used": v[2] - v[3], "inode_total": v[4], "inode_available": v[5], "inode_used": v[4] - v[5]}
		fmt.Fprintf(&statfs, "%d %d %d %d %d %d\t%s\n", v[0], v[1], v[2], v[3], v[4], v[5], m)
	}
	sj, _ := json.Marshal(statvfs)
	want := collectorOracle(t, map[string]string{"/etc/mtab": mtab, "/findmnt.out": findmnt, "/lsblk.out": lsblk,
		"/statvfs.json": string(sj)}, "mounts")
	s := factSections{"mtab": mtab, "findmnt": findmnt, "findmnt.rc": "0", "lsblk": lsblk, "lsblk.rc": "0", "statfs": statfs.String()}
	got := roundTrip(t, map[string]any{"mounts": mountFacts(s)})
	norm := func(v any) []string {
		var out []string
		for _, m := range v.([]any) {
			b, _ := json.Marshal(m)
			out = append(out, string(b))
		}
		sort.Strings(out)
		return out
	}
	if g, w := norm(got["mounts"]), norm(want["mounts"]); !reflect.DeepEqual(g, w) {
		t.Errorf("mounts:\n got %v\nwant %v", strings.Join(g, "\n     "), strings.Join(w, "\n     "))
	}
}
