// Package secret masks the values known to be secret in everything
// remotectl prints or writes.
//
// A Masker is fed with every secret value of a run: the passwords and
// other secret variables of the selected hosts (inventory.SecretValues),
// the environment values read by {{ env }} in playbooks, the passwords
// asked on the terminal and read from password_env variables. Every sink
// (the renderers of output and results, the --report file, the log, the
// run history, `inventory show`) then shows each occurrence of those values
// as Mask, wherever it appears: in a variable, a debug message, a rendered
// check or a remote command's output that echoes it back.
//
// Values shorter than MinLen bytes are not masked: masking them would blank
// every "ok" or "yes" in the output while protecting nothing (so short a
// secret is guessed at once). A variable whose name says it is secret is
// still shown as Mask as a whole, whatever its length (see
// inventory.IsSecretVar). Matching is exact, byte for byte, within one
// line of output: a value is found in output as long as a line of it is
// not cut in the middle of the value, which the runner only does past
// remote.DefaultMaxLine bytes without a newline.
package secret

import (
	"cmp"
	"slices"
	"strings"
	"sync"
)

// Mask is what a secret is replaced with in every output.
const Mask = "********"

// MinLen is the length, in bytes, under which a value is not masked.
const MinLen = 4

// Masker replaces secret values with Mask. The zero value masks nothing;
// a nil *Masker is valid and masks nothing. Safe for concurrent use.
type Masker struct {
	mu       sync.RWMutex
	values   map[string]bool
	replacer *strings.Replacer
}

// Add marks each value as secret. Values shorter than MinLen are not
// secrets (see the package documentation).
func (m *Masker) Add(values ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	added := false
	for _, v := range values {
		if len(v) < MinLen || m.values[v] {
			continue
		}
		if m.values == nil {
			m.values = make(map[string]bool)
		}
		m.values[v] = true
		added = true
	}
	if !added {
		return
	}
	pairs := make([]string, 0, 2*len(m.values))
	for _, v := range m.sortedLongestFirst() {
		pairs = append(pairs, v, Mask)
	}
	m.replacer = strings.NewReplacer(pairs...)
}

// sortedLongestFirst returns the values, longest first (then in byte
// order), so that a secret containing another is masked whole: the
// replacer tries its patterns in the order given.
func (m *Masker) sortedLongestFirst() []string {
	out := make([]string, 0, len(m.values))
	for v := range m.values {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b string) int {
		if c := cmp.Compare(len(b), len(a)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return out
}

// current returns the replacer, nil when there is nothing to mask.
func (m *Masker) current() *strings.Replacer {
	if m == nil {
		return nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.replacer
}

// Empty reports whether there is nothing to mask.
func (m *Masker) Empty() bool { return m.current() == nil }

// Redact returns text with every secret replaced by Mask.
func (m *Masker) Redact(text string) string {
	r := m.current()
	if r == nil {
		return text
	}
	return r.Replace(text)
}

// RedactBytes returns data with every secret replaced by Mask: data itself
// when it holds none, else a new slice.
func (m *Masker) RedactBytes(data []byte) []byte {
	r := m.current()
	if r == nil {
		return data
	}
	s := string(data)
	if masked := r.Replace(s); masked != s {
		return []byte(masked)
	}
	return data
}

// RedactStrings returns a copy of list with every secret masked.
func (m *Masker) RedactStrings(list []string) []string {
	if m.Empty() || list == nil {
		return list
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = m.Redact(s)
	}
	return out
}

// RedactValue returns a copy of v (plain data: maps, lists, strings) with
// every string redacted. Other values are returned as they are.
func (m *Masker) RedactValue(v any) any {
	if m.Empty() {
		return v
	}
	switch v := v.(type) {
	case string:
		return m.Redact(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = m.RedactValue(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = m.RedactValue(e)
		}
		return out
	case []string:
		return m.RedactStrings(v)
	}
	return v
}

// Error returns err with its message masked: err itself when the message
// holds no secret, else an error that says the masked message and unwraps
// to err (so errors.Is and errors.As still see its class and hint).
func (m *Masker) Error(err error) error {
	if err == nil || m.Empty() {
		return err
	}
	msg := err.Error()
	if masked := m.Redact(msg); masked != msg {
		return &maskedError{msg: masked, err: err}
	}
	return err
}

type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }
