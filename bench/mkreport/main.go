// Command mkreport turns the raw numbers of bench/run.sh (results.tsv and
// machine.tsv in one results directory) into docs/BENCHMARKS.md.
//
// Usage:
//
//	go run ./bench/mkreport -in bench/results/latest -out docs/BENCHMARKS.md
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
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
	fs := flag.NewFlagSet("mkreport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "bench/results/latest", "results directory written by bench/run.sh")
	out := fs.String("out", "docs/BENCHMARKS.md", "markdown file to write (- for standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (use -in DIR -out FILE)", fs.Arg(0))
	}
	report, err := load(*in)
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
	return os.WriteFile(*out, buf.Bytes(), 0o644)
}

// load reads a results directory.
func load(dir string) (*Report, error) {
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
	return &Report{Machine: machine, Groups: Summarize(runs), ResultDir: displayDir(resolved)}, nil
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
