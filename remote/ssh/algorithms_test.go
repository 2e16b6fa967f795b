//go:build unix

package ssh

import (
	"slices"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
)

func TestDefaultKeyExchanges(t *testing.T) {
	kex := defaultKeyExchanges
	p256, x25519 := slices.Index(kex, gossh.KeyExchangeECDHP256), slices.Index(kex, gossh.KeyExchangeCurve25519)
	if p256 < 0 || x25519 < 0 || p256 > x25519 {
		t.Errorf("defaults %v: want ecdh-sha2-nistp256 ahead of curve25519-sha256", kex)
	}
	if kex[0] != gossh.KeyExchangeMLKEM768X25519 {
		t.Errorf("defaults %v: the post-quantum hybrid must stay first", kex)
	}
	sup := gossh.SupportedAlgorithms().KeyExchanges
	if len(kex) != len(sup) {
		t.Errorf("defaults %v are not a reordering of x/crypto's %v", kex, sup)
	}
	for _, k := range sup {
		if !slices.Contains(kex, k) {
			t.Errorf("defaults lack %s", k)
		}
	}
}

func TestAlgorithmListSyntax(t *testing.T) {
	kind := algorithmKind{"Ciphers", []string{"a", "b", "c"}, []string{"a", "b", "c", "old", "older"}}
	tests := []struct {
		spec    string
		want    string
		wantErr string
	}{
		{spec: "c,a", want: "c,a"},
		{spec: " c , a ", want: "c,a"},
		{spec: "+old", want: "a,b,c,old"},
		{spec: "+a,old", want: "a,b,c,old"},
		{spec: "-b", want: "a,c"},
		{spec: "-o*,c", want: "a,b"},
		{spec: "^c,old", want: "c,old,a,b"},
		{spec: "unknown@openssh.com,b", want: "b"}, // OpenSSH's names we lack are skipped
		{spec: "unknown@openssh.com", wantErr: "leaves no algorithm"},
		{spec: "-*", wantErr: "leaves no algorithm"},
	}
	for _, tt := range tests {
		got, err := kind.parse(tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "Ciphers") {
				t.Errorf("parse(%q) = %v, %v; want an error naming Ciphers with %q", tt.spec, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tt.want {
			t.Errorf("parse(%q) = %v, %v; want %s", tt.spec, got, err, tt.want)
		}
	}
}

func TestAlgorithmsFromSSHConfig(t *testing.T) {
	config := "Host strict\n  KexAlgorithms curve25519-sha256,sntrup761x25519-sha512@openssh.com\n" +
		"  Ciphers -aes128-*\n  MACs ^hmac-sha2-512\n" +
		"Host legacy\n  KexAlgorithms +diffie-hellman-group14-sha1\n"
	p, _ := resolveWith(t, config, nil, remote.Target{Name: "strict"})
	if got := strings.Join(p.algorithms.KeyExchanges, ","); got != gossh.KeyExchangeCurve25519 {
		t.Errorf("KexAlgorithms = %s, want only curve25519-sha256", got)
	}
	if slices.ContainsFunc(p.algorithms.Ciphers, func(c string) bool { return strings.HasPrefix(c, "aes128-") }) ||
		len(p.algorithms.Ciphers) == 0 {
		t.Errorf("Ciphers = %v, want the defaults without aes128-*", p.algorithms.Ciphers)
	}
	if len(p.algorithms.MACs) == 0 || p.algorithms.MACs[0] != gossh.HMACSHA512 {
		t.Errorf("MACs = %v, want hmac-sha2-512 first", p.algorithms.MACs)
	}

	p, _ = resolveWith(t, config, nil, remote.Target{Name: "legacy"})
	if kex := p.algorithms.KeyExchanges; kex[len(kex)-1] != gossh.InsecureKeyExchangeDH14SHA1 ||
		!slices.Equal(kex[:len(kex)-1], defaultKeyExchanges) {
		t.Errorf("KexAlgorithms = %v, want the defaults then diffie-hellman-group14-sha1", kex)
	}

	p, _ = resolveWith(t, config, nil, remote.Target{Name: "other"})
	if !slices.Equal(p.algorithms.KeyExchanges, defaultKeyExchanges) || p.algorithms.Ciphers != nil {
		t.Errorf("a host without settings gets %v / %v, want remotectl's defaults", p.algorithms.KeyExchanges, p.algorithms.Ciphers)
	}
}
