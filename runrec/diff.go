package runrec

import (
	"slices"
	"strconv"
)

// Kinds of host differences.
const (
	HostAdded   = "added"   // in the newer run only
	HostRemoved = "removed" // in the older run only
	HostChanged = "changed" // in both, with a different outcome
)

// DiffDoc is the JSON document of remotectl runs diff.
type DiffDoc struct {
	From  string     `json:"from"`
	To    string     `json:"to"`
	Hosts []HostDiff `json:"hosts"`
}

// NewDiffDoc returns the document of diffs, Diff(older, newer).
func NewDiffDoc(older, newer *Record, diffs []HostDiff) DiffDoc {
	return DiffDoc{From: older.ID, To: newer.ID, Hosts: append([]HostDiff{}, diffs...)}
}

// HostDiff is how one host's outcome differs between two runs.
type HostDiff struct {
	Host   string `json:"host"`
	Change string `json:"change"` // HostAdded, HostRemoved or HostChanged

	StatusFrom string `json:"status_from,omitempty"`
	StatusTo   string `json:"status_to,omitempty"`
	ExitFrom   *int   `json:"exit_code_from,omitempty"`
	ExitTo     *int   `json:"exit_code_to,omitempty"`
	ClassFrom  string `json:"error_class_from,omitempty"`
	ClassTo    string `json:"error_class_to,omitempty"`

	StdoutChanged bool `json:"stdout_changed,omitempty"`
	StderrChanged bool `json:"stderr_changed,omitempty"`
	// From and To are the host's records in the older and newer run (nil
	// when the host is not in that run).
	From *Host `json:"-"`
	To   *Host `json:"-"`

	// Flipped are the check properties whose status changed.
	Flipped []CheckFlip `json:"checks_flipped,omitempty"`
}

// CheckFlip is a check property whose status changed between two runs. A
// property missing from one run has the status "" there.
type CheckFlip struct {
	Check    string `json:"check"`
	Property string `json:"property"`
	From     string `json:"from"`
	To       string `json:"to"`
}

// Diff compares two runs host by host and returns the hosts whose outcome
// differs: status, exit code, error class, output (by digest) or the status
// of a check property. Hosts come in the newer run's order, then those only
// in the older run.
func Diff(older, newer *Record) []HostDiff {
	var diffs []HostDiff
	for i := range newer.Hosts {
		to := &newer.Hosts[i]
		from := older.Host(to.Name)
		if from == nil {
			diffs = append(diffs, HostDiff{Host: to.Name, Change: HostAdded, StatusTo: to.Status, ExitTo: to.ExitCode, ClassTo: to.ErrorClass, To: to})
			continue
		}
		if d, changed := diffHost(from, to); changed {
			diffs = append(diffs, d)
		}
	}
	for i := range older.Hosts {
		from := &older.Hosts[i]
		if newer.Host(from.Name) == nil {
			diffs = append(diffs, HostDiff{Host: from.Name, Change: HostRemoved, StatusFrom: from.Status, ExitFrom: from.ExitCode, ClassFrom: from.ErrorClass, From: from})
		}
	}
	return diffs
}

// diffHost compares one host's records; changed is false when they agree.
func diffHost(from, to *Host) (HostDiff, bool) {
	d := HostDiff{
		Host: to.Name, Change: HostChanged,
		StatusFrom: from.Status, StatusTo: to.Status,
		ExitFrom: from.ExitCode, ExitTo: to.ExitCode,
		ClassFrom: from.ErrorClass, ClassTo: to.ErrorClass,
		From: from, To: to,
	}
	// Output is compared only when both runs have it: a host that could
	// not be reached has no output to compare.
	if from.Stdout != nil && to.Stdout != nil {
		d.StdoutChanged = !from.Stdout.Same(to.Stdout)
	}
	if from.Stderr != nil && to.Stderr != nil {
		d.StderrChanged = !from.Stderr.Same(to.Stderr)
	}
	d.Flipped = flippedChecks(from.Checks, to.Checks)
	changed := from.Status != to.Status || !sameExit(from.ExitCode, to.ExitCode) ||
		from.ErrorClass != to.ErrorClass || d.StdoutChanged || d.StderrChanged || len(d.Flipped) > 0
	return d, changed
}

func sameExit(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// flippedChecks returns the properties whose status differs. When a host
// has the same property twice (the same check in two files), the
// occurrences are matched in order.
func flippedChecks(from, to []Check) []CheckFlip {
	if len(from) == 0 && len(to) == 0 {
		return nil
	}
	type entry struct {
		check, property string
		status          [2]string
		seen            [2]bool
	}
	var order []string
	entries := make(map[string]*entry)
	add := func(side int, cs []Check) {
		occurrence := make(map[string]int)
		for i := range cs {
			c := &cs[i]
			base := c.key()
			occurrence[base]++
			key := base
			if n := occurrence[base]; n > 1 {
				key = base + "\x00" + strconv.Itoa(n)
			}
			e := entries[key]
			if e == nil {
				e = &entry{check: c.Check, property: c.Property}
				entries[key] = e
				order = append(order, key)
			}
			e.status[side], e.seen[side] = c.Status, true
		}
	}
	add(0, from)
	add(1, to)
	var flips []CheckFlip
	for _, key := range order {
		e := entries[key]
		if e.status[0] != e.status[1] {
			flips = append(flips, CheckFlip{Check: e.check, Property: e.property, From: e.status[0], To: e.status[1]})
		}
	}
	return slices.Clip(flips)
}
