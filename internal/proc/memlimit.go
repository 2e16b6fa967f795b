package proc

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// softMemoryLimit is the soft limit on the Go runtime's memory set while
// collecting to it stays cheap (see TuneMemory).
const softMemoryLimit = 88 << 20

// fanOutGCPercent is the GOGC used while the limit holds.
const fanOutGCPercent = 50

// maxGCShare is the share of the process's CPU time the collector may take
// before the limit is lifted, once the process has used minCPUForShare
// (before that, start-up's few collections make the share meaningless).
const (
	maxGCShare     = 0.25
	minCPUForShare = 0.5 // seconds
)

// TuneMemory sets a soft memory limit, unless GOMEMLIMIT sets one.
//
// A fan-out run holds many connections whose live data is small (about
// 30 KB and a handful of goroutine stacks each), but the garbage made in
// bursts by a thousand handshakes at once lets the heap grow to twice its
// live size under the default pacing (GOGC=100). Near the limit the
// collector runs earlier instead, which keeps a run with a thousand
// sessions open under 100 MB rather than at 115. A run whose live data is
// legitimately larger (big ssh_config and known_hosts files, grouped or
// JSON output of large outputs) must not be held to it: a collector
// chasing a limit it cannot reach burns CPU for nothing. So the limit is
// lifted for good the first time a collection finds the live heap above
// half of it, or the collector's share of the CPU used so far above
// maxGCShare; the default pacing applies from then on.
//
// Meanwhile GOGC is 50 rather than 100: since Go 1.18 the heap may grow by
// GOGC% of the live heap *and the goroutine stacks*, and a thousand
// connections' stacks (about 40 MB, none of it garbage) would let as much
// garbage pile up. With a small live heap, collecting twice as often costs
// little. GOGC and GOMEMLIMIT in the environment win.
func TuneMemory() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	ownGC := os.Getenv("GOGC") == ""
	if ownGC {
		debug.SetGCPercent(fanOutGCPercent)
	}
	debug.SetMemoryLimit(softMemoryLimit)
	afterEachGC(func() bool {
		if keepLimit(gcStats()) {
			return true
		}
		debug.SetMemoryLimit(math.MaxInt64)
		if ownGC {
			debug.SetGCPercent(100)
		}
		return false
	})
}

// keepLimit decides, after a collection, whether the soft limit still
// pays: little alive, and the collector not eating the CPU.
func keepLimit(live uint64, gcShare, cpu float64) bool {
	return live <= softMemoryLimit/2 && (gcShare <= maxGCShare || cpu < minCPUForShare)
}

// gcStats returns the bytes of heap the last collection found alive, the
// share of the process's CPU time spent collecting so far and that CPU
// time in seconds.
func gcStats() (live uint64, gcShare, cpu float64) {
	s := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/cpu/classes/gc/total:cpu-seconds"},
		{Name: "/cpu/classes/total:cpu-seconds"},
	}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		live = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindFloat64 && s[2].Value.Kind() == metrics.KindFloat64 {
		if cpu = s[2].Value.Float64(); cpu > 0 {
			gcShare = s[1].Value.Float64() / cpu
		}
	}
	return live, gcShare, cpu
}

// gcSentinel is an object nobody references, whose cleanup thus runs after
// the next garbage collection.
type gcSentinel struct{ _ *int }

// afterEachGC calls f after every garbage collection for as long as f
// returns true.
func afterEachGC(f func() bool) {
	s := &gcSentinel{}
	runtime.AddCleanup(s, func(struct{}) {
		if f() {
			afterEachGC(f)
		}
	}, struct{}{})
}
