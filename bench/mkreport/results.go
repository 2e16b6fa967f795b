package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Run is one measured run of one tool: a line of results.tsv.
type Run struct {
	Scenario  string  // main, maxstartups, latency, sleep, throughput
	N         int     // hosts
	Cmd       string  // label of the remote command: true, uname, sleep5, 1MB
	Variant   string  // remotectl, remotectl-f32, pdsh, ...
	Tool      string  // remotectl, pdsh, pssh, clush, ansible
	Forks     int     // parallelism
	Rep       int     // 1-based repetition
	Wall      float64 // seconds
	User, Sys float64 // client CPU seconds (the tool and its waited-for children)
	MaxRSSKB  float64 // largest resident set of one process of the client tree
	SSHDCPU   float64 // seconds of CPU used by the fleet's sshd and their children
	RelayCPU  float64 // seconds of CPU used by the delay relays
	Failed    int     // hosts that did not run the command successfully
	Exit      int     // the tool's exit status
}

// CPU returns the client's CPU seconds.
func (r Run) CPU() float64 { return r.User + r.Sys }

// resultColumns are the columns of results.tsv, in order.
var resultColumns = []string{
	"scenario", "n", "cmd", "variant", "tool", "forks", "rep", "wall_s", "user_s", "sys_s",
	"maxrss_kb", "sshd_cpu_s", "relay_cpu_s", "failed", "exit",
}

// ReadResults parses results.tsv: a header naming resultColumns, then one run
// per line.
func ReadResults(r io.Reader) ([]Run, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("empty results file: want a header line first")
	}
	if got := strings.Split(sc.Text(), "\t"); !slices.Equal(got, resultColumns) {
		return nil, fmt.Errorf("line 1: header %q, want %q (results from another version of bench/run.sh?)", got, resultColumns)
	}
	var runs []Run
	for line := 2; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		run, err := parseRun(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		runs = append(runs, run)
	}
	return runs, sc.Err()
}

func parseRun(line string) (Run, error) {
	f := strings.Split(line, "\t")
	if len(f) != len(resultColumns) {
		return Run{}, fmt.Errorf("%d fields, want %d", len(f), len(resultColumns))
	}
	p := fieldParser{fields: f}
	run := Run{
		Scenario: f[0],
		N:        p.int(1),
		Cmd:      f[2],
		Variant:  f[3],
		Tool:     f[4],
		Forks:    p.int(5),
		Rep:      p.int(6),
		Wall:     p.float(7),
		User:     p.float(8),
		Sys:      p.float(9),
		MaxRSSKB: p.float(10),
		SSHDCPU:  p.float(11),
		RelayCPU: p.float(12),
		Failed:   p.int(13),
		Exit:     p.int(14),
	}
	return run, p.err
}

// fieldParser converts fields, remembering the first error.
type fieldParser struct {
	fields []string
	err    error
}

func (p *fieldParser) int(i int) int {
	v, err := strconv.Atoi(p.fields[i])
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("%s: %q is not a whole number", resultColumns[i], p.fields[i])
	}
	return v
}

func (p *fieldParser) float(i int) float64 {
	v, err := strconv.ParseFloat(p.fields[i], 64)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("%s: %q is not a number", resultColumns[i], p.fields[i])
	}
	return v
}

// Machine is machine.tsv: "key<TAB>value" lines, kept in file order.
type Machine struct {
	Keys   []string
	Values map[string]string
}

// Get returns the value of key, or "" when absent.
func (m Machine) Get(key string) string { return m.Values[key] }

// ReadMachine parses machine.tsv.
func ReadMachine(r io.Reader) (Machine, error) {
	m := Machine{Values: map[string]string{}}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		k, v, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			return m, fmt.Errorf("line %d: want KEY<TAB>VALUE, got %q", line, sc.Text())
		}
		if _, dup := m.Values[k]; !dup {
			m.Keys = append(m.Keys, k)
		}
		m.Values[k] = v
	}
	return m, sc.Err()
}
