package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// doctorWriter prints diagnoses as text: one line per step marked with its
// status, the fix on the next line. Symbols on a terminal, words otherwise
// (logs, mail from cron, grep).
type doctorWriter struct {
	out     io.Writer
	unicode bool
	verbose bool // print each step's facts
}

var (
	statusSymbols = map[stepStatus]string{
		statusOK: "✓", statusInfo: "i", statusWarn: "!", statusFail: "✗", statusSkip: "-",
	}
	statusWords = map[stepStatus]string{
		statusOK: "ok", statusInfo: "info", statusWarn: "warn", statusFail: "FAIL", statusSkip: "skip",
	}
)

// mark returns the marker of a status, padded to one width.
func (w doctorWriter) mark(s stepStatus) string {
	if w.unicode {
		return statusSymbols[s]
	}
	return fmt.Sprintf("%-4s", statusWords[s])
}

// host prints one host's diagnosis.
func (w doctorWriter) host(d diagnosis) {
	verdict := "healthy"
	if !d.Healthy {
		verdict = "PROBLEM"
	}
	fmt.Fprintf(w.out, "%s (%s): %s\n", d.Host, d.Transport, verdict)
	width := 0
	for _, f := range d.Steps {
		width = max(width, len(f.Step))
	}
	indent := strings.Repeat(" ", 2+utf8.RuneCountInString(w.mark(statusOK))+1+width+2)
	for _, f := range d.Steps {
		fmt.Fprintf(w.out, "  %s %-*s  %s\n", w.mark(f.Status), width, f.Step, f.Summary)
		if f.Fix != "" && f.Status != statusOK && f.Status != statusSkip {
			fmt.Fprintf(w.out, "%sfix: %s\n", indent, f.Fix)
		}
		if w.verbose {
			w.facts(indent, f.Facts)
		}
	}
}

// facts prints a step's observations, sorted by name.
func (w doctorWriter) facts(indent string, facts map[string][]string) {
	names := make([]string, 0, len(facts))
	for k := range facts {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(w.out, "%s%s: %s\n", indent, k, strings.Join(facts[k], ", "))
	}
}

// recap prints the closing line.
func (w doctorWriter) recap(total int, bad []string) {
	if len(bad) == 0 {
		fmt.Fprintf(w.out, "\n%d of %d hosts healthy\n", total, total)
		return
	}
	fmt.Fprintf(w.out, "\n%d of %d hosts healthy; blocking problems on: %s\n", total-len(bad), total, strings.Join(bad, ", "))
}
