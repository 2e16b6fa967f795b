package main

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
)

// Metrics of an exec run for node_exporter's textfile collector. Every
// series has a run label (see textfileRun) so that several remotectl jobs
// can write textfiles side by side without clashing series.
var execMetricHelp = map[string]string{
	"remotectl_exec_host_success":               "Whether the command succeeded on the host (1: exit 0) or not (0).",
	"remotectl_exec_host_duration_seconds":      "How long the host took, connecting included, in seconds.",
	"remotectl_exec_host_exit_code":             "The command's exit code on the host; absent when the command did not run to completion.",
	"remotectl_exec_hosts":                      "Hosts of the run by status (ok, failed, unreachable, timeout, cancelled).",
	"remotectl_exec_failures":                   "Hosts that did not succeed, by class: the error class, or exit/signal for a command that ran and failed.",
	"remotectl_exec_duration_seconds":           "How long the run took, in seconds.",
	"remotectl_exec_last_run_timestamp_seconds": "When the run ended, in seconds since the Unix epoch.",
}

// failureClasses are the values of the class label of
// remotectl_exec_failures, all always present so alerts can compare to 0.
var failureClasses = func() []string {
	classes := []string{"exit", "signal"}
	for c := remote.ClassDNS; c <= remote.ClassOther; c++ {
		if c != remote.ClassRemoteExit {
			classes = append(classes, c.String())
		}
	}
	return classes
}()

// execMetrics renders the metrics of an exec run in the text exposition
// format: HELP and TYPE lines, metrics by name, series sorted.
func execMetrics(sum *report.Summary, run string, end time.Time) string {
	m := promSet{help: execMetricHelp}
	base := `run="` + promEscape(run) + `"`
	failures := make(map[string]int, len(failureClasses))
	for i := range sum.Hosts {
		h := &sum.Hosts[i]
		labels := `host="` + promEscape(h.Name) + `",` + base
		success := 0.0
		if h.Status() == report.StatusOK {
			success = 1
		}
		m.add("remotectl_exec_host_success", labels, success)
		m.add("remotectl_exec_host_duration_seconds", labels, h.Duration().Seconds())
		if h.Err == nil && h.Result.Signal == "" {
			m.add("remotectl_exec_host_exit_code", labels, float64(h.Result.ExitCode))
		}
		switch {
		case h.Status() == report.StatusOK:
		case h.Err != nil:
			failures[h.Class.String()]++
		case h.Result.Signal != "":
			failures["signal"]++
		default:
			failures["exit"]++
		}
	}
	for _, c := range failureClasses {
		m.add("remotectl_exec_failures", `class="`+c+`",`+base, float64(failures[c]))
	}
	for _, s := range []struct {
		status string
		n      int
	}{
		{report.StatusOK, sum.OK}, {report.StatusFailed, sum.Failed}, {report.StatusUnreachable, sum.Unreachable},
		{report.StatusTimeout, sum.TimedOut}, {report.StatusCancelled, sum.Cancelled},
	} {
		m.add("remotectl_exec_hosts", base+`,status="`+s.status+`"`, float64(s.n))
	}
	m.add("remotectl_exec_duration_seconds", base, sum.Duration.Seconds())
	m.add("remotectl_exec_last_run_timestamp_seconds", base, float64(end.UnixNano())/1e9)
	return m.String()
}

// promSet holds series by metric name; every metric is a gauge.
type promSet struct {
	help   map[string]string
	series map[string][]string
}

func (m *promSet) add(name, labels string, v float64) {
	if m.series == nil {
		m.series = make(map[string][]string)
	}
	m.series[name] = append(m.series[name], name+"{"+labels+"} "+strconv.FormatFloat(v, 'f', -1, 64))
}

func (m *promSet) String() string {
	names := make([]string, 0, len(m.series))
	for name := range m.series {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		b.WriteString("# HELP " + name + " " + m.help[name] + "\n# TYPE " + name + " gauge\n")
		series := m.series[name]
		slices.Sort(series)
		for _, s := range series {
			b.WriteString(s + "\n")
		}
	}
	return b.String()
}

// promEscape escapes a label value: backslash, double quote, line feed.
func promEscape(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}

// textfileRun names a run in its metrics: the textfile's name without
// ".prom" ("/var/lib/node_exporter/backup-check.prom": "backup-check").
func textfileRun(path string) string {
	return strings.TrimSuffix(filepath.Base(path), ".prom")
}

// withLabel adds name="value" to every series of a text exposition.
func withLabel(text, name, value string) string {
	label := name + `="` + promEscape(value) + `"`
	lines := strings.SplitAfter(text, "\n")
	for i, line := range lines {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.IndexByte(line, ' ')
		brace := strings.IndexByte(line, '{')
		if brace >= 0 && (sp < 0 || brace < sp) {
			lines[i] = line[:brace+1] + label + "," + line[brace+1:]
		} else if sp >= 0 {
			lines[i] = line[:sp] + "{" + label + "}" + line[sp:]
		}
	}
	return strings.Join(lines, "")
}
