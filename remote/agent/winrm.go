package agent

import (
	"context"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/remotectl/remotectl/doctor"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/winrm"
)

// WinRMConfig configures a WinRMDialer.
type WinRMConfig struct {
	// Socket is the agent's socket ("": SocketPath(Getenv)).
	Socket string
	// Persist is how long the agent holds a connection once idle.
	Persist time.Duration
	// Options are the WinRM options the agent dials new connections with,
	// as the run would dial them itself (Warn stays in the run; Getenv is
	// the run's environment, whose values the settings name cross the
	// socket with a new connection's request).
	Options winrm.Options
	// Start starts the agent when none answers on Socket (nil: none is
	// started and dialing fails).
	Start func() error
}

// WinRMDialer is a remote.Dialer whose transports are WinRM connections
// held by the agent: an HTTP client whose keep-alive connections (with
// their NTLM or Kerberos security contexts, and TLS sessions) and shell
// serve the next run with the same identity (winrm.Dialer.Identity: the
// endpoint, transport, TLS settings and certificates, authentication and
// credentials). The run resolves its settings itself, with its own
// environment: a setting Dial would refuse fails here, before the agent
// is asked.
type WinRMDialer struct {
	cfg   WinRMConfig
	local *winrm.Dialer
	run   string
	cl    *client
}

var _ remote.Dialer = (*WinRMDialer)(nil)

// NewWinRMDialer returns a WinRMDialer of cfg.
func NewWinRMDialer(cfg WinRMConfig) (*WinRMDialer, error) {
	if cfg.Options.Getenv == nil {
		cfg.Options.Getenv = os.Getenv
	}
	if cfg.Socket == "" {
		var err error
		if cfg.Socket, err = SocketPath(cfg.Options.Getenv); err != nil {
			return nil, err
		}
	}
	return &WinRMDialer{cfg: cfg, local: winrm.NewDialer(cfg.Options), run: newLease(),
		cl: &client{socket: cfg.Socket, start: cfg.Start}}, nil
}

// Dial leases a WinRM connection to t from the agent, which opens it when
// it holds none with t's identity.
func (d *WinRMDialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	t.Vars = nil
	absWinRMPaths(&t)
	id, err := d.local.Identity(t)
	if err != nil {
		return nil, err
	}
	o := d.cfg.Options
	full := &dialRequest{Kind: remote.KindWinRM, Target: t, Env: d.env(t), Run: d.run, Persist: d.cfg.Persist,
		WinRM: winrmOptions{Password: o.Password, ConnectTimeout: o.ConnectTimeout,
			OperationTimeout: o.OperationTimeout, CleanupTimeout: o.CleanupTimeout}}
	find := request{Op: "dial", Deadline: deadlineOf(ctx), Key: "winrm/" + id, Persist: d.cfg.Persist}
	lease, c, err := d.cl.lease(ctx, find, full, func(_ net.Conn, rep reply) (reply, error) { return rep, nil })
	if err != nil {
		return nil, err
	}
	return &WinRMTransport{t: &Transport{cl: d.cl, lease: lease, conn: c}}, nil
}

// env returns the values of the environment variables the settings of t
// and the Kerberos library name: only these cross the socket.
func (d *WinRMDialer) env(t remote.Target) map[string]string {
	env := map[string]string{}
	for _, name := range []string{t.PasswordEnv, "KRB5CCNAME", "KRB5_CONFIG", "KRB5_CLIENT_KTNAME"} {
		if v := d.cfg.Options.Getenv(name); name != "" && v != "" {
			env[name] = v
		}
	}
	return env
}

// absWinRMPaths makes the relative file names of t's WinRM settings
// absolute: the agent runs in a directory of its own.
func absWinRMPaths(t *remote.Target) {
	w := &t.WinRM
	for _, p := range []*string{&w.CACert, &w.ClientCert, &w.ClientKey, &w.Keytab} {
		if *p != "" && !filepath.IsAbs(*p) {
			if a, err := filepath.Abs(*p); err == nil {
				*p = a
			}
		}
	}
}

// WinRMTransport is a WinRM connection the agent holds, leased to this
// run until Close. It implements remote.Transport only, as winrm.Transport
// does (no tree copies, no tunnels).
type WinRMTransport struct {
	t *Transport
}

var _ remote.Transport = (*WinRMTransport)(nil)

// Run runs cmd on the held connection (see Transport.Run).
func (w *WinRMTransport) Run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
	return w.t.Run(ctx, cmd)
}

// Upload copies src to dst on the host.
func (w *WinRMTransport) Upload(ctx context.Context, dst string, src io.Reader, mode fs.FileMode) error {
	return w.t.Upload(ctx, dst, src, mode)
}

// Download copies the host's src to dst.
func (w *WinRMTransport) Download(ctx context.Context, src string, dst io.Writer) error {
	return w.t.Download(ctx, src, dst)
}

// OS implements remote.Transport: WinRM hosts run Windows.
func (w *WinRMTransport) OS() remote.OSFamily { return remote.OSWindows }

// Close gives the connection back to the agent, which keeps it open.
func (w *WinRMTransport) Close() error { return w.t.Close() }

// Local returns the run's own WinRM dialer (doctor).
func (d *WinRMDialer) Local() *winrm.Dialer { return d.local }

// WinRMDoctorStepsOver is winrm.DoctorStepsOver over the run's own WinRM
// dialer: doctor diagnoses connecting itself, so it always opens fresh
// connections, with --persist too.
func WinRMDoctorStepsOver(dialer func() (remote.Dialer, error)) doctor.Steps {
	return winrm.DoctorStepsOver(func() (remote.Dialer, error) {
		d, err := dialer()
		if ad, ok := d.(*WinRMDialer); ok {
			return ad.Local(), err
		}
		return d, err
	})
}
