package module

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// collectorOracle runs one of ansible-core's collectors on a fake root
// (testdata/collector_oracle.py).
func collectorOracle(t *testing.T, files map[string]string, what string, extra ...string) map[string]any {
	t.Helper()
	if _, err := exec.LookPath("ansible"); err != nil {
		t.Skip("ansible (Debian's ansible-core) is not installed; scripts/test.sh installs it")
	}
	root := t.TempDir()
	for p, data := range files {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	oracle, _ := filepath.Abs("testdata/collector_oracle.py")
	out, err := exec.Command("/usr/bin/python3", append([]string{oracle, root, what}, extra...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("oracle %s: %v\n%s", what, err, out)
	}
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("oracle %s: %v\n%s", what, err, out)
	}
	return res
}

// cpuinfo writes /proc/cpuinfo for sockets × cores × threads x86 CPUs.
func cpuinfo(sockets, cores, threads int, flags string) string {
	var b strings.Builder
	n := 0
	for s := 0; s < sockets; s++ {
		for c := 0; c < cores; c++ {
			for th := 0; th < threads; th++ {
				fmt.Fprintf(&b, "processor\t: %d\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz\n"+
					"physical id\t: %d\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\nflags\t\t: %s\n\n", n, s, cores*threads, c, cores, flags)
				n++
			}
		}
	}
	return b.String()
}

func TestCPUFactsAsAnsible(t *testing.T) {
	arm := ""
	for i := 0; i < 4; i++ {
		arm += fmt.Sprintf("processor\t: %d\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n\n", i)
	}
	power := "processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\n\nprocessor\t: 1\ncpu\t\t: POWER9 (architected), altivec supported\n\ntimebase\t: 512000000\nplatform\t: pSeries\n"
	cases := []struct {
		name, arch string
		files      map[string]string
	}{
		{"2 sockets HT", "x86_64", map[string]string{"/proc/cpuinfo": cpuinfo(2, 4, 2, "fpu vme de")}},
		{"1 vcpu", "x86_64", map[string]string{"/proc/cpuinfo": cpuinfo(1, 1, 1, "fpu vme")}},
		{"xen pv", "x86_64", map[string]string{"/proc/cpuinfo": cpuinfo(1, 2, 1, "fpu de"), "/proc/xen/": ""}},
		{"aarch64", "aarch64", map[string]string{"/proc/cpuinfo": arm}},
		{"ppc64le", "ppc64le", map[string]string{"/proc/cpuinfo": power}},
	}
	for _, c := range cases {
		want := collectorOracle(t, c.files, "cpu", c.arch)
		s := factSections{"cpuinfo": c.files["/proc/cpuinfo"], "nproc": "4", "nproc.rc": "0"}
		if _, ok := c.files["/proc/xen/"]; ok {
			s["exists:/proc/xen"] = "1"
		}
		got := map[string]any{}
		cpuFacts(s, &factContext{collected: map[string]any{"architecture": c.arch}}, got)
		if g := roundTrip(t, got); !reflect.DeepEqual(g, want) {
			t.Errorf("%s:\n got %v\nwant %v", c.name, g, want)
		}
	}
}

func TestMemoryFactsAsAnsible(t *testing.T) {
	for _, meminfo := range []string{
		"MemTotal:       16318412 kB\nMemFree:         1234567 kB\nMemAvailable:    9000000 kB\nBuffers:          204800 kB\nCached:          6000000 kB\nSwapCached:         1024 kB\nSwapTotal:       2097148 kB\nSwapFree:        2000000 kB\n",
		"MemTotal:         512000 kB\nMemFree:          100000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n",
	} {
		want := collectorOracle(t, map[string]string{"/proc/meminfo": meminfo}, "memory")
		got := map[string]any{}
		memoryFacts(factSections{"meminfo": meminfo}, got)
		if g := roundTrip(t, got); !reflect.DeepEqual(g, want) {
			t.Errorf("%q:\n got %v\nwant %v", meminfo, g, want)
		}
	}
}

func TestDNSAndCmdlineFactsAsAnsible(t *testing.T) {
	for _, resolv := range []string{
		"# generated\nnameserver 10.0.0.2\nnameserver 10.0.0.3 10.0.0.4\n; comment\ndomain example.com\nsearch example.com corp.example.com\nsortlist 10.0.0.0/8\noptions ndots:2 rotate timeout:1\n",
		"search a\nsearch b c\noptions\n",
	} {
		want := collectorOracle(t, map[string]string{"/etc/resolv.conf": resolv}, "dns")
		if g := roundTrip(t, dnsFacts(factSections{"resolv.conf": resolv}, nil)); !reflect.DeepEqual(g, want) {
			t.Errorf("%q:\n got %v\nwant %v", resolv, g, want)
		}
	}
	for _, cmdline := range []string{
		"BOOT_IMAGE=/vmlinuz-6.1.0 root=UUID=abc ro quiet console=tty0 console=ttyS0,115200 splash",
		`init=/bin/sh acpi_osi="Windows 2009" foo="a b" 'single quoted' x=1 x=2 x=3 nomodeset`,
		`broken="unbalanced quote`,
	} {
		want := collectorOracle(t, map[string]string{"/proc/cmdline": cmdline + "\n"}, "cmdline")
		if g := roundTrip(t, cmdlineFacts(factSections{"cmdline": cmdline + "\n"}, nil)); !reflect.DeepEqual(g, want) {
			t.Errorf("%q:\n got %v\nwant %v", cmdline, g, want)
		}
	}
}
