package winrm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/bodgit/ntlmssp"
)

// NTLM message encryption over HTTP ([MS-WSMV] 2.2.9.1), as Windows and
// pywinrm do it: the connection is authenticated with an NTLM handshake on
// empty requests, then every message is sealed (RC4) and signed (HMAC-MD5
// with a sequence number) with the keys of that handshake and sent as
// multipart/encrypted. github.com/bodgit/ntlmssp provides the NTLM
// security session; the Azure library authenticates only.
//
// The winrm library's own implementation (NewEncryption) keeps one security
// session for all requests, so concurrent requests race on it and on the
// connection, and it ignores the endpoint's TLS settings. Here each channel
// (one connection, one request at a time) has its own handshake and
// session.

const (
	sealBoundary      = "--Encrypted Boundary"
	sealProtocol      = "application/HTTP-SPNEGO-session-encrypted"
	sealedContentType = `multipart/encrypted;protocol="` + sealProtocol + `";boundary="Encrypted Boundary"`
	octetStreamHeader = "\tContent-Type: application/octet-stream\r\n"
	// ntlmSignatureSize is the size of an NTLM message signature.
	ntlmSignatureSize = 16
	// maxSealHeader bounds the signature of a sealed part: 16 bytes for
	// NTLM, a Kerberos wrap token's header (60 bytes for AES-SHA1) for
	// Kerberos.
	maxSealHeader = 256
)

// postSealed sends msg sealed with the connection's security context,
// authenticating the connection first when it has none. A 401 to a sealed
// message on an authenticated channel means the connection was replaced
// (the server closed the idle one, net/http opened another): the server did
// not read the message, so it is sent again after a new handshake.
func (ch *channel) postSealed(ctx context.Context, msg string) (string, error) {
	fresh := false
	for {
		if ch.session == nil {
			if err := ch.handshake(ctx); err != nil {
				ch.broken = true
				return "", err
			}
			fresh = true
		}
		payload, err := sealMessage(ch.session, []byte(msg))
		if err != nil {
			ch.broken = true
			return "", err
		}
		r, err := ch.roundTrip(ctx, payload, sealedContentType, nil)
		if err != nil {
			return "", err
		}
		if r.status == http.StatusUnauthorized && !fresh {
			ch.session = nil
			continue
		}
		if isSealed(r.contentType) {
			plain, contentType, err := unsealMessage(ch.session, r.body)
			if err != nil {
				ch.broken = true
				return "", fmt.Errorf("decrypting the reply: %w", err)
			}
			r.body, r.contentType = plain, contentType
		} else if r.status != http.StatusOK {
			// The server did not use the security context for its reply
			// and may not have for the request: start afresh.
			ch.broken = true
		}
		return ch.h.interpret(r)
	}
}

// handshake authenticates the channel's connection with NTLM on empty
// requests and keeps the resulting security session. It tries the
// Negotiate scheme (what Windows offers and pywinrm uses), then NTLM.
func (ch *channel) handshake(ctx context.Context) error {
	if ch.h.krb != nil {
		return ch.kerberosHandshake(ctx)
	}
	user, domain := splitUser(ch.h.user)
	var lastErr error
	for _, scheme := range []string{"Negotiate", "NTLM"} {
		client, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(user, ch.h.password), ntlmssp.SetDomain(domain),
			ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
		if err != nil {
			return err
		}
		negotiate, err := client.Authenticate(nil, nil)
		if err != nil {
			return fmt.Errorf("NTLM negotiate message: %w", err)
		}
		r, err := ch.roundTrip(ctx, nil, soapContentType, authorization(scheme, negotiate))
		if err != nil {
			return err
		}
		challenge := challengeToken(r.header, scheme)
		if r.status != http.StatusUnauthorized || challenge == nil {
			lastErr = ch.handshakeRefused(r, scheme)
			if r.status == http.StatusUnauthorized && containsFold(authSchemes(r.header), "NTLM") {
				continue
			}
			return lastErr
		}
		authenticate, err := client.Authenticate(challenge, nil)
		if err != nil {
			return fmt.Errorf("NTLM challenge from the server: %w", err)
		}
		r, err = ch.roundTrip(ctx, nil, soapContentType, authorization(scheme, authenticate))
		if err != nil {
			return err
		}
		if r.status/100 != 2 {
			_, err := ch.h.interpret(r)
			return err
		}
		session := client.SecuritySession()
		if session == nil {
			return errors.New("the server did not agree to NTLM signing and sealing, which message encryption needs")
		}
		ch.session = session
		return nil
	}
	return lastErr
}

// handshakeRefused is the error for a negotiate leg not answered with a
// challenge.
func (ch *channel) handshakeRefused(r *reply, scheme string) error {
	if r.status == http.StatusUnauthorized {
		return &statusError{status: r.status, schemes: authSchemes(r.header), auth: ch.h.auth, user: ch.h.user}
	}
	if _, err := ch.h.interpret(r); err != nil {
		return err
	}
	return fmt.Errorf("the server accepted an unauthenticated %s request without a challenge: message encryption is impossible", scheme)
}

// authorization returns a request decorator setting an Authorization header.
func authorization(scheme string, token []byte) func(*http.Request) {
	value := scheme + " " + base64.StdEncoding.EncodeToString(token)
	return func(req *http.Request) { req.Header.Set("Authorization", value) }
}

// challengeToken returns the decoded token of the WWW-Authenticate challenge
// of scheme (or of NTLM), nil if there is none.
func challengeToken(h http.Header, scheme string) []byte {
	for _, v := range h.Values("Www-Authenticate") {
		for _, challenge := range splitOutsideQuotes(v) {
			name, token, ok := strings.Cut(strings.TrimSpace(challenge), " ")
			if !ok || !(strings.EqualFold(name, scheme) || strings.EqualFold(name, "NTLM")) {
				continue
			}
			if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token)); err == nil && len(b) > 0 {
				return b
			}
		}
	}
	return nil
}

// splitUser splits "DOMAIN\user" into its parts; "user@domain" (a UPN) and
// "user" have no separate domain.
func splitUser(user string) (name, domain string) {
	if d, u, ok := strings.Cut(user, `\`); ok {
		return u, d
	}
	return user, ""
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// isSealed reports whether a Content-Type is that of a sealed message.
func isSealed(contentType string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "multipart/encrypted") &&
		(strings.Contains(contentType, sealProtocol) || strings.Contains(contentType, "application/HTTP-Kerberos-session-encrypted"))
}

// sealMessage encrypts and signs msg and frames it as multipart/encrypted.
func sealMessage(s sealer, msg []byte) ([]byte, error) {
	sealed, signature, err := s.Wrap(msg)
	if err != nil {
		return nil, fmt.Errorf("sealing the message: %w", err)
	}
	return encodeSealed(signature, sealed, len(msg)), nil
}

// encodeSealed frames one sealed message ([MS-WSMV] 2.2.9.1.1).
func encodeSealed(signature, sealed []byte, length int) []byte {
	var b bytes.Buffer
	b.Grow(len(sealed) + len(signature) + 256)
	b.WriteString(sealBoundary + "\r\n")
	b.WriteString("\tContent-Type: " + sealProtocol + "\r\n")
	b.WriteString("\tOriginalContent: type=" + soapContentType + ";Length=" + strconv.Itoa(length) + "\r\n")
	b.WriteString(sealBoundary + "\r\n")
	b.WriteString(octetStreamHeader)
	var size [4]byte
	binary.LittleEndian.PutUint32(size[:], uint32(len(signature)))
	b.Write(size[:])
	b.Write(signature)
	b.Write(sealed)
	b.WriteString(sealBoundary + "--\r\n")
	return b.Bytes()
}

// sealedPart is one encrypted part of a multipart/encrypted message.
type sealedPart struct {
	contentType string // of the original message
	signature   []byte
	data        []byte // sealed; as long as the original
}

// decodeSealed parses a multipart/encrypted body into its parts. The
// length of each sealed payload is taken from its OriginalContent header
// (RC4 keeps lengths), so binary data is never searched for boundaries.
func decodeSealed(body []byte) ([]sealedPart, error) {
	var parts []sealedPart
	rest := body
	for {
		if bytes.HasPrefix(rest, []byte(sealBoundary+"--")) {
			if len(parts) == 0 {
				return nil, errors.New("the encrypted message has no part")
			}
			return parts, nil
		}
		part, next, err := decodeSealedPart(rest)
		if err != nil {
			return nil, err
		}
		parts = append(parts, part)
		rest = next
	}
}

func decodeSealedPart(b []byte) (sealedPart, []byte, error) {
	var p sealedPart
	open := []byte(sealBoundary + "\r\n")
	if !bytes.HasPrefix(b, open) {
		return p, nil, errors.New("the encrypted message does not start with its boundary")
	}
	b = b[len(open):]
	end := bytes.Index(b, open)
	if end < 0 {
		return p, nil, errors.New("the encrypted message has no payload part")
	}
	contentType, length, err := parseOriginalContent(string(b[:end]))
	if err != nil {
		return p, nil, err
	}
	b = b[end+len(open):]
	if !bytes.HasPrefix(b, []byte(octetStreamHeader)) {
		return p, nil, errors.New("the encrypted payload is not application/octet-stream")
	}
	b = b[len(octetStreamHeader):]
	if len(b) < 4 {
		return p, nil, errors.New("the encrypted payload is truncated")
	}
	sigLen := int(binary.LittleEndian.Uint32(b[:4]))
	b = b[4:]
	if sigLen < ntlmSignatureSize || sigLen > maxSealHeader || len(b) < sigLen+length {
		return p, nil, fmt.Errorf("the encrypted payload is malformed (signature of %d bytes, %d bytes left for %d)",
			sigLen, len(b), length)
	}
	p.contentType = contentType
	p.signature = b[:sigLen]
	p.data = b[sigLen : sigLen+length]
	return p, b[sigLen+length:], nil
}

// parseOriginalContent reads the type and length of the original message
// from the headers of an encrypted part
// ("\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=123").
func parseOriginalContent(headers string) (contentType string, length int, err error) {
	for _, line := range strings.Split(headers, "\r\n") {
		name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "OriginalContent") {
			continue
		}
		var params []string
		length = -1
		for _, field := range strings.Split(value, ";") {
			field = strings.TrimSpace(field)
			key, v, _ := strings.Cut(field, "=")
			switch strings.ToLower(key) {
			case "type":
				contentType = v
			case "length":
				if length, err = strconv.Atoi(v); err != nil || length < 0 {
					return "", 0, fmt.Errorf("bad length %q in the encrypted message", v)
				}
			default:
				params = append(params, field)
			}
		}
		if contentType == "" || length < 0 {
			break
		}
		if len(params) > 0 {
			contentType += ";" + strings.Join(params, ";")
		}
		return contentType, length, nil
	}
	return "", 0, errors.New("the encrypted message has no OriginalContent header with a type and a length")
}

// unsealMessage decrypts and checks a multipart/encrypted body; it returns
// the original message and its content type.
func unsealMessage(s sealer, body []byte) ([]byte, string, error) {
	parts, err := decodeSealed(body)
	if err != nil {
		return nil, "", err
	}
	var msg []byte
	for _, p := range parts {
		plain, err := s.Unwrap(p.data, p.signature)
		if err != nil {
			return nil, "", err
		}
		msg = append(msg, plain...)
	}
	return msg, parts[0].contentType, nil
}
