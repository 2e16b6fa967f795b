package remotetest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// XML namespaces of the Windows Remote Shell protocol.
const (
	nsSOAP       = "http://www.w3.org/2003/05/soap-envelope"
	nsAddressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsTransfer   = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	nsWSMan      = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsMSWSMan    = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
	nsShell      = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
	nsFault      = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
)

// Action and resource URIs.
const (
	wsmanShellResourceURI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
	wsmanFaultAction      = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
	wsmanAnonymous        = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
	wsmanCommandStateURI  = nsShell + "/CommandState/"
	wsmanSignalURI        = nsShell + "/signal/"
	soapContentType       = "application/soap+xml;charset=UTF-8"
)

// wsmanActions maps request actions to operation names.
var wsmanActions = map[string]string{
	nsTransfer + "/Create": WSManOpCreate,
	nsTransfer + "/Delete": WSManOpDelete,
	nsShell + "/Command":   WSManOpCommand,
	nsShell + "/Receive":   WSManOpReceive,
	nsShell + "/Send":      WSManOpSend,
	nsShell + "/Signal":    WSManOpSignal,
}

// wsmanDefaultOperationTimeout is Windows' MaxTimeoutms default, used when a
// request carries no w:OperationTimeout.
const wsmanDefaultOperationTimeout = 60 * time.Second

// wsmanDefaultMaxEnvelope is the w:MaxEnvelopeSize clients send by default.
const wsmanDefaultMaxEnvelope = 153600

// wsmanEnvelope is a request envelope, decoded as far as the shell protocol
// needs.
type wsmanEnvelope struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2003/05/soap-envelope Envelope"`
	Header  wsmanHeader `xml:"http://www.w3.org/2003/05/soap-envelope Header"`
	Body    wsmanBody   `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

type wsmanHeader struct {
	To               string           `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing To"`
	Action           string           `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing Action"`
	MessageID        string           `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing MessageID"`
	ResourceURI      string           `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd ResourceURI"`
	OperationTimeout string           `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd OperationTimeout"`
	MaxEnvelopeSize  string           `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd MaxEnvelopeSize"`
	SelectorSet      wsmanSelectorSet `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd SelectorSet"`
}

type wsmanSelectorSet struct {
	Selectors []wsmanNamedValue `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd Selector"`
}

// wsmanNamedValue is a w:Selector, w:Option or rsp:Variable.
type wsmanNamedValue struct {
	Name  string `xml:"Name,attr"`
	Value string `xml:",chardata"`
}

type wsmanBody struct {
	Shell       *wsmanShellBody   `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Shell"`
	CommandLine *wsmanCommandLine `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandLine"`
	Receive     *wsmanReceiveBody `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Receive"`
	Send        *wsmanSendBody    `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Send"`
	Signal      *wsmanSignalBody  `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Signal"`
}

type wsmanShellBody struct {
	WorkingDirectory string            `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell WorkingDirectory"`
	Environment      *wsmanEnvironment `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Environment"`
}

type wsmanEnvironment struct {
	Variables []wsmanNamedValue `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Variable"`
}

type wsmanCommandLine struct {
	Command   string   `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Command"`
	Arguments []string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Arguments"`
}

type wsmanReceiveBody struct {
	DesiredStream struct {
		CommandID string `xml:"CommandId,attr"`
		Streams   string `xml:",chardata"`
	} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell DesiredStream"`
}

type wsmanSendBody struct {
	Streams []wsmanStream `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Stream"`
}

// wsmanStream is an rsp:Stream of a Send request.
type wsmanStream struct {
	Name      string `xml:"Name,attr"`
	CommandID string `xml:"CommandId,attr"`
	End       string `xml:"End,attr"`
	Data      string `xml:",chardata"`
}

type wsmanSignalBody struct {
	CommandID string `xml:"CommandId,attr"`
	Code      string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Code"`
}

// parseWSManEnvelope decodes a request body.
func parseWSManEnvelope(body []byte) (*wsmanEnvelope, error) {
	var env wsmanEnvelope
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("request is not a SOAP 1.2 envelope: %w", err)
	}
	return &env, nil
}

// op returns the operation name of the request's action ("" if unknown).
func (e *wsmanEnvelope) op() string { return wsmanActions[strings.TrimSpace(e.Header.Action)] }

// shellID returns the ShellId selector ("" when absent).
func (e *wsmanEnvelope) shellID() string {
	for _, s := range e.Header.SelectorSet.Selectors {
		if s.Name == "ShellId" {
			return strings.TrimSpace(s.Value)
		}
	}
	return ""
}

// commandID returns the CommandId the body refers to ("" when none).
func (e *wsmanEnvelope) commandID() string {
	switch b := e.Body; {
	case b.Receive != nil:
		return strings.TrimSpace(b.Receive.DesiredStream.CommandID)
	case b.Signal != nil:
		return strings.TrimSpace(b.Signal.CommandID)
	case b.Send != nil && len(b.Send.Streams) > 0:
		return strings.TrimSpace(b.Send.Streams[0].CommandID)
	}
	return ""
}

// operationTimeout returns the request's w:OperationTimeout, or Windows'
// default when it has none.
func (e *wsmanEnvelope) operationTimeout() (time.Duration, error) {
	v := strings.TrimSpace(e.Header.OperationTimeout)
	if v == "" {
		return wsmanDefaultOperationTimeout, nil
	}
	return parseXSDuration(v)
}

// maxEnvelopeSize returns the request's w:MaxEnvelopeSize in bytes, or the
// usual client default when it has none or an unusable one.
func (e *wsmanEnvelope) maxEnvelopeSize() int {
	n, err := strconv.Atoi(strings.TrimSpace(e.Header.MaxEnvelopeSize))
	if err != nil || n < 8192 {
		return wsmanDefaultMaxEnvelope
	}
	return n
}

// parseXSDuration parses the xs:duration forms WS-Management uses for
// timeouts: PnDTnHnMn.nS with any part omitted ("PT20S", "PT60.000S",
// "P0DT0H1M0S"). Years and months are refused: their length is ambiguous.
func parseXSDuration(s string) (time.Duration, error) {
	bad := func(why string) (time.Duration, error) {
		return 0, fmt.Errorf("invalid xs:duration %q: %s (want e.g. PT20S)", s, why)
	}
	rest, ok := strings.CutPrefix(s, "P")
	if !ok {
		return bad("does not start with P")
	}
	date, clock, hasT := strings.Cut(rest, "T")
	if hasT && clock == "" {
		return bad("T without hours, minutes or seconds")
	}
	if date == "" && clock == "" {
		return bad("no components")
	}
	var total float64
	parts := []struct {
		text  string
		units map[byte]float64
	}{
		{date, map[byte]float64{'D': 24 * 3600}},
		{clock, map[byte]float64{'H': 3600, 'M': 60, 'S': 1}},
	}
	for _, p := range parts {
		order := "DHMS"
		for p.text != "" {
			i := strings.IndexAny(p.text, "YMWDHS")
			if i <= 0 {
				return bad("a number must precede each unit")
			}
			unit := p.text[i]
			scale, ok := p.units[unit]
			if !ok {
				return bad(fmt.Sprintf("unit %c is not supported here", unit))
			}
			pos := strings.IndexByte(order, unit)
			if pos < 0 {
				return bad("units out of order")
			}
			order = order[pos+1:]
			num := p.text[:i]
			if strings.ContainsAny(num, "+-eE") || (unit != 'S' && strings.Contains(num, ".")) {
				return bad("malformed number " + num)
			}
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return bad("malformed number " + num)
			}
			total += v * scale
			p.text = p.text[i+1:]
		}
	}
	if total*float64(time.Second) > math.MaxInt64 {
		return bad("too long")
	}
	return time.Duration(total * float64(time.Second)), nil
}

// newWSManUUID returns a random UUID in Windows' upper-case form.
func newWSManUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
}

// xmlText escapes s for XML character data and attribute values.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// wsmanReply is what the server answers to one SOAP request.
type wsmanReply struct {
	status int    // HTTP status
	body   []byte // the SOAP envelope
	fault  string // WSManFault Code when the reply is a fault
}

// replyEnvelope builds a reply envelope as Windows writes it: its action,
// a fresh MessageID and RelatesTo the request's MessageID.
func replyEnvelope(action, relatesTo, body string) []byte {
	var b bytes.Buffer
	b.WriteString(`<s:Envelope xml:lang="en-US" xmlns:s="` + nsSOAP + `" xmlns:a="` + nsAddressing +
		`" xmlns:x="` + nsTransfer + `" xmlns:w="` + nsWSMan + `" xmlns:rsp="` + nsShell + `" xmlns:p="` + nsMSWSMan + `">`)
	b.WriteString(`<s:Header><a:Action>` + xmlText(action) + `</a:Action>`)
	b.WriteString(`<a:MessageID>uuid:` + newWSManUUID() + `</a:MessageID>`)
	b.WriteString(`<a:To>` + wsmanAnonymous + `</a:To>`)
	if relatesTo != "" {
		b.WriteString(`<a:RelatesTo>` + xmlText(relatesTo) + `</a:RelatesTo>`)
	}
	b.WriteString(`</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`)
	return b.Bytes()
}

// okReply is a 200 reply to the request whose MessageID is relatesTo.
func okReply(action, relatesTo, body string) wsmanReply {
	return wsmanReply{status: 200, body: replyEnvelope(action, relatesTo, body)}
}

// createReply answers Create: ResourceCreated with the ShellId selector, and
// the rsp:Shell element newer Windows versions add (masterzen/winrm reads
// rsp:ShellId, pywinrm the selector).
func createReply(relatesTo, address string, sh *wsmanShell) wsmanReply {
	id := xmlText(sh.id)
	body := `<x:ResourceCreated><a:Address>` + xmlText(address) + `</a:Address><a:ReferenceParameters>` +
		`<w:ResourceURI>` + wsmanShellResourceURI + `</w:ResourceURI>` +
		`<w:SelectorSet><w:Selector Name="ShellId">` + id + `</w:Selector></w:SelectorSet>` +
		`</a:ReferenceParameters></x:ResourceCreated>` +
		`<rsp:Shell><rsp:ShellId>` + id + `</rsp:ShellId><rsp:ResourceUri>` + wsmanShellResourceURI + `</rsp:ResourceUri>` +
		`<rsp:Owner>` + xmlText(sh.owner) + `</rsp:Owner><rsp:ClientIP>` + xmlText(sh.clientIP) + `</rsp:ClientIP>` +
		`<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin</rsp:InputStreams>` +
		`<rsp:OutputStreams>stdout stderr</rsp:OutputStreams><rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime>` +
		`<rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>`
	return okReply(nsTransfer+"/CreateResponse", relatesTo, body)
}

// commandReply answers Command with the new CommandId.
func commandReply(relatesTo, commandID string) wsmanReply {
	body := `<rsp:CommandResponse><rsp:CommandId>` + xmlText(commandID) + `</rsp:CommandId></rsp:CommandResponse>`
	return okReply(nsShell+"/CommandResponse", relatesTo, body)
}

// receiveReply answers Receive with output chunks and the command state.
func receiveReply(relatesTo, commandID string, out wsmanOutput) wsmanReply {
	id := xmlText(commandID)
	var b strings.Builder
	b.WriteString(`<rsp:ReceiveResponse>`)
	for _, c := range out.chunks {
		b.WriteString(`<rsp:Stream Name="` + xmlText(c.stream) + `" CommandId="` + id + `"`)
		if c.end {
			b.WriteString(` End="true"`)
		}
		b.WriteString(`>` + base64.StdEncoding.EncodeToString(c.data) + `</rsp:Stream>`)
	}
	if out.done {
		b.WriteString(`<rsp:CommandState CommandId="` + id + `" State="` + wsmanCommandStateURI + `Done">` +
			`<rsp:ExitCode>` + strconv.Itoa(out.exitCode) + `</rsp:ExitCode></rsp:CommandState>`)
	} else {
		b.WriteString(`<rsp:CommandState CommandId="` + id + `" State="` + wsmanCommandStateURI + `Running"></rsp:CommandState>`)
	}
	b.WriteString(`</rsp:ReceiveResponse>`)
	return okReply(nsShell+"/ReceiveResponse", relatesTo, b.String())
}

// wsmanFault is a SOAP fault as Windows sends it: HTTP 500 and a WSManFault
// detail with the Windows error code.
type wsmanFault struct {
	code    string // "s:Sender" or "s:Receiver"
	subcode string // e.g. "w:TimedOut"
	code32  string // the WSManFault Code attribute
	message string
}

// reply renders the fault for the request whose MessageID is relatesTo.
func (f wsmanFault) reply(relatesTo string) wsmanReply {
	msg := xmlText(f.message)
	body := `<s:Fault><s:Code><s:Value>` + f.code + `</s:Value><s:Subcode><s:Value>` + f.subcode + `</s:Value></s:Subcode></s:Code>` +
		`<s:Reason><s:Text xml:lang="en-US">` + msg + `</s:Text></s:Reason>` +
		`<s:Detail><f:WSManFault xmlns:f="` + nsFault + `" Code="` + f.code32 + `" Machine="127.0.0.1">` +
		`<f:Message>` + msg + `</f:Message></f:WSManFault></s:Detail></s:Fault>`
	return wsmanReply{status: 500, body: replyEnvelope(wsmanFaultAction, relatesTo, body), fault: f.code32}
}

// Windows error codes carried in WSManFault Code.
const (
	faultCodeTimedOut           = "2150858793" // ERROR_WSMAN_OPERATION_TIMEDOUT
	faultCodeShellNotFound      = "2150858843" // ERROR_WSMAN_UNEXPECTED_SELECTORS: the shell is gone
	faultCodeActionNotSupported = "2150858771" // ERROR_WSMAN_ACTION_NOT_SUPPORTED
	faultCodeInvalidParameter   = "2150858810" // ERROR_WSMAN_INVALID_PARAMETER
	faultCodeInvalidResourceURI = "2150858811" // ERROR_WSMAN_INVALID_RESOURCE_URI
	faultCodeInvalidXML         = "2150858819" // ERROR_WSMAN_INVALID_XML
	faultCodeAccessDenied       = "5"          // ERROR_ACCESS_DENIED
	faultCodeInternal           = "2147467259" // E_FAIL
)

// faultTimedOut is Windows' answer to a Receive that found no output within
// the OperationTimeout; clients poll again.
func faultTimedOut() wsmanFault {
	return wsmanFault{"s:Receiver", "w:TimedOut", faultCodeTimedOut,
		"The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "}
}

// faultShellNotFound is Windows' answer for an unknown ShellId.
func faultShellNotFound(shellID string) wsmanFault {
	return wsmanFault{"s:Sender", "w:InvalidSelectors", faultCodeShellNotFound,
		"The request for the Windows Remote Shell with ShellId " + shellID + " failed because the shell was not found on the server. " +
			"Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. " +
			"Provide the correct ShellId or create a new shell and try again. "}
}

func faultActionNotSupported(action string) wsmanFault {
	return wsmanFault{"s:Sender", "a:ActionNotSupported", faultCodeActionNotSupported,
		"The WS-Management service cannot process the request because the action " + action + " is not supported by this test server (it serves the Windows Remote Shell only). "}
}

func faultInvalidParameter(format string, args ...any) wsmanFault {
	return wsmanFault{"s:Sender", "w:InvalidParameter", faultCodeInvalidParameter,
		"The WS-Management service cannot process the request: " + fmt.Sprintf(format, args...) + " "}
}

func faultInvalidResourceURI(uri string) wsmanFault {
	return wsmanFault{"s:Sender", "w:DestinationUnreachable", faultCodeInvalidResourceURI,
		"The WS-Management service cannot process the request. The resource URI " + uri + " is not served; this test server serves " + wsmanShellResourceURI + " only. "}
}

func faultInvalidXML(err error) wsmanFault {
	return wsmanFault{"s:Sender", "w:SchemaValidationError", faultCodeInvalidXML,
		"The WS-Management service cannot process the request because the XML is invalid: " + err.Error() + " "}
}

// faultAccessDenied answers an operation when WSManFaults.AccessDenied is
// set: the user authenticated but may not use the service.
func faultAccessDenied() wsmanFault {
	return wsmanFault{"s:Sender", "w:AccessDenied", faultCodeAccessDenied, "Access is denied. "}
}

// faultUnencrypted answers an unsealed message over plain HTTP when
// AllowUnencrypted is false.
func faultUnencrypted() wsmanFault {
	return wsmanFault{"s:Sender", "w:AccessDenied", faultCodeAccessDenied,
		"Access is denied. The WinRM service refuses unencrypted messages over HTTP (AllowUnencrypted=false): use NTLM message encryption, HTTPS, or start the test server with AllowUnencrypted. "}
}

// faultInternal is a failure of the server itself.
func faultInternal(format string, args ...any) wsmanFault {
	return wsmanFault{"s:Receiver", "w:InternalError", faultCodeInternal, fmt.Sprintf(format, args...) + " "}
}

// faultInjected answers an operation named in WSManFaults.Status500On.
func faultInjected(op string) wsmanFault {
	return faultInternal("remotetest: injected fault WSManFaults.Status500On=%s", op)
}
