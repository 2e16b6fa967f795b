package checks

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// Suite is the checks of one or more check files, in file order.
type Suite struct {
	Checks []*Check

	includes []include // gossfile: entries, read by Load
}

// Check is one resource of a check file (goss's model: a resource type, an
// id, and the properties expected of it). Exactly one of the typed specs is
// set, the one named by Type. A property left nil in a spec is not checked.
type Check struct {
	Pos     string  // file:line:col of the check's id
	Type    string  // "port", "http", ...
	ID      string  // as written (after templates, in the checks For returns)
	Title   string  // title: as written; "" when none
	Hosts   string  // host pattern from hosts: (per check, or the file's); "" means every selected host
	From    Vantage // where the check is observed from: the type's default unless from: says otherwise
	Skip    bool
	Timeout time.Duration // timeout: (goss milliseconds or a Go duration); 0 means goss's default for the type, else RunOptions.DefaultTimeout
	// RetryCount is goss's retry_count (command, dns, package): a check
	// that does not pass is observed again, up to this many more times,
	// RetryDelay apart (goss's default 1s).
	RetryCount int
	RetryDelay time.Duration

	Port        *PortSpec
	Addr        *AddrSpec
	HTTP        *HTTPSpec
	DNS         *DNSSpec
	Service     *ServiceSpec
	Process     *ProcessSpec
	Package     *PackageSpec
	File        *FileSpec
	User        *UserSpec
	Group       *GroupSpec
	Command     *CommandSpec
	KernelParam *KernelParamSpec
	Mount       *MountSpec
	TLS         *TLSSpec
	Matching    *MatchingSpec
	Interface   *InterfaceSpec
	Registry    *RegistrySpec

	tmpl *checkTemplate // set when the check uses templates; see Suite.For
}

// DisplayTitle is the check's title: or, without one, "type id".
func (c *Check) DisplayTitle() string {
	if c.Title != "" {
		return c.Title
	}
	return c.Type + " " + c.ID
}

// Properties returns the names of the properties the check evaluates, in the
// order results are reported.
func (c *Check) Properties() []string {
	var names []string
	for _, p := range schemas[c.Type].props {
		if *p.field(c) != nil {
			names = append(names, p.name)
		}
	}
	return names
}

// Problems returns why the expectations of some properties could not be
// read ("file:line:col: what; hint: ..."): those properties are errors
// when the check runs, the rest run (as goss, which finds out when it
// validates). check --validate-only refuses them.
func (c *Check) Problems() []string {
	var out []string
	for _, p := range schemas[c.Type].props {
		if m := *p.field(c); m != nil && m.invalid != "" {
			out = append(out, m.invalid)
		}
	}
	return out
}

// checkTemplate keeps what Suite.For needs to render a check for one host:
// the check's YAML (id and body) and the templates found in its scalars.
type checkTemplate struct {
	typ       string
	file      string
	key, body *yaml.Node
	scalars   map[*yaml.Node]*scalarTemplate
	defaults  fileDefaults
}

// PortSpec: a port listening on the host. ID "tcp:22", "udp6:53" or "22" (tcp).
type PortSpec struct {
	Address   string // as written: "tcp:22"
	Network   string // tcp, tcp6, udp or udp6
	Port      int
	Listening *Matcher // bool
	IP        *Matcher // list of listening addresses
}

// AddrSpec: an address reachable with a TCP dial or a UDP probe. ID
// "tcp://host:port" or "udp://host:port".
type AddrSpec struct {
	Network      string // tcp or udp
	Address      string // host:port
	LocalAddress string // local IP to dial from (controller side only)
	Reachable    *Matcher

	ignoredLocal string // a local-address that is no IP address: ignored, as goss does
	invalid      string // why the address cannot be dialed (not HOST:PORT): not reachable, as in goss
}

// HTTPSpec: an HTTP request and what its response must be. ID the URL.
type HTTPSpec struct {
	URL               string
	Method            string   // default GET
	RequestHeaders    []string // "Name: value"
	RequestBody       string
	Username          string // basic auth
	Password          string
	AllowInsecure     bool // skip TLS verification
	NoFollowRedirects bool
	CAFile            string // PEM roots to verify the server with (controller side)
	CertFile          string // client certificate (with KeyFile)
	KeyFile           string
	Proxy             string
	Status            *Matcher // int
	Headers           *Matcher // text: "Name: value" lines
	Body              *Matcher // text
}

// DNSSpec: a name resolves, and to what. ID "name" or "TYPE:name" with TYPE
// one of A AAAA CNAME MX TXT SRV NS PTR CAA SSHFP (PTR names an IP address).
type DNSSpec struct {
	Type       string // "" means A and AAAA
	Name       string
	Server     string // host or host:port; "" means the system resolver
	Resolvable *Matcher
	Addrs      *Matcher // list, in goss's formats ("10 mail.example.com." for MX)
}

// ServiceSpec: a service's state (systemd, SysV init, OpenRC; Windows services).
type ServiceSpec struct {
	Name      string
	Enabled   *Matcher
	Running   *Matcher
	Runlevels *Matcher // list; SysV init and OpenRC only
}

// ProcessSpec: a process is running, by executable name (comm).
type ProcessSpec struct {
	Comm    string
	Running *Matcher
}

// PackageSpec: a package installed (dpkg, rpm, apk; Windows installed programs).
type PackageSpec struct {
	Name      string
	Installed *Matcher
	Versions  *Matcher // list
}

// FileSpec: a file's state. Mode, size, owner and group are the entry's own
// (a symbolic link is not followed), as goss does.
type FileSpec struct {
	Path     string
	Exists   *Matcher
	Mode     *Matcher // "0644"
	Size     *Matcher // int, bytes
	Owner    *Matcher
	Group    *Matcher
	UID      *Matcher // int: the owner's number
	GID      *Matcher // int: the group's number
	Filetype *Matcher // file, directory, symlink, socket, pipe, character-device, block-device
	LinkedTo *Matcher
	Contents *Matcher // text; goss's older contains: is the same
	MD5      *Matcher
	SHA256   *Matcher
	SHA512   *Matcher
}

// UserSpec: a local user account.
type UserSpec struct {
	Username string
	Exists   *Matcher
	UID      *Matcher
	GID      *Matcher
	Groups   *Matcher // list of group names, primary group included
	Home     *Matcher
	Shell    *Matcher
}

// GroupSpec: a local group.
type GroupSpec struct {
	Groupname string
	Exists    *Matcher
	GID       *Matcher
}

// CommandSpec: a command run on the host, on its own, through the host's shell.
type CommandSpec struct {
	Exec       string
	ExitStatus *Matcher // int
	Stdout     *Matcher // text
	Stderr     *Matcher // text
}

// RegistrySpec: a Windows registry value (goss's registry). ID or name:
// "HIVE\subkey\ValueName", or "HIVE\subkey::ValueName" when the value's
// name holds backslashes; a trailing backslash names the key's default
// value.
type RegistrySpec struct {
	Key    string
	Exists *Matcher // bool
	Value  *Matcher // string: text, decimal for DWORD and QWORD, hex for binary, lines for multi-string
	Type   *Matcher // string: REG_SZ, REG_EXPAND_SZ, REG_DWORD, REG_QWORD, REG_BINARY, REG_MULTI_SZ
}

// KernelParamSpec: a kernel parameter (sysctl).
type KernelParamSpec struct {
	Name  string
	Value *Matcher // string
}

// MountSpec: a mount point.
type MountSpec struct {
	MountPoint string
	Exists     *Matcher
	Opts       *Matcher // list: per-mount options
	VFSOpts    *Matcher // list: per-superblock options
	Source     *Matcher
	Filesystem *Matcher
	Usage      *Matcher // int: % of blocks used
}

// MatchingSpec: content from the check file (goss's matching, best with
// templates) against a matcher; nothing is observed, on no host.
type MatchingSpec struct {
	Content  value // what matches: is compared with
	AsReader bool  // content as text, read line by line
	Matches  *Matcher

	content *yaml.Node // content: as written, read by finish
}

// InterfaceSpec: a network interface (goss's interface): sysfs and ip on
// Linux, Get-NetAdapter on Windows.
type InterfaceSpec struct {
	Name   string
	Exists *Matcher
	Addrs  *Matcher // list: addresses with prefix length, "192.0.2.1/24"
	MTU    *Matcher // int
}

// TLSSpec: the certificate a TLS server presents. ID "host:port".
type TLSSpec struct {
	Address    string // host:port
	ServerName string // SNI and the name to verify; default the host of Address
	CAFile     string // PEM roots; default the system's (controller side)
	ChainValid *Matcher
	NamesMatch *Matcher
	DaysLeft   *Matcher // int: whole days until the leaf certificate expires
	Issuer     *Matcher // string: issuer common name
	DNSNames   *Matcher // list: the leaf's subject alternative DNS names
}
