package report

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// metricSet is the one Prometheus writer of exec, check and play metrics: it
// holds series by metric name and renders the text exposition format, as
// node_exporter's textfile collector reads it: a HELP and a TYPE line per
// metric (every metric is a gauge), metrics sorted by name, series by
// labels, no timestamps. Label values go through escapeLabel.
type metricSet struct {
	help   map[string]string // HELP text by metric name
	series map[string][]string
}

func newMetricSet(help map[string]string) *metricSet {
	return &metricSet{help: help, series: make(map[string][]string)}
}

// add adds a series; labels are rendered, `a="x",b="y"`, or "" for none.
func (m *metricSet) add(name, labels string, value float64) {
	series := name
	if labels != "" {
		series += "{" + labels + "}"
	}
	m.series[name] = append(m.series[name], series+" "+strconv.FormatFloat(value, 'f', -1, 64))
}

// String renders the set.
func (m *metricSet) String() string {
	names := make([]string, 0, len(m.series))
	for name := range m.series {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		b.WriteString("# HELP " + name + " " + escapeHelp(m.help[name]) + "\n")
		b.WriteString("# TYPE " + name + " gauge\n")
		series := m.series[name]
		slices.Sort(series)
		for _, s := range series {
			b.WriteString(s + "\n")
		}
	}
	return b.String()
}

// label renders name="value" with the value escaped.
func label(name, value string) string {
	return name + `="` + escapeLabel(value) + `"`
}

// escapeLabel escapes a label value as the exposition format wants it:
// backslash, double quote and line feed, after making it valid UTF-8.
// Everything else, non-ASCII and control characters included, stays as it
// is (unlike Go's %q).
func escapeLabel(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}

// escapeHelp escapes HELP text: backslash and line feed.
func escapeHelp(v string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(v)
}

// TextfileRun names a run in its metrics: the name of its textfile without
// ".prom" ("/var/lib/node_exporter/backup-check.prom": "backup-check"). Every
// series of a --prometheus-textfile document has this run label, so that
// several remotectl jobs can write textfiles side by side without clashing
// series.
func TextfileRun(path string) string {
	return strings.TrimSuffix(filepath.Base(path), ".prom")
}

// WithLabel adds name="value" to every series of a text exposition, such as
// the prometheus format of a check run.
func WithLabel(text, name, value string) string {
	l := label(name, value)
	lines := strings.SplitAfter(text, "\n")
	for i, line := range lines {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.IndexByte(line, ' ')
		brace := strings.IndexByte(line, '{')
		if brace >= 0 && (sp < 0 || brace < sp) {
			lines[i] = line[:brace+1] + l + "," + line[brace+1:]
		} else if sp >= 0 {
			lines[i] = line[:sp] + "{" + l + "}" + line[sp:]
		}
	}
	return strings.Join(lines, "")
}

// execMetricHelp is the HELP text of the metrics of an exec run.
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
func failureClasses() []string {
	classes := []string{"exit", "signal"}
	for c := remote.ClassDNS; c <= remote.ClassOther; c++ {
		if c != remote.ClassRemoteExit {
			classes = append(classes, c.String())
		}
	}
	return classes
}

// ExecMetrics renders the metrics of an exec run, every series labelled
// run="run", for node_exporter's textfile collector; end is when the run
// ended.
func ExecMetrics(sum *Summary, run string, end time.Time) string {
	m := newMetricSet(execMetricHelp)
	base := label("run", run)
	classes := failureClasses()
	failures := make(map[string]int, len(classes))
	for i := range sum.Hosts {
		h := &sum.Hosts[i]
		labels := label("host", h.Name) + "," + base
		success := 0.0
		if h.Status() == StatusOK {
			success = 1
		}
		m.add("remotectl_exec_host_success", labels, success)
		m.add("remotectl_exec_host_duration_seconds", labels, h.Duration().Seconds())
		if h.Err == nil && h.Result.Signal == "" {
			m.add("remotectl_exec_host_exit_code", labels, float64(h.Result.ExitCode))
		}
		switch {
		case h.Status() == StatusOK:
		case h.Err != nil:
			failures[h.Class.String()]++
		case h.Result.Signal != "":
			failures["signal"]++
		default:
			failures["exit"]++
		}
	}
	for _, c := range classes {
		m.add("remotectl_exec_failures", label("class", c)+","+base, float64(failures[c]))
	}
	for _, s := range []struct {
		status string
		n      int
	}{
		{StatusOK, sum.OK}, {StatusFailed, sum.Failed}, {StatusUnreachable, sum.Unreachable},
		{StatusTimeout, sum.TimedOut}, {StatusCancelled, sum.Cancelled},
	} {
		m.add("remotectl_exec_hosts", base+","+label("status", s.status), float64(s.n))
	}
	m.add("remotectl_exec_duration_seconds", base, sum.Duration.Seconds())
	m.add("remotectl_exec_last_run_timestamp_seconds", base, float64(end.UnixNano())/1e9)
	return m.String()
}

// playMetricHelp is the HELP text of the metrics of a play run.
var playMetricHelp = map[string]string{
	"remotectl_play_host_success":       "Whether the host went through the playbook without a failure (1) or not (0).",
	"remotectl_play_host_changed_tasks": "Tasks that changed something on the host.",
	"remotectl_play_duration_seconds":   "How long the whole run took.",
}

// PlayMetrics renders the metrics of a play run; when runName is not empty,
// every series is labelled run="runName" (for node_exporter's textfile
// collector).
func PlayMetrics(run *PlayRun, runName string) string {
	m := newMetricSet(playMetricHelp)
	base := ""
	if runName != "" {
		base = label("run", runName)
	}
	for _, s := range run.Recap {
		labels := joinLabels(label("host", s.Host), base)
		success := 0.0
		if s.Status() == StatusOK {
			success = 1
		}
		m.add("remotectl_play_host_success", labels, success)
		m.add("remotectl_play_host_changed_tasks", labels, float64(s.Changed))
	}
	m.add("remotectl_play_duration_seconds", base, run.Duration.Seconds())
	return m.String()
}

// joinLabels joins rendered labels, leaving out empty ones.
func joinLabels(labels ...string) string {
	return strings.Join(slices.DeleteFunc(labels, func(l string) bool { return l == "" }), ",")
}
