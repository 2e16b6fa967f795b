package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Source is where one vault secret comes from: a password file, a password
// script (an executable file), or a prompt on the terminal.
type Source struct {
	ID     string // the vault ID (label); DefaultID when none was given
	Path   string // the password file or script; "" for a prompt
	Prompt string // the prompt's text when the secret is asked for
}

// The prompts of ansible-playbook: --ask-vault-pass keeps the old one.
const (
	askPrompt   = "Vault password: "
	labelPrompt = "Vault password (%s): "
)

// ParseID reads a --vault-id value, "[label@]FILE" or "[label@]prompt".
func ParseID(spec string) Source {
	id, value, ok := strings.Cut(spec, "@")
	if !ok {
		id, value = DefaultID, spec
	}
	if id == "" {
		id = DefaultID
	}
	switch value {
	case "prompt":
		return Source{ID: id, Prompt: fmt.Sprintf(labelPrompt, id)}
	case "prompt_ask_vault_pass":
		return Source{ID: id, Prompt: askPrompt}
	}
	return Source{ID: id, Path: value}
}

// Sources lists the secrets' sources in ansible-playbook's order: each
// --vault-id, then each --vault-password-file and the configured one
// (ansible.cfg vault_password_file, ANSIBLE_VAULT_PASSWORD_FILE; "" for
// none), then the --ask-vault-pass prompt.
func Sources(ids, passwordFiles []string, configured string, ask bool) []Source {
	var out []Source
	for _, id := range ids {
		out = append(out, ParseID(id))
	}
	if configured != "" {
		passwordFiles = append(passwordFiles[:len(passwordFiles):len(passwordFiles)], configured)
	}
	for _, f := range passwordFiles {
		out = append(out, Source{ID: DefaultID, Path: f})
	}
	if ask {
		out = append(out, Source{ID: DefaultID, Prompt: askPrompt})
	}
	return out
}

// Loader reads the secrets of sources.
type Loader struct {
	// Prompt asks for a secret on the terminal; nil when there is none, and
	// then a prompt source is refused.
	Prompt func(prompt string) (string, error)
	// Stdin and Stderr are given to password scripts (which may prompt
	// there, as with Ansible).
	Stdin  io.Reader
	Stderr io.Writer
	// Warn reports a source that could not be read while others could (as
	// Ansible does, the run goes on with the others).
	Warn func(msg string)
	// Getenv expands ~ ($HOME) and $VARS in paths, as Ansible does; nil
	// expands nothing.
	Getenv func(string) string
}

// Load reads every source. A source that fails is warned about and skipped
// when another one gives a secret, as Ansible does; when none does, the
// last error is returned. A prompt without a terminal is always an error.
func (l Loader) Load(ctx context.Context, sources []Source) ([]Secret, error) {
	var secrets []Secret
	var failed []error
	for _, src := range sources {
		if src.Path == "" {
			pw, err := l.ask(src)
			if err != nil {
				return nil, err
			}
			secrets = append(secrets, Secret{ID: src.ID, Password: pw})
			continue
		}
		pw, err := l.read(ctx, src, secrets)
		if err != nil {
			failed = append(failed, fmt.Errorf("vault password (%s): %w", src.ID, err))
			continue
		}
		secrets = append(secrets, Secret{ID: src.ID, Password: pw})
	}
	if len(secrets) == 0 && len(failed) > 0 {
		return nil, failed[len(failed)-1]
	}
	for _, err := range failed {
		if l.Warn != nil {
			l.Warn(err.Error())
		}
	}
	return secrets, nil
}

// ask reads a prompt source's secret on the terminal.
func (l Loader) ask(src Source) ([]byte, error) {
	if l.Prompt == nil {
		return nil, fmt.Errorf("the vault password (%s) cannot be asked: no terminal; give it with --vault-password-file FILE or --vault-id %s@FILE", src.ID, src.ID)
	}
	pw, err := l.Prompt(src.Prompt)
	if err != nil {
		return nil, fmt.Errorf("vault password (%s): %w", src.ID, err)
	}
	b := bytes.TrimSpace([]byte(pw))
	if len(b) == 0 {
		return nil, fmt.Errorf("invalid vault password (%s): it is empty", src.ID)
	}
	return b, nil
}

// read reads a password file, or runs it when it is executable; a file
// that is itself vault-encrypted is decrypted with the secrets known so
// far, as Ansible does.
func (l Loader) read(ctx context.Context, src Source, known []Secret) ([]byte, error) {
	src.Path = l.expand(src.Path)
	info, err := os.Stat(src.Path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("the vault password file %s was not found", src.Path)
		}
		return nil, fmt.Errorf("could not read vault password file %s: %w", src.Path, err)
	}
	if info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0 {
		return l.run(ctx, src)
	}
	data, err := os.ReadFile(src.Path)
	if err != nil {
		return nil, fmt.Errorf("could not read vault password file %s: %w", src.Path, err)
	}
	data = bytes.TrimSpace(data)
	if IsEncrypted(data) {
		if data, err = Decrypt(data, known); err != nil {
			return nil, fmt.Errorf("vault password file %s is encrypted: %w", src.Path, err)
		}
	}
	return nonEmpty(bytes.Trim(data, "\r\n"), "file", src.Path)
}

// run runs a password script: its standard output is the password. A
// script named *-client is given --vault-id ID (Ansible's client scripts).
func (l Loader) run(ctx context.Context, src Source) ([]byte, error) {
	var args []string
	base := filepath.Base(src.Path)
	if strings.HasSuffix(strings.TrimSuffix(base, filepath.Ext(base)), "-client") {
		args = []string{"--vault-id", src.ID}
	}
	path, err := filepath.Abs(src.Path) // never looked up in $PATH
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = l.Stdin
	cmd.Stderr = l.Stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("vault password script %s returned non-zero (%d)", src.Path, ee.ExitCode())
		}
		return nil, fmt.Errorf("problem running vault password script %s (%w); if this is not a script, remove the executable bit from the file", src.Path, err)
	}
	return nonEmpty(bytes.Trim(out, "\r\n"), "script", src.Path)
}

// expand expands ~ and $VARS in path with Getenv.
func (l Loader) expand(path string) string {
	if l.Getenv == nil {
		return path
	}
	path = os.Expand(path, l.Getenv)
	if path == "~" || strings.HasPrefix(path, "~/") {
		path = filepath.Join(l.Getenv("HOME"), path[1:])
	}
	return path
}

// nonEmpty refuses an empty password, as Ansible does.
func nonEmpty(pw []byte, what, path string) ([]byte, error) {
	if len(pw) == 0 {
		return nil, fmt.Errorf("invalid vault password was provided from %s (%s): it is empty", what, path)
	}
	return pw, nil
}
