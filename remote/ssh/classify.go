package ssh

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

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
	msg := err.Error()
	var dnsErr *net.DNSError
	var openErr *gossh.OpenChannelError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return remote.ClassCancelled, ""
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return remote.ClassTimeout, hintTimeout
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return remote.ClassTimeout, hintTimeout
		}
		return remote.ClassDNS, hintDNS
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return remote.ClassRefused, hintRefused
	case errors.As(err, &openErr):
		return classifyOpenChannel(openErr)
	case errors.As(err, new(*gossh.ExitMissingError)):
		return remote.ClassLost, hintLost
	case strings.Contains(msg, "unable to authenticate"), strings.Contains(msg, "no auth passed yet"):
		return remote.ClassAuth, hintAuth
	case errors.As(err, &netErr) && netErr.Timeout():
		return remote.ClassTimeout, hintTimeout
	case isConnectionDrop(err):
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

// isConnectionDrop reports whether err means the peer closed or reset the
// connection.
func isConnectionDrop(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection reset by peer", "broken pipe", "use of closed network connection",
		"connection lost", "EOF"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
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
