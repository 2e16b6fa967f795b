package remote

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// NetClass classifies the failures of the network layer that every
// transport meets: the context ending, name resolution, refused or
// unreachable destinations, and i/o timeouts. It returns ClassNone for any
// other error, which the transport then classifies itself.
func NetClass(err error) Class {
	var (
		dnsErr *net.DNSError
		netErr net.Error
	)
	switch {
	case err == nil:
		return ClassNone
	case errors.Is(err, context.Canceled):
		return ClassCancelled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ClassTimeout
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return ClassTimeout
		}
		return ClassDNS
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return ClassRefused
	case errors.As(err, &netErr) && netErr.Timeout():
		return ClassTimeout
	}
	return ClassNone
}

// IsConnectionDrop reports whether err means the peer closed or reset the
// connection (while connecting, OpenSSH's MaxStartups does exactly that;
// afterwards, the outcome of what was running is unknown).
func IsConnectionDrop(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection reset by peer", "broken pipe", "use of closed network connection",
		"connection lost", "server closed", "EOF"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
