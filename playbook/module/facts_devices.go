package module

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// deviceFacts is LinuxHardware.get_device_facts: the block devices of
// /sys/block (devices) and the /dev/disk links (device_links).
func deviceFacts(s factSections, f map[string]any) {
	links, wwn, uuidOf := diskLinks(s)
	f["device_links"] = linksAny(links)
	devices := map[string]any{}
	for _, name := range strings.Split(s.order(), "\n") {
		blk, ok := strings.CutPrefix(name, "blk:")
		if !ok {
			continue
		}
		devices[blk] = blockDevice(blk, s[name], s, links, wwn, uuidOf)
	}
	f["devices"] = devices
}

// diskLinks reads the "disklinks" section: the link kinds (ids, uuids,
// labels, masters) → device → sorted link names, the wwn- ids, and the
// by-uuid name of each device path.
func diskLinks(s factSections) (map[string]map[string][]string, map[string]string, map[string]string) {
	links := map[string]map[string][]string{"ids": {}, "uuids": {}, "labels": {}, "masters": {}}
	kinds := map[string]string{"by-id": "ids", "by-uuid": "uuids", "by-label": "labels"}
	wwn, uuidOf := map[string]string{}, map[string]string{}
	for _, line := range strings.Split(s["disklinks"], "\n") {
		f := strings.Split(line, "\t")
		switch {
		case len(f) == 4:
			kind := kinds[f[0]]
			if kind == "" || f[2] == "" {
				continue
			}
			links[kind][f[2]] = append(links[kind][f[2]], f[1])
			if kind == "ids" && strings.HasPrefix(f[1], "wwn-") {
				wwn[f[2]] = f[1][4:]
			}
			if kind == "uuids" {
				if _, ok := uuidOf[f[3]]; !ok {
					uuidOf[f[3]] = f[1]
				}
			}
		case len(f) == 2 && f[0] == "slaves":
			// /sys/block/DEVICE/slaves/TARGET
			p := strings.Split(f[1], "/")
			if len(p) >= 6 {
				links["masters"][p[5]] = append(links["masters"][p[5]], p[3])
			}
		}
	}
	for _, m := range links {
		for k := range m {
			sort.Strings(m[k])
			m[k] = dedupSorted(m[k])
		}
	}
	return links, wwn, uuidOf
}

func dedupSorted(l []string) []string {
	out := l[:0]
	for i, v := range l {
		if i == 0 || v != l[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func linksAny(links map[string]map[string][]string) map[string]any {
	out := map[string]any{}
	for kind, m := range links {
		km := map[string]any{}
		for dev, l := range m {
			km[dev] = anyStrings(l)
		}
		out[kind] = km
	}
	return out
}

func devLinks(links map[string]map[string][]string, dev string) map[string]any {
	out := map[string]any{}
	for kind, m := range links {
		out[kind] = anyStrings(append([]string{}, m[dev]...))
	}
	return out
}

func blockDevice(blk, data string, s factSections, links map[string]map[string][]string, wwn, uuidOf map[string]string) map[string]any {
	kv := map[string]string{}
	var entries, holders []string
	partHolders := map[string][]string{}
	for _, line := range strings.Split(data, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch {
		case k == "entry":
			entries = append(entries, v)
		case k == "holder":
			if h := holderName(v); h != "" {
				holders = append(holders, h)
			}
		case strings.HasPrefix(k, "part:") && strings.HasSuffix(k, ":holder"):
			p := strings.TrimSuffix(strings.TrimPrefix(k, "part:"), ":holder")
			if h := holderName(v); h != "" {
				partHolders[p] = append(partHolders[p], h)
			}
		default:
			kv[k] = v
		}
	}
	str := func(k string) any {
		if v, ok := kv[k]; ok {
			return v
		}
		return nil
	}
	sysdir := "/sys/block/" + blk
	virtual := 1
	if l, ok := kv["link"]; ok {
		sysdir = "/sys/block/" + l
	} else {
		for _, e := range entries {
			if strings.Contains(e, "device") {
				virtual = 0
				break
			}
		}
	}
	d := map[string]any{"virtual": virtual, "links": devLinks(links, blk)}
	for _, k := range []string{"vendor", "model", "sas_address", "sas_device_handle"} {
		d[k] = str(k)
	}
	if s.has("sg_inq.path") {
		if out, ok := s.cmd("sg_inq:" + blk); ok {
			if m := regexp.MustCompile(`(?:Unit serial|Serial) number:\s+(\w+)`).FindStringSubmatch(out); m != nil {
				d["serial"] = m[1]
			}
		}
	} else if v, ok := kv["serial"]; ok {
		d["serial"] = v
	}
	d["removable"], d["support_discard"] = str("removable"), str("support_discard")
	if w, ok := wwn[blk]; ok {
		d["wwn"] = w
	}
	parts := map[string]any{}
	re := regexp.MustCompile("(" + regexp.QuoteMeta(blk) + `[p]?\d+)`)
	for _, e := range entries {
		m := re.FindStringSubmatch(e)
		if m == nil {
			continue
		}
		pn := m[1]
		pk := func(k string) (string, bool) { v, ok := kv["part:"+pn+":"+k]; return v, ok }
		part := map[string]any{"links": devLinks(links, pn)}
		sectors := "0"
		var start any = 0
		if v, ok := pk("start"); ok {
			start = v
		}
		part["start"] = start
		var sec any = 0
		if v, ok := pk("size"); ok {
			sec, sectors = v, v
		}
		part["sectors"] = sec
		if v, ok := pk("lbs"); ok {
			part["sectorsize"] = v
		} else if v, ok := pk("hss"); ok {
			part["sectorsize"] = v
		} else {
			part["sectorsize"] = 512
		}
		n, _ := strconv.ParseFloat(sectors, 64)
		part["size"] = bytesToHuman(n * 512)
		part["uuid"] = nil
		if u, ok := uuidOf["/dev/"+pn]; ok {
			part["uuid"] = u
		}
		part["holders"] = anyStrings(append([]string{}, partHolders[pn]...))
		parts[pn] = part
	}
	d["partitions"] = parts
	d["rotational"] = str("rotational")
	d["scheduler_mode"] = ""
	if v, ok := kv["scheduler"]; ok {
		if m := regexp.MustCompile(`.*?(\[(.*)\])`).FindStringSubmatch(v); m != nil {
			d["scheduler_mode"] = m[2]
		}
	}
	sectors := "0"
	if v, ok := kv["size"]; ok {
		d["sectors"], sectors = v, v
	} else {
		d["sectors"] = 0
	}
	if v, ok := kv["lbs"]; ok {
		d["sectorsize"] = v
	} else if v, ok := kv["hss"]; ok {
		d["sectorsize"] = v
	} else {
		d["sectorsize"] = 512
	}
	n, _ := strconv.ParseFloat(sectors, 64)
	d["size"] = bytesToHuman(n * 512)
	d["host"] = ""
	if pci, ok := s.cmd("lspci"); ok && s.has("lspci.path") {
		if m := regexp.MustCompile(`.+/([a-f0-9]{4}:[a-f0-9]{2}:[0|1][a-f0-9]\.[0-7])/`).FindStringSubmatch(sysdir); m != nil {
			if h := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(m[1]) + `\s(.*)$`).FindStringSubmatch(pci); h != nil {
				d["host"] = h[1]
			}
		}
	}
	d["holders"] = anyStrings(append([]string{}, holders...))
	return d
}

// holderName is a holder's dm name, or its dm-N directory name; holders
// that are not dm- devices are not listed (as get_holders).
func holderName(v string) string {
	dir, name, _ := strings.Cut(v, ":")
	if !strings.HasPrefix(dir, "dm-") {
		return ""
	}
	if name != "" {
		return name
	}
	return dir
}

// bytesToHuman is Ansible's bytes_to_human: "%.2f" and the largest unit.
func bytesToHuman(size float64) string {
	units := []struct {
		suffix string
		limit  float64
	}{{"YB", 1 << 80}, {"ZB", 1 << 70}, {"EB", 1 << 60}, {"PB", 1 << 50}, {"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}}
	for _, u := range units {
		if size >= u.limit {
			return fmt.Sprintf("%.2f %s", size/u.limit, u.suffix)
		}
	}
	return fmt.Sprintf("%.2f Bytes", size)
}
