package playbook

import (
	"strings"
	"sync"
)

// Mask is what a secret is replaced with in every output.
const Mask = "********"

// Secrets are the values read from the environment by templates
// ({{ env "DB_PASSWORD" }}). Every text the executor reports (messages,
// output, debug values, JSON) goes through Secrets.Redact first, so a secret
// never reaches a terminal, a log or a report. Safe for concurrent use.
type Secrets struct {
	mu       sync.RWMutex
	values   map[string]bool
	replacer *strings.Replacer
}

// Add marks v as secret. Empty values are not secrets: there is nothing to
// hide, and masking "" would corrupt every output.
func (s *Secrets) Add(v string) {
	if v == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values[v] {
		return
	}
	if s.values == nil {
		s.values = make(map[string]bool)
	}
	s.values[v] = true
	pairs := make([]string, 0, 2*len(s.values))
	for _, secret := range s.sortedLongestFirst() {
		pairs = append(pairs, secret, Mask)
	}
	s.replacer = strings.NewReplacer(pairs...)
}

// sortedLongestFirst returns the secrets, longest first, so a secret that
// contains another is masked whole.
func (s *Secrets) sortedLongestFirst() []string {
	out := make([]string, 0, len(s.values))
	for v := range s.values {
		out = append(out, v)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && (len(out[j]) > len(out[j-1]) || len(out[j]) == len(out[j-1]) && out[j] < out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Redact returns text with every secret replaced by Mask.
func (s *Secrets) Redact(text string) string {
	if s == nil {
		return text
	}
	s.mu.RLock()
	r := s.replacer
	s.mu.RUnlock()
	if r == nil {
		return text
	}
	return r.Replace(text)
}

// RedactValue returns a copy of v (plain data: maps, lists, strings) with
// every string redacted.
func (s *Secrets) RedactValue(v any) any {
	switch v := v.(type) {
	case string:
		return s.Redact(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = s.RedactValue(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = s.RedactValue(e)
		}
		return out
	}
	return v
}
