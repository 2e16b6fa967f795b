//go:build unix

package ssh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
)

func TestClassify(t *testing.T) {
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
	}
	already := &remote.Error{Class: remote.ClassHostKeyChanged, Op: "hostkey", Err: errors.New("changed"), Hint: "h"}
	tests := []struct {
		name string
		op   string
		err  error
		want remote.Class
	}{
		{"cancelled", opDial, fmt.Errorf("dial: %w", context.Canceled), remote.ClassCancelled},
		{"ctx deadline", opRun, context.DeadlineExceeded, remote.ClassTimeout},
		{"conn deadline", opHandshake, fmt.Errorf("read: %w", os.ErrDeadlineExceeded), remote.ClassTimeout},
		{"dns not found", opDial, &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, remote.ClassDNS},
		{"dns timeout", opDial, &net.DNSError{Err: "i/o timeout", Name: "x", IsTimeout: true}, remote.ClassTimeout},
		{"refused", opDial, opErr(syscall.ECONNREFUSED), remote.ClassRefused},
		{"host unreachable", opDial, opErr(syscall.EHOSTUNREACH), remote.ClassRefused},
		{"network unreachable", opDial, opErr(syscall.ENETUNREACH), remote.ClassRefused},
		{"i/o timeout", opDial, &net.OpError{Op: "dial", Err: timeoutErr{}}, remote.ClassTimeout},
		{"EOF in key exchange (MaxStartups)", opHandshake, fmt.Errorf("ssh: handshake failed: %w", io.EOF), remote.ClassProtocol},
		{"reset in key exchange", opHandshake, fmt.Errorf("ssh: handshake failed: %w", opErr(syscall.ECONNRESET)), remote.ClassProtocol},
		{"no common algorithm", opHandshake, errors.New("ssh: handshake failed: ssh: no common algorithm for host key"), remote.ClassProtocol},
		{"auth", opHandshake, errors.New("ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain"), remote.ClassAuth},
		{"already classified", opHandshake, fmt.Errorf("ssh: handshake failed: %w", already), remote.ClassHostKeyChanged},
		{"no exit status", opRun, &gossh.ExitMissingError{}, remote.ClassLost},
		{"EOF mid-command", opRun, io.EOF, remote.ClassLost},
		{"reset mid-command", opRun, opErr(syscall.ECONNRESET), remote.ClassLost},
		{"forward refused", opDial, &gossh.OpenChannelError{Reason: gossh.ConnectionFailed, Message: "Connection refused"}, remote.ClassRefused},
		{"forward unknown host", opDial, &gossh.OpenChannelError{Reason: gossh.ConnectionFailed, Message: "Name or service not known"}, remote.ClassDNS},
		{"forward prohibited", opDial, &gossh.OpenChannelError{Reason: gossh.Prohibited, Message: "administratively prohibited"}, remote.ClassOther},
		{"unknown while connecting", opHandshake, errors.New("something odd"), remote.ClassProtocol},
		{"unknown while running", opRun, errors.New("something odd"), remote.ClassOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.op, tt.err)
			if got := remote.ClassOf(err); got != tt.want {
				t.Errorf("classify(%s, %v) = %v, want %v", tt.op, tt.err, got, tt.want)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("errors.Is(err, %v) is false", tt.want)
			}
			if tt.want.Unreachable() && tt.want != remote.ClassOther && remote.HintOf(err) == "" {
				t.Errorf("no hint for %v", tt.want)
			}
		})
	}
	if classify(opRun, nil) != nil {
		t.Error("classify(nil) != nil")
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
