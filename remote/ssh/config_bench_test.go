//go:build unix

package ssh

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// fleetSSHConfig returns an ssh_config shaped like a large fleet's: n-1
// numbered Host blocks (every tenth one a data-centre wildcard, two
// `Match user deploy` blocks among them), then a `Host 127.1.*` block and
// `Host *` defaults.
func fleetSSHConfig(n int) string {
	var sb strings.Builder
	sb.WriteString("# generated fleet configuration\n\n")
	for i := range n - 1 {
		switch {
		case i == n/2 || i == n-2:
			sb.WriteString("Match user deploy\n  IdentityFile ~/.ssh/deploy_key\n  IdentitiesOnly yes\n\n")
		case i%10 == 9:
			fmt.Fprintf(&sb, "Host *.dc%d.example.net\n  User dc%d\n  ProxyJump bastion.dc%d.example.net\n\n",
				i/10, i/10, i/10)
		default:
			fmt.Fprintf(&sb, "Host srv-%05d.example.net\n  HostName 10.%d.%d.%d\n  User svc%d\n  Port %d\n"+
				"  IdentityFile ~/.ssh/srv-%05d\n\n", i, i/65536, i/256%256, i%256, i, 2000+i%1000, i)
		}
	}
	sb.WriteString("Host 127.1.*\n  Port 2222\n  User loopback\n  IdentityFile ~/.ssh/id_loopback\n" +
		"  UserKnownHostsFile ~/.ssh/known_hosts_loopback\n\n")
	sb.WriteString("Host *\n  IdentityFile ~/.ssh/id_default\n  ServerAliveInterval 10\n  ConnectTimeout 5\n")
	return sb.String()
}

// loopbackHosts returns n distinct 127.1.X.Y names: none of them has a
// literal Host block in fleetSSHConfig, so resolving them is the worst case.
func loopbackHosts(n int) []string {
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("127.1.%d.%d", i/256%256, i%256)
	}
	return hosts
}

// BenchmarkSSHConfigResolve1000 measures the per-host cost of ssh_config
// lookups with 1,000 Host blocks, the budget being far below 0.5 ms of CPU
// per host. "compiled" is the lookup alone, "dialer" the whole
// resolveTarget (lookup, token expansion, defaults) for hosts no block
// names, "named" the same for hosts a literal Host block names.
func BenchmarkSSHConfigResolve1000(b *testing.B) {
	home := b.TempDir()
	path := writeFile(b, home, ".ssh/config", fleetSSHConfig(1000))
	hosts := loopbackHosts(1000)

	b.Run("compiled", func(b *testing.B) {
		cfg, err := loadSSHConfig(path, home)
		if err != nil {
			b.Fatal(err)
		}
		if got := cfg.resolve(hosts[0], "", "me").get("user"); got != "loopback" {
			b.Fatalf("User = %q, want loopback: the benchmark does not measure what it claims", got)
		}
		loopWithCPU(b, func(i int) { cfg.resolve(hosts[i%len(hosts)], "", "me") })
	})
	b.Run("dialer", func(b *testing.B) {
		d := newTestDialer(b, Options{Home: home, ConfigFile: path, LocalUser: "me"})
		if p, err := d.resolveTarget(remote.Target{Name: hosts[0]}); err != nil || p.port != 2222 {
			b.Fatalf("resolve %s: %+v, %v", hosts[0], p, err)
		}
		loopWithCPU(b, func(i int) {
			if _, err := d.resolveTarget(remote.Target{Name: hosts[i%len(hosts)]}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("named", func(b *testing.B) {
		d := newTestDialer(b, Options{Home: home, ConfigFile: path, LocalUser: "me"})
		if p, err := d.resolveTarget(remote.Target{Name: "srv-00001.example.net"}); err != nil || p.user != "svc1" {
			b.Fatalf("resolve srv-00001.example.net: %+v, %v", p, err)
		}
		loopWithCPU(b, func(i int) {
			name := fmt.Sprintf("srv-%05d.example.net", i%900/9*10+i%9) // skip the wildcard blocks
			if _, err := d.resolveTarget(remote.Target{Name: name}); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkSSHConfigLoad1000 measures parsing and compiling an ssh_config
// with 1,000 Host blocks, done once per run and file: divided by the number
// of hosts, it is part of the per-host cost.
func BenchmarkSSHConfigLoad1000(b *testing.B) {
	home := b.TempDir()
	path := writeFile(b, home, ".ssh/config", fleetSSHConfig(1000))
	loopWithCPU(b, func(int) {
		if _, err := loadSSHConfig(path, home); err != nil {
			b.Fatal(err)
		}
	})
}

// loopWithCPU runs body(i) for i = 0, 1, ... under b.Loop and reports, with
// allocations, the process CPU time per iteration as cpu-ns/op. It counts
// every thread (the garbage collector, the parser's lexer goroutine), which
// is what a run costs the controller, and unlike wall-clock ns/op it is not
// inflated when other processes compete for the cores.
func loopWithCPU(b *testing.B, body func(i int)) {
	b.ReportAllocs()
	start := processCPU(b)
	i := 0
	for b.Loop() {
		body(i)
		i++
	}
	b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
}

// processCPU returns the user and system CPU time the process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
