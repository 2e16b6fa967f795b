package inventory

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
	"github.com/remotectl/remotectl/remote/ssh"
	"github.com/remotectl/remotectl/remote/winrm"
)

// testTransports are the settings schemas of the built-in transports, as
// cmd/remotectl's transport registry passes them.
func testTransports() []remote.SettingsSchema {
	return []remote.SettingsSchema{ssh.Settings(), winrm.Settings(), local.Settings()}
}

// parse parses an inventory from text, failing the test on error.
func parse(t *testing.T, name, text string) *Inventory {
	t.Helper()
	inv, err := Parse(name, []byte(text), LoadOptions{Transports: testTransports()})
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return inv
}

// parseErr parses an inventory that must fail and returns the message.
func parseErr(t *testing.T, name, text string) string {
	t.Helper()
	_, err := Parse(name, []byte(text), LoadOptions{Transports: testTransports()})
	if err == nil {
		t.Fatalf("Parse(%s) succeeded, want an error", name)
	}
	return err.Error()
}

// hostNames returns the names of hosts.
func hostNames(hosts []*Host) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = h.Name
	}
	return out
}

// mustHost returns the host called name.
func mustHost(t *testing.T, inv *Inventory, name string) *Host {
	t.Helper()
	h, ok := inv.Host(name)
	if !ok {
		t.Fatalf("host %q not found; hosts: %v", name, hostNames(inv.Hosts()))
	}
	return h
}

// mustSelect returns the hosts pattern selects.
func mustSelect(t *testing.T, inv *Inventory, pattern string) []*Host {
	t.Helper()
	hosts, err := inv.Select(pattern, "")
	if err != nil {
		t.Fatalf("Select(%q): %v", pattern, err)
	}
	return hosts
}

// mustGroup returns the group called name.
func mustGroup(t *testing.T, inv *Inventory, name string) *Group {
	t.Helper()
	g, ok := inv.Group(name)
	if !ok {
		t.Fatalf("group %q not found", name)
	}
	return g
}

// equal fails the test when got != want (deeply).
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// writeFile writes a file under dir, creating directories, and returns its path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// dedent removes the common leading tabs of a raw-string fixture.
func dedent(s string) string {
	lines := strings.Split(strings.TrimPrefix(s, "\n"), "\n")
	prefix := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, "\t"))
		if prefix < 0 || n < prefix {
			prefix = n
		}
	}
	for i, l := range lines {
		if len(l) >= prefix && prefix > 0 {
			lines[i] = l[prefix:]
		}
	}
	return strings.Join(lines, "\n")
}
