package module

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The hardware, virtual and network collectors of ansible-core 2.14 on
// Linux (module_utils/facts/{hardware,virtual,network}/linux.py).

func hardwareFacts(s factSections, c *factContext) map[string]any {
	f := map[string]any{}
	cpuFacts(s, c, f)
	memoryFacts(s, f)
	dmiFacts(s, f)
	if up := strings.Fields(s["uptime"]); len(up) > 0 {
		if v, err := strconv.ParseFloat(up[0], 64); err == nil {
			f["uptime_seconds"] = int(v)
		}
	}
	deviceFacts(s, f)
	f["lvm"] = lvmFacts(s)
	f["mounts"] = mountFacts(s)
	return f
}

func cpuFacts(s factSections, c *factContext, f map[string]any) {
	cpuinfo, ok := s["cpuinfo"]
	if !ok {
		return
	}
	xen := s.has("exists:/proc/xen") || strings.TrimSpace(strings.SplitN(s["hypervisor.type"], "\n", 2)[0]) == "xen"
	xenPV := false
	procs := []any{}
	i, vendorN, modelN, procN := 0, 0, 0, 0
	physid, coreid := "0", "0"
	sockets, cores := map[string]int{}, map[string]int{}
	var sockOrder, coreOrder []string
	setSock := func(k string, v int) {
		if _, ok := sockets[k]; !ok {
			sockOrder = append(sockOrder, k)
		}
		sockets[k] = v
	}
	setCore := func(k string, v int) {
		if _, ok := cores[k]; !ok {
			coreOrder = append(coreOrder, k)
		}
		cores[k] = v
	}
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, _ := strings.Cut(line, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if xen && k == "flags" && !strings.Contains(v, "vme") {
			xenPV = true
		}
		switch k {
		case "model name", "Processor", "vendor_id", "cpu", "Vendor", "processor":
			procs = append(procs, v)
			switch k {
			case "vendor_id":
				vendorN++
			case "model name":
				modelN++
			case "processor":
				procN++
			}
			i++
		case "physical id":
			physid = v
			if _, ok := sockets[physid]; !ok {
				setSock(physid, 1)
			}
		case "core id":
			coreid = v
			if _, ok := sockets[coreid]; !ok {
				setCore(coreid, 1)
			}
		case "cpu cores":
			n, _ := strconv.Atoi(v)
			setSock(physid, n)
		case "siblings":
			n, _ := strconv.Atoi(v)
			setCore(coreid, n)
		case "# processors":
			n, _ := strconv.Atoi(v)
			f["processor_cores"] = n
		case "ncpus active":
			i, _ = strconv.Atoi(v)
		}
	}
	f["processor"] = procs
	if vendorN > 0 && vendorN == modelN {
		i = vendorN
	}
	arch := asString(c.collected["architecture"])
	if strings.HasPrefix(arch, "armv") || strings.HasPrefix(arch, "aarch") || strings.HasPrefix(arch, "ppc") {
		i = procN
	}
	if arch == "s390x" {
		return
	}
	if xenPV {
		f["processor_count"], f["processor_cores"], f["processor_threads_per_core"], f["processor_vcpus"] = i, i, 1, i
		return
	}
	count := i
	if len(sockets) > 0 {
		count = len(sockets)
	}
	coresPer := 1
	if len(sockOrder) > 0 && sockets[sockOrder[0]] != 0 {
		coresPer = sockets[sockOrder[0]]
	}
	tpc := 1 / coresPer
	if len(coreOrder) > 0 {
		tpc = cores[coreOrder[0]] / coresPer
	}
	f["processor_count"], f["processor_cores"], f["processor_threads_per_core"] = count, coresPer, tpc
	f["processor_vcpus"] = tpc * count * coresPer
	f["processor_nproc"] = procN
	if out, ok := s.cmd("nproc"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(out)); err == nil {
			f["processor_nproc"] = n
		}
	}
}

func memoryFacts(s factSections, f map[string]any) {
	data, ok := s["meminfo"]
	if !ok {
		return
	}
	st := map[string]int{}
	for _, line := range strings.Split(data, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 0 {
			continue
		}
		n, err := strconv.Atoi(fs[0])
		if err != nil {
			continue
		}
		switch k {
		case "MemTotal", "SwapTotal", "MemFree", "SwapFree":
			f[strings.ToLower(k)+"_mb"] = n / 1024
			st[strings.ToLower(k)] = n / 1024
		case "Buffers", "Cached", "SwapCached":
			st[strings.ToLower(k)] = n / 1024
		}
	}
	get := func(keys ...string) (map[string]int, bool) {
		for _, k := range keys {
			if _, ok := st[k]; !ok {
				return st, false
			}
		}
		return st, true
	}
	val := func(k string) any {
		if v, ok := st[k]; ok {
			return v
		}
		return nil
	}
	if _, ok := get("memtotal", "memfree"); ok {
		st["real:used"] = st["memtotal"] - st["memfree"]
	}
	if _, ok := get("cached", "memfree", "buffers"); ok {
		st["nocache:free"] = st["cached"] + st["memfree"] + st["buffers"]
	}
	if _, ok := get("memtotal", "nocache:free"); ok {
		st["nocache:used"] = st["memtotal"] - st["nocache:free"]
	}
	if _, ok := get("swaptotal", "swapfree"); ok {
		st["swap:used"] = st["swaptotal"] - st["swapfree"]
	}
	f["memory_mb"] = map[string]any{
		"real":    map[string]any{"total": val("memtotal"), "used": val("real:used"), "free": val("memfree")},
		"nocache": map[string]any{"free": val("nocache:free"), "used": val("nocache:used")},
		"swap":    map[string]any{"total": val("swaptotal"), "free": val("swapfree"), "used": val("swap:used"), "cached": val("swapcached")},
	}
}

func dmiFacts(s factSections, f map[string]any) {
	if !s.has("dmi.exists") {
		dmidecodeFacts(s, f)
		return
	}
	forms := []string{"Unknown", "Other", "Unknown", "Desktop", "Low Profile Desktop", "Pizza Box", "Mini Tower", "Tower",
		"Portable", "Laptop", "Notebook", "Hand Held", "Docking Station", "All In One", "Sub Notebook", "Space-saving",
		"Lunch Box", "Main Server Chassis", "Expansion Chassis", "Sub Chassis", "Bus Expansion Chassis", "Peripheral Chassis",
		"RAID Chassis", "Rack Mount Chassis", "Sealed-case PC", "Multi-system", "CompactPCI", "AdvancedTCA", "Blade",
		"Blade Enclosure", "Tablet", "Convertible", "Detachable", "IoT Gateway", "Embedded PC", "Mini PC", "Stick PC"}
	keys := map[string]string{"bios_date": "bios_date", "bios_vendor": "bios_vendor", "bios_version": "bios_version",
		"board_asset_tag": "board_asset_tag", "board_name": "board_name", "board_serial": "board_serial",
		"board_vendor": "board_vendor", "board_version": "board_version", "chassis_asset_tag": "chassis_asset_tag",
		"chassis_serial": "chassis_serial", "chassis_vendor": "chassis_vendor", "chassis_version": "chassis_version",
		"form_factor": "chassis_type", "product_name": "product_name", "product_serial": "product_serial",
		"product_uuid": "product_uuid", "product_version": "product_version", "system_vendor": "sys_vendor"}
	for fact, file := range keys {
		v, ok := s.file("dmi:" + file)
		switch {
		case !ok:
			f[fact] = "NA"
		case fact == "form_factor":
			n, err := strconv.Atoi(v)
			if err == nil && n >= 0 && n < len(forms) {
				f[fact] = forms[n]
			} else {
				f[fact] = "unknown (" + v + ")"
			}
		default:
			f[fact] = v
		}
	}
}

func lvmFacts(s factSections) any {
	if !s.has("vgs.path") {
		return "N/A"
	}
	rows := func(n string) [][]string {
		out, _ := s[n]
		var r [][]string
		for _, line := range strings.Split(out, "\n") {
			if strings.TrimSpace(line) != "" {
				r = append(r, strings.Split(strings.TrimSpace(line), ","))
			}
		}
		return r
	}
	vgs, lvs, pvs := map[string]any{}, map[string]any{}, map[string]any{}
	for _, it := range rows("vgs") {
		if len(it) >= 4 {
			vgs[it[0]] = map[string]any{"size_g": it[len(it)-2], "free_g": it[len(it)-1], "num_lvs": it[2], "num_pvs": it[1]}
		}
	}
	for _, it := range rows("lvs") {
		if len(it) >= 4 {
			lvs[it[0]] = map[string]any{"size_g": it[3], "vg": it[1]}
		}
	}
	for _, it := range rows("pvs") {
		if len(it) >= 6 {
			pvs[it[0]] = map[string]any{"size_g": it[4], "free_g": it[5], "vg": it[1]}
		}
	}
	return map[string]any{"lvs": lvs, "vgs": vgs, "pvs": pvs}
}

func unescapeOctal(s string) string {
	return regexp.MustCompile(`\\[0-9]{3}`).ReplaceAllStringFunc(s, func(m string) string {
		n, err := strconv.ParseUint(m[1:], 8, 8)
		if err != nil {
			return m
		}
		return string(rune(n))
	})
}

func mountFacts(s factSections) []any {
	binds := map[string]bool{}
	if out, ok := s.cmd("findmnt"); ok {
		for _, line := range strings.Split(out, "\n") {
			fs := strings.Fields(line)
			if len(fs) >= 2 && strings.HasSuffix(fs[1], "]") {
				binds[fs[0]] = true
			}
		}
	}
	uuids := map[string]string{}
	if out, ok := s.cmd("lsblk"); ok {
		for _, line := range strings.Split(out, "\n") {
			fs := strings.Fields(strings.TrimSpace(line))
			if len(fs) < 2 {
				continue
			}
			dev := strings.Join(fs[:len(fs)-1], " ")
			if _, ok := uuids[dev]; !ok {
				uuids[dev] = fs[len(fs)-1]
			}
		}
	}
	statfs := map[string][]int{}
	for _, line := range strings.Split(s["statfs"], "\n") {
		nums, mount, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		var v []int
		for _, n := range strings.Fields(nums) {
			i, _ := strconv.Atoi(n)
			v = append(v, i)
		}
		if len(v) == 6 {
			statfs[mount] = v
		}
	}
	mounts := []any{}
	seen := map[string]int{}
	for _, line := range strings.Split(s["mtab"], "\n") {
		fs := strings.Fields(line)
		if len(fs) < 4 {
			continue
		}
		for i := range fs {
			fs[i] = unescapeOctal(fs[i])
		}
		dev, mnt, fstype, opts := fs[0], fs[1], fs[2], fs[3]
		if !strings.HasPrefix(dev, "/") && !strings.HasPrefix(dev, "\\") && !strings.Contains(dev, ":/") || fstype == "none" {
			continue
		}
		m := map[string]any{"mount": mnt, "device": dev, "fstype": fstype, "options": opts}
		if binds[mnt] && !regexp.MustCompile(`.*bind.*"`).MatchString(opts) {
			m["options"] = opts + ",bind"
		}
		if v, ok := statfs[mnt]; ok {
			m["size_total"], m["size_available"] = v[0]*v[2], v[0]*v[3]
			m["block_size"], m["block_total"], m["block_available"], m["block_used"] = v[1], v[2], v[3], v[2]-v[3]
			m["inode_total"], m["inode_available"], m["inode_used"] = v[4], v[5], v[4]-v[5]
		}
		m["uuid"] = "N/A"
		if u, ok := uuids[dev]; ok && u != "" {
			m["uuid"] = u
		}
		// Ansible keys its results by mount point: a later entry for the
		// same mount point replaces the earlier one.
		if i, ok := seen[mnt]; ok {
			mounts[i] = m
			continue
		}
		seen[mnt] = len(mounts)
		mounts = append(mounts, m)
	}
	return mounts
}

func virtualFacts(s factSections, _ *factContext) map[string]any {
	f := map[string]any{}
	found := false
	host, guest := map[string]bool{}, map[string]bool{}
	set := func(typ, role string) {
		if !found {
			f["virtualization_type"] = typ
			if role != "" {
				f["virtualization_role"] = role
			}
			found = true
		}
	}
	for _, line := range strings.Split(s["proc1.cgroup"], "\n") {
		if regexp.MustCompile(`/docker(/|-[0-9a-f]+\.scope)`).MatchString(line) {
			guest["docker"] = true
			set("docker", "guest")
		}
		if strings.Contains(line, "/lxc/") || strings.Contains(line, "/machine.slice/machine-lxc") {
			guest["lxc"] = true
			set("lxc", "guest")
		}
		if strings.Contains(line, "/system.slice/containerd.service") {
			guest["containerd"] = true
			set("containerd", "guest")
		}
	}
	for _, line := range strings.Split(s["proc1.environ"], "\n") {
		if strings.Contains(line, "container=lxc") {
			guest["lxc"] = true
			set("lxc", "guest")
		}
		if strings.Contains(line, "container=podman") {
			guest["podman"] = true
			set("podman", "guest")
		}
		if regexp.MustCompile(`^container=.`).MatchString(line) {
			guest["container"] = true
			set("container", "guest")
		}
	}
	if s.has("exists:/proc/vz") && !s.has("exists:/proc/lve") {
		f["virtualization_type"] = "openvz"
		if s.has("exists:/proc/bc") {
			host["openvz"] = true
			if !found {
				f["virtualization_role"] = "host"
			}
		} else {
			guest["openvz"] = true
			if !found {
				f["virtualization_role"] = "guest"
			}
		}
		found = true
	}
	sc, scOK := s.file("systemd.container")
	if scOK {
		guest[sc] = true
		set(sc, "guest")
	}
	if s.has("exists:/.dockerenv") || s.has("exists:/.dockerinit") {
		guest["docker"] = true
		set("docker", "guest")
	}
	if guest["docker"] || guest["lxc"] || guest["podman"] || guest["openvz"] || guest["containerd"] || scOK {
		guest["container"] = true
	}
	if s.has("exists:/proc/xen") {
		if strings.Contains(s["xen.caps"], "control_d") {
			host["xen"] = true
			set("xen", "host")
		} else {
			set("xen", "guest")
		}
		found = true
	}
	if !found {
		f["virtualization_role"] = "guest"
	}
	product, _ := s.file("dmi:product_name")
	vendor, _ := s.file("dmi:sys_vendor")
	family, _ := s.file("dmi:product_family")
	bios, _ := s.file("dmi:bios_vendor")
	g := func(tech, typ string) {
		guest[tech] = true
		set(typ, "")
	}
	switch product {
	case "KVM", "KVM Server", "Bochs", "AHV":
		g("kvm", "kvm")
	}
	if vendor == "oVirt" {
		g("oVirt", "oVirt")
	}
	if vendor == "Red Hat" {
		if family == "RHV" {
			g("RHV", "RHV")
		} else if product == "RHEV Hypervisor" {
			g("RHEV", "RHEV")
		}
	}
	if product == "VMware Virtual Platform" || product == "VMware7,1" {
		g("VMware", "VMware")
	}
	if product == "OpenStack Compute" || product == "OpenStack Nova" {
		g("openstack", "openstack")
	}
	switch bios {
	case "Xen":
		g("xen", "xen")
	case "innotek GmbH":
		g("virtualbox", "virtualbox")
	case "Amazon EC2", "DigitalOcean", "Hetzner":
		g("kvm", "kvm")
	}
	switch vendor {
	case "QEMU", "Amazon EC2", "DigitalOcean", "Google", "Scaleway", "Nutanix":
		g("kvm", "kvm")
	case "KubeVirt":
		g("KubeVirt", "KubeVirt")
	case "Microsoft Corporation":
		g("VirtualPC", "VirtualPC")
	case "Parallels Software International Inc.":
		g("parallels", "parallels")
	case "OpenStack Foundation":
		g("openstack", "openstack")
	}
	if !found {
		delete(f, "virtualization_role")
	}
	for _, line := range strings.Split(s["self.status"], "\n") {
		if regexp.MustCompile(`^VxID:\s+\d+`).MatchString(line) {
			if !found {
				f["virtualization_type"] = "linux_vserver"
			}
			if regexp.MustCompile(`^VxID:\s+0`).MatchString(line) {
				host["linux_vserver"] = true
				if !found {
					f["virtualization_role"] = "host"
				}
			} else {
				guest["linux_vserver"] = true
				if !found {
					f["virtualization_role"] = "guest"
				}
			}
			found = true
		}
	}
	cpuRules := []struct{ re, tech string }{{`^model name.*QEMU Virtual CPU`, "kvm"}, {`^vendor_id.*User Mode Linux`, "uml"},
		{`^model name.*UML`, "uml"}, {`^machine.*CHRP IBM pSeries .emulated by qemu.`, "kvm"}, {`^vendor_id.*PowerVM Lx86`, "powervm_lx86"}}
	for _, line := range strings.Split(s["cpuinfo"], "\n") {
		for _, r := range cpuRules {
			if regexp.MustCompile(r.re).MatchString(line) {
				guest[r.tech] = true
				if !found {
					f["virtualization_type"] = r.tech
					f["virtualization_role"] = "guest"
					found = true
				}
				break
			}
		}
	}
	if mods, ok := s["modules"]; ok {
		has := map[string]bool{}
		for _, line := range strings.Split(mods, "\n") {
			has[strings.SplitN(line, " ", 2)[0]] = true
		}
		if has["kvm"] {
			host["kvm"] = true
			if !found {
				f["virtualization_type"], f["virtualization_role"] = "kvm", "host"
			}
			found = true
		}
		if has["vboxdrv"] {
			host["virtualbox"] = true
			set("virtualbox", "host")
		}
		if has["virtio"] {
			host["kvm"] = true
			set("kvm", "guest")
		}
	}
	if out, ok := s.cmd("dmidecode"); ok {
		if strings.HasPrefix(strings.TrimSpace(out), "VMware") {
			guest["VMware"] = true
			set("VMware", "guest")
		}
		if strings.Contains(out, "BHYVE") {
			guest["bhyve"] = true
			set("bhyve", "guest")
		}
	}
	if s.has("exists:/dev/kvm") {
		host["kvm"] = true
		set("kvm", "host")
	}
	if !found {
		f["virtualization_type"], f["virtualization_role"] = "NA", "NA"
	}
	f["virtualization_tech_guest"] = sortedSet(guest)
	f["virtualization_tech_host"] = sortedSet(host)
	return f
}

// sortedSet is a Python set as JSON: a list (sorted here; Python's order
// is its hash order, so compare them as sets).
func sortedSet(m map[string]bool) []any {
	var l []string
	for k := range m {
		l = append(l, k)
	}
	sort.Strings(l)
	return anyStrings(l)
}

// dmidecodeFacts is get_dmi_facts without /sys DMI: dmidecode -s, or NA.
func dmidecodeFacts(s factSections, f map[string]any) {
	keys := map[string]string{"bios_date": "bios-release-date", "bios_vendor": "bios-vendor", "bios_version": "bios-version",
		"board_asset_tag": "baseboard-asset-tag", "board_name": "baseboard-product-name", "board_serial": "baseboard-serial-number",
		"board_vendor": "baseboard-manufacturer", "board_version": "baseboard-version", "chassis_asset_tag": "chassis-asset-tag",
		"chassis_serial": "chassis-serial-number", "chassis_vendor": "chassis-manufacturer", "chassis_version": "chassis-version",
		"form_factor": "chassis-type", "product_name": "system-product-name", "product_serial": "system-serial-number",
		"product_uuid": "system-uuid", "product_version": "system-version", "system_vendor": "system-manufacturer"}
	for fact, key := range keys {
		f[fact] = "NA"
		if out, ok := s.cmd("dmidecode:" + key); ok && s.has("dmidecode.path") {
			var b strings.Builder
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if !strings.HasPrefix(line, "#") {
					b.WriteString(line)
				}
			}
			f[fact] = b.String()
		}
	}
}
