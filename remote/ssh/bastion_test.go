//go:build unix

package ssh

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

func TestParseJumpList(t *testing.T) {
	tests := []struct {
		in   string
		want []jumpHost
	}{
		{"bastion", []jumpHost{{host: "bastion"}}},
		{"u@b:2222,c", []jumpHost{{user: "u", host: "b", port: 2222}, {host: "c"}}},
		{"ssh://u@b:2200", []jumpHost{{user: "u", host: "b", port: 2200}}},
		{"[::1]:2022", []jumpHost{{host: "::1", port: 2022}}},
		{"[::1]", []jumpHost{{host: "::1"}}},
		{"a@b@host", []jumpHost{{user: "a@b", host: "host"}}},
	}
	for _, tt := range tests {
		got, err := parseJumpList(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseJumpList(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "a,,b", "h:port", "h:70000", "u@"} {
		if _, err := parseJumpList(bad); err == nil {
			t.Errorf("parseJumpList(%q) accepted", bad)
		}
	}
}

// jumpFixture is a set of in-process servers sharing one client key, kept
// at Home/.ssh/id_ed25519 so jump hosts find it by default, and one
// known_hosts file trusting them all.
type jumpFixture struct {
	home, khFile string
	signer       gossh.Signer
	lines        []string
}

func newJumpFixture(t *testing.T) *jumpFixture {
	signer, keyFile := remotetest.NewTestKey(t)
	f := &jumpFixture{home: t.TempDir(), signer: signer}
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, f.home, ".ssh/id_ed25519", string(data))
	f.khFile = writeFile(t, f.home, ".ssh/known_hosts", "")
	return f
}

func (f *jumpFixture) server(t *testing.T, opts remotetest.SSHServerOptions) *remotetest.SSHServer {
	opts.AuthorizedKeys = []gossh.PublicKey{f.signer.PublicKey()}
	if opts.Handler == nil {
		opts.Handler = shHandler
	}
	srv := remotetest.StartSSHServer(t, opts)
	f.lines = append(f.lines, srv.KnownHostsLine)
	if err := os.WriteFile(f.khFile, []byte(strings.Join(f.lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv
}

func (f *jumpFixture) dialer(t *testing.T, opts Options) *Dialer {
	opts.Home = f.home
	return newTestDialer(t, opts)
}

func jumpTarget(srv *remotetest.SSHServer, name, jump string) remote.Target {
	return remote.Target{Name: name, Address: srv.Addr, Port: srv.Port, User: "test",
		SSH: remote.SSHSettings{ProxyJump: jump}}
}

func jumpSpec(srv *remotetest.SSHServer) string { return "test@" + srv.HostPort() }

func TestBastionSharedConnection(t *testing.T) {
	f := newJumpFixture(t)
	bastion := f.server(t, remotetest.SSHServerOptions{AllowTCPForwarding: true})
	var targets []*remotetest.SSHServer
	for range 20 {
		targets = append(targets, f.server(t, remotetest.SSHServerOptions{}))
	}
	d := f.dialer(t, Options{BastionChannels: 3})
	transports := make([]*Transport, len(targets))
	var wg sync.WaitGroup
	for i, srv := range targets {
		wg.Go(func() {
			tr, err := d.DialSSH(testContext(t), jumpTarget(srv, fmt.Sprintf("t%02d", i), jumpSpec(bastion)))
			if err != nil {
				t.Errorf("t%02d: %v", i, err)
				return
			}
			transports[i] = tr
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for i, tr := range transports {
		var out bytes.Buffer
		if _, err := tr.Run(testContext(t), &remote.Cmd{Args: []string{"echo", "via bastion"}, Stdout: &out}); err != nil || out.String() != "via bastion\n" {
			t.Errorf("t%02d: %v %q", i, err, out.String())
		}
	}
	if n := bastion.ConnCount(); n != 1 {
		t.Errorf("bastion accepted %d connections, want 1 shared", n)
	}
	for _, tr := range transports {
		tr.Close()
	}
	d.bastions.mu.Lock()
	left := len(d.bastions.conns)
	d.bastions.mu.Unlock()
	if left != 0 {
		t.Errorf("%d bastion connections left after the last user closed", left)
	}
	// A new dial connects to the bastion again.
	dialTransport(t, d, jumpTarget(targets[0], "again", jumpSpec(bastion)))
	if n := bastion.ConnCount(); n != 2 {
		t.Errorf("bastion connections = %d, want 2", n)
	}
	bastion.Close()
	if n := len(bastion.Forwards()); n != len(targets)+1 {
		t.Errorf("bastion forwarded %d channels, want %d", n, len(targets)+1)
	}
}

func TestBastionChain(t *testing.T) {
	f := newJumpFixture(t)
	first := f.server(t, remotetest.SSHServerOptions{AllowTCPForwarding: true})
	second := f.server(t, remotetest.SSHServerOptions{AllowTCPForwarding: true})
	target := f.server(t, remotetest.SSHServerOptions{})
	d := f.dialer(t, Options{})
	tr := dialTransport(t, d, jumpTarget(target, "deep", jumpSpec(first)+","+jumpSpec(second)))
	var out bytes.Buffer
	if _, err := tr.Run(testContext(t), &remote.Cmd{Args: []string{"echo", "deep"}, Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if first.ConnCount() != 1 || second.ConnCount() != 1 {
		t.Errorf("connections: first %d, second %d", first.ConnCount(), second.ConnCount())
	}
	first.Close()
	second.Close()
	if fw := first.Forwards(); len(fw) != 1 || fw[0] != second.HostPort() {
		t.Errorf("first forwarded to %q, want the second jump host", fw)
	}
	if fw := second.Forwards(); len(fw) != 1 || fw[0] != target.HostPort() {
		t.Errorf("second forwarded to %q, want the target", fw)
	}
}

func TestBastionFromSSHConfig(t *testing.T) {
	f := newJumpFixture(t)
	bastion := f.server(t, remotetest.SSHServerOptions{AllowTCPForwarding: true})
	target := f.server(t, remotetest.SSHServerOptions{})
	cfg := writeFile(t, f.home, ".ssh/config", fmt.Sprintf(
		"Host jump\n  HostName %s\n  Port %d\n  User test\n\nHost behind\n  HostName %s\n  Port %d\n  ProxyJump jump\n",
		bastion.Addr, bastion.Port, target.Addr, target.Port))
	d := f.dialer(t, Options{ConfigFile: cfg})
	dialTransport(t, d, remote.Target{Name: "behind", User: "test"})
	bastion.Close()
	if bastion.ConnCount() != 1 || len(bastion.Forwards()) != 1 {
		t.Errorf("bastion: %d connections, forwards %q", bastion.ConnCount(), bastion.Forwards())
	}
}

func TestBastionErrors(t *testing.T) {
	f := newJumpFixture(t)
	noForward := f.server(t, remotetest.SSHServerOptions{})
	bastion := f.server(t, remotetest.SSHServerOptions{AllowTCPForwarding: true})
	target := f.server(t, remotetest.SSHServerOptions{})
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().(*net.TCPAddr)
	closed.Close()
	d := f.dialer(t, Options{})

	_, err := d.Dial(testContext(t), jumpTarget(target, "t", jumpSpec(noForward)))
	wantClass(t, err, remote.ClassOther)
	if !strings.Contains(remote.HintOf(err), "AllowTcpForwarding") {
		t.Errorf("hint %q", remote.HintOf(err))
	}

	_, err = d.Dial(testContext(t), jumpTarget(target, "t", fmt.Sprintf("test@127.0.0.1:%d", closedAddr.Port)))
	wantClass(t, err, remote.ClassRefused)
	if !strings.Contains(err.Error(), "bastion") && !strings.Contains(err.Error(), "jump host") {
		t.Errorf("error %q does not say the jump host failed", err)
	}

	down := remote.Target{Name: "down", Address: "127.0.0.1", Port: closedAddr.Port, User: "test",
		SSH: remote.SSHSettings{ProxyJump: jumpSpec(bastion)}}
	_, err = d.Dial(testContext(t), down)
	wantClass(t, err, remote.ClassRefused)

	_, err = d.Dial(testContext(t), jumpTarget(target, "t", "bad:port:x"))
	wantClass(t, err, remote.ClassConfig)

	// A black-holed jump host: the host behind it times out, and the error
	// names the jump host and its address.
	hole := f.server(t, remotetest.SSHServerOptions{HangHandshake: true})
	ctx, cancel := context.WithTimeout(testContext(t), 300*time.Millisecond)
	defer cancel()
	_, err = f.dialer(t, Options{ConnectTimeout: time.Second}).Dial(ctx, jumpTarget(target, "t", jumpSpec(hole)))
	wantClass(t, err, remote.ClassTimeout)
	if want := "timeout: bastion: jump host 127.0.0.1 (test@" + hole.HostPort() + "): not connected"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start %q", err, want)
	}
}
