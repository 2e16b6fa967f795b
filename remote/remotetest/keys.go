package remotetest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// NewTestKey generates an unencrypted ed25519 client key. The private key is
// written in OpenSSH format to a 0600 file in t.TempDir() (with the public key
// beside it as FILE.pub); the signer and the private key path are returned.
func NewTestKey(t testing.TB) (ssh.Signer, string) {
	t.Helper()
	return newTestKeyFile(t, nil)
}

// NewEncryptedTestKey is NewTestKey with the private key file encrypted by
// passphrase (OpenSSH bcrypt-pbkdf + aes256-ctr, as ssh-keygen -N writes).
// The returned signer is already decrypted.
func NewEncryptedTestKey(t testing.TB, passphrase string) (ssh.Signer, string) {
	t.Helper()
	if passphrase == "" {
		t.Fatal("remotetest: NewEncryptedTestKey needs a non-empty passphrase; use NewTestKey for an unencrypted key")
	}
	return newTestKeyFile(t, []byte(passphrase))
}

func newTestKeyFile(t testing.TB, passphrase []byte) (ssh.Signer, string) {
	t.Helper()
	priv, err := newEd25519Key()
	if err != nil {
		t.Fatalf("remotetest: generating ed25519 key: %v", err)
	}
	path := filepath.Join(t.TempDir(), "id_ed25519")
	signer, err := writeKeyPair(path, priv, "remotetest", passphrase)
	if err != nil {
		t.Fatalf("remotetest: %v", err)
	}
	return signer, path
}

// NewTestCert signs key's public key with ca as an OpenSSH user certificate
// valid forever for principals (the login names it may be used for), writes it
// next to keyFile as keyFile+"-cert.pub" (where OpenSSH looks for it) and
// returns a signer that presents the certificate, and the certificate's path.
// keyFile may be "" when no file is wanted; the path returned is then "".
func NewTestCert(t testing.TB, ca, key ssh.Signer, keyFile string, principals ...string) (ssh.Signer, string) {
	t.Helper()
	if len(principals) == 0 {
		t.Fatal("remotetest: NewTestCert needs at least one principal (the user name the certificate logs in as)")
	}
	cert := &ssh.Certificate{
		Key:             key.PublicKey(),
		Serial:          randomSerial(),
		CertType:        ssh.UserCert,
		KeyId:           "remotetest",
		ValidPrincipals: principals,
		ValidAfter:      0,
		ValidBefore:     ssh.CertTimeInfinity,
		Permissions: ssh.Permissions{Extensions: map[string]string{
			"permit-agent-forwarding": "",
			"permit-port-forwarding":  "",
			"permit-pty":              "",
			"permit-user-rc":          "",
		}},
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatalf("remotetest: signing user certificate: %v", err)
	}
	signer, err := ssh.NewCertSigner(cert, key)
	if err != nil {
		t.Fatalf("remotetest: certificate signer: %v", err)
	}
	if keyFile == "" {
		return signer, ""
	}
	path := keyFile + "-cert.pub"
	if err := os.WriteFile(path, ssh.MarshalAuthorizedKey(cert), 0o644); err != nil {
		t.Fatalf("remotetest: writing certificate: %v", err)
	}
	return signer, path
}

// KnownHostsLine returns the known_hosts line that trusts key for hostport
// ("127.0.0.1:2222" becomes "[127.0.0.1]:2222 ssh-ed25519 AAAA...").
func KnownHostsLine(hostport string, key ssh.PublicKey) string {
	return knownhosts.Line([]string{knownhosts.Normalize(hostport)}, key)
}

// WriteKnownHosts writes lines (see KnownHostsLine) to a new known_hosts file
// in t.TempDir() and returns its path.
func WriteKnownHosts(t testing.TB, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, []byte(joinLines(lines)), 0o644); err != nil {
		t.Fatalf("remotetest: writing known_hosts: %v", err)
	}
	return path
}

// writeKeyPair writes key to path in OpenSSH format (encrypted when
// passphrase is set) with mode 0600, its public half to path+".pub", and
// returns a signer for it.
func writeKeyPair(path string, key crypto.PrivateKey, comment string, passphrase []byte) (ssh.Signer, error) {
	var (
		block *pem.Block
		err   error
	)
	if passphrase != nil {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(key, comment, passphrase)
	} else {
		block, err = ssh.MarshalPrivateKey(key, comment)
	}
	if err != nil {
		return nil, fmt.Errorf("encoding private key %s: %w", path, err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("writing private key: %w", err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return nil, fmt.Errorf("signer for %s: %w", path, err)
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644); err != nil {
		return nil, fmt.Errorf("writing public key: %w", err)
	}
	return signer, nil
}

// hostKeyKind is one host key type an sshd is given.
type hostKeyKind struct {
	file     string
	generate func() (crypto.PrivateKey, error)
}

// hostKeyKinds are the host key types written for sshd: one of each family so
// clients preferring any of them find a match.
var hostKeyKinds = []hostKeyKind{
	{"ssh_host_ed25519_key", func() (crypto.PrivateKey, error) { return newEd25519Key() }},
	{"ssh_host_ecdsa_key", func() (crypto.PrivateKey, error) {
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}},
	{"ssh_host_rsa_key", func() (crypto.PrivateKey, error) {
		return rsa.GenerateKey(rand.Reader, 2048)
	}},
}

// writeHostKeys generates one host key of every kind into dir and returns the
// file paths and public keys.
func writeHostKeys(dir string) (paths []string, pubs []ssh.PublicKey, err error) {
	for _, kind := range hostKeyKinds {
		key, err := kind.generate()
		if err != nil {
			return nil, nil, fmt.Errorf("generating %s: %w", kind.file, err)
		}
		path := filepath.Join(dir, kind.file)
		signer, err := writeKeyPair(path, key, "remotetest-host", nil)
		if err != nil {
			return nil, nil, err
		}
		paths = append(paths, path)
		pubs = append(pubs, signer.PublicKey())
	}
	return paths, pubs, nil
}

func newEd25519Key() (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return priv, err
}

func randomSerial() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return binary.BigEndian.Uint64(b[:])
}

// joinLines joins lines with '\n' and ends the result with one.
func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}
