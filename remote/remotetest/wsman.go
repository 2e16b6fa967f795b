package remotetest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Credentials StartWSMan accepts when WSManOptions leaves them empty.
const (
	WSManUser     = "rctest-win"
	WSManPassword = "Wsman-Pa55word!"
)

// Authentication modes of WSManOptions.Auth.
const (
	WSManAuthBasic       = "basic"
	WSManAuthNTLM        = "ntlm"
	WSManAuthCertificate = "certificate"
)

// Operation names, as used by WSManFaults and WSManRequest.Op.
const (
	WSManOpCreate  = "Create"
	WSManOpCommand = "Command"
	WSManOpReceive = "Receive"
	WSManOpSend    = "Send"
	WSManOpSignal  = "Signal"
	WSManOpDelete  = "Delete"
)

const (
	// wsmanComputerName is the NetBIOS name the server gives itself in NTLM
	// challenges (and its workgroup when WSManOptions.Domain is empty).
	wsmanComputerName = "RCTEST-WIN"
	// wsmanMaxBody bounds a request body; Windows' MaxEnvelopeSize default
	// is 500 KB and clients send at most 150 KB.
	wsmanMaxBody = 4 << 20
	// wsmanCloseTimeout bounds how long Close waits for requests in flight
	// and for the commands' processes and goroutines to end.
	wsmanCloseTimeout = 10 * time.Second
)

// WSManOptions configures StartWSMan and NewWSManServer. The zero value is a
// Windows listener with its default configuration: plain HTTP, Basic enabled
// (Negotiate is always enabled), AllowUnencrypted=false — which means Basic
// is refused over HTTP, as Windows refuses it; set AllowUnencrypted or HTTPS.
type WSManOptions struct {
	// Auth enables an authentication scheme beside Negotiate (NTLM), which
	// is always enabled as on Windows: "basic" (default) enables Basic,
	// "ntlm" enables nothing else, "certificate" enables client certificates
	// (needs HTTPS; the certificate in WSManServer.ClientCertFile maps to User).
	Auth string
	// HTTPS serves TLS with a certificate for 127.0.0.1, ::1 and localhost,
	// signed by a CA generated for this server (WSManServer.CACertPEM).
	HTTPS bool
	// Seal sets the listener up for NTLM message encryption over plain
	// HTTP, what a default Windows listener requires: Auth defaults to
	// "ntlm" and AllowUnencrypted must stay false, so every SOAP message
	// must arrive NTLM-sealed (multipart/encrypted, MS-WSMV 2.2.9.1.1).
	Seal bool
	// AllowUnencrypted accepts plain-HTTP Basic and unsealed NTLM messages,
	// as Windows' AllowUnencrypted=true. Without it, Basic over HTTP gets 401
	// and an unsealed message over HTTP gets a 500 fault.
	AllowUnencrypted bool
	// User, Password and Domain are the one account the server knows; empty
	// User and Password mean WSManUser and WSManPassword. Domain is the NTLM
	// domain (NetBIOS form); empty means a workgroup server whose domain is
	// its own computer name. User names compare case-insensitively.
	User, Password string
	Domain         string
	// Kerberos, when set, accepts Kerberos too (see WSManKerberos).
	Kerberos *WSManKerberos
	// Faults injects failures.
	Faults WSManFaults
	// PowerShell, when set, runs PowerShell -EncodedCommand command lines
	// with the simulator (and maps shells' C:\ working directories into its
	// tree); nil runs them with /bin/sh, as every other command line.
	PowerShell *PowerShell
	// OperationTimeoutCap is an upper bound on how long a Receive long poll
	// waits for output; 0 means the client's w:OperationTimeout (60s when
	// the request has none), as Windows honours it.
	OperationTimeoutCap time.Duration
}

// WSManFaults injects failures into a WSManServer. Operation names are the
// WSManOp constants.
type WSManFaults struct {
	// UnauthorizedOnRequest answers 401 to the Nth HTTP request (1-based,
	// counting NTLM handshake legs), once.
	UnauthorizedOnRequest int
	// Status500On answers every request for that operation with an HTTP 500
	// SOAP fault (w:InternalError) instead of performing it.
	Status500On string
	// SlowReply delays every reply (401s and faults included). A delayed
	// reply is abandoned when the client goes away or the server closes.
	SlowReply time.Duration
	// DropOn closes the connection of every request for that operation
	// without a reply; the operation is not performed.
	DropOn string
	// ShellNotFoundOnReceive answers every Receive with the "shell not
	// found" fault 2150858843, as Windows does after its shell went away.
	ShellNotFoundOnReceive bool
	// AccessDenied answers every operation of an authenticated user with
	// the access-denied fault (code 5), as Windows answers a user who is
	// neither an administrator nor in Remote Management Users.
	AccessDenied bool
}

// WSManServer is a running WS-Management test server: a protocol double of
// a Windows WinRM listener. It speaks the Windows Remote Shell protocol
// (MS-WSMV, SOAP 1.2) as Windows answers it — envelopes, faults and their
// codes, Receive long polls bounded by w:OperationTimeout, Basic, client
// certificate, NTLMv2 and Kerberos (WSManOptions.Kerberos) authentication,
// HTTPS, NTLM and Kerberos message encryption — and
// Debian's pywinrm and masterzen/winrm are tested against it. It is not a
// Windows emulator: commands run on this machine under /bin/sh, each in a
// new process group (see translateCommandLine for cmd and PowerShell lines),
// except PowerShell -EncodedCommand lines when WSManOptions.PowerShell sets
// a PowerShell simulator: it runs them.
//
// NTLM authenticates a connection, as on Windows: after the handshake,
// requests without an Authorization header are served on that connection
// with its security context. An empty POST there asks for a new context
// and is challenged (pywinrm and masterzen/winrm send one before sealing).
type WSManServer struct {
	URL  string // "http(s)://127.0.0.1:PORT/wsman"
	Host string // "127.0.0.1"
	Port int

	// CACertPEM and CACertFile hold the CA that signed the server
	// certificate (and client certificates), when HTTPS.
	CACertPEM  []byte
	CACertFile string
	// ClientCertFile and ClientKeyFile (PEM) are a client certificate the
	// server accepts for User, when Auth is "certificate".
	ClientCertFile, ClientKeyFile string

	// User, Password and Domain are the account the server accepts.
	User, Password string
	Domain         string

	opts     WSManOptions
	dir      string // temporary files; removed by Close when ownDir
	ownDir   bool
	home     string // working directory of commands whose shell names none
	pki      *wsmanPKI
	ntlm     *ntlmAcceptor
	krb      *wsmanKerberos // nil without WSManOptions.Kerberos
	srv      *http.Server
	done     chan struct{}  // closed when the server starts closing
	wg       sync.WaitGroup // the Serve loop and the commands' goroutines
	handlers sync.WaitGroup // requests in flight; Add only under mu while open
	closeErr error

	mu       sync.Mutex
	closed   bool
	seq      int
	requests []WSManRequest
	signals  []string
	shells   map[string]*wsmanShell

	closeOnce sync.Once
}

// WSManRequest is one HTTP request as the server saw it, for assertions.
type WSManRequest struct {
	Seq       int    // 1-based order of arrival
	Op        string // a WSManOp constant; "" when the body was not read (handshake legs) or names no known action
	Action    string // the request's a:Action URI
	ShellID   string
	CommandID string
	Status    int    // HTTP status of the reply; 0 when the connection was dropped without one
	Fault     string // WSManFault Code of a fault reply, e.g. "2150858793"
	Auth      string // scheme that authenticated the request: "basic", "ntlm", "kerberos", "certificate"; "" when none did
	Sealed    bool   // the body was sealed (multipart/encrypted: NTLM or Kerberos)
	AuthError string // why authentication (or unsealing) failed, when it did
}

// StartWSMan starts a WS-Management test server on a free 127.0.0.1 port,
// failing the test when it cannot. t.Cleanup closes it, which kills every
// process it started.
func StartWSMan(t testing.TB, opts WSManOptions) *WSManServer {
	t.Helper()
	s, err := newWSManServer(opts, t.TempDir(), false)
	if err != nil {
		t.Fatalf("remotetest: StartWSMan: %v", err)
	}
	t.Cleanup(func() {
		if err := s.shutdown(); err != nil {
			t.Errorf("remotetest: WSManServer.Close: %v", err)
		}
	})
	return s
}

// NewWSManServer starts a WS-Management test server outside of a test (for
// demos and benchmarks). Its files live in a temporary directory that Close
// removes.
func NewWSManServer(opts WSManOptions) (*WSManServer, error) {
	dir, err := os.MkdirTemp("", "remotetest-wsman-")
	if err != nil {
		return nil, fmt.Errorf("remotetest: WS-Management server: %w", err)
	}
	s, err := newWSManServer(opts, dir, true)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func newWSManServer(opts WSManOptions, dir string, ownDir bool) (*WSManServer, error) {
	if err := wsmanPlatformSupported(); err != nil {
		return nil, err
	}
	if err := normalizeWSManOptions(&opts); err != nil {
		return nil, err
	}
	s := &WSManServer{
		Host:     "127.0.0.1",
		User:     opts.User,
		Password: opts.Password,
		Domain:   opts.Domain,
		opts:     opts,
		dir:      dir,
		ownDir:   ownDir,
		home:     filepath.Join(dir, "home"),
		done:     make(chan struct{}),
		shells:   map[string]*wsmanShell{},
	}
	if err := os.MkdirAll(s.home, 0o755); err != nil {
		return nil, fmt.Errorf("remotetest: WS-Management server: %w", err)
	}
	s.ntlm = &ntlmAcceptor{user: opts.User, password: opts.Password, domain: opts.Domain, computer: wsmanComputerName}
	if opts.Kerberos != nil {
		var err error
		if s.krb, err = newWSManKerberos(opts.Kerberos); err != nil {
			return nil, err
		}
	}
	if opts.HTTPS {
		if err := s.setUpTLS(); err != nil {
			return nil, err
		}
		s.ntlm.channelBinding = s.pki.channelBindingHash()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("remotetest: WS-Management server: %w", err)
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
	scheme := "http"
	if opts.HTTPS {
		scheme = "https"
	}
	s.URL = fmt.Sprintf("%s://%s/wsman", scheme, net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))
	s.srv = s.httpServer()
	if opts.HTTPS {
		ln = tls.NewListener(ln, s.srv.TLSConfig)
	}
	s.wg.Go(func() { _ = s.srv.Serve(ln) })
	return s, nil
}

// httpServer configures the HTTP/1.1 server.
func (s *WSManServer) httpServer() *http.Server {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ConnContext:       withWSManConn,
		// NTLM authenticates a connection; HTTP/2 would multiplex requests
		// of different contexts over one. Windows' listener is HTTP/1.1.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		// Failed TLS handshakes are expected in tests (clients that do
		// not trust the CA); they must not clutter the test output.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	if s.pki != nil {
		srv.TLSConfig = s.pki.serverTLSConfig(s.opts.Auth == WSManAuthCertificate)
	}
	return srv
}

// normalizeWSManOptions fills defaults and rejects contradictions.
func normalizeWSManOptions(o *WSManOptions) error {
	if o.User == "" && o.Password == "" {
		o.User, o.Password = WSManUser, WSManPassword
	}
	if o.User == "" || o.Password == "" {
		return errors.New("remotetest: WSManOptions: set both User and Password, or neither for the defaults")
	}
	if o.Seal {
		if o.Auth == "" {
			o.Auth = WSManAuthNTLM
		}
		switch {
		case o.Auth != WSManAuthNTLM:
			return fmt.Errorf("remotetest: WSManOptions: Seal is NTLM message encryption but Auth is %q; leave Auth empty or set it to %q", o.Auth, WSManAuthNTLM)
		case o.HTTPS:
			return errors.New("remotetest: WSManOptions: Seal is message encryption over plain HTTP; drop HTTPS (TLS already encrypts) or Seal")
		case o.AllowUnencrypted:
			return errors.New("remotetest: WSManOptions: Seal requires sealed messages but AllowUnencrypted accepts plain ones; set only one")
		}
	}
	switch o.Auth {
	case "":
		o.Auth = WSManAuthBasic
	case WSManAuthBasic, WSManAuthNTLM:
	case WSManAuthCertificate:
		if !o.HTTPS {
			return errors.New("remotetest: WSManOptions: certificate authentication needs TLS; set HTTPS")
		}
	default:
		return fmt.Errorf("remotetest: WSManOptions: unknown Auth %q; use %q, %q or %q", o.Auth, WSManAuthBasic, WSManAuthNTLM, WSManAuthCertificate)
	}
	for _, f := range []struct{ name, op string }{{"Status500On", o.Faults.Status500On}, {"DropOn", o.Faults.DropOn}} {
		if f.op != "" && !slices.Contains(wsmanOps, f.op) {
			return fmt.Errorf("remotetest: WSManFaults.%s: unknown operation %q; use one of %v", f.name, f.op, wsmanOps)
		}
	}
	if o.Faults.UnauthorizedOnRequest < 0 || o.Faults.SlowReply < 0 || o.OperationTimeoutCap < 0 {
		return errors.New("remotetest: WSManOptions: negative counts and durations are meaningless; use 0 for none")
	}
	return nil
}

// wsmanOps lists the operations faults can name.
var wsmanOps = []string{WSManOpCreate, WSManOpCommand, WSManOpReceive, WSManOpSend, WSManOpSignal, WSManOpDelete}

// setUpTLS generates the CA, server and client certificates and writes the
// files tests hand to clients.
func (s *WSManServer) setUpTLS() error {
	pki, err := newWSManPKI(s.User)
	if err != nil {
		return fmt.Errorf("remotetest: WS-Management server: certificates: %w", err)
	}
	s.pki = pki
	s.CACertPEM = pki.caPEM
	s.CACertFile = filepath.Join(s.dir, "wsman-ca.pem")
	files := map[string][]byte{s.CACertFile: pki.caPEM}
	if s.opts.Auth == WSManAuthCertificate {
		s.ClientCertFile = filepath.Join(s.dir, "wsman-client.pem")
		s.ClientKeyFile = filepath.Join(s.dir, "wsman-client-key.pem")
		files[s.ClientCertFile] = pki.clientCertPEM
		files[s.ClientKeyFile] = pki.clientKeyPEM
	}
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return fmt.Errorf("remotetest: WS-Management server: %w", err)
		}
	}
	return nil
}

// Requests returns the log of every HTTP request answered (or dropped) so
// far, in arrival order; a request still in flight, such as a long poll, is
// not in it yet.
func (s *WSManServer) Requests() []WSManRequest {
	s.mu.Lock()
	reqs := slices.Clone(s.requests)
	s.mu.Unlock()
	slices.SortFunc(reqs, func(a, b WSManRequest) int { return a.Seq - b.Seq })
	return reqs
}

// Shells returns the number of open shells (created and not deleted).
func (s *WSManServer) Shells() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.shells)
}

// Signals returns the signal codes received, in order, as the last element
// of the code URI: "terminate", "ctrl_c", "ctrl_break".
func (s *WSManServer) Signals() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.signals)
}

// Processes returns the process IDs of the commands still running.
func (s *WSManServer) Processes() []int {
	s.mu.Lock()
	shells := make([]*wsmanShell, 0, len(s.shells))
	for _, sh := range s.shells {
		shells = append(shells, sh)
	}
	s.mu.Unlock()
	var pids []int
	for _, sh := range shells {
		pids = append(pids, sh.runningPids()...)
	}
	slices.Sort(pids)
	return pids
}

// Close stops the server: it stops listening, cuts every connection (a
// long poll or slow reply in flight ends without a reply), kills every
// process it started, waits for its goroutines and removes its temporary
// files when it owns them. It is idempotent. It gives up waiting after 10s
// (a process that left its process group and holds an output pipe);
// StartWSMan's cleanup reports that as a test error.
func (s *WSManServer) Close() { _ = s.shutdown() }

// shutdown is Close, returning what did not stop in time.
func (s *WSManServer) shutdown() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		shells := s.shells
		s.shells = map[string]*wsmanShell{}
		s.mu.Unlock()
		close(s.done)
		_ = s.srv.Close()
		for _, sh := range shells {
			sh.kill()
		}
		s.closeErr = s.waitGoroutines()
		if s.ownDir {
			if err := os.RemoveAll(s.dir); err != nil && s.closeErr == nil {
				s.closeErr = err
			}
		}
	})
	return s.closeErr
}

// waitGoroutines waits for every goroutine the server started and every
// request handler.
func (s *WSManServer) waitGoroutines() error {
	finished := make(chan struct{})
	go func() {
		s.handlers.Wait()
		s.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-time.After(wsmanCloseTimeout):
		return fmt.Errorf("commands or requests still running after %v (a process left its process group and holds an output pipe?)", wsmanCloseTimeout)
	}
}

// record appends one entry to the request log.
func (s *WSManServer) record(r WSManRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

// beginRequest numbers an arriving request and counts it in flight; false
// means the server is closing and the request must not be served.
func (s *WSManServer) beginRequest() (seq int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, false
	}
	s.seq++
	s.handlers.Add(1)
	return s.seq, true
}
