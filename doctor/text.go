package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// Format says how Write prints reports.
type Format struct {
	JSON    bool // one JSON document instead of text
	Unicode bool // text: mark steps ✓ i ! ✗ - instead of words
	Verbose bool // text: print each step's facts
}

// Write prints the reports as they come, until the channel is closed: as
// text, host by host, then a recap of the total hosts; or, with f.JSON, as
// one document once all are in. It reports whether every host is healthy.
func Write(out io.Writer, reports <-chan Report, total int, f Format) (healthy bool, err error) {
	healthy = true
	if f.JSON {
		var all []Report
		for r := range reports {
			all = append(all, r)
			healthy = healthy && r.Healthy
		}
		return healthy, writeJSON(out, all)
	}
	w := text{out: out, unicode: f.Unicode, verbose: f.Verbose}
	var bad []string
	for r := range reports {
		w.host(r)
		if !r.Healthy {
			healthy = false
			bad = append(bad, r.Host)
		}
	}
	w.recap(total, bad)
	return healthy, nil
}

// text prints reports as text: one line per step marked with its status,
// the fix on the next line. Symbols on a terminal, words otherwise (logs,
// mail from cron, grep).
type text struct {
	out     io.Writer
	unicode bool
	verbose bool
}

// mark returns the marker of a status, padded to one width.
func (w text) mark(s Status) string {
	if w.unicode {
		return map[Status]string{OK: "✓", Info: "i", Warn: "!", Fail: "✗", Skip: "-"}[s]
	}
	return fmt.Sprintf("%-4s", map[Status]string{OK: "ok", Info: "info", Warn: "warn", Fail: "FAIL", Skip: "skip"}[s])
}

// host prints one host's report.
func (w text) host(r Report) {
	verdict := "healthy"
	if !r.Healthy {
		verdict = "PROBLEM"
	}
	fmt.Fprintf(w.out, "%s (%s): %s\n", r.Host, r.Transport, verdict)
	width := 0
	for _, f := range r.Steps {
		width = max(width, len(f.Step))
	}
	indent := strings.Repeat(" ", 2+utf8.RuneCountInString(w.mark(OK))+1+width+2)
	for _, f := range r.Steps {
		fmt.Fprintf(w.out, "  %s %-*s  %s\n", w.mark(f.Status), width, f.Step, f.Summary)
		if f.Fix != "" && f.Status != OK && f.Status != Skip {
			fmt.Fprintf(w.out, "%sfix: %s\n", indent, f.Fix)
		}
		if w.verbose {
			w.facts(indent, f.Facts)
		}
	}
}

// facts prints a step's observations, sorted by name.
func (w text) facts(indent string, facts map[string][]string) {
	names := make([]string, 0, len(facts))
	for k := range facts {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(w.out, "%s%s: %s\n", indent, k, strings.Join(facts[k], ", "))
	}
}

// recap prints the closing line: how many of total hosts are healthy, and
// the names of those that are not.
func (w text) recap(total int, bad []string) {
	if len(bad) == 0 {
		fmt.Fprintf(w.out, "\n%d of %d hosts healthy\n", total, total)
		return
	}
	fmt.Fprintf(w.out, "\n%d of %d hosts healthy; blocking problems on: %s\n", total-len(bad), total, strings.Join(bad, ", "))
}

// writeJSON prints the reports as one indented JSON document: an array,
// or null when there are none.
func writeJSON(w io.Writer, reports []Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(reports)
}
