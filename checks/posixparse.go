package checks

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// These are pure parsers of what POSIX probes print; each is golden-tested
// against output captured from real hosts (testdata/probes).

// listener is a listening socket.
type listener struct {
	Network string // tcp, tcp6, udp, udp6
	IP      string
	Port    int
}

// tcpListen is the TCP_LISTEN state in /proc/net/tcp{,6}.
const tcpListen = "0A"

// parseProcNet parses /proc/net/{tcp,tcp6,udp,udp6} (network names which):
// TCP sockets in the LISTEN state, and every bound UDP socket (goss's
// rule: UDP has no listening state).
func parseProcNet(network string, data []byte) ([]listener, error) {
	var out []listener
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	first := true
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if first {
			first = false
			if len(fields) == 0 || fields[0] != "sl" {
				return nil, fmt.Errorf("not a /proc/net/%s table: the header is %q", network, sc.Text())
			}
			continue
		}
		if len(fields) < 4 {
			continue
		}
		if strings.HasPrefix(network, "tcp") && fields[3] != tcpListen {
			continue
		}
		ip, port, err := parseProcAddr(fields[1])
		if err != nil {
			return nil, fmt.Errorf("/proc/net/%s: %w", network, err)
		}
		out = append(out, listener{Network: network, IP: ip, Port: port})
	}
	return out, sc.Err()
}

// parseProcAddr parses "0100007F:1F90": the address as the kernel's
// 32-bit words in host (little-endian) order, the port in hex.
func parseProcAddr(s string) (string, int, error) {
	hexIP, hexPort, ok := strings.Cut(s, ":")
	if !ok {
		return "", 0, fmt.Errorf("bad address %q", s)
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return "", 0, fmt.Errorf("bad port in %q", s)
	}
	raw, err := hex.DecodeString(hexIP)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return "", 0, fmt.Errorf("bad address %q", s)
	}
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	addr, _ := netip.AddrFromSlice(raw)
	return addr.String(), int(port), nil
}

// parseSS parses `ss -H -ltnu`: listening TCP and bound UDP sockets. The
// family comes from the address: "[::]:22" and "*:22" (an IPv6 socket that
// also accepts IPv4) are tcp6.
func parseSS(data []byte) ([]listener, error) {
	var out []listener
	for _, line := range lines(string(data)) {
		fields := strings.Fields(line)
		if len(fields) < 5 {
			continue
		}
		proto := fields[0]
		if proto != "tcp" && proto != "udp" {
			return nil, fmt.Errorf("ss: unexpected line %q", line)
		}
		if proto == "tcp" && fields[1] != "LISTEN" {
			continue
		}
		local := fields[4]
		i := strings.LastIndexByte(local, ':')
		if i < 0 {
			return nil, fmt.Errorf("ss: bad local address %q", local)
		}
		port, err := strconv.Atoi(local[i+1:])
		if err != nil {
			return nil, fmt.Errorf("ss: bad port in %q", local)
		}
		host := strings.Trim(local[:i], "[]")
		if z := strings.IndexByte(host, '%'); z >= 0 {
			host = host[:z] // 127.0.0.1%lo: bound to an interface
		}
		network := proto
		switch {
		case host == "*":
			host, network = "::", proto+"6"
		case strings.Contains(host, ":"):
			network = proto + "6"
		}
		out = append(out, listener{Network: network, IP: host, Port: port})
	}
	return out, nil
}

// serviceState is what is known of a service.
type serviceState struct {
	Init      string // systemd, openrc, sysv, windows
	Exists    bool
	Running   bool
	Enabled   bool
	Runlevels []string // SysV and OpenRC only
}

// systemdEnabled are the UnitFileStates `systemctl is-enabled` reports as
// enabled (exit status 0).
var systemdEnabled = []string{"enabled", "enabled-runtime", "static", "alias", "indirect", "generated", "transient"}

// parseServiceProps parses the _svc helper's output: "Init=..." and the
// properties of `systemctl show` (or their OpenRC and SysV equivalents).
func parseServiceProps(data []byte) (serviceState, error) {
	props := make(map[string]string)
	for _, line := range lines(string(data)) {
		k, v, ok := strings.Cut(line, "=")
		if ok {
			props[k] = strings.TrimSpace(v)
		}
	}
	st := serviceState{Init: props["Init"]}
	if st.Init == "" {
		st.Init = "systemd"
	}
	load, ok := props["LoadState"]
	if !ok {
		return st, fmt.Errorf("no LoadState in the service state %q", strings.TrimSpace(string(data)))
	}
	st.Exists = load != "not-found"
	active := props["ActiveState"]
	st.Running = active == "active" || active == "reloading"
	if rl := strings.Fields(props["Runlevels"]); len(rl) > 0 {
		st.Runlevels = rl
	}
	if st.Init == "systemd" {
		st.Enabled = slices.Contains(systemdEnabled, props["UnitFileState"])
	} else {
		st.Enabled = len(st.Runlevels) > 0
	}
	return st, nil
}

// parseProcessNames parses one process name per line.
func parseProcessNames(data []byte) []string {
	var names []string
	for _, l := range lines(string(data)) {
		if l = strings.TrimSpace(l); l != "" {
			names = append(names, l)
		}
	}
	return names
}

// commLen is how much of a process name Linux keeps (TASK_COMM_LEN - 1).
const commLen = 15

// processRunning reports whether a process named name is among names, as
// far as Linux's truncated names can tell.
func processRunning(name string, names []string) bool {
	short := name
	if len(short) > commLen {
		short = short[:commLen]
	}
	for _, n := range names {
		if n == name || n == short {
			return true
		}
	}
	return false
}

// packageState is what is known of a package.
type packageState struct {
	Manager   string
	Installed bool
	Versions  []string
}

// dpkgInstalled are the dpkg states in which a package's files are in place.
var dpkgInstalled = []string{"installed", "triggers-pending", "triggers-awaited"}

// parsePackage parses the _pkg helper's output for the package name.
func parsePackage(name string, data []byte) (packageState, error) {
	ls := lines(string(data))
	if len(ls) == 0 {
		return packageState{}, fmt.Errorf("no output from the package probe")
	}
	st := packageState{Manager: ls[0]}
	for _, line := range ls[1:] {
		switch st.Manager {
		case "dpkg":
			// "openssh-server\t1:9.2p1-2+deb12u10\tinstall ok installed"
			f := strings.Split(line, "\t")
			if len(f) != 3 || f[0] != name {
				continue
			}
			status := strings.Fields(f[2])
			if len(status) == 3 && slices.Contains(dpkgInstalled, status[2]) {
				st.Versions = appendUnique(st.Versions, f[1])
			}
		case "rpm":
			// "bash\t5.1.8-6.el9" or "package bash is not installed"
			f := strings.Split(line, "\t")
			if len(f) == 2 && f[0] == name {
				st.Versions = appendUnique(st.Versions, f[1])
			}
		case "apk":
			// "Installed:   Available:" header, then "musl-1.2.4-r2   = 1.2.4-r2"
			f := strings.Fields(line)
			if len(f) == 0 || strings.HasPrefix(line, "Installed:") || strings.HasPrefix(line, "WARNING") {
				continue
			}
			if v, ok := strings.CutPrefix(f[0], name+"-"); ok {
				st.Versions = appendUnique(st.Versions, v)
			}
		default:
			return st, fmt.Errorf("unknown package manager %q", st.Manager)
		}
	}
	st.Installed = len(st.Versions) > 0
	return st, nil
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// iface is what a host says of a network interface. Addrs is nil when the
// host cannot list them, empty when there are none.
type iface struct {
	Exists bool
	MTU    int64
	Addrs  []string
}

// parseIface parses the _iface helper's output.
func parseIface(data []byte) (iface, error) {
	out := iface{Exists: true, Addrs: []string{}}
	for _, line := range lines(string(data)) {
		key, val, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch key {
		case "missing":
			return iface{}, nil
		case "mtu":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return iface{}, fmt.Errorf("bad MTU %q", val)
			}
			out.MTU = n
		case "addr":
			out.Addrs = append(out.Addrs, val)
		case "noaddrs":
			out.Addrs = nil
		case "":
		default:
			return iface{}, fmt.Errorf("unexpected interface output %q", line)
		}
	}
	return out, nil
}

// fileStat is what stat says of a file.
type fileStat struct {
	Exists bool
	Type   string // goss's names: file, directory, symlink, socket, pipe, character-device, block-device
	Mode   string // "0644"
	Size   int64
	Owner  string
	Group  string
	UID    int64 // -1 where the host has none (Windows)
	GID    int64
}

// statTypes maps GNU/BusyBox (%F) and BSD (%HT) type names to goss's.
var statTypes = map[string]string{
	"regular file": "file", "regular empty file": "file", "Regular File": "file",
	"directory": "directory", "Directory": "directory",
	"symbolic link": "symlink", "Symbolic Link": "symlink",
	"socket": "socket", "Socket": "socket",
	"fifo": "pipe", "Fifo File": "pipe",
	"character special file": "character-device", "Character Device": "character-device",
	"block special file": "block-device", "Block Device": "block-device",
}

// parseStat parses the _stat helper's output: "missing", or
// "type|mode|size|owner|group|uid|gid".
func parseStat(data []byte) (fileStat, error) {
	line := strings.TrimSpace(string(data))
	if line == "missing" {
		return fileStat{}, nil
	}
	f := strings.Split(line, "|")
	if len(f) != 7 {
		return fileStat{}, fmt.Errorf("unexpected stat output %q", line)
	}
	typ, ok := statTypes[f[0]]
	if !ok {
		typ = f[0]
	}
	mode, err := strconv.ParseUint(f[1], 8, 32)
	if err != nil {
		return fileStat{}, fmt.Errorf("bad mode %q in stat output", f[1])
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return fileStat{}, fmt.Errorf("bad size %q in stat output", f[2])
	}
	uid, err1 := strconv.ParseInt(f[5], 10, 64)
	gid, err2 := strconv.ParseInt(f[6], 10, 64)
	if err1 != nil || err2 != nil {
		return fileStat{}, fmt.Errorf("bad uid or gid %q|%q in stat output", f[5], f[6])
	}
	return fileStat{Exists: true, Type: typ, Mode: fmt.Sprintf("%04o", mode&0o7777), Size: size,
		Owner: f[3], Group: f[4], UID: uid, GID: gid}, nil
}

// parseChecksum reads the digest from `sha256sum FILE`, `openssl dgst -r`
// or `sha256 -q` output: the first field, without the backslash sha256sum
// puts before it when the file name has special characters.
func parseChecksum(data []byte) (string, error) {
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return "", fmt.Errorf("empty checksum output")
	}
	sum := strings.ToLower(strings.TrimPrefix(f[0], `\`))
	if _, err := hex.DecodeString(sum); err != nil {
		return "", fmt.Errorf("unexpected checksum output %q", strings.TrimSpace(string(data)))
	}
	return sum, nil
}

// account is a passwd or group entry.
type account struct {
	Exists bool
	UID    int64 // passwd only
	GID    int64
	Home   string
	Shell  string
}

// parsePasswd parses a passwd entry, "name:x:uid:gid:gecos:home:shell";
// empty output means there is no such user.
func parsePasswd(data []byte) (account, error) {
	line := strings.TrimSpace(string(data))
	if line == "" {
		return account{}, nil
	}
	f := strings.Split(strings.SplitN(line, "\n", 2)[0], ":")
	if len(f) != 7 {
		return account{}, fmt.Errorf("unexpected passwd entry %q", line)
	}
	uid, err1 := strconv.ParseInt(f[2], 10, 64)
	gid, err2 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil {
		return account{}, fmt.Errorf("bad uid or gid in passwd entry %q", line)
	}
	return account{Exists: true, UID: uid, GID: gid, Home: f[5], Shell: f[6]}, nil
}

// parseGroupEntry parses a group entry, "name:x:gid:members".
func parseGroupEntry(data []byte) (account, error) {
	line := strings.TrimSpace(string(data))
	if line == "" {
		return account{}, nil
	}
	f := strings.Split(strings.SplitN(line, "\n", 2)[0], ":")
	if len(f) != 4 {
		return account{}, fmt.Errorf("unexpected group entry %q", line)
	}
	gid, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return account{}, fmt.Errorf("bad gid in group entry %q", line)
	}
	return account{Exists: true, GID: gid}, nil
}

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct {
	MountPoint string
	Source     string
	FSType     string
	Opts       []string // per-mount options
	VFSOpts    []string // per-superblock options
}

// parseMountinfo finds the mount at mountPoint in /proc/self/mountinfo:
// "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue".
// When several mounts are stacked on one point, the last (visible) one wins.
func parseMountinfo(mountPoint string, data []byte) (mountEntry, bool, error) {
	var found mountEntry
	ok := false
	want := strings.TrimRight(mountPoint, "/")
	if want == "" {
		want = "/"
	}
	for _, line := range lines(string(data)) {
		f := strings.Fields(line)
		sep := slices.Index(f, "-")
		if len(f) < 10 || sep < 6 || sep+3 >= len(f) {
			if strings.TrimSpace(line) == "" {
				continue
			}
			return mountEntry{}, false, fmt.Errorf("unexpected mountinfo line %q", line)
		}
		if unescapeMount(f[4]) != want {
			continue
		}
		found = mountEntry{
			MountPoint: want, Opts: strings.Split(f[5], ","),
			FSType: f[sep+1], Source: unescapeMount(f[sep+2]), VFSOpts: strings.Split(f[sep+3], ","),
		}
		ok = true
	}
	return found, ok, nil
}

// unescapeMount undoes the kernel's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseDF reads the use percentage from `df -P PATH`.
func parseDF(data []byte) (int64, error) {
	ls := lines(string(data))
	if len(ls) < 2 {
		return 0, fmt.Errorf("unexpected df output %q", strings.TrimSpace(string(data)))
	}
	// A long device name can wrap the line; the figures are the last fields.
	f := strings.Fields(strings.Join(ls[1:], " "))
	if len(f) < 6 {
		return 0, fmt.Errorf("unexpected df output %q", strings.TrimSpace(string(data)))
	}
	pct := f[len(f)-2]
	n, err := strconv.ParseInt(strings.TrimSuffix(pct, "%"), 10, 64)
	if err != nil || !strings.HasSuffix(pct, "%") {
		return 0, fmt.Errorf("unexpected df capacity %q", pct)
	}
	return n, nil
}

// parseAhosts reads the addresses from `getent ahosts NAME`
// ("127.0.0.1       STREAM localhost"), each once, in order.
func parseAhosts(data []byte) []string {
	var addrs []string
	for _, line := range lines(string(data)) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if a, err := netip.ParseAddr(f[0]); err == nil {
			addrs = appendUnique(addrs, a.String())
		}
	}
	return addrs
}
