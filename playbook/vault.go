package playbook

import (
	"bytes"
	"fmt"
)

// vaultHeader starts every Ansible Vault payload.
const vaultHeader = "$ANSIBLE_VAULT;"

// isVault reports whether data is an Ansible Vault payload.
func isVault(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(vaultHeader))
}

// decryptVault decrypts a vault payload found at pos with decrypt; nil
// decrypt refuses it with a hint.
func decryptVault(pos string, data []byte, decrypt func([]byte) ([]byte, error)) ([]byte, error) {
	if decrypt == nil {
		return nil, &ParseError{Pos: pos, Msg: "the content is encrypted with Ansible Vault and no vault password was given",
			Hint: "give the password with --vault-password-file FILE (or --vault-id)"}
	}
	plain, err := decrypt(bytes.TrimSpace(data))
	if err != nil {
		return nil, &ParseError{Pos: pos, Msg: fmt.Sprintf("cannot decrypt the vault content: %v", err),
			Hint: "check the vault password (--vault-password-file, --vault-id)"}
	}
	return plain, nil
}
