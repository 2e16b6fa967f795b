package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote/remotetest"
)

// blackHole listens on loopback, accepts connections and never answers (no
// SSH banner). It returns its port.
func blackHole(t *testing.T) int {
	return remotetest.ServeRaw(t, func(net.Conn) {}).Port
}

// TestConnectTimeoutPrecedence: an explicit --connect-timeout or the host's
// own connect_timeout wins; otherwise ssh_config's ConnectTimeout; otherwise
// the 10s default. The bounds asserted are loose (the budget used is ~1s,
// the default would be 10s), and the message names the timeout used.
func TestConnectTimeoutPrecedence(t *testing.T) {
	t.Setenv("REMOTECTL_CONNECT_TIMEOUT", "")
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	port := blackHole(t)
	write := func(name, data string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	inv := write("inv.yaml", fmt.Sprintf("hosts:\n  stuck: { address: 127.0.0.1, port: %d, user: u }\n"+
		"  own: { address: 127.0.0.1, port: %d, user: u, connection: { connect_timeout: 1s } }\n", port, port))
	conf := write("ssh_config", "Host *\n  ConnectTimeout 1\n")
	slow := write("ssh_config_slow", "Host *\n  ConnectTimeout 20\n")
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"ssh_config over the default", []string{"-H", "stuck", "--ssh-config", conf}, "connect timeout of 1s"},
		{"explicit flag over ssh_config", []string{"-H", "stuck", "--ssh-config", slow, "--connect-timeout", "1s"}, "connect timeout of 1s"},
		{"inventory over ssh_config", []string{"-H", "own", "--ssh-config", slow}, "connect timeout of 1s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"exec", "-i", inv, "--known-hosts", filepath.Join(dir, "kh"),
				"--host-key-policy", "off"}, tt.args...)
			start := time.Now()
			_, stderr, code := runForTest(t, append(args, "--", "true")...)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %s: the 1s connect timeout did not apply", took.Round(time.Millisecond))
			}
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant %q", code, stderr, tt.want)
			}
		})
	}
}
