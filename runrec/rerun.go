package runrec

import (
	"fmt"
	"slices"
)

// Rerun modes: which hosts of an earlier run to run on again.
const (
	// RerunFailed: every host that did not succeed (failed, error,
	// unreachable, timed out, cancelled), as Ansible's retry files.
	RerunFailed = "failed"
	// RerunUnreachable: the hosts that could not be reached or did not
	// finish (unreachable, timed out, cancelled).
	RerunUnreachable = "unreachable"
	// RerunChanged: the hosts whose outcome differs from the run before
	// (see Diff), new hosts included.
	RerunChanged = "changed"
)

// RerunModes lists the modes.
var RerunModes = []string{RerunFailed, RerunUnreachable, RerunChanged}

// RerunHosts returns the names of the hosts of rec that mode selects, in
// rec's order. prev is the run before rec, needed by RerunChanged only
// (nil: every host of rec counts as changed).
func RerunHosts(mode string, rec, prev *Record) ([]string, error) {
	var names []string
	switch mode {
	case RerunFailed, RerunUnreachable:
		for i := range rec.Hosts {
			h := &rec.Hosts[i]
			if selectedForRerun(mode, h.Status) {
				names = append(names, h.Name)
			}
		}
	case RerunChanged:
		if prev == nil {
			for i := range rec.Hosts {
				names = append(names, rec.Hosts[i].Name)
			}
			return names, nil
		}
		for _, d := range Diff(prev, rec) {
			if d.Change != HostRemoved {
				names = append(names, d.Host)
			}
		}
	default:
		return nil, fmt.Errorf("--rerun %q: want one of %v", mode, RerunModes)
	}
	return names, nil
}

func selectedForRerun(mode, status string) bool {
	unreached := []string{StatusUnreachable, StatusTimeout, StatusCancelled}
	if mode == RerunUnreachable {
		return slices.Contains(unreached, status)
	}
	return status != StatusOK
}
