package winrm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// identity is what decides a connection once a target's settings are
// resolved: the endpoint, the transport and its TLS settings (the
// certificates' contents, not their file names), the authentication and
// the credentials it would use.
type identity struct {
	Name, Host                  string
	Port                        int
	HTTPS, Insecure, Seal       bool
	Auth, User, Password, Shell string
	CA, Cert, Key               []byte
	Become                      bool
	ConnectTimeout, OpTimeout   time.Duration
	Kerberos                    *krbIdentity
}

// krbIdentity is the Kerberos part of an identity: where the credentials
// come from and whose they are.
type krbIdentity struct {
	Source                                 krbSource
	Conf, CCache, Keytab, Principal, Realm string
	SPN                                    string
}

// Identity returns the identity of the connection Dial would open to t: a
// SHA-256 digest of every resolved setting that decides it (secrets and
// certificates included, hashed: the digest reveals none of them). Two
// targets with the same identity may share a connection held for reuse
// (the agent, --persist); any difference in endpoint, transport, TLS
// settings, authentication or credentials gives another. It reads the
// settings as Dial does (the files they name, the credential cache) and
// fails, before any host is contacted, where Dial would; it warns about
// unverified TLS certificates as Dial does.
func (d *Dialer) Identity(t remote.Target) (string, error) {
	cfg, err := d.resolve(t)
	if err != nil {
		return "", err
	}
	d.warnIfInsecure(cfg)
	id := identity{Name: cfg.name, Host: cfg.host, Port: cfg.port, HTTPS: cfg.https, Insecure: cfg.insecure,
		Seal: cfg.seal, Auth: cfg.auth, User: cfg.user, Password: cfg.password, Shell: cfg.shell,
		CA: cfg.caPEM, Cert: cfg.certPEM, Key: cfg.keyPEM, Become: t.Become,
		ConnectTimeout: cfg.connectTimeout, OpTimeout: cfg.operationTimeout}
	if k := cfg.krb; k != nil {
		id.Kerberos = &krbIdentity{Source: k.source, Conf: k.confPath, CCache: k.ccachePath, Keytab: k.keytabPath,
			Principal: k.principal, Realm: k.realm, SPN: k.spn}
	}
	b, err := json.Marshal(id)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
