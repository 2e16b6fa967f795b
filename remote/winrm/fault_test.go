package winrm

import (
	"strings"
	"testing"
)

// timedOutFault is a Receive fault as Windows sends it.
const timedOutFault = `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">
<s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action><a:MessageID>uuid:1</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>uuid:2</a:RelatesTo></s:Header>
<s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code>
<s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </s:Text></s:Reason>
<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="win01"><f:Message></f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`

// shellNotFoundFault has its explanation in the WSManFault message only,
// nested as Windows does for provider faults.
const shellNotFoundFault = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>
<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:InvalidSelectors</s:Value></s:Subcode></s:Code>
<s:Reason><s:Text xml:lang="en-US"></s:Text></s:Reason>
<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858843" Machine="win01">
<f:Message><f:ProviderFault>The request for the Windows Remote Shell with ShellId 1234 failed
because the shell was not found on the server.</f:ProviderFault></f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`

func TestParseFault(t *testing.T) {
	f, ok := parseFault(500, []byte(timedOutFault))
	if !ok {
		t.Fatal("the Windows TimedOut fault was not recognized")
	}
	if !f.timedOut() || f.shellNotFound() || f.status != 500 || f.code != "s:Receiver" || f.subcode != "w:TimedOut" {
		t.Errorf("parsed %+v", f)
	}
	if !strings.Contains(f.Error(), "2150858793 (w:TimedOut): The WS-Management service cannot complete") {
		t.Errorf("message %q", f.Error())
	}

	f, ok = parseFault(500, []byte(shellNotFoundFault))
	if !ok || !f.shellNotFound() || f.timedOut() {
		t.Fatalf("shell not found: %+v, %v", f, ok)
	}
	if want := "failed because the shell was not found"; !strings.Contains(f.reason, want) {
		t.Errorf("reason %q does not hold the nested message", f.reason)
	}

	for _, body := range []string{"", "<html>Service Unavailable</html>", "not xml Fault",
		`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><rsp:ReceiveResponse/></s:Body></s:Envelope>`} {
		if f, ok := parseFault(500, []byte(body)); ok {
			t.Errorf("parseFault(%q) = %+v, want no fault", body, f)
		}
	}
}

func TestFaultKinds(t *testing.T) {
	if !(&soapFault{subcode: "w:TimedOut"}).timedOut() {
		t.Error("a w:TimedOut subcode without a code is a timeout")
	}
	for _, code := range []string{faultAccessDenied, faultAccessDeniedHR} {
		if !(&soapFault{wsmanCode: code}).accessDenied() {
			t.Errorf("%s is access denied", code)
		}
	}
	if (&soapFault{wsmanCode: "2147467259"}).accessDenied() {
		t.Error("E_FAIL is not access denied")
	}
}

func FuzzParseFault(f *testing.F) {
	f.Add([]byte(timedOutFault))
	f.Add([]byte(shellNotFoundFault))
	f.Add([]byte("<Envelope><Body><Fault><Code><Value>x</Value></Code></Fault></Body></Envelope>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		if fault, ok := parseFault(500, body); ok {
			_ = fault.Error()
		}
	})
}
