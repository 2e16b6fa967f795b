package playbook

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
	"github.com/remotectl/remotectl/report"
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
	pb, err := Load(path, LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
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
	var events []Event
	opts.Inventory = inv
	opts.Dialer = d
	if opts.Target == nil {
		opts.Target = func(h *inventory.Host) remote.Target {
			return remote.Target{Name: h.Name, Address: h.Address, Vars: h.Vars, Transport: remote.KindSSH}
		}
	}
	ch, rep := Run(context.Background(), pb, plans, opts)
	for ev := range ch {
		pe, ok := report.PlayEventOf(ev)
		if !ok {
			t.Fatalf("event %+v carries no play event", ev)
		}
		events = append(events, *pe)
	}
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

// commandsOf returns the commands run on a host: a shell line, an argv
// joined, or what a module's script runs (sh -c LINE as LINE).
func commandsOf(f *remotetest.Fake, host string) []string {
	var out []string
	for _, c := range f.Commands(host) {
		switch {
		case strings.Contains(c.Shell, "\n_rctl_a0="):
			out = append(out, moduleArgv(c.Shell))
		case c.Shell != "":
			out = append(out, c.Shell)
		default:
			out = append(out, strings.Join(c.Args, " "))
		}
	}
	return out
}

// moduleArgv reads the argv a command module's script runs
// (_rctl_aN=WORD lines, quoted for sh).
func moduleArgv(script string) string {
	var argv []string
	for _, line := range strings.Split(script, "\n") {
		if !strings.HasPrefix(line, "_rctl_a") || !strings.Contains(line, "=") {
			continue
		}
		name, word, _ := strings.Cut(line, "=")
		if _, err := strconv.Atoi(strings.TrimPrefix(name, "_rctl_a")); err != nil {
			continue
		}
		argv = append(argv, shUnquote(word))
	}
	if len(argv) == 3 && argv[0] == "/bin/sh" && argv[1] == "-c" {
		return argv[2]
	}
	return strings.Join(argv, " ")
}

// shUnquote undoes sh single quoting ('a'\”b').
func shUnquote(w string) string {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case '\'':
			j := strings.IndexByte(w[i+1:], '\'')
			if j < 0 {
				b.WriteString(w[i+1:])
				return b.String()
			}
			b.WriteString(w[i+1 : i+1+j])
			i += j + 1
		case '\\':
			if i+1 < len(w) {
				i++
				b.WriteByte(w[i])
			}
		default:
			b.WriteByte(w[i])
		}
	}
	return b.String()
}

func writeString(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }
