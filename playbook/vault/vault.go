// Package vault decrypts Ansible Vault content in memory: whole files and
// the inline values YAML tags !vault, formats 1.1 and 1.2 with the AES256
// cipher, the only one ansible-core writes or reads.
//
// A payload is an envelope: the header line
// "$ANSIBLE_VAULT;1.1;AES256" (1.2 adds ";label", the vault ID) and the
// hex-encoded vaulttext in lines of 80. The vaulttext holds, each again
// hex-encoded and separated by newlines, a 32-byte salt, the HMAC-SHA256
// of the ciphertext and the ciphertext. PBKDF2-SHA256 (10000 iterations)
// derives from the password and the salt 80 bytes: the AES-256 key, the
// HMAC key and the CTR mode's initial counter. The HMAC is verified, in
// constant time, before anything is decrypted; the plaintext is PKCS#7
// padded.
//
// The passwords (Secret) come from the sources of secrets.go: password
// files, password scripts and prompts, as ansible-playbook reads them.
package vault

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Header starts every vault payload.
const Header = "$ANSIBLE_VAULT"

// DefaultID is the vault ID of a password given without a label and of a
// 1.1 payload (Ansible's DEFAULT_VAULT_IDENTITY).
const DefaultID = "default"

// The key derivation's parameters, fixed by the format.
const (
	iterations = 10000
	keyLen     = 32
	ivLen      = aes.BlockSize
)

// Secret is one vault password and the vault ID (label) it was given for.
type Secret struct {
	ID       string
	Password []byte
}

// ErrNoSecret is the error of Decrypt when no secret decrypts the payload
// (the message is Ansible's).
var ErrNoSecret = errors.New("Decryption failed (no vault secrets were found that could decrypt)")

// IsEncrypted reports whether data is a vault payload: it starts with the
// vault header (after leading blank space, as in a YAML block scalar).
func IsEncrypted(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(Header+";"))
}

// Envelope is a parsed vault payload.
type Envelope struct {
	Version string // 1.1 or 1.2
	Cipher  string // AES256
	ID      string // the vault ID of a 1.2 payload, else DefaultID
	salt    []byte
	mac     []byte
	text    []byte // the ciphertext
}

// Parse reads a vault payload's envelope and vaulttext. Errors name what
// is malformed; they never contain key material.
func Parse(data []byte) (*Envelope, error) {
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	header := strings.Split(strings.TrimSpace(lines[0]), ";")
	if header[0] != Header || len(header) < 3 {
		return nil, errors.New("not Ansible Vault content: the first line must be $ANSIBLE_VAULT;VERSION;CIPHER")
	}
	env := &Envelope{Version: strings.TrimSpace(header[1]), Cipher: strings.TrimSpace(header[2]), ID: DefaultID}
	if len(header) >= 4 {
		env.ID = strings.TrimSpace(header[3])
	}
	switch env.Version {
	case "1.1", "1.2":
	default:
		return nil, fmt.Errorf("vault format version %q is not supported (1.1 and 1.2 are)", env.Version)
	}
	if env.Cipher != "AES256" {
		return nil, fmt.Errorf("%s cipher could not be found (AES256 is the vault cipher)", env.Cipher)
	}
	var body strings.Builder
	for _, l := range lines[1:] {
		body.WriteString(strings.TrimSpace(l))
	}
	if err := env.parseBody(body.String()); err != nil {
		return nil, fmt.Errorf("vault format error: %w", err)
	}
	return env, nil
}

// parseBody decodes the hex vaulttext: salt, HMAC and ciphertext.
func (e *Envelope) parseBody(body string) error {
	inner, err := hex.DecodeString(body)
	if err != nil {
		return fmt.Errorf("the vaulttext is not hexadecimal: %w", err)
	}
	parts := strings.SplitN(string(inner), "\n", 3)
	if len(parts) != 3 {
		return errors.New("the vaulttext must hold a salt, an HMAC and the ciphertext")
	}
	fields := []*[]byte{&e.salt, &e.mac, &e.text}
	for i, p := range parts {
		if *fields[i], err = hex.DecodeString(p); err != nil {
			return fmt.Errorf("the vaulttext's %s is not hexadecimal: %w", []string{"salt", "HMAC", "ciphertext"}[i], err)
		}
	}
	if len(e.text) == 0 || len(e.text)%aes.BlockSize != 0 {
		return fmt.Errorf("the ciphertext is %d bytes, not a positive multiple of %d", len(e.text), aes.BlockSize)
	}
	return nil
}

// Decrypt decrypts a vault payload with the first of secrets that
// verifies: those whose ID is the payload's vault ID first, then the others
// in order, as Ansible does. ErrNoSecret when none does.
func Decrypt(data []byte, secrets []Secret) ([]byte, error) {
	env, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return env.Decrypt(secrets)
}

// Decrypt decrypts the envelope's ciphertext with the first of secrets
// that verifies (see the function Decrypt).
func (e *Envelope) Decrypt(secrets []Secret) ([]byte, error) {
	if len(secrets) == 0 {
		return nil, errors.New("the content is encrypted with Ansible Vault and no vault secret was given")
	}
	for _, s := range ordered(secrets, e.ID) {
		if plain, ok := e.open(s.Password); ok {
			return plain, nil
		}
	}
	return nil, ErrNoSecret
}

// ordered returns secrets with those labelled id first, stable otherwise.
func ordered(secrets []Secret, id string) []Secret {
	out := make([]Secret, 0, len(secrets))
	for _, s := range secrets {
		if s.ID == id {
			out = append(out, s)
		}
	}
	for _, s := range secrets {
		if s.ID != id {
			out = append(out, s)
		}
	}
	return out
}

// open verifies the HMAC with password's keys and, when it matches,
// decrypts and unpads the ciphertext.
func (e *Envelope) open(password []byte) ([]byte, bool) {
	dk, err := pbkdf2.Key(sha256.New, string(password), e.salt, iterations, 2*keyLen+ivLen)
	if err != nil {
		return nil, false
	}
	key, macKey, iv := dk[:keyLen], dk[keyLen:2*keyLen], dk[2*keyLen:]
	mac := hmac.New(sha256.New, macKey)
	mac.Write(e.text)
	if !hmac.Equal(mac.Sum(nil), e.mac) {
		return nil, false
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, false
	}
	plain := make([]byte, len(e.text))
	cipher.NewCTR(block, iv).XORKeyStream(plain, e.text)
	return unpad(plain)
}

// unpad removes PKCS#7 padding of AES's block size.
func unpad(b []byte) ([]byte, bool) {
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize || n > len(b) {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}
