package ansiblecli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/internal/errkind"
	"github.com/remotectl/remotectl/playbook"
	"github.com/remotectl/remotectl/playbook/ansiblecfg"
	"github.com/remotectl/remotectl/playbook/vault"
	"github.com/remotectl/remotectl/remote"
)

// Precedence: remotectl's settings and the command line > ansible.cfg
// (the ANSIBLE_* environment is already over it in Config).
func TestResolvePrecedence(t *testing.T) {
	cfg := &ansiblecfg.Config{Inventory: []string{"/cfg/hosts"}, RolesPath: []string{"/cfg/roles"}, Forks: 7,
		Timeout: 25 * time.Second, RemoteUser: "deploy", PrivateKeyFile: "/cfg/key", Become: true, BecomeUser: "admin",
		VaultPasswordFile: "/cfg/vault", BecomeAskPass: true, VaultIdentityList: []string{"dev@/cfg/dev"}}
	s, err := Resolve(Flags{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Inventories: []string{"/cfg/hosts"}, RolesPath: []string{"/cfg/roles"}, Forks: 7, ConnectTimeout: 25 * time.Second,
		Defaults: TargetDefaults{User: "deploy", PrivateKey: "/cfg/key", Become: true, BecomeUser: "admin"}, AskBecomePass: true,
		Vault: []vault.Source{{ID: "dev", Path: "/cfg/dev"}, {ID: vault.DefaultID, Path: "/cfg/vault"}}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("from ansible.cfg:\n%+v\nwant\n%+v", s, want)
	}
	s, err = Resolve(Flags{InventorySet: true, ForksSet: true, ConnectTimeoutSet: true, User: "me", PrivateKey: "/k",
		BecomeUser: "www", VaultIDs: []string{"x@/x"}, VaultPasswordFiles: []string{"/pw"}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want = Settings{RolesPath: []string{"/cfg/roles"}, Defaults: TargetDefaults{User: "me", PrivateKey: "/k", Become: true, BecomeUser: "www"},
		AskBecomePass: true, Vault: []vault.Source{{ID: "dev", Path: "/cfg/dev"}, {ID: "x", Path: "/x"},
			{ID: vault.DefaultID, Path: "/pw"}, {ID: vault.DefaultID, Path: "/cfg/vault"}}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("command line over ansible.cfg:\n%+v\nwant\n%+v", s, want)
	}
}

func TestResolveRefuses(t *testing.T) {
	for _, tc := range []struct {
		f    Flags
		cfg  ansiblecfg.Config
		want string
	}{
		{Flags{BecomeMethod: "doas"}, ansiblecfg.Config{}, `become method "doas": remotectl becomes another user with sudo or su only`},
		{Flags{}, ansiblecfg.Config{BecomeMethod: "pbrun"}, `become method "pbrun"`},
		{Flags{AskVaultPass: true, VaultPasswordFiles: []string{"x"}}, ansiblecfg.Config{}, "cannot be used together"},
	} {
		if _, err := Resolve(tc.f, &tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v %+v: %v, want %q", tc.f, tc.cfg, err, tc.want)
		}
	}
	if _, err := Resolve(Flags{BecomeMethod: "sudo"}, &ansiblecfg.Config{}); err != nil {
		t.Errorf("sudo: %v", err)
	}
	// su from the command line over ansible.cfg's, the FQCN shortened; it
	// reaches the targets where their inventory says nothing.
	s, err := Resolve(Flags{BecomeMethod: "ansible.builtin.su"}, &ansiblecfg.Config{BecomeMethod: "sudo"})
	if err != nil || s.Defaults.BecomeMethod != "su" {
		t.Errorf("su: %+v, %v", s.Defaults, err)
	}
	if tgt := s.Defaults.Apply(remote.Target{}); tgt.BecomeMethod != "su" {
		t.Errorf("Apply: BecomeMethod %q, want su", tgt.BecomeMethod)
	}
	if s, _ := Resolve(Flags{}, &ansiblecfg.Config{BecomeMethod: "su"}); s.Defaults.BecomeMethod != "su" {
		t.Errorf("ansible.cfg's su: %+v", s.Defaults)
	}
}

// The inventory's settings win over the defaults, as ansible_user wins
// over -u in Ansible.
func TestTargetDefaultsApply(t *testing.T) {
	d := TargetDefaults{User: "me", PrivateKey: "/k", Become: true, BecomeUser: "www"}
	got := d.Apply(remote.Target{Name: "a"})
	if got.User != "me" || !slices.Equal(got.SSH.IdentityFiles, []string{"/k"}) || !got.Become || got.BecomeUser != "www" {
		t.Errorf("empty target: %+v", got)
	}
	own := remote.Target{Name: "b", User: "root", SSH: remote.SSHSettings{IdentityFiles: []string{"/own"}}, BecomeUser: "pg"}
	got = d.Apply(own)
	if got.User != "root" || !slices.Equal(got.SSH.IdentityFiles, []string{"/own"}) || got.BecomeUser != "pg" || !got.Become {
		t.Errorf("target with its own settings: %+v", got)
	}
	if got := (TargetDefaults{}).Apply(own); !reflect.DeepEqual(got, own) {
		t.Errorf("no defaults changed %+v into %+v", own, got)
	}
}

// What the vault decrypts is secret: the plaintext, and each value of a
// vars file (keys are not).
func TestDecrypterRegistersSecrets(t *testing.T) {
	data, err := os.ReadFile("../vault/testdata/hello.vault")
	if err != nil {
		t.Fatal(err)
	}
	var m playbook.Secrets
	dec := Decrypter([]vault.Secret{{ID: vault.DefaultID, Password: []byte("hunter2")}}, m.Add)
	plain, err := dec(data)
	if err != nil || string(plain) != "db_password: correct horse battery staple\n" {
		t.Fatalf("decrypt = %q, %v", plain, err)
	}
	if got := m.Redact("user db_password is correct horse battery staple, vault password hunter2"); got != "user db_password is ********, vault password ********" {
		t.Errorf("masked: %q", got)
	}
	if Decrypter(nil, m.Add) != nil {
		t.Error("without secrets the decrypter must be nil (the loader refuses vault content with a hint)")
	}
	if _, err := Decrypter([]vault.Secret{{ID: "x", Password: []byte("nope")}}, m.Add)(data); !errors.Is(err, vault.ErrNoSecret) {
		t.Errorf("wrong password: %v", err)
	}
}

func TestSecretValues(t *testing.T) {
	got := SecretValues([]byte("a: one1\nb: [two2, {c: three}]\n"))
	want := []string{"a: one1\nb: [two2, {c: three}]", "one1", "two2", "three"}
	if !slices.Equal(got, want) {
		t.Errorf("SecretValues = %q, want %q", got, want)
	}
	if got := SecretValues([]byte("s3cret: [")); !slices.Equal(got, []string{"s3cret: ["}) {
		t.Errorf("not YAML: %q", got)
	}
}

// Setup's errors are classed: ansible.cfg is input, the rest usage; the
// warnings of ansible.cfg go to Stderr.
func TestSetupErrorsAndWarnings(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stderr strings.Builder
	env := Env{Config: ansiblecfg.Lookup{Cwd: dir}, Stderr: &stderr}
	write("ansible.cfg", "[defaults]\nforks = x\n")
	var input errkind.Input
	if _, err := Setup(context.Background(), env, Flags{}); !errors.As(err, &input) {
		t.Errorf("bad ansible.cfg: %v, want an input error", err)
	}
	write("ansible.cfg", "[defaults]\nnocows = 1\n")
	var usage errkind.Usage
	if _, err := Setup(context.Background(), env, Flags{AskVaultPass: true}); !errors.As(err, &usage) || !strings.Contains(err.Error(), "no terminal") {
		t.Errorf("-J without a terminal: %v, want a usage error", err)
	}
	if !strings.Contains(stderr.String(), "remotectl: warning: "+filepath.Join(dir, "ansible.cfg")+":2: [defaults] nocows is not used by remotectl\n") {
		t.Errorf("stderr %q", stderr.String())
	}
	write("pw", "hunter2\n")
	s, err := Setup(context.Background(), env, Flags{VaultPasswordFiles: []string{filepath.Join(dir, "pw")}})
	if err != nil || len(s.secrets) != 1 || string(s.secrets[0].Password) != "hunter2" {
		t.Errorf("Setup = %+v, %v", s, err)
	}
}

// -J and --vault-id LABEL@prompt ask on the terminal, with Ansible's
// prompts, in ansible-playbook's order.
func TestSetupPrompts(t *testing.T) {
	var asked []string
	env := Env{Config: ansiblecfg.Lookup{Cwd: t.TempDir()}, Stderr: &strings.Builder{},
		Prompt: func(p string) (string, error) {
			asked = append(asked, p)
			return "pw" + string(rune('0'+len(asked))), nil
		}}
	s, err := Setup(context.Background(), env, Flags{AskVaultPass: true, VaultIDs: []string{"dev@prompt"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []string{"Vault password (dev): ", "Vault password: "}) {
		t.Errorf("prompts %q", asked)
	}
	want := []vault.Secret{{ID: "dev", Password: []byte("pw1")}, {ID: vault.DefaultID, Password: []byte("pw2")}}
	if !reflect.DeepEqual(s.secrets, want) {
		t.Errorf("secrets %q, want %q", s.secrets, want)
	}
}
