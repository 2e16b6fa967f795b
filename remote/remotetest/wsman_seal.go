package remotetest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
)

// NTLM message encryption over HTTP (MS-WSMV 2.2.9.1.1): the SOAP envelope,
// sealed with the connection's NTLM context, travels in a two-part MIME body
// whose headers are indented with a tab, as Windows, pywinrm's
// winrm/encryption.py and masterzen/winrm write it:
//
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
//	\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=N\r\n
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/octet-stream\r\n
//	<uint32 LE signature length><signature><N sealed bytes>--Encrypted Boundary--\r\n

const (
	sealedBoundary    = "--Encrypted Boundary"
	sealedProtocol    = "application/HTTP-SPNEGO-session-encrypted"
	sealedContentType = `multipart/encrypted;protocol="` + sealedProtocol + `";boundary="Encrypted Boundary"`
	ntlmSignatureSize = 16
)

// isSealedContentType reports whether a request claims an encrypted body.
func isSealedContentType(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mediaType == "multipart/encrypted" || mediaType == "multipart/x-multi-encrypted")
}

// sealMessage seals a reply body.
func sealMessage(sess *ntlmSession, plain []byte) []byte {
	sealed, signature := sess.wrap(plain)
	var b bytes.Buffer
	b.WriteString(sealedBoundary + "\r\n")
	b.WriteString("\tContent-Type: " + sealedProtocol + "\r\n")
	b.WriteString("\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + strconv.Itoa(len(plain)) + "\r\n")
	b.WriteString(sealedBoundary + "\r\n")
	b.WriteString("\tContent-Type: application/octet-stream\r\n")
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(signature))))
	b.Write(signature)
	b.Write(sealed)
	b.WriteString(sealedBoundary + "--\r\n")
	return b.Bytes()
}

// sealedPart is one encrypted part of a request body.
type sealedPart struct {
	signature, sealed []byte
}

// unsealMessage decrypts a sealed request body and verifies its signatures.
func unsealMessage(sess *ntlmSession, body []byte) ([]byte, error) {
	parts, err := parseSealedBody(body)
	if err != nil {
		return nil, err
	}
	return unwrapParts(parts, sess.unwrap)
}

// unwrapParts decrypts and verifies each part with unwrap (NTLM's or
// Kerberos'), the message their plain texts make together.
func unwrapParts(parts []sealedPart, unwrap func(sealed, signature []byte) ([]byte, error)) ([]byte, error) {
	var plain []byte
	for _, p := range parts {
		msg, err := unwrap(p.sealed, p.signature)
		if err != nil {
			return nil, err
		}
		plain = append(plain, msg...)
	}
	return plain, nil
}

// parseSealedBody splits an NTLM-encrypted body into its parts: each
// encrypted part starts with the 16-byte NTLM signature.
func parseSealedBody(body []byte) ([]sealedPart, error) {
	return splitSealed(body, "multipart/encrypted", sealedHeaderLength, func(hlen, _ int) error {
		if hlen != ntlmSignatureSize {
			return errors.New("the encrypted part does not start with a 16-byte NTLM signature")
		}
		return nil
	})
}

// splitSealed splits a multipart/encrypted body into its parts. Each
// encrypted part is a 4-byte little-endian header length, the header (the
// signature or wrap token header) and the sealed bytes, which are cut by
// the length the first part announces (readLength reads it from its
// headers), never by searching for the boundary, which may occur in
// ciphertext. checkHeader vets a part's header length against the bytes
// that follow it.
func splitSealed(body []byte, what string, readLength func(string) (int, error), checkHeader func(hlen, present int) error) ([]sealedPart, error) {
	bad := func(why string) ([]sealedPart, error) {
		return nil, errors.New("malformed " + what + " body: " + why)
	}
	var parts []sealedPart
	rest := body
	for {
		var ok bool
		if rest, ok = bytes.CutPrefix(rest, []byte(sealedBoundary+"\r\n")); !ok {
			return bad("missing boundary")
		}
		end := bytes.Index(rest, []byte(sealedBoundary))
		if end < 0 {
			return bad("missing second boundary")
		}
		length, err := readLength(string(rest[:end]))
		if err != nil {
			return bad(err.Error())
		}
		if rest, ok = bytes.CutPrefix(rest[end:], []byte(sealedBoundary+"\r\n")); !ok {
			return bad("missing boundary before the encrypted data")
		}
		line, data, ok := bytes.Cut(rest, []byte("\r\n"))
		if !ok || !strings.Contains(string(line), "application/octet-stream") {
			return bad("the encrypted part is not application/octet-stream")
		}
		if len(data) < 4 {
			return bad("truncated")
		}
		hlen := int(binary.LittleEndian.Uint32(data))
		data = data[4:]
		if err := checkHeader(hlen, len(data)); err != nil {
			return bad(err.Error())
		}
		if hlen > len(data) || len(data)-hlen < length {
			return bad(fmt.Sprintf("%d-byte header and %d encrypted bytes announced, %d present", hlen, length, len(data)))
		}
		parts = append(parts, sealedPart{signature: data[:hlen], sealed: data[hlen : hlen+length]})
		rest = data[hlen+length:]
		if bytes.HasPrefix(rest, []byte(sealedBoundary+"--")) {
			return parts, nil
		}
	}
}

// sealedHeaderLength checks the first part's headers and returns the
// OriginalContent length.
func sealedHeaderLength(header string) (int, error) {
	if !strings.Contains(header, "Content-Type: "+sealedProtocol) {
		return 0, errors.New("only SPNEGO (NTLM) session encryption is supported, not CredSSP or Kerberos")
	}
	return originalLength(header)
}

// originalLength returns the OriginalContent length a first part's
// headers announce.
func originalLength(header string) (int, error) {
	_, after, ok := strings.Cut(header, "Length=")
	if !ok {
		return 0, errors.New("OriginalContent has no Length")
	}
	digits := after[:len(after)-len(strings.TrimLeft(after, "0123456789"))]
	n, err := strconv.Atoi(digits)
	if err != nil || n > wsmanMaxBody {
		return 0, errors.New("OriginalContent Length is not a usable number")
	}
	return n, nil
}
