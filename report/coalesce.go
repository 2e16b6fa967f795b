package report

import (
	"fmt"
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
	groups, err := coalesce(sum.Hosts)
	if err != nil {
		return err
	}
	for _, g := range groups {
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
		if err := writeBlock(c.out, header, h, false); err != nil {
			return err
		}
	}
	return writeRecap(c.errOut, sum, c.style, c.verbose, c.quiet)
}

// coalesce groups the hosts worth a block by identical results, groups and
// their members in target order. Outputs are compared by size and hash,
// then byte for byte, so the work stays linear in the size of the output.
func coalesce(hosts []HostRecord) ([][]*HostRecord, error) {
	type key struct {
		label                string
		stdoutLen, stderrLen int64
		stdoutSum, stderrSum uint64
	}
	byKey := make(map[key][]int) // indexes into groups
	var groups [][]*HostRecord
	for i := range hosts {
		h := &hosts[i]
		if h.NotStarted || (h.Err != nil && h.out[0].len() == 0 && h.out[1].len() == 0) {
			continue
		}
		k := key{h.label(), h.out[0].len(), h.out[1].len(), h.out[0].sum(), h.out[1].sum()}
		found := false
		for _, g := range byKey[k] {
			same, err := sameOutput(groups[g][0], h)
			if err != nil {
				return nil, err
			}
			if same {
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
	return groups, nil
}

// sameOutput reports whether two hosts had the same standard output and
// error, byte for byte.
func sameOutput(a, b *HostRecord) (bool, error) {
	for k := range a.out {
		if same, err := sameBytes(a.out[k], b.out[k]); !same || err != nil {
			return false, err
		}
	}
	return true, nil
}
