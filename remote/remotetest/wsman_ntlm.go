package remotetest

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/crypto/md4"
)

// This file is the server side of NTLM (MS-NLMP) as Windows' WinRM listener
// uses it over HTTP: raw NTLM tokens in "Authorization: Negotiate" (or
// "NTLM"), connection-oriented, NTLMv2 only, with the message integrity code
// and TLS channel bindings verified when the client sends them, and the
// signing and sealing keys that message encryption needs.

// NTLM message types.
const (
	ntlmTypeNegotiate    = 1
	ntlmTypeChallenge    = 2
	ntlmTypeAuthenticate = 3
)

var ntlmSignature = []byte("NTLMSSP\x00")

// Negotiate flags (MS-NLMP 2.2.2.5).
const (
	ntlmNegotiateUnicode    uint32 = 0x00000001
	ntlmNegotiateOEM        uint32 = 0x00000002
	ntlmRequestTarget       uint32 = 0x00000004
	ntlmNegotiateSign       uint32 = 0x00000010
	ntlmNegotiateSeal       uint32 = 0x00000020
	ntlmNegotiateNTLM       uint32 = 0x00000200
	ntlmNegotiateAlwaysSign uint32 = 0x00008000
	ntlmTargetTypeDomain    uint32 = 0x00010000
	ntlmTargetTypeServer    uint32 = 0x00020000
	ntlmNegotiateESS        uint32 = 0x00080000 // extended session security
	ntlmNegotiateTargetInfo uint32 = 0x00800000
	ntlmNegotiateVersion    uint32 = 0x02000000
	ntlmNegotiate128        uint32 = 0x20000000
	ntlmNegotiateKeyExch    uint32 = 0x40000000
	ntlmNegotiate56         uint32 = 0x80000000
)

// AV_PAIR identifiers (MS-NLMP 2.2.2.1).
const (
	ntlmAvEOL              = 0
	ntlmAvNbComputerName   = 1
	ntlmAvNbDomainName     = 2
	ntlmAvDNSComputerName  = 3
	ntlmAvDNSDomainName    = 4
	ntlmAvFlags            = 6
	ntlmAvTimestamp        = 7
	ntlmAvChannelBindings  = 10
	ntlmAvFlagMICProvided  = 0x2
	ntlmAuthenticateHeader = 64 // fixed part of AUTHENTICATE, without Version and MIC
	ntlmMICOffset          = 72
	ntlmChallengeHeader    = 56
	ntlmV2BlobHeader       = 28 // NTLMv2_CLIENT_CHALLENGE up to its AV pairs
)

// ntlmServerVersion is the VERSION of Windows Server 2019 (10.0.17763),
// NTLM revision 15.
var ntlmServerVersion = []byte{10, 0, 0x63, 0x45, 0, 0, 0, 15}

// Sign and seal key derivation constants (MS-NLMP 3.4.5.2, 3.4.5.3).
var (
	ntlmClientSigning = []byte("session key to client-to-server signing key magic constant\x00")
	ntlmServerSigning = []byte("session key to server-to-client signing key magic constant\x00")
	ntlmClientSealing = []byte("session key to client-to-server sealing key magic constant\x00")
	ntlmServerSealing = []byte("session key to server-to-client sealing key magic constant\x00")
)

// ntlmMessageType returns the type of an NTLM message, 0 if it is not one.
func ntlmMessageType(msg []byte) int {
	if len(msg) < 12 || !bytes.Equal(msg[:8], ntlmSignature) {
		return 0
	}
	return int(binary.LittleEndian.Uint32(msg[8:12]))
}

// ntlmAcceptor authenticates the one account of a WSManServer.
type ntlmAcceptor struct {
	user, password string
	domain         string // NetBIOS domain; "" for a workgroup server
	computer       string // NetBIOS computer name
	// channelBinding is the MD5 of the gss_channel_bindings_struct of the
	// server's TLS certificate; nil when the server has no TLS.
	channelBinding []byte
}

// ntlmChallenge is a handshake in progress on one connection.
type ntlmChallenge struct {
	negotiate       []byte // the client's NEGOTIATE, for the MIC
	message         []byte // the CHALLENGE sent
	serverChallenge []byte
	flags           uint32
}

// challenge answers a NEGOTIATE message.
func (a *ntlmAcceptor) challenge(negotiate []byte) (*ntlmChallenge, error) {
	if ntlmMessageType(negotiate) != ntlmTypeNegotiate || len(negotiate) < 16 {
		return nil, errors.New("malformed NTLM NEGOTIATE message")
	}
	flags := a.challengeFlags(binary.LittleEndian.Uint32(negotiate[12:16]))
	serverChallenge := make([]byte, 8)
	_, _ = rand.Read(serverChallenge)
	return &ntlmChallenge{
		negotiate:       bytes.Clone(negotiate),
		message:         a.challengeMessage(flags, serverChallenge, time.Now()),
		serverChallenge: serverChallenge,
		flags:           flags,
	}, nil
}

// challengeFlags chooses the CHALLENGE flags from the client's: what both
// support, NTLMv2 only (never LM_KEY), signing and sealing only with
// extended session security.
func (a *ntlmAcceptor) challengeFlags(client uint32) uint32 {
	flags := ntlmRequestTarget | ntlmNegotiateNTLM | ntlmNegotiateTargetInfo
	if a.domain != "" {
		flags |= ntlmTargetTypeDomain
	} else {
		flags |= ntlmTargetTypeServer
	}
	if client&ntlmNegotiateUnicode != 0 {
		flags |= ntlmNegotiateUnicode
	} else {
		flags |= ntlmNegotiateOEM
	}
	flags |= client & (ntlmNegotiateAlwaysSign | ntlmNegotiateESS | ntlmNegotiateVersion |
		ntlmNegotiate128 | ntlmNegotiate56 | ntlmNegotiateKeyExch)
	if client&ntlmNegotiateESS != 0 {
		flags |= client & (ntlmNegotiateSign | ntlmNegotiateSeal)
	}
	return flags
}

// challengeMessage builds the CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2).
func (a *ntlmAcceptor) challengeMessage(flags uint32, serverChallenge []byte, now time.Time) []byte {
	name := encodeNTLMString(a.targetName(), flags&ntlmNegotiateUnicode != 0)
	info := a.targetInfo(now)
	msg := make([]byte, ntlmChallengeHeader, ntlmChallengeHeader+len(name)+len(info))
	copy(msg, ntlmSignature)
	binary.LittleEndian.PutUint32(msg[8:], ntlmTypeChallenge)
	putNTLMField(msg[12:], len(name), ntlmChallengeHeader)
	binary.LittleEndian.PutUint32(msg[20:], flags)
	copy(msg[24:32], serverChallenge)
	putNTLMField(msg[40:], len(info), ntlmChallengeHeader+len(name))
	copy(msg[48:56], ntlmServerVersion)
	msg = append(msg, name...)
	return append(msg, info...)
}

// targetName is the authentication realm: the domain, or the computer of a
// workgroup server.
func (a *ntlmAcceptor) targetName() string {
	if a.domain != "" {
		return strings.ToUpper(a.domain)
	}
	return a.computer
}

// targetInfo builds the AV pairs Windows sends; the timestamp makes NTLMv2
// clients add a MIC.
func (a *ntlmAcceptor) targetInfo(now time.Time) []byte {
	var b []byte
	add := func(id uint16, value []byte) {
		b = binary.LittleEndian.AppendUint16(b, id)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(value)))
		b = append(b, value...)
	}
	computer := strings.ToLower(a.computer)
	dnsDomain := computer
	if a.domain != "" {
		dnsDomain = strings.ToLower(a.domain)
	}
	add(ntlmAvNbDomainName, encodeNTLMString(a.targetName(), true))
	add(ntlmAvNbComputerName, encodeNTLMString(a.computer, true))
	add(ntlmAvDNSDomainName, encodeNTLMString(dnsDomain, true))
	add(ntlmAvDNSComputerName, encodeNTLMString(computer, true))
	add(ntlmAvTimestamp, binary.LittleEndian.AppendUint64(nil, windowsFileTime(now)))
	add(ntlmAvEOL, nil)
	return b
}

// domainMatches accepts the domain names a client may give for the
// server's accounts.
func (a *ntlmAcceptor) domainMatches(domain string) bool {
	return domain == "" || domain == "." || strings.EqualFold(domain, a.computer) ||
		(a.domain != "" && strings.EqualFold(domain, a.domain))
}

// authenticate verifies an AUTHENTICATE message against the pending
// challenge. It returns the security context for signing and sealing, nil
// when the client negotiated neither.
func (a *ntlmAcceptor) authenticate(ch *ntlmChallenge, msg []byte, overTLS bool) (*ntlmSession, error) {
	am, err := parseNTLMAuthenticate(msg)
	if err != nil {
		return nil, err
	}
	switch n := len(am.ntResponse); {
	case n == 24:
		return nil, errors.New("NTLMv1 response refused: this server accepts NTLMv2 only (LmCompatibilityLevel 5)")
	case n < 16+ntlmV2BlobHeader:
		return nil, fmt.Errorf("NTLMv2 response of %d bytes is too short", n)
	}
	if !strings.EqualFold(am.user, a.user) || !a.domainMatches(am.domain) {
		return nil, fmt.Errorf("unknown account %q (domain %q)", am.user, am.domain)
	}
	responseKey := ntowfv2(a.password, am.user, am.domain)
	proof, blob := am.ntResponse[:16], am.ntResponse[16:]
	if !hmac.Equal(proof, hmacMD5(responseKey, ch.serverChallenge, blob)) {
		return nil, fmt.Errorf("wrong password for %q: the NTLMv2 proof does not verify", am.user)
	}
	flags := am.flags & ch.flags
	exportedKey := hmacMD5(responseKey, proof) // the session base key, = key exchange key for NTLMv2
	if flags&ntlmNegotiateKeyExch != 0 {
		if len(am.encryptedKey) != 16 {
			return nil, errors.New("NTLM key exchange negotiated but the encrypted session key is missing")
		}
		exportedKey = rc4XOR(exportedKey, am.encryptedKey)
	}
	pairs, err := parseAVPairs(blob[ntlmV2BlobHeader:])
	if err != nil {
		return nil, err
	}
	if err := verifyMIC(pairs, ch, msg, am, exportedKey); err != nil {
		return nil, err
	}
	if err := a.verifyChannelBinding(pairs, overTLS); err != nil {
		return nil, err
	}
	if flags&(ntlmNegotiateSign|ntlmNegotiateSeal) == 0 {
		return nil, nil
	}
	return newNTLMSession(flags, exportedKey), nil
}

// verifyMIC checks the message integrity code when the client says it sent
// one (MsvAvFlags bit 0x2), as Windows does.
func verifyMIC(pairs map[uint16][]byte, ch *ntlmChallenge, msg []byte, am *ntlmAuthenticateMessage, exportedKey []byte) error {
	v, ok := pairs[ntlmAvFlags]
	if !ok || len(v) != 4 || binary.LittleEndian.Uint32(v)&ntlmAvFlagMICProvided == 0 {
		return nil
	}
	if am.payloadStart < ntlmMICOffset+16 {
		return errors.New("NTLM AUTHENTICATE announces a MIC but has no room for one")
	}
	zeroed := bytes.Clone(msg)
	clear(zeroed[ntlmMICOffset : ntlmMICOffset+16])
	want := hmacMD5(exportedKey, ch.negotiate, ch.message, zeroed)
	if !hmac.Equal(want, msg[ntlmMICOffset:ntlmMICOffset+16]) {
		return errors.New("NTLM message integrity code does not verify (messages altered in transit?)")
	}
	return nil
}

// verifyChannelBinding checks the client's channel binding token against
// the server's TLS certificate when the client sent one (Windows'
// CbtHardeningLevel=Relaxed).
func (a *ntlmAcceptor) verifyChannelBinding(pairs map[uint16][]byte, overTLS bool) error {
	cb, ok := pairs[ntlmAvChannelBindings]
	if !ok || !overTLS || a.channelBinding == nil || bytes.Equal(cb, make([]byte, len(cb))) {
		return nil
	}
	if !hmac.Equal(cb, a.channelBinding) {
		return errors.New("NTLM channel binding token does not match the server's TLS certificate (a TLS-intercepting proxy in between?)")
	}
	return nil
}

// ntlmAuthenticateMessage is a decoded AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3).
type ntlmAuthenticateMessage struct {
	lmResponse, ntResponse    []byte
	domain, user, workstation string
	encryptedKey              []byte
	flags                     uint32
	payloadStart              int // lowest payload offset: Version and MIC lie before it
}

// parseNTLMAuthenticate decodes an AUTHENTICATE message, checking every
// field lies inside it.
func parseNTLMAuthenticate(msg []byte) (*ntlmAuthenticateMessage, error) {
	if ntlmMessageType(msg) != ntlmTypeAuthenticate || len(msg) < ntlmAuthenticateHeader {
		return nil, errors.New("malformed NTLM AUTHENTICATE message")
	}
	am := &ntlmAuthenticateMessage{flags: binary.LittleEndian.Uint32(msg[60:64]), payloadStart: len(msg)}
	fields := []*[]byte{&am.lmResponse, &am.ntResponse, nil, nil, nil, &am.encryptedKey}
	names := make([][]byte, 3)
	for i := range fields {
		value, offset, err := ntlmField(msg, 12+8*i)
		if err != nil {
			return nil, err
		}
		if len(value) > 0 {
			am.payloadStart = min(am.payloadStart, offset)
		}
		if fields[i] != nil {
			*fields[i] = value
		} else {
			names[i-2] = value
		}
	}
	unicode := am.flags&ntlmNegotiateUnicode != 0
	var err error
	if am.domain, err = decodeNTLMString(names[0], unicode); err != nil {
		return nil, err
	}
	if am.user, err = decodeNTLMString(names[1], unicode); err != nil {
		return nil, err
	}
	if am.workstation, err = decodeNTLMString(names[2], unicode); err != nil {
		return nil, err
	}
	return am, nil
}

// ntlmField reads the (length, max length, offset) field at off.
func ntlmField(msg []byte, off int) (value []byte, offset int, err error) {
	n := int(binary.LittleEndian.Uint16(msg[off:]))
	start := int64(binary.LittleEndian.Uint32(msg[off+4:]))
	if n == 0 {
		return nil, 0, nil
	}
	if start < ntlmAuthenticateHeader || start+int64(n) > int64(len(msg)) {
		return nil, 0, fmt.Errorf("malformed NTLM AUTHENTICATE message: field at %d points outside the message", off)
	}
	return msg[start : start+int64(n)], int(start), nil
}

// parseAVPairs decodes an AV_PAIR list up to MsvAvEOL.
func parseAVPairs(b []byte) (map[uint16][]byte, error) {
	pairs := map[uint16][]byte{}
	for len(b) >= 4 {
		id, n := binary.LittleEndian.Uint16(b), int(binary.LittleEndian.Uint16(b[2:]))
		if id == ntlmAvEOL {
			return pairs, nil
		}
		if len(b) < 4+n {
			break
		}
		pairs[id] = b[4 : 4+n]
		b = b[4+n:]
	}
	return nil, errors.New("malformed NTLMv2 response: AV pairs are truncated")
}

// ntlmSession is the server's half of an NTLM security context with
// extended session security: GSS_WrapEx / GSS_UnwrapEx (MS-NLMP 3.4).
type ntlmSession struct {
	flags              uint32
	sendSign, recvSign []byte
	sendSeal, recvSeal *rc4.Cipher
	sendSeq, recvSeq   uint32
}

// newNTLMSession derives the server's signing and sealing keys.
func newNTLMSession(flags uint32, exportedKey []byte) *ntlmSession {
	sealKey := func(magic []byte) []byte {
		key := exportedKey[:5]
		switch {
		case flags&ntlmNegotiate128 != 0:
			key = exportedKey
		case flags&ntlmNegotiate56 != 0:
			key = exportedKey[:7]
		}
		return md5Sum(key, magic)
	}
	send, _ := rc4.NewCipher(sealKey(ntlmServerSealing))
	recv, _ := rc4.NewCipher(sealKey(ntlmClientSealing))
	return &ntlmSession{
		flags:    flags,
		sendSign: md5Sum(exportedKey, ntlmServerSigning),
		recvSign: md5Sum(exportedKey, ntlmClientSigning),
		sendSeal: send,
		recvSeal: recv,
	}
}

// canSeal reports whether the context negotiated confidentiality.
func (s *ntlmSession) canSeal() bool { return s.flags&ntlmNegotiateSeal != 0 }

// wrap seals msg and signs it; it returns the sealed bytes and the 16-byte
// signature.
func (s *ntlmSession) wrap(msg []byte) (sealed, signature []byte) {
	sealed = make([]byte, len(msg))
	s.sendSeal.XORKeyStream(sealed, msg)
	signature = s.signature(msg, s.sendSign, s.sendSeal, s.sendSeq)
	s.sendSeq++
	return sealed, signature
}

// unwrap unseals a message and verifies its signature and sequence number.
func (s *ntlmSession) unwrap(sealed, signature []byte) ([]byte, error) {
	if len(signature) != 16 {
		return nil, fmt.Errorf("NTLM signature of %d bytes, want 16", len(signature))
	}
	msg := make([]byte, len(sealed))
	s.recvSeal.XORKeyStream(msg, sealed)
	want := s.signature(msg, s.recvSign, s.recvSeal, s.recvSeq)
	if !hmac.Equal(want[4:12], signature[4:12]) {
		return nil, errors.New("NTLM-sealed message: the signature does not verify (wrong security context or altered message)")
	}
	if got := binary.LittleEndian.Uint32(signature[12:]); got != s.recvSeq {
		return nil, fmt.Errorf("NTLM-sealed message: sequence number %d, want %d (replayed or reordered)", got, s.recvSeq)
	}
	s.recvSeq++
	return msg, nil
}

// signature is an NTLMSSP_MESSAGE_SIGNATURE with extended session security:
// version 1, the first 8 bytes of HMAC-MD5(seq||msg), RC4-encrypted under
// key exchange, and the sequence number.
func (s *ntlmSession) signature(msg, signKey []byte, seal *rc4.Cipher, seq uint32) []byte {
	seqBytes := binary.LittleEndian.AppendUint32(nil, seq)
	checksum := hmacMD5(signKey, seqBytes, msg)[:8]
	if s.flags&ntlmNegotiateKeyExch != 0 {
		seal.XORKeyStream(checksum, checksum)
	}
	sig := binary.LittleEndian.AppendUint32(make([]byte, 0, 16), 1)
	sig = append(sig, checksum...)
	return append(sig, seqBytes...)
}

// ntowfv2 is NTOWFv2: HMAC-MD5(MD4(UTF-16LE(password)), UTF-16LE(upper(user)+domain)).
func ntowfv2(password, user, domain string) []byte {
	h := md4.New()
	h.Write(encodeNTLMString(password, true))
	return hmacMD5(h.Sum(nil), encodeNTLMString(strings.ToUpper(user)+domain, true))
}

func hmacMD5(key []byte, parts ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func md5Sum(parts ...[]byte) []byte {
	h := md5.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func rc4XOR(key, data []byte) []byte {
	c, _ := rc4.NewCipher(key)
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// encodeNTLMString encodes s as UTF-16LE, or as OEM bytes (Latin-1 here).
func encodeNTLMString(s string, unicode bool) []byte {
	if !unicode {
		b := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 0xff {
				r = '?'
			}
			b = append(b, byte(r))
		}
		return b
	}
	b := make([]byte, 0, 2*len(s))
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// decodeNTLMString is the inverse of encodeNTLMString.
func decodeNTLMString(b []byte, unicode bool) (string, error) {
	if !unicode {
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	if len(b)%2 != 0 {
		return "", errors.New("malformed NTLM message: odd-length UTF-16 string")
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

// putNTLMField writes a (length, max length, offset) field.
func putNTLMField(b []byte, n, offset int) {
	binary.LittleEndian.PutUint16(b, uint16(n))
	binary.LittleEndian.PutUint16(b[2:], uint16(n))
	binary.LittleEndian.PutUint32(b[4:], uint32(offset))
}

// windowsFileTime converts t to a FILETIME: 100ns intervals since 1601.
func windowsFileTime(t time.Time) uint64 {
	return uint64(t.UnixNano()/100) + 116444736000000000
}
