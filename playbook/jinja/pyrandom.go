package jinja

import (
	"crypto/sha512"
	"math/big"
	"math/bits"
	"math/rand/v2"
)

// pyRandom is Python's random.Random (MT19937) as far as Ansible's random
// and shuffle filters use it: seeded with a str or an int as CPython 3
// seeds it (version 2: the text and its SHA-512 as one big integer), so
// that random(seed=inventory_hostname) gives the number Ansible gives.
type pyRandom struct {
	mt  [624]uint32
	idx int
}

// newPyRandom returns Random(seed) for a str or int seed, and false for a
// seed of another type.
func newPyRandom(seed any) (*pyRandom, bool) {
	var n big.Int
	switch x := seed.(type) {
	case string:
		sum := sha512.Sum512([]byte(x))
		n.SetBytes(append([]byte(x), sum[:]...))
	case int:
		n.SetInt64(int64(x))
		n.Abs(&n)
	default:
		return nil, false
	}
	// CPython's init_by_array takes the integer's 32-bit words, least
	// significant first.
	words := n.Bits()
	var key []uint32
	for _, w := range words {
		for i := 0; i < bits.UintSize/32; i++ {
			key = append(key, uint32(uint64(w)>>(32*i)))
		}
	}
	for len(key) > 1 && key[len(key)-1] == 0 {
		key = key[:len(key)-1]
	}
	if len(key) == 0 {
		key = []uint32{0}
	}
	r := &pyRandom{}
	r.initByArray(key)
	return r, true
}

func (r *pyRandom) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < 624; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.idx = 624
}

func (r *pyRandom) initByArray(key []uint32) {
	r.initGenrand(19650218)
	i, j := 1, 0
	for k := max(624, len(key)); k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i, j = i+1, j+1
		if i >= 624 {
			r.mt[0], i = r.mt[623], 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := 623; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= 624 {
			r.mt[0], i = r.mt[623], 1
		}
	}
	r.mt[0] = 0x80000000
}

func (r *pyRandom) uint32() uint32 {
	if r.idx >= 624 {
		for k := 0; k < 624; k++ {
			y := r.mt[k]&0x80000000 | r.mt[(k+1)%624]&0x7fffffff
			v := r.mt[(k+397)%624] ^ (y >> 1)
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			r.mt[k] = v
		}
		r.idx = 0
	}
	y := r.mt[r.idx]
	r.idx++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	return y ^ y>>18
}

// getrandbits is Random.getrandbits(k) for k <= 63.
func (r *pyRandom) getrandbits(k int) uint64 {
	if k <= 32 {
		return uint64(r.uint32() >> (32 - k))
	}
	lo := uint64(r.uint32())
	hi := uint64(r.uint32() >> (64 - k))
	return hi<<32 | lo
}

// below is Random._randbelow(n): uniform in [0, n), by rejection.
func (r *pyRandom) below(n int) int {
	k := bits.Len64(uint64(n))
	v := r.getrandbits(k)
	for v >= uint64(n) {
		v = r.getrandbits(k)
	}
	return int(v)
}

// randbelow draws uniformly in [0, n) from r, or from the system's
// source when r is nil (an unseeded filter).
func randbelow(r *pyRandom, n int) int {
	if r == nil {
		return rand.IntN(n)
	}
	return r.below(n)
}

// seeded is the filter's Random(seed), nil for no seed; a seed remotectl
// cannot seed as Python does is an Unsupported error.
func seeded(seed any, truthyOnly bool) (*pyRandom, error) {
	if seed == nil || truthyOnly && !truthy(seed) {
		return nil, nil
	}
	r, ok := newPyRandom(seed)
	if !ok {
		return nil, unsupported("a random seed of type %s", typeName(seed))
	}
	return r, nil
}

// filterRandom is Ansible's random(start=None, step=None, seed=None): a
// number of range(start, end, step), or an item of a list.
func filterRandom(in any, c call) (any, error) {
	r, err := seeded(c.kw["seed"], false)
	if err != nil {
		return nil, err
	}
	start, step := c.arg(0, "start", nil), c.arg(1, "step", nil)
	if end, ok := in.(int); ok {
		s, _ := asInt(start)
		st, _ := asInt(step)
		if st == 0 {
			st = 1
		}
		var n int
		switch {
		case st > 0:
			n = (end - s + st - 1) / st
		default:
			n = (end - s + st + 1) / st
		}
		if n <= 0 {
			return nil, runtimeErr("empty range for randrange() (%d, %d, %d)", s, end, st)
		}
		return s + st*randbelow(r, n), nil
	}
	list, ok := seq(in)
	if !ok {
		return nil, runtimeErr("random can only be used on sequences and integers")
	}
	if truthy(start) || truthy(step) {
		return nil, runtimeErr("start and step can only be used with integer values")
	}
	if len(list) == 0 {
		return nil, runtimeErr("Cannot choose from an empty sequence")
	}
	return list[randbelow(r, len(list))], nil
}

// filterShuffle is Ansible's shuffle(seed=None): the items in Python's
// Random(seed).shuffle order.
func filterShuffle(in any, c call) (any, error) {
	r, err := seeded(c.arg(0, "seed", nil), true)
	if err != nil {
		return nil, err
	}
	list, ok := seq(in)
	if !ok {
		return in, nil
	}
	out := append([]any{}, list...)
	for i := len(out) - 1; i > 0; i-- {
		j := randbelow(r, i+1)
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// RandomString is Ansible's random_password: n characters drawn from
// chars as Python's Random(seed).choice draws them (a str or int seed
// gives Python's characters), or from the system's source for a nil
// seed.
func RandomString(chars string, n int, seed any) (string, error) {
	r, err := seeded(seed, false)
	if err != nil {
		return "", err
	}
	pool := []rune(chars)
	if len(pool) == 0 {
		return "", runtimeErr("no characters to draw a password from")
	}
	out := make([]rune, n)
	for i := range out {
		out[i] = pool[randbelow(r, len(pool))]
	}
	return string(out), nil
}
