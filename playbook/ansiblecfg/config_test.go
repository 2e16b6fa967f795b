package ansiblecfg

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, path, data string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// env returns a Getenv over vars.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

const sample = `# comment
[defaults]
inventory = hosts.ini, ~/inv2 ; inline comment
roles_path = roles:$HOME/r2:/abs/r3
forks: 7
remote_user = deploy
timeout = 25
private_key_file = keys/id_ed25519
vault_password_file = ~/.vault_pass
vault_identity_list = dev@dev.txt , prod@prompt
ask_vault_pass = true
host_key_checking = False
gathering = smart
callbacks_enabled = timer,
  profile_tasks

[privilege_escalation]
become = yes
become_user = admin
become_method = su
become_ask_pass = off

[ssh_connection]
pipelining = True
`

// ansible-config dump (the oracle) and Load agree on every setting
// remotectl reads, with a file and an environment variable over it.
func TestLoadAgainstAnsibleConfig(t *testing.T) {
	if _, err := exec.LookPath("ansible-config"); err != nil {
		t.Skip("ansible-config (the oracle) is not installed")
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	cfg := write(t, filepath.Join(dir, "proj", "ansible.cfg"), sample)
	vars := map[string]string{"HOME": home, "ANSIBLE_CONFIG": cfg, "ANSIBLE_FORKS": "9", "ANSIBLE_REMOTE_USER": "ops"}
	cmd := exec.Command("ansible-config", "dump", "--only-changed")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ANSIBLE_LOCAL_TEMP=" + filepath.Join(dir, "tmp"), "ANSIBLE_DEPRECATION_WARNINGS=0"}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ansible-config: %v", err)
	}
	oracle := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		name, rest, ok := strings.Cut(line, "(")
		if _, v, ok2 := strings.Cut(rest, ") = "); ok && ok2 {
			oracle[name] = v
		}
	}
	c, err := Load(Lookup{Getenv: env(vars), Cwd: dir})
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]string{
		"CONFIG_FILE":                 c.File,
		"DEFAULT_HOST_LIST":           pyList(c.Inventory),
		"DEFAULT_ROLES_PATH":          pyList(c.RolesPath),
		"DEFAULT_FORKS":               fmt.Sprint(c.Forks),
		"DEFAULT_REMOTE_USER":         c.RemoteUser,
		"DEFAULT_TIMEOUT":             fmt.Sprint(int(c.Timeout / time.Second)),
		"DEFAULT_PRIVATE_KEY_FILE":    c.PrivateKeyFile,
		"DEFAULT_VAULT_PASSWORD_FILE": c.VaultPasswordFile,
		"DEFAULT_VAULT_IDENTITY_LIST": pyList(c.VaultIdentityList),
		"DEFAULT_ASK_VAULT_PASS":      pyBool(c.AskVaultPass),
		"HOST_KEY_CHECKING":           pyBool(*c.HostKeyChecking),
		"DEFAULT_GATHERING":           c.Gathering,
		"DEFAULT_BECOME":              pyBool(c.Become),
		"DEFAULT_BECOME_USER":         c.BecomeUser,
		"DEFAULT_BECOME_METHOD":       c.BecomeMethod,
		"DEFAULT_BECOME_ASK_PASS":     pyBool(c.BecomeAskPass),
	}
	for name, want := range ours {
		if oracle[name] != want {
			t.Errorf("%s: ansible-config says %q, Load %q", name, oracle[name], want)
		}
	}
	if c.Forks != 9 || c.RemoteUser != "ops" {
		t.Errorf("environment over the file: forks %d, remote_user %q", c.Forks, c.RemoteUser)
	}
	wantWarn := []string{
		cfg + ":12: host_key_checking is False, but remotectl keeps verifying host keys; hint: --host-key-policy accept-new",
		cfg + ":14: [defaults] callbacks_enabled is not used by remotectl",
		cfg + ":24: [ssh_connection] pipelining is not used by remotectl",
	}
	if len(c.Warnings) != len(wantWarn) {
		t.Fatalf("warnings %q", c.Warnings)
	}
	for i, w := range wantWarn {
		if !strings.HasPrefix(c.Warnings[i], w) {
			t.Errorf("warning %q, want it to start with %q", c.Warnings[i], w)
		}
	}
}

func pyList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = "'" + s + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// Ansible's order: ANSIBLE_CONFIG (a directory means its ansible.cfg),
// ./ansible.cfg, ~/.ansible.cfg, the system file; the first that exists.
func TestFindOrder(t *testing.T) {
	dir := t.TempDir()
	cwd, home := filepath.Join(dir, "cwd"), filepath.Join(dir, "home")
	system := write(t, filepath.Join(dir, "etc", "ansible.cfg"), "")
	l := Lookup{Getenv: env(nil), Cwd: cwd, Home: home, System: system}
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	step := func(want string) {
		t.Helper()
		if got, warn := l.Find(); got != want || warn != "" {
			t.Errorf("Find = %q (warning %q), want %q", got, warn, want)
		}
	}
	step(system)
	step(system)
	homeCfg := write(t, filepath.Join(home, ".ansible.cfg"), "")
	step(homeCfg)
	cwdCfg := write(t, filepath.Join(cwd, "ansible.cfg"), "")
	step(cwdCfg)
	envDir := filepath.Join(dir, "envdir")
	envCfg := write(t, filepath.Join(envDir, "ansible.cfg"), "")
	l.Getenv = env(map[string]string{"ANSIBLE_CONFIG": envDir})
	step(envCfg)
	l.Getenv = env(map[string]string{"ANSIBLE_CONFIG": filepath.Join(dir, "missing.cfg")})
	step(cwdCfg)
}

// A world-writable working directory's ansible.cfg is skipped, with a
// warning, unless ANSIBLE_CONFIG names it.
func TestFindWorldWritableCwd(t *testing.T) {
	dir := t.TempDir()
	cfg := write(t, filepath.Join(dir, "ansible.cfg"), "[defaults]\nforks = 3\n")
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	l := Lookup{Getenv: env(nil), Cwd: dir}
	got, warn := l.Find()
	if got != "" || !strings.Contains(warn, "world-writable") {
		t.Errorf("Find = %q, %q; want none and a warning", got, warn)
	}
	l.Getenv = env(map[string]string{"ANSIBLE_CONFIG": cfg})
	if got, warn := l.Find(); got != cfg || warn != "" {
		t.Errorf("with ANSIBLE_CONFIG: Find = %q, %q", got, warn)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct{ cfg, want string }{
		{"forks = 3\n", `:1: "forks = 3" is outside any section; hint: put it under [defaults]`},
		{"[defaults]\nforks = many\n", `:2: [defaults] forks = "many" is not an integer`},
		{"[defaults]\nhost_key_checking = maybe\n", `:2: [defaults] host_key_checking: "maybe" is not a boolean`},
		{"[defaults]\ngathering = lazy\n", `:2: [defaults] gathering = "lazy": it must be implicit, explicit or smart`},
		{"[defaults]\nforks = 1\nforks = 2\n", ":3: [defaults] forks is set twice"},
		{"[defaults]\n[defaults]\n", ":2: section [defaults] appears twice"},
		{"[defaults\n", ":1: the section header"},
		{"[defaults]\njust words\n", `:2: "just words" is not key = value`},
		{"  indented = 1\n", ":1: an indented line continues no key"},
	} {
		dir := t.TempDir()
		cfg := write(t, filepath.Join(dir, "ansible.cfg"), tc.cfg)
		_, err := Load(Lookup{Getenv: env(nil), Cwd: dir})
		if err == nil || !strings.Contains(err.Error(), cfg+tc.want) {
			t.Errorf("%q: %v, want %q", tc.cfg, err, cfg+tc.want)
		}
	}
	if _, err := Load(Lookup{Getenv: env(map[string]string{"ANSIBLE_FORKS": "x"})}); err == nil || !strings.Contains(err.Error(), "$ANSIBLE_FORKS: [defaults] forks") {
		t.Errorf("bad environment value: %v", err)
	}
}

func TestGatheringExplicitWarns(t *testing.T) {
	c, err := Load(Lookup{Getenv: env(map[string]string{"ANSIBLE_GATHERING": "explicit"})})
	if err != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "$ANSIBLE_GATHERING: gathering = explicit is not applied") {
		t.Errorf("Load = %+v, %v", c, err)
	}
}

func TestBool(t *testing.T) {
	for _, v := range []string{"yes", "On", "1", "TRUE", "t", "y"} {
		if b, err := Bool(v); !b || err != nil {
			t.Errorf("Bool(%q) = %v, %v", v, b, err)
		}
	}
	for _, v := range []string{"no", "Off", "0", "false", "F", "n"} {
		if b, err := Bool(v); b || err != nil {
			t.Errorf("Bool(%q) = %v, %v", v, b, err)
		}
	}
}

// Without roles_path, Ansible's default: ~/.ansible/roles (or
// $ANSIBLE_HOME/roles), /usr/share/ansible/roles, /etc/ansible/roles.
func TestDefaultRolesPath(t *testing.T) {
	c, err := Load(Lookup{Getenv: env(nil), Home: "/h"})
	want := []string{"/h/.ansible/roles", "/usr/share/ansible/roles", "/etc/ansible/roles"}
	if err != nil || !slices.Equal(c.RolesPath, want) {
		t.Errorf("RolesPath = %q, %v; want %q", c.RolesPath, err, want)
	}
	c, err = Load(Lookup{Getenv: env(map[string]string{"ANSIBLE_HOME": "/ah"}), Home: "/h"})
	want[0] = "/ah/roles"
	if err != nil || !slices.Equal(c.RolesPath, want) {
		t.Errorf("with ANSIBLE_HOME: RolesPath = %q, %v; want %q", c.RolesPath, err, want)
	}
}
