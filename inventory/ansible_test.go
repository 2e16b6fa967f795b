package inventory

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

func loadPaths(t *testing.T, paths ...string) *Inventory {
	t.Helper()
	inv, err := Load(paths, LoadOptions{Transports: testTransports()})
	if err != nil {
		t.Fatalf("Load(%v): %v", paths, err)
	}
	return inv
}

func TestAnsibleINIFixture(t *testing.T) {
	inv := loadPaths(t, "testdata/ansible/hosts.ini")
	equal(t, "sources", inv.Sources(), []Source{{Path: "testdata/ansible/hosts.ini", Format: FormatAnsibleINI, Hosts: 29}})

	equal(t, "ungrouped", mustGroup(t, inv, GroupUngrouped).Hosts, []string{"mail.example.com"})
	equal(t, "webservers (www[01:03])", mustGroup(t, inv, "webservers").Hosts,
		[]string{"foo.example.com", "bar.example.com", "www01.example.com", "www02.example.com", "www03.example.com"})
	equal(t, "letter range", mustGroup(t, inv, "dbservers").Hosts[3:],
		[]string{"db-a.example.com", "db-b.example.com", "db-c.example.com"})
	equal(t, "stride", mustGroup(t, inv, "batch").Hosts, []string{"node01.example.com", "node05.example.com", "node09.example.com"})
	equal(t, "children", mustGroup(t, inv, "usa").Children, []string{"southeast", "northeast", "northwest", "southwest"})
	equal(t, "top-level groups", mustGroup(t, inv, GroupAll).Children,
		[]string{GroupUngrouped, "webservers", "dbservers", "batch", "usa", "targets", "proxied", "windows"})

	host1 := mustHost(t, inv, "host1")
	equal(t, "host1 vars", host1.Vars, map[string]any{
		"http_port": 80, "maxRequestsPerChild": 808, // inline: Python literals
		"ntp_server": "ntp.atlanta.example.com", "proxy": "proxy.atlanta.example.com",
		"max_clients": 300, "has_java": false, // [atlanta:vars]: literals too, as ansible-core does
		"some_server": "foo.southeast.example.com", "halon_system_timeout": 30, "escape_pods": 2,
		"ansible_python_interpreter": "/usr/bin/python3",
	})
	equal(t, "host1 groups", host1.Groups, []string{"all", "atlanta", "southeast", "usa"})
	equal(t, "host1 origin", host1.VarOrigin("ntp_server"), "group atlanta (testdata/ansible/hosts.ini:25)")
	// host2 is in atlanta and raleigh, both at depth 3: raleigh wins by name.
	equal(t, "host2 ntp_server", mustHost(t, inv, "host2").Vars["ntp_server"], any("ntp.raleigh.example.com"))
	// host3 only in raleigh; southeast's value loses to the child group.
	equal(t, "host3 ntp_server", mustHost(t, inv, "host3").Vars["ntp_server"], any("ntp.raleigh.example.com"))
	host4 := mustHost(t, inv, "host4")
	equal(t, "quoted values", []any{host4.Vars["description"], host4.Vars["motd"], host4.Vars["ports"], host4.Vars["enabled"]},
		[]any{"Rack 4, slot 2", `it is "fine"`, []any{80, 443}, true})

	local := mustHost(t, inv, "localhost")
	equal(t, "localhost transport", local.Transport, remote.KindLocal)
	equal(t, "localhost is defined", local.Implicit, false)
	equal(t, "other1 user", mustHost(t, inv, "other1.example.com").User, "myuser")
	equal(t, "host:port", mustHost(t, inv, "badwolf.example.com").Port, 5309)
	equal(t, "host:port var", mustHost(t, inv, "badwolf.example.com").Vars["ansible_port"], any(5309))
	jumper := mustHost(t, inv, "jumper")
	equal(t, "alias address", jumper.Addr(), "192.0.2.50")
	equal(t, "alias port", jumper.Port, 5555)
	ipv6 := mustHost(t, inv, "2001:db8::10")
	equal(t, "[ipv6]:port", ipv6.Port, 2200)

	app1 := mustHost(t, inv, "app1.internal")
	equal(t, "ProxyJump from ssh args", app1.Conn.SSH.ProxyJump, "deploy@bastion.example.com")
	app2 := mustHost(t, inv, "app2.internal")
	equal(t, "key file", app2.Conn.SSH.IdentityFiles, []string{"~/.ssh/app.pem"})
	equal(t, "become=yes", app2.Conn.Become, true)
	equal(t, "become user", app2.Conn.BecomeUser, "root")

	win := mustHost(t, inv, "win2.example.com")
	https := true
	equal(t, "windows settings from [windows:vars]",
		[]any{win.Transport, win.Addr(), win.Port, win.User, win.Conn.WinRM.Auth, win.Conn.WinRM.HTTPS, win.Conn.WinRM.Insecure, win.Conn.WinRM.Shell},
		[]any{remote.KindWinRM, "10.0.0.22", 5986, "Administrator@EXAMPLE.COM", "ntlm", &https, true, "powershell"})
}

func TestAnsibleYAMLFixture(t *testing.T) {
	inv := loadPaths(t, "testdata/ansible/hosts.yaml")
	equal(t, "format", inv.Sources()[0].Format, FormatAnsibleYAML)
	equal(t, "all hosts", mustGroup(t, inv, GroupAll).Hosts, []string{"mail.example.com"})
	equal(t, "ungrouped", mustGroup(t, inv, GroupUngrouped).Hosts, []string{"mail.example.com"})
	equal(t, "webservers", mustGroup(t, inv, "webservers").Hosts,
		[]string{"foo.example.com", "bar.example.com", "www01.example.com", "www02.example.com", "www03.example.com"})
	equal(t, "prod children", mustGroup(t, inv, "prod").Children, []string{"east"})
	equal(t, "east parents", mustGroup(t, inv, "east").Parents, []string{GroupAll, "prod"})
	foo := mustHost(t, inv, "foo.example.com")
	equal(t, "foo groups", foo.Groups, []string{"all", "east", "prod", "webservers"})
	equal(t, "foo vars", foo.Vars, map[string]any{"env": "prod", "http_port": 80, "ntp_server": "ntp.example.com"})
	equal(t, "three port", mustHost(t, inv, "three.example.com").Port, 2222)
	equal(t, "three env", mustHost(t, inv, "three.example.com").Vars["env"], any("test"))

	host2 := mustHost(t, inv, "host2")
	equal(t, "YAML 1.1 yes is a boolean", host2.Vars["ansible_become"], any(true))
	equal(t, "quoted yes stays a string", host2.Vars["quoted_yes"], any("yes"))
	equal(t, "become", host2.Conn.Become, true)
	equal(t, "origin", host2.VarOrigin("http_port"), "host (testdata/ansible/hosts.yaml:47:7)")

	win := mustHost(t, inv, "win1.example.com")
	https := false
	equal(t, "psrp settings", []any{win.Transport, win.Conn.WinRM.HTTPS, win.Conn.WinRM.Auth, win.User, win.Conn.Password},
		[]any{remote.KindWinRM, &https, "negotiate", "Administrator", "p@ss{w0rd"})
	equal(t, "hosts: NAME shorthand", mustGroup(t, inv, "single").Hosts, []string{"lonely.example.com"})
}

func TestAnsibleDirectoryWithGroupAndHostVars(t *testing.T) {
	inv := loadPaths(t, "testdata/dir")
	equal(t, "sources (README.md and ansible.cfg skipped, subdirectories read)", inv.Sources(), []Source{
		{Path: filepath.Join("testdata/dir", "01-hosts"), Format: FormatAnsibleINI, Hosts: 3},
		{Path: filepath.Join("testdata/dir", "02-cloud.yaml"), Format: FormatAnsibleYAML, Hosts: 2},
		{Path: filepath.Join("testdata/dir", "sub", "03-more.yml"), Format: FormatRemotectl, Hosts: 1},
	})
	web1 := mustHost(t, inv, "web1.example.com")
	equal(t, "web1 vars", web1.Vars, map[string]any{
		"ntp_server": "ntp.example.com", "http_port": 81, "ansible_user": "www", "max_clients": 200,
	})
	equal(t, "group_vars/NAME/ files merged", web1.VarOrigin("max_clients"),
		"group webservers ("+filepath.Join("testdata/dir/group_vars/webservers/tuning.yaml")+":1:1)")
	equal(t, "user from group_vars", web1.User, "www")
	web2 := mustHost(t, inv, "web2.example.com")
	equal(t, "host_vars beat inline vars", web2.Vars["http_port"], any(9090))
	equal(t, "host_vars override the address", web2.Addr(), "192.0.2.2")
	equal(t, "group_vars/all", mustHost(t, inv, "vm1.cloud.example.com").Vars["http_port"], any(80))
	equal(t, "host setting beats group_vars", mustHost(t, inv, "extra.example.com").User, "admin")
}

func TestDirectorySkipsJunk(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "hosts", "[web]\nweb1\n", 0o644)
	for _, junk := range []string{".hidden", "hosts~", "notes.md", "old.bak", "x.retry", "ansible.cfg", "sub/.git/config"} {
		writeFile(t, dir, junk, "[[[ not an inventory\n", 0o644)
	}
	inv := loadPaths(t, dir)
	equal(t, "hosts", hostNames(inv.Hosts()), []string{"web1"})
	equal(t, "sources", len(inv.Sources()), 1)
}

func TestGroupVarsNextToAFile(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", "[web]\nweb1 ansible_port=22\n[web:vars]\nx=inline\n", 0o644)
	writeFile(t, dir, "group_vars/web", "x: from_group_vars\n", 0o644)
	writeFile(t, dir, "host_vars/web1.json", `{"ansible_port": 2222}`, 0o644)
	inv := loadPaths(t, hosts)
	web1 := mustHost(t, inv, "web1")
	equal(t, "group_vars beat inventory group vars", web1.Vars["x"], any("from_group_vars"))
	equal(t, "host_vars override (no conflict)", web1.Port, 2222)
}

func TestHostVarsWithoutGroupVars(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", "[web]\nweb1 a=1\n", 0o644)
	writeFile(t, dir, "host_vars/web1", "a: 2\n", 0o644)
	equal(t, "vars", mustHost(t, loadPaths(t, hosts), "web1").Vars, map[string]any{"a": 2})
}

func TestGroupVarsThatIsAFileIsSkipped(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", "[web]\nweb1 a=1\n", 0o644)
	writeFile(t, dir, "group_vars", "web: {a: 2}\n", 0o644)
	equal(t, "vars", mustHost(t, loadPaths(t, hosts), "web1").Vars, map[string]any{"a": 1})
}

func TestVaultEncryptedVarsFile(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", "[web]\nweb1\n", 0o644)
	vault := writeFile(t, dir, "group_vars/web.yml", "$ANSIBLE_VAULT;1.1;AES256\n3563\n", 0o644)
	_, err := Load([]string{hosts}, LoadOptions{Transports: testTransports()})
	want := vault + ": the file is encrypted with Ansible Vault and no vault password was given; hint: pass the vault password with --vault-password-file FILE (or --vault-id)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

// fakeVault "decrypts" vault text whose payload is "ok": the hook's
// contract (what it is given, what becomes of its result), not the cipher.
func fakeVault(plain string) func([]byte) ([]byte, error) {
	return func(text []byte) ([]byte, error) {
		if string(text) != "$ANSIBLE_VAULT;1.1;AES256\nok" {
			return nil, errors.New("HMAC verification failed")
		}
		return []byte(plain), nil
	}
}

func TestVaultDecryptHook(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts.yml",
		"web:\n  hosts:\n    web1:\n      inline: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        ok\n", 0o644)
	writeFile(t, dir, "group_vars/web.yml", "$ANSIBLE_VAULT;1.1;AES256\nok\n", 0o644)
	opts := LoadOptions{Transports: testTransports(), Decrypt: fakeVault("ansible_user: from_vault\n")}
	inv, err := Load([]string{hosts}, opts)
	if err != nil {
		t.Fatal(err)
	}
	web1 := mustHost(t, inv, "web1")
	equal(t, "inline value and group_vars file decrypted", web1.Vars,
		map[string]any{"inline": "ansible_user: from_vault\n", "ansible_user": "from_vault"})
	equal(t, "user", web1.User, "from_vault")

	bad := writeFile(t, dir, "group_vars/all.yml", "$ANSIBLE_VAULT;1.1;AES256\nwrong\n", 0o644)
	_, err = Load([]string{hosts}, opts)
	want := bad + ": cannot decrypt this Ansible Vault file: HMAC verification failed; hint: check the vault password (--vault-password-file, --vault-id)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestVaultEncryptedInventory(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", "$ANSIBLE_VAULT;1.1;AES256\nok\n", 0o644)
	inv, err := Load([]string{hosts}, LoadOptions{Transports: testTransports(), Decrypt: fakeVault("[db]\ndb1\n")})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "hosts", hostNames(inv.Hosts()), []string{"db1"})
	_, err = Load([]string{hosts}, LoadOptions{Transports: testTransports()})
	if err == nil || !strings.Contains(err.Error(), hosts+": the file is encrypted with Ansible Vault and no vault password was given") {
		t.Fatalf("got %v", err)
	}
}

func TestHostList(t *testing.T) {
	inv := loadPaths(t, "web1,web2:2222, db[1:2] ,")
	equal(t, "hosts", hostNames(inv.Hosts()), []string{"web1", "web2", "db1", "db2"})
	equal(t, "port", mustHost(t, inv, "web2").Port, 2222)
	equal(t, "format", inv.Sources()[0].Format, FormatHostList)
}

func TestMissingPath(t *testing.T) {
	_, err := Load([]string{"testdata/no/such/file"}, LoadOptions{Transports: testTransports()})
	want := "testdata/no/such/file: cannot read inventory: no such file or directory; hint: check the path given with -i"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

// TestINIValues pins how INI values are typed, following ansible-core's
// integration test (test/integration/targets/inventory_ini): Python
// literals become values, anything else stays text; the same rules apply to
// inline host variables and to [group:vars].
func TestINIValues(t *testing.T) {
	inv := parse(t, "hosts", dedent(`
		[local]
		testhost ansible_connection=local inline_int=5 inline_quoted="'5'" inline_yes=yes inline_str=hello

		[all:vars]
		value_bool=True
		value_int=1
		value_float=1.2
		value_complex=1j
		value_str_single_quote='single'
		value_str_double_quote="double"
		value_bytes_single_quote=b'single'
		value_ellipsis=...
		value_dict={"a": "b"}
		value_list=[1, 2]
		value_tuple=(1, 2)
		value_set={1, 2}
		value_empty_set=set()
		value_none=None
		value_invalid=invalid
		value_false_word=FALSE
		value_invalid_decimal_literal=host-01.internal
		value_with_comment = 42 # a comment
		value_spaces = some text here
		value_hex=0x1F
		value_leading_zero=0755
	`))
	h := mustHost(t, inv, "testhost")
	want := map[string]any{
		"value_bool": true, "value_int": 1, "value_float": 1.2, "value_complex": "1j",
		"value_str_single_quote": "single", "value_str_double_quote": "double", "value_bytes_single_quote": "single",
		"value_ellipsis": "...", "value_dict": map[string]any{"a": "b"}, "value_list": []any{1, 2},
		"value_tuple": []any{1, 2}, "value_set": []any{1, 2}, "value_empty_set": []any{}, "value_none": nil,
		"value_invalid": "invalid", "value_false_word": "FALSE", "value_invalid_decimal_literal": "host-01.internal",
		"value_with_comment": 42, "value_spaces": "some text here", "value_hex": 31, "value_leading_zero": "0755",
		"inline_int": 5, "inline_quoted": "5", "inline_yes": "yes", "inline_str": "hello",
		"ansible_connection": "local",
	}
	for k, v := range want {
		equal(t, k, h.Vars[k], v)
	}
	equal(t, "no other vars", len(h.Vars), len(want))
}

func TestINIByteOrderMarkAndCRLF(t *testing.T) {
	inv := parse(t, "hosts", "\xef\xbb\xbf[web]\r\nweb1 a=1\r\n[web:vars]\r\nb = two\r\n")
	equal(t, "vars", mustHost(t, inv, "web1").Vars, map[string]any{"a": 1, "b": "two"})
}

func TestINIPendingDeclarations(t *testing.T) {
	// Children may be declared after the [parent:children] section, and a
	// [g:vars] section may come before [g], as Ansible allows.
	inv := parse(t, "hosts", dedent(`
		[web:vars]
		port=80
		[frontend:children]
		web
		[web]
		w1
	`))
	equal(t, "children", mustGroup(t, inv, "frontend").Children, []string{"web"})
	equal(t, "vars", mustHost(t, inv, "w1").Vars["port"], any(80))
	equal(t, "groups", mustHost(t, inv, "w1").Groups, []string{"all", "frontend", "web"})
}

func TestINIFileWithoutExtensionIsDetected(t *testing.T) {
	for name, text := range map[string]string{
		"hosts":       "web1\nweb2:2222\n",
		"inventory":   "[web]\nweb1\n",
		"single-host": "web1",
		"ports-only":  "web1:2222\nweb2:2223\n", // YAML would read a mapping of numbers
	} {
		inv := parse(t, name, text)
		equal(t, name+" format", inv.Sources()[0].Format, FormatAnsibleINI)
		if len(inv.Hosts()) == 0 {
			t.Errorf("%s: no hosts", name)
		}
	}
}

func TestAnsibleConnectionValues(t *testing.T) {
	for value, transport := range map[string]string{
		"ssh": remote.KindSSH, "paramiko": remote.KindSSH, "smart": remote.KindSSH, "ansible.builtin.ssh": remote.KindSSH,
		"local": remote.KindLocal, "winrm": remote.KindWinRM, "psrp": remote.KindWinRM, "ansible.builtin.psrp": remote.KindWinRM,
	} {
		inv := parse(t, "hosts", "h ansible_connection="+value+"\n")
		equal(t, value, mustHost(t, inv, "h").Transport, transport)
	}
}

func TestAnsibleSettingsMapping(t *testing.T) {
	inv := parse(t, "hosts", dedent(`
		a ansible_ssh_host=10.0.0.1 ansible_ssh_port=2200 ansible_ssh_user=u ansible_ssh_pass=pw ansible_timeout=15
		b ansible_host_key_checking=False ansible_private_key_file=/k ansible_ssh_common_args="-J hop1,hop2"
		c ansible_winrm_transport="['credssp', 'kerberos', 'certificate']" ansible_winrm_ca_trust_path=/ca ansible_winrm_cert_pem=/c ansible_winrm_cert_key_pem=/k ansible_winrm_message_encryption=always ansible_winrm_kerberos_hostname_override=win1.example.com ansible_winrm_kerberos_delegation=false
		d ansible_shell_type=sh ansible_ssh_extra_args="-o StrictHostKeyChecking=no"
	`))
	a := mustHost(t, inv, "a")
	equal(t, "a", []any{a.Addr(), a.Port, a.User, a.Conn.Password, a.Conn.ConnectTimeout},
		[]any{"10.0.0.1", 2200, "u", "pw", 15 * time.Second})
	b := mustHost(t, inv, "b")
	equal(t, "b", []any{b.Conn.SSH.HostKeyPolicy, b.Conn.SSH.IdentityFiles, b.Conn.SSH.ProxyJump},
		[]any{"off", []string{"/k"}, "hop1,hop2"})
	c := mustHost(t, inv, "c")
	equal(t, "c", []any{c.Conn.WinRM.Auth, c.Conn.WinRM.CACert, c.Conn.WinRM.ClientCert, c.Conn.WinRM.ClientKey, c.Conn.WinRM.MessageEncryption,
		c.Conn.WinRM.KerberosHostname, c.Conn.WinRM.KerberosDelegation},
		[]any{"kerberos", "/ca", "/c", "/k", "always", "win1.example.com", false})
	d := mustHost(t, inv, "d")
	equal(t, "d (a POSIX shell sets nothing; the ssh option is honoured)", d.Conn, Conn{SSH: remote.SSHSettings{HostKeyPolicy: "off"}})
}

func TestAnsibleSSHArgs(t *testing.T) {
	inv := parse(t, "hosts", dedent(`
		a ansible_ssh_common_args="-o ProxyCommand='nc -q0 %h %p' -o UserKnownHostsFile=/kh -i /k1 -o IdentityFile=/k2 -o IdentitiesOnly=yes"
		b ansible_ssh_extra_args="-C -q -o ControlMaster=auto -o ControlPersist=60s -o ServerAliveInterval=30 -p 2222 -l deploy -o ConnectTimeout=7 -o StrictHostKeyChecking=accept-new -J hop"
		c ansible_ssh_common_args="-o 'StrictHostKeyChecking yes' -oProxyJump=j1,j2"
		d ansible_ssh_common_args="-o GlobalKnownHostsFile=/dev/null -o IdentityAgent=none"
	`))
	a := mustHost(t, inv, "a")
	equal(t, "a", []any{a.Conn.SSH.ProxyCommand, a.Conn.SSH.KnownHostsFile, a.Conn.SSH.IdentityFiles, a.Conn.SSH.IdentitiesOnly},
		[]any{"nc -q0 %h %p", "/kh", []string{"/k1", "/k2"}, true})
	b := mustHost(t, inv, "b")
	equal(t, "b", []any{b.Port, b.User, b.Conn.ConnectTimeout, b.Conn.SSH.HostKeyPolicy, b.Conn.SSH.ProxyJump},
		[]any{2222, "deploy", 7 * time.Second, "accept-new", "hop"})
	c := mustHost(t, inv, "c")
	equal(t, "c", []any{c.Conn.SSH.HostKeyPolicy, c.Conn.SSH.ProxyJump}, []any{"strict", "j1,j2"})
	d := mustHost(t, inv, "d") // as bench/fleet.sh writes them: no global file (remotectl reads none), no agent
	equal(t, "d", d.Conn.SSH.IdentityAgent, "none")
}

func TestAnsibleSSHArgsNotHonouredAreErrors(t *testing.T) {
	tests := map[string]string{
		`h ansible_ssh_common_args="-o ForwardAgent=yes"`:                  `host h: ansible_ssh_common_args: -o ForwardAgent is an ssh option remotectl cannot honour`,
		`h ansible_ssh_extra_args="-o Frobnicate=1"`:                       `-o Frobnicate is an ssh option remotectl cannot honour`,
		`h ansible_ssh_extra_args="-A"`:                                    `-A is an ssh option remotectl cannot honour`,
		`h ansible_ssh_extra_args="-L 8080:localhost:80"`:                  `-L is an ssh option`,
		`h ansible_ssh_extra_args="-F /etc/other_config"`:                  `-F is an ssh option`,
		`h ansible_ssh_common_args="-o UserKnownHostsFile='/a /b'"`:        `one known_hosts file`,
		`h ansible_ssh_common_args="-o GlobalKnownHostsFile=/etc/kh"`:      `remotectl reads no global known_hosts file`,
		`h ansible_ssh_common_args="-o StrictHostKeyChecking=maybe"`:       `StrictHostKeyChecking must be`,
		`h ansible_ssh_common_args="-o Port=ssh"`:                          `Port must be a number`,
		`h ansible_ssh_common_args="-o ServerAliveInterval=x"`:             `-o ServerAliveInterval: bad value "x"`,
		`h ansible_ssh_common_args="-o ServerAliveCountMax=-1"`:            `-o ServerAliveCountMax: bad value "-1"`,
		`h ansible_ssh_common_args="-o ConnectionAttempts=0"`:              `-o ConnectionAttempts: bad value "0"`,
		`h ansible_ssh_common_args="-o ControlPersist=bogus"`:              `-o ControlPersist: bad value`,
		`h ansible_ssh_extra_args="-o Compression=maybe -o LogLevel=LOUD"`: `-o Compression: bad value "maybe"`,
		`h ansible_ssh_common_args="-o ProxyCommand"`:                      `an option is Keyword=value`,
		`h ansible_ssh_common_args="-p"`:                                   `-p needs an argument`,
		`h ansible_ssh_common_args="stray"`:                                `"stray" is not an ssh option`,
		"[all:vars]\nansible_ssh_common_args=\"-o LocalCommand=echo\"\n":   `group all: ansible_ssh_common_args: -o LocalCommand`,
	}
	for line, want := range tests {
		if msg := parseErr(t, "hosts", line+"\n"); !strings.Contains(msg, want) {
			t.Errorf("%s: error %q; want %q", line, msg, want)
		}
	}
}

func TestAnsibleGroupPriority(t *testing.T) {
	// Same depth: "aaa" would lose to "zzz" by name, but its priority is higher.
	inv := parse(t, "hosts", dedent(`
		[aaa]
		h
		[zzz]
		h
		[aaa:vars]
		v=aaa
		ansible_group_priority=10
		[zzz:vars]
		v=zzz
	`))
	equal(t, "v", mustHost(t, inv, "h").Vars["v"], any("aaa"))
}

func TestAnsibleYAMLDetection(t *testing.T) {
	for name, text := range map[string]string{
		"inv.yml":  "all:\n  hosts:\n    a:\n",
		"inv":      "web:\n  hosts:\n    a:\n",
		"inv.json": `{"all": {"hosts": {"a": null}}}`,
		"empty":    "webservers:\n",
	} {
		inv := parse(t, name, text)
		equal(t, name+" format", inv.Sources()[0].Format, FormatAnsibleYAML)
	}
}

func TestRemotectlDetection(t *testing.T) {
	for _, name := range []string{"inv.yaml", "inv", "inv.txt"} {
		inv := parse(t, name, "defaults:\n  user: x\nhosts:\n  a:\n")
		equal(t, name+" format", inv.Sources()[0].Format, FormatRemotectl)
	}
}

func TestBrokenYAMLWithoutExtensionReportsYAML(t *testing.T) {
	msg := parseErr(t, "inventory", "hosts:\n  web01:\n    user: a\n   port: 22\n")
	if !strings.HasPrefix(msg, "inventory:2: invalid YAML: did not find expected key") {
		t.Fatalf("got %q, want the YAML error", msg)
	}
}

func TestImplicitLocalhostOfAnInventory(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", "[web]\nw1\n[all:vars]\nansible_user=deploy\nx=1\n", 0o644)
	writeFile(t, dir, "group_vars/all.yml", "y: 2\n", 0o644)
	writeFile(t, dir, "group_vars/web.yml", "z: 3\n", 0o644)
	inv, err := Load([]string{hosts}, LoadOptions{Transports: testTransports(), ImplicitLocalhost: true})
	if err != nil {
		t.Fatal(err)
	}
	local := mustHost(t, inv, "127.0.0.1")
	// As ansible-inventory --host localhost shows it (but
	// ansible_python_interpreter: remotectl runs no Python).
	equal(t, "vars", local.Vars, map[string]any{"ansible_connection": "local", "ansible_user": "deploy", "x": 1, "y": 2})
	equal(t, "transport", []any{local.Transport, local.User, local.Implicit}, []any{remote.KindLocal, "", true})
	got, err := inv.SelectAnsible("localhost,::1,web", "")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "one implicit host, by any of its names", hostNames(got), []string{"localhost", "w1"})
	if got, err := inv.Select("all", ""); err != nil || len(got) != 1 {
		t.Errorf("all: %v, %v; want w1 alone", hostNames(got), err)
	}

	inv = loadPaths(t, hosts) // without the option: only the hosts it defines
	if _, err := inv.Select("localhost", ""); !errors.Is(err, ErrUnknownName) {
		t.Errorf("localhost without ImplicitLocalhost: %v", err)
	}
}
