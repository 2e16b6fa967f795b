package winrm

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// Authentication methods (Target.WinRM.Auth).
const (
	authBasic       = "basic"
	authNTLM        = "ntlm"
	authCertificate = "certificate"
	authKerberos    = "kerberos"
	// authNegotiate is SPNEGO as pyspnego does it: Kerberos when tickets
	// can be had, else NTLM.
	authNegotiate = "negotiate"
)

// Message encryption policies (Target.WinRM.MessageEncryption), as Ansible's
// ansible_winrm_message_encryption.
const (
	encryptAuto   = "auto"
	encryptAlways = "always"
	encryptNever  = "never"
)

// Default ports of the WinRM listeners.
const (
	DefaultHTTPPort  = 5985
	DefaultHTTPSPort = 5986
)

// hostConfig is everything needed to reach one host, resolved and checked
// from its Target and the Dialer's Options.
type hostConfig struct {
	name  string // for messages: the inventory name
	host  string
	port  int
	https bool

	auth     string
	seal     bool // message encryption (NTLM or Kerberos)
	user     string
	password string
	// krb is the Kerberos configuration (auth kerberos, or negotiate that
	// chose it); krbSkipped says why negotiate fell back to NTLM.
	krb        *krbSettings
	krbSkipped error

	insecure bool
	caPEM    []byte // nil: the system roots
	certPEM  []byte // client certificate (auth certificate)
	keyPEM   []byte

	shell            string
	connectTimeout   time.Duration
	operationTimeout time.Duration

	getenv func(string) string // the run's environment (Options.Getenv)
}

// requestTimeout bounds one HTTP exchange: connecting (TCP, TLS,
// authentication legs), the server's long poll and a margin for a slow
// reply.
func (c *hostConfig) requestTimeout() time.Duration {
	return c.connectTimeout + c.operationTimeout + replyMargin
}

// replyMargin is how much longer than its operation timeout a server may
// take to answer before the request is abandoned.
const replyMargin = 15 * time.Second

// configError is a setting that cannot work, found before connecting.
func configError(hint, format string, args ...any) error {
	return &remote.Error{Class: remote.ClassConfig, Op: opDial, Err: fmt.Errorf(format, args...), Hint: hint}
}

// resolve computes and checks the settings of target t.
func (d *Dialer) resolve(t remote.Target) (*hostConfig, error) {
	w := t.WinRM
	c := &hostConfig{
		name:             t.Name,
		host:             t.Addr(),
		port:             t.Port,
		user:             t.User,
		insecure:         w.Insecure,
		connectTimeout:   firstPositive(t.ConnectTimeout, d.opts.ConnectTimeout, DefaultConnectTimeout),
		operationTimeout: firstPositive(d.opts.OperationTimeout, DefaultOperationTimeout),
		getenv:           d.opts.Getenv,
	}
	if c.name == "" {
		c.name = c.host
	}
	if c.host == "" {
		return nil, configError("set the host's address in the inventory (ansible_host)", "no address to connect to")
	}
	c.https = useHTTPS(w.HTTPS, t.Port)
	if c.port == 0 {
		c.port = DefaultHTTPSPort
		if !c.https {
			c.port = DefaultHTTPPort
		}
	}
	var err error
	if c.shell, err = shellKind(w.Shell); err != nil {
		return nil, err
	}
	if err := c.resolveAuth(w); err != nil {
		return nil, err
	}
	if err := c.resolveCredentials(t, d.opts.Password); err != nil {
		return nil, err
	}
	if err := c.loadCertificates(w); err != nil {
		return nil, err
	}
	return c, nil
}

// useHTTPS applies the scheme rule: an explicit setting wins; otherwise
// HTTPS, except on port 5985, the HTTP listener's (as Ansible decides).
func useHTTPS(setting *bool, port int) bool {
	if setting != nil {
		return *setting
	}
	return port != DefaultHTTPPort
}

func shellKind(s string) (string, error) {
	switch strings.ToLower(s) {
	case "", shellCmd:
		return shellCmd, nil
	case shellPowerShell, "pwsh":
		return shellPowerShell, nil
	}
	return "", configError("use winrm_shell: cmd or powershell", "unknown WinRM shell %q", s)
}

// resolveAuth picks the authentication method and decides whether messages
// are sealed, refusing plain HTTP that nothing protects unless the host's
// settings say so: winrm_allow_unencrypted, or message encryption "never",
// which, as in Ansible (pywinrm), means messages go unencrypted even over
// HTTP (the server's AllowUnencrypted must then be on).
func (c *hostConfig) resolveAuth(w remote.WinRMSettings) error {
	switch strings.ToLower(w.Auth) {
	case "":
		c.auth = authNTLM
		if w.ClientCert != "" {
			c.auth = authCertificate
		}
	case authBasic, "plaintext", "ssl":
		c.auth = authBasic
	case authNTLM:
		c.auth = authNTLM
	case authKerberos:
		c.auth = authKerberos
	case authNegotiate:
		c.auth = authNegotiate
	case authCertificate, "cert":
		c.auth = authCertificate
	default:
		return configError("use winrm_auth: basic, ntlm, kerberos, negotiate or certificate", "unknown WinRM authentication %q", w.Auth)
	}
	policy := strings.ToLower(w.MessageEncryption)
	switch policy {
	case "", encryptAuto:
		c.seal = c.sealable() && !c.https
	case encryptAlways:
		if !c.sealable() {
			return configError("message encryption needs winrm_auth: ntlm, kerberos or negotiate",
				"message encryption %q is not possible with %s authentication", policy, c.auth)
		}
		c.seal = true
	case encryptNever:
		c.seal = false // asked for: over HTTP, that is consent to unencrypted messages
	default:
		return configError("use auto, always or never", "unknown WinRM message encryption %q", w.MessageEncryption)
	}
	if c.https || c.seal {
		return nil
	}
	if c.auth == authCertificate {
		return configError("use HTTPS (winrm_https: true, port 5986)", "certificate authentication needs HTTPS")
	}
	if !w.AllowUnencrypted && policy != encryptNever {
		return configError(plainHTTPHint(c.auth),
			"refusing %s authentication over plain HTTP: commands, output and credentials would cross the network unencrypted", c.auth)
	}
	return nil
}

// sealable reports whether the method can encrypt messages.
func (c *hostConfig) sealable() bool {
	return c.auth == authNTLM || c.auth == authKerberos || c.auth == authNegotiate
}

// plainHTTPHint says how to get out of a refusal of plain HTTP, in the
// words of both inventory formats.
func plainHTTPHint(auth string) string {
	hint := "use HTTPS (winrm_https: true, or ansible_winrm_scheme: https; port 5986)"
	if auth != authNTLM {
		hint += ", or NTLM, whose messages are encrypted over HTTP (winrm_auth: ntlm, or ansible_winrm_transport: ntlm)"
	}
	return hint + "; or, if the network is trusted and the server's AllowUnencrypted is on, " +
		"allow it: winrm_allow_unencrypted: true (Ansible inventories: ansible_winrm_message_encryption: never)"
}

// resolveCredentials finds the user and password that Basic and NTLM need:
// the target's environment variable, its inventory password, else the run's
// (--ask-pass).
func (c *hostConfig) resolveCredentials(t remote.Target, runPassword string) error {
	switch c.auth {
	case authCertificate:
		return nil
	case authKerberos, authNegotiate:
		return c.resolveKerberosCredentials(t, runPassword)
	}
	return c.resolvePassword(t, runPassword)
}

// resolveKerberosCredentials finds the Kerberos credentials: a keytab, a
// password (the same sources as NTLM's), else the credential cache.
// Negotiate falls back to NTLM when Kerberos cannot be used and a user and
// password are known.
func (c *hostConfig) resolveKerberosCredentials(t remote.Target, runPassword string) error {
	if c.user != "" && t.WinRM.Keytab == "" {
		_ = c.resolvePassword(t, runPassword) // optional: the credential cache otherwise
	}
	password := c.password
	if strings.EqualFold(t.WinRM.KinitMode, "manual") {
		password = "" // the credential cache, as Ansible's manual kinit mode
	}
	krb, err := c.resolveKerberos(t.WinRM, password)
	if err == nil {
		c.krb = krb
		return nil
	}
	if c.auth == authNegotiate && c.password != "" && c.user != "" {
		c.auth, c.krbSkipped = authNTLM, err
		return nil
	}
	return err
}

// resolvePassword finds the user and password that Basic and NTLM need.
func (c *hostConfig) resolvePassword(t remote.Target, runPassword string) error {
	if c.user == "" {
		return &remote.Error{Class: remote.ClassAuth, Op: opAuth,
			Err:  fmt.Errorf("no user for %s authentication to %s", c.auth, c.name),
			Hint: "set the host's user in the inventory (ansible_user)"}
	}
	var envErr error
	if t.PasswordEnv != "" {
		if v := c.getenv(t.PasswordEnv); v != "" {
			c.password = v
			return nil
		}
		envErr = fmt.Errorf("the password environment variable %s is not set", t.PasswordEnv)
	}
	switch {
	case t.Password != "":
		c.password = t.Password
	case runPassword != "":
		c.password = runPassword
	case envErr != nil:
		return &remote.Error{Class: remote.ClassAuth, Op: opAuth, Err: envErr,
			Hint: "export " + t.PasswordEnv + ", or pass --ask-pass"}
	default:
		return &remote.Error{Class: remote.ClassAuth, Op: opAuth,
			Err:  fmt.Errorf("no password for %s@%s", c.user, c.name),
			Hint: "set password_env (or ansible_password) for the host, or pass --ask-pass"}
	}
	return nil
}

// loadCertificates reads the CA file and the client certificate and key,
// checking that they parse.
func (c *hostConfig) loadCertificates(w remote.WinRMSettings) error {
	if !c.https {
		return nil
	}
	if w.CACert != "" {
		pem, err := readPEMs(w.CACert)
		if err != nil {
			return configError("check winrm_ca_cert (ansible_winrm_ca_trust_path)", "CA certificates: %v", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return configError("winrm_ca_cert must name PEM certificates (or a directory of them)",
				"no PEM certificate found in %s", w.CACert)
		}
		c.caPEM = pem
	}
	if c.auth != authCertificate {
		return nil
	}
	if w.ClientCert == "" || w.ClientKey == "" {
		return configError("set winrm_client_cert and winrm_client_key (ansible_winrm_cert_pem, ansible_winrm_cert_key_pem)",
			"certificate authentication needs a client certificate and its key")
	}
	var err error
	if c.certPEM, err = os.ReadFile(w.ClientCert); err != nil {
		return configError("check winrm_client_cert", "client certificate: %v", err)
	}
	if c.keyPEM, err = os.ReadFile(w.ClientKey); err != nil {
		return configError("check winrm_client_key", "client key: %v", err)
	}
	if _, err := tls.X509KeyPair(c.certPEM, c.keyPEM); err != nil {
		return configError("winrm_client_cert and winrm_client_key must be a PEM certificate and its unencrypted private key",
			"client certificate %s: %v", w.ClientCert, err)
	}
	return nil
}

// readPEMs reads a PEM file, or every regular file of a directory.
func readPEMs(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return os.ReadFile(path)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var all []byte
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(path, e.Name()))
		if err != nil {
			return nil, err
		}
		all = append(append(all, b...), '\n')
	}
	if len(all) == 0 {
		return nil, errors.New(path + " holds no files")
	}
	return all, nil
}

func firstPositive(ds ...time.Duration) time.Duration {
	for _, d := range ds {
		if d > 0 {
			return d
		}
	}
	return 0
}
