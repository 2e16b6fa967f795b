//go:build unix

package ssh

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"

	"github.com/remotectl/remotectl/remote/remotetest"
)

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"web*", "web01", true},
		{"web*", "db01", false},
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "example.com", false},
		{"web?", "web1", true},
		{"web?", "web", false},
		{"web?", "web12", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"192.168.0.?", "192.168.0.7", true},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestMatchPatternList(t *testing.T) {
	list := compilePatterns([]string{"*.LAN", "!bad.lan", "exact.org"}, true)
	for host, want := range map[string]bool{"good.lan": true, "bad.lan": false, "x.com": false, "exact.org": true} {
		if got := list.match(host); got != want {
			t.Errorf("match %q = %v, want %v", host, got, want)
		}
	}
	if compilePatterns([]string{"!a"}, true).match("b") {
		t.Error("a list of only negated patterns matched")
	}
	if compilePatterns([]string{"Root"}, false).match("root") {
		t.Error("user patterns must be case-sensitive")
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a b\tc", []string{"a", "b", "c"}},
		{`"a b" 'c d' e`, []string{"a b", "c d", "e"}},
		{"a # comment", []string{"a"}},
		{"a#b", []string{"a#b"}},
		{"", nil},
	}
	for _, tt := range tests {
		got, err := splitArgs(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := splitArgs(`"open`); err == nil {
		t.Error("unterminated quote accepted")
	}
}

// resolveWith writes config (and extra files under home) and resolves host.
func resolveWith(t *testing.T, config string, files map[string]string, target remote.Target) (*hostParams, *Dialer) {
	t.Helper()
	home := t.TempDir()
	for name, data := range files {
		writeFile(t, home, name, data)
	}
	cfgPath := writeFile(t, home, ".ssh/config", config)
	d := newTestDialer(t, Options{Home: home, ConfigFile: cfgPath, LocalUser: "me"})
	p, err := d.resolveTarget(target)
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	return p, d
}

func TestSSHConfigResolve(t *testing.T) {
	const config = `
# global defaults come last in OpenSSH style files, first value wins
Host web*
  User webadmin
  Port 2200
  IdentityFile ~/.ssh/web_key
  ServerAliveInterval 5

Host web02
  # too late: web* already set these
  User other
  Port 9999
  IdentityFile %d/.ssh/second_%h_%r

Host db1 db2 !db3
  HostName %h.internal
  ProxyJump jump@bastion:2222
  StrictHostKeyChecking accept-new
  ConnectTimeout 7

Host alias
  HostName 10.0.0.5
  UserKnownHostsFile ~/.ssh/kh1 "~/.ssh/kh two"
  HostKeyAlias alias-key
  IdentitiesOnly yes
  CertificateFile ~/.ssh/cert-%r.pub
  ServerAliveInterval 0
  ServerAliveCountMax 9

Host *
  User fallback
  IdentityFile ~/.ssh/global_key
`
	tests := []struct {
		name   string
		target remote.Target
		check  func(t *testing.T, p *hostParams, home string)
	}{
		{"first value wins, identity files accumulate", remote.Target{Name: "web02"}, func(t *testing.T, p *hostParams, home string) {
			want := &hostParams{user: "webadmin", port: 2200, hostname: "web02"}
			if p.user != want.user || p.port != want.port || p.hostname != want.hostname {
				t.Errorf("user/port/hostname = %s/%d/%s", p.user, p.port, p.hostname)
			}
			wantFiles := []string{home + "/.ssh/web_key", home + "/.ssh/second_web02_webadmin", home + "/.ssh/global_key"}
			if !reflect.DeepEqual(p.identityFiles, wantFiles) {
				t.Errorf("identity files = %q, want %q", p.identityFiles, wantFiles)
			}
			if p.keepaliveInterval != 5*time.Second {
				t.Errorf("keepalive interval = %v", p.keepaliveInterval)
			}
		}},
		{"inventory wins over ssh_config", remote.Target{Name: "web01", User: "inv", Port: 22022,
			SSH:            remote.SSHSettings{IdentityFiles: []string{"/inv/key"}, ProxyJump: "none", HostKeyPolicy: "off"},
			ConnectTimeout: 3 * time.Second}, func(t *testing.T, p *hostParams, home string) {
			if p.user != "inv" || p.port != 22022 || p.identityFiles[0] != "/inv/key" || p.proxyJump != "" ||
				p.policy != policyOff || p.connectTimeout != 3*time.Second {
				t.Errorf("params = %+v", p)
			}
		}},
		{"negated pattern and tokens", remote.Target{Name: "db1"}, func(t *testing.T, p *hostParams, home string) {
			if p.hostname != "db1.internal" || p.proxyJump != "jump@bastion:2222" || p.policy != policyAcceptNew ||
				p.connectTimeout != 7*time.Second || p.user != "fallback" {
				t.Errorf("params = %+v", p)
			}
		}},
		{"negated host excluded", remote.Target{Name: "db3"}, func(t *testing.T, p *hostParams, home string) {
			if p.hostname != "db3" || p.proxyJump != "" {
				t.Errorf("db3 matched a negated pattern: %+v", p)
			}
		}},
		{"quoted multi-file value and aliases", remote.Target{Name: "alias"}, func(t *testing.T, p *hostParams, home string) {
			wantKH := []string{home + "/.ssh/kh1", home + "/.ssh/kh two"}
			if !reflect.DeepEqual(p.knownHostsFiles, wantKH) {
				t.Errorf("known hosts = %q, want %q", p.knownHostsFiles, wantKH)
			}
			if p.hostname != "10.0.0.5" || p.hostKeyName() != "alias-key:22" || !p.identitiesOnly {
				t.Errorf("params = %+v", p)
			}
			if !reflect.DeepEqual(p.certificateFiles, []string{home + "/.ssh/cert-fallback.pub"}) {
				t.Errorf("certificate files = %q", p.certificateFiles)
			}
			if p.keepaliveInterval >= 0 || p.keepaliveCountMax != 9 {
				t.Errorf("ServerAliveInterval 0 must disable keepalives: %v/%d", p.keepaliveInterval, p.keepaliveCountMax)
			}
		}},
		{"address is what ssh_config matches", remote.Target{Name: "inventory-name", Address: "alias"}, func(t *testing.T, p *hostParams, home string) {
			if p.hostname != "10.0.0.5" || p.name != "inventory-name" {
				t.Errorf("params = %+v", p)
			}
		}},
		{"defaults", remote.Target{Name: "elsewhere"}, func(t *testing.T, p *hostParams, home string) {
			if p.port != 22 || p.policy != policyStrict || p.connectTimeout != DefaultConnectTimeout ||
				p.keepaliveInterval != DefaultKeepaliveInterval || p.keepaliveCountMax != DefaultKeepaliveCountMax {
				t.Errorf("params = %+v", p)
			}
			if !reflect.DeepEqual(p.knownHostsFiles, []string{home + "/.ssh/known_hosts"}) {
				t.Errorf("known hosts = %q", p.knownHostsFiles)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, d := resolveWith(t, config, nil, tt.target)
			tt.check(t, p, d.opts.Home)
		})
	}
}

func TestSSHConfigMatch(t *testing.T) {
	const config = `
Host short
  HostName long.example.com

Match host *.example.com user deploy
  Port 2201

Match originalhost short
  IdentityFile ~/.ssh/short_key

Match !host *.example.com
  Port 2203

Match localuser me
  IdentitiesOnly yes

Match exec "test -f /nonexistent"
  User exec-user

Match canonical
  User canonical-user

Match final host *.example.com
  HostKeyAlias final-alias

Match all
  User everyone
`
	t.Run("host matches HostName, user the target user", func(t *testing.T) {
		p, d := resolveWith(t, config, nil, remote.Target{Name: "short", User: "deploy"})
		if p.port != 2201 || p.user != "deploy" || p.hostKeyAlias != "final-alias" || !p.identitiesOnly {
			t.Errorf("params = %+v", p)
		}
		if !reflect.DeepEqual(p.identityFiles, []string{d.opts.Home + "/.ssh/short_key"}) {
			t.Errorf("identity files = %q", p.identityFiles)
		}
	})
	t.Run("user criterion", func(t *testing.T) {
		p, _ := resolveWith(t, config, nil, remote.Target{Name: "short"})
		if p.port != 22 || p.user != "everyone" {
			t.Errorf("port/user = %d/%s, want 22/everyone (Match user deploy must not apply)", p.port, p.user)
		}
	})
	t.Run("negated criterion", func(t *testing.T) {
		p, _ := resolveWith(t, config, nil, remote.Target{Name: "other.org"})
		if p.port != 2203 {
			t.Errorf("port = %d, want 2203", p.port)
		}
	})
	t.Run("unsupported criteria never match and warn once", func(t *testing.T) {
		home := t.TempDir()
		cfg := writeFile(t, home, ".ssh/config", config)
		var warn remotetest.SyncBuffer
		d := newTestDialer(t, Options{Home: home, ConfigFile: cfg, LocalUser: "me", Warn: &warn})
		for range 3 {
			if _, err := d.resolveTarget(remote.Target{Name: "x"}); err != nil {
				t.Fatal(err)
			}
		}
		if got := strings.Count(warn.String(), "Match exec"); got != 1 {
			t.Errorf("warning printed %d times: %q", got, warn.String())
		}
	})
}

func TestSSHConfigInclude(t *testing.T) {
	files := map[string]string{
		".ssh/conf.d/10-web":  "Host web*\n  User from-include\n",
		".ssh/conf.d/20-db":   "Host db*\n  User db-include\nHost *\n  Port 2000\n",
		".ssh/inner":          "Port 3000\nHost nested\n  User nested-user\n",
		"abs/extra.conf":      "Host abs\n  User abs-user\n",
		".ssh/conf.d/ignored": "",
	}
	config := `Include conf.d/*
Include ~/abs/extra.conf
Host scoped
  Include inner
  User scoped-user
`
	tests := []struct {
		host     string
		wantUser string
		wantPort int
	}{
		{"web1", "from-include", 2000},
		{"db1", "db-include", 2000},
		{"abs", "abs-user", 2000},
		// Port 3000 in "inner" applies only under Host scoped, after the
		// glob included 20-db's Port 2000 for every host.
		{"scoped", "scoped-user", 2000},
	}
	for _, tt := range tests {
		p, _ := resolveWith(t, config, files, remote.Target{Name: tt.host})
		if p.user != tt.wantUser || p.port != tt.wantPort {
			t.Errorf("%s: user/port = %s/%d, want %s/%d", tt.host, p.user, p.port, tt.wantUser, tt.wantPort)
		}
	}
	// An Include inside a Host block applies only when the block matches.
	p, _ := resolveWith(t, "Host scoped\n  Include inner\n", files, remote.Target{Name: "nested"})
	if p.user == "nested-user" || p.port == 3000 {
		t.Errorf("a conditional include applied to another host: %+v", p)
	}
	p, _ = resolveWith(t, "Host scoped nested\n  Include inner\n", files, remote.Target{Name: "nested"})
	if p.user != "nested-user" || p.port != 3000 {
		t.Errorf("the conditional include did not apply: %+v", p)
	}
}

func TestSSHConfigErrors(t *testing.T) {
	tests := map[string]string{
		"bad port":       "Host x\n  Port abc\n",
		"proxy token":    "Host x\n  ProxyCommand nc %h %z\n",
		"bad policy":     "Host x\n  StrictHostKeyChecking maybe\n",
		"bad timeout":    "Host x\n  ConnectTimeout soon\n",
		"include loop":   "Include config\n",
		"empty match":    "Match\n",
		"match no value": "Match host\n",
	}
	for name, config := range tests {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			cfg := writeFile(t, home, ".ssh/config", config)
			d := newTestDialer(t, Options{Home: home, ConfigFile: cfg})
			_, err := d.Dial(testContext(t), remote.Target{Name: "x"})
			if err == nil {
				t.Fatal("dial succeeded")
			}
			if c := remote.ClassOf(err); c != remote.ClassConfig {
				t.Errorf("class = %v, want %v (%v)", c, remote.ClassConfig, err)
			}
			if !strings.Contains(err.Error(), cfg) {
				t.Errorf("error %q does not say which file", err)
			}
		})
	}
}

func TestSSHConfigMissingFileIsEmpty(t *testing.T) {
	d := newTestDialer(t, Options{ConfigFile: filepath.Join(t.TempDir(), "nope")})
	p, err := d.resolveTarget(remote.Target{Name: "h", User: "u"})
	if err != nil || p.hostname != "h" || p.port != 22 {
		t.Fatalf("resolve with a missing config: %+v, %v", p, err)
	}
}

func FuzzSSHConfig(f *testing.F) {
	f.Add("Host a\n  User b\n  Port 22\n")
	f.Add("Match host x user y\n  HostName z\nInclude nothing\n")
	f.Add("Host=a\nUser = \"q w\"\n# c\n\tIdentityFile 'x y'\n")
	f.Fuzz(func(t *testing.T, config string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "config")
		if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadSSHConfig(path, dir)
		if err != nil {
			return
		}
		cfg.resolve("host.example", "", "me")
	})
}

// strictConfigCases are ssh_config files OpenSSH refuses (`ssh -G` exits
// 255), each with the line it names and what the error must say.
var strictConfigCases = []struct {
	name, config string
	line         int
	want         string
}{
	{"unknown keyword", "Host x\n  Port 22\n  Frobnicate yes\n", 3, "unknown keyword Frobnicate"},
	{"unknown keyword in a block that does not apply", "Host nothing-matches\n  Frobnicate yes\n", 2, "unknown keyword"},
	{"keyword without argument", "Host x\n  User\n", 2, "User needs an argument"},
	{"keyword with =, without argument", "User=\n", 1, "User needs an argument"},
	{"empty argument", "User \"\"\n", 1, "empty argument"},
	{"unclosed double quote", "Host x\n  User \"bob\n", 2, "invalid quotes"},
	{"unclosed single quote", "IdentityFile '~/.ssh/id\n", 1, "invalid quotes"},
	{"extra argument", "Port 22 23\n", 1, "Port takes one argument"},
	{"non-numeric port", "Host x\n  Port abc\n", 2, `bad port "abc"`},
	{"port out of range", "Port 70000\n", 1, "bad port"},
	{"bad yes/no", "IdentitiesOnly maybe\n", 1, `"maybe" is not one of yes, no`},
	{"bad yes/no of an ignored keyword", "BatchMode sometimes\n", 1, "BatchMode"},
	{"bad StrictHostKeyChecking", "StrictHostKeyChecking perhaps\n", 1, "StrictHostKeyChecking"},
	{"bad time", "ConnectTimeout soon\n", 1, "not a time value"},
	{"negative time", "ConnectTimeout -1\n", 1, "not a time value"},
	{"bad integer", "ServerAliveCountMax x\n", 1, "not a non-negative integer"},
	{"Host without pattern", "Host\n", 1, "Host needs an argument"},
	{"ProxyCommand without command", "ProxyCommand\n", 1, "ProxyCommand needs an argument"},
	{"bad LogLevel", "LogLevel LOUD\n", 1, "LogLevel"},
	// Algorithm names OpenSSH does not know, in every list keyword, in a
	// block that does not apply too.
	{"unknown host key algorithm", "Host nothing\n  HostKeyAlgorithms bogus-alg\n", 2, `HostKeyAlgorithms: unknown key type "bogus-alg"`},
	{"unknown pubkey algorithm", "PubkeyAcceptedAlgorithms bogus\n", 1, `unknown key type "bogus"`},
	{"unknown pubkey algorithm, old name", "PubkeyAcceptedKeyTypes bogus\n", 1, `unknown key type "bogus"`},
	{"unknown CA algorithm", "CASignatureAlgorithms bogus\n", 1, `CASignatureAlgorithms: unknown key type`},
	{"unknown hostbased algorithm", "HostbasedAcceptedAlgorithms bogus\n", 1, `unknown key type`},
	{"key type wildcard matching nothing", "HostKeyAlgorithms ssh-ed25519*,bog*\n", 1, `unknown key type "bog*"`},
	{"key type short name", "HostKeyAlgorithms ED25519\n", 1, `unknown key type "ED25519"`},
	{"unknown cipher added", "Ciphers +bogus\n", 1, `Ciphers: unknown cipher "bogus"`},
	{"unknown cipher, wrong case", "Ciphers AES128-CTR\n", 1, `unknown cipher`},
	{"unknown MAC", "MACs hmac-sha2-256,bogus\n", 1, `MACs: unknown MAC "bogus"`},
	{"unknown key exchange first", "KexAlgorithms ^bogus\n", 1, `KexAlgorithms: unknown key exchange "bogus"`},
	// Values of known but ignored keywords.
	{"bad RekeyLimit", "RekeyLimit abc\n", 1, `RekeyLimit: "abc" is not a size`},
	{"RekeyLimit too small", "RekeyLimit 8\n", 1, "too small"},
	{"bad RekeyLimit time", "RekeyLimit 1G abc\n", 1, "not a time value"},
	{"RekeyLimit extra argument", "RekeyLimit 1G 1h x\n", 1, "RekeyLimit takes at most 2 arguments"},
	{"bad IPQoS", "IPQoS bogus\n", 1, `IPQoS: "bogus" is not an IPQoS value`},
	{"bad PermitRemoteOpen", "PermitRemoteOpen bogus\n", 1, `PermitRemoteOpen: "bogus": bad port number`},
	{"PermitRemoteOpen bad port", "PermitRemoteOpen db:nosuchservice\n", 1, "bad port number"},
	{"PermitRemoteOpen any not alone", "PermitRemoteOpen any db:5432\n", 1, "must appear alone"},
	{"IPQoS out of range", "IPQoS cs1 256\n", 1, `"256" is not an IPQoS value`},
	{"IPQoS extra argument", "IPQoS af21 cs1 ef\n", 1, "at most 2 arguments"},
	{"bad AddKeysToAgent", "AddKeysToAgent maybe\n", 1, `AddKeysToAgent: "maybe" is not yes, no, ask, confirm or a time`},
	{"AddKeysToAgent time after yes", "AddKeysToAgent yes 5m\n", 1, "AddKeysToAgent takes a time after confirm only"},
	{"bad EscapeChar", "EscapeChar xx\n", 1, `EscapeChar: "xx" is not an escape character`},
	{"SetEnv without =", "SetEnv FOO\n", 1, `SetEnv: "FOO" is not NAME=VALUE`},
	{"SetEnv without =, after one with", "SetEnv A=b x\n", 1, `"x" is not NAME=VALUE`},
	{"quoted keyword, = not a separator", "\"Port\"=22\n", 1, "bad port"},
	{"no connection attempts", "ConnectionAttempts 0\n", 1, `ConnectionAttempts: "0" is not a positive integer`},
	{"LocalForward without destination", "LocalForward 80\n", 1, "LocalForward needs the address to forward to"},
	{"LocalForward to port 0", "LocalForward 8080 localhost:0\n", 1, "LocalForward: bad forwarding specification"},
	{"LocalForward from port 0", "LocalForward 0 localhost:80\n", 1, "bad forwarding specification"},
	{"LocalForward extra argument", "LocalForward 8080 localhost:80 x\n", 1, "at most 2 arguments"},
	{"bad RemoteForward", "RemoteForward x\n", 1, `RemoteForward: bad forwarding specification "x"`},
	{"bad DynamicForward", "DynamicForward x\n", 1, `DynamicForward: bad forwarding specification "x"`},
	{"DynamicForward port 0", "DynamicForward 0\n", 1, "bad forwarding specification"},
	{"DynamicForward extra argument", "DynamicForward 1080 x\n", 1, "at most 1 arguments"},
	// Match criteria.
	{"unknown Match criterion", "Match bogus\n  User u\n", 1, `Match: unknown criterion "bogus"`},
	{"unknown Match criterion after others", "Match user x bogus y\n", 1, `unknown criterion "bogus"`},
	{"Match exec without command", "Match host x exec\n", 1, "Match exec needs an argument"},
	{"Match host without patterns", "Match host\n", 1, "Match host needs a pattern list"},
	{"Match all with more", "Match all host x\n", 1, "Match all cannot be combined"},
}

// acceptedConfigs are ssh_config files OpenSSH reads without complaint.
var acceptedConfigs = map[string]string{
	"PermitRemoteOpen": "PermitRemoteOpen db:5432 *:* [::1]:22 web:http\nHost other\n  PermitRemoteOpen any\n",
	"every honoured keyword": "Host *\n  HostName h\n  User u\n  Port 2222\n  IdentityFile ~/.ssh/id\n  CertificateFile ~/.ssh/c\n" +
		"  IdentitiesOnly yes\n  ProxyJump none\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile a \"b c\"\n" +
		"  HostKeyAlias k\n  ConnectTimeout 1m30s\n  ServerAliveInterval 15\n  ServerAliveCountMax 3\n" +
		"  KexAlgorithms +diffie-hellman-group14-sha256\n  Ciphers aes128-ctr\n  MACs hmac-sha2-256\n",
	"known but ignored keywords": "Host *\n  ControlMaster auto\n  ControlPersist 10m\n  ControlPath ~/.ssh/cm-%r@%h:%p\n" +
		"  ForwardAgent yes\n  Compression yes\n  SendEnv LANG LC_*\n  LocalForward 8080 localhost:80\n" +
		"  AddKeysToAgent yes\n  HashKnownHosts no\n  GSSAPIAuthentication no\n  LogLevel ERROR\n",
	"deprecated keywords":          "Protocol 2\nCipher aes\nRSAAuthentication yes\n",
	"IgnoreUnknown":                "IgnoreUnknown UseKeychain,AddKeysToAgentX\nHost *\n  UseKeychain yes\n",
	"ProxyCommand as a shell line": "Host x\n  ProxyCommand sh -c 'nc %h %p' # comment\n",
	"port by service name":         "Port ssh\n",
	"ConnectTimeout none":          "ConnectTimeout none\n",
	"comments and blank lines":     "# comment\n\n   \nHost=x\n\tUser = \"q w\"\n",
	"CRLF line ends":               "Host x\r\n  User u\r\n  Port 22\r\n",
	"Match as today":               "Match host x user y\n  User z\nMatch exec \"true\"\n  Port 2\n",
	"Match all, final, canonical":  "Match canonical all\n  User a\nMatch host x all\n  User b\nMatch final\n  User c\nMatch !all\n  User d\n",
	"quoted keyword":               "\"User\" rcbench\nHost x\n  \"Port\" 22\n",
	"algorithm lists OpenSSH knows": "HostKeyAlgorithms ssh-ed25519*,ssh-rsa\nPubkeyAcceptedAlgorithms +ssh-rsa,rsa-sha2-256\n" +
		"PubkeyAcceptedKeyTypes -bogus\nCASignatureAlgorithms ssh-ed25519,ecdsa-sha2-nistp256\n" +
		"HostbasedAcceptedAlgorithms ^ssh-ed25519-cert-v01@openssh.com\nCiphers -bogus\nMACs ^hmac-sha2-512-etm@openssh.com\n" +
		"KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256\n",
	"empty name ends an algorithm list": "Ciphers aes128-ctr,,bogus\n",
	"values of ignored keywords": "RekeyLimit 1G 1h\nIPQoS af21 cs1\nAddKeysToAgent confirm 5m\nEscapeChar ^A\n" +
		"SetEnv FOO=bar B=\"q w\"\nConnectionAttempts 3\nLocalForward [::1]:8080 [::1]:80\nRemoteForward 8080\n" +
		"DynamicForward localhost:1080\n",
	"more values of ignored keywords": "RekeyLimit default none\nIPQoS 0x10\nAddKeysToAgent 1h\nEscapeChar none\n" +
		"LocalForward /tmp/s /tmp/r\nRemoteForward 0 localhost:80\nDynamicForward /tmp/socks\nRekeyLimit 1.5g\n" +
		"LocalForward 8080 localhost:http\nRemoteForward 0.0.0.0:8080 localhost:80\nIPQoS AF21\nAddKeysToAgent ASK\n",
}

func TestSSHConfigIsReadStrictly(t *testing.T) {
	for _, tt := range strictConfigCases {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeFile(t, dir, "config", tt.config)
			_, err := loadSSHConfig(path, dir)
			if err == nil {
				t.Fatalf("%q was accepted", tt.config)
			}
			wantPos := fmt.Sprintf("%s:%d: ", path, tt.line)
			if !strings.HasPrefix(err.Error(), wantPos) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q; want %q... and %q", err, wantPos, tt.want)
			}
		})
	}
	for name, config := range acceptedConfigs {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := loadSSHConfig(writeFile(t, dir, "config", config), dir); err != nil {
				t.Errorf("%q: %v", config, err)
			}
		})
	}
}

// TestSSHConfigUnterminatedQuotedKeyword: OpenSSH silently skips a line
// whose keyword opens a quote it never closes; remotectl says so instead of
// dropping the setting.
func TestSSHConfigUnterminatedQuotedKeyword(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "config", "Host x\n  \"User rcbench\n")
	if _, err := loadSSHConfig(path, dir); err == nil || !strings.Contains(err.Error(), path+":2: invalid quotes") {
		t.Errorf("got %v, want %s:2: invalid quotes...", err, path)
	}
}

// TestSSHConfigStrictnessMatchesOpenSSH asks OpenSSH's own parser (`ssh -G`,
// which reads the configuration without connecting) about the same files:
// it must reject exactly what remotectl rejects.
func TestSSHConfigStrictnessMatchesOpenSSH(t *testing.T) {
	sshBin, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("the OpenSSH client (ssh) is not installed")
	}
	openssh := func(t *testing.T, config string) error {
		dir := t.TempDir()
		path := writeFile(t, dir, "config", config)
		cmd := exec.Command(sshBin, "-G", "-F", path, "x")
		cmd.Env = []string{"HOME=" + dir, "PATH=/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	for _, tt := range strictConfigCases {
		if err := openssh(t, tt.config); err == nil {
			t.Errorf("%s: ssh -G accepts %q, which remotectl rejects", tt.name, tt.config)
		}
	}
	for name, config := range acceptedConfigs {
		if strings.Contains(config, "Match exec") {
			continue // ssh -G would run the command
		}
		if err := openssh(t, config); err != nil {
			t.Errorf("%s: ssh -G rejects %q, which remotectl accepts: %v", name, config, err)
		}
	}
}

func TestIgnoredKeywordsAreInTheREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const intro = "Known but ignored (checked, then without effect): "
	_, list, ok := strings.Cut(string(readme), intro)
	if !ok {
		t.Fatalf("the README has no %q", intro)
	}
	list, _, _ = strings.Cut(list, ".\n")
	got := strings.Split(strings.Join(strings.Fields(list), " "), ", ")
	if want := ignoredKeywords(); !reflect.DeepEqual(got, want) {
		t.Errorf("the README lists as ignored ssh_config keywords:\n%s\nwant:\n%s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

func TestSSHConfigQuotedKeywordApplies(t *testing.T) {
	dir := t.TempDir()
	cfg, err := loadSSHConfig(writeFile(t, dir, "config", "Host x\n  \"User\" rcbench\n  \"Port\" 2222\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	v := cfg.resolve("x", "", "me")
	if v.get("user") != "rcbench" || v.get("port") != "2222" {
		t.Errorf("User %q, Port %q; want rcbench, 2222", v.get("user"), v.get("port"))
	}
}
