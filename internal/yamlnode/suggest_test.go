package yamlnode

import "testing"

func TestSuggest(t *testing.T) {
	names := []string{"web", "webservers", "db", "dbservers", "web01", "lb"}
	equal(t, "swapped letters", Suggest("wbe", names, 3), []string{"web"})
	equal(t, "ranked by distance, then name", Suggest("webservrs", names, 3), []string{"webservers", "dbservers"})
	equal(t, "typo", Suggest("dbserver", names, 3), []string{"dbservers"})
	equal(t, "nothing close", Suggest("kubernetes", names, 3), []string{})
	equal(t, "distance", Distance("kitten", "sitting", 10), 3)
	equal(t, "a swap is one edit", Distance("web", "wbe", 10), 1)
	equal(t, "distance capped", Distance("a", "abcdef", 2), 3)
}

func TestSuggestLeavesOutWordAndRepeats(t *testing.T) {
	equal(t, "word and repeats", Suggest("web", []string{"web", "wbe", "wbe", "weeb"}, 5), []string{"wbe", "weeb"})
	equal(t, "at most n", Suggest("web", []string{"wex", "wey", "wez"}, 2), []string{"wex", "wey"})
}

func TestClosest(t *testing.T) {
	keys := []string{"name", "hosts", "vars", "tasks"}
	equal(t, "typo", Closest("hots", keys), "hosts")
	equal(t, "swap", Closest("nmae", keys), "name")
	equal(t, "too far", Closest("handlers", keys), "")
	equal(t, "the word itself", Closest("vars", keys), "vars")
	equal(t, "ties go to the smaller name", Closest("ab", []string{"xb", "ax"}), "ax")
	equal(t, "no candidates", Closest("x", nil), "")
}

func TestDidYouMean(t *testing.T) {
	equal(t, "close", DidYouMean("lnear", []string{"linear", "free"}), `did you mean "linear"?`)
	equal(t, "none close lists them sorted", DidYouMean("parallel", []string{"linear", "free"}),
		"expected one of: free, linear")
	candidates := []string{"b", "a"}
	DidYouMean("zzz", candidates)
	equal(t, "candidates untouched", candidates, []string{"b", "a"})
}

// osa is the textbook optimal-string-alignment distance, without a limit.
func osa(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// FuzzDistance checks that stopping early never changes a distance within
// the limit.
func FuzzDistance(f *testing.F) {
	f.Add("kitten", "sitting", 2)
	f.Add("web", "wbe", 1)
	f.Add("webservrs", "dbservers", 3)
	f.Add("", "abc", 0)
	f.Add("00bser0", "0be0000", 3) // the last row ends above limit+1
	f.Fuzz(func(t *testing.T, a, b string, limit int) {
		if len(a) > 64 || len(b) > 64 || limit < 0 || limit > 70 {
			t.Skip()
		}
		want := min(osa(a, b), limit+1)
		if got := Distance(a, b, limit); got != want {
			t.Fatalf("Distance(%q, %q, %d) = %d, want %d", a, b, limit, got, want)
		}
	})
}
