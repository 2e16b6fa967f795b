package report

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net"
	"os"
	"slices"
	"unicode/utf8"
)

// spoolMemory is how much output the spools of one Render keep in memory,
// all hosts together; past it, a growing spool moves to a temporary file.
// So grouped, coalesce and json hold about this much whatever the size of
// the output, rather than all of it (several times over, as copies).
const spoolMemory = 16 << 20

// spools are the output streams a Render keeps for the formats that show
// output after a host ends (grouped, coalesce, json).
type spools struct {
	inMemory int64 // bytes held in memory by all spools
	limit    int64
	dir      string // for temporary files; "" means os.TempDir()
	seed     maphash.Seed
	live     map[*spool]struct{} // not yet released
}

func newSpools(limit int64) *spools {
	return &spools{limit: limit, seed: maphash.MakeSeed(), live: make(map[*spool]struct{})}
}

// spool is one output stream of one host: the bytes in memory, or in a
// temporary file once they outgrow the memory left, and what the renderers
// need to know without reading them again: size, UTF-8 validity, hash.
// In memory, it holds the pieces of output as the events brought them (an
// event's data is the receiver's, never changed): nothing is copied.
type spool struct {
	owner *spools
	mem   [][]byte
	inMem int64 // bytes in mem
	file  *os.File
	path  string // of file, while it still has to be removed
	size  int64
	err   error // of the temporary file: the output is incomplete
	text  utf8Check
	hash  maphash.Hash
}

func (s *spools) newSpool() *spool {
	sp := &spool{owner: s}
	sp.hash.SetSeed(s.seed)
	s.live[sp] = struct{}{}
	return sp
}

// write appends data to the spool.
func (sp *spool) write(data []byte) {
	sp.size += int64(len(data))
	sp.text.write(data)
	sp.hash.Write(data)
	if sp.err != nil {
		return
	}
	o := sp.owner
	if sp.file == nil && o.inMemory+int64(len(data)) <= o.limit {
		sp.mem = append(sp.mem, data)
		sp.inMem += int64(len(data))
		o.inMemory += int64(len(data))
		return
	}
	if sp.file == nil {
		if sp.err = sp.spill(); sp.err != nil {
			return
		}
	}
	if _, err := sp.file.Write(data); err != nil {
		sp.err = fmt.Errorf("keeping output in a temporary file: %w", err)
	}
}

// spill moves the spool's bytes to a temporary file. The file is removed
// at once where the system allows it (an open file stays readable), so
// that nothing is left behind even if the process is killed.
func (sp *spool) spill() error {
	f, err := os.CreateTemp(sp.owner.dir, "remotectl-output-*")
	if err != nil {
		return fmt.Errorf("keeping output in a temporary file: %w", err)
	}
	sp.file = f
	if os.Remove(f.Name()) != nil {
		sp.path = f.Name() // Windows: removed once closed
	}
	bufs := net.Buffers(sp.mem)
	if _, err := bufs.WriteTo(f); err != nil {
		return fmt.Errorf("keeping output in a temporary file: %w", err)
	}
	sp.owner.inMemory -= sp.inMem
	sp.mem, sp.inMem = nil, 0
	return nil
}

// reader returns the spool's bytes from the start.
func (sp *spool) reader() io.Reader {
	if sp == nil {
		return bytes.NewReader(nil)
	}
	if sp.file != nil {
		return io.NewSectionReader(sp.file, 0, sp.size)
	}
	bufs := net.Buffers(slices.Clone(sp.mem)) // Read consumes the slice
	return &bufs
}

// len returns the number of bytes written; a nil spool is empty.
func (sp *spool) len() int64 {
	if sp == nil {
		return 0
	}
	return sp.size
}

// validUTF8 reports whether the bytes are UTF-8 text.
func (sp *spool) validUTF8() bool { return sp == nil || sp.text.valid() }

// sum returns a hash of the bytes (0 for none), to tell outputs apart.
func (sp *spool) sum() uint64 {
	if sp.len() == 0 {
		return 0
	}
	return sp.hash.Sum64()
}

// release frees the spool's memory and file. It can be called again.
func (sp *spool) release() error {
	if sp == nil {
		return nil
	}
	o := sp.owner
	delete(o.live, sp)
	o.inMemory -= sp.inMem
	sp.mem, sp.inMem = nil, 0
	var err error
	if sp.file != nil {
		err = sp.file.Close()
		if sp.path != "" {
			err = errors.Join(err, os.Remove(sp.path))
		}
		sp.file, sp.path = nil, ""
	}
	return err
}

// releaseAll releases the spools not released yet.
func (s *spools) releaseAll() error {
	var errs []error
	for sp := range s.live {
		errs = append(errs, sp.release())
	}
	return errors.Join(errs...)
}

// sameBytes reports whether two spools hold the same bytes, reading both.
func sameBytes(a, b *spool) (bool, error) {
	if a.len() != b.len() || a.sum() != b.sum() {
		return false, nil
	}
	if a.len() == 0 {
		return true, nil
	}
	if err := errors.Join(a.err, b.err); err != nil {
		return false, err
	}
	ra, rb := a.reader(), b.reader()
	bufA, bufB := make([]byte, 32<<10), make([]byte, 32<<10)
	for {
		n, errA := io.ReadFull(ra, bufA)
		m, errB := io.ReadFull(rb, bufB)
		if n != m || !bytes.Equal(bufA[:n], bufB[:m]) {
			return false, nil
		}
		if errA == io.EOF || errA == io.ErrUnexpectedEOF {
			return true, nil
		}
		if err := errors.Join(errA, errB); err != nil {
			return false, err
		}
	}
}

// utf8Check tells, as bytes come in pieces, whether they are all valid
// UTF-8; a character may be split between pieces.
type utf8Check struct {
	pending []byte // the start of a character cut at the end of the last piece
	invalid bool
}

func (c *utf8Check) write(p []byte) {
	if c.invalid {
		return
	}
	if len(c.pending) > 0 {
		for len(p) > 0 && !utf8.FullRune(c.pending) {
			c.pending, p = append(c.pending, p[0]), p[1:]
		}
		if !utf8.FullRune(c.pending) {
			return
		}
		if r, size := utf8.DecodeRune(c.pending); r == utf8.RuneError && size <= 1 {
			c.invalid = true
			return
		}
		c.pending = c.pending[:0]
	}
	if cut := incompleteTail(p); cut < len(p) {
		c.pending = append(c.pending, p[cut:]...)
		p = p[:cut]
	}
	c.invalid = !utf8.Valid(p)
}

func (c *utf8Check) valid() bool { return !c.invalid && len(c.pending) == 0 }

// incompleteTail returns where a UTF-8 character that p ends before its end
// starts, or len(p).
func incompleteTail(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-(utf8.UTFMax-1); i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				return i
			}
			break
		}
	}
	return len(p)
}
