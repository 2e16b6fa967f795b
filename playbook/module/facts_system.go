package module

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The system collectors of ansible-core 2.14 (module_utils/facts/system),
// computed from the sections of the gathering script.

// hostPython is what pythonFactsCode printed; nil when the host has no
// Python.
type hostPython struct {
	Version       [5]any `json:"version"`
	Executable    string `json:"executable"`
	HasSSLContext bool   `json:"has_sslcontext"`
	Type          any    `json:"type"`
	PythonVersion string `json:"python_version"`
}

func readHostPython(s factSections) *hostPython {
	out, ok := s.cmd("python")
	var py hostPython
	if !ok || json.Unmarshal([]byte(strings.TrimSpace(out)), &py) != nil {
		return nil
	}
	for i, v := range py.Version { // JSON numbers are float64: the version's are ints
		if f, ok := v.(float64); ok {
			py.Version[i] = int(f)
		}
	}
	return &py
}

// pythonFacts is ansible-core's python collector, from the host's Python.
func pythonFacts(s factSections, _ *factContext) map[string]any {
	py := readHostPython(s)
	if py == nil {
		return nil
	}
	v := py.Version
	return map[string]any{"python": map[string]any{
		"version":        map[string]any{"major": v[0], "minor": v[1], "micro": v[2], "releaselevel": v[3], "serial": v[4]},
		"version_info":   []any{v[0], v[1], v[2], v[3], v[4]},
		"executable":     py.Executable,
		"has_sslcontext": py.HasSSLContext,
		"type":           py.Type,
	}}
}

func platformFacts(s factSections, _ *factContext) map[string]any {
	f := map[string]any{}
	if py := readHostPython(s); py != nil {
		f["python_version"] = py.PythonVersion
	}
	out := func(n string) string { v, _ := s.cmd(n); return strings.TrimSpace(v) }
	f["system"], f["kernel"], f["kernel_version"], f["machine"] = out("uname.s"), out("uname.r"), out("uname.v"), out("uname.m")
	node := out("uname.n")
	fqdn := node
	if h, ok := s.cmd("fqdn.hosts"); ok {
		// socket.getfqdn: the first of the reverse name and its aliases
		// that has a dot, else the reverse name.
		if fields := strings.Fields(h); len(fields) > 1 {
			fqdn = fields[1]
			for _, n := range fields[1:] {
				if strings.Contains(n, ".") {
					fqdn = n
					break
				}
			}
		}
	}
	f["fqdn"] = fqdn
	f["hostname"] = strings.SplitN(node, ".", 2)[0]
	f["nodename"] = node
	domain := ""
	if i := strings.IndexByte(fqdn, '.'); i >= 0 {
		domain = fqdn[i+1:]
	}
	f["domain"] = domain
	bits := out("longbit")
	f["userspace_bits"] = bits
	m := out("uname.m")
	f["architecture"] = m
	if m == "x86_64" {
		switch bits {
		case "64":
			f["userspace_architecture"] = "x86_64"
		case "32":
			f["userspace_architecture"] = "i386"
		}
	} else if regexp.MustCompile(`i([3456]86|86pc)`).MatchString(m) {
		f["architecture"] = "i386"
	}
	id, ok := s.file("machine-id.dbus")
	if !ok {
		id, ok = s.file("machine-id.etc")
	}
	if ok {
		f["machine_id"] = strings.SplitN(id, "\n", 2)[0]
	}
	return f
}

// osRelease parses os-release: KEY=value lines, quotes removed.
func osRelease(data string) map[string]string {
	kv := map[string]string{}
	for _, line := range strings.Split(data, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		kv[k] = v
	}
	return kv
}

func osFamily(dist string) string {
	families := map[string][]string{
		"RedHat": {"RedHat", "RHEL", "Fedora", "CentOS", "Scientific", "SLC", "Ascendos", "CloudLinux", "PSBM", "OracleLinux", "OVS",
			"OEL", "Amazon", "Virtuozzo", "XenServer", "Alibaba", "EulerOS", "openEuler", "AlmaLinux", "Rocky", "TencentOS",
			"EuroLinux", "Kylin Linux Advanced Server"},
		"Debian": {"Debian", "Ubuntu", "Raspbian", "Neon", "KDE neon", "Linux Mint", "SteamOS", "Devuan", "Kali", "Cumulus Linux",
			"Pop!_OS", "Parrot", "Pardus GNU/Linux", "Uos", "Deepin", "OSMC"},
		"Suse":       {"SuSE", "SLES", "SLED", "openSUSE", "openSUSE Tumbleweed", "SLES_SAP", "SUSE_LINUX", "openSUSE Leap"},
		"Archlinux":  {"Archlinux", "Antergos", "Manjaro"},
		"Mandrake":   {"Mandrake", "Mandriva"},
		"Slackware":  {"Slackware"},
		"Altlinux":   {"Altlinux"},
		"SGML":       {"SGML"},
		"Gentoo":     {"Gentoo", "Funtoo"},
		"Alpine":     {"Alpine"},
		"ClearLinux": {"Clear Linux OS", "Clear Linux Mix"},
	}
	for fam, names := range families {
		for _, n := range names {
			if n == dist {
				return fam
			}
		}
	}
	return dist
}

// distributionGuess is DistributionFiles._guess_distribution on the
// os-release data, as the bundled distro library reads it.
func distributionGuess(s factSections) map[string]any {
	osr := map[string]string{}
	if d, ok := s.file("dist:/etc/os-release"); ok {
		osr = osRelease(d)
	} else if d, ok := s.file("dist:/usr/lib/os-release"); ok {
		osr = osRelease(d)
	}
	id := strings.ToLower(strings.ReplaceAll(osr["ID"], " ", "_"))
	if n, ok := map[string]string{"ol": "oracle", "opensuse-leap": "opensuse"}[id]; ok {
		id = n
	}
	dist := capitalize(id)
	switch dist {
	case "Amzn":
		dist = "Amazon"
	case "Rhel":
		dist = "Redhat"
	case "":
		dist = "OtherLinux"
	}
	version := osr["VERSION_ID"]
	switch id {
	case "debian":
		// distro.version(best=True): the candidate with the most dots
		dv, _ := s.file("dist:/etc/debian_version")
		for _, v := range []string{osr["VERSION_ID"], dv} {
			if strings.Count(v, ".") > strings.Count(version, ".") || version == "" {
				version = v
			}
		}
	case "centos":
		if rv, ok := s.file("dist:/etc/centos-release"); ok {
			if m := regexp.MustCompile(`(\d+)\.(\d+)`).FindString(rv); m != "" {
				version = m
			}
		}
	}
	codename, ok := osr["VERSION_CODENAME"]
	if !ok {
		codename, ok = osr["UBUNTU_CODENAME"]
	}
	if !ok {
		// the distro library's codename from VERSION: "9.3 (Blue Onyx)"
		if m := regexp.MustCompile(`\((\D+)\)|,\s*(\D+)`).FindStringSubmatch(osr["VERSION"]); m != nil {
			codename, ok = m[1]+m[2], true
		}
	}
	g := map[string]any{"distribution": dist, "distribution_version": orNA(version), "distribution_release": "NA"}
	if ok {
		g["distribution_release"] = codename
	}
	g["distribution_major_version"] = orNA(strings.Split(g["distribution_version"].(string), ".")[0])
	return g
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}

func orNA(s string) string {
	if s == "" {
		return "NA"
	}
	return s
}

// distributionFacts is DistributionFactCollector on Linux for the
// distribution files remotectl parses (RedHat family, Amazon, Alpine,
// Debian family via os-release, and the NA fallback).
func distributionFacts(s factSections, _ *factContext) map[string]any {
	f := distributionGuess(s)
	type distFile struct{ path, name string }
	files := []distFile{{"/etc/altlinux-release", "Altlinux"}, {"/etc/oracle-release", "OracleLinux"}, {"/etc/slackware-version", "Slackware"},
		{"/etc/centos-release", "CentOS"}, {"/etc/redhat-release", "RedHat"}, {"/etc/vmware-release", "VMwareESX"},
		{"/etc/openwrt_release", "OpenWrt"}, {"/etc/os-release", "Amazon"}, {"/etc/system-release", "Amazon"},
		{"/etc/alpine-release", "Alpine"}, {"/etc/arch-release", "Archlinux"}, {"/etc/os-release", "Archlinux"},
		{"/etc/os-release", "SUSE"}, {"/etc/SuSE-release", "SUSE"}, {"/etc/gentoo-release", "Gentoo"},
		{"/etc/os-release", "Debian"}, {"/etc/lsb-release", "Debian"}, {"/etc/lsb-release", "Mandriva"},
		{"/etc/sourcemage-release", "SMGL"}, {"/usr/lib/os-release", "ClearLinux"}, {"/etc/coreos/update.conf", "Coreos"},
		{"/etc/os-release", "Flatcar"}, {"/etc/os-release", "NA"}}
	search := map[string]string{"OracleLinux": "Oracle Linux", "RedHat": "Red Hat", "Altlinux": "ALT", "SMGL": "Source Mage GNU/Linux"}
	for _, df := range files {
		allowEmpty := df.name == "VMwareESX" || df.name == "Archlinux" && df.path == "/etc/arch-release"
		exists := s.has("exists:" + df.path)
		data, nonEmpty := s.file("dist:" + df.path)
		if allowEmpty && exists {
			f["distribution"], f["distribution_file_path"], f["distribution_file_variety"] = df.name, df.path, df.name
			break
		}
		if !nonEmpty {
			continue
		}
		data = strings.Trim(data, `'"\`)
		parsed, extra := parseDistFile(df.name, df.path, data, search, s, f)
		if parsed {
			f["distribution"], f["distribution_file_path"], f["distribution_file_variety"] = df.name, df.path, df.name
			f["distribution_file_parsed"] = true
			for k, v := range extra {
				f[k] = v
			}
			break
		}
	}
	f["os_family"] = osFamily(f["distribution"].(string))
	return f
}

// parseDistFile is DistributionFiles._parse_dist_file for the files
// remotectl reads; a family it does not parse is not matched (the guess
// from os-release stays).
func parseDistFile(name, path, data string, search map[string]string, s factSections, guess map[string]any) (bool, map[string]any) {
	f := map[string]any{}
	if str, ok := search[name]; ok {
		if strings.Contains(data, str) {
			f["distribution"] = name
			f["distribution_file_search_string"] = str
		} else {
			f["distribution"] = strings.Fields(data)[0]
		}
		return true, f
	}
	switch name {
	case "Archlinux":
		if strings.Contains(data, "Arch Linux") {
			f["distribution"] = name
			return true, f
		}
		return false, f
	case "Amazon":
		if !strings.Contains(data, "Amazon") {
			return false, f
		}
		f["distribution"] = "Amazon"
		if path == "/etc/os-release" {
			if m := regexp.MustCompile(`VERSION_ID="(.*)"`).FindStringSubmatch(data); m != nil {
				f["distribution_version"] = m[1]
				parts := strings.Split(m[1], ".")
				f["distribution_major_version"], f["distribution_minor_version"] = parts[0], "NA"
				if len(parts) > 1 {
					f["distribution_minor_version"] = parts[1]
				}
			}
		} else {
			v := "NA"
			for _, w := range strings.Fields(data) {
				if _, err := strconv.Atoi(w); err == nil {
					v = w
					break
				}
			}
			f["distribution_version"] = v
		}
		return true, f
	case "Alpine":
		f["distribution"], f["distribution_version"] = "Alpine", data
		return true, f
	case "Debian":
		return parseDebianDist(path, data, s, guess)
	case "CentOS":
		if strings.Contains(data, "CentOS Stream") {
			f["distribution_release"] = "Stream"
			return true, f
		}
		if strings.Contains(data, "TencentOS Server") {
			f["distribution"] = "TencentOS"
			return true, f
		}
	case "Slackware":
		if !strings.Contains(data, "Slackware") {
			return false, f
		}
		f["distribution"] = name
		if v := regexp.MustCompile(`\w+[.]\w+\+?`).FindString(data); v != "" {
			f["distribution_version"] = v
		}
		return true, f
	case "OpenWrt", "Mandriva":
		if !strings.Contains(data, name) {
			return false, f
		}
		f["distribution"] = name
		if m := regexp.MustCompile(`DISTRIB_RELEASE="(.*)"`).FindStringSubmatch(data); m != nil {
			f["distribution_version"] = m[1]
		}
		if m := regexp.MustCompile(`DISTRIB_CODENAME="(.*)"`).FindStringSubmatch(data); m != nil {
			f["distribution_release"] = m[1]
		}
		return true, f
	case "SUSE":
		return parseSUSEDist(path, data, guess)
	case "NA":
		for _, line := range strings.Split(data, "\n") {
			if m := regexp.MustCompile(`^NAME=(.*)`).FindStringSubmatch(line); m != nil {
				f["distribution"] = strings.Trim(m[1], `"`)
			}
			if m := regexp.MustCompile(`^VERSION=(.*)`).FindStringSubmatch(line); m != nil && guess["distribution_version"] == "NA" {
				f["distribution_version"] = strings.Trim(m[1], `"`)
			}
		}
		return true, f
	case "Coreos":
		if strings.ToLower(asString(guess["distribution"])) != "coreos" {
			return false, f
		}
		if m := regexp.MustCompile(`(?m)^GROUP=(.*)`).FindStringSubmatch(data); m != nil && strings.HasPrefix(data, "GROUP=") {
			f["distribution_release"] = strings.Trim(m[1], `"`)
		}
		return true, f
	case "Flatcar":
		if strings.ToLower(asString(guess["distribution"])) != "flatcar" {
			return false, f
		}
		if m := regexp.MustCompile(`VERSION=(.*)`).FindStringSubmatch(data); m != nil {
			v := strings.Trim(m[1], `"`)
			f["distribution_major_version"], f["distribution_version"] = strings.Split(v, ".")[0], v
		}
		return true, f
	case "ClearLinux":
		if m := regexp.MustCompile(`NAME="(.*)"`).FindStringSubmatch(data); m != nil {
			if !strings.Contains(m[1], "Clear Linux") {
				return false, f
			}
			f["distribution"] = m[1]
		}
		if m := regexp.MustCompile(`VERSION_ID=(.*)`).FindStringSubmatch(data); m != nil {
			f["distribution_major_version"], f["distribution_version"] = m[1], m[1]
		}
		if m := regexp.MustCompile(`ID=(.*)`).FindStringSubmatch(data); m != nil {
			f["distribution_release"] = m[1]
		}
		return true, f
	}
	return false, f
}

// parseSUSEDist is parse_distribution_file_SUSE (the SLES_SAP baseproduct
// link is not looked at).
func parseSUSEDist(path, data string, guess map[string]any) (bool, map[string]any) {
	f := map[string]any{}
	lower := strings.ToLower(data)
	if !strings.Contains(lower, "suse") {
		return false, f
	}
	switch path {
	case "/etc/os-release":
		for _, line := range strings.Split(data, "\n") {
			if m := regexp.MustCompile(`^NAME=(.*)`).FindStringSubmatch(line); m != nil {
				f["distribution"] = strings.Trim(m[1], `"`)
			}
			if m := regexp.MustCompile(`^VERSION_ID="?([0-9]+\.?[0-9]*)"?`).FindStringSubmatch(line); m != nil {
				f["distribution_version"], f["distribution_major_version"] = m[1], strings.Split(m[1], ".")[0]
			}
			rel := regexp.MustCompile(`^VERSION_ID="?[0-9]+\.?([0-9]*)"?`).FindStringSubmatch(line)
			if strings.Contains(lower, "open") {
				if rel != nil {
					f["distribution_release"] = rel[1]
				}
			} else if strings.Contains(lower, "enterprise") && strings.Contains(line, "VERSION_ID") && rel != nil {
				f["distribution_release"] = "0"
				if rel[1] != "" {
					f["distribution_release"] = rel[1]
				}
			}
		}
	case "/etc/SuSE-release":
		lines := strings.Split(data, "\n")
		if strings.Contains(lower, "open") {
			f["distribution"] = strings.Fields(lines[0])[0]
			for _, line := range lines {
				if m := regexp.MustCompile(`CODENAME *= *([^\n]+)`).FindStringSubmatch(line); m != nil {
					f["distribution_release"] = strings.TrimSpace(m[1])
				}
			}
		} else if strings.Contains(lower, "enterprise") {
			if strings.Contains(data, "Server") {
				f["distribution"] = "SLES"
			} else if strings.Contains(data, "Desktop") {
				f["distribution"] = "SLED"
			}
			for _, line := range lines {
				if m := regexp.MustCompile(`PATCHLEVEL = ([0-9]+)`).FindStringSubmatch(line); m != nil {
					f["distribution_release"] = m[1]
					f["distribution_version"] = asString(guess["distribution_version"]) + "." + m[1]
				}
			}
		}
	}
	return true, f
}

func parseDebianDist(path, data string, s factSections, guess map[string]any) (bool, map[string]any) {
	f := map[string]any{}
	versionID := func(major func(string) string) {
		if m := regexp.MustCompile(`VERSION_ID="(.*)"`).FindStringSubmatch(data); m != nil {
			f["distribution_version"], f["distribution_major_version"] = m[1], major(m[1])
		}
	}
	first := func(v string) string { return strings.Split(v, ".")[0] }
	switch {
	case strings.Contains(data, "Debian") || strings.Contains(data, "Raspbian"):
		f["distribution"] = "Debian"
		if m := regexp.MustCompile(`PRETTY_NAME=[^(]+ \(?([^)]+?)\)`).FindStringSubmatch(data); m != nil {
			f["distribution_release"] = m[1]
		}
		if dv, ok := s.file("dist:/etc/debian_version"); ok {
			for _, line := range strings.Split(dv, "\n") {
				if m := regexp.MustCompile(`(\d+)\.(\d+)`).FindStringSubmatch(strings.TrimSpace(line)); m != nil {
					f["distribution_minor_version"] = m[2]
				}
			}
		}
	case strings.Contains(data, "Ubuntu"):
		f["distribution"] = "Ubuntu"
	case strings.Contains(data, "SteamOS"):
		f["distribution"] = "SteamOS"
	case (path == "/etc/lsb-release" || path == "/etc/os-release") && (strings.Contains(data, "Kali") || strings.Contains(data, "Parrot")):
		f["distribution"] = "Parrot"
		if strings.Contains(data, "Kali") {
			f["distribution"] = "Kali"
		}
		if m := regexp.MustCompile(`DISTRIB_RELEASE=(.*)`).FindStringSubmatch(data); m != nil {
			f["distribution_release"] = m[1]
		}
	case strings.Contains(data, "Devuan"):
		f["distribution"] = "Devuan"
		if m := regexp.MustCompile(`PRETTY_NAME="?[^("]+ \(?([^) "]+)\)?`).FindStringSubmatch(data); m != nil {
			f["distribution_release"] = m[1]
		}
		versionID(func(v string) string { return v })
	case strings.Contains(data, "Cumulus"):
		f["distribution"] = "Cumulus Linux"
		if m := regexp.MustCompile(`VERSION_ID=(.*)`).FindStringSubmatch(data); m != nil {
			f["distribution_version"], f["distribution_major_version"] = m[1], strings.Split(m[1], ".")[0]
		}
		if m := regexp.MustCompile(`VERSION="(.*)"`).FindStringSubmatch(data); m != nil {
			f["distribution_release"] = m[1]
		}
	case strings.Contains(data, "Mint"):
		f["distribution"] = "Linux Mint"
		versionID(first)
	case strings.Contains(data, "UOS") || strings.Contains(data, "Uos") || strings.Contains(data, "uos"),
		strings.Contains(data, "Deepin") || strings.Contains(data, "deepin"):
		f["distribution"] = "Deepin"
		if strings.Contains(data, "UOS") || strings.Contains(data, "Uos") || strings.Contains(data, "uos") {
			f["distribution"] = "Uos"
		}
		if m := regexp.MustCompile(`VERSION_CODENAME="?([^"]+)"?`).FindStringSubmatch(data); m != nil {
			f["distribution_release"] = m[1]
		}
		versionID(first)
	default:
		_ = guess
		return false, f
	}
	return true, f
}

func lsbFacts(s factSections, _ *factContext) map[string]any {
	lsb := map[string]any{}
	if out, ok := s.cmd("lsb_release"); ok && s.has("lsb_release.path") {
		for _, line := range strings.Split(out, "\n") {
			_, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			switch {
			case strings.Contains(line, "LSB Version:"), strings.Contains(line, "Release:"):
				lsb["release"] = v
			case strings.Contains(line, "Distributor ID:"):
				lsb["id"] = v
			case strings.Contains(line, "Description:"):
				lsb["description"] = v
			case strings.Contains(line, "Codename:"):
				lsb["codename"] = v
			}
		}
	}
	if data, ok := s["lsb-release"]; len(lsb) == 0 && ok {
		for _, line := range strings.Split(strings.TrimRight(data, "\n"), "\n") {
			_, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			switch {
			case strings.Contains(line, "DISTRIB_ID"):
				lsb["id"] = v
			case strings.Contains(line, "DISTRIB_RELEASE"):
				lsb["release"] = v
			case strings.Contains(line, "DISTRIB_DESCRIPTION"):
				lsb["description"] = v
			case strings.Contains(line, "DISTRIB_CODENAME"):
				lsb["codename"] = v
			}
		}
	}
	if r, ok := lsb["release"].(string); ok {
		lsb["major_release"] = strings.Split(r, ".")[0]
	}
	for k, v := range lsb {
		if sv := v.(string); sv != "" {
			lsb[k] = strings.Trim(sv, `'"\`)
		}
	}
	return map[string]any{"lsb": lsb}
}

// selinuxFacts reads SELinux's state from selinuxfs and its config (what
// libselinux reports); remotectl needs no Python binding, so
// selinux_python_present is true: the facts are complete.
func selinuxFacts(s factSections, _ *factContext) map[string]any {
	se := map[string]any{}
	if !s.has("selinux.fs") {
		se["status"] = "disabled"
		return map[string]any{"selinux": se, "selinux_python_present": true}
	}
	se["status"] = "enabled"
	se["policyvers"] = "unknown"
	if v, ok := s.file("selinux.policyvers"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			se["policyvers"] = n
		}
	}
	modes := map[string]string{"1": "enforcing", "0": "permissive", "-1": "disabled"}
	se["mode"] = "unknown"
	if v, ok := s.file("selinux.enforce"); ok {
		if m, ok := modes[v]; ok {
			se["mode"] = m
		}
	}
	cfg := osRelease(s["selinux.config"])
	se["config_mode"], se["type"] = "unknown", "unknown"
	// libselinux's selinux_getenforcemode compares case-insensitively
	switch v := strings.ToLower(cfg["SELINUX"]); v {
	case "enforcing", "permissive", "disabled":
		se["config_mode"] = v
	}
	if v, ok := cfg["SELINUXTYPE"]; ok {
		se["type"] = v
	}
	return map[string]any{"selinux": se, "selinux_python_present": true}
}

func apparmorFacts(s factSections, _ *factContext) map[string]any {
	st := "disabled"
	if s.has("apparmor") {
		st = "enabled"
	}
	return map[string]any{"apparmor": map[string]any{"status": st}}
}

func chrootFacts(s factSections, _ *factContext) map[string]any {
	if strings.TrimSpace(s["chroot.env"]) != "" {
		return map[string]any{"is_chroot": true}
	}
	root, ok1 := s.cmd("chroot.root")
	proc1, ok2 := s.cmd("chroot.proc1")
	if ok1 && ok2 {
		return map[string]any{"is_chroot": strings.TrimSpace(root) != strings.TrimSpace(proc1)}
	}
	ino := "2"
	fstype, _ := s.cmd("chroot.fstype")
	if strings.Contains(fstype, "btrfs") {
		ino = "256"
	} else if strings.Contains(fstype, "xfs") {
		ino = "128"
	}
	fields := strings.Fields(root)
	return map[string]any{"is_chroot": len(fields) < 2 || fields[1] != ino}
}

func fipsFacts(s factSections, _ *factContext) map[string]any {
	v, _ := s.file("fips")
	return map[string]any{"fips": v == "1"}
}

func capsFacts(s factSections, _ *factContext) map[string]any {
	f := map[string]any{"system_capabilities_enforced": "N/A", "system_capabilities": "N/A"}
	out, ok := s.cmd("capsh")
	if !ok || !s.has("capsh.path") {
		return f
	}
	enforced, caps := "NA", []any{}
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "Current:") {
			continue
		}
		if strings.TrimSpace(strings.Split(line, ":")[1]) == "=ep" {
			enforced = "False"
		} else {
			enforced = "True"
			caps = []any{}
			for _, c := range strings.Split(strings.SplitN(line, "=", 3)[1], ",") {
				caps = append(caps, strings.TrimSpace(c))
			}
		}
	}
	f["system_capabilities_enforced"], f["system_capabilities"] = enforced, caps
	return f
}

func pkgMgrFacts(s factSections, c *factContext) map[string]any {
	type pm struct{ path, name string }
	mgrs := []pm{{"/usr/bin/rpm-ostree", "atomic_container"}, {"/usr/bin/yum", "yum"}, {"/usr/bin/dnf", "dnf"}, {"/usr/bin/apt-get", "apt"},
		{"/usr/bin/zypper", "zypper"}, {"/usr/sbin/urpmi", "urpmi"}, {"/usr/bin/pacman", "pacman"}, {"/bin/opkg", "opkg"},
		{"/usr/pkg/bin/pkgin", "pkgin"}, {"/opt/local/bin/pkgin", "pkgin"}, {"/opt/tools/bin/pkgin", "pkgin"},
		{"/opt/local/bin/port", "macports"}, {"/usr/local/bin/brew", "homebrew"}, {"/opt/homebrew/bin/brew", "homebrew"},
		{"/sbin/apk", "apk"}, {"/usr/sbin/pkg", "pkgng"}, {"/usr/sbin/swlist", "swdepot"}, {"/usr/bin/emerge", "portage"},
		{"/usr/sbin/pkgadd", "svr4pkg"}, {"/usr/bin/pkg", "pkg5"}, {"/usr/bin/xbps-install", "xbps"}, {"/usr/local/sbin/pkg", "pkgng"},
		{"/usr/bin/swupd", "swupd"}, {"/usr/sbin/sorcery", "sorcery"}, {"/usr/bin/installp", "installp"}, {"/QOpenSys/pkgs/bin/yum", "yum"}}
	family, _ := c.collected["os_family"].(string)
	name := "unknown"
	exists := func(n string) bool {
		for _, m := range mgrs {
			if m.name == n && s.has("exists:"+m.path) {
				return true
			}
		}
		return false
	}
	for _, m := range mgrs {
		if family == "Altlinux" && m.path == "/usr/bin/pkg" {
			continue
		}
		if s.has("exists:" + m.path) {
			name = m.name
		}
	}
	switch family {
	case "RedHat":
		name = rhPkgMgr(name, s, c, exists)
	case "Debian":
		name = "apt"
	case "Altlinux":
		if name == "apt" {
			name = "apt_rpm"
		}
	}
	if name == "apt" && s.has("exists:/usr/bin/rpm") {
		if _, ok := s.cmd("rpm.apt"); ok {
			name = "apt_rpm"
		}
	}
	return map[string]any{"pkg_mgr": name}
}

func rhPkgMgr(name string, s factSections, c *factContext, exists func(string) bool) string {
	if s.has("exists:/run/ostree-booted") {
		return "atomic_container"
	}
	dist, _ := c.collected["distribution"].(string)
	major, err := strconv.Atoi(strings.TrimSpace(asString(c.collected["distribution_major_version"])))
	pick := func(limit int) string {
		switch {
		case err != nil:
			return "dnf"
		case major < limit:
			if exists("yum") {
				return "yum"
			}
		default:
			if exists("dnf") {
				return "dnf"
			}
		}
		return name
	}
	switch dist {
	case "Fedora":
		return pick(23)
	case "Amazon":
		return pick(2022)
	}
	if err == nil && major < 8 {
		return "yum"
	}
	return "dnf"
}

func asString(v any) string { s, _ := v.(string); return s }

func serviceMgrFacts(s factSections, c *factContext) map[string]any {
	var proc1 string
	have := false
	if v, ok := s["proc1.comm"]; ok {
		proc1, have = v, true
	}
	if proc1 == "COMMAND\n" {
		have = false
	}
	if !have {
		if v, ok := s.cmd("sbin.init"); ok {
			proc1, have = strings.TrimSpace(v), true
		}
	}
	if have {
		proc1 = strings.TrimSpace(path_base(proc1))
		if proc1 == "init" || strings.HasSuffix(proc1, "sh") {
			have = false
		}
	}
	name := ""
	if have {
		name = proc1
		if m, ok := map[string]string{"procd": "openwrt_init", "runit-init": "runit", "svscan": "svc", "openrc-init": "openrc"}[proc1]; ok {
			name = m
		}
	} else if asString(c.collected["distribution"]) == "OpenWrt" {
		name = "openwrt_init"
	} else if asString(c.collected["system"]) == "Linux" {
		systemctl := s.has("systemctl.path")
		switch {
		case systemctl && (s.has("exists:/run/systemd/system/") || s.has("exists:/dev/.run/systemd/") || s.has("exists:/dev/.systemd/")):
			name = "systemd"
		case s.has("initctl.path") && s.has("exists:/etc/init/"):
			name = "upstart"
		case s.has("exists:/sbin/openrc"):
			name = "openrc"
		case systemctl && path_base(strings.TrimSpace(s["sbin.init"])) == "systemd":
			name = "systemd"
		case s.has("exists:/etc/init.d/"):
			name = "sysvinit"
		}
	}
	if name == "" {
		name = "service"
	}
	return map[string]any{"service_mgr": name}
}

func path_base(p string) string {
	p = strings.TrimRight(p, "\n")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// shlexSplitNonPosix is Python's shlex.split(data, posix=False): words
// split on whitespace, a quote at the start of a word runs to its closing
// quote (kept) and ends the word. An unclosed quote is an error.
func shlexSplitNonPosix(data string) ([]string, bool) {
	var out []string
	i := 0
	for i < len(data) {
		for i < len(data) && strings.ContainsRune(" \t\r\n", rune(data[i])) {
			i++
		}
		if i >= len(data) {
			break
		}
		if q := data[i]; q == '"' || q == '\'' {
			j := strings.IndexByte(data[i+1:], q)
			if j < 0 {
				return nil, false
			}
			out = append(out, data[i:i+j+2])
			i += j + 2
			continue
		}
		j := i
		for j < len(data) && !strings.ContainsRune(" \t\r\n", rune(data[j])) {
			j++
		}
		out = append(out, data[i:j])
		i = j
	}
	return out, true
}

func cmdlineFacts(s factSections, _ *factContext) map[string]any {
	data, ok := s.file("cmdline")
	if !ok {
		return nil
	}
	cmdline, proc := map[string]any{}, map[string]any{}
	if words, ok := shlexSplitNonPosix(data); ok {
		for _, w := range words {
			k, v, has := strings.Cut(w, "=")
			if !has {
				cmdline[k], proc[k] = true, true
				continue
			}
			cmdline[k] = v
			switch old := proc[k].(type) {
			case nil:
				proc[k] = v
			case []any:
				proc[k] = append(old, v)
			default:
				proc[k] = []any{old, v}
			}
		}
	}
	return map[string]any{"cmdline": cmdline, "proc_cmdline": proc}
}

func dateTimeFacts(s factSections, _ *factContext) map[string]any {
	local, _ := s.cmd("date")
	utc, _ := s.cmd("date.utc")
	l := strings.Split(strings.TrimSpace(local), "|")
	u := strings.Split(strings.TrimSpace(utc), "|")
	if len(l) < 16 || len(u) < 2 {
		return nil
	}
	dt := map[string]any{"year": l[0], "month": l[1], "weekday": l[2], "weekday_number": l[3], "weeknumber": l[4],
		"day": l[5], "hour": l[6], "minute": l[7], "second": l[8], "epoch": l[9], "epoch_int": l[9], "date": l[10],
		"time": l[11], "iso8601_basic": l[12], "iso8601_basic_short": l[13], "tz": l[14], "tz_offset": l[15],
		"iso8601_micro": u[0], "iso8601": u[1]}
	// time.tzname[1]: the zone's daylight-saving name, its standard name
	// when it has none.
	jan := strings.Split(strings.TrimSpace(s["date.jan"]), "|")
	jul := strings.Split(strings.TrimSpace(s["date.jul"]), "|")
	dst := l[14]
	if len(jan) == 2 && len(jul) == 2 {
		dst = jan[0]
		if jul[1] > jan[1] {
			dst = jul[0]
		}
	}
	dt["tz_dst"] = dst
	return map[string]any{"date_time": dt}
}

func envFacts(s factSections, _ *factContext) map[string]any {
	env := map[string]any{}
	for _, line := range strings.Split(s["env"], "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			continue
		}
		env[k] = strings.ReplaceAll(v, "\x01", "\n")
	}
	return map[string]any{"env": env}
}

func loadavgFacts(s factSections, _ *factContext) map[string]any {
	f := strings.Fields(s["loadavg"])
	if len(f) < 3 {
		return nil
	}
	la := map[string]any{}
	for i, k := range []string{"1m", "5m", "15m"} {
		v, _ := strconv.ParseFloat(f[i], 64)
		la[k] = v
	}
	return map[string]any{"loadavg": la}
}

func sshKeyFacts(s factSections, _ *factContext) map[string]any {
	f := map[string]any{}
	for _, dir := range []string{"/etc/ssh", "/etc/openssh", "/etc"} {
		for _, algo := range []string{"dsa", "rsa", "ecdsa", "ed25519"} {
			name := "ssh_host_key_" + algo + "_public"
			if _, ok := f[name]; ok {
				return f
			}
			if data, ok := s["ssh:"+dir+"/"+algo]; ok {
				if w := strings.Fields(data); len(w) >= 2 {
					f[name], f[name+"_keytype"] = w[1], w[0]
				}
			}
		}
	}
	return f
}

func userFacts(s factSections, _ *factContext) map[string]any {
	num := func(n string) any {
		v, _ := s.cmd(n)
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return nil
		}
		return i
	}
	// getpass.getuser: LOGNAME, USER, LNAME, USERNAME, then the passwd name.
	user := ""
	for _, v := range strings.Split(strings.TrimSuffix(s["user.env"], "\n"), "\n") {
		if v != "" {
			user = v
			break
		}
	}
	pw, _ := s.cmd("passwd.uid")
	fields := strings.Split(strings.TrimSpace(pw), ":")
	if user == "" && len(fields) > 0 {
		user = fields[0]
	}
	f := map[string]any{"user_id": user, "real_user_id": num("id.ru"), "effective_user_id": num("id.u"),
		"real_group_id": num("id.rg"), "effective_group_id": num("id.rg")}
	if len(fields) == 7 {
		uid, _ := strconv.Atoi(fields[2])
		gid, _ := strconv.Atoi(fields[3])
		f["user_uid"], f["user_gid"], f["user_gecos"], f["user_dir"], f["user_shell"] = uid, gid, fields[4], fields[5], fields[6]
	}
	return f
}

func dnsFacts(s factSections, _ *factContext) map[string]any {
	dns := map[string]any{}
	for _, line := range strings.Split(s["resolv.conf"], "\n") {
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") || strings.TrimSpace(line) == "" {
			continue
		}
		t := strings.Fields(line)
		rest := anyStrings(t[1:])
		switch t[0] {
		case "nameserver":
			ns, _ := dns["nameservers"].([]any)
			dns["nameservers"] = append(ns, rest...)
		case "domain":
			if len(t) > 1 {
				dns["domain"] = t[1]
			}
		case "search":
			dns["search"] = rest
		case "sortlist":
			dns["sortlist"] = rest
		case "options":
			opts := map[string]any{}
			for _, o := range t[1:] {
				k, v, ok := strings.Cut(o, ":")
				if ok {
					opts[k] = v
				} else {
					opts[k] = true
				}
			}
			dns["options"] = opts
		}
	}
	return map[string]any{"dns": dns}
}

func fcWwnFacts(s factSections, _ *factContext) map[string]any {
	var keys []string
	for k := range s {
		if strings.HasPrefix(k, "fc:") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	wwn := []any{}
	for _, k := range keys {
		for _, line := range strings.Split(strings.TrimRight(s[k], "\n"), "\n") {
			line = strings.TrimRight(line, " \t\r")
			if len(line) > 2 {
				wwn = append(wwn, line[2:])
			}
		}
	}
	return map[string]any{"fibre_channel_wwn": wwn}
}

func iscsiFacts(s factSections, _ *factContext) map[string]any {
	iqn := ""
	for _, line := range strings.Split(s["iscsi"], "\n") {
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") || strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, "InitiatorName=") {
			iqn = strings.TrimRight(strings.SplitN(line, "=", 2)[1], " \t\r")
			break
		}
	}
	return map[string]any{"iscsi_iqn": iqn}
}

func nvmeFacts(s factSections, _ *factContext) map[string]any {
	nqn := ""
	data, _ := s.file("hostnqn")
	for _, line := range strings.Split(data, "\n") {
		if strings.HasPrefix(line, "nqn.") {
			nqn = line
			break
		}
	}
	return map[string]any{"hostnqn": nqn}
}

// localFacts is the local collector: each *.fact of fact_path, run when
// executable, read as JSON, else as INI.
func localFacts(s factSections) (map[string]any, []string) {
	local := map[string]any{}
	if !s.has("local.dir") {
		return map[string]any{"local": local}, nil
	}
	var files []string
	for k := range s {
		if strings.HasPrefix(k, "local.file:") || strings.HasPrefix(k, "local.exec:") && !strings.HasSuffix(k, ".rc") {
			files = append(files, k)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i][11:] < files[j][11:] })
	var warnings []string
	for _, k := range files {
		fn := k[11:]
		base := strings.ReplaceAll(path_base(fn), ".fact", "")
		var out string
		if strings.HasPrefix(k, "local.exec:") {
			if rc := strings.TrimSpace(s[k+".rc"]); rc != "0" {
				msg := "Failure executing fact script (" + fn + "), rc: " + rc + ", err: " + s["local.err:"+fn]
				local[base] = msg
				warnings = append(warnings, msg)
				continue
			}
			out = s[k]
		} else {
			out, _ = s.file("local.content:" + fn)
		}
		var v any
		if err := json.Unmarshal([]byte(out), &v); err == nil {
			local[base] = v
			continue
		}
		ini, ok := parseINIFacts(out)
		if !ok {
			msg := "error loading facts as JSON or ini - please check content: " + fn
			local[base] = msg
			warnings = append(warnings, msg)
			continue
		}
		local[base] = ini
	}
	return map[string]any{"local": local}, warnings
}

// parseINIFacts reads an INI fact as Python's ConfigParser does for the
// common cases: [section], key=value or key: value, keys lower-cased,
// comments (# ;) skipped; an option before any section is an error.
func parseINIFacts(data string) (map[string]any, bool) {
	out := map[string]any{}
	var sect map[string]any
	for _, raw := range strings.Split(data, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			name := line[1 : len(line)-1]
			if _, ok := out[name]; !ok {
				out[name] = map[string]any{}
			}
			sect = out[name].(map[string]any)
			continue
		}
		if sect == nil {
			return nil, false
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			return nil, false
		}
		sect[strings.ToLower(strings.TrimSpace(line[:i]))] = strings.TrimSpace(line[i+1:])
	}
	return out, true
}
