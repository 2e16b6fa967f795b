package proc

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// StartProfiles starts the profiles named by the environment, for the people
// who tune remotectl (docs/BENCHMARKS.md says how they are used):
//
//	REMOTECTL_CPUPROFILE=FILE   CPU profile of the whole run
//	REMOTECTL_MEMPROFILE=FILE   heap profile (in-use and allocations) at the end
//
// The returned function writes and closes them; it is safe to call when no
// profile was asked for.
func StartProfiles() (stop func()) {
	var stops []func()
	if path := os.Getenv("REMOTECTL_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "remotectl: REMOTECTL_CPUPROFILE: %v\n", err)
		} else {
			stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if path := os.Getenv("REMOTECTL_MEMPROFILE"); path != "" {
		stops = append(stops, func() {
			f, err := os.Create(path)
			if err == nil {
				runtime.GC()
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "remotectl: REMOTECTL_MEMPROFILE: %v\n", err)
			}
		})
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}
