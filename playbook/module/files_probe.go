package module

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// pathInfo is what a probe learnt of one path on the host (stat(1) output).
type pathInfo struct {
	Exists   bool
	Kind     string // file, directory, link, fifo, socket, char, block
	Perm     uint32 // permission bits with setuid, setgid and sticky
	Size     int64
	UID, GID int
	Owner    string // "" when the uid has no name
	Group    string
	Mtime    float64
	Atime    float64
	Ctime    float64
	Inode    int64
	Nlink    int64
	Dev      int64
	Target   string            // a link's target (readlink)
	Sums     map[string]string // algorithm (sha1, md5, sha256...) → hex digest
	Content  []byte            // when asked
	Readable bool
	Writable bool
	Exec     bool
}

// modeString is Ansible's "0644" form of a permission.
func modeString(perm uint32) string { return fmt.Sprintf("0%03o", perm) }

// probe gathers, in one shell script, the state of paths, the uid of
// owners, the gid of groups, the umask and any extra command's output:
// each line of output is "id<TAB>kind<TAB>value".
type probe struct {
	b strings.Builder
}

// probeFuncs are the shell functions a probe script calls.
const probeFuncs = `_p() {
  if [ -e "$2" ] || [ -L "$2" ]; then
    if [ "$3" = 1 ]; then _f=-L; else _f=; fi
    printf '%s\tstat\t' "$1"; stat $_f -c '%F|%a|%s|%u|%g|%U|%G|%.9Y|%.9X|%.9Z|%i|%h|%d' -- "$2" 2>/dev/null || echo
    if [ -L "$2" ]; then printf '%s\tlink\t%s\n' "$1" "$(readlink -- "$2")"; fi
    _a=; [ -r "$2" ] && _a=r; [ -w "$2" ] && _a=${_a}w; [ -x "$2" ] && _a=${_a}x
    printf '%s\taccess\t%s\n' "$1" "$_a"
    if [ -f "$2" ] && [ -r "$2" ]; then
      for _s in $4; do _h=$(${_s}sum < "$2"); printf '%s\t%s\t%s\n' "$1" "$_s" "${_h%% *}"; done
      if [ "$5" = 1 ]; then printf '%s\tb64\t' "$1"; base64 -w0 < "$2"; echo; fi
    fi
  else printf '%s\tnone\t\n' "$1"; fi
}
_u() { printf '%s\tuid\t%s\n' "$1" "$(id -u -- "$1" 2>/dev/null)"; }
_g() { printf '%s\tgid\t%s\n' "$1" "$(getent group -- "$1" 2>/dev/null | cut -d: -f3)"; }
printf 'umask\tumask\t%s\n' "$(umask)"
_i=$(LC_ALL=C id); _i=${_i#uid=}; _n=${_i%%[!0-9]*}; _i=${_i#*gid=}
printf 'me\tid\t%s %s\n' "$_n" "${_i%%[!0-9]*}"
`

func newProbe() *probe {
	p := &probe{}
	p.b.WriteString(probeFuncs)
	return p
}

// Path asks for the state of path under id: follow links or not, the
// digests in sums ("sha1 md5"), and the content of a regular file.
func (p *probe) Path(id, path string, follow bool, sums string, content bool) {
	fmt.Fprintf(&p.b, "_p %s %s %d %s %d\n", Quote(id), Quote(path), b2i(follow), Quote(sums), b2i(content))
}

// Owner asks for the uid of a user name; Group for the gid of a group.
func (p *probe) Owner(name string) {
	if name != "" {
		fmt.Fprintf(&p.b, "_u %s\n", Quote(name))
	}
}

// Group asks for the gid of a group.
func (p *probe) Group(name string) {
	if name != "" {
		fmt.Fprintf(&p.b, "_g %s\n", Quote(name))
	}
}

// Raw adds a shell snippet; it prints its own "id\tkind\tvalue" lines.
func (p *probe) Raw(script string) { p.b.WriteString(script + "\n") }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// probed is the parsed output of a probe.
type probed struct {
	paths map[string]*pathInfo
	uids  map[string]int
	gids  map[string]int
	umask uint32
	lines map[string][]string // other kinds: "id kind" → values
}

// Run runs the probe on the host and parses what it printed.
func (p *probe) Run(ctx context.Context, h Host) (*probed, error) {
	out, err := h.Run(ctx, Command{Script: p.b.String()})
	if err != nil {
		return nil, err
	}
	return parseProbe(out.Stdout), nil
}

func (r *probed) path(id string) *pathInfo {
	if pi, ok := r.paths[id]; ok {
		return pi
	}
	return &pathInfo{}
}

// get returns the first value of an extra kind of line.
func (r *probed) get(id, kind string) string {
	if v := r.lines[id+" "+kind]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func parseProbe(out string) *probed {
	r := &probed{paths: map[string]*pathInfo{}, uids: map[string]int{}, gids: map[string]int{}, umask: 0o022,
		lines: map[string][]string{}}
	for _, line := range strings.Split(out, "\n") {
		id, rest, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		kind, val, _ := strings.Cut(rest, "\t")
		pi := r.paths[id]
		switch kind {
		case "stat":
			pi = &pathInfo{Sums: map[string]string{}}
			r.paths[id] = pi
			pi.parseStat(val)
		case "none":
			r.paths[id] = &pathInfo{Sums: map[string]string{}}
		case "link":
			if pi != nil {
				pi.Target = val
				if pi.Kind == "" { // followed a dangling link
					pi.Kind, pi.Exists = "broken", false
				}
			}
		case "access":
			if pi != nil {
				pi.Readable, pi.Writable, pi.Exec = strings.Contains(val, "r"), strings.Contains(val, "w"), strings.Contains(val, "x")
			}
		case "b64":
			if pi != nil {
				pi.Content, _ = base64.StdEncoding.DecodeString(val)
			}
		case "uid", "gid":
			if n, err := strconv.Atoi(strings.TrimSpace(val)); err == nil {
				if kind == "uid" {
					r.uids[id] = n
				} else {
					r.gids[id] = n
				}
			}
		case "umask":
			if n, err := strconv.ParseUint(strings.TrimSpace(val), 8, 32); err == nil {
				r.umask = uint32(n)
			}
		case "sha1", "md5", "sha224", "sha256", "sha384", "sha512":
			if pi != nil {
				pi.Sums[kind] = strings.TrimSpace(val)
				continue
			}
			fallthrough
		default:
			r.lines[id+" "+kind] = append(r.lines[id+" "+kind], val)
		}
	}
	return r
}

// parseStat reads stat -c '%F|%a|%s|%u|%g|%U|%G|%.9Y|%.9X|%.9Z|%i|%h|%d'.
func (pi *pathInfo) parseStat(s string) {
	f := strings.Split(s, "|")
	if len(f) < 13 {
		return // stat -L of a dangling link printed nothing
	}
	pi.Exists = true
	pi.Kind = kindOf(f[0])
	perm, _ := strconv.ParseUint(f[1], 8, 32)
	pi.Perm = uint32(perm)
	pi.Size, _ = strconv.ParseInt(f[2], 10, 64)
	pi.UID, _ = strconv.Atoi(f[3])
	pi.GID, _ = strconv.Atoi(f[4])
	if f[5] != "UNKNOWN" {
		pi.Owner = f[5]
	}
	if f[6] != "UNKNOWN" {
		pi.Group = f[6]
	}
	pi.Mtime, _ = strconv.ParseFloat(f[7], 64)
	pi.Atime, _ = strconv.ParseFloat(f[8], 64)
	pi.Ctime, _ = strconv.ParseFloat(f[9], 64)
	pi.Inode, _ = strconv.ParseInt(f[10], 10, 64)
	pi.Nlink, _ = strconv.ParseInt(f[11], 10, 64)
	pi.Dev, _ = strconv.ParseInt(f[12], 10, 64)
}

func kindOf(f string) string {
	switch f {
	case "regular file", "regular empty file":
		return "file"
	case "directory":
		return "directory"
	case "symbolic link":
		return "link"
	case "fifo":
		return "fifo"
	case "socket":
		return "socket"
	case "character special file":
		return "char"
	case "block special file":
		return "block"
	}
	return "other"
}

// ansibleState is the file module's name of a path's kind: file,
// directory, link, hard (a file with more than one link), absent.
func (pi *pathInfo) ansibleState() string {
	switch {
	case !pi.Exists && pi.Kind != "broken":
		return "absent"
	case pi.Kind == "directory":
		return "directory"
	case pi.Kind == "link" || pi.Kind == "broken":
		return "link"
	case pi.Nlink > 1:
		return "hard"
	}
	return "file"
}
