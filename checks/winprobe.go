package checks

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/remotectl/remotectl/remote"
)

// windowsPreamble starts every Windows gather script. S runs one probe, a
// script block whose output is text (JSON, mostly): it prints the begin
// marker, the output, an empty line, the stderr marker, the error a failing
// block threw and the end marker with 0, or 1 when the block threw.
const windowsPreamble = `$ProgressPreference='SilentlyContinue'
$ErrorActionPreference='Stop'
[Console]::OutputEncoding=[Text.Encoding]::UTF8
function S($n,$b){"$M begin $n";$r=0;$e='';try{$o=@(& $b) -join [char]10;if($o){$o}}catch{$r=1;$e="$_"};'';"$M stderr";$e;"$M end $r"}
`

// windowsScript builds a gather script for the requests numbered from first.
func windowsScript(nonce string, first int, reqs []request) *remote.Cmd {
	var b strings.Builder
	b.WriteString("$M=" + psQuote(strings.TrimSuffix(markerPrefix(nonce), " ")) + "\n")
	b.WriteString(windowsPreamble)
	for i, r := range reqs {
		b.WriteString(windowsLine(first+i, r))
	}
	return &remote.Cmd{Args: []string{
		"powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
		"-EncodedCommand", encodePowerShell(b.String()),
	}}
}

func windowsLine(n int, r request) string {
	return "S " + strconv.Itoa(n) + " {" + r.code + "}\n"
}

// encodePowerShell encodes a script for -EncodedCommand: base64 of UTF-16LE.
func encodePowerShell(script string) string {
	units := utf16.Encode([]rune(script))
	raw := make([]byte, 2*len(units))
	for i, u := range units {
		raw[2*i], raw[2*i+1] = byte(u), byte(u>>8)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// encodedLen is the length of s once encoded for -EncodedCommand.
func encodedLen(s string) int {
	n := 0
	for _, r := range s {
		n += 2 * utf16.RuneLen(r)
	}
	return (n + 2) / 3 * 4
}

// windowsBatches groups requests so that each script fits cmd.exe's
// command line once encoded.
func windowsBatches(reqs []request) []batch {
	base := encodedLen("$M='::rctl:0123456789abcdef'\n" + windowsPreamble)
	return splitBatches(reqs, base, maxEncodedScript, func(i int, r request) int {
		return encodedLen(windowsLine(i, r)) + 4 // base64 padding slack
	})
}

// Windows probe script blocks.
const (
	psUninstallKeys = `'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*','HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*'`
	psTCPListeners  = `ConvertTo-Json -Compress -InputObject @(Get-NetTCPConnection -State Listen -EA SilentlyContinue|Select-Object LocalAddress,LocalPort)`
	psUDPListeners  = `ConvertTo-Json -Compress -InputObject @(Get-NetUDPEndpoint -EA SilentlyContinue|Select-Object LocalAddress,LocalPort)`
	psProcesses     = `ConvertTo-Json -Compress -InputObject @(Get-Process|ForEach-Object ProcessName)`
)

func psService(name string) string {
	return `$s=Get-Service -Name ` + psQuote(name) + ` -EA SilentlyContinue|Select-Object -First 1;` +
		`if($s){ConvertTo-Json -Compress -InputObject ($s|Select-Object Name,Status,StartType)}`
}

func psPackage(name string) string {
	return `ConvertTo-Json -Compress -InputObject @(Get-ItemProperty -Path ` + psUninstallKeys +
		` -EA SilentlyContinue|Where-Object{$_.DisplayName -eq ` + psQuote(name) + `}|Select-Object DisplayName,DisplayVersion)`
}

func psFile(path string) string {
	return `$p=` + psQuote(path) + `;$i=Get-Item -LiteralPath $p -Force -EA SilentlyContinue;` +
		`if(-not $i){'{"Exists":false}'}else{$a=Get-Acl -LiteralPath $p;` +
		`ConvertTo-Json -Compress -InputObject ([ordered]@{Exists=$true;IsDir=$i.PSIsContainer;` +
		`Length=$(if($i.PSIsContainer){0}else{$i.Length});LinkType="$($i.LinkType)";Target="$(@($i.Target)[0])";` +
		`Owner=$a.Owner;Group=$a.Group})}`
}

// psInterface reports a network adapter: its IPv4 MTU and its addresses
// with their prefix lengths.
func psInterface(name string) string {
	return `$a=Get-NetAdapter -Name ` + psQuote(name) + ` -EA SilentlyContinue;` +
		`if(-not $a){'{"Exists":false}'}else{` +
		`ConvertTo-Json -Compress -InputObject ([ordered]@{Exists=$true;` +
		`MTU=[int64]@(Get-NetIPInterface -InterfaceIndex $a.ifIndex -EA SilentlyContinue|ForEach-Object NlMtu)[0];` +
		`Addrs=@(Get-NetIPAddress -InterfaceIndex $a.ifIndex -EA SilentlyContinue|ForEach-Object {"$($_.IPAddress -replace '%.*$','')/$($_.PrefixLength)"})})}`
}

func psContents(path string) string {
	return `[IO.File]::ReadAllText(` + psQuote(path) + `)`
}

func psHash(algorithm, path string) string {
	return `(Get-FileHash -LiteralPath ` + psQuote(path) + ` -Algorithm ` + algorithm + `).Hash`
}

func psUser(name string) string {
	return `$u=Get-LocalUser -Name ` + psQuote(name) + ` -EA SilentlyContinue;if($u){` +
		`$g=@(Get-LocalGroup|Where-Object{@(Get-LocalGroupMember -Group $_ -EA SilentlyContinue|Where-Object{$_.SID -eq $u.SID}).Count -gt 0}|ForEach-Object Name);` +
		`ConvertTo-Json -Compress -InputObject ([ordered]@{Name=$u.Name;SID="$($u.SID)";Groups=$g})}`
}

func psGroup(name string) string {
	return `$g=Get-LocalGroup -Name ` + psQuote(name) + ` -EA SilentlyContinue;` +
		`if($g){ConvertTo-Json -Compress -InputObject ([ordered]@{Name=$g.Name;SID="$($g.SID)"})}`
}

func psResolve(name, qtype string) string {
	if qtype == "" {
		qtype = "A_AAAA"
	}
	return `try{ConvertTo-Json -Compress -Depth 3 -InputObject @(Resolve-DnsName -Name ` + psQuote(name) + ` -Type ` + qtype +
		` -DnsOnly|Select-Object Type,IPAddress,NameHost,NameExchange,Preference,Strings,NameTarget,Priority,Weight,Port)}catch{'[]'}`
}

// jsonArray decodes JSON that ConvertTo-Json produced for a collection: an
// array, or (older PowerShell, one item) the item alone; empty output is an
// empty collection.
func jsonArray[T any](data []byte) ([]T, error) {
	s := strings.TrimSpace(string(data))
	if s == "" || s == "null" {
		return nil, nil
	}
	if strings.HasPrefix(s, "[") {
		var out []T
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			return nil, fmt.Errorf("unexpected PowerShell output: %w", err)
		}
		return out, nil
	}
	var one T
	if err := json.Unmarshal([]byte(s), &one); err != nil {
		return nil, fmt.Errorf("unexpected PowerShell output: %w", err)
	}
	return []T{one}, nil
}

// psEnum is an enum as ConvertTo-Json writes it: a number (Windows
// PowerShell 5.1) or, with -EnumsAsStrings or a string conversion, a name.
type psEnum struct {
	Num  int
	Name string
}

func (e *psEnum) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &e.Name)
	}
	if string(b) == "null" {
		return nil
	}
	return json.Unmarshal(b, &e.Num)
}

// is reports whether the enum has the given name or number.
func (e psEnum) is(name string, num int) bool {
	if e.Name != "" {
		return strings.EqualFold(e.Name, name)
	}
	return e.Num == num
}

// parseWinListeners parses Get-NetTCPConnection -State Listen or
// Get-NetUDPEndpoint output (proto "tcp" or "udp").
func parseWinListeners(proto string, data []byte) ([]listener, error) {
	type endpoint struct {
		LocalAddress string
		LocalPort    int
	}
	eps, err := jsonArray[endpoint](data)
	if err != nil {
		return nil, err
	}
	out := make([]listener, 0, len(eps))
	for _, ep := range eps {
		network := proto
		if strings.Contains(ep.LocalAddress, ":") {
			network += "6"
		}
		out = append(out, listener{Network: network, IP: ep.LocalAddress, Port: ep.LocalPort})
	}
	return out, nil
}

// Windows service enums (System.ServiceProcess).
const (
	winServiceRunning   = 4 // ServiceControllerStatus.Running
	winStartupAutomatic = 2 // ServiceStartMode.Automatic
)

// parseWinService parses Get-Service | Select-Object Name,Status,StartType;
// empty output means there is no such service.
func parseWinService(data []byte) (serviceState, error) {
	type service struct {
		Name      string
		Status    psEnum
		StartType psEnum
	}
	svcs, err := jsonArray[service](data)
	if err != nil {
		return serviceState{}, err
	}
	if len(svcs) == 0 {
		return serviceState{Init: "windows"}, nil
	}
	s := svcs[0]
	return serviceState{
		Init:    "windows",
		Exists:  true,
		Running: s.Status.is("Running", winServiceRunning),
		Enabled: s.StartType.is("Automatic", winStartupAutomatic),
	}, nil
}

// parseWinProcesses parses a JSON list of process names. Windows process
// names compare without ".exe" and regardless of case.
func parseWinProcesses(data []byte) ([]string, error) {
	names, err := jsonArray[string](data)
	for i, n := range names {
		names[i] = strings.ToLower(n)
	}
	return names, err
}

// parseWinPackage parses the installed programs named like the package.
func parseWinPackage(data []byte) (packageState, error) {
	type program struct {
		DisplayName    string
		DisplayVersion string
	}
	progs, err := jsonArray[program](data)
	if err != nil {
		return packageState{}, err
	}
	st := packageState{Manager: "windows"}
	for _, p := range progs {
		st.Versions = appendUnique(st.Versions, p.DisplayVersion)
	}
	st.Installed = len(progs) > 0
	return st, nil
}

// winFile is what psFile reports of a file.
type winFile struct {
	Exists   bool
	IsDir    bool
	Length   int64
	LinkType string
	Target   string
	Owner    string
	Group    string
}

// parseWinFile parses psFile's output into a fileStat and a link target.
func parseWinFile(data []byte) (fileStat, string, error) {
	var f winFile
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(data))), &f); err != nil {
		return fileStat{}, "", fmt.Errorf("unexpected PowerShell output: %w", err)
	}
	if !f.Exists {
		return fileStat{}, "", nil
	}
	st := fileStat{Exists: true, Type: "file", Size: f.Length, Owner: f.Owner, Group: f.Group, UID: -1, GID: -1}
	switch {
	case f.LinkType == "SymbolicLink" || f.LinkType == "Junction":
		st.Type = "symlink"
	case f.IsDir:
		st.Type = "directory"
	}
	return st, f.Target, nil
}

// parseWinInterface parses psInterface's output.
func parseWinInterface(data []byte) (iface, error) {
	var w struct {
		Exists bool
		MTU    int64
		Addrs  []string
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(data))), &w); err != nil {
		return iface{}, fmt.Errorf("unexpected PowerShell output: %w", err)
	}
	if !w.Exists {
		return iface{}, nil
	}
	if w.Addrs == nil {
		w.Addrs = []string{}
	}
	return iface{Exists: true, MTU: w.MTU, Addrs: w.Addrs}, nil
}

// winAccount is what psUser and psGroup report.
type winAccount struct {
	Name   string
	SID    string
	Groups []string
}

func parseWinAccount(data []byte) (winAccount, bool, error) {
	accts, err := jsonArray[winAccount](data)
	if err != nil || len(accts) == 0 {
		return winAccount{}, false, err
	}
	return accts[0], true, nil
}

// parseWinDNS parses Resolve-DnsName output into goss's record formats,
// keeping the records of qtype ("" for A and AAAA): an answer also lists
// the CNAME records that led to it. Type is the record type's number
// (Windows PowerShell 5.1) or name.
func parseWinDNS(qtype string, data []byte) ([]string, error) {
	type record struct {
		Type         psEnum
		IPAddress    string
		NameHost     string
		NameExchange string
		Preference   int
		Strings      []string
		NameTarget   string
		Priority     int
		Weight       int
		Port         int
	}
	recs, err := jsonArray[record](data)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range recs {
		if !wantRecord(qtype, r.Type) {
			continue
		}
		switch {
		case r.Type.is("A", 1), r.Type.is("AAAA", 28):
			out = append(out, r.IPAddress)
		case r.Type.is("CNAME", 5), r.Type.is("NS", 2), r.Type.is("PTR", 12):
			out = append(out, fqdn(r.NameHost))
		case r.Type.is("MX", 15):
			out = append(out, strconv.Itoa(r.Preference)+" "+fqdn(r.NameExchange))
		case r.Type.is("TXT", 16):
			out = append(out, r.Strings...)
		case r.Type.is("SRV", 33):
			out = append(out, fmt.Sprintf("%d %d %d %s", r.Priority, r.Weight, r.Port, fqdn(r.NameTarget)))
		}
	}
	return out, nil
}

// fqdn adds the root dot goss's formats end names with.
func fqdn(name string) string {
	if name == "" || strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}

// wantRecord reports whether a record of type t answers a qtype lookup.
func wantRecord(qtype string, t psEnum) bool {
	if qtype == "" {
		return t.is("A", 1) || t.is("AAAA", 28)
	}
	return t.is(qtype, int(dnsTypeCodes[qtype]))
}
