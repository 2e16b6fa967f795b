package playbook

import "github.com/remotectl/remotectl/internal/secret"

// Mask is what a secret is replaced with in every output.
const Mask = secret.Mask

// Secrets are the values a run must never show: those read from the
// environment by templates ({{ env "DB_PASSWORD" }}), which Load adds, and
// the secret variables of the inventory and -e, which the caller adds
// before the run. Every text the executor reports (messages, output, debug
// values, JSON, the --check plan) goes through Secrets.Redact first, so a
// secret never reaches a terminal, a log or a report.
type Secrets = secret.Masker
