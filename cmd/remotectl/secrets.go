package main

import (
	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/internal/secret"
	"github.com/remotectl/remotectl/inventory"
)

// values returns the passwords asked on the terminal.
func (s secrets) values() []string { return []string{s.Password, s.BecomePassword} }

// envSecrets returns the values of the --env variables whose names say
// they are secret (--env DB_PASSWORD=...).
func envSecrets(env map[string]string) []string {
	var out []string
	for k, v := range env {
		if inventory.IsSecretVar(k) {
			out = append(out, v)
		}
	}
	return out
}

// maskCheckResults masks the secrets in a host's check results, in place:
// a check's templates may have put a secret variable in its id, its
// expected value or a command, and a command may print it.
func maskCheckResults(m *secret.Masker, res []checks.Result) {
	if m.Empty() {
		return
	}
	for i := range res {
		r := &res[i]
		for _, s := range []*string{&r.ID, &r.Title, &r.Property, &r.Expected, &r.Actual, &r.Message} {
			*s = m.Redact(*s)
		}
	}
}
