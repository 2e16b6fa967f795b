package gsskrb

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Initiation is an AP-REQ made by the initiator, awaiting the acceptor's
// AP-REP when mutual authentication was asked.
type Initiation struct {
	// Token is the AP-REQ as a GSS-API token of the Kerberos mechanism.
	Token []byte

	sessionKey types.EncryptionKey
	subkey     types.EncryptionKey
	seq        uint64
	ctime      time.Time
	cusec      int
	verified   bool
	ctx        types.EncryptionKey // the key of wrap tokens once known
	accSubkey  bool
}

// Initiate builds the AP-REQ for a service ticket: a fresh authenticator
// with a random subkey and sequence number, the GSS-API checksum carrying
// the context flags, and mutual-required when FlagMutual is set.
func Initiate(tkt messages.Ticket, sessionKey types.EncryptionKey, crealm string, cname types.PrincipalName, contextFlags uint32) (*Initiation, error) {
	auth, err := types.NewAuthenticator(crealm, cname)
	if err != nil {
		return nil, err
	}
	et, err := crypto.GetEtype(sessionKey.KeyType)
	if err != nil {
		return nil, err
	}
	if err := auth.GenerateSeqNumberAndSubKey(sessionKey.KeyType, et.GetKeyByteSize()); err != nil {
		return nil, err
	}
	auth.CTime = auth.CTime.Truncate(time.Second)
	auth.Cksum = authenticatorChecksum(contextFlags)
	req, err := messages.NewAPReq(tkt, sessionKey, auth)
	if err != nil {
		return nil, err
	}
	if contextFlags&FlagMutual != 0 {
		types.SetFlag(&req.APOptions, flags.APOptionMutualRequired)
	}
	b, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	return &Initiation{
		Token:      Frame(TokAPReq, b),
		sessionKey: sessionKey,
		subkey:     auth.SubKey,
		seq:        uint64(auth.SeqNumber),
		ctime:      auth.CTime,
		cusec:      auth.Cusec,
		ctx:        auth.SubKey,
	}, nil
}

// Complete checks the acceptor's reply token: an AP-REP that proves it
// holds the service key (it echoes the authenticator's time, encrypted with
// the session key) and may carry the acceptor's subkey. A KRB-ERROR token
// is returned as a *messages.KRBError.
func (in *Initiation) Complete(token []byte) error {
	tok, msg, err := SplitKerberos(token)
	if err != nil {
		return err
	}
	switch tok {
	case TokKRBError:
		return ParseKRBError(msg)
	case TokAPRep:
	default:
		return fmt.Errorf("unexpected Kerberos token %x in the reply", tok)
	}
	var rep messages.APRep
	if err := rep.Unmarshal(msg); err != nil {
		return fmt.Errorf("the server's AP-REP: %w", err)
	}
	plain, err := crypto.DecryptEncPart(rep.EncPart, in.sessionKey, keyusage.AP_REP_ENCPART)
	if err != nil {
		return fmt.Errorf("the server's AP-REP does not decrypt with the session key: it does not hold the service's key: %w", err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(plain); err != nil {
		return fmt.Errorf("the server's AP-REP: %w", err)
	}
	if !part.CTime.Equal(in.ctime) || part.Cusec != in.cusec {
		return errors.New("the server's AP-REP does not answer this authenticator (mutual authentication failed)")
	}
	if len(part.Subkey.KeyValue) > 0 {
		in.ctx, in.accSubkey = part.Subkey, true
	}
	in.verified = true
	return nil
}

// Context returns the initiator's security context for wrap tokens.
func (in *Initiation) Context() (*Context, error) {
	return NewContext(in.ctx, false, in.accSubkey, in.seq)
}

// ParseKRBError decodes a KRB-ERROR message.
func ParseKRBError(msg []byte) error {
	var ke messages.KRBError
	if err := ke.Unmarshal(msg); err != nil {
		return fmt.Errorf("the server's KRB-ERROR: %w", err)
	}
	return ke
}

// Acceptance is an AP-REQ accepted by the acceptor.
type Acceptance struct {
	Client types.PrincipalName
	Realm  string
	Flags  uint32 // context flags of the authenticator checksum
	// Reply is the AP-REP token to send back, nil when the initiator did
	// not ask for mutual authentication.
	Reply []byte
	Key   types.EncryptionKey // protects wrap tokens
	seq   uint64
	// subkey: Key is the acceptor's subkey, sent in the AP-REP.
	subkey bool
}

// Context returns the acceptor's security context for wrap tokens.
func (a *Acceptance) Context() (*Context, error) {
	return NewContext(a.Key, true, a.subkey, a.seq)
}

// AcceptOptions are the acceptor's choices.
type AcceptOptions struct {
	Now     time.Time     // the acceptor's clock
	MaxSkew time.Duration // the clock skew tolerated
	// AcceptorSubkey sends a fresh subkey in the AP-REP, which then
	// protects the wrap tokens (as Windows does), when mutual
	// authentication is asked.
	AcceptorSubkey bool
}

// Principal returns the client's principal as "name@REALM".
func (a *Acceptance) Principal() string {
	return strings.Join(a.Client.NameString, "/") + "@" + a.Realm
}

// Accept verifies an AP-REQ message (the token without its GSS-API
// framing) with the service's keytab. Failures are messages.KRBError
// values with the code a Windows acceptor reports (wrong key, expired
// ticket, clock skew...).
func Accept(msg []byte, kt *keytab.Keytab, o AcceptOptions) (*Acceptance, error) {
	now, skew := o.Now, o.MaxSkew
	var req messages.APReq
	if err := req.Unmarshal(msg); err != nil {
		return nil, krbError(types.PrincipalName{}, "", errorcode.KRB_AP_ERR_MSG_TYPE, "malformed AP-REQ")
	}
	sname, realm := req.Ticket.SName, req.Ticket.Realm
	if err := req.Ticket.DecryptEncPart(kt, &sname); err != nil {
		return nil, krbError(sname, realm, errorcode.KRB_AP_ERR_MODIFIED,
			"the ticket does not decrypt with the service's keys ("+sname.PrincipalNameString()+"@"+realm+")")
	}
	enc := req.Ticket.DecryptedEncPart
	switch {
	case now.After(enc.EndTime.Add(skew)):
		return nil, krbError(sname, realm, errorcode.KRB_AP_ERR_TKT_EXPIRED, "ticket expired")
	case !enc.StartTime.IsZero() && enc.StartTime.After(now.Add(skew)):
		return nil, krbError(sname, realm, errorcode.KRB_AP_ERR_TKT_NYV, "ticket not yet valid")
	}
	if err := req.DecryptAuthenticator(enc.Key); err != nil {
		return nil, krbError(sname, realm, errorcode.KRB_AP_ERR_BAD_INTEGRITY, "the authenticator does not decrypt")
	}
	auth := req.Authenticator
	if !auth.CName.Equal(enc.CName) || !strings.EqualFold(auth.CRealm, enc.CRealm) {
		return nil, krbError(sname, realm, errorcode.KRB_AP_ERR_BADMATCH, "the authenticator's client is not the ticket's")
	}
	ct := auth.CTime.Add(time.Duration(auth.Cusec) * time.Microsecond)
	if d := now.Sub(ct); d > skew || -d > skew {
		return nil, krbError(sname, realm, errorcode.KRB_AP_ERR_SKEW, fmt.Sprintf("clock skew of %s is more than %s", d.Round(time.Second), skew))
	}
	a := &Acceptance{Client: enc.CName, Realm: enc.CRealm, Key: enc.Key, seq: uint64(auth.SeqNumber)}
	a.Flags, _ = ChecksumFlags(auth.Cksum)
	if len(auth.SubKey.KeyValue) > 0 {
		a.Key = auth.SubKey
	}
	if types.IsFlagSet(&req.APOptions, flags.APOptionMutualRequired) {
		a.seq = randomSeq()
		var sub types.EncryptionKey
		if o.AcceptorSubkey {
			var err error
			if sub, err = newSubkey(a.Key.KeyType); err != nil {
				return nil, err
			}
			a.Key, a.subkey = sub, true
		}
		reply, err := apRep(auth, enc.Key, sub, a.seq)
		if err != nil {
			return nil, err
		}
		a.Reply = reply
	}
	return a, nil
}

// apRep builds the AP-REP token answering an authenticator.
func apRep(auth types.Authenticator, sessionKey, subkey types.EncryptionKey, seq uint64) ([]byte, error) {
	part := messages.EncAPRepPart{CTime: auth.CTime, Cusec: auth.Cusec, Subkey: subkey, SequenceNumber: int64(seq)}
	b, err := asn1.Marshal(part)
	if err != nil {
		return nil, err
	}
	b = asn1tools.AddASNAppTag(b, asnAppTag.EncAPRepPart)
	ed, err := crypto.GetEncryptedData(b, sessionKey, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		return nil, err
	}
	rep := messages.APRep{PVNO: iana.PVNO, MsgType: msgtype.KRB_AP_REP, EncPart: ed}
	rb, err := asn1.Marshal(rep)
	if err != nil {
		return nil, err
	}
	return Frame(TokAPRep, asn1tools.AddASNAppTag(rb, asnAppTag.APREP)), nil
}

// krbError is a KRB-ERROR for the service sname.
func krbError(sname types.PrincipalName, realm string, code int32, text string) messages.KRBError {
	return messages.NewKRBError(sname, realm, code, text)
}

// ErrorToken returns a KRB-ERROR as a GSS-API token of the Kerberos
// mechanism.
func ErrorToken(ke messages.KRBError) ([]byte, error) {
	b, err := ke.Marshal()
	if err != nil {
		return nil, err
	}
	return Frame(TokKRBError, b), nil
}

// newSubkey returns a random key of an encryption type.
func newSubkey(etype int32) (types.EncryptionKey, error) {
	et, err := crypto.GetEtype(etype)
	if err != nil {
		return types.EncryptionKey{}, err
	}
	b := make([]byte, et.GetKeyByteSize())
	if _, err := rand.Read(b); err != nil {
		return types.EncryptionKey{}, err
	}
	return types.EncryptionKey{KeyType: etype, KeyValue: b}, nil
}
