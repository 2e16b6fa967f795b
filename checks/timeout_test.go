package checks

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// TestGatherStopsASilentProbe: a probe silent for longer than its check's
// timeout: is stopped and is an error; the probes after it run in a new
// script and keep their results, long before the host's bound.
func TestGatherStopsASilentProbe(t *testing.T) {
	host := newFakeHost(remote.OSLinux, map[string]probeReply{
		posixCall("_stat", "/etc/passwd"): {out: probe(t, "stat_file.txt")},
		posixCall("_svc", "slow"):         {hang: true},
		posixCall("_ps"):                  {out: "sshd\ncron\n"},
	})
	results := Run(context.Background(), host.exec(), HostInfo{Name: "h"}, mustParse(t, `
file:
  /etc/passwd: {exists: true}
service:
  slow: {running: true, timeout: 200}
process:
  cron: {running: true}
`), RunOptions{HostTimeout: 20 * time.Second})
	want := []string{"file /etc/passwd exists pass", "service slow running error", "process cron running pass"}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Fatalf("results = %q, want %q", got, want)
	}
	if r := results[1]; !strings.Contains(r.Message, "stopped after 200ms without output") {
		t.Errorf("stopped probe = %+v", r)
	}
	if host.gathers != 2 {
		t.Errorf("gathers = %d, want 2 (the probes after the stopped one in a second script)", host.gathers)
	}
}

// TestGatherMountDefaultTimeout: a mount check without timeout: has goss's
// 1s, not the host's bound.
func TestGatherMountDefaultTimeout(t *testing.T) {
	host := newFakeHost(remote.OSLinux, map[string]probeReply{
		posixCall("_mounts"): {hang: true},
	})
	results := Run(context.Background(), host.exec(), HostInfo{Name: "h"}, mustParse(t, `
mount:
  /data: {exists: true}
`), RunOptions{HostTimeout: 20 * time.Second})
	if len(results) != 1 || results[0].Status != Error || !strings.Contains(results[0].Message, "stopped after 1s without output") {
		t.Errorf("results = %+v", results)
	}
}

// TestDefaultTimeoutsAreGoss: a check without timeout: gets goss's default
// for its type (resource/*.go), else RunOptions.DefaultTimeout.
func TestDefaultTimeoutsAreGoss(t *testing.T) {
	r := &hostRun{opts: RunOptions{}.withDefaults()}
	for typ, want := range map[string]time.Duration{
		"addr": 500 * time.Millisecond, "dns": 500 * time.Millisecond, "http": 5 * time.Second,
		"command": 10 * time.Second, "mount": time.Second, "tls": DefaultTimeout, "file": DefaultTimeout,
	} {
		if got := r.timeout(&Check{Type: typ}); got != want {
			t.Errorf("%s: timeout = %s, want %s", typ, got, want)
		}
	}
	if got := r.timeout(&Check{Type: "addr", Timeout: 3 * time.Second}); got != 3*time.Second {
		t.Errorf("timeout: 3s gave %s", got)
	}
}

// TestProbeWatchOutputIsProgress: output of the running probe, however
// slow in coming, moves its deadline; markers split across writes are
// read.
func TestProbeWatchOutputIsProgress(t *testing.T) {
	stopped := make(chan struct{})
	reqs := []request{{timeout: 400 * time.Millisecond}, {timeout: 400 * time.Millisecond}}
	w := newProbeWatch("::rctl:n ", reqs, 2, func() { close(stopped) })
	write := func(s string) {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	write("::rctl:n be")
	write("gin 0\n")
	for range 30 { // 600ms of output, 20ms apart
		time.Sleep(20 * time.Millisecond)
		write("some contents\n")
	}
	write("\n::rctl:n stderr\n\n::rctl:n end 0\n")
	select {
	case <-stopped:
		t.Fatal("a probe writing output was stopped")
	default:
	}
	select { // probe 1 starts at probe 0's end, and says nothing
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the silent probe was not stopped within 10s")
	}
	if got := w.close(); got != 1 {
		t.Errorf("stopped = %d, want 1", got)
	}
}

// TestSysctlPath maps names to /proc/sys as sysctl(8) does: a slash in a
// name is a dot in the path (VLAN interfaces).
func TestSysctlPath(t *testing.T) {
	for name, want := range map[string]string{
		"kernel.ostype":                     "kernel/ostype",
		"net.ipv4.conf.eth0/100.forwarding": "net/ipv4/conf/eth0.100/forwarding",
	} {
		if got := sysctlPath(name); got != want {
			t.Errorf("sysctlPath(%q) = %q, want %q", name, got, want)
		}
	}
}
