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
// all hosts together; past it, they move to a temporary file. So
// grouped, coalesce and json hold about this much whatever the size of the
// output, rather than all of it (several times over, as copies).
const spoolMemory = 16 << 20

// Pieces of output of at least bigPiece bytes are kept as the events
// brought them (an event's data is the receiver's and never changed):
// nothing is copied. Smaller ones are copied into blocks of up to
// blockSize, so that a host writing a line at a time costs no more than
// its bytes.
const (
	bigPiece  = 1 << 10
	blockSize = 16 << 10
)

// spools are the output streams a Render keeps for the formats that show
// output after a host ends (grouped, coalesce, json). What does not fit in
// memory goes to one temporary file for all of them (one descriptor, however
// many hosts), removed as soon as created where the system allows it (an
// open file stays usable), else when released.
type spools struct {
	inMemory int64 // bytes held in memory by all spools
	limit    int64
	dir      string // for the temporary file; "" means os.TempDir()
	seed     maphash.Seed
	live     map[*spool]struct{} // not yet released

	file     *os.File
	path     string // of file, while it still has to be removed
	fileSize int64
	err      error // of the file: since then, output stays in memory
}

func newSpools(limit int64) *spools {
	return &spools{limit: limit, seed: maphash.MakeSeed(), live: make(map[*spool]struct{})}
}

// spool is one output stream of one host: pieces on disk (in the spools'
// file), then pieces in memory, and what the renderers need to know
// without reading them again: size, UTF-8 validity, hash.
type spool struct {
	owner   *spools
	onDisk  []segment
	mem     [][]byte
	ownLast bool  // mem's last piece is a block of the spool's own, to append to
	inMem   int64 // memory held by mem (the capacity of own blocks), as counted in owner.inMemory
	size    int64
	text    utf8Check
	hash    maphash.Hash
}

// segment is a run of bytes of one spool in the spools' file.
type segment struct{ off, n int64 }

func (s *spools) newSpool() *spool {
	sp := &spool{owner: s}
	sp.hash.SetSeed(s.seed)
	s.live[sp] = struct{}{}
	return sp
}

// write appends data to the spool.
func (sp *spool) write(data []byte) {
	if len(data) == 0 {
		return
	}
	sp.size += int64(len(data))
	sp.text.write(data)
	sp.hash.Write(data)
	var grown int64 // memory taken
	switch n := len(sp.mem); {
	case len(data) >= bigPiece:
		sp.mem, sp.ownLast = append(sp.mem, data), false
		grown = int64(len(data))
	case sp.ownLast && len(sp.mem[n-1])+len(data) <= blockSize:
		before := cap(sp.mem[n-1])
		sp.mem[n-1] = append(sp.mem[n-1], data...)
		grown = int64(cap(sp.mem[n-1]) - before)
	default:
		block := append(make([]byte, 0, max(len(data), 64)), data...)
		sp.mem, sp.ownLast = append(sp.mem, block), true
		grown = int64(cap(block))
	}
	sp.inMem += grown
	o := sp.owner
	o.inMemory += grown
	if o.inMemory > o.limit {
		o.spill()
	}
}

// spill moves every spool's pieces in memory to the file: one pass over
// the spools, at most once per limit bytes of output, each spool's pieces
// written as one segment.
func (s *spools) spill() {
	if s.err != nil {
		return // no file: output stays in memory
	}
	for sp := range s.live {
		if len(sp.mem) > 0 && !sp.toDisk() {
			return
		}
	}
}

// toDisk moves the spool's pieces in memory to the end of the file. When
// the file cannot be created or written, it reports false and the pieces
// stay in memory, as everything from then on: output is never lost, and
// the error is reported when the Render ends.
func (sp *spool) toDisk() bool {
	s := sp.owner
	if s.file == nil {
		if s.err = s.createFile(); s.err != nil {
			return false
		}
	}
	bufs := net.Buffers(slices.Clone(sp.mem))
	n, err := bufs.WriteTo(s.file)
	if err != nil {
		s.err = fmt.Errorf("keeping output in a temporary file: %w", err)
		return false
	}
	if k := len(sp.onDisk) - 1; k >= 0 && sp.onDisk[k].off+sp.onDisk[k].n == s.fileSize {
		sp.onDisk[k].n += n
	} else {
		sp.onDisk = append(sp.onDisk, segment{s.fileSize, n})
	}
	s.fileSize += n
	s.inMemory -= sp.inMem
	sp.mem, sp.ownLast, sp.inMem = nil, false, 0
	return true
}

func (s *spools) createFile() error {
	f, err := os.CreateTemp(s.dir, "remotectl-output-*")
	if err != nil {
		return fmt.Errorf("keeping output in a temporary file: %w", err)
	}
	s.file = f
	if os.Remove(f.Name()) != nil {
		s.path = f.Name() // Windows: removed once closed
	}
	return nil
}

// reader returns the spool's bytes from the start.
func (sp *spool) reader() io.Reader {
	if sp == nil {
		return bytes.NewReader(nil)
	}
	readers := make([]io.Reader, 0, len(sp.onDisk)+1)
	for _, seg := range sp.onDisk {
		readers = append(readers, io.NewSectionReader(sp.owner.file, seg.off, seg.n))
	}
	bufs := net.Buffers(slices.Clone(sp.mem)) // reading consumes the slice
	return io.MultiReader(append(readers, &bufs)...)
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

// release frees the spool's memory; its bytes on disk stay until the end
// of the Render. It can be called again.
func (sp *spool) release() {
	if sp == nil {
		return
	}
	delete(sp.owner.live, sp)
	sp.owner.inMemory -= sp.inMem
	sp.mem, sp.ownLast, sp.inMem, sp.onDisk = nil, false, 0, nil
}

// releaseAll releases the spools not released yet, and closes and removes
// the file. The error of the file, which made the spools keep output in
// memory, is in s.err.
func (s *spools) releaseAll() error {
	for sp := range s.live {
		sp.release()
	}
	var err error
	if s.file != nil {
		err = errors.Join(err, s.file.Close())
		if s.path != "" {
			err = errors.Join(err, os.Remove(s.path))
		}
		s.file, s.path = nil, ""
	}
	return err
}

// sameBytes reports whether two spools hold the same bytes, reading both.
func sameBytes(a, b *spool) (bool, error) {
	if a.len() != b.len() || a.sum() != b.sum() {
		return false, nil
	}
	if a.len() == 0 {
		return true, nil
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
