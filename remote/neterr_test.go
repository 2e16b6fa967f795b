package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestNetClass(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Class
	}{
		{nil, ClassNone},
		{context.Canceled, ClassCancelled},
		{fmt.Errorf("dial: %w", context.DeadlineExceeded), ClassTimeout},
		{os.ErrDeadlineExceeded, ClassTimeout},
		{&net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}, ClassDNS},
		{&net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}, ClassTimeout},
		{&net.OpError{Op: "dial", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}, ClassRefused},
		{&net.OpError{Op: "dial", Err: syscall.EHOSTUNREACH}, ClassRefused},
		{&net.OpError{Op: "read", Err: timeoutErr{}}, ClassTimeout},
		{errors.New("ssh: unable to authenticate"), ClassNone},
		{io.EOF, ClassNone},
	} {
		if got := NetClass(tc.err); got != tc.want {
			t.Errorf("NetClass(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestIsConnectionDrop(t *testing.T) {
	for _, err := range []error{io.EOF, io.ErrUnexpectedEOF, net.ErrClosed, syscall.ECONNRESET,
		fmt.Errorf("read: %w", syscall.EPIPE), errors.New("ssh: handshake failed: EOF"),
		errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer")} {
		if !IsConnectionDrop(err) {
			t.Errorf("IsConnectionDrop(%v) = false", err)
		}
	}
	for _, err := range []error{nil, errors.New("permission denied"), context.Canceled} {
		if IsConnectionDrop(err) {
			t.Errorf("IsConnectionDrop(%v) = true", err)
		}
	}
}
