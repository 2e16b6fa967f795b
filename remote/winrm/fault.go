package winrm

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// WS-Management fault codes (the Code attribute of WSManFault) that change
// what the client does.
const (
	// faultTimedOut: the operation timeout passed with nothing to report.
	// For a Receive it only means "poll again".
	faultTimedOut = "2150858793"
	// faultShellNotFound: the shell is gone (deleted, idled out, the
	// service restarted).
	faultShellNotFound = "2150858843"
	// faultAccessDenied: the user authenticated but may not use WinRM.
	faultAccessDenied = "5"
	// faultAccessDeniedHR is the same as an HRESULT (0x80070005).
	faultAccessDeniedHR = "2147942405"
)

// soapFault is a SOAP fault a server answered with (on HTTP 500, as
// WS-Management servers do, or 400).
type soapFault struct {
	status    int    // HTTP status
	code      string // env:Code/env:Value, e.g. "s:Receiver"
	subcode   string // env:Code/env:Subcode/env:Value, e.g. "w:TimedOut"
	wsmanCode string // WSManFault Code, e.g. "2150858793"
	reason    string // the human-readable explanation
}

func (f *soapFault) Error() string {
	var b strings.Builder
	b.WriteString("the server answered with a fault")
	if f.wsmanCode != "" {
		fmt.Fprintf(&b, " %s", f.wsmanCode)
	}
	if f.subcode != "" {
		fmt.Fprintf(&b, " (%s)", f.subcode)
	} else if f.code != "" {
		fmt.Fprintf(&b, " (%s)", f.code)
	}
	if f.reason != "" {
		b.WriteString(": ")
		b.WriteString(f.reason)
	}
	return b.String()
}

// timedOut reports whether the fault is the operation timeout of a long
// poll (w:TimedOut).
func (f *soapFault) timedOut() bool {
	return f.wsmanCode == faultTimedOut || localName(f.subcode) == "TimedOut"
}

// shellNotFound reports whether the shell the request named is gone.
func (f *soapFault) shellNotFound() bool { return f.wsmanCode == faultShellNotFound }

// accessDenied reports whether the user may not use the service.
func (f *soapFault) accessDenied() bool {
	return f.wsmanCode == faultAccessDenied || f.wsmanCode == faultAccessDeniedHR ||
		localName(f.subcode) == "AccessDenied"
}

// faultEnvelope is the part of a SOAP 1.2 fault message that is read.
// encoding/xml matches the local names, whatever the prefixes.
type faultEnvelope struct {
	Body struct {
		Fault *struct {
			Code struct {
				Value   string `xml:"Value"`
				Subcode struct {
					Value string `xml:"Value"`
				} `xml:"Subcode"`
			} `xml:"Code"`
			Reason struct {
				Text []string `xml:"Text"`
			} `xml:"Reason"`
			Detail struct {
				WSManFault struct {
					Code    string     `xml:"Code,attr"`
					Message xmlContent `xml:"Message"`
				} `xml:"WSManFault"`
			} `xml:"Detail"`
		} `xml:"Fault"`
	} `xml:"Body"`
}

// xmlContent collects the character data of an element and its children.
type xmlContent struct {
	Text string
}

func (c *xmlContent) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var b strings.Builder
	depth := 1
	for depth > 0 {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			b.Write(t)
		}
	}
	c.Text = b.String()
	return nil
}

// parseFault reads a SOAP fault from a reply body; ok is false when the body
// is not one.
func parseFault(status int, body []byte) (f *soapFault, ok bool) {
	if !bytes.Contains(body, []byte("Fault")) {
		return nil, false
	}
	var env faultEnvelope
	if err := xml.Unmarshal(body, &env); err != nil || env.Body.Fault == nil {
		return nil, false
	}
	sf := env.Body.Fault
	f = &soapFault{
		status:    status,
		code:      strings.TrimSpace(sf.Code.Value),
		subcode:   strings.TrimSpace(sf.Code.Subcode.Value),
		wsmanCode: strings.TrimSpace(sf.Detail.WSManFault.Code),
	}
	for _, text := range sf.Reason.Text {
		if text = collapseSpace(text); text != "" {
			f.reason = text
			break
		}
	}
	if msg := collapseSpace(sf.Detail.WSManFault.Message.Text); msg != "" && msg != f.reason {
		if f.reason == "" {
			f.reason = msg
		} else {
			f.reason += " (" + msg + ")"
		}
	}
	return f, true
}

// collapseSpace trims s and turns every run of white space into one space.
func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// localName strips a namespace prefix ("w:TimedOut" -> "TimedOut").
func localName(qname string) string {
	if i := strings.LastIndexByte(qname, ':'); i >= 0 {
		return qname[i+1:]
	}
	return qname
}
