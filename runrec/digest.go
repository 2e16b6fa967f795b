package runrec

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
	"unicode/utf8"
)

// HeadSize is how much of each output stream a record keeps verbatim.
const HeadSize = 1024

// Digest summarises one output stream: enough to tell whether it changed
// between two runs and to show how it began.
type Digest struct {
	SHA256 string `json:"sha256"` // hex SHA-256 of the whole stream
	Size   int64  `json:"size"`   // bytes
	// Head is the first HeadSize bytes (cut back to a whole UTF-8
	// character), with invalid UTF-8 replaced by U+FFFD.
	Head string `json:"head"`
	// Truncated: Head is not the whole stream.
	Truncated bool `json:"truncated,omitempty"`
}

// Same reports whether two digests describe the same bytes. Two absent
// digests are the same; an absent digest equals that of an empty stream.
func (d *Digest) Same(o *Digest) bool {
	return d.sum() == o.sum()
}

// emptySHA256 is the SHA-256 of no bytes.
var emptySHA256 = func() string { s := sha256.Sum256(nil); return hex.EncodeToString(s[:]) }()

func (d *Digest) sum() string {
	if d == nil {
		return emptySHA256
	}
	return d.SHA256
}

// Digester computes a Digest as output arrives. The zero value is ready.
type Digester struct {
	h    hash.Hash
	size int64
	head []byte
}

// Write adds p to the stream; it never fails.
func (d *Digester) Write(p []byte) (int, error) {
	if d.h == nil {
		d.h = sha256.New()
	}
	d.h.Write(p)
	d.size += int64(len(p))
	if room := HeadSize - len(d.head); room > 0 {
		d.head = append(d.head, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// Digest returns the digest of what was written so far.
func (d *Digester) Digest() *Digest {
	if d.h == nil {
		d.h = sha256.New()
	}
	head := d.head
	truncated := d.size > int64(len(head))
	if truncated {
		// Do not end in the middle of a character.
		for i := len(head) - 1; i >= 0 && i >= len(head)-utf8.UTFMax; i-- {
			if utf8.RuneStart(head[i]) {
				if !utf8.FullRune(head[i:]) {
					head = head[:i]
				}
				break
			}
		}
	}
	return &Digest{
		SHA256:    hex.EncodeToString(d.h.Sum(nil)),
		Size:      d.size,
		Head:      strings.ToValidUTF8(string(head), "\uFFFD"),
		Truncated: truncated,
	}
}
