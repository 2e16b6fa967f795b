//go:build unix

package remotetest

import (
	"context"
	"os"
	"testing"

	"github.com/masterzen/winrm"
)

// Interoperability with masterzen/winrm, the library remote/winrm builds
// on, in each of its transports: what remote/winrm's tests rely on.

func TestWSManMasterzen(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		opts      WSManOptions
		transport func() winrm.Transporter
		auth      string
		sealed    bool
		stdin     bool // masterzen's Encryption races when stdin is sent alongside Receive
	}{
		{"basic over HTTP", WSManOptions{AllowUnencrypted: true}, nil, WSManAuthBasic, false, true},
		{"basic over HTTPS", WSManOptions{HTTPS: true}, nil, WSManAuthBasic, false, true},
		{"NTLM over HTTPS", WSManOptions{HTTPS: true, Auth: WSManAuthNTLM},
			func() winrm.Transporter { return &winrm.ClientNTLM{} }, WSManAuthNTLM, false, true},
		{"NTLM sealed over HTTP", WSManOptions{Seal: true},
			func() winrm.Transporter { enc, _ := winrm.NewEncryption("ntlm"); return enc }, WSManAuthNTLM, true, false},
		{"certificate", WSManOptions{HTTPS: true, Auth: WSManAuthCertificate},
			func() winrm.Transporter { return &winrm.ClientAuthRequest{} }, WSManAuthCertificate, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := StartWSMan(t, tc.opts)
			client := masterzenClient(t, srv, tc.transport)
			ctx := context.Background()

			stdout, stderr, code, err := client.RunCmdWithContext(ctx, "echo out; echo err >&2; exit 3")
			if err != nil || stdout != "out\n" || stderr != "err\n" || code != 3 {
				t.Errorf("command: stdout %q stderr %q code %d err %v", stdout, stderr, code, err)
			}
			stdout, stderr, code, err = client.RunPSWithContext(ctx, "echo from-powershell")
			if err != nil || stdout != "from-powershell\n" || stderr != "" || code != 0 {
				t.Errorf("PowerShell: stdout %q stderr %q code %d err %v", stdout, stderr, code, err)
			}
			if tc.stdin {
				stdout, _, code, err = client.RunWithContextWithString(ctx, "tr a-z A-Z", "hello stdin\n")
				if err != nil || stdout != "HELLO STDIN\n" || code != 0 {
					t.Errorf("stdin: stdout %q code %d err %v", stdout, code, err)
				}
			}
			for _, r := range srv.Requests() {
				if r.Op != "" && r.Status != 401 && (r.Auth != tc.auth || r.Sealed != tc.sealed) {
					t.Errorf("request %+v: want auth %q sealed %v", r, tc.auth, tc.sealed)
				}
			}
			if n := srv.Shells(); n != 0 {
				t.Errorf("%d shells left open", n)
			}
		})
	}
}

// masterzenClient connects masterzen/winrm to srv with its own parameters
// (never winrm.DefaultParameters, which is shared).
func masterzenClient(t *testing.T, srv *WSManServer, transport func() winrm.Transporter) *winrm.Client {
	t.Helper()
	var cert, key []byte
	if srv.ClientCertFile != "" {
		var err1, err2 error
		cert, err1 = os.ReadFile(srv.ClientCertFile)
		key, err2 = os.ReadFile(srv.ClientKeyFile)
		if err1 != nil || err2 != nil {
			t.Fatalf("client certificate: %v %v", err1, err2)
		}
	}
	endpoint := winrm.NewEndpoint(srv.Host, srv.Port, srv.CACertPEM != nil, false, srv.CACertPEM, cert, key, 0)
	params := winrm.NewParameters("PT60S", "en-US", 153600)
	params.TransportDecorator = transport
	client, err := winrm.NewClientWithParameters(endpoint, srv.User, srv.Password, params)
	if err != nil {
		t.Fatalf("masterzen client: %v", err)
	}
	return client
}
