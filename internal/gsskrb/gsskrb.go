// Package gsskrb holds the pieces of the GSS-API Kerberos V5 mechanism
// (RFC 4121) and of SPNEGO (RFC 4178) that WinRM needs and
// github.com/jcmturner/gokrb5/v8 lacks: building an AP-REQ with a subkey
// and the GSS checksum, building and checking the AP-REP of mutual
// authentication, KRB-ERROR tokens, and wrap tokens with confidentiality in
// the layout Windows and MIT's gss_wrap_iov use for WinRM message
// encryption (the header, the encrypted header copy and the checksum
// rotated in front of the data: RRC = 16 + checksum size, EC = 0).
//
// Both remotectl's WinRM client (remote/winrm) and the WS-Management test
// server (remote/remotetest) use it; the server's side is proven against
// MIT Kerberos clients (pywinrm with requests-kerberos, python-gssapi).
package gsskrb

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Mechanism object identifiers.
var (
	OIDKRB5   = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	OIDMSKRB5 = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2} // Microsoft's legacy one
	OIDSPNEGO = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
)

// Token identifiers of the Kerberos mechanism's context tokens.
var (
	TokAPReq    = [2]byte{0x01, 0x00}
	TokAPRep    = [2]byte{0x02, 0x00}
	TokKRBError = [2]byte{0x03, 0x00}
)

// GSS-API context flags (RFC 4121 4.1.1.1), carried in the authenticator
// checksum.
const (
	FlagDeleg    = 1
	FlagMutual   = 2
	FlagReplay   = 4
	FlagSequence = 8
	FlagConf     = 16
	FlagInteg    = 32
)

// checksumTypeGSS is the authenticator checksum type of GSS-API (0x8003).
const checksumTypeGSS = 0x8003

// Frame wraps a Kerberos message in a GSS-API InitialContextToken of the
// Kerberos mechanism (RFC 2743 3.1, RFC 4121 4.1).
func Frame(tok [2]byte, msg []byte) []byte {
	oid, _ := asn1.Marshal(OIDKRB5)
	b := append(append(oid, tok[:]...), msg...)
	return asn1tools.AddASNAppTag(b, 0)
}

// Unframe parses a GSS-API InitialContextToken: its mechanism and the
// inner token. For the Kerberos mechanisms the inner token starts with the
// two-byte token identifier.
func Unframe(b []byte) (mech asn1.ObjectIdentifier, inner []byte, err error) {
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(b, &raw); err != nil || raw.Class != asn1.ClassApplication || raw.Tag != 0 {
		return nil, nil, errors.New("not a GSS-API initial context token")
	}
	rest, err := asn1.Unmarshal(raw.Bytes, &mech)
	if err != nil {
		return nil, nil, fmt.Errorf("GSS-API token mechanism: %w", err)
	}
	return mech, rest, nil
}

// IsKerberos reports whether oid names the Kerberos mechanism (either OID).
func IsKerberos(oid asn1.ObjectIdentifier) bool {
	return oid.Equal(OIDKRB5) || oid.Equal(OIDMSKRB5)
}

// SplitKerberos unframes a Kerberos mechanism token into its identifier and
// message.
func SplitKerberos(b []byte) (tok [2]byte, msg []byte, err error) {
	mech, inner, err := Unframe(b)
	if err != nil {
		return tok, nil, err
	}
	if !IsKerberos(mech) {
		return tok, nil, fmt.Errorf("the token's mechanism is %s, not Kerberos", mech)
	}
	if len(inner) < 2 {
		return tok, nil, errors.New("the Kerberos token is truncated")
	}
	copy(tok[:], inner)
	return tok, inner[2:], nil
}

// authenticatorChecksum is the GSS-API checksum of an authenticator (RFC
// 4121 4.1.1): no channel bindings, the context flags.
func authenticatorChecksum(flags uint32) types.Checksum {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[:4], 16)
	binary.LittleEndian.PutUint32(b[20:24], flags)
	return types.Checksum{CksumType: checksumTypeGSS, Checksum: b}
}

// ChecksumFlags returns the context flags of an authenticator checksum,
// false when it is not a GSS-API one.
func ChecksumFlags(c types.Checksum) (uint32, bool) {
	if c.CksumType != checksumTypeGSS || len(c.Checksum) < 24 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(c.Checksum[20:24]), true
}

// Context is an established security context: the key and sequence
// numbers of wrap tokens. Its methods are not safe for concurrent use (one
// HTTP connection uses it, one message at a time).
type Context struct {
	key            types.EncryptionKey
	acceptor       bool // this side accepted the context
	acceptorSubkey bool // key is the acceptor's subkey
	sendSeq        uint64
}

// NewContext returns the context of one side: key protects the wrap
// tokens, acceptorSubkey says it came from the AP-REP, sendSeq is this
// side's initial sequence number.
func NewContext(key types.EncryptionKey, acceptor, acceptorSubkey bool, sendSeq uint64) (*Context, error) {
	if !wrapSupported(key.KeyType) {
		return nil, fmt.Errorf("message encryption needs an AES session key, not encryption type %d (enable AES for the accounts, or use HTTPS)", key.KeyType)
	}
	return &Context{key: key, acceptor: acceptor, acceptorSubkey: acceptorSubkey, sendSeq: sendSeq}, nil
}

// wrapSupported reports whether wrap tokens of RFC 4121 are implemented
// for an encryption type: the AES ones (RFC 3962, RFC 8009).
func wrapSupported(etype int32) bool {
	switch etype {
	case 17, 18, 19, 20:
		return true
	}
	return false
}

// Wrap-token flags (RFC 4121 4.2.2).
const (
	wrapSentByAcceptor = 1
	wrapSealed         = 2
	wrapAcceptorSubkey = 4
	wrapHeaderSize     = 16
)

// Wrap encrypts and protects msg in a wrap token, split as WinRM sends it:
// header is the token header with the rotated encrypted header copy,
// checksum and confounder; sealed is the encrypted message, as long as msg.
func (c *Context) Wrap(msg []byte) (sealed, header []byte, err error) {
	et, err := crypto.GetEtype(c.key.KeyType)
	if err != nil {
		return nil, nil, err
	}
	var flags byte = wrapSealed
	usage := uint32(keyusage.GSSAPI_INITIATOR_SEAL)
	if c.acceptor {
		flags |= wrapSentByAcceptor
		usage = keyusage.GSSAPI_ACCEPTOR_SEAL
	}
	if c.acceptorSubkey {
		flags |= wrapAcceptorSubkey
	}
	hdr := make([]byte, wrapHeaderSize)
	hdr[0], hdr[1], hdr[2], hdr[3] = 0x05, 0x04, flags, 0xff
	binary.BigEndian.PutUint64(hdr[8:], c.sendSeq)
	c.sendSeq++
	plain := append(append(make([]byte, 0, len(msg)+wrapHeaderSize), msg...), hdr...)
	_, ct, err := et.EncryptMessage(c.key.KeyValue, plain, usage)
	if err != nil {
		return nil, nil, err
	}
	rrc := wrapHeaderSize + et.GetHMACBitLength()/8
	binary.BigEndian.PutUint16(hdr[6:], uint16(rrc))
	rotated := append(append(make([]byte, 0, len(ct)), ct[len(ct)-rrc:]...), ct[:len(ct)-rrc]...)
	token := append(hdr, rotated...)
	split := wrapHeaderSize + rrc + et.GetConfounderByteSize()
	return token[split:], token[:split], nil
}

// Unwrap checks and decrypts a wrap token sent by the other side, given
// as WinRM carries it (header, then the encrypted data); any rotation and
// filler the sender chose are accepted.
func (c *Context) Unwrap(sealed, header []byte) ([]byte, error) {
	token := append(append(make([]byte, 0, len(header)+len(sealed)), header...), sealed...)
	if len(token) < wrapHeaderSize || token[0] != 0x05 || token[1] != 0x04 || token[3] != 0xff {
		return nil, errors.New("not a Kerberos wrap token")
	}
	flags := token[2]
	if flags&wrapSealed == 0 {
		return nil, errors.New("the wrap token is not encrypted")
	}
	if (flags&wrapSentByAcceptor != 0) == c.acceptor {
		return nil, errors.New("the wrap token was sent by this side of the context (reflected)")
	}
	et, err := crypto.GetEtype(c.key.KeyType)
	if err != nil {
		return nil, err
	}
	usage := uint32(keyusage.GSSAPI_ACCEPTOR_SEAL)
	if c.acceptor {
		usage = keyusage.GSSAPI_INITIATOR_SEAL
	}
	ec := int(binary.BigEndian.Uint16(token[4:6]))
	rrc := int(binary.BigEndian.Uint16(token[6:8]))
	body := token[wrapHeaderSize:]
	if len(body) == 0 {
		return nil, errors.New("the wrap token is empty")
	}
	rrc %= len(body)
	ct := append(append(make([]byte, 0, len(body)), body[rrc:]...), body[:rrc]...)
	plain, err := et.DecryptMessage(c.key.KeyValue, ct, usage)
	if err != nil {
		return nil, fmt.Errorf("decrypting the wrap token: %w", err)
	}
	if len(plain) < ec+wrapHeaderSize {
		return nil, errors.New("the wrap token's plaintext is truncated")
	}
	copyHdr := plain[len(plain)-wrapHeaderSize:]
	want := append([]byte(nil), token[:wrapHeaderSize]...)
	want[6], want[7] = 0, 0 // the RRC of the encrypted copy is zero
	if !bytes.Equal(copyHdr, want) {
		return nil, errors.New("the wrap token's header does not match its encrypted copy")
	}
	return plain[:len(plain)-ec-wrapHeaderSize], nil
}

// randomSeq returns a random initial sequence number (30 bits, as MIT's).
func randomSeq() uint64 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return uint64(binary.BigEndian.Uint32(b[:]) & 0x3fffffff)
}

// microseconds returns t's microseconds within its second.
func microseconds(t time.Time) int {
	return t.Nanosecond() / int(time.Microsecond)
}
