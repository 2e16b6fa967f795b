package module

import (
	"net"
	"regexp"
	"strconv"
	"strings"
)

// networkFacts is LinuxNetwork.populate: interfaces from /sys/class/net and
// `ip addr show`, the default routes from `ip route get`.
func networkFacts(s factSections, _ *factContext) map[string]any {
	if !s.has("ip.path") {
		return map[string]any{}
	}
	def4 := defaultRoute(s, "route4", "8.8.8.8")
	def6 := defaultRoute(s, "route6", "2404:6800:400a:800::1012")
	ifaces := map[string]map[string]any{}
	var order []string
	all4, all6 := []any{}, []any{}
	for _, dev := range interfaceNames(s) {
		if _, ok := ifaces[dev]; !ok {
			order = append(order, dev)
		}
		d := sysInterface(dev, s["if:"+dev])
		ifaces[dev] = d
		mac, _ := d["macaddress"].(string)
		parse := func(out string, secondary bool) {
			for _, line := range strings.Split(out, "\n") {
				w := strings.Fields(line)
				if len(w) < 2 {
					continue
				}
				switch w[0] {
				case "inet":
					addr, plen, ok := strings.Cut(w[1], "/")
					if !ok {
						plen = "32"
					}
					brd := ""
					if len(w) > 3 && w[2] == "brd" {
						brd = w[3]
					}
					n, _ := strconv.Atoi(plen)
					mask := net.CIDRMask(n, 32)
					ip := net.ParseIP(addr).To4()
					if ip == nil {
						continue
					}
					v4 := map[string]any{"address": addr, "broadcast": brd, "netmask": net.IP(mask).String(),
						"network": ip.Mask(mask).String(), "prefix": plen}
					iface := w[len(w)-1]
					if iface != dev {
						if _, ok := ifaces[iface]; !ok {
							order = append(order, iface)
						}
						ifaces[iface] = map[string]any{}
					}
					if _, has := ifaces[iface]["ipv4"]; !secondary && !has {
						ifaces[iface]["ipv4"] = v4
					} else {
						l, _ := ifaces[iface]["ipv4_secondaries"].([]any)
						ifaces[iface]["ipv4_secondaries"] = append(l, copyMap(v4))
					}
					if secondary {
						l, _ := d["ipv4_secondaries"].([]any)
						if dev != iface {
							l = append(l, copyMap(v4))
						}
						d["ipv4_secondaries"] = l
					}
					if def4["address"] == addr {
						for k, v := range v4 {
							if k != "address" {
								def4[k] = v
							}
						}
						def4["macaddress"], def4["mtu"], def4["alias"] = mac, d["mtu"], iface
						def4["type"] = orDefault(d["type"], "unknown")
					}
					if !strings.HasPrefix(addr, "127.") {
						all4 = append(all4, addr)
					}
				case "inet6":
					var addr, plen, scope string
					if len(w) > 5 && w[2] == "peer" {
						addr, scope = w[1], w[5]
						_, plen, _ = strings.Cut(w[3], "/")
					} else if len(w) > 3 {
						addr, plen, _ = strings.Cut(w[1], "/")
						scope = w[3]
					} else {
						continue
					}
					l, _ := d["ipv6"].([]any)
					d["ipv6"] = append(l, map[string]any{"address": addr, "prefix": plen, "scope": scope})
					if def6["address"] == addr {
						def6["prefix"], def6["scope"], def6["macaddress"], def6["mtu"] = plen, scope, mac, d["mtu"]
						def6["type"] = orDefault(d["type"], "unknown")
					}
					if addr != "::1" {
						all6 = append(all6, addr)
					}
				}
			}
		}
		if out, ok := s.cmd("ip.primary:" + dev); ok {
			parse(out, false)
		} else if out, ok := s.cmd("ip.all:" + dev); ok {
			parse(out, false)
		}
		if out, ok := s.cmd("ip.secondary:" + dev); ok {
			parse(out, true)
		}
		for k, v := range ethtoolData(s, dev) {
			d[k] = v
		}
	}
	f := map[string]any{}
	names := []any{}
	for _, n := range order {
		key := strings.ReplaceAll(n, ":", "_")
		names = append(names, key)
		f[key] = ifaces[n]
	}
	f["interfaces"] = names
	f["default_ipv4"], f["default_ipv6"] = anyMap(def4), anyMap(def6)
	f["all_ipv4_addresses"], f["all_ipv6_addresses"] = all4, all6
	return f
}

func orDefault(v any, d string) any {
	if v == nil {
		return d
	}
	return v
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func anyMap(m map[string]any) map[string]any { return m }

// interfaceNames are the devices of /sys/class/net in directory order (as
// Python's glob), from the script's "if:NAME" sections.
func interfaceNames(s factSections) []string {
	var names []string
	for _, line := range strings.Split(s.order(), "\n") {
		if n, ok := strings.CutPrefix(line, "if:"); ok {
			names = append(names, n)
		}
	}
	return names
}

// defaultRoute parses `ip route get` as get_default_interfaces does.
func defaultRoute(s factSections, name, target string) map[string]any {
	r := map[string]any{}
	out, _ := s[name]
	lines := strings.Split(strings.TrimSpace(out), "\n")
	w := strings.Fields(lines[0])
	if len(w) == 0 || w[0] != target {
		return r
	}
	for i := 0; i < len(w)-1; i++ {
		switch {
		case w[i] == "dev":
			r["interface"] = w[i+1]
		case w[i] == "src":
			r["address"] = w[i+1]
		case w[i] == "via" && w[i+1] != target:
			r["gateway"] = w[i+1]
		}
	}
	return r
}

// sysInterface builds an interface's dict from its /sys/class/net files.
func sysInterface(dev, data string) map[string]any {
	kv := map[string]string{}
	for _, line := range strings.Split(data, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			kv[k] = v
		}
	}
	d := map[string]any{"device": dev}
	if v, ok := kv["address"]; ok && v != "" && v != "00:00:00:00:00:00" {
		d["macaddress"] = v
	}
	if v, ok := kv["mtu"]; ok {
		d["mtu"], _ = strconv.Atoi(v)
	}
	if v, ok := kv["operstate"]; ok {
		d["active"] = v != "down"
	}
	if v, ok := kv["module"]; ok {
		d["module"] = v
	}
	if v, ok := kv["type"]; ok {
		types := map[string]string{"1": "ether", "32": "infiniband", "512": "ppp", "772": "loopback", "65534": "tunnel"}
		t, known := types[v]
		if !known {
			t = "unknown"
		}
		d["type"] = t
	}
	if _, ok := kv["bridge"]; ok {
		d["type"] = "bridge"
		d["interfaces"] = anyStrings(strings.Fields(kv["brif"]))
		if v, ok := kv["bridge_id"]; ok {
			d["id"] = v
		}
		if v, ok := kv["stp_state"]; ok {
			d["stp"] = v == "1"
		}
	}
	if _, ok := kv["bonding"]; ok {
		first := func(k string) string {
			if f := strings.Fields(kv[k]); len(f) > 0 {
				return f[0]
			}
			return ""
		}
		d["type"] = "bonding"
		d["slaves"] = anyStrings(strings.Fields(kv["bond_slaves"]))
		d["mode"], d["miimon"], d["lacp_rate"] = first("bond_mode"), first("bond_miimon"), first("bond_lacp_rate")
		if p := strings.TrimSpace(kv["bond_primary"]); p != "" {
			d["primary"] = p
			if v, ok := kv["bond_all_slaves_active"]; ok {
				d["all_slaves_active"] = strings.TrimSpace(v) == "1"
			}
			// ansible-core reuses its path variable for all_slaves_active:
			// the checks that follow (bonding_slave, device, speed, flags)
			// then look under .../bonding/all_slaves_active and find nothing.
			return d
		}
	}
	if v, ok := kv["perm_hwaddr"]; ok {
		d["perm_macaddress"] = v
	}
	if v, ok := kv["pciid"]; ok {
		d["pciid"] = v
	}
	if v, ok := kv["speed"]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			d["speed"] = n
		}
	}
	if v, ok := kv["flags"]; ok {
		n, _ := strconv.ParseInt(strings.TrimPrefix(v, "0x"), 16, 64)
		d["promisc"] = n&0x100 > 0
	}
	return d
}

// ethtoolData is get_ethtool_data: the offload features (ethtool -k) and
// the timestamping capabilities (ethtool -T) when ethtool is installed.
func ethtoolData(s factSections, dev string) map[string]any {
	data := map[string]any{}
	if out, ok := s.cmd("ethtool.k:" + dev); ok {
		features := map[string]any{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if line == "" || strings.HasSuffix(line, ":") {
				continue
			}
			k, v, ok := strings.Cut(line, ": ")
			if !ok || v == "" {
				continue
			}
			features[strings.ReplaceAll(strings.TrimSpace(k), "-", "_")] = strings.TrimSpace(v)
		}
		data["features"] = features
	}
	if out, ok := s.cmd("ethtool.T:" + dev); ok {
		find := func(re string) []any {
			l := []any{}
			for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(out, -1) {
				l = append(l, strings.ToLower(m[1]))
			}
			return l
		}
		data["timestamping"] = find(`SOF_TIMESTAMPING_(\w+)`)
		data["hw_timestamp_filters"] = find(`HWTSTAMP_FILTER_(\w+)`)
		if m := regexp.MustCompile(`PTP Hardware Clock: (\d+)`).FindStringSubmatch(out); m != nil {
			data["phc_index"], _ = strconv.Atoi(m[1])
		}
	}
	return data
}
