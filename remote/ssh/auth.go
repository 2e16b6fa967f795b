package ssh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/remotectl/remotectl/remote"
)

// maxPassphraseTries is how often a passphrase is asked on a terminal before
// a key is given up (OpenSSH asks three times too).
const maxPassphraseTries = 3

// defaultIdentityFiles are tried, when present, if neither the target nor
// ssh_config names an identity file.
var defaultIdentityFiles = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// keyFile is one private key file, read at most once per Dialer and
// decrypted at most once (one passphrase prompt per file per run).
type keyFile struct {
	path string

	loadOnce sync.Once
	pub      gossh.PublicKey // known even for encrypted keys (from the file or KEY.pub)
	raw      []byte          // PEM, kept until decrypted
	err      error           // unreadable or unparsable
	notExist bool

	mu          sync.Mutex // serializes decryption and guards the fields below
	signer      gossh.Signer
	decryptErr  error
	decryptDone bool
}

// load reads and parses the file, without asking for a passphrase.
func (k *keyFile) load() {
	k.loadOnce.Do(func() {
		raw, err := os.ReadFile(k.path)
		if err != nil {
			k.err, k.notExist = err, errors.Is(err, fs.ErrNotExist)
			return
		}
		signer, err := gossh.ParsePrivateKey(raw)
		var missing *gossh.PassphraseMissingError
		switch {
		case err == nil:
			k.signer, k.pub, k.decryptDone = signer, signer.PublicKey(), true
		case errors.As(err, &missing):
			k.raw, k.pub = raw, missing.PublicKey
			if k.pub == nil {
				k.pub = readPublicKeyFile(k.path + ".pub")
			}
		default:
			k.err = fmt.Errorf("private key %s: %w", k.path, err)
		}
	})
}

// publicKey returns the key's public half (nil for a legacy encrypted PEM
// key without a .pub file, until it is decrypted).
func (k *keyFile) publicKey() gossh.PublicKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.pub
}

// encrypted reports whether the key still needs a passphrase.
func (k *keyFile) encrypted() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return !k.decryptDone
}

// decrypt returns the signer, asking for the passphrase on first use.
func (k *keyFile) decrypt(ctx context.Context, s *secretSource) (gossh.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.decryptDone {
		return k.signer, k.decryptErr
	}
	k.signer, k.decryptErr = s.decryptKey(ctx, k.path, k.raw)
	k.decryptDone, k.raw = true, nil
	if k.decryptErr == nil && k.pub == nil {
		k.pub = k.signer.PublicKey()
	}
	return k.signer, k.decryptErr
}

// readPublicKeyFile parses an authorized_keys style public key file; nil
// when it is missing or invalid.
func readPublicKeyFile(path string) gossh.PublicKey {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	pub, _, _, _, err := gossh.ParseAuthorizedKey(data)
	if err != nil {
		return nil
	}
	return pub
}

// readCertificate parses an OpenSSH certificate file; nil when missing.
func readCertificate(path string) (*gossh.Certificate, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	pub, _, _, _, err := gossh.ParseAuthorizedKey(data)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", path, err)
	}
	cert, ok := pub.(*gossh.Certificate)
	if !ok {
		return nil, fmt.Errorf("certificate %s: not an OpenSSH certificate", path)
	}
	return cert, nil
}

// lazySigner offers an encrypted key's public key and asks for the
// passphrase only when the server accepts the key and a signature is needed.
type lazySigner struct {
	ctx     context.Context
	key     *keyFile
	secrets *secretSource
}

func (l *lazySigner) PublicKey() gossh.PublicKey { return l.key.publicKey() }

func (l *lazySigner) Sign(rand io.Reader, data []byte) (*gossh.Signature, error) {
	return l.SignWithAlgorithm(rand, data, "")
}

func (l *lazySigner) SignWithAlgorithm(rand io.Reader, data []byte, algorithm string) (*gossh.Signature, error) {
	resume := pauseDeadline(l.ctx) // the user may be typing the passphrase
	signer, err := l.key.decrypt(l.ctx, l.secrets)
	resume()
	if err != nil {
		return nil, err
	}
	if as, ok := signer.(gossh.AlgorithmSigner); ok {
		return as.SignWithAlgorithm(rand, data, algorithm)
	}
	return signer.Sign(rand, data)
}

// agentConn is one ssh-agent connection shared by every dial of a Dialer.
type agentConn struct {
	socket  string
	once    sync.Once
	conn    net.Conn
	signers []gossh.Signer
	err     error
}

// load connects and lists the agent's keys (once).
func (a *agentConn) load() ([]gossh.Signer, error) {
	a.once.Do(func() {
		conn, err := net.DialTimeout("unix", a.socket, 5*time.Second)
		if err != nil {
			a.err = fmt.Errorf("ssh-agent %s: %w", a.socket, err)
			return
		}
		signers, err := agent.NewClient(conn).Signers()
		if err != nil {
			conn.Close()
			a.err = fmt.Errorf("ssh-agent %s: %w", a.socket, err)
			return
		}
		a.conn, a.signers = conn, signers
	})
	return a.signers, a.err
}

func (a *agentConn) close() {
	a.once.Do(func() {}) // a later load must not connect again
	if a.conn != nil {
		a.conn.Close()
	}
}

// secretSource asks for passphrases and passwords: from an environment
// variable, an askpass program or the Prompter, in that order, never from
// argv, and never prompting when there is no Prompter.
type secretSource struct {
	passphraseEnv string
	askPass       string
	prompter      Prompter
	getenv        func(string) string

	promptMu sync.Mutex // one question on the terminal at a time

	pwMu   sync.Mutex // guards the login password asked once per run
	pwDone bool
	pw     string
	pwErr  error
}

// canDecrypt reports whether an encrypted key could be unlocked at all.
func (s *secretSource) canDecrypt() bool {
	return s.passphraseEnv != "" && s.getenv(s.passphraseEnv) != "" || s.askPass != "" || s.prompter != nil
}

// decryptKey unlocks raw, trying each passphrase source.
func (s *secretSource) decryptKey(ctx context.Context, path string, raw []byte) (gossh.Signer, error) {
	var lastErr error
	try := func(pass string) (gossh.Signer, bool) {
		signer, err := gossh.ParsePrivateKeyWithPassphrase(raw, []byte(pass))
		if err == nil {
			return signer, true
		}
		lastErr = err
		return nil, false
	}
	if s.passphraseEnv != "" {
		if pass := s.getenv(s.passphraseEnv); pass != "" {
			if signer, ok := try(pass); ok {
				return signer, nil
			}
		}
	}
	prompt := fmt.Sprintf("Enter passphrase for key '%s': ", path)
	if s.askPass != "" {
		pass, err := runAskPass(ctx, s.askPass, prompt)
		if err != nil {
			lastErr = err
		} else if signer, ok := try(pass); ok {
			return signer, nil
		}
	}
	if s.prompter != nil {
		for range maxPassphraseTries {
			pass, err := s.prompt(ctx, prompt)
			if err != nil {
				lastErr = err
				break
			}
			if signer, ok := try(pass); ok {
				return signer, nil
			}
		}
	}
	if lastErr == nil {
		lastErr = errors.New("no passphrase available")
	}
	return nil, &remote.Error{
		Class: remote.ClassAuth, Op: "auth",
		Err:  fmt.Errorf("cannot decrypt private key %s: %w", path, lastErr),
		Hint: "check the passphrase, or add the key to ssh-agent",
	}
}

// prompt asks the Prompter for a secret, one question at a time.
func (s *secretSource) prompt(ctx context.Context, prompt string) (string, error) {
	s.promptMu.Lock()
	defer s.promptMu.Unlock()
	return s.prompter.Prompt(ctx, prompt, false)
}

// loginPassword returns the password asked once per run from the askpass
// program or the Prompter; ok is false when neither is available.
func (s *secretSource) loginPassword(ctx context.Context, prompt string) (pw string, ok bool, err error) {
	if s.askPass == "" && s.prompter == nil {
		return "", false, nil
	}
	s.pwMu.Lock()
	defer s.pwMu.Unlock()
	if !s.pwDone {
		if s.askPass != "" {
			s.pw, s.pwErr = runAskPass(ctx, s.askPass, prompt)
		} else {
			s.pw, s.pwErr = s.prompt(ctx, prompt)
		}
		// A cancelled prompt may be asked again by a later dial.
		s.pwDone = ctx.Err() == nil
	}
	return s.pw, true, s.pwErr
}

// runAskPass runs an SSH_ASKPASS style program: the prompt is its only
// argument, the secret its first line of output.
func runAskPass(ctx context.Context, program, prompt string) (string, error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, program, prompt)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("askpass program %s: %w: %s", program, err, strings.TrimSpace(errOut.String()))
	}
	secret, _, _ := strings.Cut(out.String(), "\n")
	return strings.TrimSuffix(secret, "\r"), nil
}

// authPlan is the list of authentication methods for one connection and a
// description of what it offers, for the error when everything fails.
type authPlan struct {
	methods []gossh.AuthMethod
	offered []string // e.g. "agent key SHA256:...", "key ~/.ssh/id_ed25519"
	notes   []string // why something could not be offered
	// badIdentities are identity files the settings name that could not be
	// loaded (missing, unreadable, not a key). As OpenSSH, the other
	// credentials are still tried; when none works, these are the cause.
	badIdentities []string
}

// describe summarizes the plan for an authentication failure message.
func (p *authPlan) describe() string {
	var b strings.Builder
	if len(p.offered) == 0 {
		b.WriteString("no credential was available")
	} else {
		b.WriteString("tried " + strings.Join(p.offered, ", "))
	}
	if len(p.notes) > 0 {
		b.WriteString("; " + strings.Join(p.notes, "; "))
	}
	return b.String()
}

// authHint is the hint for an authentication failure.
func (p *authPlan) authHint() string {
	hint := "check the user name and that one of these credentials is authorized on the host " +
		"(set identity files with ansible_ssh_private_key_file / IdentityFile, or pass --ask-pass)"
	for _, n := range p.notes {
		if strings.Contains(n, "encrypted") {
			hint += "; for encrypted keys add them to ssh-agent, set the passphrase environment variable or SSH_ASKPASS, or run on a terminal"
			break
		}
	}
	return hint
}

// buildAuth assembles the authentication methods for one connection:
// public keys (agent and files, certificates first), keyboard-interactive
// and password, in OpenSSH's order.
func (d *Dialer) buildAuth(ctx context.Context, p *hostParams) *authPlan {
	plan := &authPlan{}
	if signers := d.publicKeySigners(ctx, p, plan); len(signers) > 0 {
		plan.methods = append(plan.methods, gossh.PublicKeysCallback(func() ([]gossh.Signer, error) {
			return signers, nil
		}))
	}
	d.addPasswordMethods(ctx, p, plan)
	return plan
}

// publicKeySigners returns the signers to offer, in OpenSSH's order:
// certificates, agent keys that match configured identity files, other
// agent keys (unless IdentitiesOnly), then keys only found in files.
func (d *Dialer) publicKeySigners(ctx context.Context, p *hostParams, plan *authPlan) []gossh.Signer {
	var agentSigners []gossh.Signer
	if p.agentSocket != "" {
		signers, err := d.agent(p.agentSocket).load()
		if err != nil {
			plan.notes = append(plan.notes, err.Error())
		}
		agentSigners = signers
	}
	files, explicit := d.identityFiles(p)
	var matchedAgent, fileOnly []gossh.Signer
	var fileOnlyNames []string
	usedAgent := make([]bool, len(agentSigners))
	for _, path := range files {
		k := d.keyFile(path)
		k.load()
		if k.err != nil {
			if !k.notExist || explicit {
				plan.notes = append(plan.notes, fmt.Sprintf("identity file %s: %v", path, unwrapPathError(k.err)))
			}
			if explicit {
				plan.badIdentities = append(plan.badIdentities, path)
			}
			continue
		}
		if i := indexOfKey(agentSigners, k.publicKey()); i >= 0 {
			if !usedAgent[i] {
				usedAgent[i] = true
				matchedAgent = append(matchedAgent, agentSigners[i])
				plan.offered = append(plan.offered, "agent key for "+path)
			}
			continue
		}
		signer := d.fileSigner(ctx, k, plan)
		if signer == nil {
			continue
		}
		fileOnly = append(fileOnly, signer)
		fileOnlyNames = append(fileOnlyNames, "key "+path)
	}
	signers := matchedAgent
	if !p.identitiesOnly {
		for i, s := range agentSigners {
			if !usedAgent[i] {
				signers = append(signers, s)
				plan.offered = append(plan.offered, "agent key "+gossh.FingerprintSHA256(s.PublicKey()))
			}
		}
	}
	signers = append(signers, fileOnly...)
	plan.offered = append(plan.offered, fileOnlyNames...)
	certs := d.certSigners(files, p.certificateFiles, signers, plan)
	return append(certs, signers...)
}

// identityFiles returns the host's identity files, or OpenSSH's defaults
// (explicit is false) when neither the target nor ssh_config names any.
func (d *Dialer) identityFiles(p *hostParams) (files []string, explicit bool) {
	if len(p.identityFiles) > 0 {
		return p.identityFiles, true
	}
	for _, name := range defaultIdentityFiles {
		files = append(files, filepath.Join(d.opts.Home, ".ssh", name))
	}
	return files, false
}

// fileSigner returns the signer for a key file: the key itself, or a lazy
// signer for an encrypted key when a passphrase can be obtained.
func (d *Dialer) fileSigner(ctx context.Context, k *keyFile, plan *authPlan) gossh.Signer {
	if !k.encrypted() {
		k.mu.Lock()
		signer, err := k.signer, k.decryptErr
		k.mu.Unlock()
		if err != nil {
			plan.notes = append(plan.notes, err.Error())
			return nil
		}
		return signer
	}
	if !d.secrets.canDecrypt() {
		plan.notes = append(plan.notes, fmt.Sprintf("key %s is encrypted and no passphrase source is available", k.path))
		return nil
	}
	if k.publicKey() == nil {
		// Legacy PEM without a .pub beside it: the public key is only
		// known after decryption.
		signer, err := k.decrypt(ctx, d.secrets)
		if err != nil {
			plan.notes = append(plan.notes, err.Error())
			return nil
		}
		return signer
	}
	return &lazySigner{ctx: ctx, key: k, secrets: d.secrets}
}

// certSigners pairs certificates (KEY-cert.pub beside each identity file,
// and CertificateFile entries) with the signer holding their key.
func (d *Dialer) certSigners(identityFiles, certFiles []string, candidates []gossh.Signer, plan *authPlan) []gossh.Signer {
	var paths []string
	paths = append(paths, certFiles...)
	for _, f := range identityFiles {
		paths = append(paths, f+"-cert.pub")
	}
	var out []gossh.Signer
	seen := map[string]bool{}
	for _, path := range paths {
		if seen[path] {
			continue
		}
		seen[path] = true
		cert, err := d.certificate(path)
		if err != nil {
			plan.notes = append(plan.notes, err.Error())
			continue
		}
		if cert == nil {
			continue
		}
		i := indexOfKey(candidates, cert.Key)
		if i < 0 {
			plan.notes = append(plan.notes, fmt.Sprintf("certificate %s: no matching private key", path))
			continue
		}
		signer, err := gossh.NewCertSigner(cert, candidates[i])
		if err != nil {
			plan.notes = append(plan.notes, fmt.Sprintf("certificate %s: %v", path, err))
			continue
		}
		out = append(out, signer)
		plan.offered = append(plan.offered, "certificate "+path)
	}
	return out
}

// addPasswordMethods adds keyboard-interactive and password authentication
// when a password can be had: from the target (environment variable or
// inventory), Options.Password, or, asked once per run, the askpass program
// or the Prompter.
func (d *Dialer) addPasswordMethods(ctx context.Context, p *hostParams, plan *authPlan) {
	password, known, err := p.staticPassword(d.opts.Password)
	if err != nil {
		plan.notes = append(plan.notes, err.Error())
	}
	if !known && d.secrets.askPass == "" && d.secrets.prompter == nil {
		return
	}
	prompt := fmt.Sprintf("SSH password (asked once, used for %s@%s and the other hosts of this run): ", p.user, p.hostname)
	get := func() (string, error) {
		if known {
			return password, nil
		}
		defer pauseDeadline(ctx)()
		pw, _, err := d.secrets.loginPassword(ctx, prompt)
		return pw, err
	}
	plan.methods = append(plan.methods,
		gossh.KeyboardInteractive(func(name, instruction string, questions []string, echos []bool) ([]string, error) {
			answers := make([]string, len(questions))
			for i, q := range questions {
				if echos[i] || !strings.Contains(strings.ToLower(q), "password") {
					ans, err := d.answerChallenge(ctx, q, echos[i])
					if err != nil {
						return nil, err
					}
					answers[i] = ans
					continue
				}
				pw, err := get()
				if err != nil {
					return nil, err
				}
				answers[i] = pw
			}
			return answers, nil
		}),
		gossh.PasswordCallback(get),
	)
	plan.offered = append(plan.offered, "password")
}

// answerChallenge answers a keyboard-interactive question that is not the
// password (a one-time code, say) on the terminal.
func (d *Dialer) answerChallenge(ctx context.Context, question string, echo bool) (string, error) {
	if d.secrets.prompter == nil {
		return "", &remote.Error{Class: remote.ClassAuth, Op: "auth",
			Err:  fmt.Errorf("the server asks %q and there is no terminal to answer", strings.TrimSpace(question)),
			Hint: "run remotectl on a terminal to answer the question"}
	}
	defer pauseDeadline(ctx)()
	d.secrets.promptMu.Lock()
	defer d.secrets.promptMu.Unlock()
	return d.secrets.prompter.Prompt(ctx, question, echo)
}

func indexOfKey(signers []gossh.Signer, key gossh.PublicKey) int {
	if key == nil {
		return -1
	}
	for i, s := range signers {
		if keysEqual(s.PublicKey(), key) {
			return i
		}
	}
	return -1
}

// unwrapPathError drops the path from an *fs.PathError (it is printed already).
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
