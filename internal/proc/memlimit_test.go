package proc

import (
	"runtime"
	"testing"
)

func TestKeepLimit(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name         string
		live         uint64
		gcShare, cpu float64
		want         bool
	}{
		{"small heap, cheap collections", 30 * mb, 0.05, 2, true},
		{"live heap above half the limit", softMemoryLimit/2 + 1, 0.01, 2, false},
		{"collector eating the CPU", 30 * mb, 0.4, 2, false},
		{"start-up: the share means nothing yet", 30 * mb, 0.6, 0.1, true},
	}
	for _, tt := range tests {
		if got := keepLimit(tt.live, tt.gcShare, tt.cpu); got != tt.want {
			t.Errorf("%s: keepLimit = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestGCStatsReadsTheRuntime(t *testing.T) {
	keep := make([]byte, 1<<20) // something alive at the collection
	runtime.GC()                // the metrics are brought up to date by collections
	live, share, cpu := gcStats()
	runtime.KeepAlive(keep)
	if live == 0 || cpu <= 0 || share < 0 || share > 1 {
		t.Errorf("gcStats = %d live bytes, GC share %v, %v s CPU: the runtime metrics were not read", live, share, cpu)
	}
}
