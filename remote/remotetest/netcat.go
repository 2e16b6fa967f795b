package remotetest

import (
	"fmt"
	"io"
	"net"
	"os"
)

// NetcatEnv, set to 1 in the environment of a test binary whose TestMain
// calls MaybeNetcat, makes the binary a minimal netcat: `BINARY HOST PORT`
// connects to HOST:PORT and relays its stdin and stdout, as `nc HOST PORT`
// does. Tests use it as a ProxyCommand without depending on an installed nc.
const NetcatEnv = "REMOTETEST_NETCAT"

// MaybeNetcat runs the netcat (see NetcatEnv) and exits when the
// environment asks for it; otherwise it returns at once.
func MaybeNetcat() {
	if os.Getenv(NetcatEnv) != "1" {
		return
	}
	os.Exit(Netcat(os.Args[1:]))
}

// Netcat connects to args[0]:args[1] and relays stdin to the connection and
// the connection to stdout, until the connection ends. It returns the exit
// status.
func Netcat(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: netcat HOST PORT")
		return 2
	}
	c, err := net.Dial("tcp", net.JoinHostPort(args[0], args[1]))
	if err != nil {
		fmt.Fprintln(os.Stderr, "netcat:", err)
		return 1
	}
	go func() {
		_, _ = io.Copy(c, os.Stdin)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	_, _ = io.Copy(os.Stdout, c)
	return 0
}
