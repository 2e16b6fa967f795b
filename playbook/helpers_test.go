package playbook

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// testInventory writes an inventory of hosts h01..hNN (group fleet) with
// the given extra YAML appended under hosts' group vars.
func testInventory(t *testing.T, n int) *inventory.Inventory {
	t.Helper()
	var b strings.Builder
	b.WriteString("hosts:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  h%02d: { address: 127.0.0.1, vars: { idx: %d } }\n", i, i)
	}
	b.WriteString("groups:\n  fleet:\n    hosts:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "      - h%02d\n", i)
	}
	path := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load([]string{path}, inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// parseTest parses a playbook written to a temp dir with the inventory's
// variable names known.
func parseTest(t *testing.T, inv *inventory.Inventory, src string) *Playbook {
	t.Helper()
	path := filepath.Join(t.TempDir(), "play.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	pb, err := Load(path, LoadOptions{KnownVars: []string{"idx"}, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return pb
}

// runTest runs pb over inv with the fake dialer and collects the events.
type runOutcome struct {
	report *Report
	events []Event
}

func runTest(t *testing.T, pb *Playbook, inv *inventory.Inventory, d remote.Dialer, opts Options) runOutcome {
	t.Helper()
	plans, err := Prepare(pb, inv, opts.Selection)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	var mu sync.Mutex
	var events []Event
	opts.Inventory = inv
	opts.Dialer = d
	if opts.Target == nil {
		opts.Target = func(h *inventory.Host) remote.Target {
			return remote.Target{Name: h.Name, Address: h.Address, Vars: h.Vars, Transport: remote.KindSSH}
		}
	}
	opts.Observe = func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
	}
	rep := Run(context.Background(), pb, plans, opts)
	return runOutcome{report: rep, events: events}
}

// statuses returns "host=status" for every result of the named task, in
// event order.
func (o runOutcome) statuses(task string) []string {
	var out []string
	for _, ev := range o.events {
		if ev.Kind == EventResult && ev.Result.Task == task {
			out = append(out, ev.Result.Host+"="+string(ev.Result.Status))
		}
	}
	return out
}

func (o runOutcome) stats(host string) HostStats {
	for _, s := range o.report.Recap {
		if s.Host == host {
			return *s
		}
	}
	return HostStats{Host: host}
}

// commandsOf returns the shell lines run on a host.
func commandsOf(f *remotetest.Fake, host string) []string {
	var out []string
	for _, c := range f.Commands(host) {
		if c.Shell != "" {
			out = append(out, c.Shell)
		} else {
			out = append(out, strings.Join(c.Args, " "))
		}
	}
	return out
}

func writeString(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }
