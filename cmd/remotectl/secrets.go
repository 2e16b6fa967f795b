package main

import (
	"log/slog"
	"maps"
	"slices"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/internal/secret"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
)

// hostSecrets returns every secret value of hosts, to be masked wherever
// the run prints or writes it: their passwords and secret variables
// (inventory.Host.SecretValues) and the values of the environment
// variables their password_env and become_password_env name.
func (a *app) hostSecrets(hosts []*inventory.Host) []string {
	var out []string
	envs := map[string]bool{}
	for _, h := range hosts {
		out = append(out, h.SecretValues()...)
		envs[h.Conn.PasswordEnv] = true
		envs[h.Conn.BecomePasswordEnv] = true
	}
	delete(envs, "")
	for _, name := range slices.Sorted(maps.Keys(envs)) {
		out = append(out, a.io.Getenv(name))
	}
	return out
}

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

// maskEvent masks the secrets in the output and error an event carries,
// before any renderer, report, history or log sees it.
func maskEvent(m *secret.Masker, ev remote.Event) remote.Event {
	switch ev.Kind {
	case remote.EventOutput:
		ev.Data = m.RedactBytes(ev.Data)
	case remote.EventDone:
		ev.Err = maskHostError(m, ev.Err)
	}
	return ev
}

// maskHostError masks the secrets in a host's error, its hint included
// (a hint may name the path that failed), keeping its class.
func maskHostError(m *secret.Masker, err error) error {
	re, ok := err.(*remote.Error)
	if !ok {
		return m.Error(err)
	}
	hint := remote.HintOf(err)
	inner := m.Error(re.Err)
	if inner == re.Err && m.Redact(hint) == hint {
		return err
	}
	// The first hint on the chain, masked, on top: HintOf finds it first.
	return &remote.Error{Class: re.Class, Op: re.Op, Err: inner, Hint: m.Redact(hint)}
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

// maskLogAttr is the log's ReplaceAttr: the log never holds a secret,
// whatever a message or an attribute says.
func maskLogAttr(m *secret.Masker) func([]string, slog.Attr) slog.Attr {
	return func(_ []string, attr slog.Attr) slog.Attr {
		switch v := attr.Value; v.Kind() {
		case slog.KindString:
			attr.Value = slog.StringValue(m.Redact(v.String()))
		case slog.KindAny:
			switch x := v.Any().(type) {
			case []string:
				attr.Value = slog.AnyValue(m.RedactStrings(x))
			case error:
				attr.Value = slog.StringValue(m.Redact(x.Error()))
			}
		}
		return attr
	}
}
