package module

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/remotectl/remotectl/remote"
)

// factModules are the modules that gather facts.
func factModules() []*Module {
	return []*Module{
		{Name: "setup", Collection: "ansible.builtin", Check: CheckFull,
			Params: []Param{
				{Name: "gather_subset", Type: List, Elements: Str, Default: []any{"all"}},
				{Name: "gather_timeout", Type: Int, Default: 10},
				{Name: "filter", Type: List, Elements: Str, Default: []any{}},
				{Name: "fact_path", Type: Path, Default: "/etc/ansible/facts.d"},
			},
			Run: runSetup},
	}
}

// factCollector is one of ansible-core's Linux fact collectors: its name,
// the fact names that select it too (its _fact_ids) and the collectors whose
// facts it needs (required_facts), which are then gathered as well.
type factCollector struct {
	name     string
	ids      []string
	requires []string
	collect  func(s factSections, c *factContext) map[string]any
}

// factContext carries what collectors need besides the host's output.
type factContext struct {
	collected map[string]any // facts gathered so far, without the prefix
}

// factCollectors are the collectors, in the order of ansible-core's
// default_collectors list (the order facts are merged in).
func factCollectors() []factCollector {
	return []factCollector{
		{name: "platform", ids: []string{"system", "kernel", "kernel_version", "machine", "python_version", "architecture", "machine_id"}, collect: platformFacts},
		{name: "distribution", ids: []string{"distribution_version", "distribution_release", "distribution_major_version", "os_family"}, collect: distributionFacts},
		{name: "lsb", collect: lsbFacts},
		{name: "selinux", collect: selinuxFacts},
		{name: "apparmor", collect: apparmorFacts},
		{name: "chroot", ids: []string{"is_chroot"}, collect: chrootFacts},
		{name: "fips", collect: fipsFacts},
		{name: "python", collect: pythonFacts},
		{name: "caps", ids: []string{"system_capabilities", "system_capabilities_enforced"}, collect: capsFacts},
		{name: "pkg_mgr", requires: []string{"distribution"}, collect: pkgMgrFacts},
		{name: "service_mgr", requires: []string{"platform", "distribution"}, collect: serviceMgrFacts},
		{name: "cmdline", collect: cmdlineFacts},
		{name: "date_time", collect: dateTimeFacts},
		{name: "env", collect: envFacts},
		{name: "loadavg", collect: loadavgFacts},
		{name: "ssh_pub_keys", ids: []string{"ssh_host_pub_keys", "ssh_host_key_dsa_public", "ssh_host_key_rsa_public", "ssh_host_key_ecdsa_public", "ssh_host_key_ed25519_public"}, collect: sshKeyFacts},
		{name: "user", ids: []string{"user_id", "user_uid", "user_gid", "user_gecos", "user_dir", "user_shell", "real_user_id", "effective_user_id", "effective_group_ids"}, collect: userFacts},
		{name: "virtual", ids: []string{"virtualization_type", "virtualization_role", "virtualization_tech_guest", "virtualization_tech_host"}, collect: virtualFacts},
		{name: "hardware", ids: []string{"processor", "processor_cores", "processor_count", "mounts", "devices"}, requires: []string{"platform"}, collect: hardwareFacts},
		{name: "dns", collect: dnsFacts},
		{name: "fibre_channel_wwn", collect: fcWwnFacts},
		{name: "network", ids: []string{"interfaces", "default_ipv4", "default_ipv6", "all_ipv4_addresses", "all_ipv6_addresses"}, requires: []string{"distribution", "platform"}, collect: networkFacts},
		{name: "iscsi", collect: iscsiFacts},
		{name: "nvme", collect: nvmeFacts},
		{name: "local", collect: nil}, // needs the module's fact_path: see runSetup
		{name: "facter", collect: nil},
		{name: "ohai", collect: nil},
	}
}

// minimalGatherSubset is setup's minimal_gather_subset: gathered unless
// "!min" is given.
func minimalGatherSubset() []string {
	return []string{"apparmor", "caps", "cmdline", "date_time", "distribution", "dns", "env", "fips", "local",
		"lsb", "pkg_mgr", "platform", "python", "selinux", "service_mgr", "ssh_pub_keys", "user"}
}

// selectCollectors is ansible-core's get_collector_names and _solve_deps: the
// collectors gather_subset selects, with those they require.
func selectCollectors(subsets []string, all []factCollector) (map[string]bool, error) {
	aliases := map[string][]string{}
	valid := map[string]bool{}
	for _, c := range all {
		valid[c.name] = true
		aliases[c.name] = append(aliases[c.name], c.name)
		for _, id := range c.ids {
			valid[id] = true
			aliases[id] = append(aliases[id], c.name)
		}
	}
	minimal := map[string]bool{}
	for _, m := range minimalGatherSubset() {
		minimal[m] = true
	}
	add, exclude, explicit := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, s := range append([]string{"min"}, subsets...) {
		switch {
		case s == "min":
			for m := range minimal {
				add[m] = true
			}
		case s == "all":
			for v := range valid {
				add[v] = true
			}
		case s == "!min":
			for m := range minimal {
				exclude[m] = true
			}
		case s == "!all":
			for v := range valid {
				if !minimal[v] {
					exclude[v] = true
				}
			}
		case strings.HasPrefix(s, "!"):
			// aliases_map maps a collector name to its fact ids
			name := s[1:]
			exclude[name] = true
			for _, c := range all {
				if c.name == name {
					for _, id := range c.ids {
						exclude[id] = true
					}
				}
			}
		default:
			if !valid[s] {
				names := make([]string, 0, len(valid))
				for v := range valid {
					names = append(names, v)
				}
				sort.Strings(names)
				return nil, fmt.Errorf("Bad subset '%s' given to Ansible. gather_subset options allowed: all, %s", s, strings.Join(names, ", "))
			}
			explicit[s], add[s] = true, true
		}
	}
	if len(add) == 0 {
		for v := range valid {
			add[v] = true
		}
	}
	selected := map[string]bool{}
	for s := range add {
		if exclude[s] && !explicit[s] {
			continue
		}
		for _, c := range aliases[s] {
			selected[c] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, c := range all {
			if !selected[c.name] {
				continue
			}
			for _, r := range c.requires {
				if !selected[r] {
					selected[r], changed = true, true
				}
			}
		}
	}
	return selected, nil
}

func runSetup(ctx context.Context, c *Call) (Result, error) {
	if c.Host.OS() == remote.OSWindows {
		return runWindowsSetup(ctx, c)
	}
	subsets := c.Args.Strings("gather_subset")
	all := factCollectors()
	selected, err := selectCollectors(subsets, all)
	if err != nil {
		return Failed("%s", err.Error()), nil
	}
	for _, n := range []string{"facter", "ohai"} {
		if selected[n] && containsExplicit(subsets, n) {
			return Failed("gather_subset %s: remotectl does not run facter or ohai", n), nil
		}
	}
	timeout := c.Args.Int("gather_timeout")
	if timeout <= 0 {
		timeout = 10
	}
	out, err := c.Host.Run(ctx, Command{Script: factScript(selected, c.Args.Str("fact_path"), timeout, pythonLookup(c))})
	if err != nil {
		return nil, err
	}
	s := parseFactSections(out.Stdout)
	if sys, _ := s.cmd("system"); strings.TrimSpace(sys) != "Linux" {
		return Failed("setup: remotectl gathers the facts of Linux hosts only (as ansible-core's Linux collectors); this host's system is %q", strings.TrimSpace(sys)), nil
	}
	fc := &factContext{collected: map[string]any{}}
	facts := map[string]any{}
	filter := c.Args.Strings("filter")
	var warnings []string
	for _, col := range orderCollectors(all, selected) {
		var got map[string]any
		switch {
		case col.name == "local":
			got, warnings = localFacts(s)
		case col.collect != nil:
			got = col.collect(s, fc)
		}
		for k, v := range got {
			fc.collected[k] = v
			if factFilterMatch("ansible_"+k, filter) {
				facts["ansible_"+k] = v
			}
		}
	}
	for k, v := range map[string]any{"gather_subset": anyStrings(subsets), "module_setup": true} {
		if factFilterMatch(k, filter) {
			facts[k] = v
		}
	}
	res := Result{"changed": false, "ansible_facts": facts}
	if len(warnings) > 0 {
		res["warnings"] = warnings
	}
	return res, nil
}

func containsExplicit(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func anyStrings(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// orderCollectors puts the selected collectors in dependency order (each
// after those it requires), the order ansible-core's tsort yields for
// collectors that need others' facts.
func orderCollectors(all []factCollector, selected map[string]bool) []factCollector {
	var out []factCollector
	done := map[string]bool{}
	for len(done) < len(selected) {
		progress := false
		for _, c := range all {
			if !selected[c.name] || done[c.name] {
				continue
			}
			ready := true
			for _, r := range c.requires {
				if !done[r] {
					ready = false
				}
			}
			if ready {
				out = append(out, c)
				done[c.name], progress = true, true
			}
		}
		if !progress {
			break
		}
	}
	return out
}

// factFilterMatch is AnsibleFactCollector._filter for one key: an empty
// filter keeps everything; a pattern matches the key by fnmatch, or with
// ansible_ prepended when it starts with none of ansible_, facter, ohai.
func factFilterMatch(key string, filter []string) bool {
	if len(filter) == 0 || len(filter) == 1 && filter[0] == "*" {
		return true
	}
	for _, f := range filter {
		if f == "" || factFnmatch(f, key) {
			return true
		}
		if !strings.HasPrefix(f, "ansible_") && !strings.HasPrefix(f, "facter") && !strings.HasPrefix(f, "ohai") &&
			factFnmatch("ansible_"+f, key) {
			return true
		}
	}
	return false
}

// factFnmatch is Python's fnmatch.fnmatch on POSIX (case-sensitive): *, ?, [seq],
// [!seq]. path.Match differs only in treating / specially and \ as an
// escape, which Python's fnmatch does not; keys contain neither.
func factFnmatch(pattern, name string) bool {
	p := strings.ReplaceAll(strings.ReplaceAll(pattern, "\\", "\\\\"), "[!", "[^")
	ok, err := path.Match(p, name)
	return err == nil && ok
}
