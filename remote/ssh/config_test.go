//go:build unix

package ssh

import (
	"os"
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
		"proxy command":  "Host x\n  ProxyCommand nc %h %p\n",
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
