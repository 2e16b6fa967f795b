package winrm

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// seqSealer stands in for an NTLM security session: it "encrypts" with a
// key stream that carries over from message to message, as RC4 does, and
// signs with a sequence number, so messages must be unwrapped in the order
// they were wrapped.
type seqSealer struct {
	out, in       uint32
	outKey, inKey byte
}

func (s *seqSealer) Wrap(msg []byte) ([]byte, []byte, error) {
	sealed := make([]byte, len(msg))
	for i, b := range msg {
		sealed[i] = b ^ s.outKey
		s.outKey++
	}
	sig := make([]byte, ntlmSignatureSize)
	binary.LittleEndian.PutUint32(sig[12:], s.out)
	s.out++
	return sealed, sig, nil
}

func (s *seqSealer) Unwrap(sealed, sig []byte) ([]byte, error) {
	if seq := binary.LittleEndian.Uint32(sig[12:]); seq != s.in {
		return nil, errors.New("sequence number does not match")
	}
	s.in++
	msg := make([]byte, len(sealed))
	for i, b := range sealed {
		msg[i] = b ^ s.inKey
		s.inKey++
	}
	return msg, nil
}

func TestSealRoundTrip(t *testing.T) {
	client, server := &seqSealer{}, &seqSealer{}
	for _, msg := range []string{"<s:Envelope>first</s:Envelope>", "", "--Encrypted Boundary\r\n in the data", strings.Repeat("x", 70000)} {
		body, err := sealMessage(client, []byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(body, []byte("--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"+
			"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=")) ||
			!bytes.HasSuffix(body, []byte("--Encrypted Boundary--\r\n")) {
			t.Fatalf("framing of %.40q: %.200q", msg, body)
		}
		plain, contentType, err := unsealMessage(server, body)
		if err != nil {
			t.Fatal(err)
		}
		if string(plain) != msg || !isSOAP(contentType) {
			t.Fatalf("unsealed %.40q as %q (%s)", msg, plain, contentType)
		}
	}
	// Out of order: the peer's sequence number has moved on.
	body, _ := sealMessage(client, []byte("late"))
	if _, _, err := unsealMessage(&seqSealer{}, body); err == nil {
		t.Error("a message unwrapped out of order was accepted")
	}
}

func TestDecodeSealedRejects(t *testing.T) {
	good := encodeSealed(make([]byte, 16), []byte("hello"), 5)
	cases := map[string][]byte{
		"empty":           nil,
		"no part":         []byte("--Encrypted Boundary--\r\n"),
		"no boundary":     []byte("garbage"),
		"short payload":   bytes.Replace(good, []byte("Length=5"), []byte("Length=50"), 1),
		"bad length":      bytes.Replace(good, []byte("Length=5"), []byte("Length=-1"), 1),
		"no length":       bytes.Replace(good, []byte(";Length=5"), nil, 1),
		"not octets":      bytes.Replace(good, []byte("octet-stream"), []byte("text/plain"), 1),
		"short signature": encodeSealed(make([]byte, 8), []byte("hello"), 5),
		"truncated":       good[:len(good)-40],
	}
	for name, body := range cases {
		if parts, err := decodeSealed(body); err == nil {
			t.Errorf("%s: decodeSealed accepted %q as %d parts", name, body, len(parts))
		}
	}
	if parts, err := decodeSealed(good); err != nil || len(parts) != 1 || string(parts[0].data) != "hello" {
		t.Errorf("decodeSealed(good) = %+v, %v", parts, err)
	}
}

func FuzzDecodeSealed(f *testing.F) {
	f.Add(encodeSealed(make([]byte, 16), []byte("hello"), 5))
	f.Add(append(encodeSealed(make([]byte, 16), []byte("a"), 1), encodeSealed(make([]byte, 16), []byte("b"), 1)...))
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := decodeSealed(body)
		if err != nil {
			return
		}
		for _, p := range parts {
			if len(p.signature) != ntlmSignatureSize {
				t.Fatalf("a part with a %d-byte signature", len(p.signature))
			}
		}
	})
}

func TestAuthSchemes(t *testing.T) {
	h := http.Header{}
	h.Add("WWW-Authenticate", "Negotiate")
	h.Add("WWW-Authenticate", `Basic realm="WSMAN, the listener", charset="UTF-8"`)
	h.Add("WWW-Authenticate", "negotiate, Kerberos")
	if got, want := authSchemes(h), []string{"Negotiate", "Basic", "Kerberos"}; !slices.Equal(got, want) {
		t.Errorf("authSchemes = %q, want %q", got, want)
	}
	if got := authSchemes(http.Header{}); len(got) != 0 {
		t.Errorf("no header: %q", got)
	}
}

func TestChallengeToken(t *testing.T) {
	token := []byte("NTLMSSP\x00\x02\x00\x00\x00")
	h := http.Header{}
	h.Add("WWW-Authenticate", `Basic realm="WSMAN"`)
	h.Add("WWW-Authenticate", "Negotiate "+base64.StdEncoding.EncodeToString(token))
	if got := challengeToken(h, "Negotiate"); !bytes.Equal(got, token) {
		t.Errorf("challengeToken = %q", got)
	}
	bare := http.Header{}
	bare.Add("WWW-Authenticate", "Negotiate")
	if got := challengeToken(bare, "Negotiate"); got != nil {
		t.Errorf("an offer without a token gave %q", got)
	}
}

func TestSplitUser(t *testing.T) {
	for in, want := range map[string][2]string{
		`CORP\admin`:       {"admin", "CORP"},
		"admin@corp.local": {"admin@corp.local", ""},
		"admin":            {"admin", ""},
	} {
		if name, domain := splitUser(in); name != want[0] || domain != want[1] {
			t.Errorf("splitUser(%q) = %q, %q; want %q", in, name, domain, want)
		}
	}
}
