//go:build unix

package ssh

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/skeema/knownhosts"
	gossh "golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// slowOnly returns a copy of the file at path that answers every lookup
// with the full parser, as before the index existed: the oracle the
// indexed file must agree with.
func slowOnly(t testing.TB, path string) *knownHostsFile {
	t.Helper()
	f := &knownHostsFile{path: path}
	if err := f.load(); err != nil {
		t.Fatal(err)
	}
	f.index = &knownHostsIndex{partial: true} // knows nothing, proves nothing
	return f
}

// usedFullParser reports whether f loaded its full parser.
func usedFullParser(f *knownHostsFile) bool { return f.db != nil || f.dbErr != nil }

// verdictMessage is what a verdict tells the user: the error a dial
// reports, or the error check returned.
func verdictMessage(f *knownHostsFile, hostport string, key gossh.PublicKey) (string, string) {
	v, err := f.check(hostport, key)
	if err != nil {
		return "", "error: " + err.Error()
	}
	if err := hostKeyError("remotectl hostkeys scan -H h --accept", hostport, key, v); err != nil {
		return v.status, err.Error()
	}
	return v.status, ""
}

// answeredBy says what answers a lookup.
type answeredBy int

const (
	byParser answeredBy = iota // the full parser (loaded for it)
	byIndex                    // the index alone
	// byIndexLenient: the index alone, in a file with a malformed line.
	// Before the index, such a file failed every lookup; now only those
	// the index cannot answer (OpenSSH skips such lines).
	byIndexLenient
)

// TestKnownHostsIndexVerdicts checks each kind of lookup twice: on a fresh
// file (index first) and on the same file with the index disabled. The
// verdict and the message must be the same.
func TestKnownHostsIndexVerdicts(t *testing.T) {
	known, other, ecKey, ca := newPub(t), newPub(t), ecdsaPub(t), hostKeySigner(t)
	hostCert := newHostCert(t, ca, hostKeySigner(t), "h.example").PublicKey()
	knownCert := certFor(t, ca, known, "h.example")
	line := func(hosts string, k gossh.PublicKey) string { return hosts + " " + authorizedKey(k) }
	const host = "h.example:2222"
	tests := []struct {
		name  string
		lines []string
		host  string
		key   gossh.PublicKey
		want  string // status, or "error" when check fails
		by    answeredBy
	}{
		{"indexed", []string{line("[h.example]:2222", known)}, host, known, StatusKnown, byIndex},
		{"indexed among other patterns", []string{line("a.example,[h.example]:2222,*.b.example", known)}, host, known, StatusKnown, byIndex},
		{"second key of the host", []string{line("[h.example]:2222", ecKey), line("[h.example]:2222", known)}, host, known, StatusKnown, byIndex},
		{"port 22 written plainly", []string{line("h.example", known)}, "h.example:22", known, StatusKnown, byIndex},
		{"port 22 written in brackets", []string{line("[h.example]:22", known)}, "h.example:22", known, StatusKnown, byIndex},
		{"port without brackets", []string{line("h.example:2222", known)}, host, known, StatusKnown, byIndex},
		{"ipv6", []string{line("::1", known), line("[::1]:2222", other)}, "[::1]:22", known, StatusKnown, byIndex},
		{"ipv6 with port", []string{line("::1", other), line("[::1]:2222", known)}, "[::1]:2222", known, StatusKnown, byIndex},
		{"other port recorded", []string{line("h.example", known)}, host, known, StatusNew, byParser},
		{"port 22 asked, other port recorded", []string{line("[h.example]:2222", known)}, "h.example:22", known, StatusNew, byParser},
		{"names compare exactly", []string{line("[H.example]:2222", known)}, host, known, StatusNew, byParser},
		{"unknown host", []string{line("[other.example]:2222", known)}, host, known, StatusNew, byParser},
		{"changed", []string{line("[h.example]:2222", other)}, host, known, StatusChanged, byParser},
		{"changed type", []string{line("[h.example]:2222", ecKey)}, host, known, StatusChanged, byParser},
		{"revoked on an indexed host", []string{"@revoked " + line("*", known), line("[h.example]:2222", known)}, host, known, StatusRevoked, byParser},
		{"revoked after the host line", []string{line("[h.example]:2222", known), "@revoked " + line("x", known)}, host, known, StatusRevoked, byParser},
		{"unreadable @revoked line", []string{line("[h.example]:2222", known), "@revoked x ssh-ed25519 AAAA"}, host, known, "error", byParser},
		{"hashed only", []string{line(xknownhosts.HashHostname("[h.example]:2222"), known)}, host, known, StatusKnown, byParser},
		{"wildcard only, any port", []string{line("*.example", known)}, host, known, StatusKnown, byParser},
		{"negated pattern on the line", []string{line("[h.example]:2222,!bad.example", known)}, host, known, StatusKnown, byParser},
		{"vetoed by a negated pattern", []string{line("[h.example]:2222,![h.example]:2222", known)}, host, known, StatusNew, byParser},
		{"certificate from a @cert-authority", []string{"@cert-authority " + line("*.example", ca.PublicKey())}, host, hostCert, StatusKnown, byParser},
		{"certificate recorded as a plain key", []string{line("[h.example]:2222", knownCert)}, host, knownCert, "error", byParser},
		{"certificate of an indexed key", []string{line("[h.example]:2222", known)}, host, knownCert, "error", byParser},
		{"type field differs from the key", []string{line("[h.example]:2222", other), "[h.example]:2222 ssh-rsa " + strings.Fields(authorizedKey(known))[1]}, host, known, "error", byParser},
		{"malformed line in the middle", []string{line("a.example", other), "garbage", line("[h.example]:2222", known)}, host, known, StatusKnown, byIndexLenient},
		{"malformed line, unknown host", []string{line("a.example", other), "garbage", line("[h.example]:2222", known)}, "a.example:2222", known, "error", byParser},
		{"comments, blank lines, tabs and CRLF", []string{"# comment", "", "\t" + line("[h.example]:2222", known) + " comment\r"}, host, known, StatusKnown, byIndex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := remotetest.WriteKnownHosts(t, tt.lines...)
			var s knownHostsSet
			f := s.file(path)
			status, msg := verdictMessage(f, tt.host, tt.key)
			if tt.want == "error" {
				if !strings.HasPrefix(msg, "error: known_hosts "+path) {
					t.Errorf("check = %s %q, want an error naming the file", status, msg)
				}
			} else if status != tt.want {
				t.Errorf("status = %s (%s), want %s", status, msg, tt.want)
			}
			if fast := !usedFullParser(f); fast != (tt.by != byParser) {
				t.Errorf("answered by the index alone = %v, want %v", fast, !fast)
			}
			wantStatus, wantMsg := verdictMessage(slowOnly(t, path), tt.host, tt.key)
			if tt.by == byIndexLenient {
				if !strings.HasPrefix(wantMsg, "error: ") {
					t.Errorf("the full parser accepts the malformed file: %s %q", wantStatus, wantMsg)
				}
				return
			}
			if status != wantStatus || msg != wantMsg {
				t.Errorf("indexed file says %s %q,\nfull parser says %s %q", status, msg, wantStatus, wantMsg)
			}
		})
	}
}

// TestKnownHostsIndexChangedMessage: a changed key is reported with the
// recorded keys' file and line, as before the index.
func TestKnownHostsIndexChangedMessage(t *testing.T) {
	presented, recorded := newPub(t), newPub(t)
	path := remotetest.WriteKnownHosts(t,
		remotetest.KnownHostsLine("a.example:22", presented),
		remotetest.KnownHostsLine("h.example:2222", recorded))
	var s knownHostsSet
	c := &hostKeyChecker{files: []*knownHostsFile{s.file(path)}, accept: "remotectl hostkeys scan -H web01 --accept"}
	err := c.callback("h.example:2222", nil, presented)
	wantClass(t, err, remote.ClassHostKeyChanged)
	want := fmt.Sprintf("HOST KEY CHANGED for h.example:2222: it presented ssh-ed25519 %s, known_hosts has ssh-ed25519 %s (%s:2)",
		gossh.FingerprintSHA256(presented), gossh.FingerprintSHA256(recorded), path)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q\nwant it to contain %q", err, want)
	}
}

func TestBuildKnownHostsIndex(t *testing.T) {
	key, revoked := newPub(t), newPub(t)
	k := authorizedKey(key)
	blob := strings.Fields(k)[1]
	tests := []struct {
		name    string
		lines   []string
		exact   []string // "host port" of every indexed name
		flags   string   // "ca", "partial", "revoked?" as set
		revoked int
	}{
		{"plain names", []string{"a " + k, "[b]:2222," + "c:23 " + k}, []string{"a 22", "b 2222", "c 23"}, "", 0},
		{"empty patterns skipped", []string{",a,, " + k}, []string{"a 22"}, "", 0},
		{"same host twice", []string{"a " + k, "a " + k}, []string{"a 22", "a 22"}, "", 0},
		{"comments and blanks", []string{"# a " + k, "   ", "\t# x"}, nil, "", 0},
		{"hashed", []string{xknownhosts.HashHostname("a") + " " + k}, nil, "partial", 0},
		{"wildcards beside a literal", []string{"a,*.b,c? " + k}, []string{"a 22"}, "partial", 0},
		{"negation spoils the line", []string{"a,!b " + k}, nil, "partial", 0},
		{"bad bracket spoils the line", []string{"a,[b " + k}, nil, "partial", 0},
		{"missing key", []string{"a ssh-ed25519"}, nil, "partial", 0},
		{"unknown marker", []string{"@foo a " + k}, nil, "partial", 0},
		{"cert authority", []string{"@cert-authority *.a " + k}, nil, "ca", 0},
		{"revoked", []string{"@revoked * " + authorizedKey(revoked), "@revoked\tb\t" + k}, nil, "", 2},
		{"revoked, bad base64", []string{"@revoked * ssh-ed25519 !!!"}, nil, "revoked?", 0},
		{"revoked, wrong type", []string{"@revoked * ssh-rsa " + blob}, nil, "revoked?", 0},
		{"revoked, missing host", []string{"@revoked " + k}, nil, "revoked?", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := buildKnownHostsIndex([]byte(strings.Join(tt.lines, "\n")))
			var exact []string
			for a, keys := range x.exact {
				for _, ik := range keys {
					if ik.keyType != key.Type() || ik.blob != blob {
						t.Errorf("%v: key %s %s, want %s", a, ik.keyType, ik.blob, k)
					}
					exact = append(exact, a.host+" "+a.port)
				}
			}
			slices.Sort(exact)
			if !slices.Equal(exact, tt.exact) {
				t.Errorf("indexed %q, want %q", exact, tt.exact)
			}
			var flags []string
			for _, f := range []struct {
				set  bool
				name string
			}{{x.certAuthority, "ca"}, {x.partial, "partial"}, {x.revokedUnreadable, "revoked?"}} {
				if f.set {
					flags = append(flags, f.name)
				}
			}
			if got := strings.Join(flags, ","); got != tt.flags {
				t.Errorf("flags = %q, want %q", got, tt.flags)
			}
			if len(x.revoked) != tt.revoked {
				t.Errorf("%d revoked keys, want %d", len(x.revoked), tt.revoked)
			}
		})
	}
}

func TestKnownHostsIndexAlgorithms(t *testing.T) {
	ed, ed2, rsaKey, ecKey, ca := newPub(t), newPub(t), rsaHostKey(t).PublicKey(), ecdsaPub(t), hostKeySigner(t)
	line := remotetest.KnownHostsLine
	rsaAlgos := []string{gossh.KeyAlgoRSASHA512, gossh.KeyAlgoRSASHA256, gossh.KeyAlgoRSA}
	tests := []struct {
		name  string
		lines []string
		host  string
		added gossh.PublicKey // recorded by this process before the lookup
		want  []string
		fast  bool // the index answers alone
	}{
		{"recorded types first", []string{line("h:22", ed), line("other:22", ecKey), line("h:22", rsaKey)}, "h:22", nil,
			append([]string{gossh.KeyAlgoED25519}, rsaAlgos...), true},
		{"rsa first", []string{line("h:22", rsaKey), line("h:22", ed)}, "h:22", nil,
			append(slices.Clone(rsaAlgos), gossh.KeyAlgoED25519), true},
		{"no duplicates", []string{line("h:22", ed), line("h:22", ed2)}, "h:22", nil, []string{gossh.KeyAlgoED25519}, true},
		{"other port", []string{line("h:22", rsaKey), line("h:2222", ed)}, "h:2222", nil, []string{gossh.KeyAlgoED25519}, true},
		{"keys added since loading", []string{line("h:22", ed)}, "h:22", ecKey,
			[]string{gossh.KeyAlgoED25519, gossh.KeyAlgoECDSA256}, true},
		{"unknown host", []string{line("h:22", ed)}, "x:22", nil, nil, true},
		{"unknown host, added since", []string{line("h:22", ed)}, "x:22", rsaKey, rsaAlgos, true},
		{"unknown host beside hashed lines", []string{line("h:22", ed), xknownhosts.HashHostname("y") + " " + authorizedKey(ed)}, "x:22", nil, nil, false},
		{"hashed only", []string{xknownhosts.HashHostname("h") + " " + authorizedKey(ed)}, "h:22", nil, []string{gossh.KeyAlgoED25519}, false},
		{"hashed only, added since", []string{xknownhosts.HashHostname("h") + " " + authorizedKey(ed)}, "h:22", ecKey,
			[]string{gossh.KeyAlgoED25519, gossh.KeyAlgoECDSA256}, false},
		{"cert authority in the file", []string{line("h:22", ed), "@cert-authority * " + authorizedKey(ca.PublicKey())}, "h:22", nil,
			[]string{gossh.KeyAlgoED25519, gossh.CertAlgoED25519v01}, false},
		{"cert authority for the host's domain", []string{line("h.example.net:22", ed), "@cert-authority *.example.net,!x.example.net " + authorizedKey(ca.PublicKey())},
			"h.example.net:22", nil, []string{gossh.KeyAlgoED25519, gossh.CertAlgoED25519v01}, false},
		{"cert authority for other hosts", []string{"@cert-authority *.example.net,[10.*]:2200 " + authorizedKey(ca.PublicKey()), line("h:22", ed)},
			"h:22", nil, []string{gossh.KeyAlgoED25519}, true},
		{"hashed cert authority", []string{"@cert-authority " + xknownhosts.HashHostname("other") + " " + authorizedKey(ca.PublicKey()), line("h:22", ed)},
			"h:22", nil, []string{gossh.KeyAlgoED25519}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := remotetest.WriteKnownHosts(t, tt.lines...)
			var s knownHostsSet
			f := s.file(path)
			oracle := slowOnly(t, path)
			if tt.added != nil {
				for _, f := range []*knownHostsFile{f, oracle} {
					f.mu.Lock()
					f.addLocked(knownhosts.Normalize(tt.host), tt.added)
					f.mu.Unlock()
				}
			}
			got := f.algorithms(tt.host)
			if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("algorithms = %#v\nwant %#v", got, tt.want)
			}
			if fast := !usedFullParser(f); fast != tt.fast {
				t.Errorf("answered by the index alone = %v, want %v", fast, tt.fast)
			}
			if !tt.fast { // left to the full parser: exactly its answer
				if want := oracle.algorithms(tt.host); !slices.Equal(got, want) {
					t.Errorf("algorithms = %v, the full parser says %v", got, want)
				}
			}
		})
	}
}

// TestKnownHostsIndexConcurrent looks hosts up from many goroutines at once
// on one file loaded on first use: indexed hosts, hashed ones (full
// parser, loaded concurrently) and changed keys.
func TestKnownHostsIndexConcurrent(t *testing.T) {
	const hosts = 50
	key, other := newPub(t), newPub(t)
	lines := make([]string, 0, 2*hosts)
	for i := range hosts {
		lines = append(lines,
			remotetest.KnownHostsLine(fmt.Sprintf("plain%d:22", i), key),
			xknownhosts.HashHostname(fmt.Sprintf("hashed%d", i))+" "+authorizedKey(key))
	}
	path := remotetest.WriteKnownHosts(t, lines...)
	var s knownHostsSet
	var wg sync.WaitGroup
	errs := make(chan error, 3*hosts)
	for i := range hosts {
		for _, q := range []struct {
			host string
			key  gossh.PublicKey
			want string
		}{
			{fmt.Sprintf("plain%d:22", i), key, StatusKnown},
			{fmt.Sprintf("hashed%d:22", i), key, StatusKnown},
			{fmt.Sprintf("plain%d:22", i), other, StatusChanged},
		} {
			wg.Go(func() {
				c := &hostKeyChecker{files: []*knownHostsFile{s.file(path)}}
				if len(c.algorithms(q.host)) == 0 {
					errs <- fmt.Errorf("%s: no algorithms", q.host)
				}
				v, err := c.verdict(q.host, q.key)
				if err == nil && v.status != q.want {
					err = fmt.Errorf("status %s, want %s", v.status, q.want)
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", q.host, err)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestKnownHostsIndexLoadErrors: a missing file has no entries (and is
// never parsed again); an unreadable one is an error naming it.
func TestKnownHostsIndexLoadErrors(t *testing.T) {
	var s knownHostsSet
	missing := s.file(filepath.Join(t.TempDir(), "nope"))
	if v, err := missing.check("h:22", newPub(t)); err != nil || v.status != StatusNew {
		t.Errorf("missing file: check = %v, %v; want new", v.status, err)
	}
	if algos := missing.algorithms("h:22"); algos != nil {
		t.Errorf("missing file: algorithms = %v, want nil", algos)
	}
	if missing.db != nil || missing.dbErr != nil {
		t.Errorf("missing file: the full parser was loaded")
	}

	dir := t.TempDir()
	unreadable := s.file(dir)
	_, err := unreadable.check("h:22", newPub(t))
	if err == nil || !strings.Contains(err.Error(), "known_hosts "+dir) {
		t.Errorf("directory as known_hosts: check error = %v, want one naming it", err)
	}
	if algos := unreadable.algorithms("h:22"); algos != nil {
		t.Errorf("directory as known_hosts: algorithms = %v, want nil", algos)
	}
}

// TestKnownHostsIndexFileRemoved: the index said the file existed, then it
// was removed before the full parser was needed: no entries, no error.
func TestKnownHostsIndexFileRemoved(t *testing.T) {
	key := newPub(t)
	path := remotetest.WriteKnownHosts(t, remotetest.KnownHostsLine("a:22", key))
	var s knownHostsSet
	f := s.file(path)
	if v, err := f.check("a:22", key); err != nil || v.status != StatusKnown {
		t.Fatalf("check = %v, %v", v.status, err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if v, err := f.check("b:22", key); err != nil || v.status != StatusNew {
		t.Errorf("after removal: check = %v, %v; want new", v.status, err)
	}
}

// TestKnownHostsIndexAcceptedThenChanged: a key this process recorded after
// indexing is read again by the full parser, loaded later; a changed key
// then lists it once, with its line.
func TestKnownHostsIndexAcceptedThenChanged(t *testing.T) {
	key := newPub(t)
	path := remotetest.WriteKnownHosts(t, remotetest.KnownHostsLine("a:22", key))
	var s knownHostsSet
	f := s.file(path)
	if v, err := f.appendKey("x:22", key); err != nil || v.status != StatusKnown {
		t.Fatalf("appendKey = %v, %v", v.status, err)
	}
	v, err := f.check("x:22", newPub(t))
	if err != nil || v.status != StatusChanged {
		t.Fatalf("check = %v, %v; want changed", v.status, err)
	}
	if len(v.want) != 1 || v.want[0].Line != 2 || !keysEqual(v.want[0].Key, key) {
		t.Errorf("recorded keys = %v, want the key once, at line 2", v.want)
	}
}

// FuzzKnownHostsIndex checks the index's soundness on arbitrary files:
// whenever it accepts a key for a host, the full parser, given the same
// file, accepts it too; whenever it says the file lacks a host, the full
// parser finds no key for it (unless it rejects the whole file).
func FuzzKnownHostsIndex(f *testing.F) {
	keys := fuzzKeys(f)
	k0, k1 := authorizedKey(keys[0]), authorizedKey(keys[1])
	seeds := []struct{ file, host string }{
		{"h " + k0 + "\n", "h:22"},
		{"[h]:2222 " + k0 + "\n@revoked * " + k0 + "\n", "h:2222"},
		{"h,!h " + k1 + "\nh " + k0, "h:22"},
		{"# c\n\n  [::1]:22\t" + k1 + " c\r\n", "[::1]:22"},
		{"*.x,h.x " + k0 + "\n@cert-authority *.x " + k1 + "\n", "h.x:22"},
		{"h:23 " + k0 + "\nh ssh-rsa " + strings.Fields(k1)[1], "h:23"},
		{xknownhosts.HashHostname("h") + " " + k0 + "\n", "h:22"},
		{"a " + k0 + "\n", "b:22"},
	}
	for _, s := range seeds {
		f.Add([]byte(s.file), s.host)
	}
	f.Fuzz(func(t *testing.T, data []byte, hostport string) {
		x := buildKnownHostsIndex(data)
		var accepted []gossh.PublicKey
		for _, k := range keys {
			if x.accepts(hostport, k) {
				accepted = append(accepted, k)
			}
		}
		lacks := x.lacks(hostport)
		if len(accepted) == 0 && !lacks {
			return
		}
		path := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := knownhosts.NewDB(path)
		if err != nil {
			return // the full parser rejects the file: it reports it when asked
		}
		for _, k := range accepted {
			if err := db.HostKeyCallback()(hostport, placeholderAddr(hostport), k); err != nil {
				t.Errorf("the index accepts %s for %q, the full parser says %v", k.Type(), hostport, err)
			}
		}
		if algos := db.HostKeyAlgorithms(hostport); lacks && len(algos) > 0 {
			t.Errorf("the index lacks %q, the full parser has %v", hostport, algos)
		}
	})
}

// fuzzKeys returns fixed keys, so that the fuzz corpus stays meaningful.
func fuzzKeys(tb testing.TB) []gossh.PublicKey {
	tb.Helper()
	keys := make([]gossh.PublicKey, 2)
	for i := range keys {
		seed := bytes.Repeat([]byte{byte(i + 1)}, ed25519.SeedSize)
		k, err := gossh.NewPublicKey(ed25519.NewKeyFromSeed(seed).Public())
		if err != nil {
			tb.Fatal(err)
		}
		keys[i] = k
	}
	return keys
}

// ecdsaPub returns a fresh ecdsa-sha2-nistp256 public key.
func ecdsaPub(tb testing.TB) gossh.PublicKey {
	tb.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	k, err := gossh.NewPublicKey(&priv.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// certFor returns a host certificate for key, valid for principal, signed
// by ca.
func certFor(tb testing.TB, ca gossh.Signer, key gossh.PublicKey, principal string) *gossh.Certificate {
	tb.Helper()
	cert := &gossh.Certificate{Key: key, CertType: gossh.HostCert, ValidPrincipals: []string{principal},
		ValidBefore: gossh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		tb.Fatal(err)
	}
	return cert
}

// fleetFile is a large known_hosts file written for a benchmark.
type fleetFile struct {
	path   string
	keys   []gossh.PublicKey // key of line i is keys[i%len(keys)]
	plain  string            // host:port of a plain entry near the end
	hashed string            // host:port of a hashed entry near the end
}

// authorizedKey is key as known_hosts writes it: "TYPE BASE64".
func authorizedKey(key gossh.PublicKey) string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(key)))
}

// keyOf returns the key written on line i.
func (f fleetFile) keyOf(i int) gossh.PublicKey { return f.keys[i%len(f.keys)] }

// The line numbers of the benchmark's target hosts.
const (
	fleetLines     = 10000
	fleetPlainLine = fleetLines - 2 // i%10 == 8: a plain line
	fleetHashLine  = fleetLines - 7 // i%10 == 3: a hashed line
)

// fleetHost is the host:port written (plainly, hashed or both) on line i.
func fleetHost(i int) string {
	if i%2 == 0 {
		return fmt.Sprintf("node%05d.example:22", i)
	}
	return fmt.Sprintf("node%05d.example:2222", i)
}

// writeFleetKnownHosts writes a 10,000-line known_hosts file mixing the
// shapes real files have: one line in ten hashed, one in ten a wildcard,
// the rest plain host names (half of them on port 2222).
func writeFleetKnownHosts(tb testing.TB) fleetFile {
	tb.Helper()
	f := fleetFile{keys: make([]gossh.PublicKey, 16)}
	for i := range f.keys {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		if f.keys[i], err = gossh.NewPublicKey(pub); err != nil {
			tb.Fatal(err)
		}
	}
	lines := make([]string, fleetLines)
	for i := range lines {
		line := remotetest.KnownHostsLine(fleetHost(i), f.keyOf(i))
		switch i % 10 {
		case 3:
			line = xknownhosts.HashHostname(knownHostsName(fleetHost(i))) + " " + authorizedKey(f.keyOf(i))
		case 7:
			line = fmt.Sprintf("*.rack%05d.example %s", i, authorizedKey(f.keyOf(i)))
		}
		lines[i] = line
	}
	f.path = remotetest.WriteKnownHosts(tb, lines...)
	f.plain, f.hashed = fleetHost(fleetPlainLine), fleetHost(fleetHashLine)
	return f
}

// BenchmarkKnownHostsCheck10k measures what one dial costs the client in
// known_hosts work (algorithms, then the host key callback) against a
// 10,000-line file already loaded: "indexed" for a host on a plain line,
// "hashed" for a host only recorded hashed (answered by the full parser,
// which scans every line), and "load" for the one-time cost of reading the
// file plus a first indexed check.
func BenchmarkKnownHostsCheck10k(b *testing.B) {
	fleet := writeFleetKnownHosts(b)
	dial := func(b *testing.B, f *knownHostsFile, host string, key gossh.PublicKey) {
		c := &hostKeyChecker{files: []*knownHostsFile{f}, accept: "remotectl hostkeys scan -H bench --accept"}
		if len(c.algorithms(host)) == 0 {
			b.Fatalf("no host key algorithms for %s", host)
		}
		if err := c.callback(host, nil, key); err != nil {
			b.Fatal(err)
		}
	}
	targets := []struct {
		name string
		host string
		key  gossh.PublicKey
	}{
		{"indexed", fleet.plain, fleet.keyOf(fleetPlainLine)},
		{"hashed", fleet.hashed, fleet.keyOf(fleetHashLine)},
	}
	for _, tt := range targets {
		b.Run(tt.name, func(b *testing.B) {
			var s knownHostsSet
			f := s.file(fleet.path)
			dial(b, f, tt.host, tt.key) // load outside the measurement
			b.ReportAllocs()
			for b.Loop() {
				dial(b, f, tt.host, tt.key)
			}
		})
	}
	b.Run("load", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var s knownHostsSet
			dial(b, s.file(fleet.path), fleet.plain, fleet.keyOf(fleetPlainLine))
		}
	})
}
