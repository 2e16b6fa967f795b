package inventory

import (
	"slices"
	"testing"
)

func TestIsSecretVar(t *testing.T) {
	for name, want := range map[string]bool{
		"ansible_password": true, "ansible_ssh_pass": true, "ansible_ssh_password": true,
		"ansible_pass": true, "ansible_become_pass": true, "ansible_become_password": true,
		"ansible_sudo_pass": true, "db_passwd": true, "vault_passphrase": true, "API_TOKEN": true,
		"dbPassword": true, "client_secret": true, "aws_credentials": true, "tls_private_key": true,
		"pass": true, "db-pass": true,
		"password_env": false, "become_password_env": false, "ansible_ssh_private_key_file": false,
		"secret_path": false, "bypass_proxy": false, "compass": false, "passenger": false,
		"ansible_host": false, "ansible_user": false, "port": false,
		// Real roles' settings about secrets, not secrets (geerlingguy.security,
		// geerlingguy.mysql, geerlingguy.postgresql): their values are user
		// names, yes/no, numbers.
		"security_sudoers_passwordless": false, "security_sudoers_passworded": false,
		"security_ssh_password_authentication": false, "mysql_root_password_update": false,
		"mysql_user_password_update": false, "postgresql_password_encryption": false,
		"password_min_length": false, "vault_token_ttl": false, "token_expiry": false,
		"mysql_root_password": true, "jenkins_admin_password": true, "github_token": true,
		"aws_secret_access_key": true, "secret_key_base": true, "api_key_v2": true, "rootpasswd": true,
		"admin_passwords": true, "x_password_hash": true, "AuthToken": true,
	} {
		if got := IsSecretVar(name); got != want {
			t.Errorf("IsSecretVar(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestSecretValues(t *testing.T) {
	vars := map[string]any{
		"db_password": "p1-secret",
		"pin_pass":    123456,
		"app": map[string]any{
			"api_token": "nested-token",
			"name":      "not secret",
			"tokens":    []any{"t1-list", map[string]any{"id": "t2-deep"}},
		},
		"credentials": map[string]any{"user": "u-under-secret-name"},
		"token_set":   true,
		"secret_none": nil,
		"plain":       "visible",
	}
	got := SecretValues(vars)
	slices.Sort(got)
	want := []string{"123456", "nested-token", "p1-secret", "t1-list", "t2-deep", "u-under-secret-name"}
	if !slices.Equal(got, want) {
		t.Errorf("SecretValues = %q, want %q", got, want)
	}
	h := &Host{Vars: map[string]any{"x_pass": "from-vars"}, Conn: Conn{Password: "from-conn"}}
	if got := h.SecretValues(); !slices.Equal(got, []string{"from-vars", "from-conn"}) {
		t.Errorf("Host.SecretValues = %q", got)
	}
}
