package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// softMemoryLimit is the soft limit on the Go runtime's memory set while
// the live heap stays small (see tuneMemory).
const softMemoryLimit = 80 << 20

// tuneMemory sets a soft memory limit, unless GOMEMLIMIT sets one.
//
// A fan-out run holds many connections whose live data is small (about
// 30 KB each) but whose garbage, made in bursts by a thousand handshakes at
// once, lets the heap grow to twice the live size under the default pacing
// (GOGC=100): the limit makes the collector run a little earlier near it
// instead, which keeps a run with a thousand sessions open under 100 MB at
// no measurable CPU cost. A run that legitimately keeps much data (grouped
// or JSON output of large outputs) must not be held to it: a collector
// chasing a limit below the live heap would burn CPU for nothing. So the
// limit is lifted for good the first time a collection finds the live heap
// above half of it, and the default pacing applies from then on.
func tuneMemory() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(softMemoryLimit)
	afterEachGC(func() bool {
		if liveHeap() <= softMemoryLimit/2 {
			return true
		}
		debug.SetMemoryLimit(math.MaxInt64)
		return false
	})
}

// liveHeap returns the bytes of heap the last collection found alive.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
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
