package gsskrb

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// These unit tests cover the pieces on their own; interoperability with MIT
// Kerberos (pywinrm, requests-kerberos, python-gssapi's gss_wrap_iov) is
// proven in remote/remotetest and remote/winrm against a real KDC.

const testRealm = "T.TEST"

// testTicket issues a service ticket for HTTP/host.t.test, encrypted with
// the keys of a keytab made from a password, as a KDC would.
func testTicket(t *testing.T, etype int32, now time.Time) (*keytab.Keytab, messages.Ticket, types.EncryptionKey, types.PrincipalName) {
	t.Helper()
	kt := keytab.New()
	if err := kt.AddEntry("HTTP/host.t.test", testRealm, "service-secret", now, 1, etype); err != nil {
		t.Fatal(err)
	}
	cname := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "alice")
	sname := types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "HTTP/host.t.test")
	tkt, key, err := messages.NewTicket(cname, testRealm, sname, testRealm, asn1.BitString{Bytes: make([]byte, 4), BitLength: 32},
		kt, etype, 1, now, now, now.Add(time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return kt, tkt, key, cname
}

// establish runs AP-REQ / AP-REP and returns both sides' contexts.
func establish(t *testing.T, etype int32, subkey bool) (initiator, acceptor *Context) {
	t.Helper()
	now := time.Now().UTC()
	kt, tkt, key, cname := testTicket(t, etype, now)
	in, err := Initiate(tkt, key, testRealm, cname, FlagMutual|FlagInteg|FlagConf)
	if err != nil {
		t.Fatal(err)
	}
	tok, msg, err := SplitKerberos(in.Token)
	if err != nil || tok != TokAPReq {
		t.Fatalf("AP-REQ token: %x, %v", tok, err)
	}
	acc, err := Accept(msg, kt, AcceptOptions{Now: now, MaxSkew: 5 * time.Minute, AcceptorSubkey: subkey})
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	if acc.Principal() != "alice@"+testRealm || acc.Flags&FlagConf == 0 || acc.Reply == nil {
		t.Fatalf("acceptance: %s flags %#x reply %d bytes", acc.Principal(), acc.Flags, len(acc.Reply))
	}
	if err := in.Complete(acc.Reply); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if initiator, err = in.Context(); err != nil {
		t.Fatal(err)
	}
	if acceptor, err = acc.Context(); err != nil {
		t.Fatal(err)
	}
	return initiator, acceptor
}

func TestWrapBothWays(t *testing.T) {
	for _, c := range []struct {
		etype  int32
		subkey bool
	}{{17, false}, {18, false}, {19, false}, {18, true}} { // gokrb5's NewTicket makes short aes256-sha384 keys
		etype := c.etype
		ini, acc := establish(t, etype, c.subkey)
		if ini.acceptorSubkey != c.subkey || !bytes.Equal(ini.key.KeyValue, acc.key.KeyValue) {
			t.Fatalf("etype %d: the two sides' keys differ, or the acceptor subkey is not used (%v)", etype, c.subkey)
		}
		for i, msg := range [][]byte{[]byte("<s:Envelope/>"), bytes.Repeat([]byte("x"), 100000), {0}} {
			sealed, header, err := ini.Wrap(msg)
			if err != nil {
				t.Fatal(err)
			}
			if len(sealed) != len(msg) || bytes.Contains(sealed, []byte("Envelope")) {
				t.Errorf("etype %d message %d: sealed is %d bytes for %d, or readable", etype, i, len(sealed), len(msg))
			}
			got, err := acc.Unwrap(sealed, header)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("etype %d message %d: acceptor unwrap: %v", etype, i, err)
			}
			sealed, header, err = acc.Wrap(msg)
			if err != nil {
				t.Fatal(err)
			}
			if got, err = ini.Unwrap(sealed, header); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("etype %d message %d: initiator unwrap: %v", etype, i, err)
			}
		}
	}
}

func TestWrapLayoutAndTampering(t *testing.T) {
	ini, acc := establish(t, 18, false)
	sealed, header, err := ini.Wrap([]byte("hello world, sealed"))
	if err != nil {
		t.Fatal(err)
	}
	// Windows' layout for AES-SHA1: 16-byte header, RRC 28, EC 0, the
	// confounder: 60 bytes before the data.
	if len(header) != 60 || header[0] != 0x05 || header[1] != 0x04 || header[6] != 0 || header[7] != 28 || header[4] != 0 || header[5] != 0 {
		t.Errorf("header % x", header)
	}
	if _, err := ini.Unwrap(sealed, header); err == nil {
		t.Error("a token unwrapped by its own sender (reflection) was accepted")
	}
	bad := append([]byte(nil), sealed...)
	bad[3] ^= 1
	if _, err := acc.Unwrap(bad, header); err == nil {
		t.Error("a modified token was accepted")
	}
	badHeader := append([]byte(nil), header...)
	badHeader[15] ^= 1 // the sequence number, covered by the encrypted copy
	if _, err := acc.Unwrap(sealed, badHeader); err == nil {
		t.Error("a token with a modified header was accepted")
	}
}

func TestAcceptFailures(t *testing.T) {
	now := time.Now().UTC()
	kt, tkt, key, cname := testTicket(t, 18, now)
	in, err := Initiate(tkt, key, testRealm, cname, FlagMutual)
	if err != nil {
		t.Fatal(err)
	}
	_, msg, _ := SplitKerberos(in.Token)
	other := keytab.New()
	if err := other.AddEntry("HTTP/host.t.test", testRealm, "another-secret", now, 2, 18); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		kt   *keytab.Keytab
		now  time.Time
		code int32
	}{
		"clock skew":     {kt, now.Add(10 * time.Minute), 37},
		"expired ticket": {kt, now.Add(2 * time.Hour), 32},
		"wrong key":      {other, now, 41},
	} {
		_, err := Accept(msg, c.kt, AcceptOptions{Now: c.now, MaxSkew: 5 * time.Minute})
		var ke messages.KRBError
		if !errors.As(err, &ke) || ke.ErrorCode != c.code {
			t.Errorf("%s: %v, want KRB-ERROR %d", name, err, c.code)
			continue
		}
		// The KRB-ERROR token reaches the initiator as such.
		tok, err := ErrorToken(ke)
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Complete(tok); !errors.As(err, &ke) || ke.ErrorCode != c.code {
			t.Errorf("%s: Complete(error token) = %v", name, err)
		}
	}
}

func TestNegotiateTokens(t *testing.T) {
	mech := Frame(TokAPReq, []byte{0x6e, 0x00})
	init, err := SPNEGOInit(mech)
	if err != nil {
		t.Fatal(err)
	}
	n, err := ParseNegotiate(init)
	if err != nil || !n.SPNEGO || !n.Kerberos || n.State != -1 || !bytes.Equal(n.MechToken, mech) {
		t.Errorf("SPNEGO init: %+v, %v", n, err)
	}
	if n, err = ParseNegotiate(mech); err != nil || n.SPNEGO || !n.Kerberos || !bytes.Equal(n.MechToken, mech) {
		t.Errorf("bare Kerberos token: %+v, %v", n, err)
	}
	resp, err := SPNEGOResponse(NegAcceptCompleted, mech)
	if err != nil {
		t.Fatal(err)
	}
	if n, err = ParseNegotiate(resp); err != nil || !n.SPNEGO || !n.Kerberos || n.State != NegAcceptCompleted || !bytes.Equal(n.MechToken, mech) {
		t.Errorf("SPNEGO response: %+v, %v", n, err)
	}
	if _, err := ParseNegotiate([]byte("NTLMSSP\x00\x01")); err == nil {
		t.Error("an NTLM message parsed as a GSS-API token")
	}
}
