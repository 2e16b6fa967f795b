package nodeset

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	zeros := strings.Repeat("0", 25)
	tests := []struct {
		name  string
		names []string
		want  string
	}{
		{"nil", nil, ""},
		{"empty names only", []string{"", ""}, ""},
		{"spec example", []string{"web01", "web02", "web03", "web07", "db1"}, "db1,web[01-03,07]"},
		{"suffix kept", []string{"web01.example.com", "web02.example.com"}, "web[01-02].example.com"},
		{"single name", []string{"web01"}, "web01"},
		{"single name repeated", []string{"db1", "db1"}, "db1"},
		{"no digits", []string{"localhost", "gw", "localhost"}, "gw,localhost"},
		{"duplicates and order", []string{"n3", "n1", "n2", "n2", "n1"}, "n[1-3]"},
		{"natural order", []string{"web10", "web9", "web100"}, "web[9-10,100]"},
		{"unpadded across widths", []string{"web9", "web10"}, "web[9-10]"},
		{"padded into unpadded", []string{"web09", "web10"}, "web[09-10]"},
		{"padded run into unpadded run", []string{
			"web01", "web02", "web03", "web04", "web05", "web06", "web07", "web08", "web09", "web10", "web11"},
			"web[01-11]"},
		{"three-digit boundary", []string{"web098", "web099", "web100", "web101"}, "web[098-101]"},
		{"boundary of another width", []string{"web0099", "web100"}, "web[0099,100]"},
		{"different padding stays apart", []string{"web9", "web09"}, "web[9,09]"},
		{"unpadded run keeps its numbers", []string{"web8", "web9", "web09", "web10"}, "web[8-10,09]"},
		{"zero", []string{"n0", "n1", "n00"}, "n[0-1,00]"},
		{"only the last number folds", []string{"rack1-n01", "rack1-n02", "rack2-n01", "rack2-n02"},
			"rack1-n[01-02],rack2-n[01-02]"},
		{"parts sorted by first name", []string{"b1", "a10", "a2.x", "a2"}, "a[2,10],a2.x,b1"},
		{"different suffixes", []string{"web1a", "web2b"}, "web1a,web2b"},
		{"bare numbers", []string{"3", "1", "2"}, "[1-3]"},
		{"reserved characters listed as they are", []string{"x,y", "web1", "[::1]", "web2"}, "[::1],web[1-2],x,y"},
		{"largest foldable numbers", []string{"n9999999999999999998", "n9999999999999999999"},
			"n[9999999999999999998-9999999999999999999]"},
		{"numbers too long to fold", []string{"n12345678901234567890", "n12345678901234567891"},
			"n12345678901234567890,n12345678901234567891"},
		{"long padding", []string{"n" + zeros + "1", "n" + zeros + "2"},
			"n[" + zeros + "1-" + zeros + "2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fold(tt.names); got != tt.want {
				t.Errorf("Fold(%q)\n got %q\nwant %q", tt.names, got, tt.want)
			}
			assertFoldsBack(t, withoutReserved(tt.names))
		})
	}
}

func TestFoldDoesNotModifyInput(t *testing.T) {
	names := []string{"web3", "web1", "web2", "web1"}
	before := slices.Clone(names)
	Fold(names)
	if !slices.Equal(names, before) {
		t.Errorf("Fold changed its input from %q to %q", before, names)
	}
}

func TestFoldSlice(t *testing.T) {
	if got := FoldSlice(nil); got != nil {
		t.Errorf("FoldSlice(nil) = %q, want nil", got)
	}
	got := FoldSlice([]string{"web02", "db1", "web01", "db2.x"})
	want := []string{"db1", "db2.x", "web[01-02]"}
	if !slices.Equal(got, want) {
		t.Errorf("FoldSlice = %q, want %q", got, want)
	}
}

// TestFoldExpandKeepsOrder checks that for the usual fleets, one numbering
// scheme per name pattern, Expand(Fold(x)) is exactly x sorted.
func TestFoldExpandKeepsOrder(t *testing.T) {
	var names []string
	for i := 1; i <= 120; i++ {
		names = append(names, fmt.Sprintf("web%03d.example.com", i), fmt.Sprintf("app%d", i))
	}
	for i := 1; i <= 4; i++ {
		for j := 1; j <= 16; j++ {
			names = append(names, fmt.Sprintf("rack%d-n%02d", i, j))
		}
	}
	names = append(names, "db1", "db2", "db4", "localhost")
	want := slices.Clone(names)
	slices.SortFunc(want, Compare)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })

	folded := Fold(names)
	const wantFolded = "app[1-120],db[1-2,4],localhost," +
		"rack1-n[01-16],rack2-n[01-16],rack3-n[01-16],rack4-n[01-16],web[001-120].example.com"
	if folded != wantFolded {
		t.Fatalf("Fold = %q, want %q", folded, wantFolded)
	}
	got, err := Expand(folded, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Expand(Fold(x)) is not x sorted:\n got %q\nwant %q", got, want)
	}
}

// TestFoldRoundTrip checks, on random host lists, that folding then expanding
// gives back the same names.
func TestFoldRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 500 {
		names := randomNames(rng)
		t.Run(fmt.Sprint(i), func(t *testing.T) { assertFoldsBack(t, names) })
	}
}

// FuzzFoldRoundTrip folds arbitrary names, one per line, and checks that the
// result expands back to them.
func FuzzFoldRoundTrip(f *testing.F) {
	for _, seed := range []string{
		"web01\nweb02\nweb03\nweb07\ndb1",
		"web01.example.com\nweb02.example.com",
		"web9\nweb09\nweb10\nweb8",
		"rack1-n01\nrack1-n02\nrack2-n01",
		"n0\nn00\nn000\nn1\nn01",
		"a\n\na\nb1c2\nb1c3",
		"n9999999999999999999\nn10000000000000000000",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, list string) {
		assertFoldsBack(t, withoutReserved(strings.Split(list, "\n")))
	})
}

func BenchmarkFold10k(b *testing.B) {
	names := make([]string, 0, 10_010)
	for i := 1; i <= 10_000; i++ {
		names = append(names, fmt.Sprintf("web%05d", i))
	}
	names = append(names, "db1", "db2", "db3", "localhost", "web7", "rack1-n01", "rack1-n02", "db2")
	const want = "db[1-3],localhost,rack1-n[01-02],web[00001-10000,7]"
	shuffled := slices.Clone(names)
	rand.New(rand.NewPCG(3, 5)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	for _, bench := range []struct {
		name  string
		names []string
	}{{"sorted", names}, {"shuffled", shuffled}} {
		b.Run(bench.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := Fold(bench.names); got != want {
					b.Fatalf("Fold = %q, want %q", got, want)
				}
			}
		})
	}
}

// assertFoldsBack checks that Fold(names) expands to the distinct non-empty
// names, each once, and that folding that expansion gives the same text.
func assertFoldsBack(t *testing.T, names []string) {
	t.Helper()
	want := slices.DeleteFunc(slices.Clone(names), func(s string) bool { return s == "" })
	slices.SortFunc(want, Compare)
	want = slices.Compact(want)

	folded := Fold(names)
	if len(want) == 0 {
		if folded != "" {
			t.Fatalf("Fold(%q) = %q, want \"\"", names, folded)
		}
		return
	}
	got, err := Expand(folded, len(want))
	if err != nil {
		t.Fatalf("Fold(%q) = %q, which does not expand: %v", names, folded, err)
	}
	sorted := slices.Clone(got)
	slices.SortFunc(sorted, Compare)
	if !slices.Equal(sorted, want) {
		t.Fatalf("Fold(%q) = %q, which expands to %q", names, folded, got)
	}
	if again := Fold(got); again != folded {
		t.Fatalf("Fold(%q) = %q, but folding its expansion gives %q", names, folded, again)
	}
}

// withoutReserved drops the names Fold cannot express, those holding '[', ']' or ','.
func withoutReserved(names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(s string) bool { return strings.ContainsAny(s, "[],") })
}

// randomNames returns a random host list mixing name patterns, paddings,
// numbers around powers of ten, duplicates, and names without numbers.
func randomNames(rng *rand.Rand) []string {
	prefixes := []string{"", "web", "db-", "rack1-n", "rack2-n", "a.b", "x9y"}
	suffixes := []string{"", ".example.com", "-mgmt", "b"}
	literals := []string{"localhost", "gw", "", "-", "web"}
	names := make([]string, rng.IntN(200))
	for i := range names {
		if rng.IntN(20) == 0 {
			names[i] = literals[rng.IntN(len(literals))]
			continue
		}
		var value int
		switch rng.IntN(4) {
		case 0: // near a power of ten, where padding widths meet
			value = []int{1, 10, 100, 1000}[rng.IntN(4)] - 3 + rng.IntN(6)
		default:
			value = rng.IntN(150)
		}
		digits := len(fmt.Sprint(max(value, 0)))
		width := 0
		if rng.IntN(3) == 0 {
			width = digits + rng.IntN(3)
		}
		names[i] = fmt.Sprintf("%s%0*d%s", prefixes[rng.IntN(len(prefixes))], width, max(value, 0),
			suffixes[rng.IntN(len(suffixes))])
	}
	return names
}

func TestSortValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 4))
	generators := map[string]func() uint64{
		"small":  func() uint64 { return rng.Uint64N(20_000) },
		"full":   rng.Uint64,
		"equal":  func() uint64 { return 42 },
		"sparse": func() uint64 { return rng.Uint64N(4) << 40 },
	}
	for name, gen := range generators {
		for _, n := range []int{0, 1, 5, radixSortMin - 1, radixSortMin, 3000} {
			values := make([]uint64, n)
			for i := range values {
				values[i] = gen()
			}
			want := slices.Clone(values)
			slices.Sort(want)
			sortValues(values)
			if !slices.Equal(values, want) {
				t.Errorf("%s/%d: sortValues did not sort", name, n)
			}
		}
	}
}
