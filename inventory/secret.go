package inventory

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/remotectl/remotectl/internal/omap"
)

// secretWords are the words of a variable name that make it secret: a
// word of the name (split on anything but letters and digits) that is one
// of them, or ends with one of the first four (dbpassword, authtoken).
var secretWords = []string{"password", "passwd", "passphrase", "secret", "token", "pass", "passwords",
	"secrets", "tokens", "credential", "credentials", "privatekey", "apikey"}

// secretEndings end the words that are secret (dbpassword, clientsecret).
var secretEndings = []string{"password", "passwd", "passphrase", "secret", "token"}

// secretPairs are two words that together name a secret (private_key).
var secretPairs = [][2]string{{"private", "key"}, {"api", "key"}, {"secret", "key"}}

// settingWords, right after a secret word, make the name a setting about
// secrets rather than one (ssh_password_authentication: "no",
// password_min_length: 12, token_ttl), as Ansible's PASSWORD_MATCH needs
// the word to stand alone (security_sudoers_passwordless is a list of
// users).
var settingWords = map[string]bool{
	"authentication": true, "auth": true, "length": true, "len": true, "min": true, "max": true,
	"minimum": true, "maximum": true, "policy": true, "expire": true, "expires": true, "expiry": true,
	"expiration": true, "age": true, "lifetime": true, "ttl": true, "enabled": true, "enable": true,
	"disabled": true, "disable": true, "required": true, "require": true, "update": true, "change": true,
	"prompt": true, "complexity": true, "encryption": true, "strength": true, "history": true,
	"reuse": true, "retries": true, "days": true, "warn": true, "mode": true,
}

// locatorSuffixes end the names of variables that say where a secret is
// (password_env, become_password_env, ansible_ssh_private_key_file), not
// the secret itself.
var locatorSuffixes = []string{"_env", "_file", "_path"}

// IsSecretVar reports whether a variable's name says it holds a secret:
// in any case, one of its words (split on anything but letters and
// digits) is password, passwd, passphrase, pass, secret, token,
// credential(s), privatekey or apikey, or ends with password, passwd,
// passphrase, secret or token (dbPassword), or two of them are private
// key, api key or secret key — unless the word right after is a setting
// word (ssh_password_authentication, password_min_length, token_ttl) or
// the name ends in _env, _file or _path. So ansible_ssh_pass,
// ansible_become_password, db_passwd, vault_token and tls_private_key are
// secret; security_sudoers_passwordless, bypass_proxy and passenger are
// not. This is the one rule every output follows: `inventory show` hides
// such variables, and their values are masked wherever a run prints or
// writes them (SecretValues).
func IsSecretVar(name string) bool {
	n := strings.ToLower(name)
	for _, suffix := range locatorSuffixes {
		if strings.HasSuffix(n, suffix) {
			return false
		}
	}
	words := strings.FieldsFunc(n, func(r rune) bool { return (r < 'a' || r > 'z') && (r < '0' || r > '9') })
	for i, w := range words {
		next := ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		secret := slices.Contains(secretWords, w) || slices.ContainsFunc(secretEndings, func(e string) bool { return strings.HasSuffix(w, e) })
		if slices.Contains(secretPairs, [2]string{w, next}) {
			secret, next = true, ""
			if i+2 < len(words) {
				next = words[i+2]
			}
		}
		if secret && !settingWords[next] {
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
		case *omap.Map:
			for k, e := range x.All() {
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
