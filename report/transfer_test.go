package report

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

func hostTargets(names ...string) []remote.Target {
	ts := make([]remote.Target, len(names))
	for i, n := range names {
		ts[i] = remote.Target{Name: n}
	}
	return ts
}

// numbered returns prefix01..prefixNN.
func numbered(prefix string, n int) []string {
	var names []string
	for i := 1; i <= n; i++ {
		names = append(names, fmt.Sprintf("%s%02d", prefix, i))
	}
	return names
}

// TestTransferLogFolds: in text mode each line is written once with the
// folded hosts it is true for; otherwise each host says it as its output.
func TestTransferLogFolds(t *testing.T) {
	ts := hostTargets(append(numbered("web", 20), "db01")...)
	l := NewTransferLog(true)
	for i := range ts {
		hio := remote.HostIO{Target: &ts[i]}
		l.Say(hio, "copied big.bin to /tmp/x/big.bin", "copied big.bin to /tmp/x/big.bin")
		if i == len(ts)-1 {
			l.Say(hio, "copied db.conf to /tmp/x/db.conf", "copied db.conf to /tmp/x/db.conf")
		}
	}
	var out bytes.Buffer
	l.Write(&out)
	want := "copied big.bin to /tmp/x/big.bin: db01,web[01-20]\ncopied db.conf to /tmp/x/db.conf: db01\n"
	if out.String() != want {
		t.Errorf("folded:\n%s\nwant:\n%s", out.String(), want)
	}

	var stdout bytes.Buffer
	perHost := NewTransferLog(false)
	perHost.Say(remote.HostIO{Target: &ts[0], Stdout: &stdout}, "fetched /etc/hosts to got/web01/hosts", "fetched /etc/hosts to got/<host>/hosts")
	if got, want := stdout.String(), "fetched /etc/hosts to got/web01/hosts\n"; got != want {
		t.Errorf("not folded: host output %q, want %q", got, want)
	}
}
