package ansiblecli

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/playbook/vault"
)

// Decrypter returns the playbook loader's Decrypt over secrets: the vault
// passwords, each plaintext and every value of a decrypted vars file are
// given to addSecret first, so that no output shows them (a task printing
// the password file). Nil without secrets (the loader then refuses vault
// content with a hint).
func Decrypter(secrets []vault.Secret, addSecret func(...string)) func([]byte) ([]byte, error) {
	if len(secrets) == 0 {
		return nil
	}
	for _, s := range secrets {
		addSecret(string(s.Password))
	}
	return func(data []byte) ([]byte, error) {
		plain, err := vault.Decrypt(data, secrets)
		if err != nil {
			return nil, err
		}
		addSecret(SecretValues(plain)...)
		return plain, nil
	}
}

// SecretValues are the values of a decrypted plaintext that are secret:
// the text itself and, when it is YAML, every scalar value in it (a vars
// file's values; keys are not secret).
func SecretValues(plain []byte) []string {
	out := []string{strings.TrimSpace(string(plain))}
	var root yaml.Node
	if yaml.Unmarshal(plain, &root) != nil {
		return out
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.ScalarNode:
			out = append(out, n.Value)
		case yaml.MappingNode:
			for i := 1; i < len(n.Content); i += 2 {
				walk(n.Content[i])
			}
		default:
			for _, c := range n.Content {
				walk(c)
			}
		}
	}
	walk(&root)
	return out
}
