package main

import (
	"fmt"
	"strconv"
	"strings"
)

// The performance targets remotectl is held to, and the conditions under
// which a run measures them.
const (
	targetCPUPerHostMS    = 0.5    // client CPU per host, milliseconds
	targetKnownHostsLines = 10_000 // ... with a known_hosts at least this long
	targetSSHConfigBlocks = 1_000  // ... and an ssh_config with this many blocks
	targetThroughputN     = 1000   // hosts printing 1 MB each
	targetThroughputMBps  = 200.0  // aggregate output through the prefixed text mode
	targetInventoryHosts  = 100_000
	targetInventoryWall   = 1.0   // seconds to load and match, exclusive
	targetInventoryRSSMB  = 300.0 // exclusive
	targetCoalesceSeconds = 1.0   // -o coalesce over 10,000 hosts' results, exclusive
	targetPdshN           = 1000  // the host count of the ratio to pdsh
	targetPdshRatio       = 0.2   // remotectl wall / pdsh wall
	targetFloorRatio      = 1.1   // remotectl wall / floor
	targetSessions        = 1000  // connections open at once
	targetSessionsRSSMB   = 100.0
	targetChecksSpeedup   = 10.0 // testinfra wall / remotectl check wall
)

// targetMaxStartupsN are the host counts at which remotectl must lose no host
// to OpenSSH's default MaxStartups.
var targetMaxStartupsN = []int{200, 1000}

// Verdict says whether a run meets a target.
type Verdict int

const (
	NotMeasured Verdict = iota // the run lacks the scenario, or ran it smaller than the target says
	Met
	NotMet
)

// String renders a verdict for the Targets table.
func (v Verdict) String() string {
	switch v {
	case Met:
		return "met"
	case NotMet:
		return "**not met**"
	}
	return "not measured in this run"
}

// verdict is Met when ok holds, else NotMet.
func verdict(ok bool) Verdict {
	if ok {
		return Met
	}
	return NotMet
}

// TargetResult is one row of the Targets table.
type TargetResult struct {
	Target   string // what is asked, in markdown
	Measured string // what this run measured, with the conditions it ran under
	Verdict  Verdict
}

// Targets checks the run against every performance target, in the order
// the report lists them.
func (r *Report) Targets() []TargetResult {
	return []TargetResult{
		r.cpuPerHostTarget(),
		r.throughputTarget(),
		r.inventoryTarget(),
		r.coalesceTarget(),
		r.pdshRatioTarget(),
		r.floorTarget(),
		r.sessionsTarget(),
		r.maxStartupsTarget(),
		r.latencyTarget(),
		r.checksTarget(),
	}
}

// groupsOf returns the groups of one scenario and command, in run order.
func (r *Report) groupsOf(scenario, cmd string) []*Group {
	var gs []*Group
	for _, g := range r.Groups {
		if g.Scenario == scenario && g.Cmd == cmd {
			gs = append(gs, g)
		}
	}
	return gs
}

// largest returns the group of one scenario and command with the most hosts,
// nil when there is none.
func (r *Report) largest(scenario, cmd string) *Group {
	var best *Group
	for _, g := range r.groupsOf(scenario, cmd) {
		if best == nil || g.N > best.N {
			best = g
		}
	}
	return best
}

// machineInt returns a whole-number value of machine.tsv and whether it is
// there.
func (r *Report) machineInt(key string) (int, bool) {
	v, err := strconv.Atoi(r.Machine.Get(key))
	return v, err == nil
}

func (r *Report) cpuPerHostTarget() TargetResult {
	t := TargetResult{Target: fmt.Sprintf("Client CPU ≤ %s ms per host, everything on (inventory, ssh_config, known_hosts, "+
		"output, recap, run record), known_hosts of %s lines, ssh_config of %s blocks (`true`)",
		trimFloat(targetCPUPerHostMS), thousands(targetKnownHostsLines), thousands(targetSSHConfigBlocks))}
	g := r.largest("main", "true")
	if g == nil || g.Variant(referenceVariant) == nil {
		t.Measured = "no `true` run of remotectl"
		return t
	}
	rc := g.Variant(referenceVariant)
	perHost := rc.CPU / float64(g.N) * 1000
	t.Measured = fmt.Sprintf("%s ms per host (%s s at N=%d", twoDigits(perHost), seconds(rc.CPU), g.N)
	lines, okLines := r.machineInt("known_hosts_lines")
	blocks, okBlocks := r.machineInt("ssh_config_blocks")
	records, _ := r.machineInt("remotectl_run_records")
	if okLines && okBlocks {
		t.Measured += fmt.Sprintf("; known_hosts %s lines, ssh_config %s blocks)", thousands(lines), thousands(blocks))
	} else {
		t.Measured += "; sizes of known_hosts and ssh_config not recorded)"
	}
	switch {
	case !okLines || !okBlocks:
		// Said above: a run from before the sizes were recorded.
	case lines < targetKnownHostsLines || blocks < targetSSHConfigBlocks:
		t.Measured += ": smaller client files than the target's"
	case r.Machine.Get("remotectl_ssh_config") != "fleet":
		t.Measured += ": remotectl ran without the ssh_config"
	case records <= 0:
		t.Measured += ": no run record was written"
	default:
		t.Verdict = verdict(perHost <= targetCPUPerHostMS)
	}
	return t
}

func (r *Report) throughputTarget() TargetResult {
	t := TargetResult{Target: fmt.Sprintf("Output of %s hosts × 1 MB through the default prefixed text mode ≥ %s MB/s aggregate, "+
		"compared with pdsh", thousands(targetThroughputN), trimFloat(targetThroughputMBps))}
	g := r.largest("throughput", "1MB")
	if g == nil || g.Variant(referenceVariant) == nil {
		t.Measured = "no throughput run of remotectl"
		return t
	}
	rc := g.Variant(referenceVariant)
	mb := float64(g.N) * r.throughputBytesPerHost() / 1e6
	mbps := mb / rc.Wall
	t.Measured = fmt.Sprintf("%s MB/s at N=%d, %s ms of client CPU per MB", oneDigit(mbps), g.N, significant(rc.CPU*1000/mb))
	if p := g.Variant("pdsh"); p != nil {
		t.Measured += fmt.Sprintf("; pdsh %s MB/s, %s ms per MB", oneDigit(mb/p.Wall), significant(p.CPU*1000/mb))
	}
	t.Measured += r.throughputBound(g.N, mb, rc.Wall)
	switch {
	case g.N < targetThroughputN:
		t.Measured += fmt.Sprintf(": the target is at %s hosts", thousands(targetThroughputN))
	case rc.FailedMax > 0:
		t.Measured += fmt.Sprintf(": %d hosts failed", rc.FailedMax)
		t.Verdict = NotMet
	default:
		t.Verdict = verdict(mbps >= targetThroughputMBps)
	}
	return t
}

// throughputBound says what bounds the aggregate rate of the throughput
// run: connecting to n hosts costs what `true` on n hosts costs, which no
// amount of output can go below. It gives the rate the run would need to
// reach the target, and the rate of the output alone (the time beyond the
// `true` run of the same size); "" without such a run.
func (r *Report) throughputBound(n int, mb, wall float64) string {
	var base *Stats
	for _, g := range r.groupsOf("main", "true") {
		if g.N == n {
			base = g.Variant(referenceVariant)
		}
	}
	if base == nil || base.Wall <= 0 {
		return ""
	}
	out := fmt.Sprintf(". `true` on the same %d hosts takes %s s (connections alone, bounded by sshd's CPU), so %s MB cannot go faster than %s MB/s here",
		n, seconds(base.Wall), significant(mb), oneDigit(mb/base.Wall))
	if extra := wall - base.Wall; extra > 0 {
		out += fmt.Sprintf("; beyond it, the output itself flowed at %s MB/s", oneDigit(mb/extra))
	}
	return out
}

func (r *Report) inventoryTarget() TargetResult {
	t := TargetResult{Target: fmt.Sprintf("%s-host inventory: load + pattern match < %s s and < %s MB (`remotectl inventory list`)",
		thousands(targetInventoryHosts), trimFloat(targetInventoryWall), trimFloat(targetInventoryRSSMB))}
	g := r.largest("micro", "inventory")
	if g == nil || len(g.Variants) == 0 {
		t.Measured = "micro scenario not run"
		return t
	}
	s := g.Variants[0]
	rssMB := s.RSSKB / 1024
	t.Measured = fmt.Sprintf("%s s, %s MB peak RSS (median of %s; %s)", seconds(s.Wall), oneDigit(rssMB), plural(s.Runs, "run"), r.inventorySelection(g.N))
	switch {
	case g.N < targetInventoryHosts:
		t.Measured += fmt.Sprintf(": the target is %s hosts", thousands(targetInventoryHosts))
	case len(s.Exits) != 1 || s.Exits[0] != 0:
		t.Measured += ": exit " + s.ExitText()
		t.Verdict = NotMet
	default:
		t.Verdict = verdict(s.Wall < targetInventoryWall && rssMB < targetInventoryRSSMB)
	}
	return t
}

// inventorySelection says what the inventory runs selected: "24,990 of
// 100,000 hosts selected by `web*:&dc1:!web0001*`".
func (r *Report) inventorySelection(n int) string {
	text := thousands(n) + " hosts"
	if sel, ok := r.machineInt("micro_inventory_selected"); ok {
		text = thousands(sel) + " of " + text + " selected"
	}
	if p := r.Machine.Get("micro_inventory_pattern"); p != "" {
		text += " by `" + p + "`"
	}
	return text
}

func (r *Report) coalesceTarget() TargetResult {
	t := TargetResult{Target: fmt.Sprintf("`-o coalesce` over 10,000 hosts' results < %s s (Go benchmark Coalesce10k)",
		trimFloat(targetCoalesceSeconds))}
	if r.Micro == nil {
		t.Measured = "micro scenario not run"
		return t
	}
	b, ok := r.Micro.Find("Coalesce10k")
	ns, hasNs := b.Metric("ns/op")
	if !ok || !hasNs {
		t.Measured = "no Coalesce10k result in micro.txt"
		if len(r.Micro.Failed) > 0 {
			t.Measured += " (failed: " + strings.Join(r.Micro.Failed, ", ") + ")"
		}
		return t
	}
	t.Measured = duration(ns) + " per rendering"
	t.Verdict = verdict(ns/1e9 < targetCoalesceSeconds)
	return t
}

func (r *Report) pdshRatioTarget() TargetResult {
	t := TargetResult{Target: fmt.Sprintf("Wall time ÷ pdsh's ≤ %s at %s hosts (`true`, both at their defaults)",
		trimFloat(targetPdshRatio), thousands(targetPdshN))}
	g := r.largest("main", "true")
	if g == nil || g.Variant(referenceVariant) == nil || g.Variant("pdsh") == nil {
		t.Measured = "no `true` run of both remotectl and pdsh"
		return t
	}
	rc, p := g.Variant(referenceVariant), g.Variant("pdsh")
	q := rc.Wall / p.Wall
	t.Measured = fmt.Sprintf("%s at N=%d (remotectl %s s, pdsh %s s)", twoDigits(q), g.N, seconds(rc.Wall), seconds(p.Wall))
	if g.N < targetPdshN {
		t.Measured += fmt.Sprintf(": the target is at %s hosts", thousands(targetPdshN))
		return t
	}
	t.Verdict = verdict(q <= targetPdshRatio)
	return t
}

func (r *Report) floorTarget() TargetResult {
	t := TargetResult{Target: fmt.Sprintf("Wall time ≤ %s × the floor (sshd CPU ÷ cores; `true` on %s hosts)",
		trimFloat(targetFloorRatio), thousands(targetPdshN))}
	var parts []string
	judged, ok := false, true
	for _, g := range r.groupsOf("main", "true") {
		rc := g.Variant(referenceVariant)
		if rc == nil || rc.SSHDCPU <= 0 {
			continue
		}
		q := rc.Wall / (rc.SSHDCPU / float64(r.cores()))
		parts = append(parts, fmt.Sprintf("N=%d: %s", g.N, twoDigits(q)))
		if g.N >= targetPdshN {
			judged, ok = true, ok && q <= targetFloorRatio
		}
	}
	if len(parts) == 0 {
		t.Measured = "no `true` run of remotectl with sshd CPU counted"
		return t
	}
	t.Measured = strings.Join(parts, ", ")
	if !judged {
		t.Measured += fmt.Sprintf(": the target is at %s hosts", thousands(targetPdshN))
		return t
	}
	t.Verdict = verdict(ok)
	return t
}

func (r *Report) sessionsTarget() TargetResult {
	t := TargetResult{Target: fmt.Sprintf("Peak RSS ≤ %s MB with %s sessions at once (`sleep 5`, -f N)",
		trimFloat(targetSessionsRSSMB), thousands(targetSessions))}
	g := r.largest("sleep", "sleep5")
	if g == nil || len(g.Variants) == 0 {
		t.Measured = "sleep scenario not run"
		return t
	}
	s := g.Variants[0]
	rssMB := s.RSSKB / 1024
	t.Measured = fmt.Sprintf("%s MB at N=%d with -f %d", oneDigit(rssMB), g.N, s.Forks)
	switch {
	case g.N < targetSessions || s.Forks < targetSessions:
		t.Measured += fmt.Sprintf(": the target is %s sessions", thousands(targetSessions))
	case s.FailedMax > 0:
		t.Measured += fmt.Sprintf(": %d hosts failed", s.FailedMax)
		t.Verdict = NotMet
	default:
		t.Verdict = verdict(rssMB <= targetSessionsRSSMB)
	}
	return t
}

func (r *Report) maxStartupsTarget() TargetResult {
	ns := make([]string, len(targetMaxStartupsN))
	for i, n := range targetMaxStartupsN {
		ns[i] = thousands(n)
	}
	t := TargetResult{Target: "Zero failed hosts under OpenSSH's default MaxStartups 10:30:100 at " + strings.Join(ns, " and ") + " hosts"}
	var parts []string
	missing, failed := false, false
	for _, n := range targetMaxStartupsN {
		var rc *Stats
		for _, g := range r.groupsOf("maxstartups", "true") {
			if g.N == n {
				rc = g.Variant(referenceVariant)
			}
		}
		if rc == nil {
			parts = append(parts, fmt.Sprintf("N=%d: not run", n))
			missing = true
			continue
		}
		parts = append(parts, fmt.Sprintf("N=%d: %s failed", n, rc.FailedText()))
		failed = failed || rc.FailedMax > 0
	}
	t.Measured = strings.Join(parts, ", ")
	switch {
	case failed:
		t.Verdict = NotMet
	case !missing:
		t.Verdict = Met
	}
	return t
}

func (r *Report) latencyTarget() TargetResult {
	t := TargetResult{Target: fmt.Sprintf("With latency (+%s ms each way), no slower than the fastest other tool at any N (`true`)",
		orDash(r.Machine.Get("latency_ms")))}
	var parts []string
	ok := true
	for _, g := range r.groupsOf("latency", "true") {
		rc := g.Variant(referenceVariant)
		var best *Stats
		for _, s := range g.Variants {
			if s.Tool != "remotectl" && (best == nil || s.Wall < best.Wall) {
				best = s
			}
		}
		if rc == nil || best == nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("N=%d: %s s vs %s s (%s)", g.N, seconds(rc.Wall), seconds(best.Wall),
			strings.Trim(displayName(best.Variant, best.Tool), "*")))
		ok = ok && rc.Wall <= best.Wall
	}
	if len(parts) == 0 {
		t.Measured = "no latency run of remotectl and another tool"
		return t
	}
	t.Measured = strings.Join(parts, "; ")
	t.Verdict = verdict(ok)
	return t
}

func (r *Report) checksTarget() TargetResult {
	t := TargetResult{Target: fmt.Sprintf("`remotectl check` ≥ %s× faster than testinfra (same checks, same fleet; `bench/checks.sh`)",
		trimFloat(targetChecksSpeedup))}
	c := r.Checks
	if c == nil {
		t.Measured = "no bench/checks.sh results beside this run's directory"
		return t
	}
	rc, okRC := c.Variants[checksRemotectl]
	ti, okTI := c.Variants[checksTestinfra]
	from := fmt.Sprintf("`%s`", c.Dir)
	if c.Date != "" {
		from += ", " + c.Date
	}
	if !okRC || !okTI || rc.Wall <= 0 {
		t.Measured = "no wall times of both " + checksRemotectl + " and " + checksTestinfra + " in " + from
		return t
	}
	speedup := ti.Wall / rc.Wall
	t.Measured = fmt.Sprintf("%s faster: %s s vs %s s on %d hosts (from %s)",
		ratio(ti.Wall, rc.Wall), seconds(rc.Wall), seconds(ti.Wall), rc.Hosts, from)
	if rc.Failed > 0 || ti.Failed > 0 {
		t.Measured += ": hosts failed, so the tools did not do the same work"
		return t
	}
	t.Verdict = verdict(speedup >= targetChecksSpeedup)
	return t
}

// thousands renders n with comma separators: 100000 → "100,000".
func thousands(n int) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// plural renders "1 run", "3 runs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// trimFloat renders v with as few digits as it needs: 0.5, 200.
func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// duration renders nanoseconds with a unit and three significant digits:
// "412 ns", "38.2 µs", "1.05 s".
func duration(ns float64) string {
	return scaled(ns, []unit{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}, {1, "ns"}})
}

// byteSize renders a byte count with a unit: "512 B", "12.3 KB", "1.05 MB"
// (powers of 1000, as go test's MB/s).
func byteSize(b float64) string {
	return scaled(b, []unit{{1e9, "GB"}, {1e6, "MB"}, {1e3, "KB"}, {1, "B"}})
}

// unit is a unit of measure and its size in the base unit.
type unit struct {
	size float64
	name string
}

// scaled renders v in the first of units (largest first) it reaches, the
// last one otherwise, with three significant digits.
func scaled(v float64, units []unit) string {
	u := units[len(units)-1]
	for _, c := range units {
		if v >= c.size {
			u = c
			break
		}
	}
	return significant(v/u.size) + " " + u.name
}

// significant renders v with three significant digits (at least the whole
// part): 1.05, 38.2, 412, 1234.
func significant(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
