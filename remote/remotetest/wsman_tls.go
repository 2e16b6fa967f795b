package remotetest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// wsmanPKI is the throwaway public key infrastructure of a WSManServer: a
// CA, a server certificate for the loopback names, and a client certificate
// mapped to the server's user.
type wsmanPKI struct {
	caPEM         []byte
	caPool        *x509.CertPool
	server        tls.Certificate
	serverLeaf    *x509.Certificate
	clientCertPEM []byte
	clientKeyPEM  []byte
}

var (
	oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
	// oidUPN is Microsoft's szOID_NT_PRINCIPAL_NAME otherName: the user
	// principal name Windows maps a client certificate to.
	oidUPN = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}
)

// newWSManPKI generates the CA and the certificates. The client certificate
// carries the UPN user@localhost, as Windows certificate mapping requires.
func newWSManPKI(user string) (*wsmanPKI, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber:          wsmanSerial(),
		Subject:               pkix.Name{CommonName: "remotetest WS-Management CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	p := &wsmanPKI{caPEM: pemBlock("CERTIFICATE", caDER), caPool: x509.NewCertPool()}
	p.caPool.AddCert(ca)

	serverKey, serverDER, err := issueCertificate(ca, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return nil, err
	}
	if p.serverLeaf, err = x509.ParseCertificate(serverDER); err != nil {
		return nil, err
	}
	p.server = tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey, Leaf: p.serverLeaf}

	san, err := upnSubjectAltName(user + "@localhost")
	if err != nil {
		return nil, err
	}
	clientKey, clientDER, err := issueCertificate(ca, caKey, &x509.Certificate{
		Subject:         pkix.Name{CommonName: user},
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		ExtraExtensions: []pkix.Extension{{Id: oidSubjectAltName, Value: san}},
	})
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(clientKey)
	if err != nil {
		return nil, err
	}
	p.clientCertPEM = pemBlock("CERTIFICATE", clientDER)
	p.clientKeyPEM = pemBlock("PRIVATE KEY", keyDER)
	return p, nil
}

// issueCertificate signs a new P-256 key's certificate with the CA.
func issueCertificate(ca *x509.Certificate, caKey crypto.Signer, template *x509.Certificate) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	template.SerialNumber = wsmanSerial()
	template.NotBefore = ca.NotBefore
	template.NotAfter = ca.NotAfter
	template.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, template, ca, &key.PublicKey, caKey)
	return key, der, err
}

// serverTLSConfig is the listener's TLS configuration; with clientCerts it
// verifies client certificates against the CA when presented.
func (p *wsmanPKI) serverTLSConfig(clientCerts bool) *tls.Config {
	cfg := &tls.Config{
		Certificates: []tls.Certificate{p.server},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}
	if clientCerts {
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		cfg.ClientCAs = p.caPool
	}
	return cfg
}

// channelBindingHash is what an NTLMv2 client puts in MsvAvChannelBindings
// for this server: MD5 of a gss_channel_bindings_struct whose application
// data is "tls-server-end-point:" and the certificate hash (RFC 5929).
func (p *wsmanPKI) channelBindingHash() []byte {
	app := append([]byte("tls-server-end-point:"), certificateEndpointHash(p.serverLeaf)...)
	var b bytes.Buffer
	b.Write(make([]byte, 16)) // initiator and acceptor address types and lengths: none
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(app))))
	b.Write(app)
	return md5Sum(b.Bytes())
}

// certificateEndpointHash hashes the certificate with its signature's hash,
// SHA-256 when that is MD5 or SHA-1 (RFC 5929 4.1).
func certificateEndpointHash(cert *x509.Certificate) []byte {
	switch cert.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		sum := sha512.Sum384(cert.Raw)
		return sum[:]
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		sum := sha512.Sum512(cert.Raw)
		return sum[:]
	}
	sum := sha256.Sum256(cert.Raw)
	return sum[:]
}

// upnSubjectAltName encodes a subjectAltName with one otherName UPN.
func upnSubjectAltName(upn string) ([]byte, error) {
	value, err := asn1.MarshalWithParams(upn, "utf8")
	if err != nil {
		return nil, err
	}
	otherName, err := asn1.Marshal(struct {
		TypeID asn1.ObjectIdentifier
		Value  asn1.RawValue
	}{oidUPN, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: value}})
	if err != nil {
		return nil, err
	}
	// GeneralName otherName is [0] IMPLICIT: the SEQUENCE's contents under tag [0].
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(otherName, &seq); err != nil {
		return nil, err
	}
	return asn1.Marshal([]asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: seq.Bytes}})
}

// certificateUPN returns the UPN otherName of a certificate's
// subjectAltName.
func certificateUPN(cert *x509.Certificate) (string, error) {
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(oidSubjectAltName) {
			continue
		}
		var names []asn1.RawValue
		if _, err := asn1.Unmarshal(ext.Value, &names); err != nil {
			return "", fmt.Errorf("malformed subjectAltName: %w", err)
		}
		for _, n := range names {
			if n.Class != asn1.ClassContextSpecific || n.Tag != 0 {
				continue
			}
			if upn, ok := parseUPNOtherName(n.Bytes); ok {
				return upn, nil
			}
		}
	}
	return "", errors.New("no user principal name (otherName 1.3.6.1.4.1.311.20.2.3) in its subjectAltName; Windows maps certificates by UPN")
}

// parseUPNOtherName decodes the contents of an otherName if it is a UPN.
func parseUPNOtherName(b []byte) (string, bool) {
	var typeID asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(b, &typeID)
	if err != nil || !typeID.Equal(oidUPN) {
		return "", false
	}
	var explicit asn1.RawValue
	if _, err := asn1.Unmarshal(rest, &explicit); err != nil || explicit.Tag != 0 {
		return "", false
	}
	var upn string
	if _, err := asn1.UnmarshalWithParams(explicit.Bytes, &upn, "utf8"); err != nil {
		return "", false
	}
	return upn, true
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

func wsmanSerial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}
