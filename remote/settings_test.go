package remote_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// TestSettingSetAndShow: each kind of setting stores its value in the
// target's field and shows it as inventories list it; unset shows "".
func TestSettingSetAndShow(t *testing.T) {
	var target remote.Target
	tests := []struct {
		s    remote.Setting
		val  any
		show string
	}{
		{remote.StringSetting("s", func(t *remote.Target) *string { return &t.User }), "deploy", "deploy"},
		{remote.BoolSetting("b", func(t *remote.Target) *bool { return &t.Become }), true, "true"},
		{remote.OptionalBoolSetting("o", func(t *remote.Target) **bool { return &t.WinRM.HTTPS }), false, "false"},
		{remote.ListSetting("l", func(t *remote.Target) *[]string { return &t.SSH.IdentityFiles }), []string{"a", "b"}, "a, b"},
		{remote.DurationSetting("d", func(t *remote.Target) *time.Duration { return &t.ConnectTimeout }), 5 * time.Second, "5s"},
		{remote.PortSetting("p", func(t *remote.Target) *int { return &t.Port }), 2222, "2222"},
	}
	for _, tt := range tests {
		if got := tt.s.Show(&target); got != "" {
			t.Errorf("%s unset shows %q", tt.s.Name, got)
		}
		tt.s.Set(&target, tt.val)
		if got := tt.s.Show(&target); got != tt.show {
			t.Errorf("%s = %v shows %q, want %q", tt.s.Name, tt.val, got, tt.show)
		}
	}
	want := remote.Target{User: "deploy", Become: true, Port: 2222, ConnectTimeout: 5 * time.Second,
		SSH: remote.SSHSettings{IdentityFiles: []string{"a", "b"}}, WinRM: remote.WinRMSettings{HTTPS: new(bool)}}
	if !reflect.DeepEqual(target, want) {
		t.Errorf("target = %+v, want %+v", target, want)
	}
}

// TestCommonSettings: the password is hidden, and transport and
// ansible_connection choose from the transports given.
func TestCommonSettings(t *testing.T) {
	common := remote.CommonSettings([]remote.SettingsSchema{
		{Kind: "a", AnsibleConnections: []string{"a", "alpha"}},
		{Kind: "b", AnsibleConnections: []string{"b"}, AnsibleNote: "(also for beta)"},
		{Kind: "c"},
	})
	target := remote.Target{Password: "s3cret"}
	var conn remote.AnsibleVar
	for _, s := range common.Settings {
		switch s.Name {
		case remote.SettingPassword:
			if got := s.Show(&target); got != "(set, hidden)" {
				t.Errorf("password shows %q", got)
			}
		case remote.SettingTransport:
			if !reflect.DeepEqual(s.Enum, []string{"a", "b", "c"}) {
				t.Errorf("transport accepts %q", s.Enum)
			}
		}
	}
	for _, v := range common.AnsibleVars {
		if v.Names[0] == "ansible_connection" {
			conn = v
		}
	}
	got, err := conn.Map("ansible_connection", "ansible.builtin.alpha")
	if want := []remote.SettingValue{{Setting: remote.SettingTransport, Value: "a"}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("alpha = %v, %v; want %v", got, err, want)
	}
	_, err = conn.Map("ansible_connection", "docker")
	if want := `ansible_connection "docker" is not supported: remotectl connects with a, b (also for beta) or c`; err == nil || err.Error() != want {
		t.Errorf("docker: %v, want %s", err, want)
	}
}
