package remotetest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	azntlm "github.com/Azure/go-ntlmssp"
	"github.com/bodgit/ntlmssp"
)

// The acceptor is checked against two independent client implementations:
// bodgit/ntlmssp (NTLMv2 with MIC, key exchange, signing and sealing, the
// library masterzen/winrm seals with) and Azure/go-ntlmssp (NTLMv2
// authentication only, masterzen/winrm's ClientNTLM). pywinrm's ntlm-auth is
// the third, in the pywinrm tests.

const (
	testNTLMUser     = "tester"
	testNTLMPassword = "Secr3t-pässword"
)

func newTestAcceptor(channelBinding []byte) *ntlmAcceptor {
	return &ntlmAcceptor{user: testNTLMUser, password: testNTLMPassword, domain: "CORP", computer: wsmanComputerName, channelBinding: channelBinding}
}

func newBodgitClient(t *testing.T, user, password string, options ...func(*ntlmssp.Client) error) *ntlmssp.Client {
	t.Helper()
	options = append([]func(*ntlmssp.Client) error{ntlmssp.SetUserInfo(user, password), ntlmssp.SetVersion(ntlmssp.DefaultVersion())}, options...)
	c, err := ntlmssp.NewClient(options...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// bodgitHandshake runs NEGOTIATE, CHALLENGE and AUTHENTICATE; tamper may
// alter the AUTHENTICATE message on its way.
func bodgitHandshake(t *testing.T, a *ntlmAcceptor, c *ntlmssp.Client, bindings *ntlmssp.ChannelBindings, overTLS bool, tamper func([]byte)) (*ntlmSession, error) {
	t.Helper()
	negotiate, err := c.Authenticate(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := a.challenge(negotiate)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := c.Authenticate(ch.message, bindings)
	if err != nil {
		t.Fatalf("client rejects the server's CHALLENGE: %v", err)
	}
	if tamper != nil {
		tamper(auth)
	}
	return a.authenticate(ch, auth, overTLS)
}

func TestNTLMAcceptorSealing(t *testing.T) {
	t.Parallel()
	a := newTestAcceptor(nil)
	client := newBodgitClient(t, strings.ToUpper(testNTLMUser), testNTLMPassword)
	server, err := bodgitHandshake(t, a, client, nil, false, nil)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	if server == nil || !server.canSeal() {
		t.Fatal("no sealing context although the client negotiated sealing")
	}
	cs := client.SecuritySession()
	for i, msg := range []string{"<first/>", "", strings.Repeat("é", 5000)} {
		sealed, sig, err := cs.Wrap([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, []byte("first")) {
			t.Fatal("sealed message is in clear text")
		}
		got, err := server.unwrap(sealed, sig)
		if err != nil || string(got) != msg {
			t.Fatalf("request %d: unwrap = %q, %v", i, got, err)
		}
		sealed, sig = server.wrap([]byte("reply " + msg))
		back, err := cs.Unwrap(sealed, sig)
		if err != nil || string(back) != "reply "+msg {
			t.Fatalf("reply %d: client unwrap = %q, %v", i, back, err)
		}
	}
	sealed, sig, _ := cs.Wrap([]byte("once"))
	if _, err := server.unwrap(sealed, sig); err != nil {
		t.Fatal(err)
	}
	if _, err := server.unwrap(sealed, sig); err == nil {
		t.Error("a replayed sealed message was accepted")
	}
}

func TestNTLMSealedFraming(t *testing.T) {
	t.Parallel()
	client := newBodgitClient(t, testNTLMUser, testNTLMPassword)
	server, err := bodgitHandshake(t, newTestAcceptor(nil), client, nil, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := client.SecuritySession()
	// A request framed as pywinrm and masterzen/winrm frame it; the
	// ciphertext deliberately may contain the boundary.
	msg := []byte(`<env:Envelope>` + sealedBoundary + `</env:Envelope>`)
	sealed, sig, _ := cs.Wrap(msg)
	var body bytes.Buffer
	body.WriteString(sealedBoundary + "\r\n\tContent-Type: " + sealedProtocol + "\r\n")
	body.WriteString("\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + strconv.Itoa(len(msg)) + "\r\n")
	body.WriteString(sealedBoundary + "\r\n\tContent-Type: application/octet-stream\r\n")
	body.Write(binary.LittleEndian.AppendUint32(nil, 16))
	body.Write(sig)
	body.Write(sealed)
	body.WriteString(sealedBoundary + "--\r\n")
	got, err := unsealMessage(server, body.Bytes())
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("unsealMessage = %q, %v", got, err)
	}

	// The reply, taken apart the way pywinrm's encryption.py does it.
	reply := sealMessage(server, []byte("<s:Envelope/>"))
	parts := bytes.Split(reply, []byte(sealedBoundary+"\r\n"))
	if len(parts) != 3 || len(parts[0]) != 0 {
		t.Fatalf("reply framing: %q", reply)
	}
	header := bytes.TrimSpace(parts[1])
	if !bytes.HasSuffix(header, []byte("Length=13")) || !bytes.Contains(header, []byte("Content-Type: "+sealedProtocol)) {
		t.Errorf("reply header %q", header)
	}
	payload := bytes.TrimSuffix(parts[2], []byte(sealedBoundary+"--\r\n"))
	payload = bytes.TrimPrefix(payload, []byte("\tContent-Type: application/octet-stream\r\n"))
	n := binary.LittleEndian.Uint32(payload)
	plain, err := cs.Unwrap(payload[4+n:], payload[4:4+n])
	if err != nil || string(plain) != "<s:Envelope/>" {
		t.Errorf("client reads the reply as %q, %v", plain, err)
	}

	for name, bad := range map[string][]byte{
		"empty":            nil,
		"no boundary":      []byte("hello"),
		"short payload":    bytes.Replace(body.Bytes(), []byte("Length="+strconv.Itoa(len(msg))), []byte("Length=99999"), 1),
		"kerberos":         bytes.Replace(body.Bytes(), []byte(sealedProtocol), []byte("application/HTTP-Kerberos-session-encrypted"), 1),
		"no octet-stream":  bytes.Replace(body.Bytes(), []byte("octet-stream"), []byte("text/plain"), 1),
		"truncated at end": body.Bytes()[:body.Len()-len(sealedBoundary)-10],
	} {
		if _, err := parseSealedBody(bad); err == nil {
			t.Errorf("%s: parseSealedBody accepted it", name)
		}
	}
}

func TestNTLMAcceptorAuthentication(t *testing.T) {
	t.Parallel()
	binding := []byte("0123456789abcdef")
	good := &ntlmssp.ChannelBindings{ApplicationData: []byte("tls-server-end-point:hash")}
	goodHash := md5Sum(make([]byte, 16), binary.LittleEndian.AppendUint32(nil, uint32(len(good.ApplicationData))), good.ApplicationData)
	flip := func(off int) func([]byte) { return func(b []byte) { b[off] ^= 1 } }
	ntProofOffset := func(b []byte) int { return int(binary.LittleEndian.Uint32(b[24:])) }
	cases := []struct {
		name      string
		client    *ntlmssp.Client
		acceptor  *ntlmAcceptor
		bindings  *ntlmssp.ChannelBindings
		overTLS   bool
		tamper    func([]byte)
		wantError string
	}{
		{name: "domain user", client: newBodgitClient(t, testNTLMUser, testNTLMPassword, ntlmssp.SetDomain("corp")), acceptor: newTestAcceptor(nil)},
		{name: "wrong password", client: newBodgitClient(t, testNTLMUser, "wrong"), acceptor: newTestAcceptor(nil), wantError: "wrong password"},
		{name: "unknown user", client: newBodgitClient(t, "mallory", testNTLMPassword), acceptor: newTestAcceptor(nil), wantError: "unknown account"},
		{name: "foreign domain", client: newBodgitClient(t, testNTLMUser, testNTLMPassword, ntlmssp.SetDomain("EVIL")), acceptor: newTestAcceptor(nil), wantError: "unknown account"},
		{name: "NTLMv1", client: newBodgitClient(t, testNTLMUser, testNTLMPassword, ntlmssp.SetCompatibilityLevel(1)), acceptor: newTestAcceptor(nil), wantError: "NTLMv2 only"},
		{name: "channel binding matches", client: newBodgitClient(t, testNTLMUser, testNTLMPassword), acceptor: newTestAcceptor(goodHash), bindings: good, overTLS: true},
		{name: "channel binding differs", client: newBodgitClient(t, testNTLMUser, testNTLMPassword), acceptor: newTestAcceptor(binding), bindings: good, overTLS: true, wantError: "channel binding"},
		{name: "no channel binding sent", client: newBodgitClient(t, testNTLMUser, testNTLMPassword), acceptor: newTestAcceptor(binding), overTLS: true},
		{name: "MIC altered", client: newBodgitClient(t, testNTLMUser, testNTLMPassword), acceptor: newTestAcceptor(nil), tamper: flip(ntlmMICOffset + 3), wantError: "integrity"},
		{name: "flags altered", client: newBodgitClient(t, testNTLMUser, testNTLMPassword), acceptor: newTestAcceptor(nil), tamper: flip(61), wantError: "integrity"},
		{name: "proof altered", client: newBodgitClient(t, testNTLMUser, testNTLMPassword), acceptor: newTestAcceptor(nil), tamper: func(b []byte) { b[ntProofOffset(b)] ^= 1 }, wantError: "wrong password"},
		{name: "truncated", client: newBodgitClient(t, testNTLMUser, testNTLMPassword), acceptor: newTestAcceptor(nil), tamper: func(b []byte) { binary.LittleEndian.PutUint16(b[20:], 0xffff) }, wantError: "outside the message"},
	}
	for _, tc := range cases {
		_, err := bodgitHandshake(t, tc.acceptor, tc.client, tc.bindings, tc.overTLS, tc.tamper)
		switch {
		case tc.wantError == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantError != "" && (err == nil || !strings.Contains(err.Error(), tc.wantError)):
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.wantError)
		}
	}
}

func TestNTLMAcceptorAzureClient(t *testing.T) {
	t.Parallel()
	a := newTestAcceptor(nil)
	for _, tc := range []struct {
		user, password string
		ok             bool
	}{
		{testNTLMUser, testNTLMPassword, true},
		{`CORP\` + testNTLMUser, testNTLMPassword, true},
		{testNTLMUser, "wrong", false},
	} {
		negotiate, err := azntlm.NewNegotiateMessage("", "")
		if err != nil {
			t.Fatal(err)
		}
		ch, err := a.challenge(negotiate)
		if err != nil {
			t.Fatal(err)
		}
		auth, err := azntlm.NewAuthenticateMessage(ch.message, tc.user, tc.password, nil)
		if err != nil {
			t.Fatalf("go-ntlmssp rejects the CHALLENGE: %v", err)
		}
		sess, err := a.authenticate(ch, auth, false)
		if (err == nil) != tc.ok {
			t.Errorf("%s/%s: %v, want success %v", tc.user, tc.password, err, tc.ok)
		}
		if sess != nil {
			t.Errorf("%s: a security context without signing or sealing negotiated", tc.user)
		}
	}
}

func TestNTLMChallengeFlags(t *testing.T) {
	t.Parallel()
	a := newTestAcceptor(nil)
	cases := []struct {
		client, want, notWant uint32
	}{
		{ntlmNegotiateUnicode | ntlmNegotiateESS | ntlmNegotiateSeal | ntlmNegotiateSign | ntlmNegotiateKeyExch | ntlmNegotiate128,
			ntlmNegotiateUnicode | ntlmNegotiateSeal | ntlmNegotiateSign | ntlmNegotiateKeyExch | ntlmNegotiateTargetInfo | ntlmTargetTypeDomain, ntlmNegotiateOEM},
		{ntlmNegotiateOEM | ntlmNegotiateSeal | ntlmNegotiateSign, ntlmNegotiateOEM, ntlmNegotiateUnicode | ntlmNegotiateSeal | ntlmNegotiateSign},
		{ntlmNegotiateUnicode | 0x80 /* LM_KEY */, ntlmNegotiateUnicode, 0x80 | ntlmNegotiateKeyExch},
	}
	for _, tc := range cases {
		got := a.challengeFlags(tc.client)
		if got&tc.want != tc.want || got&tc.notWant != 0 {
			t.Errorf("challengeFlags(%#x) = %#x, want %#x set and %#x clear", tc.client, got, tc.want, tc.notWant)
		}
	}
	msg := a.challengeMessage(a.challengeFlags(ntlmNegotiateUnicode), make([]byte, 8), time.Now())
	if ntlmMessageType(msg) != ntlmTypeChallenge {
		t.Fatalf("challenge message type %d", ntlmMessageType(msg))
	}
	name, _, err := readChallengeField(msg, 12)
	if err != nil || string(name) != string(encodeNTLMString("CORP", true)) {
		t.Errorf("TargetName %q, %v", name, err)
	}
	info, _, err := readChallengeField(msg, 40)
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := parseAVPairs(info)
	if err != nil || len(pairs[ntlmAvTimestamp]) != 8 || string(pairs[ntlmAvNbComputerName]) != string(encodeNTLMString(wsmanComputerName, true)) {
		t.Errorf("TargetInfo %v, %v", pairs, err)
	}
}

// readChallengeField reads a (length, offset) field of a CHALLENGE message.
func readChallengeField(msg []byte, off int) ([]byte, int, error) {
	n := int(binary.LittleEndian.Uint16(msg[off:]))
	start := int(binary.LittleEndian.Uint32(msg[off+4:]))
	if start+n > len(msg) {
		return nil, 0, errors.New("field outside the message")
	}
	return msg[start : start+n], start, nil
}

func FuzzNTLMAuthenticate(f *testing.F) {
	a := newTestAcceptor(nil)
	client, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo(testNTLMUser, testNTLMPassword), ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	negotiate, _ := client.Authenticate(nil, nil)
	ch, _ := a.challenge(negotiate)
	auth, _ := client.Authenticate(ch.message, nil)
	f.Add(auth)
	f.Add([]byte("NTLMSSP\x00\x03\x00\x00\x00"))
	// The MIC covers the whole message and the NTLMv2 proof covers the
	// response that announces the MIC: no other message may pass.
	f.Fuzz(func(t *testing.T, msg []byte) {
		if _, err := a.authenticate(ch, msg, true); err == nil && !bytes.Equal(msg, auth) {
			t.Errorf("accepted an altered AUTHENTICATE message")
		}
	})
}

func FuzzParseSealedBody(f *testing.F) {
	f.Add([]byte(sealedBoundary + "\r\n\tContent-Type: " + sealedProtocol + "\r\n\tOriginalContent: type=x;Length=2\r\n" +
		sealedBoundary + "\r\n\tContent-Type: application/octet-stream\r\n\x10\x00\x00\x000123456789abcdefhi" + sealedBoundary + "--\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := parseSealedBody(body)
		for _, p := range parts {
			if err == nil && len(p.signature) != ntlmSignatureSize {
				t.Errorf("part with a %d-byte signature", len(p.signature))
			}
		}
	})
}
