package runrec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"unicode/utf8"
)

// HeadSize is how much of each output stream a record keeps verbatim.
const HeadSize = 1024

// Digest summarises one output stream: enough to tell whether it changed
// between two runs and to show how it began.
type Digest struct {
	SHA256 string `json:"sha256"` // hex SHA-256 of the whole stream
	Size   int64  `json:"size"`   // bytes
	// Head is the first HeadSize bytes, exactly (cut back to a whole
	// UTF-8 character when the stream goes on). In JSON it is "head" when
	// it is valid UTF-8, else "head_base64", its bytes in standard base64,
	// as the json output format writes a host's output.
	Head string `json:"head"`
	// Truncated: Head is not the whole stream.
	Truncated bool `json:"truncated,omitempty"`
}

// jsonDigest is the JSON shape of a Digest.
type jsonDigest struct {
	SHA256     string  `json:"sha256"`
	Size       int64   `json:"size"`
	Head       *string `json:"head,omitempty"`
	HeadBase64 []byte  `json:"head_base64,omitempty"`
	Truncated  bool    `json:"truncated,omitempty"`
}

// MarshalJSON writes the head as text when it is valid UTF-8, else in
// base64: encoding/json would replace its invalid bytes with U+FFFD.
func (d Digest) MarshalJSON() ([]byte, error) {
	j := jsonDigest{SHA256: d.SHA256, Size: d.Size, Truncated: d.Truncated}
	if utf8.ValidString(d.Head) {
		j.Head = &d.Head
	} else {
		j.HeadBase64 = []byte(d.Head)
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads "head" or "head_base64". Records written before
// head_base64 hold invalid bytes as U+FFFD in "head": they read as they are.
func (d *Digest) UnmarshalJSON(b []byte) error {
	var j jsonDigest
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*d = Digest{SHA256: j.SHA256, Size: j.Size, Truncated: j.Truncated}
	if j.Head != nil {
		d.Head = *j.Head
	} else {
		d.Head = string(j.HeadBase64)
	}
	return nil
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
		Head:      string(head),
		Truncated: truncated,
	}
}
