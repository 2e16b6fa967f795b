package ops

import (
	"log/slog"

	"github.com/remotectl/remotectl/internal/secret"
	"github.com/remotectl/remotectl/remote"
)

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
