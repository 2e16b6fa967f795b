package winrm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/masterzen/winrm"

	"github.com/remotectl/remotectl/remote"
)

// Defaults used when neither the target nor Options say otherwise.
const (
	// DefaultOperationTimeout is how long the server holds a Receive that
	// has no output yet. Short, so that a cancelled command is noticed
	// promptly: the poll in flight is abandoned, not waited for.
	DefaultOperationTimeout = 5 * time.Second
	DefaultConnectTimeout   = 10 * time.Second
	// DefaultCleanupTimeout bounds what is done after a command is
	// interrupted (terminate it, delete its shell) and closing a Transport.
	DefaultCleanupTimeout = 3 * time.Second
)

// Protocol parameters sent in every request.
const (
	locale = "en-US"
	// envelopeSize is the MaxEnvelopeSize announced (bytes), the winrm
	// library's default and Windows' own default limit.
	envelopeSize = 153600
)

// Options configure a Dialer. The zero value is usable.
type Options struct {
	// Warn receives warnings, each at most once per Dialer (nil discards).
	Warn io.Writer
	// OperationTimeout is the server-side long-poll time of each Receive
	// (default 5s).
	OperationTimeout time.Duration
	// Password is the login password for Basic and NTLM (--ask-pass), used
	// when the target has none.
	Password string
	// ConnectTimeout bounds connecting (TCP, TLS, authentication legs) when
	// the target does not set one (default 10s).
	ConnectTimeout time.Duration
	// CleanupTimeout bounds terminating an interrupted command and deleting
	// shells (default 3s).
	CleanupTimeout time.Duration
	// Getenv reads the environment the settings name (password_env,
	// KRB5CCNAME, KRB5_CONFIG, KRB5_CLIENT_KTNAME); nil: the process's.
	// The agent (--persist) dials with the run's values.
	Getenv func(string) string
}

// Dialer opens WinRM transports. It implements remote.Dialer and is safe for
// concurrent use.
type Dialer struct {
	opts         Options
	warnInsecure sync.Once
	// scripts are the remote programs behind Upload and Download.
	scripts fileScripts
}

var _ remote.Dialer = (*Dialer)(nil)

// NewDialer returns a Dialer with the given options.
func NewDialer(opts Options) *Dialer {
	if opts.Warn == nil {
		opts.Warn = io.Discard
	}
	if opts.OperationTimeout <= 0 {
		opts.OperationTimeout = DefaultOperationTimeout
	}
	if opts.CleanupTimeout <= 0 {
		opts.CleanupTimeout = DefaultCleanupTimeout
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	return &Dialer{opts: opts, scripts: powershellScripts}
}

// Dial connects to the target: it resolves and checks its settings, then
// opens the shell that the transport's commands will reuse, which proves
// that the host is reachable, its certificate trusted and the credentials
// accepted. Failures are classified *remote.Error values with hints.
func (d *Dialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	if err := ctx.Err(); err != nil {
		return nil, classify(opDial, err)
	}
	cfg, err := d.resolve(t)
	if err != nil {
		return nil, err
	}
	d.warnIfInsecure(cfg)
	tr, err := newTransport(d, t, cfg)
	if err != nil {
		return nil, err
	}
	if err := tr.prepare(ctx); err != nil {
		tr.http.close()
		if d.refusedUnencrypted(ctx, t, cfg, err) {
			return nil, configError(hintEncryptionRequired,
				"the server requires message encryption: it refused the unencrypted messages that winrm_message_encryption: never sends over HTTP")
		}
		return nil, err
	}
	return tr, nil
}

// warnIfInsecure warns, once per Dialer, that TLS certificates are not
// verified for cfg's host.
func (d *Dialer) warnIfInsecure(cfg *hostConfig) {
	if cfg.insecure && cfg.https {
		d.warnInsecure.Do(func() {
			fmt.Fprintf(d.opts.Warn, "warning: WinRM TLS certificates are not verified for hosts with insecure set (first: %s): "+
				"anyone on the network path can impersonate them and read the credentials\n", cfg.name)
		})
	}
}

// refusedUnencrypted reports whether err, the failure to open the first
// shell, is the server refusing unencrypted messages. A WinRM server whose
// AllowUnencrypted is off answers them over HTTP with access denied, as it
// answers a user who may not use it; when the host's messages went
// unencrypted only because its settings turned NTLM's message encryption off,
// the same request sealed tells which: it succeeds only if encryption was
// what the server wanted. A wrong password (HTTP 401) is never retried.
func (d *Dialer) refusedUnencrypted(ctx context.Context, t remote.Target, cfg *hostConfig, err error) bool {
	var (
		fault  *soapFault
		status *statusError
	)
	denied := errors.As(err, &fault) && fault.accessDenied() ||
		errors.As(err, &status) && status.status == http.StatusInternalServerError
	if !denied || cfg.https || cfg.seal || cfg.auth != authNTLM {
		return false
	}
	sealed := *cfg
	sealed.seal = true
	tr, err := newTransport(d, t, &sealed)
	if err != nil {
		return false
	}
	defer tr.Close()
	return tr.prepare(ctx) == nil
}

// newClient builds the winrm library client of one host, with fresh
// Parameters (winrm.DefaultParameters is never used nor changed) whose
// transport is h.
func newClient(cfg *hostConfig, h *transporter) (*winrm.Client, error) {
	params := winrm.NewParameters(isoDuration(cfg.operationTimeout), locale, envelopeSize)
	params.TransportDecorator = func() winrm.Transporter { return h }
	endpoint := winrm.NewEndpoint(cfg.host, cfg.port, cfg.https, cfg.insecure,
		cfg.caPEM, cfg.certPEM, cfg.keyPEM, cfg.requestTimeout())
	client, err := winrm.NewClientWithParameters(endpoint, cfg.user, cfg.password, params)
	if err != nil {
		return nil, configError("check the TLS settings (winrm_ca_cert, winrm_client_cert, winrm_client_key)",
			"WinRM client for %s: %v", cfg.name, err)
	}
	return client, nil
}

// isoDuration formats d as an xs:duration ("PT5S", "PT0.5S").
func isoDuration(d time.Duration) string {
	return "PT" + strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "S"
}
