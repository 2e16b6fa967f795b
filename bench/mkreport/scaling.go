package main

import (
	"fmt"
	"math"
	"strings"
)

// scaleHosts and scaleMinutes are the fleet and time budget of the
// "Scaling out" estimate (issue: 100,000 hosts in 5 minutes).
const (
	scaleHosts   = 100_000
	scaleMinutes = 5
)

// scaling writes "Scaling out": hosts per controller per minute and the
// controllers a large fleet needs, computed from this run's measured
// per-host costs of remotectl (the largest `true` run, the latency run, the
// memory run). Nothing is written when the run has no `true` run.
func (r *Report) scaling(b *strings.Builder) {
	g := r.largest("main", "true")
	if g == nil || g.Variant(referenceVariant) == nil {
		return
	}
	rc := g.Variant(referenceVariant)
	n := float64(g.N)
	measuredRate := n / rc.Wall * 60                    // hosts per minute, fleet on the same machine
	cpuMS := rc.CPU / n * 1000                          // client CPU per host
	cpuRate := float64(r.cores()) / (cpuMS / 1000) * 60 // hosts per minute if client CPU were the only bound
	forks := min(rc.Forks, g.N)
	session := float64(forks) * rc.Wall / n // seconds one host holds a fork
	need := func(rate float64) int { return int(math.Ceil(scaleHosts / (rate * scaleMinutes))) }
	b.WriteString("## Scaling out: hosts per controller\n\n")
	fmt.Fprintf(b, "Computed from the numbers above, not measured at that scale. `true` on %d hosts took %s s of wall "+
		"time and %s s of client CPU (%s ms per host): **%s hosts per minute per controller** as measured, with the "+
		"fleet's sshd processes on the same %d cores as remotectl (wall ≈ the sshd floor). For %s hosts in %d minutes "+
		"that is **%d controllers** (`--shard K/%d` each, `report merge` after).\n\n",
		g.N, seconds(rc.Wall), seconds(rc.CPU), twoDigits(cpuMS), thousands(int(measuredRate)), r.cores(),
		thousands(scaleHosts), scaleMinutes, need(measuredRate), need(measuredRate))
	fmt.Fprintf(b, "When the targets' sshd run on their own machines, the controller's own bound is its CPU: %d cores ÷ "+
		"%s ms = %s hosts per minute, %d controller(s) for %s hosts in %d minutes, provided enough forks hide the "+
		"round trips: each host held a fork %s s here (%d forks × %s s ÷ %d hosts), so that rate needs about %s "+
		"forks at once",
		r.cores(), twoDigits(cpuMS), thousands(int(cpuRate)), need(cpuRate), thousands(scaleHosts), scaleMinutes,
		twoDigits(session), forks, seconds(rc.Wall), g.N, thousands(int(math.Ceil(cpuRate/60*session))))
	if m := r.largestOf("sleep"); m != nil && len(m.Variants) > 0 && m.N > 0 {
		s := m.Variants[0]
		perHost := s.RSSKB / float64(m.N)
		fmt.Fprintf(b, ", at %s KB of memory each (measured with %d sessions open at once): %s MB",
			oneDigit(perHost), m.N, thousands(int(math.Ceil(perHost*math.Ceil(cpuRate/60*session)/1024))))
	}
	b.WriteString(". Past one controller's reach, or behind a site's own bastion, shard the run over an existing " +
		"scheduler (README, \"Scaling out\"): each shard is an ordinary run of a part of the fleet.\n\n")
}

// largestOf returns the group of scenario with the most hosts, whatever its
// command; nil when there is none.
func (r *Report) largestOf(scenario string) *Group {
	var best *Group
	for _, g := range r.Groups {
		if g.Scenario == scenario && (best == nil || g.N > best.N) {
			best = g
		}
	}
	return best
}
