package inventory

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestNewListAndCompleteHost(t *testing.T) {
	inv, err := Parse("inventory.yaml", []byte("hosts:\n  web01:\n  web02:\n  db01:\n"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := inv.Select("web*", "")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(NewList(inv, hosts))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(doc); !strings.HasPrefix(s, `{"hosts":[{"name":"web01"`) || !strings.Contains(s, `"sources":[`) || strings.Contains(s, "db01") {
		t.Errorf("list document %s, want the web hosts, then the sources", s)
	}
	if got := inv.CompleteHost("web"); !slices.Equal(got, []string{"web01", "web02"}) {
		t.Errorf("CompleteHost(web) = %q", got)
	}
}

func TestSecretEnv(t *testing.T) {
	got := SecretEnv(map[string]string{"DB_PASSWORD": "hunter2", "PATH": "/bin", "API_TOKEN": "t0k"})
	slices.Sort(got)
	if want := []string{"hunter2", "t0k"}; !slices.Equal(got, want) {
		t.Errorf("SecretEnv = %q, want %q", got, want)
	}
}
