package module

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// packageFactsModule is ansible.builtin.package_facts for apt (dpkg) and
// rpm hosts: ansible_facts.packages, name → list of {name, version, arch,
// category, origin, source} (apt) or {name, version, release, epoch,
// arch, source} (rpm).
func packageFactsModule() *Module {
	return &Module{Name: "package_facts", Collection: "ansible.builtin", Check: CheckFull,
		Params: []Param{
			{Name: "manager", Type: List, Elements: Str, Default: []any{"auto"}},
			{Name: "strategy", Type: Str, Default: "first", Choices: []string{"first", "all"}},
		},
		Run: runPackageFacts,
	}
}

// serviceFactsModule is ansible.builtin.service_facts: systemd units
// (list-units, list-unit-files), SysV scripts (service --status-all) and
// chkconfig's services, as ansible_facts.services.
func serviceFactsModule() *Module {
	return &Module{Name: "service_facts", Collection: "ansible.builtin", Check: CheckFull, Run: runServiceFacts}
}

// packageFactsScript prints which managers exist, then the packages of
// those asked for: dpkg's installed packages with the origin of their
// installed version (apt-cache policy), rpm's.
func packageFactsScript() string {
	return `export LC_ALL=C
command -v rpm >/dev/null 2>&1 && [ -n "$(rpm -qa 2>/dev/null | head -n 1)" ] && echo "@@have rpm"
command -v dpkg-query >/dev/null 2>&1 && echo "@@have apt"
`
}

func aptPackagesScript() string {
	return `export LC_ALL=C
echo "@@arch $(dpkg --print-architecture)"
dpkg-query -W -f='${db:Status-Abbrev}\t${binary:Package}\t${Version}\t${Architecture}\t${Section}\n' | sed -n 's/^.i.\t/D\t/p'
apt-cache policy 2>/dev/null | awk '/^ *-?[0-9]+ / { src=$2" "$3 } /^ +release / { sub(/^ +release /, ""); n=split($0, f, ","); o=""; for (i=1;i<=n;i++) if (f[i] ~ /^o=/) o=substr(f[i],3); print "O\t" src "\t" o }'
dpkg-query -W -f='${db:Status-Abbrev}\t${binary:Package}\n' | sed -n 's/^.i.\t//p' | xargs -r apt-cache policy 2>/dev/null | awk '
/^[^ ].*:$/ { pkg=substr($0, 1, length($0)-1); inst=0; done=0; next }
/^ \*\*\* / { inst=1; next }
/^     [^ ]/ && !/^        / { if (inst) done=1; inst=0; next }
/^        [0-9-]+ / { if (inst && !done && $2 != "/var/lib/dpkg/status") { print "S\t" pkg "\t" $2 " " $3; done=1 } }'
dpkg-query -W -f='${db:Status-Abbrev}\t${binary:Package}=${Version}\n' | sed -n 's/^.i.\t//p' | xargs -r apt-cache show 2>/dev/null | awk '
/^Package: / { p=$2 } /^Architecture: / { a=$2 } /^Version: / { v=$2 } /^Section: / { s=$2 }
/^$/ { if (p != "") print "X\t" p "\t" a "\t" v "\t" s; p=""; s="" }
END { if (p != "") print "X\t" p "\t" a "\t" v "\t" s }'
`
}

func rpmPackagesScript() string {
	return `rpm -qa --qf 'R\t%{NAME}\t%{VERSION}\t%{RELEASE}\t%{EPOCH}\t%{ARCH}\n'` + "\n"
}

// parseAptPackages turns the apt script's output into the packages fact.
func parseAptPackages(out string) map[string]any {
	arch := ""
	origins := map[string]string{} // "url suite/comp" → o=
	srcOf := map[string]string{}   // package → "url suite/comp" of its installed version
	type deb struct{ name, version, arch, section string }
	var debs []deb
	section := map[string]string{} // the cache's section of name arch version (the first record apt-cache shows)
	for _, line := range strings.Split(out, "\n") {
		if a, ok := strings.CutPrefix(line, "@@arch "); ok {
			arch = strings.TrimSpace(a)
			continue
		}
		f := tabFields(line)
		switch {
		case f[0] == "D" && len(f) == 5:
			debs = append(debs, deb{f[1], f[2], f[3], f[4]})
		case f[0] == "O" && len(f) == 3:
			if _, ok := origins[f[1]]; !ok {
				origins[f[1]] = f[2]
			}
		case f[0] == "S" && len(f) == 3:
			srcOf[f[1]] = f[2]
		case f[0] == "X" && len(f) == 5:
			k := f[1] + " " + f[2] + " " + f[3]
			if _, ok := section[k]; !ok {
				section[k] = f[4]
			}
		}
	}
	pkgs := map[string]any{}
	for _, d := range debs {
		name := strings.TrimSuffix(d.name, ":"+arch)
		origin := ""
		if s, ok := srcOf[d.name]; ok {
			origin = origins[s]
		} else if s, ok := srcOf[name]; ok {
			origin = origins[s]
		}
		cat := d.section
		if s, ok := section[strings.TrimSuffix(d.name, ":"+d.arch)+" "+d.arch+" "+d.version]; ok {
			cat = s
		}
		p := map[string]any{"name": name, "version": d.version, "arch": d.arch, "category": cat, "origin": origin, "source": "apt"}
		list, _ := pkgs[name].([]any)
		pkgs[name] = append(list, p)
	}
	return pkgs
}

// parseRpmPackages turns rpm -qa's output into the packages fact.
func parseRpmPackages(out string) map[string]any {
	pkgs := map[string]any{}
	for _, line := range strings.Split(out, "\n") {
		f := tabFields(line)
		if f[0] != "R" || len(f) != 6 {
			continue
		}
		var epoch any
		if e, err := strconv.Atoi(f[4]); err == nil {
			epoch = e
		}
		p := map[string]any{"name": f[1], "version": f[2], "release": f[3], "epoch": epoch, "arch": f[5], "source": "rpm"}
		list, _ := pkgs[f[1]].([]any)
		pkgs[f[1]] = append(list, p)
	}
	return pkgs
}

func runPackageFacts(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	requested := a.Strings("manager")
	managers := slices.Clone(requested)
	if i := slices.Index(managers, "auto"); i >= 0 {
		managers = append(slices.Delete(managers, i, i+1), "rpm", "apt")
	}
	for _, m := range managers {
		if m != "rpm" && m != "apt" {
			return Failed("remotectl's package_facts reads the apt and rpm package managers only, not %s", m), nil
		}
	}
	out, err := runSh(ctx, c, packageFactsScript(), nil)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, l := range strings.Split(out.Stdout, "\n") {
		if m, ok := strings.CutPrefix(l, "@@have "); ok {
			have[m] = true
		}
	}
	packages := map[string]any{}
	found := 0
	seen := map[string]bool{}
	for _, m := range managers {
		if found > 0 && a.Str("strategy") == "first" {
			break
		}
		if seen[m] || !have[m] {
			continue
		}
		seen[m] = true
		script, parse := aptPackagesScript(), parseAptPackages
		if m == "rpm" {
			script, parse = rpmPackagesScript(), parseRpmPackages
		}
		o, err := runSh(ctx, c, script, nil)
		if err != nil {
			return nil, err
		}
		found++
		for k, v := range parse(o.Stdout) {
			packages[k] = v
		}
	}
	if found == 0 {
		return Failed("Could not detect a supported package manager from the following list: %s, or the required Python library is not installed. Check warnings for details.", pyList(managers)), nil
	}
	return Result{"changed": false, "ansible_facts": map[string]any{"packages": packages}}, nil
}

func pyList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + s + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// serviceFactsScript gathers every source service_facts reads, between
// markers.
func serviceFactsScript() string {
	return `export LANG=C LC_ALL=C
if command -v service >/dev/null 2>&1 && ! command -v chkconfig >/dev/null 2>&1 && ! command -v rc-status >/dev/null 2>&1; then
  if [ -d /etc/init.d ] || service --status-all >/dev/null 2>&1; then echo "@@sysv"; service --status-all 2>/dev/null; fi
fi
if command -v chkconfig >/dev/null 2>&1; then
  echo "@@chkconfig"
  chkconfig --list 2>/dev/null | while read -r n rest; do
    case "$rest" in *3:on*|*3:off*) service "$n" status >/dev/null 2>&1; printf '%s\t%s\t%s\n' "$n" "$?" "$rest";; esac
  done
fi
if grep -q systemd /proc/1/comm 2>/dev/null && command -v systemctl >/dev/null 2>&1; then
  echo "@@units"; systemctl list-units --no-pager --type service --all
  echo "@@files"; systemctl list-unit-files --no-pager --type service --all
  echo "@@active"
  systemctl list-unit-files --no-pager --type service --all | awk '$1 ~ /\.service$/ {print $1}' | while read -r u; do
    printf '%s\t%s\n' "$u" "$(systemctl show "$u" --property=ActiveState 2>/dev/null | sed 's/^ActiveState=//')"
  done
fi
:
`
}

// parseServiceFacts is ServiceScanService + SystemctlScanService on the
// script's output.
func parseServiceFacts(out string) (map[string]any, error) {
	services := map[string]any{}
	sections := map[string][]string{}
	cur := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "@@") {
			cur = l[2:]
			continue
		}
		sections[cur] = append(sections[cur], l)
	}
	sysv := regexp.MustCompile(`^\s*\[ (\+|\-) \]\s+(.+)$`)
	for _, l := range sections["sysv"] {
		if m := sysv.FindStringSubmatch(l); m != nil {
			state := "stopped"
			if m[1] == "+" {
				state = "running"
			}
			services[m[2]] = map[string]any{"name": m[2], "state": state, "source": "sysv"}
		}
	}
	for _, l := range sections["chkconfig"] {
		f := tabFields(l)
		if len(f) != 3 {
			continue
		}
		status := "disabled"
		if strings.Contains(f[2], "3:on") {
			status = "enabled"
		}
		state := "stopped"
		if f[1] == "0" {
			state = "running"
		}
		services[f[0]] = map[string]any{"name": f[0], "state": state, "status": status, "source": "sysv"}
	}
	bad := []string{"not-found", "masked", "failed"}
	for _, l := range sections["units"] {
		if !strings.Contains(l, ".service") {
			continue
		}
		fields := strings.Fields(l)
		status := ""
		for _, b := range bad {
			if slices.Contains(fields, b) {
				status = b
				fields = fields[1:]
				break
			}
		}
		if len(fields) < 4 {
			continue
		}
		if status == "" {
			status = fields[2]
		}
		state := "stopped"
		if fields[3] == "running" {
			state = "running"
		}
		services[fields[0]] = map[string]any{"name": fields[0], "state": state, "status": status, "source": "systemd"}
	}
	active := map[string]string{}
	for _, l := range sections["active"] {
		if f := tabFields(l); len(f) == 2 {
			active[f[0]] = f[1]
		}
	}
	for _, l := range sections["files"] {
		if !strings.Contains(l, ".service") || strings.Contains(l, "unit files listed") {
			continue
		}
		f := strings.Fields(l)
		if len(f) < 2 {
			return nil, fmt.Errorf("Malformed output discovered from systemd list-unit-files: %s", l)
		}
		name, status := f[0], f[1]
		if s, ok := services[name].(map[string]any); ok {
			if !slices.Contains(bad, s["status"].(string)) {
				s["status"] = status
			}
			continue
		}
		state := "unknown"
		if st := active[name]; st != "" {
			state = st
		}
		services[name] = map[string]any{"name": name, "state": state, "status": status, "source": "systemd"}
	}
	return services, nil
}

func runServiceFacts(ctx context.Context, c *Call) (Result, error) {
	out, err := runSh(ctx, c, serviceFactsScript(), nil)
	if err != nil {
		return nil, err
	}
	services, err := parseServiceFacts(out.Stdout)
	if err != nil {
		return Failed("%v", err), nil
	}
	if len(services) == 0 {
		return Result{"changed": false, "skipped": true, "msg": "Failed to find any services. This can be due to privileges or some other configuration issue."}, nil
	}
	return Result{"changed": false, "ansible_facts": map[string]any{"services": services}}, nil
}
