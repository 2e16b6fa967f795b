package nodeset

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestCompare(t *testing.T) {
	// Each list is in increasing order.
	orders := [][]string{
		{"web1", "web2", "web9", "web10", "web11", "web100"},
		{"web9", "web09", "web009", "web10"},
		{"a01b", "a1c"}, // values first, leading zeros only to break ties
		{"a1b01", "a01b1"},
		{"db1", "web01"},
		{"", "0", "00", "1", "a"},
		{"n", "n0", "n1", "n1a", "n2"},
		{"rack1-n02", "rack2-n01", "rack10-n01"},
		{"x!", "x1", "x99999999999999999999999999", "x100000000000000000000000000", "x~"},
		{"web1.example.com", "web2.example.com", "web10.example.com"},
	}
	for _, order := range orders {
		for i, a := range order {
			for j, b := range order {
				want := 0
				switch {
				case i < j:
					want = -1
				case i > j:
					want = 1
				}
				if got := Compare(a, b); got != want {
					t.Errorf("Compare(%q, %q) = %d, want %d", a, b, got, want)
				}
			}
		}
	}
}

// TestCompareIsTotalOrder sorts random names and checks every pair of the
// result agrees with the order, which fails if Compare is not transitive.
func TestCompareIsTotalOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	const alphabet = "0019a-."
	names := make([]string, 300)
	for i := range names {
		b := make([]byte, rng.IntN(6))
		for k := range b {
			b[k] = alphabet[rng.IntN(len(alphabet))]
		}
		names[i] = string(b)
	}
	slices.SortFunc(names, Compare)
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			c := Compare(names[i], names[j])
			if c > 0 || (c == 0) != (names[i] == names[j]) || Compare(names[j], names[i]) != -c {
				t.Fatalf("inconsistent order: Compare(%q, %q) = %d after sorting", names[i], names[j], c)
			}
		}
	}
}
