package winrm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	post := func(err error) error { return &url.Error{Op: "Post", URL: "https://h:5986/wsman", Err: err} }
	opErr := func(err error) error {
		return post(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)})
	}
	already := &remote.Error{Class: remote.ClassCancelled, Op: "run", Err: errors.New("interrupted")}
	unauthorized := &statusError{status: 401, schemes: []string{"Negotiate", "Basic"}, auth: authBasic, user: "admin"}
	tests := []struct {
		name     string
		op       string
		err      error
		want     remote.Class
		hintHas  string
		wantOp   string
		errorHas string
	}{
		{name: "cancelled", op: opRun, err: post(context.Canceled), want: remote.ClassCancelled},
		{name: "ctx deadline", op: opRun, err: post(context.DeadlineExceeded), want: remote.ClassTimeout},
		{name: "conn deadline", op: opDial, err: fmt.Errorf("read: %w", os.ErrDeadlineExceeded), want: remote.ClassTimeout},
		{name: "dns", op: opDial, err: post(&net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}), want: remote.ClassDNS},
		{name: "dns timeout", op: opDial, err: post(&net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}), want: remote.ClassTimeout},
		{name: "refused", op: opDial, err: opErr(syscall.ECONNREFUSED), want: remote.ClassRefused, hintHas: "5986"},
		{name: "host unreachable", op: opDial, err: opErr(syscall.EHOSTUNREACH), want: remote.ClassRefused},
		{name: "network unreachable", op: opDial, err: opErr(syscall.ENETUNREACH), want: remote.ClassRefused},
		{name: "i/o timeout", op: opDial, err: post(&net.OpError{Op: "dial", Err: timeoutErr{}}), want: remote.ClassTimeout},
		{name: "401 names the offered schemes", op: opDial, err: unauthorized, want: remote.ClassAuth,
			hintHas: "Negotiate, Basic", wantOp: opAuth, errorHas: "basic authentication as admin"},
		{name: "403", op: opRun, err: &statusError{status: 403}, want: remote.ClassAuth, hintHas: "Remote Management Users"},
		{name: "404", op: opDial, err: &statusError{status: 404}, want: remote.ClassProtocol, hintHas: "/wsman"},
		{name: "500 without a fault while connecting", op: opDial, err: &statusError{status: 500}, want: remote.ClassProtocol},
		{name: "500 without a fault while running", op: opRun, err: &statusError{status: 500}, want: remote.ClassOther},
		{name: "operation timeout", op: opRun, err: &soapFault{wsmanCode: faultTimedOut}, want: remote.ClassTimeout},
		{name: "shell not found", op: opRun, err: &soapFault{wsmanCode: faultShellNotFound}, want: remote.ClassLost, hintHas: "shell"},
		{name: "access denied", op: opDial, err: &soapFault{wsmanCode: faultAccessDenied}, want: remote.ClassAuth},
		{name: "fault while connecting", op: opDial, err: &soapFault{wsmanCode: "2147467259"}, want: remote.ClassProtocol},
		{name: "fault while running", op: opRun, err: &soapFault{wsmanCode: "2147467259"}, want: remote.ClassOther},
		{name: "unknown CA", op: opDial, err: post(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}),
			want: remote.ClassProtocol, hintHas: "winrm_ca_cert"},
		{name: "wrong name", op: opDial, err: post(x509.HostnameError{Certificate: &x509.Certificate{}, Host: "h"}),
			want: remote.ClassProtocol, hintHas: "does not name"},
		{name: "expired", op: opDial, err: post(x509.CertificateInvalidError{Reason: x509.Expired}), want: remote.ClassProtocol, hintHas: "renew"},
		{name: "not TLS", op: opDial, err: post(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}),
			want: remote.ClassProtocol, hintHas: "winrm_https: false"},
		{name: "HTTP on HTTPS", op: opDial, err: post(errors.New("http: server gave HTTP response to HTTPS client")),
			want: remote.ClassProtocol, hintHas: "winrm_https"},
		{name: "client certificate refused", op: opDial, err: post(errors.New("remote error: tls: bad certificate")),
			want: remote.ClassProtocol, hintHas: "winrm_client_cert"},
		{name: "EOF while connecting", op: opDial, err: post(io.EOF), want: remote.ClassProtocol},
		{name: "EOF while running", op: opRun, err: post(io.EOF), want: remote.ClassLost, hintHas: "may or may not"},
		{name: "reset while running", op: opRun, err: opErr(syscall.ECONNRESET), want: remote.ClassLost},
		{name: "already classified", op: opDial, err: fmt.Errorf("wrapped: %w", already), want: remote.ClassCancelled},
		{name: "unknown while connecting", op: opDial, err: errors.New("odd"), want: remote.ClassProtocol},
		{name: "unknown while running", op: opRun, err: errors.New("odd"), want: remote.ClassOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.op, tt.err)
			if got := remote.ClassOf(err); got != tt.want {
				t.Fatalf("classify(%s, %v) = %v, want %v", tt.op, tt.err, got, tt.want)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("errors.Is(err, %v) is false", tt.want)
			}
			hint := remote.HintOf(err)
			if tt.want.Unreachable() && tt.want != remote.ClassOther && hint == "" {
				t.Errorf("no hint for %v", tt.want)
			}
			if !strings.Contains(hint, tt.hintHas) {
				t.Errorf("hint %q does not mention %q", hint, tt.hintHas)
			}
			var re *remote.Error
			if tt.wantOp != "" && (!errors.As(err, &re) || re.Op != tt.wantOp) {
				t.Errorf("op of %v is not %q", err, tt.wantOp)
			}
			if !strings.Contains(err.Error(), tt.errorHas) {
				t.Errorf("%q does not say %q", err, tt.errorHas)
			}
		})
	}
	if classify(opRun, nil) != nil {
		t.Error("classify(nil) != nil")
	}
}
