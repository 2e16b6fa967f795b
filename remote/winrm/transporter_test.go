package winrm

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/remotectl/remotectl/remote"
)

// scriptedServer answers WS-Management requests by action with canned
// replies, for the replies the test server never gives.
type scriptedServer struct {
	*httptest.Server
	receives atomic.Int64
	// receive answers a Receive: status, content type and body.
	receive func() (int, string, string)
}

const soapEnvelope = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
	`xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">` +
	`<s:Header><a:Action>%s</a:Action></s:Header><s:Body>%s</s:Body></s:Envelope>`

func soapReply(action, body string) string {
	return strings.Replace(strings.Replace(soapEnvelope, "%s", action, 1), "%s", body, 1)
}

func newScriptedServer(t *testing.T, receive func() (int, string, string)) *scriptedServer {
	s := &scriptedServer{receive: receive}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		status, contentType, reply := http.StatusOK, soapContentType, ""
		switch msg := string(body); {
		case strings.Contains(msg, "transfer/Create"):
			reply = soapReply("http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse",
				"<rsp:Shell><rsp:ShellId>S1</rsp:ShellId></rsp:Shell>")
		case strings.Contains(msg, "shell/Command"):
			reply = soapReply("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandResponse",
				"<rsp:CommandResponse><rsp:CommandId>C1</rsp:CommandId></rsp:CommandResponse>")
		case strings.Contains(msg, "shell/Receive"):
			s.receives.Add(1)
			status, contentType, reply = s.receive()
		default:
			reply = soapReply("http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse", "")
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, reply)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *scriptedServer) target(t *testing.T) remote.Target {
	host, port, err := net.SplitHostPort(s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return remote.Target{Name: "scripted", Address: host, Port: p, User: "u", Password: "p", WinRM: remote.WinRMSettings{
		HTTPS: boolPtr(false), Auth: authBasic, AllowUnencrypted: true}}
}

func TestReceiveReplies(t *testing.T) {
	running := soapReply("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse",
		`<rsp:ReceiveResponse><rsp:CommandState CommandId="C1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"/></rsp:ReceiveResponse>`)
	tests := []struct {
		name    string
		receive func() (int, string, string)
		class   remote.Class
		text    string
	}{
		{"HTML error page", func() (int, string, string) { return 502, "text/html", "<html><b>Bad gateway</b></html>" },
			remote.ClassOther, "HTTP 502 Bad Gateway: <html><b>Bad gateway</b></html>"},
		{"200 that is not SOAP", func() (int, string, string) { return 200, "text/html", "<html>login</html>" },
			remote.ClassOther, "not a SOAP message"},
		{"redirect", func() (int, string, string) { return 302, "text/plain", "" }, remote.ClassOther, "HTTP 302"},
		{"garbage SOAP", func() (int, string, string) { return 200, soapContentType, "<<<" }, remote.ClassOther, "unexpected reply to Receive"},
		// Replies with neither output nor an end must not be polled in a
		// tight loop: within the deadline only a few polls are made.
		{"empty replies", func() (int, string, string) { return 200, soapContentType, running }, remote.ClassTimeout, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScriptedServer(t, tt.receive)
			tr := dial(t, newTestDialer(Options{}), s.target(t))
			ctx, cancel := context.WithTimeout(testContext(t), time.Second)
			defer cancel()
			out := runCmd(ctx, tr, remote.Cmd{Shell: "x"})
			if remote.ClassOf(out.err) != tt.class || !strings.Contains(out.err.Error(), tt.text) {
				t.Errorf("Run: %v; want a %v error saying %q", out.err, tt.class, tt.text)
			}
			if n := s.receives.Load(); n > 20 {
				t.Errorf("%d Receive requests: the poll spun", n)
			}
		})
	}
}

// TestTransporterIsWinrmTransporter plugs the transporter into a winrm
// library client, through Parameters.TransportDecorator.
func TestTransporterIsWinrmTransporter(t *testing.T) {
	s := newScriptedServer(t, func() (int, string, string) {
		return 200, soapContentType, soapReply("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse",
			`<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C1">aGk=</rsp:Stream>`+
				`<rsp:CommandState CommandId="C1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>9</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`)
	})
	cfg, err := NewDialer(Options{}).resolve(s.target(t))
	if err != nil {
		t.Fatal(err)
	}
	h := newTransporter(cfg)
	defer h.close()
	client, err := newClient(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	stdout, _, code, err := client.RunCmdWithContext(testContext(t), "anything")
	if err != nil || stdout != "hi" || code != 9 {
		t.Errorf("RunCmdWithContext = %q, %d, %v", stdout, code, err)
	}
	var _ winrm.Transporter = h
	h.close()
	if _, err := h.post(context.Background(), "<x/>"); !errors.Is(err, errClosed) {
		t.Errorf("post after close: %v", err)
	}
}
