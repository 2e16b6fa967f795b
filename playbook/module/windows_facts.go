package module

import (
	"context"
	"strings"
	"time"
)

// winFactsScript gathers a Windows host's facts with CIM and the session's
// environment.
const winFactsScript = `$os = Get-CimInstance -ClassName Win32_OperatingSystem
$cs = Get-CimInstance -ClassName Win32_ComputerSystem
$f = @{
    caption = $os.Caption
    version = $os.Version
    arch = $os.OSArchitecture
    product = $os.ProductType
    boot = $os.LastBootUpTime.ToUniversalTime().ToFileTimeUtc()
    now = [DateTime]::UtcNow.ToFileTimeUtc()
    memkb = $os.TotalVisibleMemorySize
    systemdir = $os.SystemDirectory
    hostname = $env:COMPUTERNAME
    domain = $cs.Domain
    member = [bool]$cs.PartOfDomain
    sockets = $cs.NumberOfProcessors
    cpus = $cs.NumberOfLogicalProcessors
    user = $env:USERNAME
    userdomain = $env:USERDOMAIN
    profile = $env:USERPROFILE
    ps = $PSVersionTable.PSVersion.Major
}
Write-Result $f
`

// winFacts is what winFactsScript reports.
type winFacts struct {
	Caption    string `json:"caption"`
	Version    string `json:"version"`
	Arch       string `json:"arch"`
	Product    int    `json:"product"`
	Boot       int64  `json:"boot"`
	Now        int64  `json:"now"`
	MemKB      int64  `json:"memkb"`
	SystemDir  string `json:"systemdir"`
	Hostname   string `json:"hostname"`
	Domain     string `json:"domain"`
	Member     bool   `json:"member"`
	Sockets    int    `json:"sockets"`
	CPUs       int    `json:"cpus"`
	User       string `json:"user"`
	UserDomain string `json:"userdomain"`
	Profile    string `json:"profile"`
	PS         int    `json:"ps"`
}

// runWindowsSetup is setup on a Windows host: the facts of Ansible's
// Windows setup module that one CIM query gives (names as Ansible's:
// ansible_os_family Windows, ansible_distribution the OS caption...),
// filtered by filter.
func runWindowsSetup(ctx context.Context, c *Call) (Result, error) {
	for _, sub := range c.Args.Strings("gather_subset") {
		if name := strings.TrimPrefix(sub, "!"); name != "all" && name != "min" {
			return Failed("setup: gather_subset %s on Windows hosts is not implemented by remotectl (all and min are: the facts one CIM query gives)", sub), nil
		}
	}
	if fp := c.Args.Str("fact_path"); fp != "" && fp != "/etc/ansible/facts.d" {
		return Failed("setup: fact_path on Windows hosts is not implemented by remotectl"), nil
	}
	var f winFacts
	if err := runPS(ctx, c.Host, winFactsScript, map[string]any{}, &f); err != nil {
		return psFailed(err, nil)
	}
	major := f.Version
	if i := strings.IndexByte(major, '.'); i >= 0 {
		major = major[:i]
	}
	product := map[int]string{1: "workstation", 2: "domain_controller", 3: "server"}[f.Product]
	fqdn := f.Hostname
	domain := ""
	if f.Member {
		domain = f.Domain
		fqdn = f.Hostname + "." + f.Domain
	}
	boot := time.Unix(0, (f.Boot-116444736000000000)*100).UTC()
	facts := map[string]any{
		"os_family":                  "Windows",
		"system":                     "Win32NT",
		"distribution":               f.Caption,
		"distribution_version":       f.Version,
		"distribution_major_version": major,
		"kernel":                     f.Version,
		"os_name":                    f.Caption,
		"os_product_type":            product,
		"architecture":               f.Arch,
		"hostname":                   f.Hostname,
		"nodename":                   fqdn,
		"fqdn":                       fqdn,
		"domain":                     domain,
		"windows_domain":             f.Domain,
		"windows_domain_member":      f.Member,
		"memtotal_mb":                f.MemKB / 1024,
		"processor_count":            f.Sockets,
		"processor_vcpus":            f.CPUs,
		"powershell_version":         f.PS,
		"user_id":                    f.User,
		"user_dir":                   f.Profile,
		"lastboot":                   boot.Format("2006-01-02 15:04:05Z"),
		"uptime_seconds":             int64(fileTimeEpoch(f.Now) - fileTimeEpoch(f.Boot)),
	}
	filter := c.Args.Strings("filter")
	out := map[string]any{}
	for k, v := range facts {
		if factFilterMatch("ansible_"+k, filter) {
			out["ansible_"+k] = v
		}
	}
	if factFilterMatch("module_setup", filter) {
		out["module_setup"] = true
	}
	return Result{"changed": false, "ansible_facts": out}, nil
}
