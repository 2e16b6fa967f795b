package checks

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// schema describes one resource type: its properties (what is checked, in
// the order results are reported), its options (how to observe), where it
// is observed from, and how its id is read.
type schema struct {
	name     string
	from     Vantage   // default vantage
	vantages []Vantage // allowed vantages
	props    []propDef
	opts     []optDef
	init     func(c *Check) // allocates the spec and fills it from c.ID
	// finish validates the spec once every key is read; it returns a message
	// and a hint, or "" when the spec is good.
	finish func(c *Check) (msg, hint string)
	// kindIn, when set, gives the kind of the properties from the check's
	// body instead of propDef.kind (matching's as-reader: makes it text).
	kindIn func(body *yaml.Node) valueKind
	// retries: the type takes goss's retry_count and retry_delay.
	retries bool
	// required is the property goss always evaluates (exists:, listening:,
	// ...): a check without it fails there, as in goss; "" when none.
	required string
}

// propDef is a checkable property.
type propDef struct {
	name  string
	kind  valueKind
	field func(c *Check) **Matcher
}

// optDef is an option: how a resource is observed, not what is expected.
type optDef struct {
	name   string
	decode func(d *decoder, n *yaml.Node, c *Check)
}

// Keys every check may have besides its type's properties and options.
var commonKeys = []string{"title", "hosts", "from", "skip", "timeout", "meta"}

func (s *schema) prop(name string) *propDef {
	for i := range s.props {
		if s.props[i].name == name {
			return &s.props[i]
		}
	}
	return nil
}

func (s *schema) opt(name string) *optDef {
	for i := range s.opts {
		if s.opts[i].name == name {
			return &s.opts[i]
		}
	}
	return nil
}

// keys returns every key a check of this type may have.
func (s *schema) keys() []string {
	keys := append([]string(nil), commonKeys...)
	if s.retries {
		keys = append(keys, "retry_count", "retry_delay")
	}
	for _, p := range s.props {
		keys = append(keys, p.name)
	}
	for _, o := range s.opts {
		keys = append(keys, o.name)
	}
	return keys
}

func (s *schema) propNames() string {
	names := make([]string, len(s.props))
	for i, p := range s.props {
		names[i] = p.name
	}
	return strings.Join(names, ", ")
}

// Option decoders.
func strOpt(name string, set func(c *Check) *string) optDef {
	return optDef{name, func(d *decoder, n *yaml.Node, c *Check) { *set(c) = d.Str(n, name) }}
}

func boolOpt(name string, set func(c *Check) *bool) optDef {
	return optDef{name, func(d *decoder, n *yaml.Node, c *Check) { *set(c) = d.boolean(n, name) }}
}

func listOpt(name string, set func(c *Check) *[]string) optDef {
	return optDef{name, func(d *decoder, n *yaml.Node, c *Check) { *set(c) = d.strList(n, name) }}
}

// aliasOpt is an older goss spelling of a property (dns resolveable:, file
// contains:): read as the property itself, under the property's name in
// results.
func aliasOpt(name string, kind valueKind, field func(c *Check) **Matcher) optDef {
	return optDef{name, func(d *decoder, n *yaml.Node, c *Check) {
		if m := field(c); *m == nil {
			*m = d.matcher(n, kind, name)
		} else {
			d.Errorf(n, "keep one of them", "%s repeats a property given under its other name", name)
		}
	}}
}

var (
	hostOnly     = []Vantage{FromHost}
	bothVantages = []Vantage{FromController, FromHost}
)

// schemas are the supported resource types, by name.
var schemas = map[string]*schema{
	"port": {
		name: "port", required: "listening", from: FromHost, vantages: hostOnly,
		props: []propDef{
			{"listening", kindBool, func(c *Check) **Matcher { return &c.Port.Listening }},
			{"ip", kindList, func(c *Check) **Matcher { return &c.Port.IP }},
		},
		opts: []optDef{
			strOpt("port", func(c *Check) *string { return &c.Port.Address }),
		},
		init:   func(c *Check) { c.Port = &PortSpec{Address: c.ID} },
		finish: finishPort,
	},
	"addr": {
		name: "addr", required: "reachable", from: FromController, vantages: bothVantages,
		props: []propDef{
			{"reachable", kindBool, func(c *Check) **Matcher { return &c.Addr.Reachable }},
		},
		opts: []optDef{
			strOpt("address", func(c *Check) *string { return &c.Addr.Address }),
			strOpt("local-address", func(c *Check) *string { return &c.Addr.LocalAddress }),
		},
		init:   func(c *Check) { c.Addr = &AddrSpec{Address: c.ID} },
		finish: finishAddr,
	},
	"http": {
		name: "http", required: "status", from: FromController, vantages: bothVantages,
		props: []propDef{
			{"status", kindInt, func(c *Check) **Matcher { return &c.HTTP.Status }},
			{"headers", kindText, func(c *Check) **Matcher { return &c.HTTP.Headers }},
			{"body", kindText, func(c *Check) **Matcher { return &c.HTTP.Body }},
		},
		opts: []optDef{
			strOpt("url", func(c *Check) *string { return &c.HTTP.URL }),
			strOpt("method", func(c *Check) *string { return &c.HTTP.Method }),
			listOpt("request-headers", func(c *Check) *[]string { return &c.HTTP.RequestHeaders }),
			strOpt("request-body", func(c *Check) *string { return &c.HTTP.RequestBody }),
			strOpt("username", func(c *Check) *string { return &c.HTTP.Username }),
			strOpt("password", func(c *Check) *string { return &c.HTTP.Password }),
			boolOpt("allow-insecure", func(c *Check) *bool { return &c.HTTP.AllowInsecure }),
			boolOpt("no-follow-redirects", func(c *Check) *bool { return &c.HTTP.NoFollowRedirects }),
			strOpt("ca-file", func(c *Check) *string { return &c.HTTP.CAFile }),
			strOpt("cert-file", func(c *Check) *string { return &c.HTTP.CertFile }),
			strOpt("key-file", func(c *Check) *string { return &c.HTTP.KeyFile }),
			strOpt("proxy", func(c *Check) *string { return &c.HTTP.Proxy }),
		},
		init:   func(c *Check) { c.HTTP = &HTTPSpec{URL: c.ID} },
		finish: finishHTTP,
	},
	"dns": {
		name: "dns", required: "resolvable", from: FromController, vantages: bothVantages, retries: true,
		props: []propDef{
			{"resolvable", kindBool, func(c *Check) **Matcher { return &c.DNS.Resolvable }},
			{"addrs", kindList, func(c *Check) **Matcher { return &c.DNS.Addrs }},
		},
		opts: []optDef{
			strOpt("resolve", func(c *Check) *string { return &c.DNS.Name }),
			strOpt("server", func(c *Check) *string { return &c.DNS.Server }),
			aliasOpt("resolveable", kindBool, func(c *Check) **Matcher { return &c.DNS.Resolvable }),
		},
		init:   initDNS,
		finish: finishDNS,
	},
	"service": {
		name: "service", from: FromHost, vantages: hostOnly,
		props: []propDef{
			{"enabled", kindBool, func(c *Check) **Matcher { return &c.Service.Enabled }},
			{"running", kindBool, func(c *Check) **Matcher { return &c.Service.Running }},
			{"runlevels", kindList, func(c *Check) **Matcher { return &c.Service.Runlevels }},
		},
		opts:   []optDef{strOpt("name", func(c *Check) *string { return &c.Service.Name })},
		init:   func(c *Check) { c.Service = &ServiceSpec{Name: c.ID} },
		finish: func(c *Check) (string, string) { return needName("service name", c.Service.Name) },
	},
	"process": {
		name: "process", required: "running", from: FromHost, vantages: hostOnly,
		props: []propDef{
			{"running", kindBool, func(c *Check) **Matcher { return &c.Process.Running }},
		},
		opts:   []optDef{strOpt("comm", func(c *Check) *string { return &c.Process.Comm })},
		init:   func(c *Check) { c.Process = &ProcessSpec{Comm: c.ID} },
		finish: func(c *Check) (string, string) { return needName("process name", c.Process.Comm) },
	},
	"package": {
		name: "package", required: "installed", from: FromHost, vantages: hostOnly, retries: true,
		props: []propDef{
			{"installed", kindBool, func(c *Check) **Matcher { return &c.Package.Installed }},
			{"versions", kindList, func(c *Check) **Matcher { return &c.Package.Versions }},
		},
		opts:   []optDef{strOpt("name", func(c *Check) *string { return &c.Package.Name })},
		init:   func(c *Check) { c.Package = &PackageSpec{Name: c.ID} },
		finish: func(c *Check) (string, string) { return needName("package name", c.Package.Name) },
	},
	"file": {
		name: "file", required: "exists", from: FromHost, vantages: hostOnly,
		props: []propDef{
			{"exists", kindBool, func(c *Check) **Matcher { return &c.File.Exists }},
			{"filetype", kindString, func(c *Check) **Matcher { return &c.File.Filetype }},
			{"mode", kindString, func(c *Check) **Matcher { return &c.File.Mode }},
			{"owner", kindString, func(c *Check) **Matcher { return &c.File.Owner }},
			{"group", kindString, func(c *Check) **Matcher { return &c.File.Group }},
			{"uid", kindInt, func(c *Check) **Matcher { return &c.File.UID }},
			{"gid", kindInt, func(c *Check) **Matcher { return &c.File.GID }},
			{"size", kindInt, func(c *Check) **Matcher { return &c.File.Size }},
			{"linked-to", kindString, func(c *Check) **Matcher { return &c.File.LinkedTo }},
			{"md5", kindString, func(c *Check) **Matcher { return &c.File.MD5 }},
			{"sha256", kindString, func(c *Check) **Matcher { return &c.File.SHA256 }},
			{"sha512", kindString, func(c *Check) **Matcher { return &c.File.SHA512 }},
			{"contents", kindText, func(c *Check) **Matcher { return &c.File.Contents }},
		},
		opts: []optDef{
			strOpt("path", func(c *Check) *string { return &c.File.Path }),
			aliasOpt("contains", kindText, func(c *Check) **Matcher { return &c.File.Contents }),
		},
		init:   func(c *Check) { c.File = &FileSpec{Path: c.ID} },
		finish: func(c *Check) (string, string) { return notEmpty("path", c.File.Path) },
	},
	"user": {
		name: "user", required: "exists", from: FromHost, vantages: hostOnly,
		props: []propDef{
			{"exists", kindBool, func(c *Check) **Matcher { return &c.User.Exists }},
			{"uid", kindInt, func(c *Check) **Matcher { return &c.User.UID }},
			{"gid", kindInt, func(c *Check) **Matcher { return &c.User.GID }},
			{"groups", kindList, func(c *Check) **Matcher { return &c.User.Groups }},
			{"home", kindString, func(c *Check) **Matcher { return &c.User.Home }},
			{"shell", kindString, func(c *Check) **Matcher { return &c.User.Shell }},
		},
		opts:   []optDef{strOpt("username", func(c *Check) *string { return &c.User.Username })},
		init:   func(c *Check) { c.User = &UserSpec{Username: c.ID} },
		finish: func(c *Check) (string, string) { return needName("user name", c.User.Username) },
	},
	"group": {
		name: "group", required: "exists", from: FromHost, vantages: hostOnly,
		props: []propDef{
			{"exists", kindBool, func(c *Check) **Matcher { return &c.Group.Exists }},
			{"gid", kindInt, func(c *Check) **Matcher { return &c.Group.GID }},
		},
		opts:   []optDef{strOpt("groupname", func(c *Check) *string { return &c.Group.Groupname })},
		init:   func(c *Check) { c.Group = &GroupSpec{Groupname: c.ID} },
		finish: func(c *Check) (string, string) { return needName("group name", c.Group.Groupname) },
	},
	"command": {
		name: "command", required: "exit-status", from: FromHost, vantages: hostOnly, retries: true,
		props: []propDef{
			{"exit-status", kindInt, func(c *Check) **Matcher { return &c.Command.ExitStatus }},
			{"stdout", kindText, func(c *Check) **Matcher { return &c.Command.Stdout }},
			{"stderr", kindText, func(c *Check) **Matcher { return &c.Command.Stderr }},
		},
		opts:   []optDef{strOpt("exec", func(c *Check) *string { return &c.Command.Exec })},
		init:   func(c *Check) { c.Command = &CommandSpec{Exec: c.ID} },
		finish: func(c *Check) (string, string) { return notEmpty("command", c.Command.Exec) },
	},
	"registry": {
		name: "registry", required: "exists", from: FromHost, vantages: hostOnly,
		props: []propDef{
			{"exists", kindBool, func(c *Check) **Matcher { return &c.Registry.Exists }},
			{"value", kindString, func(c *Check) **Matcher { return &c.Registry.Value }},
			{"type", kindString, func(c *Check) **Matcher { return &c.Registry.Type }},
		},
		opts:   []optDef{strOpt("name", func(c *Check) *string { return &c.Registry.Key })},
		init:   func(c *Check) { c.Registry = &RegistrySpec{Key: c.ID} },
		finish: func(c *Check) (string, string) { return "", "" },
	},
	"kernel-param": {
		name: "kernel-param", required: "value", from: FromHost, vantages: hostOnly,
		props: []propDef{
			{"value", kindString, func(c *Check) **Matcher { return &c.KernelParam.Value }},
		},
		opts:   []optDef{strOpt("name", func(c *Check) *string { return &c.KernelParam.Name })},
		init:   func(c *Check) { c.KernelParam = &KernelParamSpec{Name: c.ID} },
		finish: finishKernelParam,
	},
	"mount": {
		name: "mount", required: "exists", from: FromHost, vantages: hostOnly,
		props: []propDef{
			{"exists", kindBool, func(c *Check) **Matcher { return &c.Mount.Exists }},
			{"source", kindString, func(c *Check) **Matcher { return &c.Mount.Source }},
			{"filesystem", kindString, func(c *Check) **Matcher { return &c.Mount.Filesystem }},
			{"opts", kindList, func(c *Check) **Matcher { return &c.Mount.Opts }},
			{"vfs-opts", kindList, func(c *Check) **Matcher { return &c.Mount.VFSOpts }},
			{"usage", kindInt, func(c *Check) **Matcher { return &c.Mount.Usage }},
		},
		opts:   []optDef{strOpt("mountpoint", func(c *Check) *string { return &c.Mount.MountPoint })},
		init:   func(c *Check) { c.Mount = &MountSpec{MountPoint: c.ID} },
		finish: func(c *Check) (string, string) { return notEmpty("mount point", c.Mount.MountPoint) },
	},
	"interface": {
		name: "interface", from: FromHost, vantages: hostOnly, required: "exists",
		props: []propDef{
			{"exists", kindBool, func(c *Check) **Matcher { return &c.Interface.Exists }},
			{"addrs", kindList, func(c *Check) **Matcher { return &c.Interface.Addrs }},
			{"mtu", kindInt, func(c *Check) **Matcher { return &c.Interface.MTU }},
		},
		opts:   []optDef{strOpt("name", func(c *Check) *string { return &c.Interface.Name })},
		init:   func(c *Check) { c.Interface = &InterfaceSpec{Name: c.ID} },
		finish: func(c *Check) (string, string) { return needName("interface name", c.Interface.Name) },
	},
	"matching": {
		name: "matching", required: "matches", from: FromController, vantages: []Vantage{FromController},
		props: []propDef{
			{"matches", kindAny, func(c *Check) **Matcher { return &c.Matching.Matches }},
		},
		opts: []optDef{
			{"content", func(d *decoder, n *yaml.Node, c *Check) { c.Matching.content = n }},
			boolOpt("as-reader", func(c *Check) *bool { return &c.Matching.AsReader }),
		},
		init:   func(c *Check) { c.Matching = &MatchingSpec{} },
		finish: finishMatching,
		kindIn: matchingKind,
	},
	"tls": {
		name: "tls", from: FromController, vantages: bothVantages,
		props: []propDef{
			{"chain-valid", kindBool, func(c *Check) **Matcher { return &c.TLS.ChainValid }},
			{"names-match", kindBool, func(c *Check) **Matcher { return &c.TLS.NamesMatch }},
			{"days-left", kindInt, func(c *Check) **Matcher { return &c.TLS.DaysLeft }},
			{"issuer", kindString, func(c *Check) **Matcher { return &c.TLS.Issuer }},
			{"dns-names", kindList, func(c *Check) **Matcher { return &c.TLS.DNSNames }},
		},
		opts: []optDef{
			strOpt("address", func(c *Check) *string { return &c.TLS.Address }),
			strOpt("server-name", func(c *Check) *string { return &c.TLS.ServerName }),
			strOpt("ca-file", func(c *Check) *string { return &c.TLS.CAFile }),
		},
		init:   func(c *Check) { c.TLS = &TLSSpec{Address: c.ID} },
		finish: finishTLS,
	},
}

// matchingKind is what a matching check's matches: applies to: text with
// as-reader: true (so a plain list is goss's line patterns), else the
// content as written.
func matchingKind(body *yaml.Node) valueKind {
	if body.Kind != yaml.MappingNode {
		return kindAny
	}
	for i := 0; i+1 < len(body.Content); i += 2 {
		k, v := body.Content[i], body.Content[i+1]
		if k.Value == "as-reader" && v.Kind == yaml.ScalarNode && strings.EqualFold(v.Value, "true") {
			return kindText
		}
	}
	return kindAny
}

// finishMatching turns the content into the value matches: is compared
// with, as goss does: the YAML value itself, or with as-reader: true its
// text as Go prints it (fmt's %v).
func finishMatching(c *Check) (string, string) {
	m := c.Matching
	var content any
	if m.content != nil {
		if err := m.content.Decode(&content); err != nil {
			return "content: " + err.Error(), ""
		}
	}
	if m.AsReader {
		if content == nil {
			content = ""
		}
		m.Content = textValue(fmt.Sprintf("%v", content))
		return "", ""
	}
	m.Content = anyValue(content)
	return "", ""
}

// typeNames lists the supported types, for did-you-mean.
func typeNames() []string {
	names := make([]string, 0, len(schemas))
	for n := range schemas {
		names = append(names, n)
	}
	return names
}

// notEmpty checks that a value is given.
func notEmpty(what, v string) (string, string) {
	if strings.TrimSpace(v) == "" {
		return "the " + what + " is empty", ""
	}
	return "", ""
}

// needName checks a name handed to the host's tools: not empty, and not
// starting with "-", which a tool would read as an option.
func needName(what, v string) (string, string) {
	if strings.HasPrefix(v, "-") {
		return fmt.Sprintf("the %s %q starts with \"-\"", what, v), "tools on the host would read it as an option"
	}
	return notEmpty(what, v)
}

// finishPort reads "tcp:22", "udp6:53" or "22" (tcp).
func finishPort(c *Check) (string, string) {
	const hint = "write tcp:PORT, tcp6:PORT, udp:PORT or udp6:PORT"
	network, port, found := strings.Cut(c.Port.Address, ":")
	if !found {
		network, port = "tcp", c.Port.Address
	}
	switch network {
	case "tcp", "tcp6", "udp", "udp6":
	default:
		return fmt.Sprintf("port %q: unknown network %q", c.Port.Address, network), hint
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("port %q: %q is not a port number (1-65535)", c.Port.Address, port), hint
	}
	c.Port.Network, c.Port.Port = network, n
	return "", ""
}

// finishAddr reads "tcp://host:port" or "udp://host:port" (tcp when the
// scheme is left out).
func finishAddr(c *Check) (string, string) {
	const hint = "write tcp://HOST:PORT or udp://HOST:PORT"
	a := c.Addr
	network, hostPort, found := strings.Cut(a.Address, "://")
	if !found {
		network, hostPort = "tcp", a.Address
	}
	// goss dials whatever the id says and reports a failed dial as not
	// reachable: so does this check, saying why.
	if network != "tcp" && network != "udp" {
		a.invalid = fmt.Sprintf("addr %q: unknown network %q; hint: %s", a.Address, network, hint)
		return "", ""
	}
	if msg := checkHostPort(hostPort); msg != "" {
		a.invalid = fmt.Sprintf("addr %q: %s; hint: %s", a.Address, msg, hint)
		return "", ""
	}
	if a.LocalAddress != "" {
		if _, err := netip.ParseAddr(a.LocalAddress); err != nil {
			// goss dials from no particular address then (net.ParseIP
			// gives nil): its own Windows tests write local-address: true.
			a.ignoredLocal, a.LocalAddress = a.LocalAddress, ""
		}
	}
	if a.LocalAddress != "" {
		if c.From == FromHost {
			return "local-address cannot be used with from: host: the host's SSH server opens the connection and chooses its local address",
				"leave local-address out, or observe from the controller (from: controller)"
		}
	}
	a.Network, a.Address = network, hostPort
	return "", ""
}

// checkHostPort checks "host:port"; it returns a problem or "".
func checkHostPort(hostPort string) string {
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return err.Error()
	}
	if host == "" {
		return "the host is empty"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("%q is not a port number (1-65535)", port)
	}
	return ""
}

var httpMethodRE = regexp.MustCompile(`^[A-Za-z]+$`)

func finishHTTP(c *Check) (string, string) {
	h := c.HTTP
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("http %q is not an http:// or https:// URL", h.URL), "write the full URL: https://host/path"
	}
	if h.Method == "" {
		h.Method = "GET"
	}
	if !httpMethodRE.MatchString(h.Method) {
		return fmt.Sprintf("method %q is not an HTTP method", h.Method), "GET, HEAD, POST, PUT, DELETE, ..."
	}
	h.Method = strings.ToUpper(h.Method)
	for _, hdr := range h.RequestHeaders {
		if name, _, ok := strings.Cut(hdr, ":"); !ok || strings.TrimSpace(name) == "" {
			return fmt.Sprintf("request header %q is not \"Name: value\"", hdr), ""
		}
	}
	if (h.CertFile == "") != (h.KeyFile == "") {
		return "cert-file and key-file go together", "set both, or neither"
	}
	if h.Proxy != "" {
		if p, err := url.Parse(h.Proxy); err != nil || p.Host == "" {
			return fmt.Sprintf("proxy %q is not a URL", h.Proxy), "write http://host:port"
		}
	}
	return "", ""
}

// dnsTypes are the record types a dns check can query.
var dnsTypes = []string{"A", "AAAA", "CNAME", "MX", "TXT", "SRV", "NS", "PTR", "CAA", "SSHFP"}

var dnsTypePrefixRE = regexp.MustCompile(`^[A-Z]+:`)

// initDNS reads "TYPE:name" or "name", as goss does: a prefix of capital
// letters followed by a colon is a record type.
func initDNS(c *Check) {
	c.DNS = &DNSSpec{Name: c.ID}
	if dnsTypePrefixRE.MatchString(c.ID) {
		c.DNS.Type, c.DNS.Name, _ = strings.Cut(c.ID, ":")
	}
}

func finishDNS(c *Check) (string, string) {
	s := c.DNS
	if s.Type != "" && !containsString(dnsTypes, s.Type) {
		return fmt.Sprintf("dns %q: unknown record type %q", c.ID, s.Type), "use one of " + strings.Join(dnsTypes, " ")
	}
	if s.Name == "" {
		return "the name to resolve is empty", ""
	}
	if s.Type == "PTR" {
		if _, err := netip.ParseAddr(s.Name); err != nil {
			return fmt.Sprintf("dns %q: a PTR lookup needs an IP address", c.ID), "write PTR:192.0.2.1"
		}
	}
	if s.Server != "" {
		if _, _, err := net.SplitHostPort(s.Server); err != nil {
			s.Server = net.JoinHostPort(strings.Trim(s.Server, "[]"), "53")
		}
		if msg := checkHostPort(s.Server); msg != "" {
			return fmt.Sprintf("server %q: %s", s.Server, msg), "write HOST or HOST:PORT"
		}
	}
	return "", ""
}

var kernelParamRE = regexp.MustCompile(`^[A-Za-z0-9_./*-]+$`)

func finishKernelParam(c *Check) (string, string) {
	if !kernelParamRE.MatchString(c.KernelParam.Name) || strings.Contains(c.KernelParam.Name, "..") {
		return fmt.Sprintf("%q is not a kernel parameter name", c.KernelParam.Name), "write it as sysctl does: net.ipv4.ip_forward"
	}
	return "", ""
}

func finishTLS(c *Check) (string, string) {
	t := c.TLS
	t.Address = strings.TrimPrefix(t.Address, "tls://")
	if _, _, err := net.SplitHostPort(t.Address); err != nil {
		t.Address = net.JoinHostPort(strings.Trim(t.Address, "[]"), "443")
	}
	if msg := checkHostPort(t.Address); msg != "" {
		return fmt.Sprintf("tls %q: %s", c.ID, msg), "write HOST:PORT"
	}
	if t.ServerName == "" {
		t.ServerName, _, _ = net.SplitHostPort(t.Address)
	}
	return "", ""
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
