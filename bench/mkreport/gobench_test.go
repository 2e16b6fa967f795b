package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadGoBench(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "run", "micro.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, err := ReadGoBench(f, 2)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range out.Benchmarks {
		names = append(names, b.Name)
	}
	want := []string{"Load100k", "Select100k/all", "Select100k/set-algebra", "Coalesce10k", "Text"}
	if !slices.Equal(names, want) {
		t.Errorf("benchmarks %q, want %q", names, want)
	}
	if !slices.Equal(out.Failed, []string{"github.com/remotectl/remotectl/remote/ssh"}) {
		t.Errorf("failed packages %q, want remote/ssh only", out.Failed)
	}

	load, ok := out.Find("Load100k")
	if !ok || load.Pkg != "github.com/remotectl/remotectl/inventory" || load.Iterations != 3 {
		t.Fatalf("Load100k = %+v, want 3 iterations in inventory", load)
	}
	for unit, want := range map[string]float64{"ns/op": 412345678, "MB/s": 13.67, "B/op": 183500800, "allocs/op": 2300012} {
		if got, ok := load.Metric(unit); !ok || got != want {
			t.Errorf("Load100k %s = %v (%v), want %v", unit, got, ok, want)
		}
	}
	if _, ok := out.Find("Select100k"); !ok {
		t.Error("Find(Select100k) did not find its sub-benchmarks")
	}
	if _, ok := out.Find("Load"); ok {
		t.Error("Find(Load) matched Load100k: want whole names only")
	}
}

func TestBenchName(t *testing.T) {
	for _, tc := range []struct {
		in    string
		procs int
		want  string
	}{
		{"BenchmarkFold10k-2", 2, "Fold10k"},
		{"BenchmarkFold10k/sorted-16", 16, "Fold10k/sorted"},
		{"BenchmarkX/rack-2", 1, "X/rack-2"}, // GOMAXPROCS 1: no suffix to strip
		{"BenchmarkX/n-10-2", 2, "X/n-10"},
	} {
		if got := benchName(tc.in, tc.procs); got != tc.want {
			t.Errorf("benchName(%q, %d) = %q, want %q", tc.in, tc.procs, got, tc.want)
		}
	}
}

func TestReadGoBenchRejectsBadResults(t *testing.T) {
	for name, text := range map[string]string{
		"odd fields":     "BenchmarkA-2 10 5 ns/op 7\n",
		"bad iterations": "BenchmarkA-2 ten 5 ns/op\n",
		"bad value":      "BenchmarkA-2 10 fast ns/op\n",
	} {
		_, err := ReadGoBench(strings.NewReader("pkg: p\n"+text), 2)
		if err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%s: err = %v, want an error naming line 2", name, err)
		}
	}
}

func TestReadChecksResultsRejectsBadInput(t *testing.T) {
	header := "variant\thosts\tforks\trep\twall_s\tfailed\n"
	for name, text := range map[string]string{
		"empty":          "",
		"missing column": "variant\thosts\twall\n",
		"few fields":     header + "remotectl\t200\n",
		"bad wall":       header + "remotectl\t200\t64\t1\tslow\t0\n",
	} {
		if _, err := ReadChecksResults(strings.NewReader(text)); err == nil {
			t.Errorf("%s: ReadChecksResults succeeded, want an error", name)
		}
	}
}

func TestNewestChecksDir(t *testing.T) {
	parent := t.TempDir()
	if dir, err := newestChecksDir(parent); err != nil || dir != "" {
		t.Fatalf("no checks runs: %q, %v; want none", dir, err)
	}
	for _, name := range []string{"checks-20260101-000000", "checks-20260301-000000", "checks-20260401-000000", "20260501-000000"} {
		if err := os.MkdirAll(filepath.Join(parent, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"checks-20260101-000000", "checks-20260301-000000", "20260501-000000"} {
		if err := os.WriteFile(filepath.Join(parent, name, "results.tsv"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// checks-20260401 has no results (the run stopped early); 20260501 is
	// not a checks run.
	dir, err := newestChecksDir(parent)
	if want := filepath.Join(parent, "checks-20260301-000000"); err != nil || dir != want {
		t.Errorf("newestChecksDir = %q, %v; want %q", dir, err, want)
	}
}
