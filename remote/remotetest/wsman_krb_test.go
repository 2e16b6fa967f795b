package remotetest

import (
	"os/exec"
	"strings"
	"testing"
)

// krbTestRealm is the realm the Kerberos tests create.
const krbTestRealm = "KRB.TEST"

// krbTestHost is the host name the service principal is registered for
// (HTTP/win1.krb.test); clients connect to 127.0.0.1 and name it with the
// hostname override, as ansible_winrm_kerberos_hostname_override does.
const krbTestHost = "win1." + KDCDomain

// startKerberosWSMan creates a realm with the server's user and service
// principal, starts a server accepting Kerberos with opts, and points the
// test's Kerberos environment at a fresh credential cache of the user.
func startKerberosWSMan(t *testing.T, opts WSManOptions) (*KDC, *WSManServer) {
	t.Helper()
	kdc := StartKDC(t, krbTestRealm)
	kdc.AddUser(t, WSManUser, WSManPassword)
	kt := kdc.AddService(t, "HTTP/"+krbTestHost)
	opts.Kerberos = &WSManKerberos{Keytab: kt, Realm: krbTestRealm}
	srv := StartWSMan(t, opts)
	t.Setenv("KRB5_CONFIG", kdc.Config)
	t.Setenv("KRB5CCNAME", "FILE:"+kdc.Kinit(t, WSManUser, WSManPassword, ""))
	return kdc, srv
}

func TestWSManPywinrmKerberosHTTPS(t *testing.T) {
	requirePywinrm(t)
	_, srv := startKerberosWSMan(t, WSManOptions{HTTPS: true, Auth: WSManAuthNTLM})
	// requests-kerberos sends a bare Kerberos AP-REQ, asks for mutual
	// authentication and checks the server's AP-REP.
	session := map[string]any{"transport": "kerberos", "kerberos_hostname_override": krbTestHost,
		"server_cert_validation": "validate", "ca_trust_path": srv.CACertFile}
	checkRoundTrip(t, runPywinrm(t, srv, WSManUser+"@"+krbTestRealm, "", session, pywinrmRoundTrip...))
	checkLog(t, srv, WSManAuthKerberos, false)
}

func TestWSManPywinrmKerberosWrongSPN(t *testing.T) {
	requirePywinrm(t)
	kdc, srv := startKerberosWSMan(t, WSManOptions{HTTPS: true, Auth: WSManAuthNTLM})
	// A ticket for another service's principal does not decrypt with the
	// server's keytab: KRB_AP_ERR_MODIFIED, as Windows answers.
	kdc.AddService(t, "HTTP/other."+KDCDomain)
	session := map[string]any{"transport": "kerberos", "kerberos_hostname_override": "other." + KDCDomain,
		"server_cert_validation": "validate", "ca_trust_path": srv.CACertFile}
	got := runPywinrm(t, srv, WSManUser+"@"+krbTestRealm, "", session, pywinrmStep{Kind: "cmd", Command: "true"})
	if got[0].Error == "" {
		t.Fatalf("a ticket for another SPN was accepted")
	}
	var why []string
	for _, r := range srv.Requests() {
		why = append(why, r.AuthError)
	}
	if !strings.Contains(strings.Join(why, "\n"), "KRB_AP_ERR_MODIFIED") {
		t.Errorf("server log %q: want KRB_AP_ERR_MODIFIED", why)
	}
}

func TestWSManPywinrmKerberosUnencryptedHTTP(t *testing.T) {
	requirePywinrm(t)
	_, srv := startKerberosWSMan(t, WSManOptions{AllowUnencrypted: true, Auth: WSManAuthNTLM})
	session := map[string]any{"transport": "kerberos", "kerberos_hostname_override": krbTestHost, "message_encryption": "never"}
	checkRoundTrip(t, runPywinrm(t, srv, WSManUser+"@"+krbTestRealm, "", session, pywinrmRoundTrip...))
	checkLog(t, srv, WSManAuthKerberos, false)
}

// requirePythonGSSAPI skips the test without Debian's python3-gssapi
// (fails it when CI=true).
func requirePythonGSSAPI(t *testing.T) {
	t.Helper()
	if out, err := exec.Command(pywinrmPython, "-c", "import gssapi.raw").CombinedOutput(); err != nil {
		unavailable(t, "Kerberos message encryption tests need Debian's python3-gssapi: %v\n%s", err, out)
	}
}

func TestWSManPywinrmKerberosEncrypted(t *testing.T) {
	requirePywinrm(t)
	requirePythonGSSAPI(t)
	_, srv := startKerberosWSMan(t, WSManOptions{Auth: WSManAuthNTLM}) // HTTP, AllowUnencrypted=false
	// pywinrm frames the messages (encryption.py), MIT's gss_wrap_iov and
	// gss_unwrap protect them.
	session := map[string]any{"transport": "kerberos", "kerberos_hostname_override": krbTestHost, "message_encryption": "auto"}
	checkRoundTrip(t, runPywinrmScript(t, pywinrmGSSAPIScript, srv, WSManUser+"@"+krbTestRealm, "", session, pywinrmRoundTrip...))
	checkLog(t, srv, WSManAuthKerberos, true)
}

func TestWSManPywinrmKerberosSPNEGOEncrypted(t *testing.T) {
	requirePywinrm(t)
	requirePythonGSSAPI(t)
	_, srv := startKerberosWSMan(t, WSManOptions{Auth: WSManAuthNTLM})
	// MIT's SPNEGO initiator: a NegTokenInit, our NegTokenResp with the
	// AP-REP, then Kerberos wrap tokens.
	t.Setenv("RCTEST_GSSAPI_MECH", "spnego")
	session := map[string]any{"transport": "kerberos", "kerberos_hostname_override": krbTestHost, "message_encryption": "auto"}
	checkRoundTrip(t, runPywinrmScript(t, pywinrmGSSAPIScript, srv, WSManUser+"@"+krbTestRealm, "", session, pywinrmRoundTrip...))
	checkLog(t, srv, WSManAuthKerberos, true)
}

// pywinrmGSSAPIScript is wsman_client.py with Kerberos wrap done by
// python-gssapi.
const pywinrmGSSAPIScript = "testdata/pywinrm/wsman_client_gssapi.py"

func TestWSManPywinrmKerberosAcceptorSubkey(t *testing.T) {
	requirePywinrm(t)
	requirePythonGSSAPI(t)
	// The server's AP-REP carries its own subkey, which then protects the
	// messages, as Windows does: MIT's initiator takes it.
	kdc := StartKDC(t, krbTestRealm)
	kdc.AddUser(t, WSManUser, WSManPassword)
	srv := StartWSMan(t, WSManOptions{Auth: WSManAuthNTLM, Kerberos: &WSManKerberos{
		Keytab: kdc.AddService(t, "HTTP/"+krbTestHost), Realm: krbTestRealm, AcceptorSubkey: true}})
	t.Setenv("KRB5_CONFIG", kdc.Config)
	t.Setenv("KRB5CCNAME", "FILE:"+kdc.Kinit(t, WSManUser, WSManPassword, ""))
	session := map[string]any{"transport": "kerberos", "kerberos_hostname_override": krbTestHost, "message_encryption": "auto"}
	checkRoundTrip(t, runPywinrmScript(t, pywinrmGSSAPIScript, srv, WSManUser+"@"+krbTestRealm, "", session, pywinrmRoundTrip...))
	checkLog(t, srv, WSManAuthKerberos, true)
}
