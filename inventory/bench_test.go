package inventory

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// generateInventory returns a remotectl inventory of n hosts (a multiple of
// 1,000): each written out with an address and a variable, in racks of 1,000
// (listed with ranges), the racks split between two data centres.
func generateInventory(n int) []byte {
	var b strings.Builder
	b.WriteString("defaults:\n  user: deploy\n  connection: { connect_timeout: 5s }\n  vars: { env: prod }\nhosts:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  host%06d.example.com: { address: 10.%d.%d.%d, vars: { slot: %d } }\n",
			i, i>>16, (i>>8)&255, i&255, i%40)
	}
	b.WriteString("groups:\n")
	racks := n / 1000
	for r := 0; r < racks; r++ {
		fmt.Fprintf(&b, "  rack%03d:\n    hosts: [\"host[%06d-%06d].example.com\"]\n    vars: { switch: sw%03d }\n",
			r, r*1000+1, r*1000+1000, r)
	}
	for dc, span := range [][2]int{{0, racks / 2}, {racks / 2, racks}} {
		fmt.Fprintf(&b, "  dc%d:\n    children: [", dc+1)
		for r := span[0]; r < span[1]; r++ {
			fmt.Fprintf(&b, "rack%03d, ", r)
		}
		b.WriteString("]\n")
	}
	return []byte(b.String())
}

// bigInventory is the 100,000-host inventory of the benchmarks.
var bigInventory = sync.OnceValue(func() []byte { return generateInventory(100_000) })

func BenchmarkLoad100k(b *testing.B) {
	data := bigInventory()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		inv, err := Parse("big.yaml", data, LoadOptions{Transports: testTransports()})
		if err != nil {
			b.Fatal(err)
		}
		if n := len(inv.Hosts()); n != 100_000 {
			b.Fatalf("%d hosts", n)
		}
	}
}

// BenchmarkSplitHosts100k measures finding the parts of the hosts: block
// and parsing the rest of the document, before the parts are parsed.
func BenchmarkSplitHosts100k(b *testing.B) {
	data := bigInventory()
	for b.Loop() {
		if splitHosts("big.yaml", data, defaultSplit) == nil {
			b.Fatal("not split")
		}
	}
}

func BenchmarkLoad100kRanges(b *testing.B) {
	data := []byte(`
groups:
  rack:
    hosts: ["rack[001-100]-n[0001-1000]"]
    vars: { tier: compute }
`)
	for b.Loop() {
		if _, err := Parse("ranges.yaml", data, LoadOptions{Transports: testTransports()}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSelect100k(b *testing.B) {
	inv, err := Parse("big.yaml", bigInventory(), LoadOptions{Transports: testTransports()})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, pattern, limit string }{
		{"all", "all", ""},
		{"group", "dc1", ""},
		{"set-algebra", "dc1:rack07*:&rack0*:!host00000[1-9].example.com", ""},
		{"glob", "host0999*", ""},
		{"regex", "~host0[0-4]", ""},
		{"limit", "all", "dc2:!rack099"},
		{"one-host", "host054321.example.com", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := inv.Select(bc.pattern, bc.limit); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestGeneratedInventoryShape checks the benchmarks' inventory (at a tenth
// of the size) so they measure what they claim.
func TestGeneratedInventoryShape(t *testing.T) {
	inv, err := Parse("big.yaml", generateInventory(10_000), LoadOptions{Transports: testTransports()})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "hosts", len(inv.Hosts()), 10_000)
	h := mustHost(t, inv, "host005432.example.com")
	equal(t, "groups", h.Groups, []string{"all", "dc2", "rack005"})
	equal(t, "address", h.Addr(), "10.0.21.56")
	equal(t, "vars", h.Vars, map[string]any{"env": "prod", "slot": 5432 % 40, "switch": "sw005"})
	equal(t, "user", h.User, "deploy")
	got, err := inv.Select("dc1:&rack00*:!host00000[1-9].example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "selected", len(got), 5000-9)
	equal(t, "first", got[0].Name, "host000010.example.com")
}
