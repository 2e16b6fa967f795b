package checks

import (
	"fmt"
	"net/netip"
	"strings"
)

// hostEval evaluates a check from the sections of a gather that has run.
type hostEval func() *observed

// planHost registers the observations a host-side check needs in g and
// returns how to evaluate it once g has run.
func planHost(c *Check, g *gather) hostEval {
	switch c.Type {
	case "port":
		return planPort(c.Port, g)
	case "service":
		return planService(c.Service, g)
	case "process":
		return planProcess(c.Process, g)
	case "package":
		return planPackage(c.Package, g)
	case "file":
		return planFile(c.File, g)
	case "user":
		return planUser(c.User, g)
	case "group":
		return planGroup(c.Group, g)
	case "kernel-param":
		return planKernelParam(c.KernelParam, g)
	case "registry":
		return planRegistry(c.Registry, g)
	case "mount":
		return planMount(c.Mount, g)
	case "interface":
		return planInterface(c.Interface, g)
	case "dns":
		return planResolve(c.DNS, g)
	}
	return func() *observed { return failure(c.Type + " checks cannot be observed on the host") }
}

// output returns a section's output, or what went wrong (the gather or
// this probe).
// A probe that finished before the gather stopped keeps its output.
func (g *gather) output(h int, what string) ([]byte, string) {
	s := g.section(h)
	if !s.ok && g.err != nil {
		return nil, g.err.Error()
	}
	if msg := s.failed(); msg != "" {
		return nil, what + ": " + msg
	}
	return s.out, ""
}

func planPort(s *PortSpec, g *gather) hostEval {
	var h int
	var parse func([]byte) ([]listener, error)
	if g.windows() {
		proto, code := "tcp", psTCPListeners
		if strings.HasPrefix(s.Network, "udp") {
			proto, code = "udp", psUDPListeners
		}
		h = g.add("net:"+proto, "", code)
		parse = func(b []byte) ([]listener, error) { return parseWinListeners(proto, b) }
	} else {
		h = g.addCall("net:"+s.Network, "_net", s.Network)
		parse = func(b []byte) ([]listener, error) {
			if f := strings.Fields(string(b)); len(f) > 0 && f[0] == "sl" {
				return parseProcNet(s.Network, b)
			}
			return parseSS(b)
		}
	}
	return func() *observed {
		out, problem := g.output(h, "reading the listening sockets (/proc/net, ss or Get-NetTCPConnection)")
		if problem != "" {
			return failure(problem)
		}
		ls, err := parse(out)
		if err != nil {
			return failure(err.Error())
		}
		var ips []string
		for _, l := range ls {
			if l.Network == s.Network && l.Port == s.Port {
				ips = appendUnique(ips, l.IP)
			}
		}
		o := newObserved().set("listening", boolValue(len(ips) > 0))
		if len(ips) == 0 {
			o.absent = fmt.Sprintf("nothing listens on %s:%d", s.Network, s.Port)
			return o
		}
		return o.set("ip", listValue(ips))
	}
}

func planService(s *ServiceSpec, g *gather) hostEval {
	var h int
	parse := parseServiceProps
	if g.windows() {
		h = g.add("svc:"+s.Name, "", psService(s.Name))
		parse = parseWinService
	} else {
		h = g.addCall("svc:"+s.Name, "_svc", s.Name)
	}
	return func() *observed {
		out, problem := g.output(h, "reading the service's state")
		if problem != "" {
			return failure(problem)
		}
		st, err := parse(out)
		if err != nil {
			return failure(err.Error())
		}
		o := newObserved().set("running", boolValue(st.Running)).set("enabled", boolValue(st.Enabled))
		if !st.Exists {
			o.note("running", "no such service").note("enabled", "no such service")
			o.absent = "no such service" // both values are known: this only tells autoadd
		}
		if st.Init == "systemd" || st.Init == "windows" {
			// goss's binary: no runlevels there (an empty list), not an error.
			return o.set("runlevels", listValue([]string{})).
				note("runlevels", "runlevels are only known on SysV init and OpenRC hosts: "+st.Init+" has none")
		}
		return o.set("runlevels", listValue(st.Runlevels))
	}
}

func planInterface(s *InterfaceSpec, g *gather) hostEval {
	win := g.windows()
	var h int
	if win {
		h = g.add("iface:"+s.Name, "", psInterface(s.Name))
	} else {
		h = g.addCall("iface:"+s.Name, "_iface", s.Name)
	}
	return func() *observed {
		out, problem := g.output(h, "reading the interface")
		if problem != "" {
			return failure(problem)
		}
		parse := parseIface
		if win {
			parse = parseWinInterface
		}
		ifc, err := parse(out)
		if err != nil {
			return failure(err.Error())
		}
		o := newObserved().set("exists", boolValue(ifc.Exists))
		if !ifc.Exists {
			o.absent = "no such interface"
			return o
		}
		o.set("mtu", intValue(ifc.MTU))
		if ifc.Addrs == nil {
			return o.unavailable("addrs", "the host has no ip command (iproute2) to list addresses")
		}
		return o.set("addrs", listValue(ifc.Addrs))
	}
}

func planProcess(s *ProcessSpec, g *gather) hostEval {
	var h int
	parse := func(b []byte) ([]string, error) { return parseProcessNames(b), nil }
	name := s.Comm
	if g.windows() {
		h = g.add("ps", "", psProcesses)
		parse = parseWinProcesses
		name = strings.TrimSuffix(strings.ToLower(name), ".exe")
	} else {
		h = g.addCall("ps", "_ps")
	}
	return func() *observed {
		out, problem := g.output(h, "listing processes")
		if problem != "" {
			return failure(problem)
		}
		names, err := parse(out)
		if err != nil {
			return failure(err.Error())
		}
		return newObserved().set("running", boolValue(processRunning(name, names)))
	}
}

func planPackage(s *PackageSpec, g *gather) hostEval {
	var h int
	parse := func(b []byte) (packageState, error) { return parsePackage(s.Name, b) }
	if g.windows() {
		h = g.add("pkg:"+s.Name, "", psPackage(s.Name))
		parse = parseWinPackage
	} else {
		h = g.addCall("pkg:"+s.Name, "_pkg", s.Name)
	}
	return func() *observed {
		out, problem := g.output(h, "querying the package manager")
		if problem != "" {
			return failure(problem)
		}
		st, err := parse(out)
		if err != nil {
			return failure(err.Error())
		}
		o := newObserved().set("installed", boolValue(st.Installed))
		if !st.Installed {
			o.absent = "the package is not installed"
			return o
		}
		return o.set("versions", listValue(st.Versions))
	}
}

// digests are the checksum properties of files and their algorithms.
var digests = []struct{ prop, posix, windows string }{
	{"md5", "md5", "MD5"}, {"sha256", "sha256", "SHA256"}, {"sha512", "sha512", "SHA512"},
}

func planFile(s *FileSpec, g *gather) hostEval {
	win := g.windows()
	if win && strings.HasPrefix(s.Path, "~") {
		return func() *observed { return failure("~ paths are expanded on POSIX hosts only: write the full path") }
	}
	var statH int
	if win {
		statH = g.add("file:"+s.Path, "", psFile(s.Path))
	} else {
		statH = g.addPath("stat:"+s.Path, "_stat", s.Path)
	}
	contentsH, linkH := -1, -1
	if s.Contents != nil {
		if win {
			contentsH = g.add("cat:"+s.Path, "", psContents(s.Path))
		} else {
			contentsH = g.addPath("cat:"+s.Path, "_cat", s.Path)
		}
	}
	if s.LinkedTo != nil && !win {
		linkH = g.addPath("readlink:"+s.Path, "_readlink", s.Path)
	}
	sumH := make(map[string]int)
	for _, d := range digests {
		if *fileDigest(s, d.prop) == nil {
			continue
		}
		if win {
			sumH[d.prop] = g.add(d.prop+":"+s.Path, "", psHash(d.windows, s.Path))
		} else {
			sumH[d.prop] = g.addPath(d.prop+":"+s.Path, "_sum", s.Path, d.posix)
		}
	}
	return func() *observed {
		out, problem := g.output(statH, "reading the file's status")
		if problem != "" {
			return failure(problem)
		}
		var st fileStat
		var target string
		var err error
		if win {
			st, target, err = parseWinFile(out)
		} else {
			st, err = parseStat(out)
		}
		if err != nil {
			return failure(err.Error())
		}
		o := newObserved().set("exists", boolValue(st.Exists))
		if !st.Exists {
			o.absent = "no such file"
			return o
		}
		o.set("filetype", stringValue(st.Type)).set("owner", stringValue(st.Owner)).
			set("group", stringValue(st.Group)).set("size", intValue(st.Size))
		if win {
			o.unavailable("mode", "file modes are not available on Windows hosts")
			o.unavailable("uid", "numeric owners are not available on Windows hosts (use owner)")
			o.unavailable("gid", "numeric groups are not available on Windows hosts (use group)")
		} else {
			o.set("mode", stringValue(st.Mode)).set("uid", intValue(st.UID)).set("gid", intValue(st.GID))
		}
		switch {
		case st.Type != "symlink":
			o.set("linked-to", stringValue("")).note("linked-to", "not a symbolic link")
		case win:
			o.set("linked-to", stringValue(target))
		case linkH >= 0:
			g.fileValue(o, "linked-to", linkH, "reading the link", func(b []byte) (value, error) {
				return stringValue(strings.TrimRight(string(b), "\n")), nil
			})
		}
		if contentsH >= 0 {
			g.fileValue(o, "contents", contentsH, "reading the file", func(b []byte) (value, error) {
				return textValue(string(b)), nil
			})
		}
		for prop, h := range sumH {
			g.fileValue(o, prop, h, "computing the checksum", func(b []byte) (value, error) {
				sum, err := parseChecksum(b)
				return stringValue(sum), err
			})
		}
		return o
	}
}

// fileValue sets a property from a section, or marks it unavailable.
func (g *gather) fileValue(o *observed, prop string, h int, what string, parse func([]byte) (value, error)) {
	out, problem := g.output(h, what)
	if problem != "" {
		o.unavailable(prop, problem)
		return
	}
	v, err := parse(out)
	if err != nil {
		o.unavailable(prop, err.Error())
		return
	}
	o.set(prop, v)
}

func fileDigest(s *FileSpec, prop string) **Matcher {
	switch prop {
	case "md5":
		return &s.MD5
	case "sha256":
		return &s.SHA256
	}
	return &s.SHA512
}

func planUser(s *UserSpec, g *gather) hostEval {
	if g.windows() {
		h := g.add("user:"+s.Username, "", psUser(s.Username))
		return func() *observed {
			out, problem := g.output(h, "reading the local user")
			if problem != "" {
				return failure(problem)
			}
			acct, ok, err := parseWinAccount(out)
			if err != nil {
				return failure(err.Error())
			}
			o := newObserved().set("exists", boolValue(ok))
			if !ok {
				o.absent = "no such user"
				return o
			}
			for _, p := range []string{"uid", "gid", "home", "shell"} {
				o.unavailable(p, p+" is not available on Windows hosts")
			}
			return o.set("groups", listValue(acct.Groups))
		}
	}
	h := g.addCall("passwd:"+s.Username, "_getent", "passwd", s.Username)
	groupsH := -1
	if s.Groups != nil {
		groupsH = g.addCall("idgroups:"+s.Username, "_idgroups", s.Username)
	}
	return func() *observed {
		out, problem := g.output(h, "reading the user database")
		if problem != "" {
			return failure(problem)
		}
		acct, err := parsePasswd(out)
		if err != nil {
			return failure(err.Error())
		}
		o := newObserved().set("exists", boolValue(acct.Exists))
		if !acct.Exists {
			o.absent = "no such user"
			return o
		}
		o.set("uid", intValue(acct.UID)).set("gid", intValue(acct.GID)).
			set("home", stringValue(acct.Home)).set("shell", stringValue(acct.Shell))
		if groupsH >= 0 {
			g.fileValue(o, "groups", groupsH, "listing the user's groups", func(b []byte) (value, error) {
				return listValue(strings.Fields(string(b))), nil
			})
		}
		return o
	}
}

func planGroup(s *GroupSpec, g *gather) hostEval {
	win := g.windows()
	var h int
	if win {
		h = g.add("group:"+s.Groupname, "", psGroup(s.Groupname))
	} else {
		h = g.addCall("group:"+s.Groupname, "_getent", "group", s.Groupname)
	}
	return func() *observed {
		out, problem := g.output(h, "reading the group database")
		if problem != "" {
			return failure(problem)
		}
		var acct account
		if win {
			_, ok, err := parseWinAccount(out)
			if err != nil {
				return failure(err.Error())
			}
			acct.Exists = ok
		} else {
			var err error
			if acct, err = parseGroupEntry(out); err != nil {
				return failure(err.Error())
			}
		}
		o := newObserved().set("exists", boolValue(acct.Exists))
		if !acct.Exists {
			o.absent = "no such group"
			return o
		}
		if win {
			return o.unavailable("gid", "gid is not available on Windows hosts")
		}
		return o.set("gid", intValue(acct.GID))
	}
}

// sysctlPath is a kernel parameter's file under /proc/sys, as sysctl(8)
// maps names: dots are directories, and a slash is a dot in a name
// (net.ipv4.conf.eth0/1.forwarding is net/ipv4/conf/eth0.1/forwarding).
// Computed here, the probe spawns no tr.
func sysctlPath(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '.':
			return '/'
		case '/':
			return '.'
		}
		return r
	}, name)
}

func planKernelParam(s *KernelParamSpec, g *gather) hostEval {
	if g.windows() {
		return func() *observed { return failure("kernel-param checks are not available on Windows hosts") }
	}
	h := g.addCall("sysctl:"+s.Name, "_sysctl", s.Name, sysctlPath(s.Name))
	return func() *observed {
		sec := g.section(h)
		if !sec.ok && g.err != nil {
			return failure(g.err.Error())
		}
		if !sec.ok {
			return failure(sec.failed())
		}
		if sec.code != 0 {
			// goss: a parameter that cannot be read is an error.
			return failure("no such kernel parameter: " + strings.TrimSpace(sec.stderr))
		}
		return newObserved().set("value", stringValue(strings.TrimRight(string(sec.out), "\n")))
	}
}

func planMount(s *MountSpec, g *gather) hostEval {
	if g.windows() {
		return func() *observed { return failure("mount checks are not available on Windows hosts") }
	}
	h := g.addCall("mounts", "_mounts")
	dfH := -1
	if s.Usage != nil {
		dfH = g.addCall("df:"+s.MountPoint, "_df", s.MountPoint)
	}
	return func() *observed {
		out, problem := g.output(h, "reading /proc/self/mountinfo")
		if problem != "" {
			return failure(problem)
		}
		m, found, err := parseMountinfo(s.MountPoint, out)
		if err != nil {
			return failure(err.Error())
		}
		o := newObserved().set("exists", boolValue(found))
		if !found {
			// goss's binary: a mount point not found is an error of
			// exists, whatever it expects (system/mount.go), and the
			// rest is skipped.
			o.absent = "nothing is mounted there"
			return o.unavailable("exists", "Mountpoint not found: nothing is mounted at "+s.MountPoint+
				" (goss reports this as an error, even with exists: false)")
		}
		o.set("source", stringValue(m.Source)).set("filesystem", stringValue(m.FSType)).
			set("opts", listValue(m.Opts)).set("vfs-opts", listValue(m.VFSOpts))
		if dfH >= 0 {
			g.fileValue(o, "usage", dfH, "reading the usage (df)", func(b []byte) (value, error) {
				n, err := parseDF(b)
				return intValue(n), err
			})
		}
		return o
	}
}

// planResolve resolves a name through the host's resolver (getent on POSIX
// hosts, Resolve-DnsName on Windows). Only A and AAAA lookups (or both) go
// through getent.
func planResolve(s *DNSSpec, g *gather) hostEval {
	if g.windows() && (s.Type == "CAA" || s.Type == "SSHFP") {
		return func() *observed {
			return failure(s.Type + " lookups from a Windows host need server: (queried through the host's connection)")
		}
	}
	var h int
	if g.windows() {
		h = g.add("dns:"+s.Type+":"+s.Name, "", psResolve(s.Name, s.Type))
	} else {
		db := map[string]string{"": "ahosts", "A": "ahostsv4", "AAAA": "ahostsv6"}[s.Type]
		h = g.addCall("dns:"+db+":"+s.Name, "_ahosts", db, s.Name)
	}
	return func() *observed {
		out, problem := g.output(h, "resolving on the host")
		if problem != "" {
			return failure(problem)
		}
		var addrs []string
		if g.windows() {
			var err error
			if addrs, err = parseWinDNS(s.Type, out); err != nil {
				return failure(err.Error())
			}
		} else {
			addrs = parseAhosts(out)
			if s.Type == "AAAA" {
				addrs = dropMapped(addrs)
			}
		}
		return resolved(s, addrs, "")
	}
}

// dropMapped removes IPv4-mapped IPv6 addresses (getent ahostsv6 returns
// them for names with only A records).
func dropMapped(addrs []string) []string {
	out := addrs[:0]
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.Is4In6() {
			continue
		}
		out = append(out, a)
	}
	return out
}

// resolved is the observation of a DNS lookup's answers.
func resolved(s *DNSSpec, addrs []string, why string) *observed {
	o := newObserved().set("resolvable", boolValue(len(addrs) > 0))
	if len(addrs) == 0 {
		o.absent = s.Name + " does not resolve"
		if why != "" {
			o.absent += ": " + why
			o.note("resolvable", why)
		}
		return o
	}
	return o.set("addrs", listValue(addrs))
}
