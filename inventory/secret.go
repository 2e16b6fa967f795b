package inventory

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// secretWords are the parts of a variable name that make it secret,
// wherever they appear in the (lower-cased) name.
var secretWords = []string{"password", "passwd", "passphrase", "secret", "token", "credential",
	"private_key", "privatekey", "api_key", "apikey"}

// locatorSuffixes end the names of variables that say where a secret is
// (password_env, become_password_env, ansible_ssh_private_key_file), not
// the secret itself.
var locatorSuffixes = []string{"_env", "_file", "_path"}

// IsSecretVar reports whether a variable's name says it holds a secret: a
// name containing password, passwd, passphrase, secret, token, credential,
// private_key or api_key, or having "pass" as one of its words
// (ansible_pass, ansible_ssh_pass, ansible_become_pass, ansible_sudo_pass),
// in any case, unless it ends in _env, _file or _path. This is the one rule
// every output follows: `inventory show` hides such variables, and their
// values are masked wherever a run prints or writes them (SecretValues).
func IsSecretVar(name string) bool {
	n := strings.ToLower(name)
	for _, suffix := range locatorSuffixes {
		if strings.HasSuffix(n, suffix) {
			return false
		}
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	for _, w := range strings.FieldsFunc(n, func(r rune) bool { return (r < 'a' || r > 'z') && (r < '0' || r > '9') }) {
		if w == "pass" {
			return true
		}
	}
	return false
}

// SecretEnv returns the values of the environment variables of env whose
// names say they are secret (exec --env DB_PASSWORD=...; see IsSecretVar).
func SecretEnv(env map[string]string) []string {
	var out []string
	for k, v := range env {
		if IsSecretVar(k) {
			out = append(out, v)
		}
	}
	return out
}

// SecretValues returns the values of the secret variables in vars (see
// IsSecretVar), nested ones included (db: {password: ...}): every string
// and number under a secret name, as text. Booleans and nulls are not
// secrets.
func SecretValues(vars map[string]any) []string {
	var out []string
	var walk func(v any, secret bool)
	walk = func(v any, secret bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(e, secret || IsSecretVar(k))
			}
		case []any:
			for _, e := range x {
				walk(e, secret)
			}
		case string:
			if secret {
				out = append(out, x)
			}
		case int:
			if secret {
				out = append(out, strconv.Itoa(x))
			}
		case float64:
			if secret {
				out = append(out, strconv.FormatFloat(x, 'g', -1, 64))
			}
		}
	}
	walk(vars, false)
	return out
}

// SecretValues returns the host's secrets: the login password of its
// connection settings (password, ansible_password) and the values of its
// secret variables (see the function SecretValues).
func (h *Host) SecretValues() []string {
	out := SecretValues(h.Vars)
	if h.Conn.Password != "" {
		out = append(out, h.Conn.Password)
	}
	return out
}

// SecretsOf returns every secret value of hosts, to be masked wherever a
// run prints or writes it: their passwords and secret variables
// (Host.SecretValues) and the values of the environment variables their
// password_env and become_password_env name, read with getenv.
func SecretsOf(hosts []*Host, getenv func(string) string) []string {
	var out []string
	envs := map[string]bool{}
	for _, h := range hosts {
		out = append(out, h.SecretValues()...)
		envs[h.Conn.PasswordEnv] = true
		envs[h.Conn.BecomePasswordEnv] = true
	}
	delete(envs, "")
	for _, name := range slices.Sorted(maps.Keys(envs)) {
		out = append(out, getenv(name))
	}
	return out
}
