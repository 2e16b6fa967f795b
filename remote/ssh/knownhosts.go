package ssh

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/skeema/knownhosts"
	gossh "golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"

	"github.com/remotectl/remotectl/remote"
)

// hostKeyPolicy says what to do with unknown and changed host keys.
type hostKeyPolicy int

const (
	policyStrict    hostKeyPolicy = iota // refuse unknown and changed keys
	policyAcceptNew                      // record unknown keys, refuse changed ones
	policyOff                            // accept anything (explicit setting only)
)

func (p hostKeyPolicy) String() string {
	switch p {
	case policyAcceptNew:
		return "accept-new"
	case policyOff:
		return "off"
	}
	return "strict"
}

// parsePolicy accepts remotectl's names and OpenSSH's StrictHostKeyChecking
// values.
func parsePolicy(s string) (hostKeyPolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "strict", "yes", "ask", "true":
		return policyStrict, nil
	case "accept-new":
		return policyAcceptNew, nil
	case "off", "no", "false":
		return policyOff, nil
	}
	return 0, fmt.Errorf("unknown host key policy %q: use strict, accept-new or off", s)
}

// Host key statuses reported by Scan.
const (
	StatusNew     = "new"
	StatusKnown   = "known"
	StatusChanged = "CHANGED"
	StatusRevoked = "REVOKED"
)

// knownHostsSet holds every known_hosts file a Dialer uses, each loaded at
// most once.
type knownHostsSet struct {
	mu    sync.Mutex
	files map[string]*knownHostsFile
}

// file returns the (lazily loaded) file at path.
func (s *knownHostsSet) file(path string) *knownHostsFile {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files == nil {
		s.files = make(map[string]*knownHostsFile)
	}
	f, ok := s.files[path]
	if !ok {
		f = &knownHostsFile{path: path}
		s.files[path] = f
	}
	return f
}

// knownHostsFile is one known_hosts file: an index built when first needed,
// the full parser loaded only for lookups the index cannot answer, plus the
// entries this process appended since.
type knownHostsFile struct {
	path string

	loadOnce sync.Once
	index    *knownHostsIndex // empty when the file did not exist
	missing  bool             // the file did not exist when indexed
	loadErr  error

	dbOnce sync.Once
	db     *knownhosts.HostKeyDB // the full parser; nil until needed, or when the file is missing
	dbErr  error

	mu     sync.Mutex                   // guards added, hashed, size and appends
	added  map[string][]gossh.PublicKey // normalized host → keys added since loading
	hashed []hashedEntry                // hashed entries other processes appended
	size   int64                        // bytes of the file covered by index and added
}

// hashedEntry is a |1|salt|hash known_hosts entry read after loading.
type hashedEntry struct {
	host string
	key  gossh.PublicKey
}

// addedKeys returns the keys recorded for a normalized host since the file
// was loaded. The caller holds f.mu.
func (f *knownHostsFile) addedKeysLocked(norm string) []gossh.PublicKey {
	keys := f.added[norm]
	for _, h := range f.hashed {
		if hashedHostMatches(h.host, norm) {
			keys = append(keys[:len(keys):len(keys)], h.key)
		}
	}
	return keys
}

func (f *knownHostsFile) addedKeys(norm string) []gossh.PublicKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addedKeysLocked(norm)
}

// load reads and indexes the file, once. A missing file has no entries; an
// unreadable one is an error, returned by every call.
func (f *knownHostsFile) load() error {
	f.loadOnce.Do(func() {
		data, err := os.ReadFile(f.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			f.index, f.missing = buildKnownHostsIndex(nil), true
		case err != nil:
			f.loadErr = fmt.Errorf("known_hosts %s: %w", f.path, err)
		default:
			f.index, f.size = buildKnownHostsIndex(data), int64(len(data))
		}
	})
	return f.loadErr
}

// fullDB returns the full parser of the file, loading it on first use (the
// file is read again: entries appended since load are in both it and
// added). It is nil when the file was missing. The caller has loaded f.
func (f *knownHostsFile) fullDB() (*knownhosts.HostKeyDB, error) {
	f.dbOnce.Do(func() {
		if f.missing {
			return
		}
		db, err := knownhosts.NewDB(f.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Removed since it was indexed: no entries, as if missing at load.
		case err != nil:
			f.dbErr = fmt.Errorf("known_hosts %s: %w", f.path, err)
		default:
			f.db = db
		}
	})
	return f.db, f.dbErr
}

// keyVerdict is the outcome of looking a presented key up.
type keyVerdict struct {
	status string                 // StatusNew, StatusKnown, StatusChanged or StatusRevoked
	want   []xknownhosts.KnownKey // the keys on record for a changed host
}

// check looks key up for hostport in the file and the keys appended since:
// in the index when it recorded that very key, else with the full parser.
func (f *knownHostsFile) check(hostport string, key gossh.PublicKey) (keyVerdict, error) {
	if err := f.load(); err != nil {
		return keyVerdict{}, err
	}
	if f.index.accepts(hostport, key) {
		return keyVerdict{status: StatusKnown}, nil
	}
	db, err := f.fullDB()
	if err != nil {
		return keyVerdict{}, err
	}
	var want []xknownhosts.KnownKey
	if db != nil {
		err := db.HostKeyCallback()(hostport, placeholderAddr(hostport), key)
		var keyErr *xknownhosts.KeyError
		var revoked *xknownhosts.RevokedError
		switch {
		case err == nil:
			return keyVerdict{status: StatusKnown}, nil
		case errors.As(err, &revoked):
			return keyVerdict{status: StatusRevoked, want: []xknownhosts.KnownKey{revoked.Revoked}}, nil
		case errors.As(err, &keyErr):
			want = keyErr.Want
		default:
			// Certificates that are not trusted for this host end here.
			return keyVerdict{}, fmt.Errorf("known_hosts %s: %w", f.path, err)
		}
	}
	for _, k := range f.addedKeys(knownhosts.Normalize(hostport)) {
		if keysEqual(k, key) {
			return keyVerdict{status: StatusKnown}, nil
		}
		if !slices.ContainsFunc(want, func(w xknownhosts.KnownKey) bool { return keysEqual(w.Key, k) }) {
			want = append(want, xknownhosts.KnownKey{Key: k, Filename: f.path})
		}
	}
	if len(want) > 0 {
		return keyVerdict{status: StatusChanged, want: want}, nil
	}
	return keyVerdict{status: StatusNew}, nil
}

// algorithms returns the host key algorithms to ask hostport for: nil for
// a host the file does not know, so that x/crypto uses its defaults.
func (f *knownHostsFile) algorithms(hostport string) []string {
	if f.load() != nil {
		return nil
	}
	added := f.addedKeys(knownhosts.Normalize(hostport))
	if algos, ok := f.index.algorithms(hostport, added); ok {
		return algos
	}
	var algos []string
	if !f.index.lacks(hostport) {
		db, err := f.fullDB()
		if err != nil {
			return nil
		}
		if db != nil {
			algos = db.HostKeyAlgorithms(hostport)
		}
	}
	for _, k := range added {
		algos = append(algos, algorithmsForKeyType(k.Type())...)
	}
	return algos
}

// appendKey records key for hostport unless an entry for the host appeared
// meanwhile (appended by another goroutine or another process). It returns
// the verdict for key after that re-check: StatusKnown when it was recorded
// or already there, StatusChanged when someone recorded a different key.
// The file and its directory are created (0600, 0700) when missing.
func (f *knownHostsFile) appendKey(hostport string, key gossh.PublicKey) (keyVerdict, error) {
	if err := f.load(); err != nil {
		return keyVerdict{}, err
	}
	norm := knownhosts.Normalize(hostport)
	f.mu.Lock()
	defer f.mu.Unlock()
	// Re-check what this process added and what others appended since.
	if err := f.readTailLocked(); err != nil {
		return keyVerdict{}, err
	}
	var want []xknownhosts.KnownKey
	for _, k := range f.addedKeysLocked(norm) {
		if keysEqual(k, key) {
			return keyVerdict{status: StatusKnown}, nil
		}
		want = append(want, xknownhosts.KnownKey{Key: k, Filename: f.path})
	}
	if len(want) > 0 {
		return keyVerdict{status: StatusChanged, want: want}, nil
	}
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return keyVerdict{}, fmt.Errorf("create the known_hosts directory: %w", err)
	}
	file, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return keyVerdict{}, fmt.Errorf("open known_hosts for writing: %w", err)
	}
	line := knownhosts.Line([]string{hostport}, key) + "\n"
	_, werr := file.WriteString(line)
	st, serr := file.Stat()
	cerr := file.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return keyVerdict{}, fmt.Errorf("write known_hosts %s: %w", f.path, err)
	}
	f.addLocked(norm, key)
	if serr == nil && st.Size() == f.size+int64(len(line)) {
		f.size = st.Size() // nobody else wrote meanwhile: no need to re-read our line
	}
	return keyVerdict{status: StatusKnown}, nil
}

func (f *knownHostsFile) addLocked(host string, keys ...gossh.PublicKey) {
	if f.added == nil {
		f.added = make(map[string][]gossh.PublicKey)
	}
	for _, k := range keys {
		dup := false
		for _, have := range f.added[host] {
			dup = dup || keysEqual(have, k)
		}
		if !dup {
			f.added[host] = append(f.added[host], k)
		}
	}
}

// readTailLocked reads the lines appended to the file since it was last
// read (by other processes) into added and hashed, and advances size.
// Marker lines (@cert-authority, @revoked) are skipped: they only take effect
// in files loaded in full. The caller holds f.mu.
func (f *knownHostsFile) readTailLocked() error {
	file, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil || st.Size() <= f.size {
		return err
	}
	data, err := io.ReadAll(io.NewSectionReader(file, f.size, st.Size()-f.size))
	if err != nil {
		return err
	}
	// Only complete lines count; a partial last line is read next time.
	end := bytes.LastIndexByte(data, '\n') + 1
	f.size += int64(end)
	data = data[:end]
	for len(data) > 0 {
		marker, hosts, key, _, rest, err := gossh.ParseKnownHosts(data)
		if err != nil {
			break
		}
		data = rest
		if marker != "" {
			continue
		}
		for _, h := range hosts {
			if strings.HasPrefix(h, "|1|") {
				f.hashed = append(f.hashed, hashedEntry{host: h, key: key})
			} else {
				f.addLocked(h, key)
			}
		}
	}
	return nil
}

// hashedHostMatches reports whether a |1|salt|hash entry names host.
func hashedHostMatches(entry, host string) bool {
	parts := strings.Split(entry, "|")
	if len(parts) != 4 || parts[1] != "1" {
		return false
	}
	salt, err1 := base64.StdEncoding.DecodeString(parts[2])
	hash, err2 := base64.StdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(host))
	return hmac.Equal(mac.Sum(nil), hash)
}

// hostKeyChecker verifies host keys for one target against its known_hosts
// files, applying its policy. Its callback records what it saw so that the
// dialer can report a precise, classified error.
type hostKeyChecker struct {
	files  []*knownHostsFile // first one receives new entries
	policy hostKeyPolicy
	accept string // the command that records the host's key, for hints

	presented gossh.PublicKey
	err       error // the classified rejection, if any
}

// verdict combines the files' verdicts: known anywhere wins, then revoked,
// then changed, else new.
func (c *hostKeyChecker) verdict(hostport string, key gossh.PublicKey) (keyVerdict, error) {
	var result keyVerdict
	result.status = StatusNew
	for _, f := range c.files {
		v, err := f.check(hostport, key)
		if err != nil {
			return keyVerdict{}, err
		}
		switch v.status {
		case StatusKnown:
			return v, nil
		case StatusRevoked:
			result = v
		case StatusChanged:
			if result.status != StatusRevoked {
				result.status = StatusChanged
				result.want = append(result.want, v.want...)
			}
		}
	}
	return result, nil
}

// offer returns the host key algorithms the handshake asks hostport for:
// those of the keys on record first, so that the server presents a key we
// can check (golang/go#29286), then every other one x/crypto supports.
// OpenSSH orders this way rather than restricting: a host that no longer
// has a recorded key type still completes the key exchange, and the check
// then reports a precise changed key instead of "no common algorithm";
// accepting is still decided by the keys on record alone. nil (x/crypto's
// defaults) when nothing is on record.
func (c *hostKeyChecker) offer(hostport string) []string {
	algos := c.algorithms(hostport)
	if len(algos) == 0 {
		return nil
	}
	return appendUnique(algos, supportedHostKeys...)
}

// algorithms returns the host key algorithms of the keys on record for
// hostport; nil when there are none.
func (c *hostKeyChecker) algorithms(hostport string) []string {
	if c.policy == policyOff {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	for _, f := range c.files {
		for _, a := range f.algorithms(hostport) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos
}

// callback is the gossh.HostKeyCallback for the connection.
func (c *hostKeyChecker) callback(hostport string, _ net.Addr, key gossh.PublicKey) error {
	c.presented = key
	if c.policy == policyOff {
		return nil
	}
	v, err := c.verdict(hostport, key)
	if err != nil {
		c.err = &remote.Error{Class: remote.ClassHostKeyUnknown, Op: "hostkey", Err: err,
			Hint: "check the known_hosts file"}
		return c.err
	}
	if v.status == StatusNew && c.policy == policyAcceptNew && len(c.files) > 0 {
		v, err = c.files[0].appendKey(hostport, key)
		if err != nil {
			c.err = &remote.Error{Class: remote.ClassOther, Op: "hostkey", Err: err,
				Hint: "check that the known_hosts file and its directory are writable"}
			return c.err
		}
	}
	c.err = hostKeyError(c.accept, hostport, key, v)
	return c.err
}

// hostKeyError turns a verdict into a classified error (nil for known keys);
// accept is the command that records the host's key (see acceptCommand).
func hostKeyError(accept, hostport string, key gossh.PublicKey, v keyVerdict) error {
	fp := gossh.FingerprintSHA256(key)
	switch v.status {
	case StatusKnown:
		return nil
	case StatusNew:
		return &remote.Error{
			Class: remote.ClassHostKeyUnknown, Op: "hostkey",
			Err:  fmt.Errorf("host key for %s is not known: %s %s", hostport, key.Type(), fp),
			Hint: "check the fingerprint, then record it (or set host_key_policy: accept-new): " + accept,
		}
	case StatusRevoked:
		return &remote.Error{
			Class: remote.ClassHostKeyChanged, Op: "hostkey",
			Err:  fmt.Errorf("host key for %s is REVOKED (%s %s, @revoked in %s)", hostport, key.Type(), fp, describeKnownKeys(v.want)),
			Hint: "the host presents a key marked @revoked in known_hosts: do not connect; ask the host's administrator",
		}
	}
	return &remote.Error{
		Class: remote.ClassHostKeyChanged, Op: "hostkey",
		Err: fmt.Errorf("HOST KEY CHANGED for %s: it presented %s %s, known_hosts has %s; "+
			"someone may be intercepting the connection", hostport, key.Type(), fp, describeKnownKeys(v.want)),
		Hint: "if the host was reinstalled, replace the old key with: " + ForgetKeyCommand(hostport, v.files()) + " && " + accept,
	}
}

// describeKnownKeys lists recorded keys as "TYPE SHA256:... (file:line)".
func describeKnownKeys(keys []xknownhosts.KnownKey) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		where := k.Filename
		if k.Line > 0 {
			where += ":" + strconv.Itoa(k.Line)
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", k.Key.Type(), gossh.FingerprintSHA256(k.Key), where))
	}
	return strings.Join(parts, ", ")
}

// ForgetKeyCommand returns the command, ready to paste into a POSIX shell,
// that removes the keys the known_hosts files hold for hostport (host:port,
// or a HostKeyAlias): `ssh-keygen -R NAME -f FILE` for each file, NAME
// being [host]:port when the port is not 22, as the files record it. With
// no file, ssh-keygen's default (~/.ssh/known_hosts) is meant.
func ForgetKeyCommand(hostport string, files []string) string {
	name := quote(knownHostsName(hostport))
	if len(files) == 0 {
		return "ssh-keygen -R " + name
	}
	cmds := make([]string, len(files))
	for i, f := range files {
		cmds[i] = "ssh-keygen -R " + name + " -f " + quote(f)
	}
	return strings.Join(cmds, " && ")
}

// acceptCommand returns the command, ready to paste into a POSIX shell,
// that records the key of the host name: remotectl hostkeys scan --accept
// with the global arguments of this run (Options.HintArgs).
func (o *Options) acceptCommand(name string) string {
	return quoteArgs(slices.Concat([]string{"remotectl", "hostkeys", "scan"}, o.HintArgs, []string{"-H", name, "--accept"}))
}

// knownHostsName is how ssh-keygen -R wants the host: host, or [host]:port
// for a port other than 22.
func knownHostsName(hostport string) string { return knownhosts.Normalize(hostport) }

// files returns the known_hosts files the verdict's recorded keys come
// from, each once.
func (v keyVerdict) files() []string {
	var files []string
	for _, k := range v.want {
		if k.Filename != "" && !slices.Contains(files, k.Filename) {
			files = append(files, k.Filename)
		}
	}
	return files
}

// placeholderAddr is the remote address handed to the known_hosts callback,
// which uses the host name when it is given.
func placeholderAddr(hostport string) net.Addr {
	host, port, err := net.SplitHostPort(hostport)
	p, _ := strconv.Atoi(port)
	if ip := net.ParseIP(host); err == nil && ip != nil {
		return &net.TCPAddr{IP: ip, Port: p}
	}
	return &net.TCPAddr{IP: net.IPv4zero, Port: p}
}

func keysEqual(a, b gossh.PublicKey) bool {
	return a.Type() == b.Type() && bytes.Equal(a.Marshal(), b.Marshal())
}
