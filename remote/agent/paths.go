// Package agent is remotectl's per-user connection agent (--persist): a
// process that holds the SSH connections of past runs so that the next run
// opens sessions on them instead of paying the handshake again, as OpenSSH's
// ControlPersist does for one host. It owns the agent server (Serve), its
// socket protocol (frames over a Unix socket, see wire.go) and the
// remote.Dialer a run uses to talk to it (Dialer), whose transports forward
// Run, Upload, Download and OS to connections the agent holds.
package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// SocketName is the agent's socket in its directory. It names the
// protocol's version: an agent left running by a remotectl whose protocol
// differs keeps its own socket (and lock) until it idles out, and never
// meets a client it cannot understand.
const SocketName = "agent-2.sock"

// SocketPath returns the socket of the current user's agent:
// $XDG_RUNTIME_DIR/remotectl/SocketName, else /tmp/remotectl-UID/SocketName.
// The directory is created (0700) when missing and refused when it is not
// a directory of the current user that no one else may enter: another user
// could otherwise put a socket of their own there.
func SocketPath(getenv func(string) string) (string, error) {
	dir := filepath.Join(os.TempDir(), "remotectl-"+strconv.Itoa(os.Getuid()))
	if rt := getenv("XDG_RUNTIME_DIR"); rt != "" {
		dir = filepath.Join(rt, "remotectl")
	}
	if err := privateDir(dir); err != nil {
		return "", err
	}
	return filepath.Join(dir, SocketName), nil
}

// privateDir makes sure dir is a directory (not a link) owned by the
// current user with no access for group and others, creating it if needed.
func privateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("agent directory: %w", err)
	}
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("agent directory: %w", err)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	switch {
	case !info.IsDir():
		return fmt.Errorf("agent directory %s is not a directory (%v): refusing to use it", dir, info.Mode().Type())
	case !ok || int(st.Uid) != os.Getuid():
		return fmt.Errorf("agent directory %s is not owned by uid %d: refusing to use it", dir, os.Getuid())
	case info.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("agent directory %s has mode %v, others may use it: refusing it (chmod 700 %s)", dir, info.Mode().Perm(), dir)
	}
	return nil
}
