// Command mkreport turns the raw numbers of bench/run.sh (results.tsv,
// machine.tsv and micro.txt in one results directory), with the newest
// summary of bench/checks.sh beside it, into docs/BENCHMARKS.md.
//
// Usage:
//
//	go run ./bench/mkreport -in bench/results/latest -out docs/BENCHMARKS.md [-checks DIR]
//
// The report opens with the performance targets and whether this run meets
// them; -checks names the bench/checks.sh results the checks target reads
// (default: the newest checks-* directory beside -in).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "mkreport: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	flags := flag.NewFlagSet("mkreport", flag.ContinueOnError)
	flags.SetOutput(stderr)
	in := flags.String("in", "bench/results/latest", "results directory written by bench/run.sh")
	out := flags.String("out", "docs/BENCHMARKS.md", "markdown file to write (- for standard output)")
	checks := flags.String("checks", "", "results directory of bench/checks.sh for the checks target (default: the newest checks-* beside -in)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (use -in DIR -out FILE)", flags.Arg(0))
	}
	report, err := load(*in, *checks)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.Render(&buf); err != nil {
		return err
	}
	if *out == "-" {
		_, err := os.Stdout.Write(buf.Bytes())
		return err
	}
	page := buf.Bytes()
	if old, err := os.ReadFile(*out); err == nil {
		page = keepGossSection(page, old)
	}
	return os.WriteFile(*out, page, 0o644)
}

// The section bench/checks-goss.sh writes into the page, between these
// markers; a rewrite of the page keeps it.
const (
	gossBegin = "<!-- bench/checks-goss.sh: begin -->"
	gossEnd   = "<!-- bench/checks-goss.sh: end -->\n"
)

// keepGossSection puts old's goss section, if any, into page, before its
// "Not covered yet" section (or at its end).
func keepGossSection(page, old []byte) []byte {
	start := bytes.Index(old, []byte(gossBegin))
	end := bytes.Index(old, []byte(gossEnd))
	if start < 0 || end < start {
		return page
	}
	block := old[start : end+len(gossEnd)]
	at := bytes.Index(page, []byte("\n## Not covered yet"))
	if at < 0 {
		return append(append(bytes.TrimRight(page, "\n"), "\n\n"...), block...)
	}
	at++
	out := append([]byte{}, page[:at]...)
	out = append(append(out, block...), '\n')
	return append(out, page[at:]...)
}

// load reads a results directory: results.tsv and machine.tsv, micro.txt when
// the micro scenario ran, and the checks run in checksDir ("" for the newest
// checks-* directory beside dir, if any).
func load(dir, checksDir string) (*Report, error) {
	resolved, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("results directory: %w (run bench/run.sh first)", err)
	}
	runs, err := readFile(filepath.Join(resolved, "results.tsv"), ReadResults)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, errors.New(filepath.Join(dir, "results.tsv") + " has no runs: did bench/run.sh stop early?")
	}
	machine, err := readFile(filepath.Join(resolved, "machine.tsv"), ReadMachine)
	if err != nil {
		return nil, err
	}
	report := &Report{Machine: machine, Groups: Summarize(runs), ResultDir: displayDir(resolved)}
	procs := report.cores()
	micro, err := readFile(filepath.Join(resolved, "micro.txt"), func(r io.Reader) (GoBenchOutput, error) {
		return ReadGoBench(r, procs)
	})
	switch {
	case err == nil:
		report.Micro = &micro
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	if checksDir == "" {
		if checksDir, err = newestChecksDir(filepath.Dir(resolved)); err != nil {
			return nil, fmt.Errorf("looking for bench/checks.sh results: %w", err)
		}
	}
	if checksDir != "" {
		if report.Checks, err = loadChecks(checksDir); err != nil {
			return nil, fmt.Errorf("checks results: %w", err)
		}
	}
	return report, nil
}

// readFile opens path and parses it with parse, naming the file in errors.
func readFile[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		return v, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// displayDir shows dir relative to the working directory when it is below it.
func displayDir(dir string) string {
	wd, err := os.Getwd()
	if err != nil {
		return dir
	}
	rel, err := filepath.Rel(wd, dir)
	if err != nil || !filepath.IsLocal(rel) {
		return dir
	}
	return filepath.ToSlash(rel)
}
