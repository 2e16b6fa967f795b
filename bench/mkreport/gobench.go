package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// GoBench is one result line of `go test -bench`:
//
//	BenchmarkSelect100k/group-2   	      63	  18234567 ns/op	 1234 B/op	  12 allocs/op
type GoBench struct {
	Pkg        string             // import path, from the "pkg:" line before it
	Name       string             // without "Benchmark" and the -GOMAXPROCS suffix
	Iterations int                // b.N
	Metrics    map[string]float64 // by unit: ns/op, B/op, allocs/op, MB/s, custom ones
}

// Metric returns the value reported in unit and whether there was one.
func (b GoBench) Metric(unit string) (float64, bool) {
	v, ok := b.Metrics[unit]
	return v, ok
}

// GoBenchOutput is what mkreport keeps of micro.txt, the output of
// `go test -run '^$' -bench ... -benchmem` over several packages.
type GoBenchOutput struct {
	Benchmarks []GoBench
	Failed     []string // packages that did not build or whose benchmarks failed
}

// Find returns the first benchmark whose name is name or starts with name
// followed by a "/" (its sub-benchmarks), and whether there is one.
func (o *GoBenchOutput) Find(name string) (GoBench, bool) {
	for _, b := range o.Benchmarks {
		if b.Name == name || strings.HasPrefix(b.Name, name+"/") {
			return b, true
		}
	}
	return GoBench{}, false
}

// ReadGoBench parses the output of go test -bench. procs is the GOMAXPROCS
// the benchmarks ran with: go test appends "-procs" to every name when it is
// above 1, and that suffix is removed. Lines other than results, package
// headers and failures (logs, "goos:", "PASS", "ok") are skipped.
func ReadGoBench(r io.Reader, procs int) (GoBenchOutput, error) {
	var out GoBenchOutput
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case strings.HasPrefix(text, "pkg: "):
			pkg = strings.TrimSpace(strings.TrimPrefix(text, "pkg: "))
		case strings.HasPrefix(text, "FAIL\t"):
			// "FAIL\tPKG\t1.2s" or "FAIL\tPKG [build failed]"
			failed := strings.Fields(strings.TrimPrefix(text, "FAIL\t"))
			if len(failed) > 0 && !slices.Contains(out.Failed, failed[0]) {
				out.Failed = append(out.Failed, failed[0])
			}
		case strings.HasPrefix(text, "Benchmark") && strings.Contains(text, " ns/op"):
			b, err := parseGoBench(text, procs)
			if err != nil {
				return out, fmt.Errorf("line %d: %w", line, err)
			}
			b.Pkg = pkg
			out.Benchmarks = append(out.Benchmarks, b)
		}
	}
	return out, sc.Err()
}

// parseGoBench parses "BenchmarkName-procs N value unit value unit...".
func parseGoBench(line string, procs int) (GoBench, error) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 {
		return GoBench{}, fmt.Errorf("want NAME ITERATIONS followed by VALUE UNIT pairs, got %q", line)
	}
	iterations, err := strconv.Atoi(f[1])
	if err != nil {
		return GoBench{}, fmt.Errorf("iterations %q of %s is not a whole number", f[1], f[0])
	}
	b := GoBench{Name: benchName(f[0], procs), Iterations: iterations, Metrics: map[string]float64{}}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return GoBench{}, fmt.Errorf("%s: %q (%s) is not a number", f[0], f[i], f[i+1])
		}
		b.Metrics[f[i+1]] = v
	}
	return b, nil
}

// benchName strips the "Benchmark" prefix and the "-procs" suffix.
func benchName(name string, procs int) string {
	name = strings.TrimPrefix(name, "Benchmark")
	if procs > 1 {
		name = strings.TrimSuffix(name, "-"+strconv.Itoa(procs))
	}
	return name
}
