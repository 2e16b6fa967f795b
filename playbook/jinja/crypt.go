package jinja

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"math/big"
	"strconv"
	"strings"
)

const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomSalt returns n random characters of the crypt alphabet.
func randomSalt(n int) (string, error) {
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(cryptAlphabet))))
		if err != nil {
			return "", err
		}
		b[i] = cryptAlphabet[k.Int64()]
	}
	return string(b), nil
}

// shaCrypt is glibc's SHA-crypt ($5$ sha256, $6$ sha512) of key with
// salt; rounds 0 is the implicit 5000, any other value is written out.
func shaCrypt(id, key, salt string, rounds int) string {
	newHash := sha512.New
	if id == "5" {
		newHash = sha256.New
	}
	if len(salt) > 16 {
		salt = salt[:16]
	}
	prefix := "$" + id + "$"
	if rounds != 0 {
		rounds = min(max(rounds, 1000), 999999999)
		prefix += "rounds=" + strconv.Itoa(rounds) + "$"
	} else {
		rounds = 5000
	}
	sum := func(parts ...[]byte) []byte {
		h := newHash()
		for _, p := range parts {
			h.Write(p)
		}
		return h.Sum(nil)
	}
	k, s := []byte(key), []byte(salt)
	b := sum(k, s, k)
	a := newHash()
	a.Write(k)
	a.Write(s)
	a.Write(repeatTo(b, len(k)))
	for n := len(k); n > 0; n >>= 1 {
		if n&1 == 1 {
			a.Write(b)
		} else {
			a.Write(k)
		}
	}
	digest := a.Sum(nil)
	p := repeatTo(repeatedSum(newHash, k, len(k)), len(k))
	ds := repeatTo(repeatedSum(newHash, s, 16+int(digest[0])), len(s))
	digest = stretch(newHash, digest, p, ds, rounds)
	return prefix + salt + "$" + cryptEncode(digest)
}

// stretch is the key-stretching loop md5-crypt and sha-crypt share: each
// round hashes the last digest with the password bytes p (and the salt
// bytes s every round not divisible by 3, p again every round not divisible
// by 7), alternating their order by round.
func stretch(newHash func() hash.Hash, digest, p, s []byte, rounds int) []byte {
	for i := range rounds {
		h := newHash()
		if i&1 == 1 {
			h.Write(p)
		} else {
			h.Write(digest)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 == 1 {
			h.Write(digest)
		} else {
			h.Write(p)
		}
		digest = h.Sum(nil)
	}
	return digest
}

func repeatedSum(newHash func() hash.Hash, data []byte, times int) []byte {
	h := newHash()
	for range times {
		h.Write(data)
	}
	return h.Sum(nil)
}

func repeatTo(block []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, block[:min(len(block), n-len(out))]...)
	}
	return out
}

// put24 writes n characters of the crypt base64 of three bytes.
func put24(b *strings.Builder, b2, b1, b0 byte, n int) {
	w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
	for range n {
		b.WriteByte(cryptAlphabet[w&0x3f])
		w >>= 6
	}
}

// cryptEncode writes a SHA-crypt digest in its permuted base64.
func cryptEncode(d []byte) string {
	var b strings.Builder
	put := func(b2, b1, b0 byte, n int) { put24(&b, b2, b1, b0, n) }
	third := len(d) / 3
	for i := range third {
		t := [3]int{i, i + third, i + 2*third}
		shift := i % 3
		if len(d) == 32 {
			shift = (3 - shift) % 3
		}
		put(d[t[shift]], d[t[(shift+1)%3]], d[t[(shift+2)%3]], 4)
	}
	if len(d) == 64 {
		put(0, 0, d[63], 2)
	} else {
		put(0, d[31], d[30], 3)
	}
	return b.String()
}

// md5Crypt is the FreeBSD MD5-crypt ($1$) of key with salt.
func md5Crypt(key, salt string) string {
	if len(salt) > 8 {
		salt = salt[:8]
	}
	k, s := []byte(key), []byte(salt)
	alt := md5.Sum(append(append(append([]byte{}, k...), s...), k...))
	ctx := md5.New()
	ctx.Write(k)
	ctx.Write([]byte("$1$"))
	ctx.Write(s)
	ctx.Write(repeatTo(alt[:], len(k)))
	for n := len(k); n > 0; n >>= 1 {
		if n&1 == 1 {
			ctx.Write([]byte{0})
		} else {
			ctx.Write(k[:1])
		}
	}
	final := ctx.Sum(nil)
	final = stretch(md5.New, final, k, s, 1000)
	var b strings.Builder
	put := func(b2, b1, b0 byte, n int) { put24(&b, b2, b1, b0, n) }
	for i := range 5 {
		j := i + 12
		if i == 4 {
			j = 5
		}
		put(final[i], final[i+6], final[j], 4)
	}
	put(0, 0, final[11], 2)
	return "$1$" + salt + "$" + b.String()
}
