package main

import (
	"slices"
	"strconv"
	"strings"
)

// referenceVariant is remotectl at its defaults, what other tools are
// compared with when no remotectl run has their parallelism.
const referenceVariant = "remotectl"

// Group is every run of one scenario at one host count with one command.
type Group struct {
	Scenario string
	N        int
	Cmd      string
	Variants []*Stats // in the order they were first run
}

// Stats summarises the runs of one variant in a group: medians, and the range
// of failed hosts.
type Stats struct {
	Variant, Tool        string
	Forks, Runs          int
	Wall, CPU            float64
	SSHDCPU, RelayCPU    float64
	RSSKB                float64
	Failed               float64 // median
	FailedMin, FailedMax int
	Exits                []int // distinct exit statuses, sorted
}

// Summarize groups runs by scenario, host count and command, in the order
// they first appear, and computes each variant's medians.
func Summarize(runs []Run) []*Group {
	type key struct {
		scenario string
		n        int
		cmd      string
	}
	var groups []*Group
	byKey := map[key]*Group{}
	perVariant := map[*Group]map[string][]Run{}
	for _, r := range runs {
		k := key{r.Scenario, r.N, r.Cmd}
		g := byKey[k]
		if g == nil {
			g = &Group{Scenario: r.Scenario, N: r.N, Cmd: r.Cmd}
			byKey[k] = g
			groups = append(groups, g)
			perVariant[g] = map[string][]Run{}
		}
		if _, seen := perVariant[g][r.Variant]; !seen {
			g.Variants = append(g.Variants, &Stats{Variant: r.Variant, Tool: r.Tool, Forks: r.Forks})
		}
		perVariant[g][r.Variant] = append(perVariant[g][r.Variant], r)
	}
	for _, g := range groups {
		for _, s := range g.Variants {
			s.fill(perVariant[g][s.Variant])
		}
	}
	return groups
}

func (s *Stats) fill(runs []Run) {
	s.Runs = len(runs)
	pick := func(f func(Run) float64) float64 {
		vals := make([]float64, len(runs))
		for i, r := range runs {
			vals[i] = f(r)
		}
		return Median(vals)
	}
	s.Wall = pick(func(r Run) float64 { return r.Wall })
	s.CPU = pick(Run.CPU)
	s.SSHDCPU = pick(func(r Run) float64 { return r.SSHDCPU })
	s.RelayCPU = pick(func(r Run) float64 { return r.RelayCPU })
	s.RSSKB = pick(func(r Run) float64 { return r.MaxRSSKB })
	s.Failed = pick(func(r Run) float64 { return float64(r.Failed) })
	s.FailedMin, s.FailedMax = runs[0].Failed, runs[0].Failed
	for _, r := range runs {
		s.FailedMin = min(s.FailedMin, r.Failed)
		s.FailedMax = max(s.FailedMax, r.Failed)
		if !slices.Contains(s.Exits, r.Exit) {
			s.Exits = append(s.Exits, r.Exit)
		}
	}
	slices.Sort(s.Exits)
}

// Median returns the median of vals (the mean of the two middle values for
// an even count), 0 for none. vals is not modified.
func Median(vals []float64) float64 {
	if len(vals) == 0 {
		return 0
	}
	v := slices.Clone(vals)
	slices.Sort(v)
	mid := len(v) / 2
	if len(v)%2 == 1 {
		return v[mid]
	}
	return (v[mid-1] + v[mid]) / 2
}

// Variant returns the stats of the named variant, nil when it did not run.
func (g *Group) Variant(name string) *Stats {
	for _, s := range g.Variants {
		if s.Variant == name {
			return s
		}
	}
	return nil
}

// Reference returns the remotectl run s is compared with: for another tool,
// remotectl at the same parallelism when it ran, else remotectl at its
// defaults; for remotectl itself, remotectl at its defaults. Nil when the
// group has no such run.
func (g *Group) Reference(s *Stats) *Stats {
	if s.Tool != "remotectl" {
		for _, r := range g.Variants {
			if r.Tool == "remotectl" && r.Forks == s.Forks {
				return r
			}
		}
	}
	return g.Variant(referenceVariant)
}

// FailedText renders the failed hosts: the median, and the range when runs
// disagreed ("3 (0–7)").
func (s *Stats) FailedText() string {
	text := strconv.FormatFloat(s.Failed, 'f', -1, 64)
	if s.FailedMin != s.FailedMax {
		text += " (" + strconv.Itoa(s.FailedMin) + "–" + strconv.Itoa(s.FailedMax) + ")"
	}
	return text
}

// ExitText renders the distinct exit statuses: "0", "0, 2".
func (s *Stats) ExitText() string {
	parts := make([]string, len(s.Exits))
	for i, e := range s.Exits {
		parts[i] = strconv.Itoa(e)
	}
	return strings.Join(parts, ", ")
}
