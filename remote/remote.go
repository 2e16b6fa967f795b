// Package remote is the transport-neutral core of remotectl: what a host is
// (Target), what to run on it (Cmd), what came back (Result), the Transport
// contract every protocol implements, error classes, and the Runner that fans
// a job out over many hosts.
package remote

import (
	"context"
	"io"
	"io/fs"
	"net"
	"time"
)

// OSFamily is the operating-system family of a connected host.
type OSFamily string

const (
	OSUnknown OSFamily = ""
	OSLinux   OSFamily = "linux"
	OSUnix    OSFamily = "unix" // POSIX host that is not (known to be) Linux
	OSWindows OSFamily = "windows"
)

// Transport kinds, as written in inventories and in Target.Transport: the
// one set of names (package inventory validates with it; cmd/remotectl's
// transport registry has a row for each).
const (
	KindSSH   = "ssh"
	KindWinRM = "winrm"
	KindLocal = "local"
)

// Target is one host as the runner sees it: a name for reports and everything a
// transport needs to reach it. Timeouts live here (never in package globals) so
// tests can run in parallel with different values.
type Target struct {
	Name      string // inventory name, used in every report line
	Address   string // host name or IP to connect to; Name when empty
	Port      int    // 0 means the transport's default
	Transport string // KindSSH, KindWinRM or KindLocal
	User      string

	ConnectTimeout time.Duration // TCP + handshake + auth; 0 means the transport default

	// PasswordEnv names an environment variable holding the login password,
	// for the transports that log in with one. Passwords are never taken
	// from argv.
	PasswordEnv string
	// Password comes from an inventory (ansible_password); never logged.
	Password string

	SSH   SSHSettings
	WinRM WinRMSettings

	// Become runs commands through sudo (POSIX) when set.
	Become     bool
	BecomeUser string
	// BecomeMethod is how a Cmd that does not say becomes BecomeUser:
	// "sudo" (also when empty) or "su" (ansible-playbook's --become-method
	// and ansible.cfg's become_method).
	BecomeMethod string
	// BecomePasswordEnv names an environment variable holding the sudo password.
	BecomePasswordEnv string

	// Vars are the merged inventory variables; transports ignore them, jobs
	// (checks, playbooks) read them.
	Vars map[string]any
}

// Addr returns the address to connect to.
func (t Target) Addr() string {
	if t.Address != "" {
		return t.Address
	}
	return t.Name
}

// SSHSettings are the SSH-only connection settings of a target. Empty fields
// fall back to ~/.ssh/config and then OpenSSH defaults.
type SSHSettings struct {
	IdentityFiles  []string
	IdentitiesOnly bool
	ProxyJump      string // "user@host:port,host2" as in OpenSSH
	ProxyCommand   string // as in OpenSSH (%h %p %r %n %% expanded); ProxyJump wins
	IdentityAgent  string // as in OpenSSH: "none", a socket path or $VAR; "" ssh_config's, else $SSH_AUTH_SOCK
	HostKeyPolicy  string // "strict" (default), "accept-new", "off"
	KnownHostsFile string
	ConfigFile     string // ssh_config to read; "" means ~/.ssh/config
}

// WinRMSettings are the WinRM-only connection settings of a target.
type WinRMSettings struct {
	HTTPS      *bool  // nil means the default (HTTPS)
	Insecure   bool   // skip TLS verification (explicit only)
	Auth       string // "basic", "ntlm", "certificate", "kerberos", "negotiate"
	CACert     string
	ClientCert string
	ClientKey  string
	Shell      string // "cmd" or "powershell"
	// AllowUnencrypted permits plain HTTP without NTLM message encryption
	// (Basic over HTTP, or NTLM with MessageEncryption "never"), as the
	// server's AllowUnencrypted setting does. Never the default.
	AllowUnencrypted bool
	// MessageEncryption is Ansible's ansible_winrm_message_encryption:
	// "auto" (default: NTLM messages are sealed over HTTP), "always" (sealed
	// over HTTPS too) or "never".
	MessageEncryption string
	// Kerberos ("kerberos", or "negotiate" choosing it): Keytab logs the
	// user in with a keytab rather than the credential cache or a password;
	// KerberosHostname names the host in its service principal
	// (HTTP/KerberosHostname) instead of its address; KerberosDelegation
	// asks for the ticket to be forwarded.
	Keytab             string
	KerberosHostname   string
	KerberosDelegation bool
	// KinitMode is Ansible's ansible_winrm_kinit_mode: "managed" (the
	// default: a password, when there is one, logs in to the KDC) or
	// "manual" (always the credential cache).
	KinitMode string
}

// Cmd is one command to run on a host.
type Cmd struct {
	// Args is an argv. Transports that run through a shell quote each element,
	// so Args{"echo", "a b"} prints "a b" everywhere.
	Args []string
	// Shell, when set instead of Args, is a command line handed to the remote
	// shell as is (pipes, redirections).
	Shell string

	Stdin  io.Reader // nil means no input
	Stdout io.Writer // streamed as it arrives; nil discards
	Stderr io.Writer

	Env map[string]string
	Dir string
	PTY bool

	Become     bool
	BecomeUser string
	// BecomeMethod is how the transport becomes BecomeUser: "sudo" (also
	// when empty) or "su" (Ansible's su become plugin).
	BecomeMethod string
	// BecomeFlags are the method's extra options (Ansible's become_flags),
	// split as a shell would; used by su.
	BecomeFlags string
	// BecomePassword is the password the become method asks for (the
	// host's ansible_become_password); never logged. Empty means the
	// transport's own (--ask-become-pass, become_password_env).
	BecomePassword string

	// Pooled marks a short command of remotectl's own (a module's helper
	// script, a probe) whose caller reads only its output and exit code:
	// a transport may run it on a shell it keeps open on the connection
	// instead of a session of its own (SSH: remote/ssh/shell.go), where a
	// signal that kills it reports the shell's 128+N as its exit code. A
	// command of the user's (exec, a task's command, shell, raw or script)
	// is never pooled.
	Pooled bool
}

// Result is the outcome of a command that ran to completion on a host.
type Result struct {
	ExitCode int
	Signal   string // set when the command was killed by a signal (e.g. "KILL")
	Duration time.Duration
	// Detail is what a Job produced besides its status, for the renderer of
	// its results (a check job's []checks.Result); nil for a command. It
	// travels on the host's EventDone, so results flow as events.
	Detail any
}

// Transport is a connection to one host. Run blocks until the command exits or
// ctx is done. A non-zero exit is Result.ExitCode, not an error. An error means
// the outcome is unknown (never started, connection lost, no exit status, ctx
// done) and is classified (see Class).
type Transport interface {
	Run(ctx context.Context, cmd *Cmd) (Result, error)
	Upload(ctx context.Context, dst string, src io.Reader, mode fs.FileMode) error
	Download(ctx context.Context, src string, dst io.Writer) error
	OS() OSFamily
	Close() error
}

// Dialer opens a Transport to a target.
type Dialer interface {
	Dial(ctx context.Context, t Target) (Transport, error)
}

// DialerFunc adapts a function to Dialer.
type DialerFunc func(ctx context.Context, t Target) (Transport, error)

// Dial calls f.
func (f DialerFunc) Dial(ctx context.Context, t Target) (Transport, error) { return f(ctx, t) }

// NetDialer is an optional capability: a transport that can open network
// connections from the remote host (SSH direct-tcpip channels).
type NetDialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}
