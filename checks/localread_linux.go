//go:build linux

package checks

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// localReadable: this system's gathers can read the host in Go.
const localReadable = true

// localReader answers gather requests on the controller itself by reading
// what the POSIX helpers read, printing what they print, so the same
// parsers read both. A read returns ok false whenever its answer could
// differ from the helper's (a failed read, a name only the system's
// resolver knows, an unusual file): that request then runs in the script.
// The account files and the dpkg database are read once per gather.
type localReader struct {
	passwd, group func() ([][]string, bool)
	dpkg          func() (map[string][]string, bool)
}

func newLocalReader() *localReader {
	return &localReader{
		passwd: sync.OnceValues(func() ([][]string, bool) { return readColonFile("/etc/passwd", 7) }),
		group:  sync.OnceValues(func() ([][]string, bool) { return readColonFile("/etc/group", 4) }),
		dpkg:   sync.OnceValues(readDpkgStatus),
	}
}

// localReaders are the helpers read in Go.
var localReaders = map[string]func(rd *localReader, args []string) ([]byte, bool){
	"_net":      (*localReader).net,
	"_ps":       (*localReader).ps,
	"_pkg":      (*localReader).pkg,
	"_stat":     (*localReader).stat,
	"_cat":      (*localReader).cat,
	"_readlink": (*localReader).readlink,
	"_sum":      (*localReader).sum,
	"_getent":   (*localReader).getent,
	"_idgroups": (*localReader).idgroups,
	"_sysctl":   (*localReader).sysctl,
	"_mounts":   (*localReader).mounts,
	"_iface":    (*localReader).iface,
	"_df":       (*localReader).df,
}

// handles reports whether a request's helper has a Go reader.
func (rd *localReader) handles(call []string) bool {
	if len(call) >= 3 && call[0] == "_tilded" {
		call = call[1:]
	}
	return len(call) > 0 && localReaders[call[0]] != nil
}

// read answers a request: the section the helper's probe would produce.
func (rd *localReader) read(call []string) (section, bool) {
	if call[0] == "_tilded" {
		path, ok := rd.tilde(call[2])
		if !ok {
			return section{}, false
		}
		call = append(append([]string{call[1]}, call[3:]...), path)
	}
	out, ok := localReaders[call[0]](rd, call[1:])
	if !ok {
		return section{}, false
	}
	return section{out: out, ok: true}, true
}

// tilde expands goss's ~ and ~user as the _tilde helper does.
func (rd *localReader) tilde(path string) (string, bool) {
	if path == "~" || strings.HasPrefix(path, "~/") {
		return os.Getenv("HOME") + path[1:], true
	}
	name, rest, _ := strings.Cut(path[1:], "/")
	entry, ok := rd.lookup(rd.passwd, name)
	if !ok || entry == nil {
		return "", false // an unknown user: the script says so
	}
	if rest != "" || strings.HasSuffix(path, "/") {
		rest = "/" + rest
	}
	return entry[5] + rest, true
}

func (rd *localReader) net(args []string) ([]byte, bool) {
	switch args[0] {
	case "tcp", "tcp6", "udp", "udp6":
		return readOK("/proc/net/" + args[0])
	}
	return nil, false
}

// ps prints every process's name, as cat /proc/[0-9]*/comm.
func (rd *localReader) ps([]string) ([]byte, bool) {
	if _, err := os.Stat("/proc/self/comm"); err != nil {
		return nil, false
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, false
	}
	var out bytes.Buffer
	for _, e := range entries {
		if !allDigits(e.Name()) {
			continue
		}
		if b, err := os.ReadFile("/proc/" + e.Name() + "/comm"); err == nil {
			out.Write(b) // a process gone meanwhile is skipped, as by cat
		}
	}
	return out.Bytes(), true
}

// pkg prints what dpkg-query -W prints for a package; hosts without
// dpkg-query (rpm, apk) run the script.
func (rd *localReader) pkg(args []string) ([]byte, bool) {
	name := args[0]
	if name == "" || strings.ContainsAny(name, ":*?[]\\") || strings.HasPrefix(name, "-") {
		return nil, false // arch-qualified or a pattern: dpkg-query decides
	}
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		return nil, false
	}
	db, ok := rd.dpkg()
	if !ok {
		return nil, false
	}
	var out bytes.Buffer
	out.WriteString("dpkg\n")
	for _, line := range db[name] {
		out.WriteString(line)
		out.WriteByte('\n')
	}
	return out.Bytes(), true
}

// dpkgAdmin is dpkg's database directory.
const dpkgAdmin = "/var/lib/dpkg"

// readDpkgStatus reads dpkg's status file: for each package name its
// entries as "Package\tVersion\tStatus" (one per architecture). ok is
// false when dpkg-query could see something else: another database
// (DPKG_ADMINDIR) or updates not yet merged into the file.
func readDpkgStatus() (map[string][]string, bool) {
	if os.Getenv("DPKG_ADMINDIR") != "" {
		return nil, false
	}
	updates, err := os.ReadDir(dpkgAdmin + "/updates")
	if err != nil && !os.IsNotExist(err) {
		return nil, false
	}
	for _, u := range updates {
		if allDigits(u.Name()) {
			return nil, false
		}
	}
	f, err := os.Open(dpkgAdmin + "/status")
	if err != nil {
		return nil, false
	}
	defer f.Close()
	db := make(map[string][]string)
	var pkg, version, status string
	flush := func() {
		if pkg != "" {
			db[pkg] = append(db[pkg], pkg+"\t"+version+"\t"+status)
		}
		pkg, version, status = "", "", ""
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "Package: "):
			pkg = strings.TrimSpace(line[len("Package: "):])
		case strings.HasPrefix(line, "Version: "):
			version = strings.TrimSpace(line[len("Version: "):])
		case strings.HasPrefix(line, "Status: "):
			status = strings.TrimSpace(line[len("Status: "):])
		}
	}
	flush()
	return db, sc.Err() == nil
}

// statTypeNames are GNU stat's %F names by file type.
var statTypeNames = map[uint32]string{
	syscall.S_IFREG: "regular file", syscall.S_IFDIR: "directory", syscall.S_IFLNK: "symbolic link",
	syscall.S_IFSOCK: "socket", syscall.S_IFIFO: "fifo", syscall.S_IFCHR: "character special file",
	syscall.S_IFBLK: "block special file",
}

// stat prints the _stat helper's "missing" or
// "type|mode|size|owner|group|uid|gid" of the entry itself.
func (rd *localReader) stat(args []string) ([]byte, bool) {
	var st syscall.Stat_t
	if err := syscall.Lstat(args[0], &st); err != nil {
		// [ ! -e ] && [ ! -h ]: whatever stops lstat, the entry is missing.
		return []byte("missing\n"), true
	}
	typ, ok := statTypeNames[st.Mode&syscall.S_IFMT]
	if !ok {
		return nil, false
	}
	if typ == "regular file" && st.Size == 0 {
		typ = "regular empty file"
	}
	owner, ok1 := rd.nameOf(rd.passwd, st.Uid)
	group, ok2 := rd.nameOf(rd.group, st.Gid)
	if !ok1 || !ok2 {
		return nil, false // a name only the system's resolver may know
	}
	return fmt.Appendf(nil, "%s|%o|%d|%s|%s|%d|%d\n", typ, st.Mode&0o7777, st.Size, owner, group, st.Uid, st.Gid), true
}

// maxLocalFile bounds a file read in Go: larger ones go through the
// script, which reports its output limit.
const maxLocalFile = maxGatherOutput

// regular opens a regular file (no fifo that blocks, no device without
// end: those go through the script, whose probe can be stopped).
func regular(path string) (*os.File, bool) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxLocalFile {
		return nil, false
	}
	f, err := os.Open(path)
	return f, err == nil
}

func (rd *localReader) cat(args []string) ([]byte, bool) {
	f, ok := regular(args[0])
	if !ok {
		return nil, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxLocalFile+1))
	if err != nil || len(b) > maxLocalFile {
		return nil, false
	}
	return b, true
}

func (rd *localReader) readlink(args []string) ([]byte, bool) {
	target, err := os.Readlink(args[0])
	if err != nil {
		return nil, false
	}
	return []byte(target + "\n"), true
}

// sum prints a file's digest as sha256sum does (algorithm, path).
func (rd *localReader) sum(args []string) ([]byte, bool) {
	var h hash.Hash
	switch args[0] {
	case "md5":
		h = md5.New()
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return nil, false
	}
	f, ok := regular(args[1])
	if !ok {
		return nil, false
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return nil, false
	}
	return []byte(hex.EncodeToString(h.Sum(nil)) + "  " + args[1] + "\n"), true
}

// getent prints a passwd or group entry found in the files; a name not
// there (or a number, which getent looks up as an id) asks the script,
// whose getent also asks the system's other sources.
func (rd *localReader) getent(args []string) ([]byte, bool) {
	db := rd.passwd
	switch args[0] {
	case "passwd":
	case "group":
		db = rd.group
	default:
		return nil, false
	}
	entry, ok := rd.lookup(db, args[1])
	if !ok || entry == nil {
		return nil, false
	}
	return []byte(strings.Join(entry, ":") + "\n"), true
}

// idgroups prints the names of a user's groups as id -Gn: the primary
// group, then those that list the user, in the file's order, each once.
func (rd *localReader) idgroups(args []string) ([]byte, bool) {
	user, ok := rd.lookup(rd.passwd, args[0])
	if !ok || user == nil {
		return nil, false
	}
	groups, ok := rd.group()
	if !ok {
		return nil, false
	}
	primary, err := strconv.ParseUint(user[3], 10, 32)
	if err != nil {
		return nil, false
	}
	name, ok := rd.nameOf(rd.group, uint32(primary))
	if !ok {
		return nil, false
	}
	names := []string{name}
	seen := map[string]bool{user[3]: true}
	for _, g := range groups {
		if seen[g[2]] || !member(g[3], user[0]) {
			continue
		}
		seen[g[2]] = true
		names = append(names, g[0])
	}
	return []byte(strings.Join(names, " ") + "\n"), true
}

func member(list, user string) bool {
	for m := range strings.SplitSeq(list, ",") {
		if m == user {
			return true
		}
	}
	return false
}

func (rd *localReader) sysctl(args []string) ([]byte, bool) {
	return readOK("/proc/sys/" + args[1])
}

func (rd *localReader) mounts([]string) ([]byte, bool) {
	return readOK("/proc/self/mountinfo")
}

// iface prints the _iface helper's "missing", or "mtu N" and "addr CIDR"
// lines; the addresses come from the kernel as goss reads them (Go's
// net package), with or without iproute2 installed.
func (rd *localReader) iface(args []string) ([]byte, bool) {
	name := args[0]
	if strings.Contains(name, "/") || name == "." || name == ".." {
		return []byte("missing\n"), true
	}
	if _, err := os.Stat("/sys/class/net/" + name); err != nil {
		return []byte("missing\n"), true
	}
	mtu, err := os.ReadFile("/sys/class/net/" + name + "/mtu")
	if err != nil {
		return nil, false
	}
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil, false
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return nil, false
	}
	out := []byte("mtu " + strings.TrimSpace(string(mtu)) + "\n")
	for _, a := range addrs {
		out = append(out, "addr "+a.String()+"\n"...)
	}
	return out, true
}

// df prints what df -P prints of the file system holding a path, its
// capacity computed as df computes it (used over used + available to
// users, rounded up).
func (rd *localReader) df(args []string) ([]byte, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(args[0], &st); err != nil {
		return nil, false
	}
	used := st.Blocks - st.Bfree
	total := used + st.Bavail
	if st.Blocks == 0 || total == 0 {
		return nil, false // df prints "-": the script's df says it
	}
	pct := used * 100 / total
	if used*100%total != 0 {
		pct++
	}
	kb := uint64(st.Bsize) / 1024
	return fmt.Appendf(nil, "Filesystem 1024-blocks Used Available Capacity Mounted on\n- %d %d %d %d%% %s\n",
		st.Blocks*kb, used*kb, st.Bavail*kb, pct, args[0]), true
}

// readOK reads a file, or asks the script when it cannot.
func readOK(path string) ([]byte, bool) {
	b, err := os.ReadFile(path)
	return b, err == nil
}

// readColonFile reads /etc/passwd or /etc/group: the entries with n
// fields.
func readColonFile(path string, n int) ([][]string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var out [][]string
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Split(line, ":"); len(f) == n {
			out = append(out, f)
		}
	}
	return out, true
}

// lookup finds an entry by name: nil when the file has none. ok is false
// when the file cannot be read, or for a number (getent reads it as an id).
func (rd *localReader) lookup(db func() ([][]string, bool), name string) ([]string, bool) {
	entries, ok := db()
	if !ok || name == "" || allDigits(name) {
		return nil, false
	}
	for _, e := range entries {
		if e[0] == name {
			return e, true
		}
	}
	return nil, true
}

// nameOf finds the name of an id (field 2) in the file; ok is false when
// it is not there.
func (rd *localReader) nameOf(db func() ([][]string, bool), id uint32) (string, bool) {
	entries, ok := db()
	if !ok {
		return "", false
	}
	want := strconv.FormatUint(uint64(id), 10)
	for _, e := range entries {
		if e[2] == want {
			return e[0], true
		}
	}
	return "", false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
