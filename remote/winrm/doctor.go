package winrm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// This file holds what `remotectl doctor` needs to look at a WinRM host
// step by step: the effective settings of a target, the listener's TLS
// certificate, and the authentication schemes it offers.

// Effective are the settings a Dial of one target would use.
type Effective struct {
	Name  string
	Host  string
	Port  int
	HTTPS bool
	// Auth is "basic", "ntlm", "kerberos" or "certificate" (negotiate
	// resolves to kerberos or ntlm); Seal says message encryption
	// protects messages over plain HTTP.
	Auth             string
	Seal             bool
	Kerberos         bool // Kerberos is used: kerberos, or negotiate choosing it
	AllowUnencrypted bool
	Insecure         bool // TLS certificates are not verified
	User             string
	HasPassword      bool
	Shell            string
	ConnectTimeout   time.Duration
}

// URL is the endpoint's address, e.g. "https://host:5986/wsman".
func (e Effective) URL() string { return endpointURL(e.Host, e.Port, e.HTTPS) }

// Resolve returns the effective settings of t. The error is the problem a
// Dial would report before connecting (classified, with a hint); the
// settings are filled in as far as they could be decided even then.
func (d *Dialer) Resolve(t remote.Target) (Effective, error) {
	w := t.WinRM
	e := Effective{
		Name:             t.Name,
		Host:             t.Addr(),
		Port:             t.Port,
		HTTPS:            useHTTPS(w.HTTPS, t.Port),
		AllowUnencrypted: w.AllowUnencrypted || strings.EqualFold(w.MessageEncryption, encryptNever),
		Insecure:         w.Insecure,
		User:             t.User,
		ConnectTimeout:   firstPositive(t.ConnectTimeout, d.opts.ConnectTimeout, DefaultConnectTimeout),
	}
	if e.Port == 0 {
		e.Port = defaultPort(e.HTTPS)
	}
	cfg, err := d.resolve(t)
	if err == nil {
		e.Auth, e.Seal, e.Shell, e.HasPassword = cfg.auth, cfg.seal, cfg.shell, cfg.password != ""
		e.Kerberos = cfg.krb != nil
		return e, nil
	}
	// Decide what can be decided despite the error, for the report.
	partial := &hostConfig{https: e.HTTPS}
	_ = partial.resolveAuth(w)
	e.Auth, e.Seal = partial.auth, partial.seal
	e.Shell, _ = shellKind(w.Shell)
	return e, err
}

// defaultPort is the port of the listener of a scheme.
func defaultPort(https bool) int {
	if https {
		return DefaultHTTPSPort
	}
	return DefaultHTTPPort
}

func endpointURL(host string, port int, https bool) string {
	scheme := "http"
	if https {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: "/wsman"}).String()
}

// CertInfo describes the certificate a TLS listener presented.
type CertInfo struct {
	Subject   string
	Issuer    string
	DNSNames  []string
	IPs       []string
	NotBefore time.Time
	NotAfter  time.Time
	// SelfSigned says the certificate is its own issuer.
	SelfSigned bool
	// TrustErr is why the chain is not trusted (unknown CA, expired), nil
	// when it is; NameErr is why the certificate does not name the host,
	// nil when it does. Both as a Dial would judge them, with the target's
	// CA certificates (winrm_ca_cert) or the system roots.
	TrustErr error
	NameErr  error
	// TLSVersion is the negotiated version, e.g. "TLS 1.3".
	TLSVersion string
}

// Names returns every name the certificate is valid for.
func (c *CertInfo) Names() []string {
	return append(append([]string(nil), c.DNSNames...), c.IPs...)
}

// InspectTLS runs a TLS handshake with the listener of t on port and
// describes its certificate. The certificate is captured whatever it is,
// then judged separately (CertInfo.TrustErr, NameErr); no request is sent.
// An error means no TLS session could be set up at all (classified).
func (d *Dialer) InspectTLS(ctx context.Context, t remote.Target, port int) (*CertInfo, error) {
	e, _ := d.Resolve(t)
	var roots *x509.CertPool
	if t.WinRM.CACert != "" {
		pem, err := readPEMs(t.WinRM.CACert)
		if err != nil {
			return nil, configError("check winrm_ca_cert (ansible_winrm_ca_trust_path)", "CA certificates: %v", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, configError("winrm_ca_cert must name PEM certificates", "no PEM certificate found in %s", t.WinRM.CACert)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, e.ConnectTimeout)
	defer cancel()
	dialer := &tls.Dialer{Config: &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: e.Host,
		// Capture the certificate whatever it is: it is verified below,
		// and this connection carries no credentials and no request.
		InsecureSkipVerify: true, //nolint:gosec // inspection only, verified by hand below
	}}
	conn, err := dialer.DialContext(cctx, "tcp", net.JoinHostPort(e.Host, strconv.Itoa(port)))
	if err != nil {
		return nil, classify(opDial, err)
	}
	defer conn.Close()
	state := conn.(*tls.Conn).ConnectionState()
	if len(state.PeerCertificates) == 0 {
		return nil, &remote.Error{Class: remote.ClassProtocol, Op: opDial,
			Err: errors.New("the TLS server presented no certificate"), Hint: hintTLSCert}
	}
	return describeCert(state, roots, e.Host, time.Now()), nil
}

// describeCert judges the leaf certificate of state for host.
func describeCert(state tls.ConnectionState, roots *x509.CertPool, host string, now time.Time) *CertInfo {
	leaf := state.PeerCertificates[0]
	info := &CertInfo{
		Subject:    leaf.Subject.String(),
		Issuer:     leaf.Issuer.String(),
		DNSNames:   leaf.DNSNames,
		NotBefore:  leaf.NotBefore,
		NotAfter:   leaf.NotAfter,
		SelfSigned: leaf.CheckSignatureFrom(leaf) == nil,
		TLSVersion: tls.VersionName(state.Version),
	}
	for _, ip := range leaf.IPAddresses {
		info.IPs = append(info.IPs, ip.String())
	}
	inter := x509.NewCertPool()
	for _, c := range state.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, info.TrustErr = leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	info.NameErr = leaf.VerifyHostname(host)
	return info
}

// AuthSchemes sends an unauthenticated, empty POST to the WS-Management
// endpoint of t at port (HTTPS when https) and returns the HTTP status and
// the authentication schemes its WWW-Authenticate headers offer
// ("Negotiate", "Basic", ...), as a Windows listener answers with 401. No
// credentials are sent, so the certificate of an HTTPS listener is not
// verified here (InspectTLS does that). Errors are classified.
func (d *Dialer) AuthSchemes(ctx context.Context, t remote.Target, port int, https bool) (status int, schemes []string, err error) {
	e, _ := d.Resolve(t)
	cctx, cancel := context.WithTimeout(ctx, e.ConnectTimeout)
	defer cancel()
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{
			MinVersion:         tls.VersionTLS12,
			ServerName:         e.Host,
			InsecureSkipVerify: true, //nolint:gosec // an empty unauthenticated request: nothing to protect
		},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, endpointURL(e.Host, port, https), http.NoBody)
	if err != nil {
		return 0, nil, configError("check the host's address", "WinRM endpoint: %v", err)
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		if cctx.Err() != nil && ctx.Err() == nil {
			return 0, nil, &remote.Error{Class: remote.ClassTimeout, Op: opDial,
				Err: fmt.Errorf("%s: no answer within %s", endpointURL(e.Host, port, https), e.ConnectTimeout), Hint: hintTimeout}
		}
		return 0, nil, classify(opDial, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, authSchemes(resp.Header), nil
}

// SchemeFor returns the WWW-Authenticate scheme names that serve an
// authentication method ("basic", "ntlm"); nil for certificate
// authentication, which happens in TLS.
func SchemeFor(auth string) []string {
	switch strings.ToLower(auth) {
	case authBasic:
		return []string{"Basic"}
	case authNTLM:
		return []string{"Negotiate", "NTLM"}
	case authKerberos, authNegotiate:
		return []string{"Negotiate", "Kerberos"}
	}
	return nil
}
