package plan

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

// TestAddUsage: check add observes one host and writes one file; a type
// and a name are needed. Nothing is dialled for a usage error.
func TestAddUsage(t *testing.T) {
	dialed := false
	dial := func([]remote.Target) (DialCloser, error) {
		dialed = true
		return nil, errors.New("no dialing in this test")
	}
	one := []remote.Target{{Name: "h01"}}
	for _, tt := range []struct {
		targets []remote.Target
		files   []string
		cmd     []string
		want    string
	}{
		{[]remote.Target{{Name: "h01"}, {Name: "h02"}}, nil, []string{"add", "file", "/etc"}, "observes one host, and -H selects 2 (h[01-02])"},
		{one, []string{"a.yaml", "b.yaml"}, []string{"add", "file", "/etc"}, "writes one file"},
		{one, nil, []string{"add", "file"}, "needs a type and a name"},
		{one, nil, []string{"add", "tls", "x:443"}, `cannot add "tls" checks`},
		{one, nil, []string{"autoadd"}, "needs a name"},
	} {
		err := Add(context.Background(), dial, tt.targets, tt.files, tt.cmd, &bytes.Buffer{})
		var ue UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want a UsageError with %q", tt.cmd, err, tt.want)
		}
	}
	if dialed {
		t.Error("a usage error dialled the host")
	}
}
