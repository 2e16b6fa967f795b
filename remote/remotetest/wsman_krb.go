package remotetest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"

	"github.com/remotectl/remotectl/internal/gsskrb"
)

// WSManAuthKerberos is WSManRequest.Auth for a request Kerberos
// authenticated (through Negotiate/SPNEGO or a bare Kerberos token).
const WSManAuthKerberos = "kerberos"

// WSManKerberos makes a WSManServer a domain member that accepts Kerberos,
// as Windows' WinRM listener with Auth/Kerberos enabled: a "Negotiate"
// (or "Kerberos") Authorization header carrying an AP-REQ, bare (MIT,
// requests-kerberos) or inside SPNEGO (Windows, pyspnego), is verified with
// the service's keytab; the client principal must be the server's User in
// Realm. Mutual authentication is answered with an AP-REP; failures with
// 401 and a KRB-ERROR token (clock skew, expired ticket, wrong key). Over
// plain HTTP, messages must then be Kerberos-encrypted
// (application/HTTP-Kerberos-session-encrypted) unless AllowUnencrypted.
type WSManKerberos struct {
	// Keytab is the path of the keytab of the service principal
	// (HTTP/host@REALM), as KDC.AddService returns.
	Keytab string
	// Realm is the realm of the accepted users.
	Realm string
	// ClockOffset shifts the server's clock (a host whose time drifted).
	ClockOffset time.Duration
	// MaxSkew is the clock skew tolerated; 0 means 5 minutes, as Windows.
	MaxSkew time.Duration
	// AcceptorSubkey sends a subkey of the server's in the AP-REP, which
	// then protects the messages, as Windows does.
	AcceptorSubkey bool
}

// wsmanKerberos is the server's Kerberos acceptor.
type wsmanKerberos struct {
	opts WSManKerberos
	kt   *keytab.Keytab

	mu     sync.Mutex
	replay map[string]time.Time // authenticators seen, until they expire
}

func newWSManKerberos(o *WSManKerberos) (*wsmanKerberos, error) {
	kt, err := keytab.Load(o.Keytab)
	if err != nil {
		return nil, fmt.Errorf("remotetest: WSManKerberos.Keytab: %w", err)
	}
	if o.Realm == "" {
		return nil, errors.New("remotetest: WSManKerberos.Realm is empty")
	}
	opts := *o
	if opts.MaxSkew == 0 {
		opts.MaxSkew = 5 * time.Minute
	}
	return &wsmanKerberos{opts: opts, kt: kt, replay: map[string]time.Time{}}, nil
}

func (k *wsmanKerberos) now() time.Time { return time.Now().Add(k.opts.ClockOffset).UTC() }

// isReplay records an authenticator and reports whether it was seen.
func (k *wsmanKerberos) isReplay(apreq []byte, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for key, until := range k.replay {
		if now.After(until) {
			delete(k.replay, key)
		}
	}
	key := string(apreq)
	if _, seen := k.replay[key]; seen {
		return true
	}
	k.replay[key] = now.Add(2 * k.opts.MaxSkew)
	return false
}

// isGSSToken reports whether a base64 Negotiate token is a GSS-API or
// SPNEGO token rather than a raw NTLM message.
func isGSSToken(token string) bool {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	return err == nil && len(raw) > 0 && (raw[0] == 0x60 || raw[0] == 0xa1)
}

// authenticateKerberos verifies an AP-REQ and establishes the connection's
// Kerberos context. It answers 401 itself when it returns false; on
// success the AP-REP goes in the reply's WWW-Authenticate header.
func (ex *wsmanExchange) authenticateKerberos(scheme, token string) bool {
	k := ex.s.krb
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	neg, err := gsskrb.ParseNegotiate(raw)
	if err != nil {
		return ex.refuse(scheme + " token: " + err.Error())
	}
	if !neg.Kerberos {
		return ex.refuse("SPNEGO without Kerberos as the preferred mechanism is not supported (send raw NTLM for NTLM)")
	}
	tok, msg, err := gsskrb.SplitKerberos(neg.MechToken)
	if err != nil || tok != gsskrb.TokAPReq {
		return ex.refuse("the Kerberos token is not an AP-REQ")
	}
	now := k.now()
	acc, err := gsskrb.Accept(msg, k.kt, gsskrb.AcceptOptions{Now: now, MaxSkew: k.opts.MaxSkew, AcceptorSubkey: k.opts.AcceptorSubkey})
	if err == nil && k.isReplay(msg, now) {
		err = messages.NewKRBError(acc.Client, acc.Realm, 34, "replayed authenticator")
	}
	if err != nil {
		return ex.refuseKerberos(neg, err)
	}
	user := strings.Join(acc.Client.NameString, "/")
	if !strings.EqualFold(acc.Realm, k.opts.Realm) || !strings.EqualFold(user, ex.s.User) {
		return ex.refuse("Kerberos principal " + acc.Principal() + " is not mapped to a user of this host")
	}
	ctx, err := acc.Context()
	if err != nil && ex.r.TLS == nil {
		return ex.refuse(err.Error())
	}
	ex.conn.establishKerberos(ctx)
	ex.rec.Auth = WSManAuthKerberos
	if acc.Reply != nil {
		reply := acc.Reply
		if neg.SPNEGO {
			if reply, err = gsskrb.SPNEGOResponse(gsskrb.NegAcceptCompleted, acc.Reply); err != nil {
				return ex.refuse(err.Error())
			}
		}
		ex.w.Header().Set("WWW-Authenticate", "Negotiate "+base64.StdEncoding.EncodeToString(reply))
	}
	return true
}

// refuseKerberos answers 401 with the KRB-ERROR, as Windows does, so that
// the client can tell why (clock skew, expired ticket...).
func (ex *wsmanExchange) refuseKerberos(neg *gsskrb.Negotiation, err error) bool {
	ex.rec.AuthError = "Kerberos: " + err.Error()
	ex.conn.reset()
	var ke messages.KRBError
	if errors.As(err, &ke) {
		if tok, terr := gsskrb.ErrorToken(ke); terr == nil {
			if neg.SPNEGO {
				tok, terr = gsskrb.SPNEGOResponse(gsskrb.NegReject, tok)
			}
			if terr == nil {
				ex.w.Header().Set("WWW-Authenticate", "Negotiate "+base64.StdEncoding.EncodeToString(tok))
				ex.replyStatus(401)
				return false
			}
		}
	}
	ex.replyUnauthorized()
	return false
}

// Kerberos message encryption over HTTP (MS-WSMV 2.2.9.1), as Windows and
// pywinrm frame it: the same two-part MIME body as NTLM's, the wrap token's
// header (its length first) in place of the NTLM signature. The protocol
// is application/HTTP-SPNEGO-session-encrypted when the connection was
// authenticated with the Negotiate scheme (what pywinrm sends), and
// application/HTTP-Kerberos-session-encrypted with the Kerberos scheme; the
// reply uses the request's.
const krbSealedProtocol = "application/HTTP-Kerberos-session-encrypted"

// sealedProtocolOf returns the protocol of a sealed body's first part.
func sealedProtocolOf(body []byte) string {
	for _, p := range []string{krbSealedProtocol, sealedProtocol} {
		if bytes.Contains(body[:min(len(body), 256)], []byte("Content-Type: "+p+"\r\n")) {
			return p
		}
	}
	return ""
}

// unsealKerberos decrypts a Kerberos-encrypted request body; the reply is
// encrypted with the same context.
func (ex *wsmanExchange) unsealKerberos(ctx *gsskrb.Context, body []byte) ([]byte, error) {
	parts, err := parseKerberosSealed(body)
	if err != nil {
		return nil, err
	}
	plain, err := unwrapParts(parts, ctx.Unwrap)
	if err != nil {
		return nil, err
	}
	ex.krb, ex.krbProtocol = ctx, sealedProtocolOf(body)
	return plain, nil
}

// sealKerberos encrypts a reply body.
func sealKerberos(ctx *gsskrb.Context, protocol string, plain []byte) ([]byte, error) {
	sealed, header, err := ctx.Wrap(plain)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(sealedBoundary + "\r\n")
	b.WriteString("\tContent-Type: " + protocol + "\r\n")
	b.WriteString("\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + strconv.Itoa(len(plain)) + "\r\n")
	b.WriteString(sealedBoundary + "\r\n")
	b.WriteString("\tContent-Type: application/octet-stream\r\n")
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(header))))
	b.Write(header)
	b.Write(sealed)
	b.WriteString(sealedBoundary + "--\r\n")
	return b.Bytes(), nil
}

// parseKerberosSealed splits a Kerberos-encrypted body into its parts
// (AES-CTS keeps lengths, so the announced length cuts them too).
func parseKerberosSealed(body []byte) ([]sealedPart, error) {
	readLength := func(header string) (int, error) {
		if !strings.Contains(header, "Content-Type: "+krbSealedProtocol) && !strings.Contains(header, "Content-Type: "+sealedProtocol) {
			return 0, errors.New("the protocol is neither " + krbSealedProtocol + " nor " + sealedProtocol)
		}
		return originalLength(header)
	}
	return splitSealed(body, "Kerberos multipart/encrypted", readLength, func(int, int) error { return nil })
}

// establishKerberos marks the connection Kerberos-authenticated, with its
// security context (nil when the session key cannot encrypt messages).
func (c *wsmanConn) establishKerberos(ctx *gsskrb.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.challenge, c.session = nil, nil
	c.authed, c.kerberos, c.gss = true, true, ctx
}

// kerberosContext returns the connection's Kerberos security context.
func (c *wsmanConn) kerberosContext() *gsskrb.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gss
}

// method is the scheme that authenticated the connection.
func (c *wsmanConn) method() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kerberos {
		return WSManAuthKerberos
	}
	return WSManAuthNTLM
}
