// Package shard splits a set of host names into N disjoint, deterministic
// parts (--shard K/N) by rendezvous hashing: each name goes to the part
// whose hash of (part, name) is highest. A name's part depends only on the
// name and N, never on the other names, so every process of a sharded run
// agrees on the split without talking to the others, a play's hosts are
// split as the inventory's are, and adding one host moves only that host.
// Going from N to N+1 parts moves about 1/(N+1) of the names.
package shard

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Spec is one part of a split: part K (1-based) of N. The zero Spec is no
// split: every name is kept.
type Spec struct {
	K, N int
}

// Parse reads K/N as given to --shard: 1 ≤ K ≤ N. An empty string is the
// zero Spec (no split).
func Parse(s string) (Spec, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Spec{}, nil
	}
	ks, ns, ok := strings.Cut(s, "/")
	k, errK := strconv.Atoi(ks)
	n, errN := strconv.Atoi(ns)
	if !ok || errK != nil || errN != nil {
		return Spec{}, fmt.Errorf("--shard %q: want K/N, two whole numbers (--shard 2/4: the second of four parts)", s)
	}
	if n < 1 || k < 1 || k > n {
		return Spec{}, fmt.Errorf("--shard %q: K must be between 1 and N (parts are numbered 1 to N), and N at least 1", s)
	}
	return Spec{K: k, N: n}, nil
}

// Set reports whether s splits anything.
func (s Spec) Set() bool { return s.N > 0 }

// String is K/N, or "" for the zero Spec.
func (s Spec) String() string {
	if !s.Set() {
		return ""
	}
	return strconv.Itoa(s.K) + "/" + strconv.Itoa(s.N)
}

// Of returns the part (1 to n) of name among n parts.
func Of(name string, n int) int {
	best, bestScore := 1, uint64(0)
	for k := 1; k <= n; k++ {
		if sc := score(k, name); k == 1 || sc > bestScore {
			best, bestScore = k, sc
		}
	}
	return best
}

// score is the rendezvous weight of name for part k: 64-bit FNV-1a of the
// part number and the name, finished with a 64-bit mixer (FNV-1a alone
// spreads short names that differ in their last byte poorly).
func score(k int, name string) uint64 {
	h := fnv.New64a()
	var buf [8]byte
	h.Write(strconv.AppendInt(buf[:0], int64(k), 10))
	h.Write([]byte{0})
	h.Write([]byte(name))
	return mix(h.Sum64())
}

// mix is the finalizer of SplitMix64.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Keeps reports whether name belongs to part s (always, for the zero Spec).
func (s Spec) Keeps(name string) bool {
	return !s.Set() || Of(name, s.N) == s.K
}

// Keep returns the items of part s, in their order; name gives an item's
// host name. The zero Spec keeps items as they are.
func Keep[T any](s Spec, items []T, name func(T) string) []T {
	if !s.Set() {
		return items
	}
	out := make([]T, 0, len(items)/s.N+1)
	for _, it := range items {
		if s.Keeps(name(it)) {
			out = append(out, it)
		}
	}
	return out
}
