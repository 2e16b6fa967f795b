package ssh

import (
	"errors"
	"strings"

	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
)

// Operations named in classified errors.
const (
	opDial      = "dial"      // TCP connect (directly or through a bastion)
	opHandshake = "handshake" // SSH key exchange, host key check and authentication
	opBastion   = "bastion"   // connecting to a ProxyJump host
	opRun       = "run"
	opBecome    = "become"
	opUpload    = "upload"
	opDownload  = "download"
)

// Hints for each class decided here.
const (
	hintDNS      = "check the host name, or set the host's address in the inventory (ansible_host)"
	hintRefused  = "check that sshd runs on the host and listens on that port (ansible_port / Port)"
	hintTimeout  = "the host did not answer in time: check that it is up and reachable, or raise the connect timeout"
	hintProtocol = "the server closed the connection during the handshake, as OpenSSH does under load (MaxStartups); retrying usually helps"
	hintAuth     = "check the user, the keys offered (agent, IdentityFile) and the password settings"
	hintLost     = "the connection dropped while the command ran: it may or may not have completed"
	hintForward  = "the bastion refuses TCP forwarding: set AllowTcpForwarding yes in its sshd_config"
)

// classify turns an error from dialing, the SSH handshake, a channel or a
// session into a classified *remote.Error. It is the only place where
// library errors are recognized by their text. Errors already classified
// keep their class. op says what was being done: connection-level EOFs and
// resets are ClassProtocol while connecting (OpenSSH's MaxStartups drops
// connections that way; the Runner retries them) and ClassLost afterwards.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var re *remote.Error
	if errors.As(err, &re) {
		return err
	}
	class, hint := classOf(op, err)
	return &remote.Error{Class: class, Op: op, Err: err, Hint: hint}
}

func classOf(op string, err error) (remote.Class, string) {
	connecting := op == opDial || op == opHandshake || op == opBastion
	if c := remote.NetClass(err); c != remote.ClassNone {
		return c, netHint(c)
	}
	msg := err.Error()
	var openErr *gossh.OpenChannelError
	switch {
	case errors.As(err, &openErr):
		return classifyOpenChannel(openErr)
	case errors.As(err, new(*gossh.ExitMissingError)):
		return remote.ClassLost, hintLost
	case strings.Contains(msg, "unable to authenticate"), strings.Contains(msg, "no auth passed yet"):
		return remote.ClassAuth, hintAuth
	case remote.IsConnectionDrop(err):
		if connecting {
			return remote.ClassProtocol, hintProtocol
		}
		return remote.ClassLost, hintLost
	case strings.HasPrefix(msg, "ssh: handshake failed"), strings.Contains(msg, "ssh: no common algorithm"),
		strings.Contains(msg, "ssh: disconnect"), strings.Contains(msg, "ssh: overflow"),
		strings.Contains(msg, "ssh: unexpected message"):
		return remote.ClassProtocol, hintProtocol
	}
	if connecting {
		return remote.ClassProtocol, hintProtocol
	}
	return remote.ClassOther, ""
}

// netHint is the hint for a class remote.NetClass decided.
func netHint(c remote.Class) string {
	switch c {
	case remote.ClassDNS:
		return hintDNS
	case remote.ClassRefused:
		return hintRefused
	case remote.ClassTimeout:
		return hintTimeout
	}
	return ""
}

// classifyOpenChannel classifies a rejected direct-tcpip (or session) channel:
// the bastion relays the failure of its own connect().
func classifyOpenChannel(e *gossh.OpenChannelError) (remote.Class, string) {
	msg := strings.ToLower(e.Message)
	switch {
	case e.Reason == gossh.Prohibited:
		return remote.ClassOther, hintForward
	case strings.Contains(msg, "refused"), strings.Contains(msg, "unreachable"):
		return remote.ClassRefused, hintRefused
	case strings.Contains(msg, "name or service not known"), strings.Contains(msg, "no address"),
		strings.Contains(msg, "not known"), strings.Contains(msg, "resolve"):
		return remote.ClassDNS, hintDNS
	case strings.Contains(msg, "timed out"), strings.Contains(msg, "timeout"):
		return remote.ClassTimeout, hintTimeout
	}
	return remote.ClassProtocol, hintProtocol
}
