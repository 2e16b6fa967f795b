package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

func TestExampleInventoryLoads(t *testing.T) {
	path := filepath.Join("..", "inventory.example.yaml")
	inv, err := Load([]string{path}, LoadOptions{Transports: testTransports()})
	if err != nil {
		t.Fatalf("the example inventory must load: %v", err)
	}
	equal(t, "sources", inv.Sources(), []Source{{Path: path, Format: FormatRemotectl, Hosts: 12}})

	web04 := mustHost(t, inv, "web04.example.com")
	equal(t, "web04 http_port (host beats group web beats defaults)", web04.Vars["http_port"], any(8080))
	equal(t, "web04 env (group staging beats group all beats defaults)", web04.Vars["env"], any("staging"))
	equal(t, "web04 proxy jump", web04.Conn.SSH.ProxyJump, "deploy@bastion.example.com:2222")
	web01 := mustHost(t, inv, "web01.example.com")
	equal(t, "web01 http_port", web01.Vars["http_port"], any(80))
	equal(t, "web01 document_root (child web beats parent linux)", web01.Vars["document_root"], any("/srv/www"))
	equal(t, "web01 groups", web01.Groups, []string{"all", "linux", "prod", "web"})

	db := mustHost(t, inv, "db-r2-n1.example.com")
	equal(t, "db become", db.Conn.Become, true)
	equal(t, "db become user", db.Conn.BecomeUser, "postgres")
	equal(t, "db document_root (from parent linux)", db.Vars["document_root"], any("/var/www"))

	win := mustHost(t, inv, "win02.corp.example.com")
	equal(t, "win transport", win.Transport, remote.KindWinRM)
	equal(t, "win port", win.Port, 5986)
	equal(t, "win user", win.User, "Administrator")
	equal(t, "win password env", win.Conn.PasswordEnv, "WIN_ADMIN_PASSWORD")
	equal(t, "win auth", win.Conn.WinRM.Auth, "ntlm")

	bastion := mustHost(t, inv, "bastion.example.com")
	equal(t, "bastion address", bastion.Addr(), "203.0.113.10")
	equal(t, "bastion user (defaults)", bastion.User, "deploy")
	equal(t, "bastion timeout (defaults)", bastion.Conn.ConnectTimeout, 10*time.Second)
	equal(t, "bastion groups", bastion.Groups, []string{"all", "ungrouped"})

	local := mustHost(t, inv, "localhost")
	equal(t, "localhost is defined, not implicit", local.Implicit, false)
	equal(t, "localhost transport", local.Transport, remote.KindLocal)
}

const precedenceYAML = `
defaults:
  user: default-user
  vars: { a: defaults, b: defaults, c: defaults, d: defaults, e: defaults }
hosts:
  h1:
    vars: { e: host }
groups:
  all:
    vars: { b: all, c: all, d: all, e: all }
  parent:
    children: [child]
    user: parent-user
    vars: { c: parent, d: parent, e: parent }
  child:
    hosts: [h1]
    vars: { d: child, e: child }
`

func TestPrecedence(t *testing.T) {
	inv := parse(t, "inv.yaml", precedenceYAML)
	h := mustHost(t, inv, "h1")
	equal(t, "vars", h.Vars, map[string]any{"a": "defaults", "b": "all", "c": "parent", "d": "child", "e": "host"})
	equal(t, "origins", h.VarOrigins(), map[string]string{
		"a": "defaults (inv.yaml:4:11)",
		"b": "group all (inv.yaml:10:13)",
		"c": "group parent (inv.yaml:14:13)",
		"d": "group child (inv.yaml:17:13)",
		"e": "host (inv.yaml:7:13)",
	})
	equal(t, "user (group beats defaults)", h.User, "parent-user")
	equal(t, "groups", h.Groups, []string{"all", "child", "parent"})
}

func TestPrecedenceSameDepthByName(t *testing.T) {
	// Groups at the same depth apply in name order: "zeta" beats "alpha",
	// whatever order they are defined or listed in.
	inv := parse(t, "inv.yaml", `
groups:
  zeta: { hosts: [h], vars: { v: zeta }, user: zeta }
  alpha: { hosts: [h], vars: { v: alpha }, user: alpha }
`)
	h := mustHost(t, inv, "h")
	equal(t, "v", h.Vars["v"], any("zeta"))
	equal(t, "user", h.User, "zeta")
}

func TestDeeperGroupWinsOverShallowerGroup(t *testing.T) {
	// "deep" is two levels below all; "aaa" one level; depth beats name.
	inv := parse(t, "inv.yaml", `
groups:
  top: { children: [deep] }
  deep: { hosts: [h], vars: { v: deep } }
  aaa: { hosts: [h], vars: { v: aaa } }
`)
	equal(t, "v", mustHost(t, inv, "h").Vars["v"], any("deep"))
}

func TestHostSettings(t *testing.T) {
	inv := parse(t, "inv.yaml", `
hosts:
  full:
    address: 192.0.2.7
    port: 2200
    transport: ssh
    user: ops
    connection:
      identity_file: [~/.ssh/a, ~/.ssh/b]
      identities_only: true
      password_env: PW
      proxy_jump: jump@bastion:22
      host_key_policy: accept-new
      known_hosts_file: /tmp/kh
      connect_timeout: 7
      become: true
      become_user: root
      become_password_env: SUDO_PW
  win:
    transport: winrm
    connection:
      winrm_https: false
      winrm_insecure: true
      winrm_auth: certificate
      winrm_shell: cmd
      winrm_ca_cert: ca.pem
      winrm_client_cert: c.pem
      winrm_client_key: k.pem
      winrm_allow_unencrypted: true
      winrm_message_encryption: never
      connect_timeout: 1m30s
  plain:
`)
	full := mustHost(t, inv, "full")
	equal(t, "address", full.Addr(), "192.0.2.7")
	equal(t, "port", full.Port, 2200)
	equal(t, "user", full.User, "ops")
	equal(t, "conn", full.Conn, Conn{
		SSH: remote.SSHSettings{IdentityFiles: []string{"~/.ssh/a", "~/.ssh/b"}, IdentitiesOnly: true,
			ProxyJump: "jump@bastion:22", HostKeyPolicy: "accept-new", KnownHostsFile: "/tmp/kh"},
		PasswordEnv:    "PW",
		ConnectTimeout: 7 * time.Second, Become: true, BecomeUser: "root", BecomePasswordEnv: "SUDO_PW",
	})
	win := mustHost(t, inv, "win")
	https := false
	equal(t, "winrm conn", win.Conn, Conn{
		WinRM: remote.WinRMSettings{HTTPS: &https, Insecure: true, Auth: "certificate", Shell: "cmd",
			CACert: "ca.pem", ClientCert: "c.pem", ClientKey: "k.pem",
			AllowUnencrypted: true, MessageEncryption: "never"},
		ConnectTimeout: 90 * time.Second,
	})
	plain := mustHost(t, inv, "plain")
	equal(t, "default transport", plain.Transport, remote.KindSSH)
	equal(t, "default address", plain.Addr(), "plain")
	equal(t, "default port", plain.Port, 0)
}

func TestHostRanges(t *testing.T) {
	inv := parse(t, "inv.yaml", `
hosts:
  web[01-03].example.com: { user: www }
  rack[1-2]-n[01-02]:
  node[1,3,5-6]:
groups:
  web:
    hosts:
      - web[02-03].example.com
      - extra[1-2]
`)
	equal(t, "hosts", hostNames(inv.Hosts()), []string{
		"web01.example.com", "web02.example.com", "web03.example.com",
		"rack1-n01", "rack1-n02", "rack2-n01", "rack2-n02",
		"node1", "node3", "node5", "node6",
		"extra1", "extra2",
	})
	equal(t, "web members", mustGroup(t, inv, "web").Hosts, []string{"web02.example.com", "web03.example.com", "extra1", "extra2"})
	equal(t, "range settings", mustHost(t, inv, "web03.example.com").User, "www")
	equal(t, "position of a range host", mustHost(t, inv, "rack2-n02").Pos, Pos{File: "inv.yaml", Line: 4, Col: 3})
	equal(t, "a host created by a group mention", mustHost(t, inv, "extra2").Pos, Pos{File: "inv.yaml", Line: 10, Col: 9})
}

func TestRangeCap(t *testing.T) {
	_, err := Parse("inv.yaml", []byte("hosts:\n  web[1-1000]:\n"), LoadOptions{Transports: testTransports(), MaxHosts: 100})
	if err == nil || !strings.HasPrefix(err.Error(), `inv.yaml:2:3: bad host range "web[1-1000]": `) {
		t.Fatalf("got %v, want a capped range error", err)
	}
	// Many small ranges are capped by the inventory total.
	_, err = Parse("inv.yaml", []byte("hosts:\n  a[1-60]:\n  b[1-60]:\n"), LoadOptions{Transports: testTransports(), MaxHosts: 100})
	want := "inv.yaml:3:3: the inventory holds more than 100 hosts; hint: check the host ranges, or raise the host limit"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestHostsAsList(t *testing.T) {
	inv := parse(t, "inv.yaml", "hosts: [a, b, \"c[1-2]\"]\n")
	equal(t, "hosts", hostNames(inv.Hosts()), []string{"a", "b", "c1", "c2"})
	equal(t, "ungrouped", mustGroup(t, inv, GroupUngrouped).Hosts, []string{"a", "b", "c1", "c2"})
}

func TestGroupsDefinedInAnyOrder(t *testing.T) {
	inv := parse(t, "inv.yaml", `
groups:
  frontend: { children: [web, api] }
  web: { hosts: [w1] }
  api: { hosts: [a1] }
`)
	g := mustGroup(t, inv, "frontend")
	equal(t, "children", g.Children, []string{"web", "api"})
	equal(t, "parents of web", mustGroup(t, inv, "web").Parents, []string{"frontend"})
	equal(t, "all children", mustGroup(t, inv, GroupAll).Children, []string{GroupUngrouped, "frontend"})
	equal(t, "groups order", groupNames(inv), []string{"all", "ungrouped", "frontend", "web", "api"})
}

func groupNames(inv *Inventory) []string {
	var out []string
	for _, g := range inv.Groups() {
		out = append(out, g.Name)
	}
	return out
}

func TestMergeKeysAndAliases(t *testing.T) {
	inv := parse(t, "inv.yaml", `
hosts:
  web01: &web
    user: www
    vars: { tier: web }
  web02: *web
  web03:
    <<: *web
    user: other
`)
	equal(t, "alias user", mustHost(t, inv, "web02").User, "www")
	equal(t, "merge overridden", mustHost(t, inv, "web03").User, "other")
	equal(t, "merge vars", mustHost(t, inv, "web03").Vars["tier"], any("web"))
}

func TestVarValueTypes(t *testing.T) {
	inv := parse(t, "inv.yaml", `
hosts:
  h:
    vars:
      int: 42
      float: 1.5
      bool: true
      yes_is_a_string_in_yaml_1_2: yes
      null_value:
      list: [1, two]
      map: { k: v }
      date: 2024-01-02
`)
	equal(t, "vars", mustHost(t, inv, "h").Vars, map[string]any{
		"int": 42, "float": 1.5, "bool": true, "yes_is_a_string_in_yaml_1_2": "yes", "null_value": nil,
		"list": []any{1, "two"}, "map": map[string]any{"k": "v"}, "date": "2024-01-02",
	})
}

func TestSeveralFilesMerge(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.yaml", "hosts:\n  web01: { address: 10.0.0.1, vars: { a: 1, shared: a } }\n", 0o644)
	b := writeFile(t, dir, "b.yaml", "hosts:\n  web01: { address: 10.0.0.1, vars: { b: 2, shared: b } }\n  web02:\n", 0o644)
	inv, err := Load([]string{a, b}, LoadOptions{Transports: testTransports()})
	if err != nil {
		t.Fatal(err)
	}
	h := mustHost(t, inv, "web01")
	equal(t, "merged vars", h.Vars, map[string]any{"a": 1, "b": 2, "shared": "b"})
	equal(t, "first definition", h.Pos, Pos{File: a, Line: 2, Col: 3})
	equal(t, "sources", inv.Sources(), []Source{{a, FormatRemotectl, 1}, {b, FormatRemotectl, 2}})
}

func TestConflictingDefinitions(t *testing.T) {
	msg := parseErr(t, "inv.yaml", `
hosts:
  web[01-02]: { port: 22 }
  web02: { port: 2222 }
`)
	want := `inv.yaml:4:18: host "web02" is defined twice with different port: 2222 here, 22 at inv.yaml:3:23; hint: give the host one port, or rename one of them`
	equal(t, "message", msg, want)
}

func TestPasswordsAreNotShownInConflicts(t *testing.T) {
	for name, text := range map[string]string{
		"inv.yaml": "hosts:\n  h[1-2]: { connection: { password: secret1 } }\n  h2: { connection: { password: secret2 } }\n",
		"inv.ini":  "h2 ansible_password=secret1\nh2 ansible_password=secret2\n",
	} {
		msg := parseErr(t, name, text)
		if strings.Contains(msg, "secret") || !strings.Contains(msg, "different password: (hidden) here, (hidden) at") {
			t.Errorf("%s: the message shows a password or misses the conflict: %s", name, msg)
		}
	}
}

func TestEmptyInventories(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"empty.yaml", ""},
		{"comments.yaml", "# nothing yet\n"},
		{"empty", ""},
		{"sections.yaml", "hosts:\ngroups:\ndefaults:\n"},
	} {
		inv := parse(t, tc.name, tc.text)
		equal(t, tc.name+" hosts", len(inv.Hosts()), 0)
		equal(t, tc.name+" groups", groupNames(inv), []string{GroupAll, GroupUngrouped})
	}
}

// TestInventoryWithoutHosts: an inventory that defines no host selects
// nothing, whatever the pattern: it never falls back to the implicit
// localhost (which would run the command on the controller).
func TestInventoryWithoutHosts(t *testing.T) {
	dir := t.TempDir()
	empty := writeFile(t, dir, "empty.yaml", "", 0o644)
	ini := writeFile(t, dir, "hosts.ini", "# nothing yet\n[web]\n", 0o644)
	saved := writeFile(t, dir, "saved.json", `{"_meta":{"hostvars":{}},"all":{"hosts":[]}}`, 0o644)
	emptyDir := filepath.Join(dir, "inventory.d")
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		paths []string
		want  string
	}{
		{[]string{empty}, "the inventory " + empty + " has no hosts"},
		{[]string{ini}, "the inventory " + ini + " has no hosts"},
		{[]string{saved}, "the inventory " + saved + " has no hosts"},
		{[]string{emptyDir}, "the inventory " + emptyDir + " has no hosts"},
		{[]string{empty, emptyDir}, "the inventories " + empty + ", " + emptyDir + " have no hosts"},
	}
	if runtime.GOOS != "windows" {
		dynamic := script(t, `echo '{"_meta":{"hostvars":{}},"all":{"hosts":[]}}'`+"\n")
		tests = append(tests, struct {
			paths []string
			want  string
		}{[]string{dynamic}, "the inventory " + dynamic + " has no hosts"})
	}
	for _, tc := range tests {
		inv := loadPaths(t, tc.paths...)
		if h, ok := inv.Host("localhost"); ok {
			t.Errorf("%v: localhost resolves to %+v", tc.paths, h)
		}
		if err := inv.CheckHosts(); !errors.Is(err, ErrNoHosts) || err.Error() != tc.want {
			t.Errorf("%v: CheckHosts = %v, want %q", tc.paths, err, tc.want)
		}
		for _, pattern := range []string{"", "all", "*", "localhost", "!x"} {
			hosts, err := inv.Select(pattern, "")
			if !errors.Is(err, ErrNoHosts) || err.Error() != tc.want {
				t.Errorf("%v: Select(%q) = %v, %v; want %q", tc.paths, pattern, hostNames(hosts), err, tc.want)
			}
		}
	}
	if err := parse(t, "empty.yaml", "").CheckHosts(); err == nil || err.Error() != "the inventory empty.yaml has no hosts" {
		t.Errorf("Parse: CheckHosts = %v", err)
	}
}

func TestLoadWithoutPaths(t *testing.T) {
	inv, err := Load(nil, LoadOptions{Transports: testTransports()})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "hosts", len(inv.Hosts()), 0)
	local := mustHost(t, inv, "localhost")
	equal(t, "implicit", local.Implicit, true)
	equal(t, "transport", local.Transport, remote.KindLocal)
	got, err := inv.Select("localhost", "")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "select localhost", hostNames(got), []string{"localhost"})
	// With no inventory at all, "all" (and the empty pattern) is the implicit
	// localhost, so `remotectl exec -- CMD` works on a fresh machine.
	for _, pattern := range []string{"all", "", "*"} {
		got, err := inv.Select(pattern, "")
		if err != nil {
			t.Fatalf("Select(%q): %v", pattern, err)
		}
		equal(t, "select "+pattern, hostNames(got), []string{"localhost"})
	}
	if _, err := inv.Select("all", "nothing*"); !errors.Is(err, ErrNoMatch) {
		t.Errorf("all limited to nothing: got %v, want ErrNoMatch", err)
	}
}

func TestNoImplicitLocalhostInAnInventory(t *testing.T) {
	inv := parse(t, "inv.yaml", "hosts: [w]\n")
	if h, ok := inv.Host("localhost"); ok {
		t.Fatalf("an inventory without localhost has %+v", h)
	}
	if _, err := inv.Select("localhost", ""); !errors.Is(err, ErrUnknownName) {
		t.Errorf("Select(localhost): got %v, want ErrUnknownName", err)
	}
	equal(t, "all", hostNames(mustSelect(t, inv, "all")), []string{"w"})
}

func TestNames(t *testing.T) {
	inv := parse(t, "inv.yaml", "hosts: [web1, db1]\ngroups:\n  web: { hosts: [web1] }\n")
	equal(t, "names", inv.Names(), []string{"all", "db1", "ungrouped", "web", "web1"})
}

// TestDocExampleLoads keeps the example of the package documentation valid:
// the first code block of doc.go.
func TestDocExampleLoads(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var example []string
scan:
	for _, line := range strings.Split(string(src), "\n") {
		code, isCode := strings.CutPrefix(line, "//\t")
		switch {
		case isCode:
			example = append(example, code)
		case line == "//" && len(example) > 0:
			example = append(example, "")
		case len(example) > 0:
			break scan
		}
	}
	if len(example) < 10 {
		t.Fatalf("example not found in doc.go (%d lines)", len(example))
	}
	inv := parse(t, "doc.yaml", strings.Join(example, "\n"))
	equal(t, "web04 proxy jump", mustHost(t, inv, "web04.example.com").Conn.SSH.ProxyJump, "bastion.example.com")
	equal(t, "frontend user", mustHost(t, inv, "web01.example.com").User, "www")
	equal(t, "win01 transport", mustHost(t, inv, "win01").Transport, remote.KindWinRM)
}

func TestConnSettingsShowsWhatIsSet(t *testing.T) {
	inv := parse(t, "inv.yaml", `
hosts:
  a:
    connection: { password: s3cret, connect_timeout: 5, become: true, identity_file: [a, b],
                  winrm_https: false, winrm_client_key: k.pem }
  b:
`)
	equal(t, "settings", mustHost(t, inv, "a").ConnSettings(), map[string]string{
		"password": "(set, hidden)", "connect_timeout": "5s", "become": "true",
		"identity_file": "a, b", "winrm_https": "false", "winrm_client_key": "k.pem",
	})
	equal(t, "no settings", mustHost(t, inv, "b").ConnSettings(), map[string]string{})
	equal(t, "a zero host", (&Host{}).ConnSettings(), map[string]string{})
}
