package module

import (
	"context"
	"fmt"
	"strings"
)

// hostnameModule is ansible.builtin.hostname on Linux, with hostname.py's
// strategies: systemd (hostnamectl), file (/etc/hostname: Debian, Ubuntu
// and their family without systemd; /etc/HOSTNAME: SLES), redhat
// (/etc/sysconfig/network), alpine (/etc/hostname and hostname -F).
func hostnameModule() *Module {
	return &Module{Name: "hostname", Collection: "ansible.builtin", Check: CheckFull, Diff: true,
		Params: []Param{
			{Name: "name", Type: Str, Required: true},
			{Name: "use", Type: Str, Choices: []string{"alpine", "debian", "redhat", "sles", "systemd"}},
		},
		Run: runHostname,
	}
}

// hostnameStrategyFor maps /etc/os-release IDs to hostname.py's strategies.
func hostnameStrategyFor(id string) string {
	switch id {
	case "debian", "ubuntu", "kylin", "cumulus-linux", "kali", "parrot", "linuxmint", "linaro", "devuan", "raspbian",
		"uos", "deepin", "neon", "void", "pop":
		return "file"
	case "rhel", "redhat", "centos", "anolis", "cloudlinux", "alinux", "scientific", "ol", "oracle", "virtuozzo",
		"amzn", "altlinux", "eurolinux":
		return "redhat"
	case "alpine":
		return "alpine"
	case "sles", "sled", "opensuse-leap":
		return "sles"
	}
	return ""
}

// hostnameProbeScript prints: systemd or not, the distribution, the current
// and permanent names as each strategy reads them.
func hostnameProbeScript() string {
	return `export LC_ALL=C
[ -d /run/systemd/system ] && echo "@@systemd"
. /etc/os-release 2>/dev/null; printf '@@id\t%s\n' "$ID"
if command -v hostnamectl >/dev/null 2>&1; then
  printf 'systemd-current\t%s\n' "$(hostnamectl --transient status 2>/dev/null)"
  printf 'systemd-permanent\t%s\n' "$(hostnamectl --static status 2>/dev/null)"
fi
[ -f /etc/hostname ] && printf 'file\t%s\n' "$(tr -d '\n' </etc/hostname | sed 's/^[[:space:]]*//;s/[[:space:]]*$//')"
[ -f /etc/HOSTNAME ] && printf 'sles\t%s\n' "$(tr -d '\n' </etc/HOSTNAME | sed 's/^[[:space:]]*//;s/[[:space:]]*$//')"
[ -f /etc/sysconfig/network ] && printf 'redhat\t%s\n' "$(sed -n 's/^[[:space:]]*HOSTNAME[[:space:]]*=//p' /etc/sysconfig/network | head -n 1 | sed 's/^[[:space:]]*//;s/[[:space:]]*$//')"
:
`
}

// hostnameState is the parsed probe.
type hostnameState struct {
	systemd bool
	id      string
	values  map[string]string
	present map[string]bool
}

func parseHostnameProbe(out string) *hostnameState {
	s := &hostnameState{values: map[string]string{}, present: map[string]bool{}}
	for _, line := range strings.Split(out, "\n") {
		if line == "@@systemd" {
			s.systemd = true
			continue
		}
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		if k == "@@id" {
			s.id = strings.ToLower(strings.TrimSpace(v))
			continue
		}
		s.values[k], s.present[k] = v, true
	}
	return s
}

// current and permanent are get_current_hostname/get_permanent_hostname of
// the strategy.
func (s *hostnameState) names(strategy string) (current, permanent string) {
	switch strategy {
	case "systemd":
		return s.values["systemd-current"], s.values["systemd-permanent"]
	case "redhat":
		return s.values["redhat"], s.values["redhat"]
	case "sles":
		return s.values["sles"], s.values["sles"]
	}
	return s.values["file"], s.values["file"]
}

// hostnameActions are the commands that set the name with a strategy.
func hostnameActions(strategy, name string, setCurrent, setPermanent bool) string {
	q := Quote(name)
	var b strings.Builder
	b.WriteString("set -e\n")
	switch strategy {
	case "systemd":
		if setPermanent {
			fmt.Fprintf(&b, "hostnamectl --pretty --static set-hostname %s\n", q)
		}
		if setCurrent {
			fmt.Fprintf(&b, "hostnamectl --transient set-hostname %s\n", q)
		}
	case "redhat":
		if setPermanent {
			fmt.Fprintf(&b, `f=/etc/sysconfig/network
if grep -q '^[[:space:]]*HOSTNAME' "$f" 2>/dev/null; then sed -i 's/^[[:space:]]*HOSTNAME.*/HOSTNAME=%[1]s/' "$f"; else printf 'HOSTNAME=%%s\n' %[1]s >>"$f"; fi
`, strings.ReplaceAll(q, "/", `\/`))
		}
	default:
		file := "/etc/hostname"
		if strategy == "sles" {
			file = "/etc/HOSTNAME"
		}
		if setPermanent || setCurrent {
			fmt.Fprintf(&b, "printf '%%s\\n' %s >%s\n", q, file)
		}
		if strategy == "alpine" && setCurrent {
			b.WriteString("hostname -F /etc/hostname\n")
		}
	}
	return b.String()
}

func runHostname(ctx context.Context, c *Call) (Result, error) {
	name := c.Args.Str("name")
	out, err := runSh(ctx, c, hostnameProbeScript(), nil)
	if err != nil {
		return nil, err
	}
	st := parseHostnameProbe(out.Stdout)
	strategy := ""
	switch use := c.Args.Str("use"); {
	case use == "systemd" || use == "debian":
		strategy = "systemd"
	case use != "":
		strategy = use
	case st.systemd && st.present["systemd-current"]:
		strategy = "systemd"
	default:
		strategy = hostnameStrategyFor(st.id)
	}
	if strategy == "" {
		return Failed("hostname module cannot be used on platform Linux (%s)", st.id), nil
	}
	if strategy == "systemd" && len(name) > 64 {
		return Failed("name cannot be longer than 64 characters on systemd servers, try a shorter name"), nil
	}
	if strategy == "redhat" && !st.present["redhat"] {
		return Failed("Unable to locate HOSTNAME entry in /etc/sysconfig/network"), nil
	}
	current, permanent := st.names(strategy)
	setCurrent := current != name && (strategy == "systemd" || strategy == "alpine")
	setPermanent := permanent != name
	changed := current != name || permanent != name
	if changed && !c.Check {
		o, err := runSh(ctx, c, hostnameActions(strategy, name, setCurrent, setPermanent), nil)
		if err != nil {
			return nil, err
		}
		if o.RC != 0 {
			return Failed("Command failed rc=%d, out=%s, err=%s", o.RC, o.Stdout, o.Stderr), nil
		}
	}
	fqdn, err := runSh(ctx, c, "hostname -f 2>/dev/null || hostname", nil)
	if err != nil {
		return nil, err
	}
	f := strings.TrimSpace(fqdn.Stdout)
	domain := ""
	if _, d, ok := strings.Cut(f, "."); ok {
		domain = d
	}
	res := Result{"changed": changed, "name": name, "ansible_facts": map[string]any{
		"ansible_hostname": strings.SplitN(name, ".", 2)[0], "ansible_nodename": name, "ansible_fqdn": f, "ansible_domain": domain}}
	if changed {
		before := permanent
		if name != current {
			before = current
		}
		res["diff"] = map[string]any{"after": "hostname = " + name + "\n", "before": "hostname = " + before + "\n"}
	}
	return res, nil
}
