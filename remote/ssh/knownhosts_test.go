//go:build unix

package ssh

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	gossh "golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// newPub returns a fresh ed25519 public key.
func newPub(t testing.TB) gossh.PublicKey { return hostKeySigner(t).PublicKey() }

func TestHostKeyVerdicts(t *testing.T) {
	known, other, revoked, ca := newPub(t), newPub(t), newPub(t), hostKeySigner(t)
	const host = "h.example:2222"
	line := func(hosts string, k gossh.PublicKey) string {
		return hosts + " " + strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k)))
	}
	hostCert := &gossh.Certificate{Key: known, CertType: gossh.HostCert, ValidPrincipals: []string{"h.example"},
		ValidBefore: gossh.CertTimeInfinity}
	if err := hostCert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		lines []string
		key   gossh.PublicKey
		want  string
	}{
		{"known", []string{line("[h.example]:2222", known)}, known, StatusKnown},
		{"unknown", []string{line("[other]:2222", known)}, known, StatusNew},
		{"changed", []string{line("[h.example]:2222", other)}, known, StatusChanged},
		{"second key of the host", []string{line("[h.example]:2222", other), line("[h.example]:2222", known)}, known, StatusKnown},
		{"hashed", []string{line(xknownhosts.HashHostname("[h.example]:2222"), known)}, known, StatusKnown},
		{"hashed changed", []string{line(xknownhosts.HashHostname("[h.example]:2222"), other)}, known, StatusChanged},
		{"wildcard any port", []string{line("*.example", known)}, known, StatusKnown},
		{"revoked", []string{"@revoked " + line("*", revoked), line("[h.example]:2222", revoked)}, revoked, StatusRevoked},
		{"cert authority", []string{"@cert-authority " + line("*.example", ca.PublicKey())}, hostCert, StatusKnown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := remotetest.WriteKnownHosts(t, tt.lines...)
			var s knownHostsSet
			c := &hostKeyChecker{files: []*knownHostsFile{s.file(path)}, accept: "remotectl hostkeys scan -H h --accept"}
			v, err := c.verdict(host, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if v.status != tt.want {
				t.Errorf("status = %s, want %s", v.status, tt.want)
			}
		})
	}
}

func TestHostKeyErrors(t *testing.T) {
	key, other := newPub(t), newPub(t)
	fp := gossh.FingerprintSHA256(key)
	path := remotetest.WriteKnownHosts(t, remotetest.KnownHostsLine("[10.0.0.1]:2222", other))
	tests := []struct {
		policy    hostKeyPolicy
		host      string
		class     remote.Class
		hintWants string
	}{
		{policyStrict, "10.0.0.9:22", remote.ClassHostKeyUnknown, "remotectl hostkeys scan -H web01 --accept"},
		{policyStrict, "10.0.0.1:2222", remote.ClassHostKeyChanged, "ssh-keygen -R '[10.0.0.1]:2222' -f " + quote(path)},
		{policyAcceptNew, "10.0.0.1:2222", remote.ClassHostKeyChanged, "ssh-keygen -R"},
	}
	for _, tt := range tests {
		var s knownHostsSet
		c := &hostKeyChecker{files: []*knownHostsFile{s.file(path)}, policy: tt.policy, accept: "remotectl hostkeys scan -H web01 --accept"}
		err := c.callback(tt.host, nil, key)
		wantClass(t, err, tt.class)
		if !strings.Contains(err.Error(), fp) {
			t.Errorf("error %q lacks the fingerprint %s", err, fp)
		}
		if hint := remote.HintOf(err); !strings.Contains(hint, tt.hintWants) {
			t.Errorf("hint %q lacks %q", hint, tt.hintWants)
		}
	}
}

func TestHostKeyAlgorithmsFromKnownHosts(t *testing.T) {
	rsaSigner, ed := rsaHostKey(t), newPub(t)
	path := remotetest.WriteKnownHosts(t,
		remotetest.KnownHostsLine("[h]:22", ed), remotetest.KnownHostsLine("[h]:22", rsaSigner.PublicKey()))
	var s knownHostsSet
	c := &hostKeyChecker{files: []*knownHostsFile{s.file(path)}}
	recorded := []string{gossh.KeyAlgoED25519, gossh.KeyAlgoRSASHA512, gossh.KeyAlgoRSASHA256, gossh.KeyAlgoRSA}
	if got := c.algorithms("h:22"); strings.Join(got, ",") != strings.Join(recorded, ",") {
		t.Errorf("algorithms = %v, want %v", got, recorded)
	}
	// The handshake asks for the recorded types first, then every other
	// supported one (OpenSSH's order): a re-keyed host still negotiates,
	// and the check reports it.
	offer := c.offer("h:22")
	if len(offer) <= len(recorded) || strings.Join(offer[:len(recorded)], ",") != strings.Join(recorded, ",") {
		t.Errorf("offer = %v, want %v first, then the others", offer, recorded)
	}
	for _, a := range gossh.SupportedAlgorithms().HostKeys {
		if !slices.Contains(offer, a) {
			t.Errorf("offer lacks %s", a)
		}
	}
	if algos := c.algorithms("unknown:22"); algos != nil {
		t.Errorf("algorithms for an unknown host = %v, want nil", algos)
	}
	if algos := c.offer("unknown:22"); algos != nil {
		t.Errorf("offer for an unknown host = %v, want nil (x/crypto defaults)", algos)
	}
}

// TestAcceptNewConcurrent accepts 200 hosts in parallel (each dialed twice,
// racing), into a known_hosts file whose directory does not exist yet.
func TestAcceptNewConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "known_hosts")
	var s knownHostsSet
	f := s.file(path)
	keys := make([]gossh.PublicKey, 200)
	for i := range keys {
		keys[i] = newPub(t)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(keys))
	for i := range 2 * len(keys) {
		wg.Go(func() {
			c := &hostKeyChecker{files: []*knownHostsFile{f}, policy: policyAcceptNew, accept: "remotectl hostkeys scan -H h --accept"}
			host := fmt.Sprintf("10.1.%d.%d:22", i%len(keys)/250, i%len(keys)%250)
			if err := c.callback(host, nil, keys[i%len(keys)]); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("known_hosts mode = %v, want 0600", st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != len(keys) {
		t.Fatalf("%d lines written for %d hosts", len(lines), len(keys))
	}
	// Every entry is valid and found by a fresh reader.
	var fresh knownHostsSet
	for i, k := range keys {
		c := &hostKeyChecker{files: []*knownHostsFile{fresh.file(path)}}
		host := fmt.Sprintf("10.1.%d.%d:22", i/250, i%250)
		if v, err := c.verdict(host, k); err != nil || v.status != StatusKnown {
			t.Fatalf("%s: %v %v", host, v.status, err)
		}
	}
	// A changed key for an accepted host is refused, even under accept-new.
	c := &hostKeyChecker{files: []*knownHostsFile{f}, policy: policyAcceptNew, accept: "remotectl hostkeys scan -H h --accept"}
	wantClass(t, c.callback("10.1.0.0:22", nil, newPub(t)), remote.ClassHostKeyChanged)
}

// TestAcceptNewRechecksFile: another process records a host after the file
// was loaded; accepting it again must not append a duplicate, and a
// different key must be refused.
func TestAcceptNewRechecksFile(t *testing.T) {
	key := newPub(t)
	path := remotetest.WriteKnownHosts(t, remotetest.KnownHostsLine("[first]:22", newPub(t)))
	var s knownHostsSet
	f := s.file(path)
	if err := f.load(); err != nil {
		t.Fatal(err)
	}
	other, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(other, strings.TrimSpace(remotetest.KnownHostsLine("late:22", key)))
	fmt.Fprintln(other, xknownhosts.HashHostname("hashed")+" "+strings.TrimSpace(string(gossh.MarshalAuthorizedKey(key))))
	other.Close()

	for _, host := range []string{"late:22", "hashed:22"} {
		v, err := f.appendKey(host, key)
		if err != nil || v.status != StatusKnown {
			t.Fatalf("%s: appendKey = %v, %v", host, v.status, err)
		}
		if v, _ = f.appendKey(host, newPub(t)); v.status != StatusChanged {
			t.Errorf("%s: a different key was accepted: %v", host, v.status)
		}
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), "\n"); n != 3 {
		t.Errorf("file has %d lines, want 3 (no duplicates):\n%s", n, data)
	}
}

func TestKnownHostsUnreadable(t *testing.T) {
	dir := t.TempDir() // a directory is not a known_hosts file
	var s knownHostsSet
	c := &hostKeyChecker{files: []*knownHostsFile{s.file(dir)}, accept: "remotectl hostkeys scan -H h --accept"}
	err := c.callback("h:22", nil, newPub(t))
	wantClass(t, err, remote.ClassHostKeyUnknown)
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestForgetKeyCommand(t *testing.T) {
	tests := []struct {
		hostport string
		files    []string
		want     string
	}{
		{"127.1.0.5:2571", []string{"/tmp/kh"}, `ssh-keygen -R '[127.1.0.5]:2571' -f /tmp/kh`},
		{"web01:22", []string{"/home/me/my hosts"}, `ssh-keygen -R web01 -f '/home/me/my hosts'`},
		{"[::1]:2222", []string{"a", "b"}, `ssh-keygen -R '[::1]:2222' -f a && ssh-keygen -R '[::1]:2222' -f b`},
		{"alias", nil, `ssh-keygen -R alias`},
	}
	for _, tt := range tests {
		if got := ForgetKeyCommand(tt.hostport, tt.files); got != tt.want {
			t.Errorf("ForgetKeyCommand(%q, %q) = %s; want %s", tt.hostport, tt.files, got, tt.want)
		}
	}
}

// TestForgetKeyCommandWithSSHKeygen pastes the hint of a changed key into
// a shell: OpenSSH's ssh-keygen removes the recorded key, from the file
// remotectl used, and nothing else; then the command recording the new key
// runs (a stand-in here).
func TestForgetKeyCommandWithSSHKeygen(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen (openssh-client) is not installed")
	}
	key, other, kept := newPub(t), newPub(t), newPub(t)
	dir := filepath.Join(t.TempDir(), "a dir [with] $pecial 'chars'")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "known_hosts")
	keptLine := remotetest.KnownHostsLine("[127.1.0.5]:22", kept)
	writeFile(t, dir, "known_hosts", remotetest.KnownHostsLine("[127.1.0.5]:2571", other)+"\n"+keptLine+"\n")
	var s knownHostsSet
	c := &hostKeyChecker{files: []*knownHostsFile{s.file(path)}, policy: policyStrict, accept: "touch accepted"}
	err := c.callback("127.1.0.5:2571", nil, key)
	wantClass(t, err, remote.ClassHostKeyChanged)
	hint := remote.HintOf(err)
	_, command, ok := strings.Cut(hint, ": ")
	if !ok {
		t.Fatalf("hint %q has no command", hint)
	}
	cmd := exec.Command("sh", "-c", command)
	cmd.Dir = t.TempDir() // not where the file is: -f must name it
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", command, err, out)
	}
	if _, err := os.Stat(filepath.Join(cmd.Dir, "accepted")); err != nil {
		t.Errorf("%s did not go on to record the new key: %v", command, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != keptLine {
		t.Errorf("after %s, known_hosts holds:\n%s\nwant only:\n%s", command, got, keptLine)
	}
}

func TestAcceptCommandRepeatsTheRunsArguments(t *testing.T) {
	o := Options{HintArgs: []string{"-i", "my inv.yaml", "--known-hosts", "it's/kh"}}
	want := `remotectl hostkeys scan -i 'my inv.yaml' --known-hosts 'it'\''s/kh' -H 'web[01]' --accept`
	if got := o.acceptCommand("web[01]"); got != want {
		t.Errorf("acceptCommand = %s\nwant %s", got, want)
	}
}
