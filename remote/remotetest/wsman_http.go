package remotetest

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/remotectl/remotectl/internal/gsskrb"
)

// wsmanMutualAuth is the Authorization header value of WS-Management
// certificate authentication (the certificate itself is in the TLS
// handshake).
const wsmanMutualAuth = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"

// wsmanConn is the state of one client connection: NTLM authenticates a
// connection, not a request, so the handshake and the security context
// (for sealing) live here.
type wsmanConn struct {
	mu        sync.Mutex
	challenge *ntlmChallenge // sent, awaiting the AUTHENTICATE message
	authed    bool           // an NTLM handshake completed on this connection
	session   *ntlmSession   // its signing and sealing state, when negotiated
	kerberos  bool           // Kerberos authenticated the connection (wsman_krb.go)
	gss       *gsskrb.Context
}

type wsmanConnKey struct{}

// withWSManConn gives every accepted connection its state (http.Server.ConnContext).
func withWSManConn(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, wsmanConnKey{}, &wsmanConn{})
}

func connOf(r *http.Request) *wsmanConn {
	if c, ok := r.Context().Value(wsmanConnKey{}).(*wsmanConn); ok {
		return c
	}
	return &wsmanConn{} // served outside the server (not expected)
}

func (c *wsmanConn) startHandshake(ch *ntlmChallenge) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.challenge, c.authed, c.session = ch, false, nil
	c.kerberos, c.gss = false, nil
}

// takeChallenge returns the pending challenge, which can be answered once.
func (c *wsmanConn) takeChallenge() *ntlmChallenge {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := c.challenge
	c.challenge = nil
	return ch
}

func (c *wsmanConn) establish(sess *ntlmSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.authed, c.session = true, sess
}

func (c *wsmanConn) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.challenge, c.authed, c.session = nil, false, nil
	c.kerberos, c.gss = false, nil
}

func (c *wsmanConn) authenticated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.authed
}

func (c *wsmanConn) securitySession() *ntlmSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session
}

// wsmanExchange is one request and its reply.
type wsmanExchange struct {
	s    *WSManServer
	w    http.ResponseWriter
	r    *http.Request
	conn *wsmanConn
	rec  WSManRequest
	// env is the decoded request (nil until read, or when envErr says why).
	env    *wsmanEnvelope
	envErr error
	// session seals the reply when the request was sealed.
	session *ntlmSession
	// krb seals the reply when the request was Kerberos-encrypted, in
	// the request's protocol.
	krb         *gsskrb.Context
	krbProtocol string
}

// ServeHTTP implements http.Handler: one WS-Management request.
func (s *WSManServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	seq, ok := s.beginRequest()
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	defer s.handlers.Done()
	ex := &wsmanExchange{s: s, w: w, r: r, conn: connOf(r), rec: WSManRequest{Seq: seq}}
	defer func() { s.record(ex.rec) }()
	ex.serve()
}

// serve answers the request: the HTTP checks, the injected 401, the
// authentication, the message encryption, then the operation.
func (ex *wsmanExchange) serve() {
	body, ok := ex.readRequest()
	if !ok {
		return
	}
	if n := ex.s.opts.Faults.UnauthorizedOnRequest; n > 0 && n == ex.rec.Seq {
		ex.refuse("injected fault WSManFaults.UnauthorizedOnRequest=" + strconv.Itoa(n))
		return
	}
	if !ex.authenticate(len(body) == 0) {
		return
	}
	if body, ok = ex.decrypt(body); !ok {
		return
	}
	switch {
	case len(body) == 0:
		// An empty authenticated POST sets up the security context
		// (pywinrm and masterzen/winrm do this before sealing).
		ex.replyStatus(http.StatusOK)
	case ex.envErr != nil:
		ex.replySOAP(faultInvalidXML(ex.envErr).reply(""))
	default:
		ex.perform(ex.env)
	}
}

// readRequest checks the method and path and reads the body, decoding it
// for the log when it is not sealed. false means it has answered.
func (ex *wsmanExchange) readRequest() ([]byte, bool) {
	r := ex.r
	if r.URL.Path != "/wsman" {
		ex.replyStatus(http.StatusNotFound)
		return nil, false
	}
	if r.Method != http.MethodPost {
		ex.w.Header().Set("Allow", http.MethodPost)
		ex.replyStatus(http.StatusMethodNotAllowed)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(ex.w, r.Body, wsmanMaxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			ex.replyStatus(http.StatusRequestEntityTooLarge)
		}
		return nil, false // otherwise the client went away
	}
	ex.rec.Sealed = isSealedContentType(r.Header.Get("Content-Type"))
	if !ex.rec.Sealed {
		ex.read(body)
	}
	return body, true
}

// decrypt unseals a sealed body, and refuses a plain one over HTTP unless
// AllowUnencrypted. false means it has answered.
func (ex *wsmanExchange) decrypt(body []byte) ([]byte, bool) {
	switch {
	case ex.rec.Sealed:
		plain, err := ex.unseal(body)
		if err != nil {
			ex.rec.AuthError = err.Error()
			ex.replyStatus(http.StatusBadRequest)
			return nil, false
		}
		ex.read(plain)
		return plain, true
	case len(body) > 0 && ex.r.TLS == nil && !ex.s.opts.AllowUnencrypted:
		ex.replySOAP(faultUnencrypted().reply(ex.messageID()))
		return nil, false
	}
	return body, true
}

// perform runs the operation, with the injected faults.
func (ex *wsmanExchange) perform(env *wsmanEnvelope) {
	faults := ex.s.opts.Faults
	msgID := ex.messageID()
	switch op := env.op(); {
	case op != "" && op == faults.DropOn:
		ex.drop()
	case faults.AccessDenied:
		ex.replySOAP(faultAccessDenied().reply(msgID))
	case op != "" && op == faults.Status500On:
		ex.replySOAP(faultInjected(op).reply(msgID))
	case op == WSManOpReceive && faults.ShellNotFoundOnReceive:
		ex.replySOAP(faultShellNotFound(env.shellID()).reply(msgID))
	default:
		ex.replySOAP(ex.s.dispatch(ex.r, env))
	}
}

// read decodes a plain SOAP body and fills the log entry from it.
func (ex *wsmanExchange) read(body []byte) {
	if len(body) == 0 {
		return
	}
	ex.env, ex.envErr = parseWSManEnvelope(body)
	if ex.envErr != nil {
		return
	}
	ex.rec.Action = strings.TrimSpace(ex.env.Header.Action)
	ex.rec.Op = ex.env.op()
	ex.rec.ShellID = ex.env.shellID()
	ex.rec.CommandID = ex.env.commandID()
}

// messageID returns the request's a:MessageID, "" before its body was read.
func (ex *wsmanExchange) messageID() string {
	if ex.env == nil {
		return ""
	}
	return strings.TrimSpace(ex.env.Header.MessageID)
}

// authenticate checks the request's credentials. When it returns false it
// has answered (401, or the NTLM challenge).
func (ex *wsmanExchange) authenticate(emptyBody bool) bool {
	header := ex.r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(header, " ")
	switch {
	case header == "":
		return ex.authenticateConnection(emptyBody)
	case header == wsmanMutualAuth:
		return ex.authenticateCertificate()
	case strings.EqualFold(scheme, "Basic"):
		return ex.authenticateBasic(token)
	case ex.s.krb != nil && (strings.EqualFold(scheme, "Negotiate") || strings.EqualFold(scheme, "Kerberos")) && isGSSToken(token):
		return ex.authenticateKerberos(scheme, token)
	case strings.EqualFold(scheme, "Negotiate"), strings.EqualFold(scheme, "NTLM"):
		return ex.authenticateNTLM(scheme, token)
	}
	return ex.refuse("unsupported Authorization scheme " + strconv.Quote(scheme))
}

// authenticateConnection accepts a request without credentials on a
// connection an NTLM handshake authenticated. An empty body there asks for
// a new security context: it is challenged.
func (ex *wsmanExchange) authenticateConnection(emptyBody bool) bool {
	if !ex.conn.authenticated() {
		return ex.refuse("no Authorization header")
	}
	if emptyBody {
		return ex.refuse("empty request on an authenticated connection: challenging for a new security context")
	}
	ex.rec.Auth = ex.conn.method()
	return true
}

func (ex *wsmanExchange) authenticateBasic(token string) bool {
	s := ex.s
	switch {
	case s.opts.Auth != WSManAuthBasic:
		return ex.refuse("Basic authentication is disabled (Auth=" + s.opts.Auth + ")")
	case !s.basicUsable(ex.r.TLS != nil):
		return ex.refuse("Basic over plain HTTP is refused (AllowUnencrypted=false)")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		return ex.refuse("malformed Basic credentials")
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok || !s.userMatches(user) || subtle.ConstantTimeCompare([]byte(password), []byte(s.Password)) != 1 {
		return ex.refuse("wrong user name or password for Basic")
	}
	ex.rec.Auth = WSManAuthBasic
	return true
}

func (ex *wsmanExchange) authenticateCertificate() bool {
	s := ex.s
	if s.opts.Auth != WSManAuthCertificate {
		return ex.refuse("certificate authentication is disabled (Auth=" + s.opts.Auth + ")")
	}
	state := ex.r.TLS
	if state == nil || len(state.VerifiedChains) == 0 {
		return ex.refuse("no client certificate signed by the server's CA was presented")
	}
	upn, err := certificateUPN(state.PeerCertificates[0])
	if err != nil {
		return ex.refuse("client certificate: " + err.Error())
	}
	user, _, _ := strings.Cut(upn, "@")
	if !strings.EqualFold(user, s.User) {
		return ex.refuse("client certificate maps to " + upn + ", not to " + s.User)
	}
	ex.rec.Auth = WSManAuthCertificate
	return true
}

// authenticateNTLM runs one leg of the NTLM handshake.
func (ex *wsmanExchange) authenticateNTLM(scheme, token string) bool {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		return ex.refuse("malformed " + scheme + " token")
	}
	switch ntlmMessageType(raw) {
	case ntlmTypeNegotiate:
		ch, err := ex.s.ntlm.challenge(raw)
		if err != nil {
			return ex.refuse(err.Error())
		}
		ex.conn.startHandshake(ch)
		ex.replyChallenge(scheme, ch.message)
		return false
	case ntlmTypeAuthenticate:
		ch := ex.conn.takeChallenge()
		if ch == nil {
			return ex.refuse("NTLM AUTHENTICATE without a NEGOTIATE on this connection (NTLM is connection-oriented: keep the connection alive)")
		}
		sess, err := ex.s.ntlm.authenticate(ch, raw, ex.r.TLS != nil)
		if err != nil {
			return ex.refuse(err.Error())
		}
		ex.conn.establish(sess)
		ex.rec.Auth = WSManAuthNTLM
		return true
	}
	return ex.refuse(scheme + " token is not a raw NTLM message (SPNEGO and Kerberos need WSManOptions.Kerberos)")
}

// refuse answers 401 and records why.
func (ex *wsmanExchange) refuse(why string) bool {
	ex.rec.AuthError = why
	ex.replyUnauthorized()
	return false
}

// basicUsable reports whether Basic may be used over this transport.
func (s *WSManServer) basicUsable(tls bool) bool {
	return s.opts.Auth == WSManAuthBasic && (tls || s.opts.AllowUnencrypted)
}

// userMatches accepts the user name with an optional domain prefix
// ("DOMAIN\user", ".\user"), case-insensitively as Windows does.
func (s *WSManServer) userMatches(name string) bool {
	if domain, user, ok := strings.Cut(name, `\`); ok {
		if !s.ntlm.domainMatches(domain) {
			return false
		}
		name = user
	}
	return strings.EqualFold(name, s.User)
}

// unseal decrypts a multipart/encrypted body with the connection's NTLM
// security context; the reply is sealed with it too.
func (ex *wsmanExchange) unseal(body []byte) ([]byte, error) {
	if ctx := ex.conn.kerberosContext(); ctx != nil {
		return ex.unsealKerberos(ctx, body)
	}
	sess := ex.conn.securitySession()
	if sess == nil || !sess.canSeal() {
		return nil, errors.New("sealed message on a connection without an NTLM security context that negotiated sealing")
	}
	plain, err := unsealMessage(sess, body)
	if err != nil {
		return nil, err
	}
	ex.session = sess
	return plain, nil
}

// replySOAP sends a SOAP reply, sealed when the request was.
func (ex *wsmanExchange) replySOAP(reply wsmanReply) {
	if !ex.delay() {
		return
	}
	h := ex.w.Header()
	body := reply.body
	h.Set("Content-Type", soapContentType)
	if ex.session != nil {
		body = sealMessage(ex.session, body)
		h.Set("Content-Type", sealedContentType)
	}
	if ex.krb != nil {
		sealed, err := sealKerberos(ex.krb, ex.krbProtocol, body)
		if err != nil {
			ex.rec.AuthError = err.Error()
			ex.write(http.StatusInternalServerError, nil)
			return
		}
		body = sealed
		h.Set("Content-Type", `multipart/encrypted;protocol="`+ex.krbProtocol+`";boundary="Encrypted Boundary"`)
	}
	ex.write(reply.status, body)
	ex.rec.Fault = reply.fault
}

// replyStatus answers an empty body with a status.
func (ex *wsmanExchange) replyStatus(status int) {
	if ex.delay() {
		ex.write(status, nil)
	}
}

// replyUnauthorized answers 401 with the schemes the listener offers, as
// Windows does (Negotiate, and Basic when enabled and usable). It ends any
// NTLM context of the connection.
func (ex *wsmanExchange) replyUnauthorized() {
	ex.conn.reset()
	h := ex.w.Header()
	h.Add("WWW-Authenticate", "Negotiate")
	if ex.s.krb != nil {
		h.Add("WWW-Authenticate", "Kerberos")
	}
	if ex.s.basicUsable(ex.r.TLS != nil) {
		h.Add("WWW-Authenticate", `Basic realm="WSMAN"`)
	}
	ex.replyStatus(http.StatusUnauthorized)
}

// replyChallenge answers an NTLM NEGOTIATE with the CHALLENGE, in the
// scheme the client used.
func (ex *wsmanExchange) replyChallenge(scheme string, challenge []byte) {
	name := "Negotiate"
	if strings.EqualFold(scheme, "NTLM") {
		name = "NTLM"
	}
	ex.w.Header().Set("WWW-Authenticate", name+" "+base64.StdEncoding.EncodeToString(challenge))
	ex.replyStatus(http.StatusUnauthorized)
}

// write sends the reply. Every reply says Content-Length, so that a client
// that does not read a 401 body still keeps the (NTLM-authenticated)
// connection.
func (ex *wsmanExchange) write(status int, body []byte) {
	h := ex.w.Header()
	h.Set("Server", "Microsoft-HTTPAPI/2.0")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	ex.w.WriteHeader(status)
	_, _ = ex.w.Write(body)
	ex.rec.Status = status
}

// delay waits WSManFaults.SlowReply; false means the client went away or the
// server is closing, and no reply is sent.
func (ex *wsmanExchange) delay() bool {
	d := ex.s.opts.Faults.SlowReply
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ex.r.Context().Done():
	case <-ex.s.done:
	}
	return false
}

// drop closes the connection without a reply, with a TCP reset, as a
// network failure would.
func (ex *wsmanExchange) drop() {
	hj, ok := ex.w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // closes the connection without a reply
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}
