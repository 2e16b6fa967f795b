package winrm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"

	"github.com/remotectl/remotectl/doctor"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// Kerberos tests: a real MIT KDC (remotetest.StartKDC), the test server
// accepting Kerberos with its keytab (proven against pywinrm with
// requests-kerberos and MIT's GSS-API in remote/remotetest), and this
// package's client.

const (
	krbRealm   = "KRB.TEST"
	krbSPNHost = "win1." + remotetest.KDCDomain
)

// krbHost is a realm with the server's user and its service principal, a
// server accepting Kerberos, and the user's credential cache.
type krbHost struct {
	kdc    *remotetest.KDC
	srv    *remotetest.WSManServer
	ccache string
}

// startKrbHost starts the realm and the server (opts completed with its
// Kerberos settings) and points KRB5_CONFIG and KRB5CCNAME at them.
func startKrbHost(t *testing.T, opts remotetest.WSManOptions) *krbHost {
	t.Helper()
	kdc := remotetest.StartKDC(t, krbRealm)
	kdc.AddUser(t, remotetest.WSManUser, remotetest.WSManPassword)
	kt := kdc.AddService(t, "HTTP/"+krbSPNHost)
	if opts.Kerberos == nil {
		opts.Kerberos = &remotetest.WSManKerberos{}
	}
	opts.Kerberos.Keytab, opts.Kerberos.Realm = kt, krbRealm
	if opts.Auth == "" {
		opts.Auth = remotetest.WSManAuthNTLM
	}
	h := &krbHost{kdc: kdc, srv: remotetest.StartWSMan(t, opts)}
	h.ccache = kdc.Kinit(t, remotetest.WSManUser, remotetest.WSManPassword, "")
	t.Setenv("KRB5_CONFIG", kdc.Config)
	t.Setenv("KRB5CCNAME", "FILE:"+h.ccache)
	t.Setenv("KRB5_CLIENT_KTNAME", "FILE:"+filepath.Join(t.TempDir(), "no-client-keytab"))
	return h
}

// target reaches the server with Kerberos (the credential cache unless w
// or the caller adds other credentials).
func (h *krbHost) target(w remote.WinRMSettings) remote.Target {
	if w.Auth == "" {
		w.Auth = authKerberos
	}
	if w.KerberosHostname == "" {
		w.KerberosHostname = krbSPNHost
	}
	https := h.srv.CACertFile != ""
	w.HTTPS = &https
	if https {
		w.CACert = h.srv.CACertFile
	}
	return remote.Target{Name: "win-krb", Address: h.srv.Host, Port: h.srv.Port, Transport: remote.KindWinRM,
		ConnectTimeout: 10 * time.Second, WinRM: w}
}

// exerciseKerberos runs a command, uploads and downloads a file over t,
// and checks every operation was Kerberos-authenticated (and encrypted when
// sealed).
func exerciseKerberos(t *testing.T, h *krbHost, target remote.Target, sealed bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	tr, err := newTestDialer(Options{}).Dial(ctx, target)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer tr.Close()
	var out, errOut bytes.Buffer
	res, err := tr.Run(ctx, &remote.Cmd{Shell: "echo hello; echo oops >&2; exit 3", Stdout: &out, Stderr: &errOut})
	if err != nil || res.ExitCode != 3 || out.String() != "hello\n" || errOut.String() != "oops\n" {
		t.Fatalf("Run = %+v, %v; stdout %q stderr %q", res, err, out.String(), errOut.String())
	}
	data := bytes.Repeat([]byte("kerberos \x00\xff payload\n"), 20000)
	dst := filepath.Join(t.TempDir(), "copied")
	if err := tr.Upload(ctx, dst, bytes.NewReader(data), 0o644); err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("uploaded file: %d bytes, %v; want %d bytes", len(got), err, len(data))
	}
	var back bytes.Buffer
	if err := tr.Download(ctx, dst, &back); err != nil || !bytes.Equal(back.Bytes(), data) {
		t.Fatalf("Download: %d bytes, %v", back.Len(), err)
	}
	ops := 0
	for _, r := range h.srv.Requests() {
		if r.Op == "" || r.Status == 401 {
			continue
		}
		ops++
		if r.Auth != remotetest.WSManAuthKerberos || r.Sealed != sealed {
			t.Errorf("request %+v: want Kerberos, sealed %v", r, sealed)
		}
	}
	if ops == 0 {
		t.Error("the server saw no operation")
	}
}

func TestKerberosCCacheEncryptedHTTP(t *testing.T) {
	h := startKrbHost(t, remotetest.WSManOptions{}) // HTTP, AllowUnencrypted=false: messages must be encrypted
	exerciseKerberos(t, h, h.target(remote.WinRMSettings{}), true)
}

func TestKerberosCCacheHTTPS(t *testing.T) {
	h := startKrbHost(t, remotetest.WSManOptions{HTTPS: true})
	exerciseKerberos(t, h, h.target(remote.WinRMSettings{}), false)
}

func TestKerberosKeytab(t *testing.T) {
	h := startKrbHost(t, remotetest.WSManOptions{})
	kt := h.kdc.UserKeytab(t, remotetest.WSManUser)
	t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(t.TempDir(), "absent")) // the keytab alone logs in
	target := h.target(remote.WinRMSettings{Keytab: kt})
	target.User = remotetest.WSManUser + "@" + krbRealm
	exerciseKerberos(t, h, target, true)
}

func TestKerberosPasswordFromEnvironment(t *testing.T) {
	h := startKrbHost(t, remotetest.WSManOptions{HTTPS: true})
	t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(t.TempDir(), "absent"))
	t.Setenv("RCTEST_KRB_PASSWORD", remotetest.WSManPassword)
	target := h.target(remote.WinRMSettings{})
	target.User, target.PasswordEnv = remotetest.WSManUser, "RCTEST_KRB_PASSWORD" // the default realm
	exerciseKerberos(t, h, target, false)
}

func TestNegotiateChoosesKerberos(t *testing.T) {
	h := startKrbHost(t, remotetest.WSManOptions{})
	exerciseKerberos(t, h, h.target(remote.WinRMSettings{Auth: authNegotiate}), true)
}

func TestNegotiateFallsBackToNTLM(t *testing.T) {
	h := startKrbHost(t, remotetest.WSManOptions{})
	// The KDC knows no principal for this name: Kerberos is impossible,
	// NTLM with the password works, as pyspnego falls back.
	target := h.target(remote.WinRMSettings{Auth: authNegotiate, KerberosHostname: "nosuch." + remotetest.KDCDomain})
	target.User, target.Password = remotetest.WSManUser, remotetest.WSManPassword
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	tr, err := newTestDialer(Options{}).Dial(ctx, target)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer tr.Close()
	if res, err := tr.Run(ctx, &remote.Cmd{Shell: "true"}); err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	for _, r := range h.srv.Requests() {
		if r.Op != "" && r.Status == 200 && (r.Auth != remotetest.WSManAuthNTLM || !r.Sealed) {
			t.Errorf("request %+v: want NTLM, sealed", r)
		}
	}
}

// dialError dials target and returns its classified error.
func dialError(t *testing.T, target remote.Target) *remote.Error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	tr, err := newTestDialer(Options{}).Dial(ctx, target)
	if err == nil {
		tr.Close()
		t.Fatal("Dial succeeded")
	}
	var re *remote.Error
	if !errors.As(err, &re) {
		t.Fatalf("Dial error %v (%T) is not classified", err, err)
	}
	if strings.Contains(re.Error()+re.Hint, remotetest.WSManPassword) {
		t.Fatalf("the error shows the password: %v (%s)", re, re.Hint)
	}
	return re
}

// checkKrbError asserts the class, and words of the message and hint.
func checkKrbError(t *testing.T, re *remote.Error, msg, hint string) {
	t.Helper()
	if re.Class != remote.ClassAuth || !strings.Contains(re.Error(), msg) || !strings.Contains(re.Hint, hint) {
		t.Errorf("error %v (class %v), hint %q: want class auth, %q in the message, %q in the hint", re, re.Class, re.Hint, msg, hint)
	}
}

func TestKerberosFailures(t *testing.T) {
	h := startKrbHost(t, remotetest.WSManOptions{})
	t.Run("no credential cache", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(t.TempDir(), "absent"))
		checkKrbError(t, dialError(t, h.target(remote.WinRMSettings{})), "no Kerberos credential cache", "kinit")
	})
	t.Run("missing SPN", func(t *testing.T) {
		re := dialError(t, h.target(remote.WinRMSettings{KerberosHostname: "nosuch." + remotetest.KDCDomain}))
		checkKrbError(t, re, "KDC_ERR_S_PRINCIPAL_UNKNOWN", "setspn")
		checkKrbError(t, re, "HTTP/nosuch.krb.test", "winrm_kerberos_hostname")
	})
	t.Run("SPN of another service", func(t *testing.T) {
		h.kdc.AddService(t, "HTTP/other."+remotetest.KDCDomain)
		re := dialError(t, h.target(remote.WinRMSettings{KerberosHostname: "other." + remotetest.KDCDomain}))
		checkKrbError(t, re, "KRB_AP_ERR_MODIFIED", "setspn -Q")
	})
	t.Run("wrong realm", func(t *testing.T) {
		target := h.target(remote.WinRMSettings{})
		target.User, target.Password = remotetest.WSManUser+"@OTHER.TEST", remotetest.WSManPassword
		checkKrbError(t, dialError(t, target), "OTHER.TEST", "realm")
	})
	t.Run("wrong password", func(t *testing.T) {
		target := h.target(remote.WinRMSettings{})
		target.User, target.Password = remotetest.WSManUser, "not-"+remotetest.WSManPassword
		checkKrbError(t, dialError(t, target), "password/keytab incorrect", "password")
	})
	t.Run("cache of another user", func(t *testing.T) {
		target := h.target(remote.WinRMSettings{})
		target.User = "someone@" + krbRealm
		checkKrbError(t, dialError(t, target), "holds tickets of "+remotetest.WSManUser+"@"+krbRealm, "kinit someone@")
	})
	t.Run("delegation", func(t *testing.T) {
		re := dialError(t, h.target(remote.WinRMSettings{KerberosDelegation: true}))
		if re.Class != remote.ClassConfig || !strings.Contains(re.Error(), "delegation is not supported") {
			t.Errorf("delegation: %v (class %v), want a configuration error saying it is not supported", re, re.Class)
		}
	})
}

func TestKerberosClockSkew(t *testing.T) {
	h := startKrbHost(t, remotetest.WSManOptions{Kerberos: &remotetest.WSManKerberos{ClockOffset: time.Hour}})
	checkKrbError(t, dialError(t, h.target(remote.WinRMSettings{})), "KRB_AP_ERR_SKEW", "synchronize")
}

func TestKerberosExpiredTicket(t *testing.T) {
	h := startKrbHost(t, remotetest.WSManOptions{})
	cc := h.kdc.Kinit(t, remotetest.WSManUser, remotetest.WSManPassword, "2s")
	t.Setenv("KRB5CCNAME", "FILE:"+cc)
	time.Sleep(3 * time.Second) // the ticket's lifetime passes
	checkKrbError(t, dialError(t, h.target(remote.WinRMSettings{})), "expired", "kinit "+remotetest.WSManUser)
}

func TestKerberosDoctor(t *testing.T) {
	h := startKrbHost(t, remotetest.WSManOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	run := func(target remote.Target) map[string]doctor.Finding {
		steps, done := DoctorSteps{Dialer: func() *Dialer { return newTestDialer(Options{}) }}.Steps(target)
		defer done()
		got := map[string]doctor.Finding{}
	next:
		for _, s := range steps {
			for _, n := range s.Needs {
				if st := got[n].Status; st == doctor.Fail || st == doctor.Skip {
					got[s.Name] = doctor.Finding{Status: doctor.Skip}
					continue next
				}
			}
			got[s.Name] = s.Run(ctx)
		}
		return got
	}
	got := run(h.target(remote.WinRMSettings{}))
	for _, name := range []string{"kerberos-credentials", "kerberos-kdc", "kerberos-ticket", "auth-schemes", "encryption", "login", "command"} {
		if f := got[name]; f.Status != doctor.OK {
			t.Errorf("%s: %+v, want ok", name, f)
		}
	}
	// The test realm's host names are not in DNS: the SPN's is reported.
	if f := got["kerberos-spn"]; f.Status != doctor.Warn || !strings.Contains(f.Summary, krbSPNHost+" does not resolve") {
		t.Errorf("kerberos-spn: %+v, want a warning that %s does not resolve", f, krbSPNHost)
	}
	for name, want := range map[string]string{
		"kerberos-credentials": "credential cache " + h.ccache + " of " + remotetest.WSManUser + "@" + krbRealm,
		"kerberos-kdc":         "reachable: 127.0.0.1:",
		"kerberos-spn":         "HTTP/" + krbSPNHost + "@" + krbRealm,
		"kerberos-ticket":      "aes256-cts-hmac-sha1-96",
		"auth-schemes":         "Kerberos",
		"encryption":           "Kerberos message encryption",
	} {
		if !strings.Contains(got[name].Summary, want) {
			t.Errorf("%s: %q, want %q in it", name, got[name].Summary, want)
		}
	}

	t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(t.TempDir(), "absent"))
	got = run(h.target(remote.WinRMSettings{}))
	if f := got["kerberos-credentials"]; f.Status != doctor.Fail || !strings.Contains(f.Fix, "kinit") {
		t.Errorf("no credential cache: %+v, want a failure whose fix says kinit", f)
	}

	// negotiate without Kerberos credentials: a warning, then NTLM logs in.
	target := h.target(remote.WinRMSettings{Auth: authNegotiate})
	target.User, target.Password, target.WinRM.KinitMode = remotetest.WSManUser, remotetest.WSManPassword, "manual"
	got = run(target)
	if f := got["kerberos-credentials"]; f.Status != doctor.Warn || !strings.Contains(f.Summary, "negotiate will use NTLM") {
		t.Errorf("negotiate falling back: %+v", f)
	}
	if f := got["login"]; f.Status != doctor.OK {
		t.Errorf("negotiate falling back to NTLM: login %+v", f)
	}
}

func TestKerberosClientKeytab(t *testing.T) {
	// MIT's GSS-API (so pywinrm) logs in with KRB5_CLIENT_KTNAME when
	// there is no credential cache: so does remotectl, for Ansible
	// inventories, which have no keytab variable.
	h := startKrbHost(t, remotetest.WSManOptions{HTTPS: true})
	t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(t.TempDir(), "absent"))
	t.Setenv("KRB5_CLIENT_KTNAME", "FILE:"+h.kdc.UserKeytab(t, remotetest.WSManUser))
	exerciseKerberos(t, h, h.target(remote.WinRMSettings{}), false)
}

func TestKerberosServiceHostCanonical(t *testing.T) {
	canonical := func(h string) (string, error) {
		if h == "win1" {
			return "win1.corp.example.", nil
		}
		return h + ".", nil
	}
	reverse := func(h string) (string, error) {
		switch h {
		case "127.0.0.1":
			return "localhost", nil
		case "win1":
			return "WIN1-REAL.corp.example.", nil
		}
		return "", errors.New("no PTR record")
	}
	for _, c := range []struct{ conf, host, want string }{
		{"", "127.0.0.1", "localhost"},         // MIT's defaults: canonicalize, rdns
		{"", "win1", "win1-real.corp.example"}, // the reverse name wins
		{"rdns = false", "win1", "win1.corp.example"},
		{"rdns = false", "127.0.0.1", "127.0.0.1"},
		{"dns_canonicalize_hostname = false", "win1", "win1"},
		{"dns_canonicalize_hostname = fallback", "Win1", "Win1"},
		{"", "other", "other"}, // no PTR: the canonical name
	} {
		conf, err := loadKrb5FromText(t, "[libdefaults]\n\tdefault_realm = X.TEST\n\t"+c.conf+"\n")
		if err != nil {
			t.Fatalf("%q: %v", c.conf, err)
		}
		if got := canonicalHost(conf, c.host, canonical, reverse); got != c.want {
			t.Errorf("%q, host %s: %s, want %s (as MIT's GSS-API names the service)", c.conf, c.host, got, c.want)
		}
	}
}

// loadKrb5FromText parses a krb5.conf through a file, as loadKrb5File reads one.
func loadKrb5FromText(t *testing.T, text string) (*config.Config, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return loadKrb5File(p)
}

func TestKerberosEncryptedOverHTTPS(t *testing.T) {
	// winrm_message_encryption: always encrypts with Kerberos inside TLS
	// too, as pywinrm's message_encryption='always'.
	h := startKrbHost(t, remotetest.WSManOptions{HTTPS: true})
	exerciseKerberos(t, h, h.target(remote.WinRMSettings{MessageEncryption: encryptAlways}), true)
}

func TestKerberosKinitModeManual(t *testing.T) {
	// With a password, Ansible's managed kinit mode (the default) logs in
	// with it; the manual mode keeps to the credential cache.
	h := startKrbHost(t, remotetest.WSManOptions{HTTPS: true})
	target := h.target(remote.WinRMSettings{})
	target.User, target.Password = remotetest.WSManUser, "not-the-password"
	checkKrbError(t, dialError(t, target), "password/keytab incorrect", "password")
	target.WinRM.KinitMode = "manual"
	exerciseKerberos(t, h, target, false)
}

func TestKerberosReauthenticatesReplacedConnection(t *testing.T) {
	// A 401 to a message on an authenticated connection (the server
	// dropped the connection's context) is answered with a new AP-REQ and
	// the message sent again, encrypted over HTTP and in clear over HTTPS.
	for _, https := range []bool{false, true} {
		// The injected 401 answers the Command, the first request after
		// Dial: the third over HTTP (after the handshake and the Create),
		// the second over HTTPS (the Create carries the AP-REQ).
		n := 3
		if https {
			n = 2
		}
		h := startKrbHost(t, remotetest.WSManOptions{HTTPS: https, Faults: remotetest.WSManFaults{UnauthorizedOnRequest: n}})
		exerciseKerberos(t, h, h.target(remote.WinRMSettings{}), !https)
		// A request on a connection the client opened beside the first
		// (a Send while a Receive waits) is refused once for want of an
		// Authorization header, then authenticated: only the injected
		// refusal is of an authenticated connection.
		injected := 0
		for _, r := range h.srv.Requests() {
			switch {
			case r.Status != 401:
			case strings.HasPrefix(r.AuthError, "injected fault"):
				injected++
			case r.AuthError != "no Authorization header":
				t.Errorf("https %v: request %d refused: %s", https, r.Seq, r.AuthError)
			}
		}
		if injected != 1 {
			t.Errorf("https %v: the injected refusal seen %d times: %+v", https, injected, h.srv.Requests())
		}
	}
}

func TestKerberosAcceptorSubkey(t *testing.T) {
	// Windows answers with its own subkey in the AP-REP: messages are then
	// protected with it.
	h := startKrbHost(t, remotetest.WSManOptions{Kerberos: &remotetest.WSManKerberos{AcceptorSubkey: true}})
	exerciseKerberos(t, h, h.target(remote.WinRMSettings{}), true)
}

// dropIdleChannels closes the transport's idle connections, as a server
// closing idle keep-alive connections does: the next request opens and
// authenticates a new one.
func dropIdleChannels(tr *Transport) {
	tr.http.mu.Lock()
	idle := tr.http.idle
	tr.http.idle = nil
	tr.http.mu.Unlock()
	for _, ch := range idle {
		ch.close()
	}
}

func TestKerberosTicketObtainedAgain(t *testing.T) {
	// A transport held for long (the agent) authenticates new connections
	// with the service ticket it has while it is younger than ticketMaxAge,
	// then obtains one again: from the credential cache as it is then.
	h := startKrbHost(t, remotetest.WSManOptions{})
	ctx := testContext(t)
	d, err := newTestDialer(Options{}).Dial(ctx, h.target(remote.WinRMSettings{}))
	if err != nil {
		t.Fatal(err)
	}
	tr := d.(*Transport)
	defer tr.Close()
	run := func() error {
		_, err := tr.Run(ctx, &remote.Cmd{Shell: "true"})
		return err
	}
	if err := os.Remove(h.ccache); err != nil { // kdestroy
		t.Fatal(err)
	}
	dropIdleChannels(tr)
	if err := run(); err != nil {
		t.Fatalf("a new connection with the ticket held: %v", err)
	}
	tr.http.krb.mu.Lock()
	tr.http.krb.obtained = time.Now().Add(-ticketMaxAge - time.Minute)
	tr.http.krb.mu.Unlock()
	dropIdleChannels(tr)
	if err := run(); err == nil || !strings.Contains(err.Error(), "credential cache") {
		t.Fatalf("a new connection once the ticket is old, the cache destroyed: %v, want the cache's error", err)
	}
}
