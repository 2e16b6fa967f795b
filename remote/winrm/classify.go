package winrm

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/remotectl/remotectl/remote"
)

// Operations named in classified errors.
const (
	opDial     = "dial" // connecting: TCP, TLS, authentication, the first shell
	opAuth     = "auth" // credentials refused or missing
	opRun      = "run"
	opUpload   = "upload"
	opDownload = "download"
)

// Hints for each class decided here.
const (
	hintDNS     = "check the host name, or set the host's address in the inventory (ansible_host)"
	hintRefused = "check that the WinRM service runs and listens on that port (HTTPS 5986, HTTP 5985; winrm quickconfig), and the firewall"
	hintTimeout = "the host did not answer in time: check that it is up and reachable, or raise the timeout"
	hintLost    = "the connection dropped while the command ran: it may or may not have completed"
	hintShell   = "the remote shell is gone (deleted, idle timeout, or the WinRM service restarted); run the command again"
	hintDenied  = "the user must be an administrator or a member of Remote Management Users on the host"
	hintTLSCA   = "the server's certificate is not signed by a trusted CA: set winrm_ca_cert (ansible_winrm_ca_trust_path) " +
		"to its CA's PEM file, or, on a trusted network only, winrm_insecure: true"
	hintTLSName = "the server's certificate does not name the address connected to: connect with a name it lists, or reissue the certificate"
	hintTLSCert = "the server's certificate is invalid (expired or not for server use): renew it on the host"
	hintTLSNot  = "the port does not speak TLS: use winrm_https: false for the HTTP listener (5985), or port 5986 for HTTPS"
	hintTLSPeer = "the TLS handshake failed: with certificate authentication check winrm_client_cert and winrm_client_key " +
		"and that the certificate is mapped to a user on the host (winrm/config/service/certmapping)"
	hintProtocol           = "the server did not answer as a WinRM service does: check the port and the scheme (http/https)"
	hintEncryptionRequired = "drop winrm_message_encryption: never (Ansible inventories: ansible_winrm_message_encryption: never) " +
		"so that NTLM encrypts the messages, or use HTTPS (winrm_https: true, or ansible_winrm_scheme: https; port 5986)"
)

// statusError is an HTTP reply other than 200 that carries no SOAP fault.
type statusError struct {
	status  int
	schemes []string // WWW-Authenticate schemes offered (on 401)
	auth    string   // the method that was tried
	user    string
	body    string // the start of the reply body
}

func (e *statusError) Error() string {
	if e.status == http.StatusUnauthorized {
		msg := fmt.Sprintf("HTTP 401: the server refused %s authentication", e.auth)
		if e.user != "" && e.auth != authCertificate {
			msg += " as " + e.user
		}
		return msg
	}
	msg := fmt.Sprintf("HTTP %d %s", e.status, http.StatusText(e.status))
	if e.body != "" {
		msg += ": " + e.body
	}
	return msg
}

// authHint says what the server offers and what to check.
func (e *statusError) authHint() string {
	hint := "check the user and password"
	if e.auth == authCertificate {
		hint = "check that the client certificate is mapped to a user on the host (winrm/config/service/certmapping)"
	}
	if len(e.schemes) == 0 {
		return hint
	}
	return fmt.Sprintf("%s; the server offers %s: set winrm_auth (ansible_winrm_transport) to one it supports",
		hint, strings.Join(e.schemes, ", "))
}

// classify turns an error from connecting, an HTTP exchange or the
// WS-Management protocol into a classified *remote.Error. It is the only
// place where library errors are recognized by their text. Errors already
// classified keep their class. op says what was being done: connection drops
// are ClassProtocol while connecting and ClassLost afterwards.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var re *remote.Error
	if errors.As(err, &re) {
		return err
	}
	class, hint := classOf(op, err)
	if class == remote.ClassAuth {
		op = opAuth
	}
	return &remote.Error{Class: class, Op: op, Err: err, Hint: hint}
}

func classOf(op string, err error) (remote.Class, string) {
	connecting := op == opDial
	var (
		status *statusError
		fault  *soapFault
		krb    *krbError
	)
	switch {
	case errors.As(err, &krb):
		return remote.ClassAuth, krbHint(krb)
	case errors.As(err, &status):
		return classifyStatus(status, connecting)
	case errors.As(err, &fault):
		return classifyFault(fault, connecting)
	}
	if c := remote.NetClass(err); c != remote.ClassNone {
		return c, netHint(c)
	}
	if hint := tlsHint(err); hint != "" {
		return remote.ClassProtocol, hint
	}
	switch {
	case remote.IsConnectionDrop(err):
		if connecting {
			return remote.ClassProtocol, hintProtocol
		}
		return remote.ClassLost, hintLost
	case connecting:
		return remote.ClassProtocol, hintProtocol
	}
	return remote.ClassOther, ""
}

func classifyStatus(e *statusError, connecting bool) (remote.Class, string) {
	switch {
	case e.status == http.StatusUnauthorized:
		return remote.ClassAuth, e.authHint()
	case e.status == http.StatusForbidden:
		return remote.ClassAuth, hintDenied
	case e.status == http.StatusNotFound:
		return remote.ClassProtocol, "no WS-Management service at /wsman on that port: check the port and that WinRM listens there"
	case e.status == http.StatusRequestEntityTooLarge:
		return remote.ClassOther, "the request exceeds the server's MaxEnvelopeSizekb: raise it on the host"
	case connecting:
		return remote.ClassProtocol, hintProtocol
	}
	return remote.ClassOther, ""
}

func classifyFault(f *soapFault, connecting bool) (remote.Class, string) {
	switch {
	case f.timedOut():
		return remote.ClassTimeout, "the server did not complete the operation within its operation timeout"
	case f.shellNotFound():
		return remote.ClassLost, hintShell
	case f.accessDenied():
		return remote.ClassAuth, hintDenied
	case connecting:
		return remote.ClassProtocol, "the server refused to open a shell: see its message"
	}
	return remote.ClassOther, ""
}

// tlsHint returns the hint for a TLS failure, "" when err is not one.
func tlsHint(err error) string {
	var (
		unknownCA   x509.UnknownAuthorityError
		hostname    x509.HostnameError
		invalid     x509.CertificateInvalidError
		verify      *tls.CertificateVerificationError
		recordError tls.RecordHeaderError
	)
	msg := err.Error()
	switch {
	case errors.As(err, &unknownCA):
		return hintTLSCA
	case errors.As(err, &hostname):
		return hintTLSName
	case errors.As(err, &invalid):
		return hintTLSCert
	case errors.As(err, &verify):
		return hintTLSCA
	case errors.As(err, &recordError), strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return hintTLSNot
	case strings.Contains(msg, "remote error: tls:"), strings.Contains(msg, "tls: "):
		return hintTLSPeer
	}
	return ""
}

// netHint is the hint for a class remote.NetClass decided.
func netHint(c remote.Class) string {
	switch c {
	case remote.ClassDNS:
		return hintDNS
	case remote.ClassRefused:
		return hintRefused
	case remote.ClassTimeout:
		return hintTimeout
	}
	return ""
}
