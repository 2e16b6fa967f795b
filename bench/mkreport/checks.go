package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// checksDirPrefix names the results directories of bench/checks.sh:
// checks-YYYYMMDD-HHMMSS, so that names sort in the order of the runs.
const checksDirPrefix = "checks-"

// The variants of bench/checks.sh compared by the checks target: both tools
// on every host of the fleet with the same parallelism.
const (
	checksRemotectl = "remotectl"
	checksTestinfra = "testinfra-xdist"
)

// ChecksRun is what the report uses of one run of bench/checks.sh:
// remotectl and testinfra running the same checks on the same fleet.
type ChecksRun struct {
	Dir      string // the results directory, as shown in the report
	Date     string // from its machine.tsv
	Variants map[string]ChecksStats
}

// ChecksStats summarises the runs of one variant of bench/checks.sh.
type ChecksStats struct {
	Hosts  int
	Runs   int
	Wall   float64 // median, seconds
	Failed int     // the most hosts failed in any run
}

// newestChecksDir returns the newest checks-* directory in parent that holds
// a results.tsv, or "" when there is none.
func newestChecksDir(parent string) (string, error) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return "", err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), checksDirPrefix) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for _, name := range slices.Backward(names) {
		dir := filepath.Join(parent, name)
		if _, err := os.Stat(filepath.Join(dir, "results.tsv")); err == nil {
			return dir, nil
		}
	}
	return "", nil
}

// loadChecks reads the results of bench/checks.sh in dir.
func loadChecks(dir string) (*ChecksRun, error) {
	runs, err := readFile(filepath.Join(dir, "results.tsv"), ReadChecksResults)
	if err != nil {
		return nil, err
	}
	machine, err := readFile(filepath.Join(dir, "machine.tsv"), ReadMachine)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return &ChecksRun{Dir: displayDir(dir), Date: machine.Get("date"), Variants: runs}, nil
}

// checksColumns are the columns of bench/checks.sh's results.tsv that the
// report reads; others may come and go.
var checksColumns = []string{"variant", "hosts", "wall_s", "failed"}

// ReadChecksResults parses the results.tsv of bench/checks.sh (a header,
// then one run per line) into each variant's median wall time.
func ReadChecksResults(r io.Reader) (map[string]ChecksStats, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("empty results file: want a header line first")
	}
	header := strings.Split(sc.Text(), "\t")
	col := map[string]int{}
	for _, name := range checksColumns {
		i := slices.Index(header, name)
		if i < 0 {
			return nil, fmt.Errorf("line 1: no %q column in header %q (results from another version of bench/checks.sh?)", name, header)
		}
		col[name] = i
	}
	walls := map[string][]float64{}
	stats := map[string]ChecksStats{}
	for line := 2; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) != len(header) {
			return nil, fmt.Errorf("line %d: %d fields, want %d", line, len(f), len(header))
		}
		hosts, err1 := strconv.Atoi(f[col["hosts"]])
		wall, err2 := strconv.ParseFloat(f[col["wall_s"]], 64)
		failed, err3 := strconv.Atoi(f[col["failed"]])
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("line %d: hosts %q, wall_s %q and failed %q must be numbers", line,
				f[col["hosts"]], f[col["wall_s"]], f[col["failed"]])
		}
		v := f[col["variant"]]
		walls[v] = append(walls[v], wall)
		s := stats[v]
		s.Hosts, s.Runs, s.Failed = hosts, s.Runs+1, max(s.Failed, failed)
		stats[v] = s
	}
	for v, s := range stats {
		s.Wall = Median(walls[v])
		stats[v] = s
	}
	return stats, sc.Err()
}
