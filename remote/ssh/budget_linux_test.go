package ssh

import (
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// fullBacklogTarget is a loopback port whose listener never accepts and
// whose backlog is full: Linux drops further SYNs, so a connect there goes
// unanswered, as to an address where nothing answers.
func fullBacklogTarget(t *testing.T) remote.Target {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*syscall.SockaddrInet4).Port
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// Fill the backlog until a connect goes unanswered.
	for i := 0; ; i++ {
		if i == 16 {
			t.Skip("the listen backlog never filled up")
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return remote.Target{Name: "unanswered", Address: "127.0.0.1", Port: port, Transport: remote.KindSSH, User: "test"}
}
