package report

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"

	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/remote"
)

// coalesceRenderer shows, at the end, one block per distinct result: the
// hosts whose standard output, standard error and status are identical
// appear once, under their folded node set (like clush -b). Hosts that never
// started, and hosts that failed with an error before any output, are left
// to the recap.
type coalesceRenderer struct {
	out, errOut io.Writer
	style       style
	quiet       bool
	verbose     bool
}

func newCoalesce(opts Options) *coalesceRenderer {
	return &coalesceRenderer{out: opts.Out, errOut: opts.Err, style: style{opts.Color}, quiet: opts.Quiet, verbose: opts.Verbose}
}

func (c *coalesceRenderer) start(int, *HostRecord) error { return nil }

func (c *coalesceRenderer) output(int, *HostRecord, remote.Stream, []byte) error { return nil }

func (c *coalesceRenderer) done(int, *HostRecord) error { return nil }

func (c *coalesceRenderer) finish(sum *Summary) error {
	var buf []byte
	for _, g := range coalesce(sum.Hosts) {
		h := g[0]
		if c.quiet && h.Status() == StatusOK {
			continue
		}
		names := make([]string, len(g))
		for i, m := range g {
			names[i] = m.Name
		}
		count := ""
		if len(g) > 1 {
			count = fmt.Sprintf("%d hosts, ", len(g))
		}
		header := Printable(nodeset.Fold(names)) + " (" + count + c.style.status(h.Status(), h.label()) + ")"
		// Error messages name their host: the recap shows them.
		buf = appendBlock(buf, header, h, false)
	}
	if _, err := c.out.Write(buf); err != nil {
		return err
	}
	return writeRecap(c.errOut, sum, c.style, c.verbose, c.quiet)
}

// coalesce groups the hosts worth a block by identical results, groups and
// their members in target order. Outputs are compared by hash, then byte for
// byte, so the work stays linear in the size of the output.
func coalesce(hosts []HostRecord) [][]*HostRecord {
	type key struct {
		label string
		sum   uint64
	}
	seed := maphash.MakeSeed()
	byKey := make(map[key][]int) // indexes into groups
	var groups [][]*HostRecord
	for i := range hosts {
		h := &hosts[i]
		if h.NotStarted || (h.Err != nil && len(h.Stdout) == 0 && len(h.Stderr) == 0) {
			continue
		}
		k := key{h.label(), outputHash(seed, h)}
		found := false
		for _, g := range byKey[k] {
			if rep := groups[g][0]; bytes.Equal(rep.Stdout, h.Stdout) && bytes.Equal(rep.Stderr, h.Stderr) {
				groups[g] = append(groups[g], h)
				found = true
				break
			}
		}
		if !found {
			byKey[k] = append(byKey[k], len(groups))
			groups = append(groups, []*HostRecord{h})
		}
	}
	return groups
}

// outputHash hashes a host's standard output and error, unambiguously.
func outputHash(seed maphash.Seed, h *HostRecord) uint64 {
	var mh maphash.Hash
	mh.SetSeed(seed)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(h.Stdout)))
	mh.Write(n[:])
	mh.Write(h.Stdout)
	mh.Write(h.Stderr)
	return mh.Sum64()
}
