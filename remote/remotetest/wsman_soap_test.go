package remotetest

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseXSDuration(t *testing.T) {
	t.Parallel()
	good := map[string]time.Duration{
		"PT20S":          20 * time.Second,
		"PT60.000S":      time.Minute,
		"PT0.25S":        250 * time.Millisecond,
		"PT1M30S":        90 * time.Second,
		"P0DT0H1M0S":     time.Minute,
		"P1D":            24 * time.Hour,
		"PT2H":           2 * time.Hour,
		"PT7200.000S":    2 * time.Hour,
		"P1DT1H":         25 * time.Hour,
		"PT0S":           0,
		"PT4294967.295S": 4294967295 * time.Millisecond,
	}
	for in, want := range good {
		if got, err := parseXSDuration(in); err != nil || got != want {
			t.Errorf("parseXSDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "20", "PT", "P", "T20S", "PT-1S", "PT1e3S", "P1Y", "P1M", "PT1.5M", "PT20S1M", "PTS", "PT20", "P1DT", "PT1S1S", "P99999999999999D"} {
		if got, err := parseXSDuration(in); err == nil {
			t.Errorf("parseXSDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestTranslateCommandLine(t *testing.T) {
	t.Parallel()
	enc := func(s string) string { return base64.StdEncoding.EncodeToString(encodeNTLMString(s, true)) }
	cases := []struct {
		command string
		args    []string
		want    string
		wantErr bool
	}{
		{"echo hi", nil, "echo hi", false},
		{"ipconfig", []string{"/all"}, "ipconfig /all", false},
		{"powershell -encodedcommand " + enc("echo é"), nil, "echo é", false},
		{"powershell.exe -NoProfile -EncodedCommand " + enc("$ProgressPreference = 'SilentlyContinue';exit 4"), nil, "exit 4", false},
		{`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -enc ` + enc("pwd"), nil, "pwd", false},
		{"pwsh", []string{"-e", enc("id")}, "id", false},
		{"PowerShell -ExecutionPolicy Bypass -ec " + enc("true"), nil, "true", false},
		{"powershell -Command echo hi", nil, "powershell -Command echo hi", false},
		{"powershell -EncodedCommand", nil, "", true},
		{"powershell -EncodedCommand QQ==", nil, "", true},
	}
	for _, tc := range cases {
		got, err := translateCommandLine(tc.command, tc.args)
		if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
			t.Errorf("translateCommandLine(%q, %q) = %q, %v; want %q (error %v)", tc.command, tc.args, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestCertificateUPN(t *testing.T) {
	t.Parallel()
	pki, err := newWSManPKI("someone")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pki.clientCertPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if upn, err := certificateUPN(cert); err != nil || upn != "someone@localhost" {
		t.Errorf("certificateUPN = %q, %v", upn, err)
	}
	if _, err := certificateUPN(pki.serverLeaf); err == nil {
		t.Error("the server certificate has no UPN, want an error")
	}
}

func FuzzParseXSDuration(f *testing.F) {
	for _, s := range []string{"PT20S", "P1DT2H3M4.5S", "PT", "P1Y", "PT1.5S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseXSDuration(s)
		if err == nil && d < 0 {
			t.Errorf("parseXSDuration(%q) = %v, negative", s, d)
		}
	})
}

// FuzzTranslateCommandLine checks that any script survives the PowerShell
// -EncodedCommand round trip, and that other lines pass through unchanged.
func FuzzTranslateCommandLine(f *testing.F) {
	f.Add("echo hi", "echo é; exit 3")
	f.Add("pwsh -e", "")
	f.Add("powershell -Command x", "$ProgressPreference='x';true")
	f.Fuzz(func(t *testing.T, line, script string) {
		if first, _, _ := strings.Cut(strings.TrimSpace(strings.ToLower(line)), " "); !strings.Contains(first, "powershell") && !strings.Contains(first, "pwsh") {
			if got, err := translateCommandLine(line, nil); err != nil || got != line {
				t.Errorf("translateCommandLine(%q) = %q, %v; want it unchanged", line, got, err)
			}
		}
		if script == "" || !utf8.ValidString(script) || strings.Contains(strings.ToLower(script), "progresspreference") {
			return
		}
		encoded := base64.StdEncoding.EncodeToString(encodeNTLMString(script, true))
		if got, err := translateCommandLine("powershell.exe -NonInteractive -EncodedCommand", []string{encoded}); err != nil || got != script {
			t.Errorf("PowerShell round trip of %q = %q, %v", script, got, err)
		}
	})
}
