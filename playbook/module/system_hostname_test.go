package module

import (
	"os"
	"strings"
	"testing"
)

func TestHostnameDecisions(t *testing.T) {
	st := parseHostnameProbe("@@systemd\n@@id\tubuntu\nsystemd-current\tweb1\nsystemd-permanent\tweb1\nfile\tweb1\n")
	if !st.systemd || st.id != "ubuntu" {
		t.Fatalf("%+v", st)
	}
	if c, p := st.names("systemd"); c != "web1" || p != "web1" {
		t.Errorf("names: %s %s", c, p)
	}
	if got := hostnameActions("systemd", "web2", true, true); got != "set -e\nhostnamectl --pretty --static set-hostname web2\nhostnamectl --transient set-hostname web2\n" {
		t.Errorf("systemd: %q", got)
	}
	if got := hostnameActions("file", "web2", false, true); got != "set -e\nprintf '%s\\n' web2 >/etc/hostname\n" {
		t.Errorf("file: %q", got)
	}
	if !strings.Contains(hostnameActions("alpine", "a", true, true), "hostname -F /etc/hostname") {
		t.Error("alpine sets the current name with hostname -F")
	}
	if hostnameStrategyFor("debian") != "file" || hostnameStrategyFor("rocky") != "" || hostnameStrategyFor("centos") != "redhat" {
		t.Error("strategies")
	}
}

// TestHostnameCheckAsAnsible only predicts (check mode): the host's name
// is never changed by a test.
func TestHostnameCheckAsAnsible(t *testing.T) {
	data, err := os.ReadFile("/etc/hostname")
	if err != nil {
		t.Skip("no /etc/hostname")
	}
	current := strings.TrimSpace(string(data))
	for _, name := range []string{current, "rctest-other-name"} {
		args := map[string]any{"name": name}
		got := runLocal(t, "hostname", args, true, true)
		want := ansibleOracle(t, "hostname", args, true, true)
		if got.Changed() != (want["changed"] == true) || got["name"] != want["name"] || got.IsFailed() {
			t.Errorf("%s:\n got %v\nwant %v", name, got, want)
		}
	}
	if after, _ := os.ReadFile("/etc/hostname"); string(after) != string(data) {
		t.Errorf("check mode changed /etc/hostname: %q", after)
	}
}
