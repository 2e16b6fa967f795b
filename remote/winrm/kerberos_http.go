package winrm

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jcmturner/gokrb5/v8/messages"

	"github.com/remotectl/remotectl/internal/gsskrb"
)

// Kerberos over HTTP, as pywinrm with requests-kerberos does it: the
// "Negotiate" scheme carrying SPNEGO with the AP-REQ, mutual authentication
// required (the server's AP-REP, in the WWW-Authenticate header of its 200
// reply, must answer our authenticator), and the connection authenticated
// from then on. Over HTTPS the first request carries the token; over HTTP
// an empty request sets up the context, and every message is then
// encrypted with Kerberos wrap tokens as multipart/encrypted
// (application/HTTP-SPNEGO-session-encrypted, MS-WSMV 2.2.9.1).

// negotiateHeader returns the Authorization decorator of an AP-REQ.
func negotiateHeader(in *gsskrb.Initiation) (func(*http.Request), error) {
	tok, err := gsskrb.SPNEGOInit(in.Token)
	if err != nil {
		return nil, err
	}
	return authorization("Negotiate", tok), nil
}

// kerberosHandshake authenticates the channel's connection on an empty
// request and keeps the security context for message encryption.
func (ch *channel) kerberosHandshake(ctx context.Context) error {
	in, err := ch.h.krb.initiate()
	if err != nil {
		return err
	}
	auth, err := negotiateHeader(in)
	if err != nil {
		return err
	}
	r, err := ch.roundTrip(ctx, nil, soapContentType, auth)
	if err != nil {
		return err
	}
	if err := ch.completeKerberos(in, r); err != nil {
		return err
	}
	sc, err := in.Context()
	if err != nil {
		return &krbError{op: "setting up message encryption", err: err, s: ch.h.krb.s}
	}
	ch.session = sc
	return nil
}

// postKerberos sends a message without encryption (HTTPS): the first
// request of a connection carries the AP-REQ. A 401 on an authenticated
// connection means it was replaced (the server closed the idle one): the
// server did not read the message, which is sent again with a new AP-REQ.
func (ch *channel) postKerberos(ctx context.Context, msg string) (string, error) {
	for attempt := 0; ; attempt++ {
		var (
			in   *gsskrb.Initiation
			auth func(*http.Request)
			err  error
		)
		if !ch.krbAuthed {
			if in, err = ch.h.krb.initiate(); err != nil {
				return "", err
			}
			if auth, err = negotiateHeader(in); err != nil {
				return "", err
			}
		}
		r, err := ch.roundTrip(ctx, []byte(msg), soapContentType, auth)
		if err != nil {
			return "", err
		}
		if in == nil {
			if r.status == http.StatusUnauthorized && attempt == 0 {
				ch.krbAuthed = false
				continue
			}
			return ch.h.interpret(r)
		}
		if r.status == http.StatusUnauthorized || r.status/100 == 2 {
			if err := ch.completeKerberos(in, r); err != nil {
				return "", err
			}
		}
		ch.krbAuthed = true
		return ch.h.interpret(r)
	}
}

// completeKerberos checks the reply to an AP-REQ: a 401 is a refusal (with
// the server's KRB-ERROR when it sent one), a success must carry the AP-REP
// that proves the server holds the service key.
func (ch *channel) completeKerberos(in *gsskrb.Initiation, r *reply) error {
	s := ch.h.krb.s
	neg, tokErr := replyNegotiation(r.header)
	if r.status == http.StatusUnauthorized {
		ch.broken = true
		if tokErr == nil {
			var ke messages.KRBError
			if err := in.Complete(neg.MechToken); errors.As(err, &ke) {
				return &krbError{op: "the host refused the Kerberos ticket for " + s.spn, err: ke, s: s}
			}
		}
		return &krbError{op: "authenticating to " + ch.h.url, s: s,
			err: &statusError{status: r.status, schemes: authSchemes(r.header), auth: ch.h.auth, user: ch.h.user}}
	}
	if r.status/100 != 2 {
		ch.broken = true
		_, err := ch.h.interpret(r)
		return err
	}
	if tokErr != nil {
		ch.broken = true
		return &krbError{op: "mutual authentication with " + ch.h.url, s: s,
			err: fmt.Errorf("the server's reply has no Kerberos AP-REP (%v): it did not prove it holds the key of %s", tokErr, s.spn)}
	}
	if neg.SPNEGO && neg.State != gsskrb.NegAcceptCompleted {
		ch.broken = true
		return &krbError{op: "mutual authentication with " + ch.h.url, s: s, err: fmt.Errorf("SPNEGO state %d, not accept-completed", neg.State)}
	}
	if err := in.Complete(neg.MechToken); err != nil {
		ch.broken = true
		return &krbError{op: "mutual authentication with " + ch.h.url, err: err, s: s}
	}
	return nil
}

// replyNegotiation decodes the token of a reply's Negotiate (or Kerberos)
// WWW-Authenticate header.
func replyNegotiation(h http.Header) (*gsskrb.Negotiation, error) {
	for _, v := range h.Values("Www-Authenticate") {
		for _, challenge := range splitOutsideQuotes(v) {
			name, token, ok := strings.Cut(strings.TrimSpace(challenge), " ")
			if !ok || !(strings.EqualFold(name, "Negotiate") || strings.EqualFold(name, "Kerberos")) {
				continue
			}
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
			if err != nil {
				return nil, fmt.Errorf("malformed %s token", name)
			}
			return gsskrb.ParseNegotiate(b)
		}
	}
	return nil, errors.New("no Negotiate token")
}
