package winrm

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	azntlm "github.com/Azure/go-ntlmssp"
	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

const (
	soapContentType = "application/soap+xml;charset=UTF-8"
	userAgent       = "remotectl WinRM client"
	// mutualAuth is the Authorization header of certificate authentication
	// (WS-Management's HTTPS mutual security profile).
	mutualAuth = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"
	// maxReply caps the size of a reply body; WinRM replies are bounded by
	// the MaxEnvelopeSize announced, far below.
	maxReply = 16 << 20
	// maxIdleChannels is how many idle connections a transport keeps.
	maxIdleChannels = 4
	// idleConnTimeout closes a connection unused for that long (Windows'
	// HTTP.sys drops idle connections after two minutes).
	idleConnTimeout = 90 * time.Second
)

// transporter is remotectl's winrm.Transporter: it posts SOAP messages over
// net/http and turns every reply other than 200 into an error (a *soapFault
// or a *statusError), which the winrm library's own transport does not do
// for HTTP 500 faults.
//
// Its requests go over channels: a channel is one HTTP/1.1 connection used
// by one request at a time. NTLM authenticates a connection, not a request,
// so a handshake must never have its legs spread over several connections
// nor interleaved with another request; and with message encryption the
// connection's security context (RC4 streams, sequence numbers) must see
// each request and its reply in order. Concurrent requests (a Receive
// long-poll while stdin is sent) take different channels. Idle channels are
// kept for reuse.
type transporter struct {
	auth           string
	user, password string
	seal           bool
	connectTimeout time.Duration
	// krb makes the AP-REQs of Kerberos (nil for other methods, and after
	// negotiate fell back to NTLM).
	krb *krbAuth

	// Set by Transport from the endpoint.
	url     string
	timeout time.Duration // one whole exchange
	tls     *tls.Config   // nil over plain HTTP

	mu     sync.Mutex
	idle   []*channel
	closed bool
}

var _ winrm.Transporter = (*transporter)(nil)

// errClosed is returned by requests made after the transport was closed.
var errClosed = errors.New("the WinRM transport is closed")

func newTransporter(cfg *hostConfig) *transporter {
	return &transporter{
		auth:           cfg.auth,
		user:           cfg.user,
		password:       cfg.password,
		seal:           cfg.seal,
		connectTimeout: cfg.connectTimeout,
		krb:            newKrbAuth(cfg),
	}
}

// Transport implements winrm.Transporter: it takes the URL, the timeout and
// the TLS settings of the endpoint. The server's certificate is verified
// against the endpoint's CA certificates, else the system roots, unless the
// endpoint is Insecure.
func (h *transporter) Transport(ep *winrm.Endpoint) error {
	scheme := "http"
	if ep.HTTPS {
		scheme = "https"
	}
	h.url = (&url.URL{Scheme: scheme, Host: net.JoinHostPort(ep.Host, strconv.Itoa(ep.Port)), Path: "/wsman"}).String()
	h.timeout = ep.Timeout
	if !ep.HTTPS {
		return nil
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         ep.TLSServerName,
		InsecureSkipVerify: ep.Insecure, //nolint:gosec // explicit per-host setting, warned about
		ClientSessionCache: tls.NewLRUClientSessionCache(0),
	}
	if len(ep.CACert) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ep.CACert) {
			return errors.New("no PEM certificate in the CA certificates")
		}
		cfg.RootCAs = pool
	}
	if h.auth == authCertificate {
		cert, err := tls.X509KeyPair(ep.Cert, ep.Key)
		if err != nil {
			return fmt.Errorf("client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
		cfg.Renegotiation = tls.RenegotiateOnceAsClient
	}
	h.tls = cfg
	return nil
}

// Post implements winrm.Transporter for the winrm library's own client.
func (h *transporter) Post(_ *winrm.Client, msg *soap.SoapMessage) (string, error) {
	return h.post(context.Background(), msg.String())
}

// post sends one SOAP message and returns the reply body of a 200 reply.
// Other replies are errors: a *soapFault when the body is one, else a
// *statusError. The exchange is bounded by the endpoint's timeout and ctx.
func (h *transporter) post(ctx context.Context, msg string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	ch, err := h.get()
	if err != nil {
		return "", err
	}
	body, err := ch.post(ctx, msg)
	h.put(ch)
	return body, err
}

// get takes an idle channel, or opens a new one.
func (h *transporter) get() (*channel, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errClosed
	}
	if n := len(h.idle); n > 0 {
		ch := h.idle[n-1]
		h.idle = h.idle[:n-1]
		return ch, nil
	}
	return h.newChannel(), nil
}

// put returns a channel after use: kept while healthy and wanted, else
// closed.
func (h *transporter) put(ch *channel) {
	h.mu.Lock()
	if !ch.broken && !h.closed && len(h.idle) < maxIdleChannels {
		h.idle = append(h.idle, ch)
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	ch.close()
}

// close closes the idle channels; those in use are closed when put back.
func (h *transporter) close() {
	h.mu.Lock()
	h.closed = true
	idle := h.idle
	h.idle = nil
	h.mu.Unlock()
	for _, ch := range idle {
		ch.close()
	}
}

func (h *transporter) newChannel() *channel {
	dialer := &net.Dialer{Timeout: h.connectTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: h.connectTimeout,
		MaxConnsPerHost:     1,
		MaxIdleConns:        1,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     idleConnTimeout,
		DisableCompression:  true,
		// HTTP/1.1 only: NTLM authenticates connections, which HTTP/2
		// multiplexing would mix up.
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	if h.tls != nil {
		tr.TLSClientConfig = h.tls.Clone()
	}
	var rt http.RoundTripper = tr
	if h.auth == authNTLM && !h.seal {
		rt = azntlm.Negotiator{RoundTripper: tr}
	}
	return &channel{h: h, tr: tr, client: &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// channel is one connection's worth of HTTP client, used by one request at
// a time (see transporter).
type channel struct {
	h      *transporter
	tr     *http.Transport
	client *http.Client
	// session is the NTLM security context of the connection when messages
	// are sealed; nil until the handshake.
	session sealer
	// broken is set when the connection or its security context cannot be
	// trusted any more: the channel is then closed, not reused.
	broken bool
	// krbAuthed: Kerberos authenticated the connection (without
	// message encryption).
	krbAuthed bool
}

// sealer encrypts and signs messages, and decrypts and checks them, in
// order (an NTLM security session).
type sealer interface {
	Wrap(msg []byte) (sealed, signature []byte, err error)
	Unwrap(sealed, signature []byte) ([]byte, error)
}

func (ch *channel) close() { ch.tr.CloseIdleConnections() }

// reply is an HTTP reply read in full.
type reply struct {
	status      int
	header      http.Header
	contentType string
	body        []byte
}

func (ch *channel) post(ctx context.Context, msg string) (string, error) {
	if ch.h.seal {
		return ch.postSealed(ctx, msg)
	}
	if ch.h.krb != nil {
		return ch.postKerberos(ctx, msg)
	}
	r, err := ch.roundTrip(ctx, []byte(msg), soapContentType, ch.setAuth)
	if err != nil {
		return "", err
	}
	return ch.h.interpret(r)
}

// setAuth adds the credentials: for NTLM the azure Negotiator turns the
// Basic credentials into an NTLM handshake (it never sends them as Basic).
func (ch *channel) setAuth(req *http.Request) {
	switch ch.h.auth {
	case authBasic, authNTLM:
		req.SetBasicAuth(ch.h.user, ch.h.password)
	case authCertificate:
		req.Header.Set("Authorization", mutualAuth)
	}
}

// roundTrip does one HTTP exchange on the channel and reads the whole reply.
// A failure marks the channel broken.
func (ch *channel) roundTrip(ctx context.Context, body []byte, contentType string, auth func(*http.Request)) (*reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ch.h.url, bytes.NewReader(body))
	if err != nil {
		ch.broken = true
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", userAgent)
	if auth != nil {
		auth(req)
	}
	resp, err := ch.client.Do(req)
	if err != nil {
		ch.broken = true
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		ch.broken = true
		return nil, fmt.Errorf("reading the reply: %w", err)
	}
	if len(data) > maxReply {
		ch.broken = true
		return nil, fmt.Errorf("the reply is larger than %d bytes", maxReply)
	}
	return &reply{status: resp.StatusCode, header: resp.Header, contentType: resp.Header.Get("Content-Type"), body: data}, nil
}

// interpret turns a reply into its SOAP body or an error.
func (h *transporter) interpret(r *reply) (string, error) {
	switch r.status {
	case http.StatusOK:
		if !isSOAP(r.contentType) {
			return "", fmt.Errorf("the reply is %q, not a SOAP message", r.contentType)
		}
		return string(r.body), nil
	case http.StatusUnauthorized:
		return "", &statusError{status: r.status, schemes: authSchemes(r.header), auth: h.auth, user: h.user}
	}
	if f, ok := parseFault(r.status, r.body); ok {
		return "", f
	}
	return "", &statusError{status: r.status, body: snippet(r.body)}
}

// isSOAP reports whether a Content-Type is SOAP 1.2's.
func isSOAP(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/soap+xml"
}

// authSchemes lists the authentication schemes a 401 reply offers, in order,
// without their parameters.
func authSchemes(h http.Header) []string {
	var schemes []string
	seen := map[string]bool{}
	for _, v := range h.Values("Www-Authenticate") {
		for _, challenge := range splitOutsideQuotes(v) {
			name, _, _ := strings.Cut(strings.TrimSpace(challenge), " ")
			if name == "" || strings.ContainsAny(name, `="`) {
				continue // an auth-param of the previous challenge
			}
			if key := strings.ToLower(name); !seen[key] {
				seen[key] = true
				schemes = append(schemes, name)
			}
		}
	}
	return schemes
}

// splitOutsideQuotes splits s at the commas that are not inside a quoted
// string.
func splitOutsideQuotes(s string) []string {
	var parts []string
	quoted, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case c == '\\' && quoted:
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// snippet is the start of a reply body, as one line of printable text.
func snippet(body []byte) string {
	const max = 200
	s := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == 0xFFFD {
			return ' '
		}
		return r
	}, string(body))
	s = collapseSpace(s)
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}
