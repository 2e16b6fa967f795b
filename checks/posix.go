package checks

import (
	"strconv"
	"strings"

	"github.com/remotectl/remotectl/remote"
)

// posixPreamble starts every POSIX gather script. _s runs one probe: it
// prints the begin marker, the probe's standard output, a line break, the
// stderr marker, the probe's standard error and the end marker with the
// probe's exit status. The probe's standard output goes straight through
// (file contents can be large or binary); its standard error is captured.
const posixPreamble = `LC_ALL=C; export LC_ALL
PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"; export PATH
_s() {
  printf '%s begin %s\n' "$M" "$1"; shift
  exec 3>&1
  _e=$("$@" </dev/null 2>&1 >&3 3>&-)
  _r=$?
  exec 3>&-
  printf '\n%s stderr\n%s\n%s end %s\n' "$M" "$_e" "$M" "$_r"
}
`

// posixHelpers are the shell functions probes call; a script defines only
// those its requests use. Each prints what a parser in this package reads.
var posixHelpers = map[string]string{
	// Sockets of one family (tcp, tcp6, udp, udp6): /proc/net, else ss.
	"_net": `_net() { if [ -r "/proc/net/$1" ]; then cat "/proc/net/$1"; else ss -H -ltnu; fi; }`,

	// A service's state as systemd's "systemctl show" properties; where
	// systemd is installed but not running, and on OpenRC and SysV init
	// hosts, the same keys are derived from their tools, as goss asks them.
	"_svc": `_svc() {
  if [ -d /run/systemd/system ]; then
    echo Init=systemd
    systemctl show --no-pager -p LoadState,ActiveState,SubState,UnitFileState -- "$1"
  elif command -v systemctl >/dev/null 2>&1; then
    # systemd installed but not running (a container): goss asks systemctl
    # all the same, which reads the unit files.
    echo Init=systemd
    _st=$(systemctl is-enabled -- "$1" 2>/dev/null); _r=$?
    if [ -n "$_st" ]; then echo LoadState=loaded; else echo LoadState=not-found; fi
    if [ "$_r" -eq 0 ]; then echo UnitFileState=enabled; else echo UnitFileState=disabled; fi
    if systemctl -q is-active -- "$1" >/dev/null 2>&1; then echo ActiveState=active; else echo ActiveState=inactive; fi
  elif command -v rc-service >/dev/null 2>&1; then
    echo Init=openrc
    if rc-service -e "$1"; then echo LoadState=loaded; else echo LoadState=not-found; fi
    if rc-service "$1" status >/dev/null 2>&1; then echo ActiveState=active; else echo ActiveState=inactive; fi
    echo "Runlevels=$(rc-update show -v 2>/dev/null | awk -v s="$1" '$1==s {for(i=3;i<=NF;i++) printf "%s ", $i}')"
  else
    echo Init=sysv
    if [ -x "/etc/init.d/$1" ]; then echo LoadState=loaded; else echo LoadState=not-found; fi
    if service "$1" status >/dev/null 2>&1 || "/etc/init.d/$1" status >/dev/null 2>&1; then echo ActiveState=active; else echo ActiveState=inactive; fi
    echo "Runlevels=$(ls /etc/rc?.d/S??"$1" 2>/dev/null | sed 's|^/etc/rc\(.\)\.d/.*|\1|' | tr '\n' ' ')"
  fi
}`,

	// The names of running processes: comm from /proc, else ps.
	"_ps": `_ps() { if [ -r /proc/self/comm ]; then cat /proc/[0-9]*/comm 2>/dev/null; return 0; fi; ps -A -o comm=; }`,

	// A package's installed versions, after the name of the package manager.
	"_pkg": `_pkg() {
  if command -v dpkg-query >/dev/null 2>&1; then
    echo dpkg; dpkg-query -W -f='${Package}\t${Version}\t${Status}\n' -- "$1" 2>/dev/null; return 0
  elif command -v rpm >/dev/null 2>&1; then
    echo rpm; rpm -q --nosignature --nohdrchk --nodigest --qf '%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n' "$1"; return 0
  elif command -v apk >/dev/null 2>&1; then
    echo apk; apk version "$1" 2>/dev/null; return 0
  fi
  echo "no package manager found (dpkg, rpm or apk)" >&2; return 1
}`,

	// A file's type, mode, size, owner, group, uid and gid (the entry
	// itself, not a link's target), or "missing". GNU and BusyBox stat,
	// else BSD stat.
	"_stat": `_stat() {
  if [ ! -e "$1" ] && [ ! -h "$1" ]; then echo missing; return 0; fi
  stat -c '%F|%a|%s|%U|%G|%u|%g' -- "$1" 2>/dev/null || stat -f '%HT|%Mp%Lp|%z|%Su|%Sg|%u|%g' -- "$1"
}`,
	// A path with goss's ~ and ~user expanded to the home directory (of
	// the user the probes run as, or of user); an unknown user fails.
	// _tilded HELPER PATH ARGS... calls HELPER ARGS... on the expanded PATH.
	"_tilde": `_tilded() { _f=$1; _p=$(_tilde "$2") || return 1; shift 2; "$_f" "$@" "$_p"; }
_tilde() {
  case "$1" in
  "~"|"~/"*) printf '%s\n' "$HOME${1#"~"}" ;;
  "~"*) _u=${1%%/*}; _u=${_u#"~"}
    _h=$(_getent passwd "$_u" | cut -d: -f6)
    if [ -z "$_h" ]; then echo "no such user: $_u" >&2; return 1; fi
    printf '%s%s\n' "$_h" "${1#"~$_u"}" ;;
  *) printf '%s\n' "$1" ;;
  esac
}`,
	"_cat":      `_cat() { cat -- "$1"; }`,
	"_readlink": `_readlink() { readlink -- "$1"; }`,
	// A checksum ($1: md5, sha256, sha512) of a file.
	"_sum": `_sum() {
  if command -v "$1sum" >/dev/null 2>&1; then "$1sum" -- "$2"
  elif command -v openssl >/dev/null 2>&1; then openssl dgst "-$1" -r -- "$2"
  else "$1" -q -- "$2"; fi
}`,

	// Account database entries: getent, else the files.
	"_getent": `_getent() {
  if command -v getent >/dev/null 2>&1; then getent "$1" "$2"; return 0; fi
  awk -F: -v n="$2" '$1==n' "/etc/$1"
}`,
	"_idgroups": `_idgroups() { id -Gn -- "$1"; }`,

	// A kernel parameter $1 at /proc/sys/$2 (sysctlPath), else from sysctl.
	"_sysctl": `_sysctl() {
  if [ -r "/proc/sys/$2" ]; then cat "/proc/sys/$2"; else sysctl -n "$1"; fi
}`,

	"_mounts": `_mounts() { cat /proc/self/mountinfo; }`,

	// A network interface: "missing", or "mtu N" then "addr CIDR" lines
	// (from ip -o addr; "noaddrs" when ip is not installed).
	"_iface": `_iface() {
  case "$1" in */*|.|..) echo missing; return 0;; esac
  if [ ! -e "/sys/class/net/$1" ]; then echo missing; return 0; fi
  read -r _m < "/sys/class/net/$1/mtu"; echo "mtu $_m"
  if command -v ip >/dev/null 2>&1; then ip -o addr show dev "$1" | awk '{print "addr " $4}'; else echo noaddrs; fi
}`,
	"_df": `_df() { df -P -- "$1"; }`,

	// The listening sockets of the processes named $1, "NETID ADDR:PORT"
	// (ss -p sees the processes of the user the probes run as, all of
	// them as root); nothing without ss.
	"_pports": `_pports() {
  command -v ss >/dev/null 2>&1 || return 0
  ss -Hlntup 2>/dev/null | awk -v n="((\"$1\"," -v m="),(\"$1\"," 'index($0, n) || index($0, m) {print $1, $5}'
}`,

	// Addresses a name resolves to through the host's resolver ($1: ahosts,
	// ahostsv4 or ahostsv6).
	"_ahosts": `_ahosts() { getent "$1" "$2"; _r=$?; [ "$_r" -eq 2 ] && return 0; return "$_r"; }`,
}

// posixScript builds a gather script for POSIX hosts running the requests
// numbered from first.
func posixScript(nonce string, helpers []string, reqs []request, first int) *remote.Cmd {
	var b strings.Builder
	b.WriteString(posixHeader(nonce, helpers))
	for i, r := range reqs {
		b.WriteString(posixLine(first+i, r))
	}
	b.WriteString("exit 0\n")
	return &remote.Cmd{Shell: b.String()}
}

// posixHeader is a script's fixed part: the marker, _s and the helpers.
func posixHeader(nonce string, helpers []string) string {
	var b strings.Builder
	b.WriteString("M=" + shellQuote(strings.TrimSuffix(markerPrefix(nonce), " ")) + "\n")
	b.WriteString(posixPreamble)
	for _, h := range helpers {
		b.WriteString(posixHelpers[h])
		b.WriteByte('\n')
	}
	return b.String()
}

func posixLine(n int, r request) string {
	return "_s " + strconv.Itoa(n) + " " + r.code + "\n"
}

// posixBatches groups requests so that each script fits in one argument.
func posixBatches(helpers []string, reqs []request) []batch {
	base := len(posixHeader("0123456789abcdef", helpers)) + len("exit 0\n")
	return splitBatches(reqs, base, maxPosixScript, func(i int, r request) int { return len(posixLine(i, r)) })
}

// posixCall is a request's code: a helper called with quoted arguments.
func posixCall(helper string, args ...string) string {
	var b strings.Builder
	b.WriteString(helper)
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(shellQuote(a))
	}
	return b.String()
}
