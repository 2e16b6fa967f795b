package ssh

import (
	"bytes"
	"encoding/base64"
	"net"
	"slices"
	"strings"

	gossh "golang.org/x/crypto/ssh"
)

// knownHostsIndex answers the common known_hosts lookup — a host recorded
// by name on a plain line, presenting that very key — in constant time,
// where the full parser (x/crypto/ssh/knownhosts behind skeema/knownhosts)
// scans every line, and computes an HMAC for each hashed one, twice per
// dial. It is built in one pass over the file, without parsing host keys.
// Of host key checks it only ever says "known": every other verdict is
// left to the full parser, so that messages and verdicts stay exactly what
// they were. It also orders host key algorithms for the hosts it knows,
// and proves a host absent when every line of the file was indexed.
//
// The index follows x/crypto's reading of the file, so that it accepts a
// subset of what the full parser accepts: host patterns are split into
// host and port as x/crypto does and compared as exact strings, and only
// lines the full parser could match by plain string comparison are
// indexed. Lines it cannot read are skipped (OpenSSH skips them too); the
// full parser reports them when it is consulted.
type knownHostsIndex struct {
	// exact maps a host and port to the keys of the lines that name it
	// with a literal pattern (no wildcard, no negation, not hashed).
	exact map[hostAddr][]indexedKey
	// revoked holds the base64 blobs of @revoked keys, re-encoded from the
	// parsed key as the full parser compares them.
	revoked map[string]struct{}
	// certAuthority reports @cert-authority lines: their keys sign host
	// certificates, whose algorithms only the full parser lists.
	certAuthority bool
	// caHosts are the host parts of the positive patterns of the
	// @cert-authority lines, lower-cased, for caMayMatch; caAnyHost is set
	// when one of them cannot be read that way (hashed, malformed).
	caHosts   []string
	caAnyHost bool
	// partial reports lines left out of exact: hashed, wildcard or negated
	// host patterns, and lines the index could not read. When false, a
	// host missing from exact is missing from the file.
	partial bool
	// revokedUnreadable reports a @revoked line whose key could not be
	// parsed: what it revokes is unknown, so the index answers nothing and
	// the full parser reports the line.
	revokedUnreadable bool
}

// hostAddr is a host and port as x/crypto's known_hosts matcher compares
// them: strings, without brackets, the port defaulting to "22".
type hostAddr struct{ host, port string }

// indexedKey is a key as written on a known_hosts line.
type indexedKey struct {
	keyType string // e.g. "ssh-ed25519"
	blob    string // base64 of the wire encoding
}

// Markers that may start a known_hosts line.
const (
	markerCertAuthority = "@cert-authority"
	markerRevoked       = "@revoked"
)

// buildKnownHostsIndex indexes the contents of a known_hosts file.
func buildKnownHostsIndex(data []byte) *knownHostsIndex {
	x := &knownHostsIndex{
		exact:   make(map[hostAddr][]indexedKey, bytes.Count(data, []byte("\n"))+1),
		revoked: make(map[string]struct{}),
	}
	// One string for the whole file: the index's strings share its memory.
	text := string(data)
	for len(text) > 0 {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		x.addLine(trimKnownHostsSpace(strings.TrimSuffix(line, "\r")))
	}
	return x
}

// addLine records one line, trimmed as x/crypto trims it.
func (x *knownHostsIndex) addLine(line string) {
	if line == "" || line[0] == '#' {
		return
	}
	marker, rest := "", line
	if w, next := nextKnownHostsWord(line); w == markerCertAuthority || w == markerRevoked {
		marker, rest = w, next
	}
	pattern, rest := nextKnownHostsWord(rest)
	keyType, rest := nextKnownHostsWord(rest)
	blob, _ := nextKnownHostsWord(rest)
	switch {
	case marker == markerRevoked:
		x.addRevoked(keyType, blob)
	case marker == markerCertAuthority:
		x.addCertAuthority(pattern)
	case pattern == "" || pattern[0] == '@' || keyType == "" || blob == "":
		x.partial = true // malformed: the full parser reports it
	default:
		x.addHosts(pattern, indexedKey{keyType: keyType, blob: blob})
	}
}

// addCertAuthority records the host patterns of a @cert-authority line.
// Negated patterns are left out: they only narrow what the line matches.
func (x *knownHostsIndex) addCertAuthority(patterns string) {
	x.certAuthority = true
	if patterns == "" || strings.HasPrefix(patterns, "|") {
		x.caAnyHost = true
		return
	}
	for p := range strings.SplitSeq(patterns, ",") {
		if p == "" || p[0] == '!' {
			continue
		}
		a, ok := parseHostPattern(p)
		if !ok {
			x.caAnyHost = true
			return
		}
		x.caHosts = append(x.caHosts, strings.ToLower(a.host))
	}
}

// caMayMatch reports whether a @cert-authority line may apply to hostport.
// It errs on the side of yes (ports and negations are ignored, case is
// folded), so that a no lets the index answer for the host: a file with a
// "@cert-authority *.example.net" line still has its other hosts indexed.
func (x *knownHostsIndex) caMayMatch(hostport string) bool {
	if !x.certAuthority {
		return false
	}
	if x.caAnyHost {
		return true
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return true
	}
	host = strings.ToLower(host)
	return slices.ContainsFunc(x.caHosts, func(p string) bool { return wildcardMatch(p, host) })
}

// addRevoked records the key of a @revoked line. x/crypto revokes the key
// (for a certificate: the certified key) whatever the line's host pattern.
func (x *knownHostsIndex) addRevoked(keyType, blob string) {
	raw, err := base64.StdEncoding.DecodeString(blob)
	if err != nil {
		x.revokedUnreadable = true
		return
	}
	key, err := gossh.ParsePublicKey(raw)
	if err != nil || key.Type() != keyType {
		x.revokedUnreadable = true
		return
	}
	if cert, ok := key.(*gossh.Certificate); ok {
		key = cert.Key
	}
	x.revoked[base64.StdEncoding.EncodeToString(key.Marshal())] = struct{}{}
}

// addHosts indexes key under the literal host patterns of a plain line's
// comma-separated list. A negated pattern can veto the line's positive
// ones, so a line with one is left to the full parser whole; so is a line
// x/crypto rejects.
func (x *knownHostsIndex) addHosts(patterns string, key indexedKey) {
	if strings.HasPrefix(patterns, "|") || strings.Contains(patterns, "!") {
		x.partial = true // hashed or negated
		return
	}
	for p := range strings.SplitSeq(patterns, ",") {
		if _, ok := parseHostPattern(p); !ok {
			x.partial = true
			return
		}
	}
	for p := range strings.SplitSeq(patterns, ",") {
		a, _ := parseHostPattern(p)
		switch {
		case p == "":
		case strings.ContainsAny(a.host, "*?"):
			x.partial = true
		default:
			x.exact[a] = append(x.exact[a], key)
		}
	}
}

// parseHostPattern splits a host pattern as x/crypto does: "[host]:port"
// must split; "host:port" is split when it can be, anything else is a host
// on port 22. An empty pattern, which x/crypto skips, is valid.
func parseHostPattern(p string) (hostAddr, bool) {
	if p == "" {
		return hostAddr{}, true
	}
	if !strings.Contains(p, ":") { // cannot split (and splitting would allocate an error)
		return hostAddr{host: p, port: "22"}, p[0] != '['
	}
	host, port, err := net.SplitHostPort(p)
	if err != nil {
		if p[0] == '[' {
			return hostAddr{}, false
		}
		host, port = p, "22"
	}
	return hostAddr{host: host, port: port}, true
}

// accepts reports whether a plain line records key for hostport and key is
// not revoked: OpenSSH's and x/crypto's rule for a known host. False means
// "ask the full parser", not "unknown": certificates, keys recorded only
// on hashed or wildcard lines, and changed keys all end there.
func (x *knownHostsIndex) accepts(hostport string, key gossh.PublicKey) bool {
	if x.revokedUnreadable {
		return false
	}
	if _, isCert := key.(*gossh.Certificate); isCert {
		return false
	}
	keys := x.lookup(hostport)
	if len(keys) == 0 {
		return false
	}
	blob := base64.StdEncoding.EncodeToString(key.Marshal())
	if _, revoked := x.revoked[blob]; revoked {
		return false
	}
	keyType := key.Type()
	return slices.ContainsFunc(keys, func(k indexedKey) bool {
		return k.keyType == keyType && k.blob == blob
	})
}

// lookup returns the keys plain lines record for hostport, split as the
// full parser splits the name it is asked about.
func (x *knownHostsIndex) lookup(hostport string) []indexedKey {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil
	}
	return x.exact[hostAddr{host: host, port: port}]
}

// algorithms returns the host key algorithms of the keys recorded for
// hostport when the index knows them and no @cert-authority line may add
// certificate algorithms: those of the plain lines, then those of extra
// (keys this process recorded since). ok is false when the full parser
// must answer.
func (x *knownHostsIndex) algorithms(hostport string, extra []gossh.PublicKey) (algos []string, ok bool) {
	keys := x.lookup(hostport)
	if len(keys) == 0 || x.caMayMatch(hostport) || x.revokedUnreadable {
		return nil, false
	}
	add := func(names ...string) {
		for _, a := range names {
			if !slices.Contains(algos, a) {
				algos = append(algos, a)
			}
		}
	}
	for _, k := range keys {
		add(algorithmsForKeyType(k.keyType)...)
	}
	for _, k := range extra {
		add(algorithmsForKeyType(k.Type())...)
	}
	return algos, true
}

// lacks reports whether the index proves that the file has no entry, of
// any kind, that could match hostport.
func (x *knownHostsIndex) lacks(hostport string) bool {
	return !x.partial && !x.caMayMatch(hostport) && !x.revokedUnreadable && len(x.lookup(hostport)) == 0
}

// algorithmsForKeyType returns the signature algorithms a key of type
// keyType verifies: an ssh-rsa key signs with SHA-512, SHA-256 or SHA-1.
func algorithmsForKeyType(keyType string) []string {
	if keyType == gossh.KeyAlgoRSA {
		return []string{gossh.KeyAlgoRSASHA512, gossh.KeyAlgoRSASHA256, gossh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// nextKnownHostsWord splits the first space- or tab-separated word off
// line, as x/crypto's known_hosts parser does.
func nextKnownHostsWord(line string) (word, rest string) {
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return line, ""
	}
	return line[:i], trimKnownHostsSpace(line[i:])
}

// trimKnownHostsSpace trims the spaces and tabs x/crypto trims.
func trimKnownHostsSpace(s string) string { return strings.Trim(s, " \t") }
