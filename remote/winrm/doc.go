// Package winrm is remotectl's WinRM transport for Windows hosts, built on
// github.com/masterzen/winrm (requests, replies, endpoint, parameters) with
// its own HTTP transport and command flow.
//
// A Dialer (NewDialer) implements remote.Dialer. Dial resolves the target's
// settings, builds a winrm library client with fresh Parameters
// (winrm.DefaultParameters is never used nor changed) and opens a shell,
// which proves the host reachable, its certificate trusted and the
// credentials accepted. The Transport it returns reuses that shell for
// command after command.
//
// # Endpoints and authentication
//
// HTTPS on port 5986 is the default; without an explicit scheme, port 5985
// means plain HTTP (as Ansible decides). The server's certificate is
// verified against the system roots or Target.WinRM.CACert (a PEM file or a
// directory of them); Insecure skips verification, with a warning written
// once per Dialer to Options.Warn. Authentication is NTLM by default
// (Negotiate is enabled on every Windows host), Basic, or a client
// certificate (when ClientCert is set). Plain HTTP is refused unless
// messages are protected: NTLM messages are sealed over HTTP
// (MessageEncryption "auto", as Windows requires), and AllowUnencrypted
// must be set for anything else. The password comes from
// Target.PasswordEnv, Target.Password, else Options.Password.
//
// Kerberos (Auth "kerberos", or "negotiate", which falls back to NTLM when
// no ticket can be had) works as pywinrm with requests-kerberos: SPNEGO in
// the Negotiate scheme, mutual authentication required, messages encrypted
// with the Kerberos session over HTTP. Tickets come from a keytab
// (WinRM.Keytab), a password (an in-memory login to the KDC), the
// credential cache (KRB5CCNAME) or MIT's client keytab, with KRB5_CONFIG
// (else /etc/krb5.conf); the service principal is HTTP/host, host being
// WinRM.KerberosHostname or the address. Delegation is refused (gokrb5
// cannot forward tickets). See kerberos.go.
//
// # Commands
//
// Commands run in a cmd shell with the UTF-8 code page (WINRS_CODEPAGE
// 65001), so output is UTF-8; standard output and standard error are kept
// apart and written to Cmd.Stdout and Cmd.Stderr as they arrive. Cmd.Args
// are quoted for cmd.exe (the C runtime's rules, with carets where cmd.exe
// would see a quote or expand a %variable%), or, with Target.WinRM.Shell
// "powershell", for PowerShell; Cmd.Shell is passed as is (a PowerShell
// script through powershell.exe -EncodedCommand, base64 of UTF-16LE).
// Cmd.Env and Cmd.Dir become the environment and working directory of a
// shell opened for that command. A "]]>" in a command is sent intact;
// characters XML cannot carry, line breaks in cmd lines, and lines longer
// than cmd.exe's 8191 characters are refused with an error saying so.
// Cmd.Stdin is sent as it is read, concurrently with the output polls; a nil
// Stdin is an empty input.
//
// Output is polled with Receive requests the server holds for at most the
// operation timeout (Options.OperationTimeout, 5 s by default); a w:TimedOut
// fault only means "poll again". When the context is done the poll in
// flight is abandoned at once, the command is signalled to terminate and
// its shell deleted, within Options.CleanupTimeout.
//
// # Robustness
//
// The transport is the package's own winrm.Transporter over net/http: every
// reply other than 200 is an error (the library's returns HTTP 500 faults as
// successful bodies, and its command loop then spins on a Receive fault such
// as "shell not found"). A connection is used by one request at a time, so
// NTLM handshakes and sealed messages never mix across requests, and every
// connection sealing messages has its own NTLM security session (the
// library's NewEncryption shares one between concurrent requests). Errors
// are classified *remote.Error values: 401 is ClassAuth with the schemes
// the server offers in the hint; TLS failures are ClassProtocol with a hint
// naming the setting to change; refused, DNS and timeouts as for SSH; a
// shell that vanished is ClassLost.
//
// # Files
//
// Upload and Download run a PowerShell script that receives or sends the
// data as base64 lines on standard input or output (never on the command
// line) followed by its SHA-256, which the other side checks. Upload
// replaces the destination only once the data arrived intact.
package winrm
