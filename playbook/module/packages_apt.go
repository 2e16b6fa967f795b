package module

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// aptModule is ansible.builtin.apt: packages of Debian and Ubuntu with
// apt-get and dpkg. One script reads the cache time (and updates the
// cache when asked), the dpkg status, the candidate and the available
// versions of every package named; Go decides as Ansible's apt.py does;
// one apt-get (or dpkg -i for deb:) acts.
func aptModule() *Module {
	return &Module{Name: "apt", Collection: "ansible.builtin", Check: CheckFull, Diff: true,
		Params: []Param{
			{Name: "name", Aliases: []string{"package", "pkg"}, Type: List, Elements: Str},
			{Name: "state", Type: Str, Default: "present", Choices: []string{"absent", "latest", "present"}},
			{Name: "update_cache", Aliases: []string{"update-cache"}, Type: Bool},
			{Name: "update_cache_retries", Type: Int, Default: 5},
			{Name: "update_cache_retry_max_delay", Type: Int, Default: 12},
			{Name: "cache_valid_time", Type: Int, Default: 0},
			{Name: "purge", Type: Bool, Default: false},
			{Name: "deb", Type: Path},
			{Name: "default_release", Aliases: []string{"default-release"}, Type: Str},
			{Name: "install_recommends", Aliases: []string{"install-recommends"}, Type: Bool},
			{Name: "force", Type: Bool, Default: false},
			{Name: "dpkg_options", Type: Str, Default: "force-confdef,force-confold"},
			{Name: "autoremove", Type: Bool, Default: false},
			{Name: "fail_on_autoremove", Type: Bool, Default: false},
			{Name: "only_upgrade", Type: Bool, Default: false},
			{Name: "allow_unauthenticated", Aliases: []string{"allow-unauthenticated"}, Type: Bool, Default: false},
			{Name: "allow_downgrade", Aliases: []string{"allow-downgrade", "allow_downgrades", "allow-downgrades"}, Type: Bool, Default: false},
			{Name: "allow_change_held_packages", Type: Bool, Default: false},
			{Name: "lock_timeout", Type: Int, Default: 60},
			{Name: "upgrade", Type: Str, Choices: []string{"dist", "full", "no", "safe", "yes"}},
			{Name: "force_apt_get", Type: Bool, Default: false},
			{Name: "autoclean", Type: Bool, Default: false},
			{Name: "clean", Type: Bool, Default: false},
			{Name: "policy_rc_d", Type: Int},
		},
		Run: runApt,
	}
}

// aptEnv is the environment Ansible's apt runs apt-get with.
func aptEnv() map[string]string {
	return map[string]string{"DEBIAN_FRONTEND": "noninteractive", "DEBIAN_PRIORITY": "critical",
		"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C", "LC_CTYPE": "C"}
}

// aptSpec is one package spec: name, "=" or ">=" and a version pattern.
type aptSpec struct{ spec, name, cmp, version string }

// splitAptSpec is apt.py's package_split: re.split(r'(>?=)', spec, 1).
func splitAptSpec(spec string) aptSpec {
	i := strings.IndexByte(spec, '=')
	if i < 0 {
		return aptSpec{spec: spec, name: spec}
	}
	if i > 0 && spec[i-1] == '>' {
		return aptSpec{spec: spec, name: spec[:i-1], cmp: ">=", version: spec[i+1:]}
	}
	return aptSpec{spec: spec, name: spec[:i], cmp: "=", version: spec[i+1:]}
}

// aptPkg is what the probe learnt about one package name.
type aptPkg struct {
	status    string // dpkg's db:Status-Abbrev ("ii ", "rc ", "un "), "" when dpkg knows nothing
	installed string // installed version
	candidate string // apt-cache policy's Candidate, "(none)"; "" when the cache does not know the name
	versions  []string
	providers []string // for a virtual package
	auto      bool     // apt-mark showauto lists it
}

func (p *aptPkg) isInstalled() bool { return len(p.status) >= 2 && p.status[1] == 'i' }
func (p *aptPkg) hasFiles() bool {
	return len(p.status) >= 2 && p.status[1] != 'n' && p.status[1] != ' '
}

// inCache is python-apt's "cache[name] exists": a package with versions.
func (p *aptPkg) inCache() bool {
	return p != nil && p.candidate != "" && (p.candidate != "(none)" || p.isInstalled())
}

// aptProbe is the parsed output of the gathering script.
type aptProbe struct {
	cacheTime, cacheTimeAfter int64
	updateErr                 string
	updated                   bool // the script ran apt-get update
	aptitude                  bool // aptitude is installed (upgrade uses it unless force_apt_get)
	pkgs                      map[string]*aptPkg
	matches                   map[string][]string // glob → names
	debs                      []aptDeb
}

// aptDeb is a .deb file on the host: its control fields.
type aptDeb struct {
	path, pkg, version, depends, err string
}

func (p *aptProbe) pkg(name string) *aptPkg {
	if p.pkgs[name] == nil {
		p.pkgs[name] = &aptPkg{}
	}
	return p.pkgs[name]
}

// aptProbeScript gathers, in one round trip: the cache time (updating the
// cache first when asked and it is older than validTime, outside check
// mode), and for each name (globs expanded with apt-cache pkgnames, as
// Ansible expands them) its dpkg status, candidate, available versions,
// providers (virtual packages) and auto mark; for each deb its fields.
func aptProbeScript(names []string, debs []string, update bool, validTime, retries, maxDelay int, check bool, release string) string {
	var b strings.Builder
	b.WriteString(`export LC_ALL=C
ct() { if [ -e /var/lib/apt/periodic/update-success-stamp ]; then stat -c %Y /var/lib/apt/periodic/update-success-stamp; elif [ -e /var/lib/apt/lists ]; then stat -c %Y /var/lib/apt/lists; else echo 0; fi; }
t=$(ct); printf 'T\t%s\n' "$t"
command -v aptitude >/dev/null 2>&1 && echo APTITUDE
`)
	if update {
		fmt.Fprintf(&b, `if [ $((t + %d)) -lt $(date +%%s) ]; then
`, validTime)
		if check {
			b.WriteString("  echo U\n")
		} else {
			fmt.Fprintf(&b, `  i=0; ok=; err=
  while [ $i -lt %d ]; do
    if err=$(apt-get update -q 2>&1 >/dev/null); then ok=1; break; fi
    d=$((1 << i)); [ $d -gt %d ] && d=%d; sleep $d; i=$((i + 1))
  done
  if [ -n "$ok" ]; then echo U; printf 'T2\t%%s\n' "$(ct)"; else printf 'UERR\t%%s\n' "$(printf '%%s' "$err" | tr '\n\t' '  ')"; exit 0; fi
`, retries, maxDelay, maxDelay)
		}
		b.WriteString("fi\n")
	}
	opt := ""
	if release != "" {
		opt = " -o APT::Default-Release=" + Quote(release)
	}
	fmt.Fprintf(&b, `q() {
  dpkg-query -W -f='S\t${Package}\t${db:Status-Abbrev}\t${Version}\n' -- "$1" 2>/dev/null | awk -F'\t' -v n="$1" '$2 == n' | head -n 1
  c=$(apt-cache%s policy -- "$1" 2>/dev/null | sed -n 's/^  Candidate: //p' | head -n 1)
  [ -n "$c" ] || return 0
  printf 'C\t%%s\t%%s\n' "$1" "$c"
  apt-cache show -- "$1" 2>/dev/null | sed -n "s/^Version: /V\t$1\t/p"
  if [ "$c" = "(none)" ]; then
    apt-cache showpkg -- "$1" 2>/dev/null | sed -n '/^Reverse Provides:/,$p' | sed '1d' | cut -d' ' -f1 | sort -u | while read -r p; do
      [ -n "$p" ] && printf 'P\t%%s\t%%s\n' "$1" "$p"
    done
  fi
}
`, opt)
	var plain []string
	for _, n := range names {
		if hasGlob(n) {
			prefix := n[:strings.IndexAny(n, "*?[]!")]
			fmt.Fprintf(&b, "for n in $(apt-cache pkgnames %s 2>/dev/null | sort -u); do case \"$n\" in (%s) printf 'M\\t%%s\\t%%s\\n' %s \"$n\"; q \"$n\";; esac; done\n",
				Quote(prefix), n, Quote(n))
			continue
		}
		plain = append(plain, n)
		fmt.Fprintf(&b, "q %s\n", Quote(n))
	}
	if len(plain) > 0 {
		fmt.Fprintf(&b, "apt-mark showauto -- %s 2>/dev/null | sed 's/^/A\\t/'\n", quoteAll(plain))
	}
	for _, d := range debs {
		fmt.Fprintf(&b, `f=%s
if p=$(dpkg-deb -f "$f" Package 2>&1) && v=$(dpkg-deb -f "$f" Version 2>&1); then
  printf 'D\t%%s\t%%s\t%%s\t%%s\n' "$f" "$p" "$v" "$(dpkg-deb -f "$f" Depends Pre-Depends 2>/dev/null | tr '\n\t' '  ')"
  q "$p"
else printf 'DERR\t%%s\t%%s\n' "$f" "$(printf '%%s' "$p$v" | tr '\n\t' '  ')"; fi
`, Quote(d))
	}
	return b.String()
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = Quote(s)
	}
	return strings.Join(q, " ")
}

// parseAptProbe reads the lines aptProbeScript prints.
func parseAptProbe(out string) *aptProbe {
	p := &aptProbe{pkgs: map[string]*aptPkg{}, matches: map[string][]string{}}
	for _, line := range strings.Split(out, "\n") {
		f := tabFields(line)
		switch {
		case f[0] == "T" && len(f) == 2:
			p.cacheTime, _ = strconv.ParseInt(strings.TrimSpace(f[1]), 10, 64)
			p.cacheTimeAfter = p.cacheTime
		case f[0] == "T2" && len(f) == 2:
			p.cacheTimeAfter, _ = strconv.ParseInt(strings.TrimSpace(f[1]), 10, 64)
		case f[0] == "U":
			p.updated = true
		case f[0] == "APTITUDE":
			p.aptitude = true
		case f[0] == "UERR" && len(f) == 2:
			p.updateErr = strings.TrimSpace(f[1])
		case f[0] == "S" && len(f) == 4:
			pk := p.pkg(f[1])
			pk.status, pk.installed = f[2], f[3]
		case f[0] == "C" && len(f) == 3:
			p.pkg(f[1]).candidate = f[2]
		case f[0] == "V" && len(f) == 3:
			pk := p.pkg(f[1])
			if !slices.Contains(pk.versions, f[2]) {
				pk.versions = append(pk.versions, f[2])
			}
		case f[0] == "P" && len(f) == 3:
			p.pkg(f[1]).providers = append(p.pkg(f[1]).providers, f[2])
		case f[0] == "A" && len(f) == 2:
			p.pkg(strings.TrimSpace(f[1])).auto = true
		case f[0] == "M" && len(f) == 3:
			p.matches[f[1]] = append(p.matches[f[1]], f[2])
		case f[0] == "D" && len(f) == 5:
			p.debs = append(p.debs, aptDeb{path: f[1], pkg: f[2], version: f[3], depends: strings.TrimSpace(f[4])})
		case f[0] == "DERR" && len(f) == 3:
			p.debs = append(p.debs, aptDeb{path: f[1], err: f[2]})
		}
	}
	return p
}

// aptStatus is apt.py's package_status: whether the package is installed,
// whether the installed version matches the spec, the version apt would
// install ("" none, "*" let apt decide: a virtual package) and whether it
// has files on disk.
func aptStatus(p *aptProbe, s aptSpec, install bool) (installed, versionOK bool, installable string, hasFiles bool, err error) {
	pk := p.pkgs[s.name]
	if !pk.inCache() {
		if !install {
			return false, false, "", false, nil
		}
		if pk != nil && pk.candidate == "(none)" && len(pk.providers) > 0 {
			if len(pk.providers) == 1 {
				ps := s
				ps.name = pk.providers[0]
				if i, v, in, h, _ := aptStatus(p, ps, true); i {
					return i, v, in, h, nil
				}
			}
			return false, false, "*", false, nil
		}
		return false, false, "", false, fmt.Errorf("No package matching '%s' is available", s.name)
	}
	best := aptBestMatch(pk, s)
	if !pk.isInstalled() {
		return false, false, best, pk.hasFiles(), nil
	}
	inst := pk.installed
	switch s.cmp {
	case "=":
		versionOK = fnmatch(inst, s.version)
		if best != "" && inst != best && fnmatch(best, s.version) {
			installable = best
		}
	case ">=":
		versionOK = debVersionCompare(inst, s.version) >= 0
		if best != "" && inst != best && debVersionCompare(best, s.version) >= 0 {
			installable = best
		}
	default:
		versionOK = true
		if best != "" && inst != best {
			installable = best
		}
	}
	return true, versionOK, installable, pk.hasFiles(), nil
}

// aptBestMatch is package_best_match: the candidate, or for name=pattern the
// highest available version matching the pattern (Ansible pins it at 1001).
func aptBestMatch(pk *aptPkg, s aptSpec) string {
	if s.cmp != "=" {
		if pk.candidate == "(none)" {
			return ""
		}
		return pk.candidate
	}
	best := ""
	for _, v := range pk.versions {
		if fnmatch(v, s.version) && (best == "" || debVersionCompare(v, best) > 0) {
			best = v
		}
	}
	return best
}

// expandAptSpecs is expand_pkgspec_from_fnmatches: globs in names replaced
// by the package names they match (native packages only unless the glob
// names an architecture).
func expandAptSpecs(p *aptProbe, specs []string) ([]string, error) {
	var out []string
	for _, spec := range specs {
		s := splitAptSpec(spec)
		if !hasGlob(s.name) {
			out = append(out, spec)
			continue
		}
		var matches []string
		for _, n := range p.matches[s.name] {
			if strings.Contains(s.name, ":") || !strings.Contains(n, ":") {
				matches = append(matches, n)
			}
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("No package(s) matching '%s' available", s.name)
		}
		out = append(out, matches...)
	}
	return out, nil
}

// aptInstallList is apt.py's install() decision: the specs apt-get must
// install, and the names to mark as manually installed.
func aptInstallList(p *aptProbe, specs []string, upgrade, onlyUpgrade bool) (list, names []string, err error) {
	for _, spec := range specs {
		s := splitAptSpec(spec)
		names = append(names, s.name)
		installed, versionOK, installable, _, err := aptStatus(p, s, true)
		if err != nil {
			return nil, nil, err
		}
		if !installed && onlyUpgrade {
			continue
		}
		if !versionOK && installable == "" {
			return nil, nil, fmt.Errorf("no available installation candidate for %s", spec)
		}
		switch {
		case installable != "" && (!installed || upgrade || !versionOK):
			switch {
			case installable != "*":
				list = append(list, s.name+"="+installable)
			case s.version != "":
				list = append(list, s.name+"="+s.version)
			default:
				list = append(list, s.name)
			}
		case versionOK && installable != "" && s.cmp == "=":
			list = append(list, s.name+"="+s.version)
		}
	}
	return list, names, nil
}

// aptRemoveList is apt.py's remove() decision.
func aptRemoveList(p *aptProbe, specs []string, purge bool) []string {
	var list []string
	for _, spec := range specs {
		s := splitAptSpec(spec)
		_, versionOK, _, hasFiles, _ := aptStatus(p, s, false)
		if versionOK || hasFiles && purge {
			list = append(list, spec)
		}
	}
	return list
}

// dpkgOptions expands dpkg_options as Ansible: -o Dpkg::Options::=--x each.
func dpkgOptions(opts string) []string {
	var out []string
	for _, o := range strings.Split(opts, ",") {
		out = append(out, "-o", "Dpkg::Options::=--"+o)
	}
	return out
}

// aptParseDiff is apt.py's parse_diff: apt-get's summary as {prepared}.
func aptParseDiff(out string) map[string]any {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	start := slices.Index(lines, "Resolving dependencies...")
	if start < 0 {
		start = slices.Index(lines, "Reading state information...")
	}
	end := len(lines)
	upgraded := regexp.MustCompile(`^[0-9]+ (packages )?upgraded`)
	for i, l := range lines {
		if upgraded.MatchString(l) {
			end = i
			break
		}
	}
	start++
	end++
	if end > len(lines) {
		end = len(lines)
	}
	if start > end {
		start = end
	}
	return map[string]any{"prepared": strings.Join(lines[start:end], "\n")}
}

func runApt(ctx context.Context, c *Call) (Result, error) {
	if c.Args.Has("policy_rc_d") {
		restore, failed, err := installPolicyRcD(ctx, c, c.Args.Int("policy_rc_d"))
		if failed != nil || err != nil {
			return failed, err
		}
		defer restore()
	}
	return runAptOps(ctx, c)
}

// policyRcD is where invoke-rc.d asks whether package scripts may start
// services.
const policyRcD = "/usr/sbin/policy-rc.d"

// installPolicyRcD does what apt.py's PolicyRcD does around the whole run:
// an existing policy-rc.d is set aside, one that exits code is written,
// and restore puts the old one back (or removes the new one).
func installPolicyRcD(ctx context.Context, c *Call, code int) (restore func(), failed Result, err error) {
	backup := policyRcD + ".remotectl-" + RandomSuffix()
	script := fmt.Sprintf("if [ -e %[1]s ]; then mv -f %[1]s %[2]s || exit 1; fi\nprintf '#!/bin/sh\\nexit %%d\\n' %[3]d > %[1]s && chmod 0755 %[1]s\n",
		policyRcD, backup, code)
	out, err := c.Host.Run(ctx, Command{Script: script})
	if err != nil {
		return nil, nil, err
	}
	if out.RC != 0 {
		return nil, Failed("Failed to write %s: %s", policyRcD, strings.TrimSpace(out.Stderr)), nil
	}
	return func() {
		undo := fmt.Sprintf("rm -f %[1]s; if [ -e %[2]s ]; then mv -f %[2]s %[1]s; fi\n", policyRcD, backup)
		_, _ = c.Host.Run(context.WithoutCancel(ctx), Command{Script: undo})
	}, nil, nil
}

func runAptOps(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	names := a.Strings("name")
	debs := []string{}
	if d := a.Str("deb"); d != "" {
		if strings.Contains(d, "://") {
			return Failed("remotectl's apt installs a .deb already on the host, it does not download %s: fetch it with get_url first", d), nil
		}
		debs = strings.Split(d, ",")
	}
	given := 0
	for _, set := range []bool{len(debs) > 0, len(names) > 0, a.Has("upgrade")} {
		if set {
			given++
		}
	}
	if given > 1 {
		return Failed("parameters are mutually exclusive: deb|package|upgrade"), nil
	}
	upgrade := a.Str("upgrade")
	if upgrade == "no" {
		upgrade = ""
	}
	var cleanOut Output
	if a.Bool("clean") {
		if c.Check {
			cleanOut = Output{}
		} else {
			o, err := c.Host.Run(ctx, Command{Argv: []string{"apt-get", "clean"}, Env: aptEnv()})
			if err != nil {
				return nil, err
			}
			if o.RC != 0 {
				return Result{"failed": true, "changed": false, "msg": "apt-get clean failed: " + o.Stderr, "stdout": o.Stdout, "rc": o.RC}, nil
			}
			cleanOut = o
		}
		if len(names) == 0 && len(debs) == 0 && upgrade == "" {
			return Result{"changed": true, "msg": cleanOut.Stdout, "stdout": cleanOut.Stdout, "stderr": cleanOut.Stderr}, nil
		}
	}
	if len(names) == 0 && len(debs) == 0 && !a.Has("update_cache") && !a.Bool("autoremove") && !a.Has("upgrade") && !a.Bool("clean") {
		return Failed("one of the following is required: autoremove, deb, package, update_cache, upgrade"), nil
	}
	update := a.Bool("update_cache") || a.Int("cache_valid_time") > 0
	var probeNames []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "*" {
			if len(names) > 1 && a.Str("state") == "latest" {
				return Failed("unable to install additional packages when upgrading all installed packages"), nil
			}
			continue
		}
		if strings.Count(n, "=") > 1 {
			return Failed("invalid package spec: %s", n), nil
		}
		s := splitAptSpec(n)
		if hasGlob(s.name) && strings.Trim(s.name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.:*?[]!") != "" {
			return Failed("invalid package name pattern: %s", s.name), nil
		}
		probeNames = append(probeNames, s.name)
	}
	script := aptProbeScript(probeNames, debs, update, a.Int("cache_valid_time"), max(a.Int("update_cache_retries"), 1),
		a.Int("update_cache_retry_max_delay"), c.Check, a.Str("default_release"))
	out, err := runSh(ctx, c, script, aptEnv())
	if err != nil {
		return nil, err
	}
	p := parseAptProbe(out.Stdout)
	if p.updateErr != "" {
		return Failed("Failed to update apt cache: %s", p.updateErr), nil
	}
	cacheUpdated := update && p.updated && (c.Check || p.cacheTime != p.cacheTimeAfter)
	if len(names) == 0 && len(debs) == 0 && upgrade == "" && update {
		return Result{"changed": cacheUpdated, "cache_updated": cacheUpdated, "cache_update_time": p.cacheTimeAfter}, nil
	}
	if upgrade != "" {
		return aptUpgrade(ctx, c, upgrade, a.Bool("force_apt_get") || !p.aptitude)
	}
	if slices.Contains(names, "*") {
		if a.Str("state") == "latest" {
			return aptUpgrade(ctx, c, "yes", a.Bool("force_apt_get") || !p.aptitude)
		}
		names = slices.DeleteFunc(names, func(n string) bool { return n == "*" })
		if len(names) == 0 {
			return Result{"changed": false, "cache_updated": cacheUpdated, "cache_update_time": p.cacheTimeAfter}, nil
		}
	}
	if len(debs) > 0 {
		if a.Str("state") != "present" {
			return Failed("deb only supports state=present"), nil
		}
		return aptInstallDebs(ctx, c, p)
	}
	if len(names) == 0 && a.Bool("autoclean") {
		return aptCleanup(ctx, c, "autoclean")
	}
	if len(names) == 0 && a.Bool("autoremove") {
		return aptCleanup(ctx, c, "autoremove")
	}
	specs, err := expandAptSpecs(p, names)
	if err != nil {
		return Failed("%v", err), nil
	}
	if a.Str("state") == "absent" {
		return aptRemove(ctx, c, aptRemoveList(p, specs, a.Bool("purge")))
	}
	list, pkgNames, err := aptInstallList(p, specs, a.Str("state") == "latest", a.Bool("only_upgrade"))
	if err != nil {
		res := Failed("%v", err)
		res["cache_updated"], res["cache_update_time"] = cacheUpdated, p.cacheTimeAfter
		return res, nil
	}
	res, err := aptInstall(ctx, c, list)
	if err != nil || res.IsFailed() {
		return res, err
	}
	if !c.Check {
		if err := aptMarkManual(ctx, c, p, pkgNames, list); err != nil {
			return nil, err
		}
	}
	res["cache_updated"], res["cache_update_time"] = cacheUpdated, p.cacheTimeAfter
	return res, nil
}

// aptGetArgs is the apt-get command line apt.py builds for an operation.
func aptGetArgs(c *Call, op string, pkgs []string) []string {
	a := c.Args
	argv := []string{"apt-get", "-y"}
	if op == "remove" {
		argv = []string{"apt-get", "-q", "-y"}
	}
	argv = append(argv, dpkgOptions(a.Str("dpkg_options"))...)
	argv = append(argv, "-o", fmt.Sprintf("DPkg::Lock::Timeout=%d", a.Int("lock_timeout")))
	if op == "install" && a.Bool("only_upgrade") {
		argv = append(argv, "--only-upgrade")
	}
	if op != "install" && a.Bool("purge") {
		argv = append(argv, "--purge")
	}
	if a.Bool("force") {
		argv = append(argv, "--force-yes")
	}
	if (op == "install" || op == "remove") && a.Bool("autoremove") {
		argv = append(argv, "--auto-remove")
	}
	if op == "install" && a.Bool("fail_on_autoremove") {
		argv = append(argv, "--no-remove")
	}
	if c.Check {
		argv = append(argv, "--simulate")
	}
	argv = append(argv, op)
	argv = append(argv, pkgs...)
	if op != "install" {
		return argv
	}
	if r := a.Str("default_release"); r != "" {
		argv = append(argv, "-t", r)
	}
	if a.Has("install_recommends") {
		if a.Bool("install_recommends") {
			argv = append(argv, "-o", "APT::Install-Recommends=yes")
		} else {
			argv = append(argv, "-o", "APT::Install-Recommends=no")
		}
	}
	if a.Bool("allow_unauthenticated") {
		argv = append(argv, "--allow-unauthenticated")
	}
	if a.Bool("allow_downgrade") {
		argv = append(argv, "--allow-downgrades")
	}
	if a.Bool("allow_change_held_packages") {
		argv = append(argv, "--allow-change-held-packages")
	}
	return argv
}

func (c *Call) diffOf(out string) map[string]any {
	if !c.Diff {
		return map[string]any{}
	}
	return aptParseDiff(out)
}

func aptInstall(ctx context.Context, c *Call, list []string) (Result, error) {
	if len(list) == 0 {
		return Result{"changed": false}, nil
	}
	argv := aptGetArgs(c, "install", list)
	out, err := c.Host.Run(ctx, Command{Argv: argv, Env: aptEnv()})
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return Result{"failed": true, "changed": false, "msg": fmt.Sprintf("'%s' failed: %s", strings.Join(argv, " "), out.Stderr),
			"stdout": out.Stdout, "stderr": out.Stderr, "rc": out.RC}, nil
	}
	return Result{"changed": true, "stdout": out.Stdout, "stderr": out.Stderr, "diff": c.diffOf(out.Stdout)}, nil
}

// aptMarkManual marks as manually installed the packages named that apt
// had marked automatic and apt-get did not just install by name (it marks
// those itself), as apt.py's mark_installed_manually.
func aptMarkManual(ctx context.Context, c *Call, p *aptProbe, names, installed []string) error {
	var mark []string
	for _, n := range names {
		if pk := p.pkgs[n]; pk != nil && pk.auto && !slices.ContainsFunc(installed, func(s string) bool { return splitAptSpec(s).name == n }) {
			mark = append(mark, n)
		}
	}
	if len(mark) == 0 {
		return nil
	}
	_, err := c.Host.Run(ctx, Command{Argv: append([]string{"apt-mark", "manual"}, mark...), Env: aptEnv()})
	return err
}

func aptRemove(ctx context.Context, c *Call, list []string) (Result, error) {
	if len(list) == 0 {
		return Result{"changed": false}, nil
	}
	out, err := c.Host.Run(ctx, Command{Argv: aptGetArgs(c, "remove", list), Env: aptEnv()})
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return Result{"failed": true, "changed": false, "msg": fmt.Sprintf("'apt-get remove %s' failed: %s", strings.Join(list, " "), out.Stderr),
			"stdout": out.Stdout, "stderr": out.Stderr, "rc": out.RC}, nil
	}
	return Result{"changed": true, "stdout": out.Stdout, "stderr": out.Stderr, "diff": c.diffOf(out.Stdout)}, nil
}

// aptCleanup is apt.py's cleanup: apt-get autoremove or autoclean,
// changed when apt-get says it removed or deleted something.
func aptCleanup(ctx context.Context, c *Call, op string) (Result, error) {
	out, err := c.Host.Run(ctx, Command{Argv: aptGetArgs(c, op, nil), Env: aptEnv()})
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return Result{"failed": true, "changed": false, "msg": fmt.Sprintf("'apt-get %s' failed: %s", op, out.Stderr),
			"stdout": out.Stdout, "stderr": out.Stderr, "rc": out.RC}, nil
	}
	marker := "The following packages will be REMOVED"
	if op == "autoclean" {
		marker = "Del "
	}
	changed := strings.Contains(out.Stdout, marker)
	return Result{"changed": changed, "stdout": out.Stdout, "stderr": out.Stderr, "diff": c.diffOf(out.Stdout)}, nil
}

// aptInstallDebs is apt.py's install_deb: a deb whose version is installed
// is skipped; a later installed version refuses unless allow_downgrade or
// force; the rest are installed with dpkg -i (with apt-get when the deb
// declares dependencies, so that apt installs them first, as Ansible does).
func aptInstallDebs(ctx context.Context, c *Call, p *aptProbe) (Result, error) {
	var plain, withDeps []string
	for _, d := range p.debs {
		if d.err != "" {
			return Result{"failed": true, "changed": false, "msg": fmt.Sprintf("dpkg --field %s failed", d.path), "stderr": d.err}, nil
		}
		pk := p.pkgs[d.pkg]
		if pk != nil && pk.isInstalled() {
			cmp := debVersionCompare(d.version, pk.installed)
			if cmp == 0 {
				continue
			}
			if cmp < 0 && !c.Args.Bool("allow_downgrade") && !c.Args.Bool("force") {
				return Failed("A later version is already installed"), nil
			}
		}
		if d.depends != "" {
			withDeps = append(withDeps, d.path)
		} else {
			plain = append(plain, d.path)
		}
	}
	if len(plain) == 0 && len(withDeps) == 0 {
		return Result{"changed": false, "stdout": "", "stderr": "", "diff": ""}, nil
	}
	var stdout, stderr string
	if len(withDeps) > 0 {
		var paths []string
		for _, d := range withDeps {
			if !strings.HasPrefix(d, "/") && !strings.HasPrefix(d, ".") {
				d = "./" + d
			}
			paths = append(paths, d)
		}
		res, err := aptInstall(ctx, c, paths)
		if err != nil || res.IsFailed() {
			return res, err
		}
		stdout, stderr = res["stdout"].(string), res["stderr"].(string)
	}
	if len(plain) > 0 {
		argv := []string{"dpkg"}
		for _, o := range strings.Split(c.Args.Str("dpkg_options"), ",") {
			argv = append(argv, "--"+o)
		}
		if c.Check {
			argv = append(argv, "--simulate")
		}
		if c.Args.Bool("force") {
			argv = append(argv, "--force-all")
		}
		argv = append(append(argv, "-i"), plain...)
		out, err := c.Host.Run(ctx, Command{Argv: argv, Env: aptEnv()})
		if err != nil {
			return nil, err
		}
		stdout, stderr = stdout+out.Stdout, stderr+out.Stderr
		if out.RC != 0 {
			return Result{"failed": true, "changed": false, "msg": strings.Join(argv, " ") + " failed", "stdout": stdout, "stderr": stderr}, nil
		}
	}
	return Result{"changed": true, "stdout": stdout, "stderr": stderr, "diff": aptParseDiff(stdout)}, nil
}

// aptUpgrade is apt.py's upgrade: dist (apt-get dist-upgrade), full
// (aptitude full-upgrade, or apt-get dist-upgrade), yes/safe (aptitude
// safe-upgrade, or apt-get upgrade --with-new-pkgs); changed unless the
// tool reports nothing to do.
func aptUpgrade(ctx context.Context, c *Call, mode string, useAptGet bool) (Result, error) {
	a := c.Args
	tool, op := "aptitude", []string{"safe-upgrade"}
	switch {
	case mode == "dist" || mode == "full" && useAptGet:
		tool, op = "apt-get", []string{"dist-upgrade"}
	case mode == "full":
		op = []string{"full-upgrade"}
	case useAptGet:
		tool, op = "apt-get", []string{"upgrade", "--with-new-pkgs"}
	}
	if tool == "apt-get" && a.Bool("autoremove") {
		op = append(op, "--auto-remove")
	}
	argv := append([]string{tool, "-y"}, dpkgOptions(a.Str("dpkg_options"))...)
	if a.Bool("force") {
		if tool == "apt-get" {
			argv = append(argv, "--force-yes")
		} else {
			argv = append(argv, "--assume-yes", "--allow-untrusted")
		}
	}
	if a.Bool("fail_on_autoremove") {
		argv = append(argv, "--no-remove")
	}
	if a.Bool("allow_unauthenticated") {
		argv = append(argv, "--allow-unauthenticated")
	}
	if a.Bool("allow_downgrade") {
		argv = append(argv, "--allow-downgrades")
	}
	if c.Check {
		argv = append(argv, "--simulate")
	}
	argv = append(argv, op...)
	if r := a.Str("default_release"); r != "" {
		argv = append(argv, "-t", r)
	}
	out, err := c.Host.Run(ctx, Command{Argv: argv, Env: aptEnv(), Stdin: []byte("n\n")})
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return Result{"failed": true, "changed": false, "msg": fmt.Sprintf("'%s %s' failed: %s", tool, strings.Join(op, " "), out.Stderr),
			"stdout": out.Stdout, "rc": out.RC}, nil
	}
	zero := "\n0 upgraded, 0 newly installed"
	if tool == "aptitude" {
		zero = "\n0 packages upgraded, 0 newly installed"
	}
	if strings.Contains(out.Stdout, zero) {
		return Result{"changed": false, "msg": out.Stdout, "stdout": out.Stdout, "stderr": out.Stderr}, nil
	}
	return Result{"changed": true, "msg": out.Stdout, "stdout": out.Stdout, "stderr": out.Stderr, "diff": c.diffOf(out.Stdout)}, nil
}
