package ssh

import (
	"fmt"
	"slices"
	"strings"

	gossh "golang.org/x/crypto/ssh"
)

// defaultKeyExchanges is x/crypto's list of secure key exchanges with
// ecdh-sha2-nistp256 moved ahead of curve25519-sha256. Both give 128-bit
// security, and both are in OpenSSH's default list; Go's P-256 (constant
// time, formally verified field arithmetic) costs the client a quarter of
// what its X25519 costs, and OpenSSH's server side is cheaper with it too:
// measured on the benchmark fleet, 0.15 ms of client CPU and 2 ms of sshd
// CPU per connection, 10% of a fan-out's wall time (docs/BENCHMARKS.md).
// The post-quantum hybrid (mlkem768x25519-sha256) stays first: against a
// server that has it, protection from later decryption is worth its cost.
// KexAlgorithms in ssh_config changes the order, as it does for ssh.
var defaultKeyExchanges = func() []string {
	kex := gossh.SupportedAlgorithms().KeyExchanges
	i := slices.Index(kex, gossh.KeyExchangeCurve25519)
	j := slices.Index(kex, gossh.KeyExchangeECDHP256)
	if i >= 0 && j > i {
		kex = slices.Insert(slices.Delete(kex, j, j+1), i, gossh.KeyExchangeECDHP256)
	}
	return kex
}()

// supportedHostKeys is x/crypto's list of secure host key algorithms, read
// once: SupportedAlgorithms copies every list at each call, and dials ask
// for it.
var supportedHostKeys = gossh.SupportedAlgorithms().HostKeys

// algorithmKind is one ssh_config algorithm setting.
type algorithmKind struct {
	keyword   string   // as written in ssh_config, for messages
	defaults  []string // remotectl's preference
	supported []string // everything x/crypto implements, insecure ones included
}

var (
	kexKind = algorithmKind{"KexAlgorithms", defaultKeyExchanges,
		slices.Concat(gossh.SupportedAlgorithms().KeyExchanges, gossh.InsecureAlgorithms().KeyExchanges)}
	cipherKind = algorithmKind{"Ciphers", gossh.SupportedAlgorithms().Ciphers,
		slices.Concat(gossh.SupportedAlgorithms().Ciphers, gossh.InsecureAlgorithms().Ciphers)}
	macKind = algorithmKind{"MACs", gossh.SupportedAlgorithms().MACs,
		slices.Concat(gossh.SupportedAlgorithms().MACs, gossh.InsecureAlgorithms().MACs)}
)

// parse applies an OpenSSH algorithm list (ssh_config(5)) to the defaults:
//
//	a,b    exactly these, in this order
//	+a,b   the defaults, then these
//	-a*,b  the defaults without these (wildcards allowed)
//	^a,b   these first, then the rest of the defaults
//
// Names x/crypto does not implement are skipped: the same file serves
// OpenSSH, which knows more. A list left empty is an error, since no
// connection could be made with it.
func (k algorithmKind) parse(spec string) ([]string, error) {
	spec = strings.TrimSpace(spec)
	op := byte(0)
	if spec != "" && strings.ContainsRune("+-^", rune(spec[0])) {
		op, spec = spec[0], spec[1:]
	}
	var names []string
	for _, n := range strings.Split(spec, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	known := func(list []string) []string {
		return slices.DeleteFunc(slices.Clone(list), func(n string) bool { return !slices.Contains(k.supported, n) })
	}
	var out []string
	switch op {
	case '+':
		out = appendUnique(slices.Clone(k.defaults), known(names)...)
	case '-':
		out = slices.DeleteFunc(slices.Clone(k.defaults), func(a string) bool {
			return slices.ContainsFunc(names, func(p string) bool { return wildcardMatch(p, a) })
		})
	case '^':
		out = appendUnique(known(names), k.defaults...)
	default:
		out = appendUnique(nil, known(names)...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s %q leaves no algorithm remotectl implements (it has: %s)",
			k.keyword, spec, strings.Join(k.supported, ","))
	}
	return out, nil
}
