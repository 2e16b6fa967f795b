package module

import (
	"sort"
	"strconv"
	"strings"
)

// The setup module gathers everything in one POSIX sh script: each piece of
// state is printed as a section, a line "@@rctl:NAME" followed by the
// content; a file that does not exist or cannot be read prints no section
// (Ansible's get_file_content returns None for it). The Go side parses the
// sections and computes the facts as ansible-core 2.14's collectors do.

const factMarker = "@@rctl:"

// factScriptHead defines the helpers every snippet uses: F prints a file,
// C a command's output (and its exit code in NAME.rc), E whether a path
// exists (as "1"), B whether a command is on the PATH (its path). R is the
// root the network, virtual, pkg_mgr and service_mgr snippets read under:
// empty, except in the tests that run them on a fake root.
const factScriptHead = `export LC_ALL=C LANG=C
R=${RCTL_FACTS_TEST_ROOT:-}
PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin"
F() { if [ -r "$2" ] && [ ! -d "$2" ]; then printf '\n` + factMarker + `%s\n' "$1"; cat "$2" 2>/dev/null; fi; }
C() { n=$1; shift; printf '\n` + factMarker + `%s\n' "$n"; "$@" 2>/dev/null; r=$?; printf '\n` + factMarker + `%s.rc\n%s\n' "$n" "$r"; }
E() { if [ -e "$2" ]; then printf '\n` + factMarker + `%s\n1\n' "$1"; fi; }
B() { p=$(command -v "$2" 2>/dev/null) && printf '\n` + factMarker + `%s\n%s\n' "$1" "$p"; }
`

// factSnippets are the shell pieces each collector needs.
func factSnippets() map[string]string {
	return map[string]string{
		"platform": `C uname.s uname -s; C uname.r uname -r; C uname.v uname -v; C uname.m uname -m; C uname.n uname -n
C longbit getconf LONG_BIT
F machine-id.dbus /var/lib/dbus/machine-id; F machine-id.etc /etc/machine-id
a=$(getent ahosts "$(uname -n)" 2>/dev/null | awk 'NR==1{print $1}')
if [ -n "$a" ]; then C fqdn.hosts getent hosts "$a"; fi
`,
		"distribution": `for f in /etc/altlinux-release /etc/oracle-release /etc/slackware-version /etc/centos-release /etc/redhat-release /etc/vmware-release /etc/openwrt_release /etc/os-release /etc/system-release /etc/alpine-release /etc/arch-release /etc/SuSE-release /etc/gentoo-release /etc/lsb-release /etc/sourcemage-release /usr/lib/os-release /etc/coreos/update.conf /etc/debian_version; do F "dist:$f" "$f"; E "exists:$f" "$f"; done
`,
		"lsb": `if B lsb_release.path lsb_release; then C lsb_release lsb_release -a; fi; F lsb-release /etc/lsb-release
`,
		"selinux": `E selinux.fs /sys/fs/selinux/enforce; F selinux.enforce /sys/fs/selinux/enforce; F selinux.policyvers /sys/fs/selinux/policyvers; F selinux.config /etc/selinux/config
`,
		"apparmor": "E apparmor /sys/kernel/security/apparmor\n",
		"chroot": `printf '\n` + factMarker + `chroot.env\n%s\n' "${debian_chroot:-}"
C chroot.root stat -L -c '%d %i' /; C chroot.proc1 stat -L -c '%d %i' /proc/1/root/.; C chroot.fstype stat -f --format=%T /
`,
		"fips":    "F fips /proc/sys/crypto/fips_enabled\n",
		"caps":    "if B capsh.path capsh; then C capsh capsh --print; fi\n",
		"cmdline": "F cmdline /proc/cmdline\n",
		"date_time": `t=$(date +%s.%N)
C date date -d "@$t" '+%Y|%m|%A|%w|%W|%d|%H|%M|%S|%s|%Y-%m-%d|%H:%M:%S|%Y%m%dT%H%M%S%6N|%Y%m%dT%H%M%S|%Z|%z'
C date.utc date -u -d "@$t" '+%Y-%m-%dT%H:%M:%S.%6NZ|%Y-%m-%dT%H:%M:%SZ'
C date.jan date -d @1704067200 '+%Z|%z'; C date.jul date -d @1719792000 '+%Z|%z'
`,
		"env":     "printf '\\n" + factMarker + "env\\n'; env -0 | tr '\\n\\000' '\\001\\n'\n",
		"loadavg": "F loadavg /proc/loadavg\n",
		"ssh_pub_keys": `for d in /etc/ssh /etc/openssh /etc; do for a in dsa rsa ecdsa ed25519; do F "ssh:$d/$a" "$d/ssh_host_${a}_key.pub"; done; done
`,
		"user": `C id.u id -u; C id.ru id -ru; C id.rg id -rg; C id.un id -un
printf '\n` + factMarker + `user.env\n%s\n%s\n%s\n%s\n' "${LOGNAME:-}" "${USER:-}" "${LNAME:-}" "${USERNAME:-}"
C passwd.uid getent passwd "$(id -ru)"
`,
		"pkg_mgr": `for f in /usr/bin/rpm-ostree /usr/bin/yum /usr/bin/dnf /usr/bin/apt-get /usr/bin/zypper /usr/sbin/urpmi /usr/bin/pacman /bin/opkg /usr/pkg/bin/pkgin /opt/local/bin/pkgin /opt/tools/bin/pkgin /opt/local/bin/port /usr/local/bin/brew /opt/homebrew/bin/brew /sbin/apk /usr/sbin/pkg /usr/sbin/swlist /usr/bin/emerge /usr/sbin/pkgadd /usr/bin/pkg /usr/bin/xbps-install /usr/local/sbin/pkg /usr/bin/swupd /usr/sbin/sorcery /usr/bin/installp /QOpenSys/pkgs/bin/yum /run/ostree-booted /usr/bin/rpm; do E "exists:$f" "$R$f"; done
if [ -e "$R/usr/bin/rpm" ]; then C rpm.apt /usr/bin/rpm -q --whatprovides /usr/bin/apt-get; fi
`,
		"service_mgr": `F proc1.comm "$R/proc/1/comm"
if [ -L "$R/sbin/init" ]; then C sbin.init readlink "$R/sbin/init"; fi
B systemctl.path systemctl; B initctl.path initctl
for f in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/ /etc/init/ /sbin/openrc /etc/init.d/; do E "exists:$f" "$R$f"; done
`,
		"virtual": `F proc1.cgroup "$R/proc/1/cgroup"
if [ -r "$R/proc/1/environ" ]; then printf '\n` + factMarker + `proc1.environ\n'; tr '\n\000' '\001\n' < "$R/proc/1/environ"; fi
for f in /proc/vz /proc/lve /proc/bc /.dockerenv /.dockerinit /proc/xen /dev/kvm /rhev/; do E "exists:$f" "$R$f"; done
F systemd.container "$R/run/systemd/container"; F xen.caps "$R/proc/xen/capabilities"
for k in product_name sys_vendor product_family bios_vendor; do F "dmi:$k" "$R/sys/devices/virtual/dmi/id/$k"; done
F self.status "$R/proc/self/status"; F cpuinfo "$R/proc/cpuinfo"; F modules "$R/proc/modules"
if B dmidecode.path dmidecode; then C dmidecode dmidecode -s system-product-name; fi
`,
		"hardware": `F cpuinfo /proc/cpuinfo; F meminfo /proc/meminfo; F uptime /proc/uptime; F hypervisor.type /sys/hypervisor/type
E exists:/proc/xen /proc/xen; C nproc nproc
E dmi.exists /sys/devices/virtual/dmi/id/product_name
if [ ! -e /sys/devices/virtual/dmi/id/product_name ] && B dmidecode.path dmidecode; then
  for k in bios-release-date bios-vendor bios-version baseboard-asset-tag baseboard-product-name baseboard-serial-number baseboard-manufacturer baseboard-version chassis-asset-tag chassis-serial-number chassis-manufacturer chassis-version chassis-type system-product-name system-serial-number system-uuid system-version system-manufacturer; do C "dmidecode:$k" dmidecode -s "$k"; done
fi
for k in product_name bios_date bios_vendor bios_version board_asset_tag board_name board_serial board_vendor board_version chassis_asset_tag chassis_serial chassis_vendor chassis_version chassis_type product_serial product_uuid product_version sys_vendor; do F "dmi:$k" "/sys/devices/virtual/dmi/id/$k"; done
if [ -e /etc/mtab ]; then F mtab /etc/mtab; else F mtab /proc/mounts; fi
if B findmnt.path findmnt; then C findmnt findmnt --list --noheadings --notruncate; fi
if B lsblk.path lsblk; then C lsblk lsblk --list --noheadings --paths --output NAME,UUID --exclude 2; fi
printf '\n` + factMarker + `statfs\n'
awk '{print $2}' "$([ -e /etc/mtab ] && echo /etc/mtab || echo /proc/mounts)" | while read -r m; do
  m=$(printf '%b' "$(printf '%s' "$m" | sed 's/\\\([0-7][0-7][0-7]\)/\\0\1/g')")
  s=$(timeout "$RCTL_TIMEOUT" stat -f -c '%S %s %b %a %c %d' "$m" 2>/dev/null) && printf '%s\t%s\n' "$s" "$m"
done
V() { [ -r "$2" ] && [ ! -d "$2" ] && v=$(cat "$2" 2>/dev/null) && [ -n "$v" ] && printf '%s=%s\n' "$1" "$v"; }
printf '\n` + factMarker + `disklinks\n'
for t in by-id by-uuid by-label; do for e in $(ls -U /dev/disk/$t 2>/dev/null); do
  printf '%s\t%s\t%s\t%s\n' "$t" "$e" "$(basename "$(readlink "/dev/disk/$t/$e")")" "$(readlink -f "/dev/disk/$t/$e")"; done; done
for e in /sys/block/*/slaves/*; do [ -e "$e" ] && printf 'slaves\t%s\n' "$e"; done
if B lspci.path lspci; then C lspci lspci -D; fi
B sg_inq.path sg_inq
for b in $(ls -U /sys/block 2>/dev/null); do
  printf '\n` + factMarker + `blk:%s\n' "$b"
  l=$(readlink "/sys/block/$b") && printf 'link=%s\n' "$l"
  d=/sys/block/$b; [ -n "$l" ] && d="/sys/block/$l"
  for k in vendor model sas_address sas_device_handle serial; do V "$k" "$d/device/$k"; done
  V removable "$d/removable"; V support_discard "$d/queue/discard_granularity"; V rotational "$d/queue/rotational"
  V scheduler "$d/queue/scheduler"; V size "$d/size"; V lbs "$d/queue/logical_block_size"; V hss "$d/queue/hw_sector_size"
  for e in $(ls -U "$d" 2>/dev/null); do printf 'entry=%s\n' "$e"
    if [ -d "$d/$e" ]; then for k in start size; do V "part:$e:$k" "$d/$e/$k"; done
      V "part:$e:lbs" "$d/$e/queue/logical_block_size"; V "part:$e:hss" "$d/$e/queue/hw_sector_size"
      for h in $(ls -U "$d/$e/holders" 2>/dev/null); do printf 'part:%s:holder=%s:%s\n' "$e" "$h" "$(cat "$d/$e/holders/$h/dm/name" 2>/dev/null)"; done
    fi; done
  for h in $(ls -U "$d/holders" 2>/dev/null); do printf 'holder=%s:%s\n' "$h" "$(cat "$d/holders/$h/dm/name" 2>/dev/null)"; done
  if [ -n "$(command -v sg_inq)" ]; then C "sg_inq:$b" sg_inq "/dev/$b"; fi
done
if [ "$(id -u)" = 0 ] && B vgs.path vgs; then
  o='--noheadings --nosuffix --units g --separator ,'
  C vgs vgs $o; C lvs lvs $o; C pvs pvs $o
fi
`,
		"dns":               "F resolv.conf /etc/resolv.conf\n",
		"fibre_channel_wwn": "for f in /sys/class/fc_host/*/port_name; do F \"fc:$f\" \"$f\"; done\n",
		"iscsi":             "F iscsi /etc/iscsi/initiatorname.iscsi\n",
		"nvme":              "F hostnqn /etc/nvme/hostnqn\n",
		"network": `if B ip.path ip; then
C route4 ip -4 route get 8.8.8.8; C route6 ip -6 route get 2404:6800:400a:800::1012
for p in $(ls -U "$R/sys/class/net"); do
  d=$R/sys/class/net/$p; [ -d "$d" ] || continue
  printf '\n` + factMarker + `if:%s\n' "$p"
  for k in address mtu operstate type speed flags; do
    if [ -e "$d/$k" ]; then printf '%s=%s\n' "$k" "$(cat "$d/$k" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"; fi
  done
  if [ -e "$d/device/driver/module" ]; then printf 'module=%s\n' "$(basename "$(readlink -f "$d/device/driver/module")")"; fi
  if [ -e "$d/device" ]; then printf 'pciid=%s\n' "$(basename "$(readlink "$d/device")")"; fi
  if [ -e "$d/bridge" ]; then printf 'bridge=1\nbrif=%s\n' "$(ls "$d/brif" 2>/dev/null | tr '\n' ' ')"
    [ -e "$d/bridge/bridge_id" ] && printf 'bridge_id=%s\n' "$(cat "$d/bridge/bridge_id")"
    [ -e "$d/bridge/stp_state" ] && printf 'stp_state=%s\n' "$(cat "$d/bridge/stp_state")"; fi
  if [ -e "$d/bonding" ]; then printf 'bonding=1\n'; for k in slaves mode miimon lacp_rate primary all_slaves_active; do [ -e "$d/bonding/$k" ] && printf 'bond_%s=%s\n' "$k" "$(cat "$d/bonding/$k" 2>/dev/null)"; done; fi
  if [ -e "$d/bonding_slave" ]; then printf 'perm_hwaddr=%s\n' "$(cat "$d/bonding_slave/perm_hwaddr" 2>/dev/null)"; fi
  C "ip.primary:$p" ip addr show primary dev "$p"
  C "ip.all:$p" ip addr show dev "$p"
  C "ip.secondary:$p" ip addr show secondary dev "$p"
  if [ -n "$(command -v ethtool)" ]; then C "ethtool.k:$p" ethtool -k "$p"; C "ethtool.T:$p" ethtool -T "$p"; fi
done
fi
`,
	}
}

// factScript is the script that gathers what the collectors need; its
// sections come in the order of names (sorted, for a stable script).
// python is the shell command that prints the host's Python (pythonLookup).
func factScript(collectors map[string]bool, factPath string, timeout int, python string) string {
	var b strings.Builder
	snippets := factSnippets()
	if collectors["env"] {
		// before the head changes LC_ALL, LANG and PATH
		b.WriteString(snippets["env"])
	}
	b.WriteString(factScriptHead)
	b.WriteString("RCTL_TIMEOUT=" + strconv.Itoa(timeout) + "\n")
	b.WriteString("C system uname -s\n")
	names := make([]string, 0, len(collectors))
	for n := range collectors {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "env" {
			continue
		}
		b.WriteString(snippets[n])
	}
	if collectors["python"] || collectors["platform"] {
		b.WriteString(`if PY=$(` + python + `) && [ -n "$PY" ]; then C python "$PY" -c ` + Quote(pythonFactsCode) + "; fi\n")
	}
	if collectors["local"] {
		b.WriteString(localFactSnippet(factPath))
	}
	return b.String()
}

// pythonFactsCode prints, as JSON, what ansible-core's python collector
// and platform's python_version read in the module's own interpreter:
// remotectl needs no Python, but when the host has one (the one Ansible's
// interpreter discovery would use), roles reading ansible_python get it.
// Python 2 and 3.
const pythonFactsCode = `import sys, json, platform
try:
    from ssl import SSLContext
    ssl = True
except Exception:
    ssl = False
t = None
try:
    t = sys.subversion[0]
except AttributeError:
    try:
        t = sys.implementation.name
    except AttributeError:
        pass
v = sys.version_info
print(json.dumps({"version": [v[0], v[1], v[2], v[3], v[4]], "executable": sys.executable, "has_sslcontext": ssl, "type": t, "python_version": platform.python_version()}))`

// localFactSnippet runs (executable) or prints each *.fact file of dir, in
// the order of Python's sorted(glob()).
func localFactSnippet(dir string) string {
	d := Quote(dir)
	// a path parameter: ~ is the (become) user's home, as Python's expanduser
	if dir == "~" || strings.HasPrefix(dir, "~/") {
		d = `"$HOME"` + Quote(dir[1:])
	}
	return "d=" + d + `
if [ -e "$d" ]; then printf '\n` + factMarker + `local.dir\n'
for f in "$d"/*.fact; do
  [ -e "$f" ] || continue
  if [ -x "$f" ]; then t=$(mktemp); printf '\n` + factMarker + `local.exec:%s\n' "$f"; "$f" 2>"$t"; r=$?
    printf '\n` + factMarker + `local.exec:%s.rc\n%s\n' "$f" "$r"; printf '\n` + factMarker + `local.err:%s\n' "$f"; cat "$t"; rm -f "$t"
  else E "local.file:$f" "$f"; F "local.content:$f" "$f"; fi
done; fi
`
}

// factSections is the parsed output: section name → content.
type factSections map[string]string

// parseFactSections splits the script's output into its sections. The
// content of a section is what was printed between its marker line and the
// newline that starts the next marker.
func parseFactSections(out string) factSections {
	s := factSections{}
	name := ""
	var cur strings.Builder
	in := false
	var order []string
	flush := func() {
		if in {
			s[name] = strings.TrimSuffix(cur.String(), "\n")
			order = append(order, name)
		}
		cur.Reset()
	}
	for _, line := range strings.SplitAfter(out, "\n") {
		if strings.HasPrefix(line, factMarker) {
			flush()
			name, in = strings.TrimSuffix(line[len(factMarker):], "\n"), true
			continue
		}
		cur.WriteString(line)
	}
	flush()
	s[factOrderKey] = strings.Join(order, "\n")
	return s
}

// factOrderKey holds the section names in the order they were printed.
const factOrderKey = "\x00order"

// order returns the section names, one a line, in output order.
func (s factSections) order() string { return s[factOrderKey] }

// file returns a file's content as Ansible's get_file_content: stripped,
// and ok false when the file is missing, unreadable or empty.
func (s factSections) file(name string) (string, bool) {
	v, ok := s[name]
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// has reports whether a section exists.
func (s factSections) has(name string) bool { _, ok := s[name]; return ok }

// cmd returns a command's output and whether it exited 0.
func (s factSections) cmd(name string) (string, bool) {
	v, ok := s[name]
	return v, ok && strings.TrimSpace(s[name+".rc"]) == "0"
}
