package winrm

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/doctor"
)

func TestCertFinding(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	good := &CertInfo{Issuer: "CN=CA", IPs: []string{"10.0.0.1"}, NotAfter: now.AddDate(1, 0, 0)}
	tests := []struct {
		name     string
		info     CertInfo
		insecure bool
		status   doctor.Status
		fix      string
	}{
		{"valid", *good, false, doctor.OK, ""},
		{"expires soon", CertInfo{Issuer: "CN=CA", NotAfter: now.Add(5 * 24 * time.Hour)}, false, doctor.Warn, "renew the certificate"},
		{"untrusted", CertInfo{Issuer: "CN=self", NotAfter: good.NotAfter, TrustErr: errors.New("unknown authority")}, false, doctor.Fail, "winrm_ca_cert"},
		{"expired", CertInfo{NotAfter: now.Add(-time.Hour), TrustErr: errors.New("expired")}, false, doctor.Fail, "it expired"},
		{"wrong name", CertInfo{NotAfter: good.NotAfter, NameErr: errors.New("mismatch")}, false, doctor.Fail, "subject alternative names"},
		{"untrusted but insecure", CertInfo{NotAfter: good.NotAfter, TrustErr: errors.New("unknown authority")}, true, doctor.Warn, "drop winrm_insecure"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := certFinding(&tc.info, "10.0.0.1", tc.insecure, now)
			if f.Status != tc.status || !strings.Contains(f.Fix, tc.fix) {
				t.Errorf("certFinding = %s %q (fix %q), want %s with fix %q", f.Status, f.Summary, f.Fix, tc.status, tc.fix)
			}
		})
	}
}
