// Package ssh is remotectl's SSH transport, built on golang.org/x/crypto/ssh.
//
// A Dialer (NewDialer) implements remote.Dialer; each Transport it returns is
// one authenticated connection to one host, reused for every command (one
// session each) and file transfer (one SFTP client) of a job.
//
// Settings come from, in order: the target (inventory), ssh_config
// (Options.ConfigFile or Target.SSH.ConfigFile; see config.go for what is
// supported: Host, Match host/originalhost/user/localuser/all, Include,
// HostName, User, Port, IdentityFile, IdentitiesOnly, CertificateFile,
// IdentityAgent, ProxyJump, ProxyCommand, UserKnownHostsFile,
// StrictHostKeyChecking, HostKeyAlias, ConnectTimeout, ServerAliveInterval,
// ServerAliveCountMax, KexAlgorithms, Ciphers, MACs, IgnoreUnknown),
// Options, and OpenSSH's defaults. ssh_config is read as strictly as OpenSSH
// reads it (config_keywords.go); Dialer.Check finds its errors before any
// connection. ssh_config and known_hosts are parsed once per Dialer.
//
// Connecting to a host takes at most its connect timeout in all: under
// remote.RetryPolicy, retries use what is left of it
// (remote.ConnectTimeLeft). A ProxyCommand runs in its own process group,
// killed with the connection (proxycommand.go).
//
// Authentication tries, in OpenSSH's order, certificates, ssh-agent keys,
// identity files (encrypted ones are unlocked with a passphrase from
// Options.PassphraseEnv, Options.AskPassProgram or the Prompter, asked once
// per key file), then keyboard-interactive and password (from the target,
// Options.Password, the askpass program or the Prompter, asked once per
// run). Without a Prompter nothing ever prompts.
//
// Host keys are checked against known_hosts (hashed entries,
// @cert-authority, @revoked, several keys per host) with the policy strict
// (default), accept-new or off. Failures are classified errors
// (*remote.Error) whose hints say what to do.
//
// Commands: Cmd.Args are quoted for a POSIX shell; Cmd.Shell is passed as
// is to /bin/sh -c. Cmd.Env is sent with "env" requests and exported on the
// command line (sshd usually refuses the requests), Cmd.Dir becomes a cd,
// become runs the command through sudo -n, or sudo -S with the become
// password as the first line of input; with Cmd.BecomeMethod "su", through
// su as Ansible's su plugin (su.go), its password prompt answered the same
// way. A command killed by a signal has
// Result.Signal set (e.g. "KILL") and ExitCode 128+n. How a command is
// prevented from outliving a timeout, a cancel or a lost connection is
// described in command.go.
package ssh
