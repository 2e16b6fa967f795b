package winrm

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

func doctorTarget(srv *remotetest.WSManServer, https bool) remote.Target {
	return remote.Target{
		Name: "win", Address: srv.Host, Port: srv.Port, Transport: remote.KindWinRM, User: srv.User,
		ConnectTimeout: 10 * time.Second, Password: srv.Password,
		WinRM: remote.WinRMSettings{HTTPS: &https, Auth: "ntlm"},
	}
}

func TestDoctorResolve(t *testing.T) {
	d := NewDialer(Options{})
	no := false
	e, err := d.Resolve(remote.Target{Name: "w", Address: "h", User: "u", Password: "p"})
	if err != nil || !e.HTTPS || e.Port != DefaultHTTPSPort || e.Auth != authNTLM || e.Seal || !e.HasPassword || e.Shell != shellCmd {
		t.Errorf("defaults: %+v, %v", e, err)
	}
	if e.URL() != "https://h:5986/wsman" {
		t.Errorf("URL = %q", e.URL())
	}
	// Basic over HTTP is refused, but the settings are still described.
	e, err = d.Resolve(remote.Target{Name: "w", Address: "h", User: "u", Password: "p",
		WinRM: remote.WinRMSettings{HTTPS: &no, Auth: "basic"}})
	if remote.ClassOf(err) != remote.ClassConfig || !strings.Contains(err.Error(), "plain HTTP") {
		t.Errorf("basic over HTTP: %v", err)
	}
	if e.HTTPS || e.Port != DefaultHTTPPort || e.Auth != authBasic || e.Seal {
		t.Errorf("basic over HTTP: %+v", e)
	}
}

func TestDoctorInspectTLS(t *testing.T) {
	srv := remotetest.StartWSMan(t, remotetest.WSManOptions{HTTPS: true})
	d := NewDialer(Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	target := doctorTarget(srv, true)

	// Without the test CA the chain is not trusted; the name matches.
	info, err := d.InspectTLS(ctx, target, srv.Port)
	if err != nil {
		t.Fatal(err)
	}
	if info.TrustErr == nil || info.NameErr != nil || !slices.Contains(info.Names(), "127.0.0.1") || info.TLSVersion == "" {
		t.Errorf("system roots: %+v", info)
	}
	target.WinRM.CACert = srv.CACertFile
	if info, err = d.InspectTLS(ctx, target, srv.Port); err != nil || info.TrustErr != nil {
		t.Errorf("with the CA: %+v, %v", info, err)
	}
	status, schemes, err := d.AuthSchemes(ctx, target, srv.Port, true)
	if err != nil || status != 401 || !slices.Equal(schemes, []string{"Negotiate", "Basic"}) {
		t.Errorf("AuthSchemes over HTTPS = %d %v %v, want 401 [Negotiate Basic]", status, schemes, err)
	}
}

func TestDoctorAuthSchemesHTTP(t *testing.T) {
	srv := remotetest.StartWSMan(t, remotetest.WSManOptions{Seal: true})
	d := NewDialer(Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, schemes, err := d.AuthSchemes(ctx, doctorTarget(srv, false), srv.Port, false)
	if err != nil || status != 401 || !slices.Equal(schemes, []string{"Negotiate"}) {
		t.Errorf("AuthSchemes over HTTP = %d %v %v, want 401 [Negotiate]", status, schemes, err)
	}
	// TLS on the HTTP listener fails, classified.
	_, err = d.InspectTLS(ctx, doctorTarget(srv, false), srv.Port)
	if err == nil || remote.ClassOf(err) == remote.ClassNone {
		t.Errorf("TLS to an HTTP listener: %v", err)
	}
	if got := SchemeFor("NTLM"); !slices.Equal(got, []string{"Negotiate", "NTLM"}) {
		t.Errorf("SchemeFor(ntlm) = %v", got)
	}
	if SchemeFor(authCertificate) != nil {
		t.Error("certificate authentication has no HTTP scheme")
	}
}
