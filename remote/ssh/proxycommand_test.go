//go:build unix

package ssh

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// netcatCommand is a ProxyCommand line running this test binary as a
// netcat (see remotetest.NetcatEnv) to %h %p.
func netcatCommand(t *testing.T) string {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return remotetest.NetcatEnv + "=1 exec " + quote(bin) + " %h %p"
}

func TestSSHDProxyCommand(t *testing.T) {
	_, targets := startFleet(t, remotetest.SSHDOptions{Hosts: 3})
	home := t.TempDir()
	log := filepath.Join(home, "proxied")
	// sh -c, so that the line can log, and leave a child behind that
	// must die with the connection.
	line := fmt.Sprintf("sh -c 'echo %%r@%%h:%%p >> %s; sleep 30.41 & %s'", log, netcatCommand(t))
	cfg := writeFile(t, home, ".ssh/config", "Host *\n  ProxyCommand "+line+"\n")
	d := newTestDialer(t, Options{Home: home, ConfigFile: cfg})
	for i := range targets {
		targets[i].SSH.ConfigFile = ""
	}
	// The inventory's ProxyCommand wins over ssh_config's.
	targets[2].SSH.ProxyCommand = strings.Replace(line, "30.41", "30.42", 1)
	done, stdout, _ := runJob(t, &remote.Runner{Dialer: d}, targets, cmdJob(remote.Cmd{Args: []string{"echo", "ok"}}))
	for i, ev := range done {
		if ev.Err != nil || stdout[i] != "ok\n" {
			t.Errorf("%s: %v %q", targets[i].Name, ev.Err, stdout[i])
		}
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		if want := fmt.Sprintf("%s@%s:%d\n", tg.User, tg.Address, tg.Port); !strings.Contains(string(data), want) {
			t.Errorf("the ProxyCommand was not run for %s with its tokens expanded (%q); log:\n%s", tg.Name, want, data)
		}
	}
	// The connections are closed: the ProxyCommands' process groups with
	// them.
	waitGone(t, "sleep 30[.]4[12]")
}

func TestProxyCommandBoundedAndKilled(t *testing.T) {
	tests := []struct {
		name    string
		command string
		cancel  bool
		class   remote.Class
		says    string
	}{
		{"silent command times out", "sh -c 'sleep 60.31 & sleep 60.32'", false, remote.ClassTimeout, "connect timeout"},
		{"cancelled dial", "sh -c 'sleep 60.33 & sleep 60.34'", true, remote.ClassCancelled, ""},
		{"failing command says why", "sh -c 'echo no route to %h >&2; exit 1'", false, remote.ClassProtocol,
			"the ProxyCommand said: no route to 10.9.8.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDialer(t, Options{ConnectTimeout: time.Second})
			target := remote.Target{Name: "far", Address: "10.9.8.7", Port: 22, User: "u",
				SSH: remote.SSHSettings{ProxyCommand: tt.command}}
			ctx, cancel := context.WithCancel(testContext(t))
			defer cancel()
			if tt.cancel {
				time.AfterFunc(200*time.Millisecond, cancel)
			}
			start := time.Now()
			_, err := d.Dial(ctx, target)
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("dial took %s with a connect timeout of 1s", elapsed)
			}
			wantClass(t, err, tt.class)
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
			waitGone(t, "sleep 60[.]3[1-4]")
		})
	}
}

func TestProxyCommandTokens(t *testing.T) {
	p := &hostParams{hostname: "10.0.0.5", port: 2222, user: "deploy", alias: "web01",
		proxyCommand: "ssh -W %h:%p -l %r gw # %n 100%%"}
	got, err := p.proxyCommandLine()
	if want := "ssh -W 10.0.0.5:2222 -l deploy gw # web01 100%"; err != nil || got != want {
		t.Errorf("proxyCommandLine = %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"nc %h %x", "nc %h %"} {
		p.proxyCommand = bad
		if _, err := p.proxyCommandLine(); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// An unknown token is a configuration error found before connecting.
	d := newTestDialer(t, Options{})
	err = d.Check([]remote.Target{{Name: "h", SSH: remote.SSHSettings{ProxyCommand: "nc %h %x"}}})
	if err == nil || !strings.Contains(err.Error(), "host h") || !strings.Contains(err.Error(), "%x") {
		t.Errorf("Check = %v; want the unknown token named with the host", err)
	}
}
