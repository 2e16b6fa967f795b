package winrm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/remotectl/remotectl/internal/gsskrb"
	"github.com/remotectl/remotectl/remote"
)

// Kerberos authentication (winrm_auth kerberos, or negotiate choosing it),
// with github.com/jcmturner/gokrb5/v8 for the KDC exchanges and
// internal/gsskrb for the GSS-API context: the user's tickets come from a
// keytab (winrm_keytab), else a password (password_env, the inventory,
// --ask-pass: an in-memory kinit, as Ansible's managed kinit), else the
// credential cache (KRB5CCNAME, else /tmp/krb5cc_UID; kinit done outside).
// The configuration is KRB5_CONFIG, else /etc/krb5.conf. The service
// principal is HTTP/host, host being winrm_kerberos_hostname
// (ansible_winrm_kerberos_hostname_override) or the address connected to,
// in the realm krb5.conf's domain_realm maps it to.

// krbSource says where the user's Kerberos credentials come from.
type krbSource int

const (
	krbFromCCache krbSource = iota
	krbFromKeytab
	krbFromPassword
)

// krbSettings is the Kerberos part of a hostConfig, resolved before
// connecting.
type krbSettings struct {
	conf       *config.Config
	confPath   string
	source     krbSource
	ccachePath string
	keytab     *keytab.Keytab
	keytabPath string
	principal  string // user@REALM ("" with a cache: its own)
	realm      string
	spn        string // HTTP/host
	spnRealm   string
	getenv     func(string) string
}

// resolveKerberos loads the Kerberos configuration and finds the user's
// credentials. With negotiate, a failure here is not final: NTLM is used
// when a password is known (see hostConfig.resolveAuth).
func (c *hostConfig) resolveKerberos(w remote.WinRMSettings, password string) (*krbSettings, error) {
	if w.KerberosDelegation {
		return nil, configError("drop winrm_kerberos_delegation (ansible_winrm_kerberos_delegation); for a second hop, "+
			"pass explicit credentials to the command (become_method: runas)",
			"Kerberos delegation is not supported: the Kerberos library (gokrb5) cannot forward tickets (no KRB-CRED)")
	}
	k := &krbSettings{getenv: c.getenv}
	var err error
	if k.conf, k.confPath, err = loadKrb5Conf(c.getenv); err != nil {
		return nil, err
	}
	host := w.KerberosHostname
	if host == "" {
		host = c.host
	}
	host = canonicalHost(k.conf, host, lookupCanonical, lookupAddr)
	k.spn = "HTTP/" + host
	k.spnRealm = k.conf.ResolveRealm(host)
	name, realm := splitPrincipal(c.user)
	if realm == "" {
		realm = k.conf.LibDefaults.DefaultRealm
	}
	switch {
	case w.Keytab != "":
		return k, k.useKeytab(w.Keytab, name, realm)
	case password != "":
		if name == "" {
			return nil, krbConfigError("set the host's user as user@REALM (ansible_user)", "no user to log in to Kerberos with the password")
		}
		k.source, k.principal, k.realm = krbFromPassword, name, realm
		return k, nil
	}
	return k, k.useCCacheOrClientKeytab(name, realm)
}

// useCCacheOrClientKeytab uses the credential cache; when it cannot (none,
// expired, no TGT), the client keytab, as MIT's GSS-API does for pywinrm:
// KRB5_CLIENT_KTNAME, else /var/lib/krb5/user/EUID/client.keytab, when
// the file exists.
func (k *krbSettings) useCCacheOrClientKeytab(name, realm string) error {
	err := k.useCCache(name, realm)
	if err == nil {
		return nil
	}
	path := clientKeytabPath(k.getenv)
	if _, serr := os.Stat(path); serr != nil {
		return err
	}
	if name == "" {
		kt, lerr := keytab.Load(path)
		if lerr != nil || len(kt.Entries) == 0 {
			return err
		}
		p := kt.Entries[0].Principal
		name, realm = strings.Join(p.Components, "/"), p.Realm
	}
	return k.useKeytab(path, name, realm)
}

// clientKeytabPath is MIT's client keytab: KRB5_CLIENT_KTNAME (a FILE:
// one), else its default.
func clientKeytabPath(getenv func(string) string) string {
	if v := getenv("KRB5_CLIENT_KTNAME"); v != "" {
		return strings.TrimPrefix(v, "FILE:")
	}
	return filepath.Join("/var/lib/krb5/user", strconv.Itoa(os.Geteuid()), "client.keytab")
}

// krbConfigError is a Kerberos setting that cannot work.
func krbConfigError(hint, format string, args ...any) error {
	return &remote.Error{Class: remote.ClassAuth, Op: opAuth, Err: fmt.Errorf(format, args...), Hint: hint}
}

func (k *krbSettings) useKeytab(path, name, realm string) error {
	if name == "" {
		return krbConfigError("set the host's user (ansible_user) to the keytab's principal, user@REALM",
			"winrm_keytab %s needs the principal to log in as", path)
	}
	kt, err := keytab.Load(path)
	if err != nil {
		return krbConfigError("check winrm_keytab: a keytab made with ktutil or kadmin ktadd, readable by this user",
			"keytab %s: %v", path, err)
	}
	k.source, k.keytab, k.keytabPath, k.principal, k.realm = krbFromKeytab, kt, path, name, realm
	return nil
}

// useCCache checks that the credential cache exists, holds a ticket-granting
// ticket of the expected user, and that it has not expired.
func (k *krbSettings) useCCache(name, realm string) error {
	path, err := ccachePath(k.getenv)
	if err != nil {
		return err
	}
	k.source, k.ccachePath = krbFromCCache, path
	cc, err := credentials.LoadCCache(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return krbConfigError("log in first: kinit user@REALM (klist shows the cache), or set winrm_keytab, or a password (password_env)",
				"no Kerberos credential cache at %s", path)
		}
		return krbConfigError("run kdestroy then kinit, or point KRB5CCNAME at a FILE: cache", "credential cache %s: %v", path, err)
	}
	owner := principalString(cc.DefaultPrincipal.PrincipalName, cc.DefaultPrincipal.Realm)
	if name != "" && !strings.EqualFold(owner, name+"@"+realm) {
		return krbConfigError("kinit "+name+"@"+realm+" (with KRB5CCNAME set to a cache of its own), or change the host's user",
			"the credential cache %s holds tickets of %s, not of %s@%s", path, owner, name, realm)
	}
	k.principal, k.realm = cc.DefaultPrincipal.PrincipalName.PrincipalNameString(), cc.DefaultPrincipal.Realm
	tgt, ok := cc.GetEntry(types.PrincipalName{NameType: 2, NameString: []string{"krbtgt", k.realm}})
	if !ok {
		return krbConfigError("kinit "+owner+" (klist shows what the cache holds)",
			"the credential cache %s holds no ticket-granting ticket of %s", path, owner)
	}
	if !tgt.EndTime.After(time.Now()) {
		return krbConfigError("renew the ticket: kinit "+owner+" (klist shows the cache)",
			"the Kerberos ticket of %s in %s expired at %s", owner, path, tgt.EndTime.Local().Format(time.DateTime))
	}
	return nil
}

// loadKrb5Conf reads KRB5_CONFIG (the first of its files that exists),
// else /etc/krb5.conf.
func loadKrb5Conf(getenv func(string) string) (*config.Config, string, error) {
	paths := []string{"/etc/krb5.conf"}
	if v := getenv("KRB5_CONFIG"); v != "" {
		paths = filepath.SplitList(v)
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		cfg, err := loadKrb5File(p)
		var unsupported config.UnsupportedDirective
		if err != nil && !(errors.As(err, &unsupported) && cfg != nil) {
			return nil, p, krbConfigError("fix the Kerberos configuration "+p, "Kerberos configuration %s: %v", p, err)
		}
		return cfg, p, nil
	}
	return nil, "", krbConfigError("install and configure Kerberos (/etc/krb5.conf with default_realm and the realm's KDCs), or set KRB5_CONFIG",
		"no Kerberos configuration: %s not found", strings.Join(paths, ", "))
}

// ccachePath returns the credential cache file: KRB5CCNAME (FILE: caches
// only), else MIT's default /tmp/krb5cc_UID.
func ccachePath(getenv func(string) string) (string, error) {
	v := getenv("KRB5CCNAME")
	if v == "" {
		return filepath.Join(os.TempDir(), "krb5cc_"+strconv.Itoa(os.Getuid())), nil
	}
	kind, rest, ok := strings.Cut(v, ":")
	if !ok || strings.Contains(kind, "/") {
		return v, nil
	}
	if strings.EqualFold(kind, "FILE") {
		return rest, nil
	}
	return "", krbConfigError("use a file cache: export KRB5CCNAME=FILE:/tmp/krb5cc_$(id -u), then kinit",
		"credential cache type %s: is not supported (only FILE: caches can be read)", kind)
}

// splitPrincipal splits user@REALM; DOMAIN\user is not a Kerberos name.
func splitPrincipal(user string) (name, realm string) {
	if i := strings.LastIndex(user, "@"); i >= 0 {
		return user[:i], user[i+1:]
	}
	return user, ""
}

func principalString(p types.PrincipalName, realm string) string {
	return p.PrincipalNameString() + "@" + realm
}

// krbAuth makes AP-REQs for one host: it logs in and gets the service
// ticket, then each connection gets its own authenticator. A transport
// held for long (the agent, --persist) authenticates new connections
// again: the ticket is then obtained afresh once older than ticketMaxAge,
// so that it neither expires under a held connection nor outlives what
// the credential cache now holds.
type krbAuth struct {
	s        *krbSettings
	password string

	mu       sync.Mutex
	done     bool
	obtained time.Time
	crealm   string
	cname    types.PrincipalName
	tkt      messages.Ticket
	key      types.EncryptionKey
	err      error // the failure, returned again
}

// ticketMaxAge is how long a service ticket is used for new connections
// before it is obtained again.
const ticketMaxAge = 5 * time.Minute

// ticket logs in (keytab or password) or reads the cache, and gets the
// service ticket: once, and again when the one held is older than
// ticketMaxAge.
func (k *krbAuth) ticket() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.done || (k.err == nil && time.Since(k.obtained) > ticketMaxAge) {
		k.done, k.obtained = true, time.Now()
		k.err = k.obtain()
	}
	return k.err
}

func (k *krbAuth) obtain() error {
	s := k.s
	opt := client.DisablePAFXFAST(true)
	var cl *client.Client
	switch s.source {
	case krbFromKeytab:
		cl = client.NewWithKeytab(s.principal, s.realm, s.keytab, s.conf, opt)
	case krbFromPassword:
		cl = client.NewWithPassword(s.principal, s.realm, k.password, s.conf, opt)
	default:
		cc, err := credentials.LoadCCache(s.ccachePath)
		if err != nil {
			return &krbError{op: "reading the credential cache " + s.ccachePath, err: err, s: s}
		}
		if cl, err = client.NewFromCCache(cc, s.conf, opt); err != nil {
			return &krbError{op: "reading the credential cache " + s.ccachePath, err: err, s: s}
		}
	}
	// The client is only needed for the service ticket: Destroy ends the
	// session renewal goroutine a password or keytab login starts.
	defer cl.Destroy()
	if s.source != krbFromCCache {
		if err := cl.Login(); err != nil {
			return &krbError{op: "logging in to Kerberos as " + s.principal + "@" + s.realm, err: err, s: s}
		}
	}
	tkt, key, err := cl.GetServiceTicket(s.spn)
	if err != nil {
		return &krbError{op: "getting a ticket for " + s.spn, err: err, s: s}
	}
	k.crealm, k.cname, k.tkt, k.key = cl.Credentials.Realm(), cl.Credentials.CName(), tkt, key
	return nil
}

// initiate makes a new AP-REQ asking for mutual authentication, integrity
// and confidentiality, as pywinrm does.
func (k *krbAuth) initiate() (*gsskrb.Initiation, error) {
	if err := k.ticket(); err != nil {
		return nil, err
	}
	k.mu.Lock()
	tkt, key, crealm, cname := k.tkt, k.key, k.crealm, k.cname
	k.mu.Unlock()
	return gsskrb.Initiate(tkt, key, crealm, cname,
		gsskrb.FlagMutual|gsskrb.FlagInteg|gsskrb.FlagConf|gsskrb.FlagSequence)
}

// krbError is a Kerberos failure: from the library (KDC exchanges) or a
// KRB-ERROR the server sent. classify gives it a hint.
type krbError struct {
	op  string
	err error
	s   *krbSettings
}

func (e *krbError) Error() string { return e.op + ": " + e.err.Error() }
func (e *krbError) Unwrap() error { return e.err }

// newKrbAuth returns the AP-REQ maker of a host using Kerberos, nil for
// other methods.
func newKrbAuth(cfg *hostConfig) *krbAuth {
	if cfg.krb == nil {
		return nil
	}
	return &krbAuth{s: cfg.krb, password: cfg.password}
}

// prepareKerberos gets the service ticket before the first request, so
// that negotiate can still fall back to NTLM (with a known user and
// password) when Kerberos is not possible, as pyspnego does.
func (h *transporter) prepareKerberos(cfg *hostConfig) error {
	if h.krb == nil {
		return nil
	}
	err := h.krb.ticket()
	if err == nil || cfg.auth != authNegotiate || cfg.password == "" || cfg.user == "" {
		return err
	}
	h.krb, h.auth, cfg.krbSkipped = nil, authNTLM, err
	return nil
}

// loadKrb5File parses a krb5.conf. MIT's dns_canonicalize_hostname =
// fallback (try the name as given first), which gokrb5 does not parse, is
// read as false: the name is used as given.
func loadKrb5File(path string) (*config.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		key, v, ok := strings.Cut(l, "=")
		if ok && strings.TrimSpace(key) == "dns_canonicalize_hostname" && strings.EqualFold(strings.TrimSpace(v), "fallback") {
			lines[i] = key + "= false"
		}
	}
	return config.NewFromString(strings.Join(lines, "\n"))
}

// canonicalHost is the host name of the service principal as MIT's
// GSS-API (so pywinrm) derives it from a host-based name: with
// dns_canonicalize_hostname (the default) the name's canonical DNS name, and
// with rdns (the default) the name the address maps back to (127.0.0.1 is
// "localhost"), in lower case; the name as given when lookups fail or
// krb5.conf turns them off.
func canonicalHost(conf *config.Config, host string, canonical func(string) (string, error), reverse func(string) (string, error)) string {
	if !conf.LibDefaults.DNSCanonicalizeHostname {
		return host
	}
	name := host
	if net.ParseIP(host) == nil {
		if c, err := canonical(host); err == nil && c != "" {
			name = c
		}
	}
	if conf.LibDefaults.RDNS {
		if r, err := reverse(host); err == nil && r != "" {
			name = r
		}
	}
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

// lookupCanonical returns the canonical DNS name of host.
func lookupCanonical(host string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dnsTimeout)
	defer cancel()
	return net.DefaultResolver.LookupCNAME(ctx, host)
}

// lookupAddr returns the name the first address of host maps back to.
func lookupAddr(host string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dnsTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil || len(addrs) == 0 {
		return "", err
	}
	names, err := net.DefaultResolver.LookupAddr(ctx, addrs[0])
	if err != nil || len(names) == 0 {
		return "", err
	}
	return names[0], nil
}

// dnsTimeout bounds each lookup of the service principal's host name.
const dnsTimeout = 5 * time.Second
