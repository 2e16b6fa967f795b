package shard

import (
	"fmt"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Spec{"": {}, "1/4": {1, 4}, "4/4": {4, 4}, " 2/3 ": {2, 3}, "1/1": {1, 1}} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0/4", "5/4", "a/b", "4", "1/0", "-1/4", "1/4/2", "/4", "2/"} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, got)
		}
	}
	if s, _ := Parse("3/8"); s.String() != "3/8" {
		t.Errorf("String = %q", s.String())
	}
}

func names(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%05d.example.org", prefix, i)
	}
	return out
}

// TestBalance: for 10,000 host names, the largest part holds at most 1.1
// times the mean, for several part counts.
func TestBalance(t *testing.T) {
	hosts := names(10000, "node")
	for _, n := range []int{2, 4, 8, 16} {
		counts := make([]int, n+1)
		for _, h := range hosts {
			counts[Of(h, n)]++
		}
		mean := float64(len(hosts)) / float64(n)
		for k := 1; k <= n; k++ {
			if float64(counts[k]) > 1.1*mean {
				t.Errorf("N=%d: part %d has %d names, more than 1.1 × the mean %.0f (%v)", n, k, counts[k], mean, counts[1:])
			}
		}
	}
}

// TestPartition: the parts of a split are disjoint and cover every name,
// and Keep keeps the order.
func TestPartition(t *testing.T) {
	hosts := names(1000, "web")
	seen := map[string]int{}
	for k := 1; k <= 4; k++ {
		part := Keep(Spec{k, 4}, hosts, func(s string) string { return s })
		for i, h := range part {
			seen[h]++
			if i > 0 && part[i-1] > h {
				t.Fatalf("part %d out of order: %s before %s", k, part[i-1], h)
			}
		}
	}
	for _, h := range hosts {
		if seen[h] != 1 {
			t.Fatalf("%s is in %d parts, want 1", h, seen[h])
		}
	}
	if got := Keep(Spec{}, hosts, func(s string) string { return s }); len(got) != len(hosts) {
		t.Errorf("zero Spec kept %d of %d", len(got), len(hosts))
	}
}

// TestStability: adding hosts never moves the others; going from N to N+1
// parts moves about 1/(N+1) of the names, only into the new part.
func TestStability(t *testing.T) {
	hosts := names(10000, "db")
	before := make(map[string]int, len(hosts))
	for _, h := range hosts {
		before[h] = Of(h, 4)
	}
	for _, h := range names(100, "new") { // more hosts: the old ones stay
		_ = Of(h, 4)
	}
	for _, h := range hosts {
		if Of(h, 4) != before[h] {
			t.Fatalf("%s moved without a change of N", h)
		}
	}
	moved := 0
	for _, h := range hosts {
		if p := Of(h, 5); p != before[h] {
			moved++
			if p != 5 {
				t.Fatalf("%s moved from part %d to %d, not to the new part 5", h, before[h], p)
			}
		}
	}
	frac := float64(moved) / float64(len(hosts))
	if frac < 0.18 || frac > 0.22 {
		t.Errorf("4 → 5 parts moved %.3f of the names, want about 1/5", frac)
	}
}

// TestKnownSplit pins the hash: a change would reshuffle every sharded
// fleet between controllers of different versions.
func TestKnownSplit(t *testing.T) {
	got := ""
	for _, h := range []string{"web01", "web02", "web03", "db01", "db02"} {
		got += fmt.Sprint(Of(h, 4))
	}
	const want = "31122"
	if got != want {
		t.Errorf("split of web01 web02 web03 db01 db02 in 4 = %s, want %s", got, want)
	}
}
