//go:build unix

package remotetest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// wsmanTestClient speaks the shell protocol to a WSManServer with net/http
// and hand-written envelopes, so tests see every status, header and fault.
type wsmanTestClient struct {
	t          *testing.T
	srv        *WSManServer
	http       *http.Client
	user, pass string
	maxEnv     int // w:MaxEnvelopeSize sent; 0 means 153600
}

func newWSManTestClient(t *testing.T, srv *WSManServer) *wsmanTestClient {
	t.Helper()
	transport := &http.Transport{}
	if srv.CACertPEM != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(srv.CACertPEM)
		transport.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	c := &wsmanTestClient{t: t, srv: srv, http: &http.Client{Transport: transport}, user: srv.User, pass: srv.Password}
	t.Cleanup(transport.CloseIdleConnections)
	return c
}

// wsmanTestReply is a reply with its envelope decoded.
type wsmanTestReply struct {
	status int
	header http.Header
	raw    []byte
	env    testReplyEnvelope
}

// testReplyEnvelope decodes replies; the namespaces are part of the check.
type testReplyEnvelope struct {
	XMLName xml.Name `xml:"http://www.w3.org/2003/05/soap-envelope Envelope"`
	Header  struct {
		Action    string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing Action"`
		MessageID string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing MessageID"`
		RelatesTo string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing RelatesTo"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Header"`
	Body struct {
		ResourceCreated *struct {
			Selectors []wsmanNamedValue `xml:"ReferenceParameters>SelectorSet>Selector"`
		} `xml:"http://schemas.xmlsoap.org/ws/2004/09/transfer ResourceCreated"`
		Shell *struct {
			ShellID string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ShellId"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Shell"`
		CommandResponse *struct {
			CommandID string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandId"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandResponse"`
		ReceiveResponse *testReceiveResponse `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ReceiveResponse"`
		Fault           *testFault           `xml:"http://www.w3.org/2003/05/soap-envelope Fault"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

type testReceiveResponse struct {
	Streams []struct {
		Name      string `xml:"Name,attr"`
		CommandID string `xml:"CommandId,attr"`
		End       string `xml:"End,attr"`
		Data      string `xml:",chardata"`
	} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Stream"`
	States []struct {
		CommandID string `xml:"CommandId,attr"`
		State     string `xml:"State,attr"`
		ExitCode  *int   `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ExitCode"`
	} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandState"`
}

type testFault struct {
	Code struct {
		Value   string `xml:"Value"`
		Subcode string `xml:"Subcode>Value"`
	} `xml:"Code"`
	Reason string `xml:"Reason>Text"`
	Detail struct {
		WSManFault struct {
			Code    string `xml:"Code,attr"`
			Message string `xml:"Message"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault WSManFault"`
	} `xml:"Detail"`
}

// faultCode returns the WSManFault code of a fault reply, "" otherwise.
func (r wsmanTestReply) faultCode() string {
	if r.env.Body.Fault == nil {
		return ""
	}
	return r.env.Body.Fault.Detail.WSManFault.Code
}

// testEnvelope builds a request envelope like pywinrm's.
func testEnvelope(action, shellID, messageID, timeout string, maxEnv int, body string) string {
	if maxEnv == 0 {
		maxEnv = 153600
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>`)
	b.WriteString(`<env:Envelope xmlns:env="` + nsSOAP + `" xmlns:a="` + nsAddressing + `" xmlns:w="` + nsWSMan +
		`" xmlns:rsp="` + nsShell + `" xmlns:p="` + nsMSWSMan + `"><env:Header>`)
	b.WriteString(`<a:To>http://windows-host:5985/wsman</a:To>`)
	b.WriteString(fmt.Sprintf(`<w:MaxEnvelopeSize mustUnderstand="true">%d</w:MaxEnvelopeSize>`, maxEnv))
	b.WriteString(`<a:MessageID>` + messageID + `</a:MessageID>`)
	if timeout != "" {
		b.WriteString(`<w:OperationTimeout>` + timeout + `</w:OperationTimeout>`)
	}
	b.WriteString(`<w:ResourceURI mustUnderstand="true">` + wsmanShellResourceURI + `</w:ResourceURI>`)
	b.WriteString(`<a:Action mustUnderstand="true">` + action + `</a:Action>`)
	if shellID != "" {
		b.WriteString(`<w:SelectorSet><w:Selector Name="ShellId">` + shellID + `</w:Selector></w:SelectorSet>`)
	}
	b.WriteString(`</env:Header><env:Body>` + body + `</env:Body></env:Envelope>`)
	return b.String()
}

// post sends a raw body with Basic credentials.
func (c *wsmanTestClient) post(ctx context.Context, body string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.srv.URL, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", soapContentType)
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp, raw, err
}

// call sends one operation and decodes the reply.
func (c *wsmanTestClient) call(action, shellID, timeout, body string) wsmanTestReply {
	c.t.Helper()
	msgID := "uuid:" + strings.ToLower(newWSManUUID())
	resp, raw, err := c.post(context.Background(), testEnvelope(action, shellID, msgID, timeout, c.maxEnv, body))
	if err != nil {
		c.t.Fatalf("%s: %v", action, err)
	}
	r := wsmanTestReply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusInternalServerError {
		return r
	}
	if got := resp.Header.Get("Content-Type"); got != soapContentType {
		c.t.Errorf("%s: Content-Type %q, want %q", action, got, soapContentType)
	}
	if err := xml.Unmarshal(raw, &r.env); err != nil {
		c.t.Fatalf("%s: reply is not a SOAP envelope: %v\n%s", action, err, raw)
	}
	if r.env.Header.RelatesTo != msgID {
		c.t.Errorf("%s: RelatesTo %q, want the request's MessageID %q", action, r.env.Header.RelatesTo, msgID)
	}
	if !strings.HasPrefix(r.env.Header.MessageID, "uuid:") || strings.EqualFold(r.env.Header.MessageID, msgID) {
		c.t.Errorf("%s: reply MessageID %q is not a fresh uuid", action, r.env.Header.MessageID)
	}
	return r
}

func (c *wsmanTestClient) mustOK(action string, r wsmanTestReply) wsmanTestReply {
	c.t.Helper()
	if r.status != http.StatusOK {
		c.t.Fatalf("%s: status %d, want 200\n%s", action, r.status, r.raw)
	}
	return r
}

func (c *wsmanTestClient) createShell(body string) string {
	c.t.Helper()
	r := c.mustOK("Create", c.call(nsTransfer+"/Create", "", "PT20S", `<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>`+body+`</rsp:Shell>`))
	if r.env.Body.ResourceCreated == nil || len(r.env.Body.ResourceCreated.Selectors) != 1 {
		c.t.Fatalf("Create reply has no ShellId selector:\n%s", r.raw)
	}
	return r.env.Body.ResourceCreated.Selectors[0].Value
}

func (c *wsmanTestClient) command(shellID, command string, args ...string) string {
	c.t.Helper()
	body := `<rsp:CommandLine><rsp:Command>` + xmlText(command) + `</rsp:Command>`
	for _, a := range args {
		body += `<rsp:Arguments>` + xmlText(a) + `</rsp:Arguments>`
	}
	r := c.mustOK("Command", c.call(nsShell+"/Command", shellID, "PT20S", body+`</rsp:CommandLine>`))
	if r.env.Body.CommandResponse == nil {
		c.t.Fatalf("Command reply has no CommandId:\n%s", r.raw)
	}
	return r.env.Body.CommandResponse.CommandID
}

func (c *wsmanTestClient) receive(shellID, commandID, timeout string) wsmanTestReply {
	c.t.Helper()
	return c.call(nsShell+"/Receive", shellID, timeout,
		`<rsp:Receive><rsp:DesiredStream CommandId="`+commandID+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`)
}

func (c *wsmanTestClient) send(shellID, commandID string, data []byte, end bool) wsmanTestReply {
	c.t.Helper()
	endAttr := ""
	if end {
		endAttr = ` End="true"`
	}
	return c.call(nsShell+"/Send", shellID, "PT20S", `<rsp:Send><rsp:Stream Name="stdin" CommandId="`+commandID+`"`+endAttr+`>`+
		base64.StdEncoding.EncodeToString(data)+`</rsp:Stream></rsp:Send>`)
}

func (c *wsmanTestClient) signal(shellID, commandID, code string) wsmanTestReply {
	c.t.Helper()
	return c.call(nsShell+"/Signal", shellID, "PT20S",
		`<rsp:Signal CommandId="`+commandID+`"><rsp:Code>`+wsmanSignalURI+code+`</rsp:Code></rsp:Signal>`)
}

func (c *wsmanTestClient) deleteShell(shellID string) wsmanTestReply {
	c.t.Helper()
	return c.call(nsTransfer+"/Delete", shellID, "PT20S", "")
}

// receiveStdoutUntil polls a running command until its stdout holds want
// and returns what it received. The command ending first fails the test.
func (c *wsmanTestClient) receiveStdoutUntil(shellID, commandID, want string) string {
	c.t.Helper()
	var stdout bytes.Buffer
	for !strings.Contains(stdout.String(), want) {
		r := c.receive(shellID, commandID, "PT20S")
		if r.faultCode() == faultCodeTimedOut {
			continue
		}
		rr := c.mustOK("Receive", r).env.Body.ReceiveResponse
		if rr == nil || len(rr.States) != 1 {
			c.t.Fatalf("Receive reply needs exactly one CommandState:\n%s", r.raw)
		}
		for _, s := range rr.Streams {
			data, err := base64.StdEncoding.DecodeString(s.Data)
			if err != nil {
				c.t.Fatalf("stream chunk is not base64: %v", err)
			}
			if s.Name == "stdout" {
				stdout.Write(data)
			}
		}
		if rr.States[0].State != wsmanCommandStateURI+"Running" && !strings.Contains(stdout.String(), want) {
			c.t.Fatalf("command %s before its stdout held %q (stdout %q)", rr.States[0].State, want, stdout.String())
		}
	}
	return stdout.String()
}

// wsmanRun is a command's output collected over Receive calls.
type wsmanRun struct {
	stdout, stderr bytes.Buffer
	exitCode       int
	replies        []*testReceiveResponse
}

// receiveAll polls until the command is done, checking the protocol
// invariants on the way: one CommandState per reply, Running until the
// single Done, End="true" exactly once per stream and on its last chunk.
func (c *wsmanTestClient) receiveAll(shellID, commandID string) *wsmanRun {
	c.t.Helper()
	run := &wsmanRun{}
	ended := map[string]bool{}
	for {
		r := c.receive(shellID, commandID, "PT20S")
		if r.faultCode() == faultCodeTimedOut {
			continue
		}
		c.mustOK("Receive", r)
		if c.maxEnv > 0 && len(r.raw) > c.maxEnv {
			c.t.Fatalf("Receive reply of %d bytes exceeds MaxEnvelopeSize %d", len(r.raw), c.maxEnv)
		}
		rr := r.env.Body.ReceiveResponse
		if rr == nil || len(rr.States) != 1 {
			c.t.Fatalf("Receive reply needs exactly one CommandState:\n%s", r.raw)
		}
		run.replies = append(run.replies, rr)
		for _, s := range rr.Streams {
			if ended[s.Name] {
				c.t.Fatalf("stream %s has a chunk after its End=\"true\" chunk:\n%s", s.Name, r.raw)
			}
			if s.CommandID != commandID {
				c.t.Errorf("stream chunk for CommandId %q, want %q", s.CommandID, commandID)
			}
			data, err := base64.StdEncoding.DecodeString(s.Data)
			if err != nil {
				c.t.Fatalf("stream chunk is not base64: %v", err)
			}
			map[string]*bytes.Buffer{"stdout": &run.stdout, "stderr": &run.stderr}[s.Name].Write(data)
			ended[s.Name] = s.End == "true"
		}
		switch state := rr.States[0]; state.State {
		case wsmanCommandStateURI + "Running":
		case wsmanCommandStateURI + "Done":
			if !ended["stdout"] || !ended["stderr"] {
				c.t.Fatalf("Done before both streams ended (ended: %v)", ended)
			}
			if state.ExitCode == nil {
				c.t.Fatalf("Done without an ExitCode:\n%s", r.raw)
			}
			run.exitCode = *state.ExitCode
			return run
		default:
			c.t.Fatalf("unexpected CommandState %q", state.State)
		}
	}
}

// startBasicWSMan starts a plain-HTTP server that accepts Basic.
func startBasicWSMan(t *testing.T, opts WSManOptions) (*WSManServer, *wsmanTestClient) {
	t.Helper()
	opts.AllowUnencrypted = true
	srv := StartWSMan(t, opts)
	return srv, newWSManTestClient(t, srv)
}

// ops returns the operation of every logged request.
func ops(reqs []WSManRequest) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Op)
	}
	return out
}

// TestWSManLifecycle runs a command from Create to Delete and checks the
// server leaves no goroutine or process behind.
func TestWSManLifecycle(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	srv, c := startBasicWSMan(t, WSManOptions{})

	shellID := c.createShell("")
	if srv.Shells() != 1 {
		t.Fatalf("Shells() = %d after Create, want 1", srv.Shells())
	}
	cmdID := c.command(shellID, "echo out; echo err >&2; exit 3")
	run := c.receiveAll(shellID, cmdID)
	if run.stdout.String() != "out\n" || run.stderr.String() != "err\n" || run.exitCode != 3 {
		t.Errorf("got stdout %q stderr %q exit %d, want \"out\\n\" \"err\\n\" 3", run.stdout.String(), run.stderr.String(), run.exitCode)
	}
	c.mustOK("Signal", c.signal(shellID, cmdID, "terminate"))
	c.mustOK("Delete", c.deleteShell(shellID))
	if srv.Shells() != 0 {
		t.Errorf("Shells() = %d after Delete, want 0", srv.Shells())
	}
	if got := srv.Signals(); !slices.Equal(got, []string{"terminate"}) {
		t.Errorf("Signals() = %q, want [terminate]", got)
	}
	reqs := srv.Requests()
	want := []string{WSManOpCreate, WSManOpCommand}
	for range run.replies {
		want = append(want, WSManOpReceive)
	}
	want = append(want, WSManOpSignal, WSManOpDelete)
	if got := ops(reqs); !slices.Equal(got, want) {
		t.Errorf("request log ops = %q, want %q", got, want)
	}
	for _, r := range reqs[1:] { // after Create
		if r.Status != http.StatusOK || r.Auth != WSManAuthBasic || r.ShellID != shellID {
			t.Errorf("request %+v: want status 200, Basic auth, shell %s", r, shellID)
		}
	}
	if err := srv.shutdown(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c.http.CloseIdleConnections()
}

func TestWSManReplyFormat(t *testing.T) {
	t.Parallel()
	_, c := startBasicWSMan(t, WSManOptions{})
	r := c.mustOK("Create", c.call(nsTransfer+"/Create", "", "PT20S", `<rsp:Shell/>`))
	if r.env.Header.Action != nsTransfer+"/CreateResponse" {
		t.Errorf("Action %q, want CreateResponse", r.env.Header.Action)
	}
	if r.env.Body.Shell == nil || r.env.Body.ResourceCreated == nil ||
		r.env.Body.Shell.ShellID != r.env.Body.ResourceCreated.Selectors[0].Value || r.env.Body.Shell.ShellID == "" {
		t.Errorf("Create reply must carry the ShellId as selector and rsp:Shell/rsp:ShellId:\n%s", r.raw)
	}
	if r.header.Get("Server") != "Microsoft-HTTPAPI/2.0" {
		t.Errorf("Server header %q", r.header.Get("Server"))
	}
	shellID := r.env.Body.Shell.ShellID
	if strings.ToUpper(shellID) != shellID || len(shellID) != 36 {
		t.Errorf("ShellId %q is not an upper-case GUID as Windows sends", shellID)
	}
	cmdID := c.command(shellID, "true")
	c.receiveAll(shellID, cmdID)
	for action, r := range map[string]wsmanTestReply{
		"SignalResponse": c.signal(shellID, cmdID, "terminate"),
		"DeleteResponse": c.deleteShell(shellID),
	} {
		if !strings.HasSuffix(r.env.Header.Action, "/"+action) {
			t.Errorf("Action %q, want .../%s", r.env.Header.Action, action)
		}
	}
}

func TestWSManAuthentication(t *testing.T) {
	t.Parallel()
	t.Run("offers", func(t *testing.T) {
		srv, c := startBasicWSMan(t, WSManOptions{})
		c.user = ""
		resp, raw, err := c.post(context.Background(), testEnvelope(nsTransfer+"/Create", "", "uuid:1", "", 0, ""))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusUnauthorized || len(raw) != 0 || resp.ContentLength != 0 {
			t.Fatalf("unauthenticated request: status %d, %d body bytes; want 401 with an empty body", resp.StatusCode, len(raw))
		}
		if got := resp.Header.Values("WWW-Authenticate"); !slices.Equal(got, []string{"Negotiate", `Basic realm="WSMAN"`}) {
			t.Errorf("WWW-Authenticate %q, want Negotiate and Basic realm=\"WSMAN\" as Windows offers", got)
		}
		if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Op != WSManOpCreate || reqs[0].AuthError == "" || reqs[0].Status != 401 {
			t.Errorf("log %+v: want the Create refused with a reason", reqs)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		_, c := startBasicWSMan(t, WSManOptions{})
		c.pass = "wrong"
		if r := c.call(nsTransfer+"/Create", "", "", ""); r.status != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", r.status)
		}
	})
	t.Run("user name case and domain", func(t *testing.T) {
		_, c := startBasicWSMan(t, WSManOptions{Domain: "CORP"})
		c.user = `corp\` + strings.ToUpper(WSManUser)
		c.createShell("")
	})
	t.Run("Basic over HTTP needs AllowUnencrypted", func(t *testing.T) {
		srv := StartWSMan(t, WSManOptions{})
		c := newWSManTestClient(t, srv)
		r := c.call(nsTransfer+"/Create", "", "", "")
		if r.status != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401 (Windows refuses Basic over HTTP unless AllowUnencrypted)", r.status)
		}
		if got := r.header.Values("WWW-Authenticate"); !slices.Equal(got, []string{"Negotiate"}) {
			t.Errorf("WWW-Authenticate %q: Basic must not be offered when it cannot be used", got)
		}
	})
	t.Run("Basic disabled in ntlm mode", func(t *testing.T) {
		_, c := startBasicWSMan(t, WSManOptions{Auth: WSManAuthNTLM})
		if r := c.call(nsTransfer+"/Create", "", "", ""); r.status != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", r.status)
		}
	})
	t.Run("HTTPS", func(t *testing.T) {
		srv := StartWSMan(t, WSManOptions{HTTPS: true})
		if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") || srv.CACertFile == "" {
			t.Fatalf("URL %q CACertFile %q", srv.URL, srv.CACertFile)
		}
		if pem, err := os.ReadFile(srv.CACertFile); err != nil || !bytes.Equal(pem, srv.CACertPEM) {
			t.Fatalf("CA file: %v", err)
		}
		newWSManTestClient(t, srv).createShell("")
		untrusting := &http.Client{Transport: &http.Transport{}}
		defer untrusting.CloseIdleConnections()
		_, err := untrusting.Post(srv.URL, soapContentType, strings.NewReader(""))
		var unknownCA x509.UnknownAuthorityError
		if !errors.As(err, &unknownCA) {
			t.Errorf("client without the CA: %v, want an unknown authority error", err)
		}
	})
}

func TestWSManCertificateAuth(t *testing.T) {
	t.Parallel()
	srv := StartWSMan(t, WSManOptions{HTTPS: true, Auth: WSManAuthCertificate})
	cert, err := tls.LoadX509KeyPair(srv.ClientCertFile, srv.ClientKeyFile)
	if err != nil {
		t.Fatalf("client certificate files: %v", err)
	}
	post := func(withCert bool, authorization string) int {
		t.Helper()
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(srv.CACertPEM)
		cfg := &tls.Config{RootCAs: pool}
		if withCert {
			cfg.Certificates = []tls.Certificate{cert}
		}
		transport := &http.Transport{TLSClientConfig: cfg}
		defer transport.CloseIdleConnections()
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(testEnvelope(nsTransfer+"/Create", "", "uuid:1", "", 0, "")))
		req.Header.Set("Content-Type", soapContentType)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := transport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(true, wsmanMutualAuth); got != http.StatusOK {
		t.Errorf("certificate with the mutual header: %d, want 200", got)
	}
	if got := post(false, wsmanMutualAuth); got != http.StatusUnauthorized {
		t.Errorf("mutual header without a certificate: %d, want 401", got)
	}
	if got := post(true, ""); got != http.StatusUnauthorized {
		t.Errorf("certificate without the mutual header: %d, want 401", got)
	}
	var auths []string
	for _, r := range srv.Requests() {
		auths = append(auths, r.Auth)
	}
	if !slices.Equal(auths, []string{WSManAuthCertificate, "", ""}) {
		t.Errorf("logged auth %q", auths)
	}
}

func TestWSManStdin(t *testing.T) {
	t.Parallel()
	_, c := startBasicWSMan(t, WSManOptions{})
	shellID := c.createShell("")
	cmdID := c.command(shellID, "cat; echo done >&2")
	input := bytes.Repeat([]byte("0123456789abcdef\n"), 5000)
	for i := 0; i < len(input); i += 30000 {
		c.mustOK("Send", c.send(shellID, cmdID, input[i:min(i+30000, len(input))], i+30000 >= len(input)))
	}
	run := c.receiveAll(shellID, cmdID)
	if !bytes.Equal(run.stdout.Bytes(), input) || run.stderr.String() != "done\n" || run.exitCode != 0 {
		t.Errorf("cat echoed %d bytes (want %d), stderr %q, exit %d", run.stdout.Len(), len(input), run.stderr.String(), run.exitCode)
	}
	if r := c.send(shellID, cmdID, []byte("late"), false); r.faultCode() != faultCodeInvalidParameter {
		t.Errorf("Send after End: fault %q, want %s", r.faultCode(), faultCodeInvalidParameter)
	}
}

func TestWSManOperationTimeout(t *testing.T) {
	t.Parallel()
	srv, c := startBasicWSMan(t, WSManOptions{})
	shellID := c.createShell("")
	cmdID := c.command(shellID, "sleep 30")
	r := c.receive(shellID, cmdID, "PT0.3S")
	if r.status != http.StatusInternalServerError || r.faultCode() != faultCodeTimedOut {
		t.Fatalf("Receive past the OperationTimeout: status %d fault %q, want 500 %s\n%s", r.status, r.faultCode(), faultCodeTimedOut, r.raw)
	}
	f := r.env.Body.Fault
	want := "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "
	if f.Code.Value != "s:Receiver" || f.Code.Subcode != "w:TimedOut" || f.Reason != want || f.Detail.WSManFault.Message != want {
		t.Errorf("fault %+v differs from Windows'", f)
	}
	if r.env.Header.Action != wsmanFaultAction {
		t.Errorf("fault Action %q", r.env.Header.Action)
	}
	c.mustOK("Signal", c.signal(shellID, cmdID, "ctrl_c"))
	if run := c.receiveAll(shellID, cmdID); run.exitCode != 128+int(syscall.SIGINT) {
		t.Errorf("exit code after ctrl_c %d, want %d", run.exitCode, 128+int(syscall.SIGINT))
	}
	if got := srv.Signals(); !slices.Equal(got, []string{"ctrl_c"}) {
		t.Errorf("Signals() = %q", got)
	}
}

func TestWSManOperationTimeoutCap(t *testing.T) {
	t.Parallel()
	_, c := startBasicWSMan(t, WSManOptions{OperationTimeoutCap: 100 * time.Millisecond})
	shellID := c.createShell("")
	cmdID := c.command(shellID, "sleep 30")
	if r := c.receive(shellID, cmdID, "PT600S"); r.faultCode() != faultCodeTimedOut {
		t.Fatalf("Receive with the cap: fault %q, want %s", r.faultCode(), faultCodeTimedOut)
	}
	c.mustOK("Delete", c.deleteShell(shellID))
}

func TestWSManTerminateEscalates(t *testing.T) {
	t.Parallel()
	_, c := startBasicWSMan(t, WSManOptions{})
	shellID := c.createShell("")
	// The shell must have ignored TERM before the signal is sent: a
	// terminate arriving first would kill it with SIGTERM (143), which is
	// what a loaded machine did now and then. It says so on stdout.
	cmdID := c.command(shellID, `trap '' TERM; echo armed; sleep 30 & wait`)
	c.receiveStdoutUntil(shellID, cmdID, "armed\n")
	c.mustOK("Signal", c.signal(shellID, cmdID, "terminate"))
	if run := c.receiveAll(shellID, cmdID); run.exitCode != 128+int(syscall.SIGKILL) {
		t.Errorf("exit code %d, want %d: a command ignoring SIGTERM is killed after the grace period", run.exitCode, 128+int(syscall.SIGKILL))
	}
}

func TestWSManShellNotFound(t *testing.T) {
	t.Parallel()
	_, c := startBasicWSMan(t, WSManOptions{})
	const ghost = "11111111-2222-3333-4444-555555555555"
	for name, r := range map[string]wsmanTestReply{
		"Command": c.call(nsShell+"/Command", ghost, "", `<rsp:CommandLine><rsp:Command>true</rsp:Command></rsp:CommandLine>`),
		"Receive": c.receive(ghost, "C", "PT1S"),
		"Send":    c.send(ghost, "C", nil, true),
		"Signal":  c.signal(ghost, "C", "terminate"),
		"Delete":  c.deleteShell(ghost),
	} {
		if r.status != 500 || r.faultCode() != faultCodeShellNotFound ||
			!strings.Contains(r.env.Body.Fault.Reason, "ShellId "+ghost+" failed because the shell was not found") {
			t.Errorf("%s on an unknown shell: status %d fault %q, want 500 %s\n%s", name, r.status, r.faultCode(), faultCodeShellNotFound, r.raw)
		}
	}
}

func TestWSManRequestFaults(t *testing.T) {
	t.Parallel()
	_, c := startBasicWSMan(t, WSManOptions{})
	shellID := c.createShell("")
	cases := []struct {
		name, action, body, fault string
	}{
		{"unknown action", "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", "", faultCodeActionNotSupported},
		{"unknown command", nsShell + "/Receive", `<rsp:Receive><rsp:DesiredStream CommandId="nope">stdout</rsp:DesiredStream></rsp:Receive>`, faultCodeInvalidParameter},
		{"unknown signal", nsShell + "/Signal", `<rsp:Signal CommandId="x"><rsp:Code>` + wsmanSignalURI + `hup</rsp:Code></rsp:Signal>`, faultCodeInvalidParameter},
		{"no command line", nsShell + "/Command", "", faultCodeInvalidParameter},
		{"bad PowerShell", nsShell + "/Command", `<rsp:CommandLine><rsp:Command>powershell -EncodedCommand !!!</rsp:Command></rsp:CommandLine>`, faultCodeInvalidParameter},
	}
	for _, tc := range cases {
		if r := c.call(tc.action, shellID, "", tc.body); r.faultCode() != tc.fault {
			t.Errorf("%s: fault %q, want %s\n%s", tc.name, r.faultCode(), tc.fault, r.raw)
		}
	}
	resp, raw, err := c.post(context.Background(), "this is not XML")
	if err != nil || resp.StatusCode != 500 || !bytes.Contains(raw, []byte(`Code="`+faultCodeInvalidXML+`"`)) {
		t.Errorf("garbage body: %v status %d\n%s", err, resp.StatusCode, raw)
	}
	otherURI := strings.Replace(testEnvelope(nsTransfer+"/Create", "", "uuid:1", "", 0, ""), wsmanShellResourceURI, "http://schemas.microsoft.com/powershell/Microsoft.PowerShell", 1)
	if _, raw, _ := c.post(context.Background(), otherURI); !bytes.Contains(raw, []byte(`Code="`+faultCodeInvalidResourceURI+`"`)) {
		t.Errorf("PowerShell remoting resource URI: want fault %s\n%s", faultCodeInvalidResourceURI, raw)
	}
}

func TestWSManShellSettings(t *testing.T) {
	t.Parallel()
	_, c := startBasicWSMan(t, WSManOptions{})
	dir := t.TempDir()
	shellID := c.createShell(`<rsp:WorkingDirectory>` + dir + `</rsp:WorkingDirectory>` +
		`<rsp:Environment><rsp:Variable Name="GREETING">hello &amp; welcome</rsp:Variable></rsp:Environment>`)
	run := c.receiveAll(shellID, c.command(shellID, `pwd; printf '%s\n' "$GREETING"`))
	if want := dir + "\nhello & welcome\n"; run.stdout.String() != want {
		t.Errorf("stdout %q, want %q", run.stdout.String(), want)
	}
	r := c.call(nsTransfer+"/Create", "", "", `<rsp:Shell><rsp:WorkingDirectory>`+filepath.Join(dir, "missing")+`</rsp:WorkingDirectory></rsp:Shell>`)
	if r.faultCode() != faultCodeInvalidParameter {
		t.Errorf("missing working directory: fault %q", r.faultCode())
	}
}

func TestWSManArgumentsAndPowerShell(t *testing.T) {
	t.Parallel()
	_, c := startBasicWSMan(t, WSManOptions{})
	shellID := c.createShell("")
	if run := c.receiveAll(shellID, c.command(shellID, "printf", "'%s-%s\\n'", "a", "b")); run.stdout.String() != "a-b\n" {
		t.Errorf("command with arguments printed %q, want a-b", run.stdout.String())
	}
	script := "$ProgressPreference = 'SilentlyContinue';echo from-ps"
	encoded := base64.StdEncoding.EncodeToString(encodeNTLMString(script, true))
	run := c.receiveAll(shellID, c.command(shellID, "powershell.exe -EncodedCommand "+encoded))
	if run.stdout.String() != "from-ps\n" || run.stderr.Len() != 0 {
		t.Errorf("PowerShell command: stdout %q stderr %q", run.stdout.String(), run.stderr.String())
	}
}

func TestWSManLargeOutput(t *testing.T) {
	t.Parallel()
	_, c := startBasicWSMan(t, WSManOptions{})
	c.maxEnv = 20000
	shellID := c.createShell("")
	const size = 3 << 20 // beyond the server's buffer: the process blocks until received
	run := c.receiveAll(shellID, c.command(shellID, fmt.Sprintf("head -c %d /dev/zero | tr '\\0' x; echo tail >&2", size)))
	if run.stdout.Len() != size || strings.Trim(run.stdout.String(), "x") != "" || run.stderr.String() != "tail\n" {
		t.Fatalf("got %d stdout bytes, stderr %q; want %d x's and tail", run.stdout.Len(), run.stderr.String(), size)
	}
	if len(run.replies) < size/20000 {
		t.Errorf("%d replies for %d bytes: MaxEnvelopeSize 20000 was not honoured", len(run.replies), size)
	}
}

func TestWSManDeleteKillsProcesses(t *testing.T) {
	t.Parallel()
	srv, c := startBasicWSMan(t, WSManOptions{})
	shellID := c.createShell("")
	cmdID := c.command(shellID, "sleep 60 & echo $!; sleep 60")
	pids := srv.Processes()
	if len(pids) != 1 {
		t.Fatalf("Processes() = %v, want one running command", pids)
	}
	r := c.mustOK("Receive", c.receive(shellID, cmdID, "PT20S"))
	out, _ := base64.StdEncoding.DecodeString(r.env.Body.ReceiveResponse.Streams[0].Data)
	var background int
	if _, err := fmt.Sscan(string(out), &background); err != nil {
		t.Fatalf("background job's pid: %v (%q)", err, out)
	}
	waiting := make(chan wsmanTestReply)
	go func() { waiting <- c.receive(shellID, cmdID, "PT60S") }()
	c.mustOK("Delete", c.deleteShell(shellID))
	if r := <-waiting; r.faultCode() != faultCodeShellNotFound {
		t.Errorf("Receive waiting while its shell was deleted: fault %q, want %s", r.faultCode(), faultCodeShellNotFound)
	}
	for _, pid := range []int{pids[0], background} { // the background job dies with its shell, as in a job object
		waitGone(t, pid)
	}
	if got := srv.Processes(); len(got) != 0 {
		t.Errorf("Processes() = %v after Delete", got)
	}
}

func TestWSManCloseKillsProcesses(t *testing.T) {
	t.Parallel()
	srv, c := startBasicWSMan(t, WSManOptions{})
	shellID := c.createShell("")
	c.command(shellID, "sleep 60")
	pids := srv.Processes()
	if err := srv.shutdown(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if len(pids) != 1 || processRunning(pids[0]) {
		t.Errorf("process %v survived Close", pids)
	}
	srv.Close() // idempotent
}

// waitGone waits for a killed process to die (the test's deadline bounds
// it).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for processRunning(pid) {
		time.Sleep(10 * time.Millisecond)
	}
}

// processRunning reports whether pid is a live process: a zombie waiting
// for a parent (init, for an orphan) to reap it is dead.
func processRunning(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) || runtime.GOOS != "linux"
	}
	_, after, _ := bytes.Cut(stat, []byte(") "))
	return len(after) == 0 || after[0] != 'Z'
}

func TestWSManFaults(t *testing.T) {
	t.Parallel()
	t.Run("UnauthorizedOnRequest", func(t *testing.T) {
		t.Parallel()
		srv, c := startBasicWSMan(t, WSManOptions{Faults: WSManFaults{UnauthorizedOnRequest: 2}})
		shellID := c.createShell("")
		if r := c.call(nsShell+"/Command", shellID, "", ""); r.status != http.StatusUnauthorized {
			t.Fatalf("request 2: status %d, want 401", r.status)
		}
		c.command(shellID, "true") // the fault fires once
		if got := srv.Requests()[1]; got.Status != 401 || got.Op != WSManOpCommand {
			t.Errorf("log %+v", got)
		}
	})
	t.Run("Status500On", func(t *testing.T) {
		t.Parallel()
		srv, c := startBasicWSMan(t, WSManOptions{Faults: WSManFaults{Status500On: WSManOpCommand}})
		shellID := c.createShell("")
		r := c.call(nsShell+"/Command", shellID, "", `<rsp:CommandLine><rsp:Command>touch should-not-exist</rsp:Command></rsp:CommandLine>`)
		if r.status != 500 || r.faultCode() != faultCodeInternal || r.env.Body.Fault.Code.Subcode != "w:InternalError" {
			t.Fatalf("status %d fault %q\n%s", r.status, r.faultCode(), r.raw)
		}
		if len(srv.Processes()) != 0 {
			t.Error("the faulted Command started a process")
		}
	})
	t.Run("DropOn", func(t *testing.T) {
		t.Parallel()
		srv, c := startBasicWSMan(t, WSManOptions{Faults: WSManFaults{DropOn: WSManOpReceive}})
		shellID := c.createShell("")
		cmdID := c.command(shellID, "echo hi")
		body := testEnvelope(nsShell+"/Receive", shellID, "uuid:1", "PT5S", 0,
			`<rsp:Receive><rsp:DesiredStream CommandId="`+cmdID+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`)
		if _, _, err := c.post(context.Background(), body); err == nil {
			t.Fatal("Receive got a reply; want the connection dropped")
		}
		c.mustOK("Delete", c.deleteShell(shellID)) // other operations still work
		// The server logs the dropped request once its handler has returned,
		// which may be after the client saw the connection close.
		dropped := func() (WSManRequest, bool) {
			for _, r := range srv.Requests() {
				if r.Op == WSManOpReceive {
					return r, true
				}
			}
			return WSManRequest{}, false
		}
		deadline := time.Now().Add(10 * time.Second)
		got, ok := dropped()
		for !ok && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			got, ok = dropped()
		}
		if !ok || got.Status != 0 {
			t.Errorf("log of the dropped request: %+v (found %v), want Op Receive, Status 0", got, ok)
		}
	})
	t.Run("SlowReply", func(t *testing.T) {
		t.Parallel()
		srv, c := startBasicWSMan(t, WSManOptions{Faults: WSManFaults{SlowReply: time.Hour}})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, _, err := c.post(ctx, testEnvelope(nsTransfer+"/Create", "", "uuid:1", "", 0, ""))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("slow reply: %v, want the client's deadline to pass first", err)
		}
		if err := srv.shutdown(); err != nil { // must not wait for the hour
			t.Fatalf("Close with a slow reply pending: %v", err)
		}
	})
	t.Run("ShellNotFoundOnReceive", func(t *testing.T) {
		t.Parallel()
		_, c := startBasicWSMan(t, WSManOptions{Faults: WSManFaults{ShellNotFoundOnReceive: true}})
		shellID := c.createShell("")
		cmdID := c.command(shellID, "true")
		if r := c.receive(shellID, cmdID, "PT5S"); r.faultCode() != faultCodeShellNotFound {
			t.Errorf("fault %q, want %s", r.faultCode(), faultCodeShellNotFound)
		}
	})
}

func TestWSManOptionsValidation(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string]WSManOptions{
		"unknown auth":           {Auth: "kerberos"},
		"certificate over HTTP":  {Auth: WSManAuthCertificate},
		"seal with basic":        {Seal: true, Auth: WSManAuthBasic},
		"seal over HTTPS":        {Seal: true, HTTPS: true},
		"seal and unencrypted":   {Seal: true, AllowUnencrypted: true},
		"user without password":  {User: "someone"},
		"unknown fault op":       {Faults: WSManFaults{DropOn: "Receive2"}},
		"negative slow reply":    {Faults: WSManFaults{SlowReply: -time.Second}},
		"unknown Status500On op": {Faults: WSManFaults{Status500On: "create"}},
	} {
		if srv, err := NewWSManServer(opts); err == nil {
			srv.Close()
			t.Errorf("%s: NewWSManServer accepted %+v", name, opts)
		}
	}
	srv, err := NewWSManServer(WSManOptions{Seal: true})
	if err != nil {
		t.Fatalf("Seal alone: %v", err)
	}
	dir := srv.dir
	if err := srv.shutdown(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left %s behind", dir)
	}
}
