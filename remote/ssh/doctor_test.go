package ssh

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// sampleKexInit is an offer as OpenSSH 9 sends it (shortened).
func sampleKexInit() *KexInit {
	return &KexInit{
		Cookie:                  [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		KexAlgos:                []string{"sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "ext-info-s"},
		HostKeyAlgos:            []string{"rsa-sha2-512", "ssh-ed25519"},
		CiphersClientServer:     []string{"chacha20-poly1305@openssh.com", "aes256-ctr"},
		CiphersServerClient:     []string{"chacha20-poly1305@openssh.com", "aes256-ctr"},
		MACsClientServer:        []string{"hmac-sha2-256-etm@openssh.com"},
		MACsServerClient:        []string{"hmac-sha2-256-etm@openssh.com"},
		CompressionClientServer: []string{"none", "zlib@openssh.com"},
		CompressionServerClient: []string{"none", "zlib@openssh.com"},
	}
}

func TestParseKexInitRoundTrip(t *testing.T) {
	want := sampleKexInit()
	want.FirstKexFollows, want.Reserved = true, 7
	got, err := ParseKexInit(want.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseKexInitErrors(t *testing.T) {
	good := sampleKexInit().Marshal()
	// nameList builds a payload whose first name-list is raw.
	nameList := func(raw string) []byte {
		b := append([]byte{msgKexInit}, make([]byte, 16)...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(raw)))
		b = append(b, raw...)
		for range 9 {
			b = binary.BigEndian.AppendUint32(b, 0)
		}
		return append(b, 0, 0, 0, 0, 0)
	}
	badBool := slices.Clone(good)
	badBool[len(badBool)-5] = 2
	tests := []struct {
		name    string
		payload []byte
		want    string
	}{
		{"empty", nil, "not a KEXINIT"},
		{"other message", []byte{21}, "not a KEXINIT"},
		{"short cookie", []byte{msgKexInit, 1, 2}, "truncated cookie"},
		{"truncated list", good[:30], "is truncated"},
		{"length beyond payload", append([]byte{msgKexInit}, append(make([]byte, 16), 0xff, 0xff, 0xff, 0xff)...), "name-list 1 is truncated"},
		{"no trailer", good[:len(good)-5], "0 bytes after"},
		{"trailing bytes", append(slices.Clone(good), 0), "6 bytes after"},
		{"bad boolean", badBool, "not a boolean"},
		{"empty name", nameList("a,,b"), "empty name"},
		{"control character", nameList("a\x1b[2J"), "printable"},
		{"space", nameList("a b"), "printable"},
		{"non-ASCII", nameList("é"), "printable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKexInit(tc.payload)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if k, err := ParseKexInit(nameList("")); err != nil || k.KexAlgos != nil {
		t.Errorf("an empty name-list: %v, %v; want no names", k, err)
	}
}

func FuzzParseKexInit(f *testing.F) {
	f.Add(sampleKexInit().Marshal())
	f.Add((&KexInit{}).Marshal())
	f.Add([]byte{msgKexInit})
	f.Fuzz(func(t *testing.T, payload []byte) {
		k, err := ParseKexInit(payload)
		if err != nil {
			return
		}
		// Whatever parses is exactly the wire form it came from.
		if got := k.Marshal(); !bytes.Equal(got, payload) {
			t.Fatalf("Marshal(Parse(x)) != x:\n got %q\nwant %q", got, payload)
		}
		for _, list := range k.nameLists() {
			for _, name := range *list {
				if name == "" || strings.ContainsAny(name, ", \x00\x1b") {
					t.Fatalf("name %q accepted", name)
				}
			}
		}
	})
}

// packet frames payload as an unencrypted SSH binary packet.
func packet(payload []byte) []byte {
	padding := 8 - (len(payload)+5)%8
	if padding < 4 {
		padding += 8
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(len(payload)+padding+1))
	b = append(b, byte(padding))
	b = append(b, payload...)
	return append(b, make([]byte, padding)...)
}

func TestReadServerHello(t *testing.T) {
	kex := sampleKexInit().Marshal()
	stream := "a notice\r\nsecond \x1b[31mline\n" + "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n" +
		string(packet([]byte{msgIgnore, 0, 0, 0, 0})) + string(packet(kex))
	h, err := ReadServerHello(strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if h.Banner != "SSH-2.0-OpenSSH_9.2p1 Debian-2" || h.ProtoVersion() != "2.0" || h.Software() != "OpenSSH_9.2p1 Debian-2" {
		t.Errorf("banner %q: version %q, software %q", h.Banner, h.ProtoVersion(), h.Software())
	}
	if want := []string{"a notice", "second [31mline"}; !slices.Equal(h.Preamble, want) {
		t.Errorf("preamble = %q, want %q (control characters dropped)", h.Preamble, want)
	}
	if !reflect.DeepEqual(h.KexInit, sampleKexInit()) {
		t.Errorf("KexInit = %+v", h.KexInit)
	}
}

func TestReadServerHelloErrors(t *testing.T) {
	disconnect := []byte{msgDisconnect, 0, 0, 0, 12}
	const reason = "too many\x07 conns"
	disconnect = binary.BigEndian.AppendUint32(disconnect, uint32(len(reason)))
	disconnect = append(disconnect, reason...)
	disconnect = binary.BigEndian.AppendUint32(disconnect, 0)
	tests := []struct {
		name   string
		stream string
		want   string
	}{
		{"closed at once", "", "without identifying itself"},
		{"ssh1 only", "SSH-1.5-OldServer\r\n", "protocol 1.5 only"},
		{"long line", strings.Repeat("x", 300), "longer than 255"},
		{"too many lines", strings.Repeat("hello\n", 70), "within 64 lines"},
		{"disconnect", "SSH-2.0-x\r\n" + string(packet(disconnect)), "reason 12: too many conns"},
		{"other message", "SSH-2.0-x\r\n" + string(packet([]byte{50})), "type 50, not KEXINIT"},
		{"bad packet length", "SSH-2.0-x\r\n\xff\xff\xff\xff\x04", "invalid packet"},
		{"malformed kexinit", "SSH-2.0-x\r\n" + string(packet([]byte{msgKexInit, 1})), "truncated cookie"},
		{"only ignores", "SSH-2.0-x\r\n" + strings.Repeat(string(packet([]byte{msgIgnore})), 9), "no KEXINIT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadServerHello(strings.NewReader(tc.stream))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A stream cut mid-packet is an I/O error, not a protocol verdict.
	_, err := ReadServerHello(strings.NewReader("SSH-2.0-x\r\n" + string(packet(sampleKexInit().Marshal()))[:20]))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut stream: %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestMismatches(t *testing.T) {
	if m := sampleKexInit().Mismatches(nil); len(m) != 0 {
		t.Errorf("OpenSSH's offer: %v, want none", m)
	}
	old := sampleKexInit()
	old.KexAlgos = []string{"diffie-hellman-group1-sha1"}
	old.CiphersClientServer = []string{"blowfish-cbc"}
	m := old.Mismatches(nil)
	if len(m) != 2 || m[0].Kind != "key exchange" || m[1].Kind != "cipher" {
		t.Fatalf("mismatches = %v, want key exchange and cipher", m)
	}
	if !slices.Equal(m[0].Insecure, []string{"diffie-hellman-group1-sha1"}) {
		t.Errorf("insecure = %v, want the group1 kex", m[0].Insecure)
	}
	if !strings.Contains(m[0].String(), "no common key exchange algorithm: the server offers diffie-hellman-group1-sha1") {
		t.Errorf("String() = %q", m[0].String())
	}

	// known_hosts only has an ECDSA key: the server's ed25519/RSA offer does not match.
	if m := sampleKexInit().Mismatches([]string{"ecdsa-sha2-nistp256"}); len(m) != 1 || m[0].Kind != "host key" {
		t.Errorf("mismatches = %v, want host key", m)
	}

	// AEAD ciphers need no MAC; CTR ciphers do.
	noMAC := sampleKexInit()
	noMAC.MACsClientServer, noMAC.MACsServerClient = []string{"hmac-foo"}, []string{"hmac-foo"}
	if m := noMAC.Mismatches(nil); len(m) != 0 {
		t.Errorf("chacha20-poly1305 with no common MAC: %v, want none", m)
	}
	noMAC.CiphersClientServer, noMAC.CiphersServerClient = []string{"aes256-ctr"}, []string{"aes256-ctr"}
	if m := noMAC.Mismatches(nil); len(m) != 1 || m[0].Kind != "MAC" {
		t.Errorf("aes256-ctr with no common MAC: %v, want MAC", m)
	}
}

func TestDoctorAgainstServer(t *testing.T) {
	srv, keyFile := startShServer(t, remotetest.SSHServerOptions{Password: "secret"})
	d := newTestDialer(t, Options{})
	target := serverTarget(t, srv, keyFile)
	ctx := testContext(t)

	eff, err := d.Resolve(target)
	if err != nil {
		t.Fatal(err)
	}
	if eff.User != "test" || eff.Port != srv.Port || eff.HostKeyPolicy != "strict" || !eff.PublicKeys || eff.Password ||
		!slices.Equal(eff.Offer, []string{"key " + keyFile}) {
		t.Errorf("Resolve = %+v", eff)
	}

	if _, err := d.CheckTCP(ctx, target); err != nil {
		t.Errorf("CheckTCP: %v", err)
	}
	hello, err := d.Hello(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hello.Banner, "SSH-2.0-") || len(hello.KexInit.KexAlgos) == 0 {
		t.Errorf("Hello = %+v", hello)
	}
	if m := hello.KexInit.Mismatches(nil); len(m) != 0 {
		t.Errorf("x/crypto server vs client: %v", m)
	}

	methods, err := d.AuthMethods(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"publickey", "password"} {
		if !slices.Contains(methods, want) {
			t.Errorf("AuthMethods = %v, want %s among them", methods, want)
		}
	}

	// An unknown host key is refused under strict, and nothing is recorded.
	unknown := target
	unknown.SSH.KnownHostsFile = writeFile(t, t.TempDir(), "kh", "")
	_, err = d.AuthMethods(ctx, unknown)
	wantClass(t, err, remote.ClassHostKeyUnknown)
	unknown.SSH.HostKeyPolicy = "accept-new"
	if _, err := d.AuthMethods(ctx, unknown); err != nil {
		t.Errorf("accept-new: %v", err)
	}
	if r := d.Scan(ctx, []remote.Target{unknown}, ScanOptions{})[0]; r.Status != StatusNew {
		t.Errorf("after AuthMethods under accept-new the key is %q, want still new", r.Status)
	}

	dead := target
	dead.Port = closedLoopbackPort(t)
	_, err = d.Hello(ctx, dead)
	wantClass(t, err, remote.ClassRefused)
}

// closedLoopbackPort returns a loopback port nothing listens on.
func closedLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}
