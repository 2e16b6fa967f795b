package winrm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

func boolPtr(b bool) *bool { return &b }

func TestResolveEndpointAndAuth(t *testing.T) {
	tests := []struct {
		name      string
		target    remote.Target
		https     bool
		port      int
		auth      string
		seal      bool
		errorText string // substring of an expected error
	}{
		{name: "defaults: HTTPS 5986 NTLM", target: remote.Target{Name: "w", User: "u"},
			https: true, port: 5986, auth: authNTLM},
		{name: "port 5985 means HTTP, NTLM sealed", target: remote.Target{Name: "w", User: "u", Port: 5985},
			https: false, port: 5985, auth: authNTLM, seal: true},
		{name: "explicit HTTPS on 5985", target: remote.Target{Name: "w", User: "u", Port: 5985, WinRM: remote.WinRMSettings{HTTPS: boolPtr(true)}},
			https: true, port: 5985, auth: authNTLM},
		{name: "HTTP default port", target: remote.Target{Name: "w", User: "u", WinRM: remote.WinRMSettings{HTTPS: boolPtr(false)}},
			port: 5985, auth: authNTLM, seal: true},
		{name: "basic over HTTPS", target: remote.Target{Name: "w", User: "u", WinRM: remote.WinRMSettings{Auth: "basic"}},
			https: true, port: 5986, auth: authBasic},
		{name: "basic over HTTP refused", target: remote.Target{Name: "w", User: "u", Port: 5985, WinRM: remote.WinRMSettings{Auth: "basic"}},
			errorText: "refusing basic authentication over plain HTTP"},
		{name: "basic over HTTP with encryption auto refused", target: remote.Target{Name: "w", User: "u", Port: 5985, WinRM: remote.WinRMSettings{Auth: "basic", MessageEncryption: "auto"}},
			errorText: "plain HTTP"},
		{name: "basic over HTTP allowed", target: remote.Target{Name: "w", User: "u", Port: 5985, WinRM: remote.WinRMSettings{Auth: "Basic", AllowUnencrypted: true}},
			port: 5985, auth: authBasic},
		// As in Ansible, "never" asks for unencrypted messages, HTTP or not.
		{name: "NTLM unsealed over HTTP: never", target: remote.Target{Name: "w", User: "u", Port: 5985, WinRM: remote.WinRMSettings{MessageEncryption: "never"}},
			port: 5985, auth: authNTLM},
		{name: "basic over HTTP: never", target: remote.Target{Name: "w", User: "u", Port: 5985, WinRM: remote.WinRMSettings{Auth: "basic", MessageEncryption: "never"}},
			port: 5985, auth: authBasic},
		{name: "NTLM unsealed over HTTP allowed", target: remote.Target{Name: "w", User: "u", Port: 5985, WinRM: remote.WinRMSettings{MessageEncryption: "never", AllowUnencrypted: true}},
			port: 5985, auth: authNTLM},
		{name: "NTLM sealed over HTTPS", target: remote.Target{Name: "w", User: "u", WinRM: remote.WinRMSettings{MessageEncryption: "always"}},
			https: true, port: 5986, auth: authNTLM, seal: true},
		{name: "encryption needs NTLM", target: remote.Target{Name: "w", User: "u", WinRM: remote.WinRMSettings{Auth: "basic", MessageEncryption: "always"}},
			errorText: "not possible with basic"},
		{name: "certificate over HTTP", target: remote.Target{Name: "w", Port: 5985, WinRM: remote.WinRMSettings{Auth: "certificate", AllowUnencrypted: true}},
			errorText: "needs HTTPS"},
		{name: "certificate needs files", target: remote.Target{Name: "w", WinRM: remote.WinRMSettings{Auth: "certificate"}},
			errorText: "client certificate and its key"},
		{name: "unknown auth", target: remote.Target{Name: "w", User: "u", WinRM: remote.WinRMSettings{Auth: "credssp"}},
			errorText: "unknown WinRM authentication"},
		{name: "unknown shell", target: remote.Target{Name: "w", User: "u", WinRM: remote.WinRMSettings{Shell: "bash"}},
			errorText: "unknown WinRM shell"},
		{name: "unknown encryption", target: remote.Target{Name: "w", User: "u", WinRM: remote.WinRMSettings{MessageEncryption: "sometimes"}},
			errorText: "message encryption"},
	}
	d := NewDialer(Options{Password: "run-password"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := d.resolve(tt.target)
			if tt.errorText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errorText) {
					t.Fatalf("resolve = %+v, %v; want an error about %q", c, err, tt.errorText)
				}
				if remote.HintOf(err) == "" {
					t.Errorf("no hint in %v", err)
				}
				if remote.ClassOf(err) != remote.ClassConfig {
					t.Errorf("class %v, want config: the settings are invalid input (%v)", remote.ClassOf(err), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.https != tt.https || c.port != tt.port || c.auth != tt.auth || c.seal != tt.seal {
				t.Errorf("resolve = https %v port %d auth %s seal %v; want %v %d %s %v",
					c.https, c.port, c.auth, c.seal, tt.https, tt.port, tt.auth, tt.seal)
			}
		})
	}
}

// TestPlainHTTPHint: the refusal names the settings that lift it, in both
// inventory formats, and does not suggest NTLM to an NTLM host.
func TestPlainHTTPHint(t *testing.T) {
	d := NewDialer(Options{Password: "p"})
	_, err := d.resolve(remote.Target{Name: "w", User: "u", Port: 5985, WinRM: remote.WinRMSettings{Auth: "basic"}})
	hint := remote.HintOf(err)
	for _, want := range []string{"winrm_allow_unencrypted: true", "ansible_winrm_message_encryption: never", "ansible_winrm_scheme: https", "ansible_winrm_transport: ntlm"} {
		if !strings.Contains(hint, want) {
			t.Errorf("hint %q does not name %s", hint, want)
		}
	}
	if strings.Contains(plainHTTPHint(authNTLM), "transport: ntlm") {
		t.Errorf("the hint for an NTLM host suggests NTLM: %q", plainHTTPHint(authNTLM))
	}
}

func TestResolveTimeoutsAndShell(t *testing.T) {
	d := NewDialer(Options{Password: "p", ConnectTimeout: 7 * time.Second, OperationTimeout: 2 * time.Second})
	c, err := d.resolve(remote.Target{Name: "w", User: "u", WinRM: remote.WinRMSettings{Shell: "PowerShell"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.connectTimeout != 7*time.Second || c.operationTimeout != 2*time.Second || c.shell != shellPowerShell {
		t.Errorf("resolve = connect %v, operation %v, shell %s", c.connectTimeout, c.operationTimeout, c.shell)
	}
	c, err = d.resolve(remote.Target{Name: "w", User: "u", ConnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if c.connectTimeout != time.Second || c.shell != shellCmd || c.host != "w" {
		t.Errorf("the target's connect timeout, the cmd shell and the name as address: got %v, %s, %s", c.connectTimeout, c.shell, c.host)
	}
}

func TestResolvePassword(t *testing.T) {
	t.Setenv("RCTEST_WINRM_PW", "from-env")
	tests := []struct {
		name   string
		target remote.Target // its password settings
		run    string
		want   string
		class  remote.Class // of the error, when one is expected
	}{
		{name: "environment first", target: remote.Target{PasswordEnv: "RCTEST_WINRM_PW", Password: "inv"}, run: "run", want: "from-env"},
		{name: "inventory next", target: remote.Target{Password: "inv"}, run: "run", want: "inv"},
		{name: "run last", run: "run", want: "run"},
		{name: "unset variable falls back", target: remote.Target{PasswordEnv: "RCTEST_WINRM_UNSET"}, run: "run", want: "run"},
		{name: "unset variable", target: remote.Target{PasswordEnv: "RCTEST_WINRM_UNSET"}, class: remote.ClassAuth},
		{name: "none", class: remote.ClassAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target
			target.Name, target.User = "w", "u"
			c, err := NewDialer(Options{Password: tt.run}).resolve(target)
			if tt.class != remote.ClassNone {
				if !errors.Is(err, tt.class) || remote.HintOf(err) == "" {
					t.Fatalf("resolve error = %v, want %v with a hint", err, tt.class)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.password != tt.want {
				t.Errorf("password = %q, want %q", c.password, tt.want)
			}
		})
	}
	_, err := NewDialer(Options{Password: "p"}).resolve(remote.Target{Name: "w"})
	if !errors.Is(err, remote.ClassAuth) || !strings.Contains(err.Error(), "no user") {
		t.Errorf("no user: %v", err)
	}
}

func TestResolveCertificates(t *testing.T) {
	dir := t.TempDir()
	caPEM, certPEM, keyPEM := testCertificates(t)
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ca, cert, key := write("ca.pem", caPEM), write("cert.pem", certPEM), write("key.pem", keyPEM)
	notPEM := write("junk.txt", []byte("not a certificate"))
	caDir := filepath.Join(dir, "cas")
	if err := os.Mkdir(caDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(caDir, "one.crt"), caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	d := NewDialer(Options{})
	c, err := d.resolve(remote.Target{Name: "w", WinRM: remote.WinRMSettings{CACert: ca, ClientCert: cert, ClientKey: key}})
	if err != nil {
		t.Fatal(err)
	}
	if c.auth != authCertificate || len(c.caPEM) == 0 || len(c.certPEM) == 0 || len(c.keyPEM) == 0 {
		t.Errorf("a client certificate implies certificate auth and loads the files: %+v", c)
	}
	if c, err := d.resolve(remote.Target{Name: "w", WinRM: remote.WinRMSettings{CACert: caDir, ClientCert: cert, ClientKey: key}}); err != nil || len(c.caPEM) == 0 {
		t.Errorf("a CA directory: %v", err)
	}
	for name, w := range map[string]remote.WinRMSettings{
		"missing CA":       {CACert: filepath.Join(dir, "nope.pem"), ClientCert: cert, ClientKey: key},
		"CA not PEM":       {CACert: notPEM, ClientCert: cert, ClientKey: key},
		"missing key":      {ClientCert: cert, ClientKey: filepath.Join(dir, "nope.pem")},
		"key does not fit": {ClientCert: cert, ClientKey: notPEM},
	} {
		_, err := d.resolve(remote.Target{Name: "w", WinRM: w})
		if err == nil || remote.HintOf(err) == "" {
			t.Errorf("%s: resolve error = %v, want one with a hint", name, err)
		}
	}
}

func TestIsoDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Second:         "PT5S",
		time.Second:             "PT1S",
		1500 * time.Millisecond: "PT1.5S",
		90 * time.Second:        "PT90S",
	} {
		if got := isoDuration(d); got != want {
			t.Errorf("isoDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
