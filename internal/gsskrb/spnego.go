package gsskrb

import (
	"errors"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/spnego"
)

// SPNEGO negotiation states (RFC 4178 4.2.2).
const (
	NegAcceptCompleted  = 0
	NegAcceptIncomplete = 1
	NegReject           = 2
)

// SPNEGOInit wraps a Kerberos mechanism token in SPNEGO's initial token
// (NegTokenInit proposing Kerberos, under the SPNEGO OID), as Windows and
// pyspnego send in "Negotiate" headers.
func SPNEGOInit(mechToken []byte) ([]byte, error) {
	init := spnego.NegTokenInit{
		MechTypes:      []asn1.ObjectIdentifier{OIDMSKRB5, OIDKRB5},
		MechTokenBytes: mechToken,
	}
	b, err := init.Marshal()
	if err != nil {
		return nil, err
	}
	oid, _ := asn1.Marshal(OIDSPNEGO)
	return asn1tools.AddASNAppTag(append(oid, b...), 0), nil
}

// SPNEGOResponse builds a NegTokenResp carrying a Kerberos mechanism token.
func SPNEGOResponse(state int, mechToken []byte) ([]byte, error) {
	resp := spnego.NegTokenResp{
		NegState:      asn1.Enumerated(state),
		SupportedMech: OIDKRB5,
		ResponseToken: mechToken,
	}
	return resp.Marshal()
}

// Negotiation is a token of the "Negotiate" HTTP scheme, decoded.
type Negotiation struct {
	SPNEGO    bool   // the token was SPNEGO (else a bare mechanism token)
	Kerberos  bool   // the mechanism token is Kerberos
	State     int    // of a NegTokenResp; -1 for an initial token
	MechToken []byte // the mechanism token (GSS-framed for Kerberos)
}

// ParseNegotiate decodes a Negotiate token: a bare Kerberos token
// (requests-kerberos, MIT), a SPNEGO NegTokenInit (Windows, pyspnego,
// gokrb5) or a NegTokenResp (an acceptor's answer).
func ParseNegotiate(b []byte) (*Negotiation, error) {
	if len(b) == 0 {
		return nil, errors.New("empty token")
	}
	if b[0] == 0xa1 {
		isInit, v, err := spnego.UnmarshalNegToken(b)
		if err != nil || isInit {
			return nil, errors.New("malformed SPNEGO response token")
		}
		resp := v.(spnego.NegTokenResp)
		return &Negotiation{SPNEGO: true, Kerberos: IsKerberos(resp.SupportedMech) || len(resp.SupportedMech) == 0,
			State: int(resp.NegState), MechToken: resp.ResponseToken}, nil
	}
	mech, inner, err := Unframe(b)
	if err != nil {
		return nil, err
	}
	switch {
	case IsKerberos(mech):
		return &Negotiation{Kerberos: true, State: -1, MechToken: b}, nil
	case mech.Equal(OIDSPNEGO):
		isInit, v, err := spnego.UnmarshalNegToken(inner)
		if err != nil || !isInit {
			return nil, errors.New("malformed SPNEGO initial token")
		}
		init := v.(spnego.NegTokenInit)
		n := &Negotiation{SPNEGO: true, State: -1, MechToken: init.MechTokenBytes}
		if len(init.MechTypes) > 0 && IsKerberos(init.MechTypes[0]) {
			n.Kerberos = true
		}
		return n, nil
	}
	return nil, errors.New("the token's mechanism is " + mech.String() + ", neither Kerberos nor SPNEGO")
}
