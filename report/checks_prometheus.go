package report

import (
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/remotectl/remotectl/checks"
)

// Metric names of the prometheus format.
const (
	metricCheckSuccess  = "remotectl_check_success"
	metricCheckError    = "remotectl_check_error"
	metricCheckDuration = "remotectl_check_duration_seconds"
	metricCheckResults  = "remotectl_check_results"
	metricHostUp        = "remotectl_host_up"
	metricLastRun       = "remotectl_check_last_run_timestamp_seconds"
)

// metricHelp is the HELP text of each metric; every metric is a gauge.
var metricHelp = map[string]string{
	metricCheckSuccess:  "Whether a check property passed (1) or failed (0); absent when it was skipped or could not be evaluated.",
	metricCheckError:    "A check property that could not be evaluated (1).",
	metricCheckDuration: "How long evaluating a check property took, in seconds.",
	metricCheckResults:  "Check properties of a host by status (pass, fail, skip, error).",
	metricHostUp:        "Whether the host's checks could run (1): it was reached, or needed no connection.",
	metricLastRun:       "When the check run ended, in seconds since the Unix epoch.",
}

// checkPrometheus writes the Prometheus text exposition format, as the
// node_exporter textfile collector reads it: a HELP and a TYPE line per
// metric, metrics sorted by name, series by labels, label values escaped,
// no timestamps. Series are unique: when two checks share a type, id and
// property on a host, the later ones get the check's position appended to
// their check label.
type checkPrometheus struct{ out io.Writer }

func (p *checkPrometheus) host(*CheckHost) error { return nil }

func (p *checkPrometheus) finish(s *CheckSummary) error {
	m := metricSet{}
	for i := range s.Hosts {
		p.addHost(m, &s.Hosts[i])
	}
	if !s.End.IsZero() {
		m.add(metricLastRun, "", float64(s.End.UnixNano())/1e9)
	}
	_, err := io.WriteString(p.out, m.String())
	return err
}

func (p *checkPrometheus) addHost(m metricSet, h *CheckHost) {
	host := `host="` + escapeLabel(h.Name) + `"`
	up := 0.0
	if h.Err == nil {
		up = 1
	}
	m.add(metricHostUp, host, up)
	for _, c := range []struct {
		status checks.Status
		n      int
	}{
		{checks.Pass, h.Counts.Passed},
		{checks.Fail, h.Counts.Failed},
		{checks.Skip, h.Counts.Skipped},
		{checks.Error, h.Counts.Errors},
	} {
		m.add(metricCheckResults, host+`,status="`+string(c.status)+`"`, float64(c.n))
	}
	seen := make(map[string]bool, len(h.Results))
	for i := range h.Results {
		r := &h.Results[i]
		if r.Status == checks.Skip {
			continue
		}
		labels := resultLabels(r, host, false)
		if seen[labels] {
			labels = resultLabels(r, host, true)
		}
		seen[labels] = true
		switch r.Status {
		case checks.Pass:
			m.add(metricCheckSuccess, labels, 1)
		case checks.Fail:
			m.add(metricCheckSuccess, labels, 0)
		default:
			m.add(metricCheckError, labels, 1)
		}
		m.add(metricCheckDuration, labels, r.Duration.Seconds())
	}
}

// resultLabels returns the labels of a result's series, in name order:
// check="type id" (with " @ file:line:col" when withPos), host, property.
func resultLabels(r *checks.Result, host string, withPos bool) string {
	check := r.Name()
	if withPos {
		check += " @ " + r.Pos
	}
	return `check="` + escapeLabel(check) + `",` + host + `,property="` + escapeLabel(r.Property) + `"`
}

// metricSet holds series by metric name; a series is its rendered labels
// and value.
type metricSet map[string][]string

func (m metricSet) add(name, labels string, value float64) {
	series := name
	if labels != "" {
		series += "{" + labels + "}"
	}
	m[name] = append(m[name], series+" "+strconv.FormatFloat(value, 'f', -1, 64))
}

// String renders the set: metrics by name, series sorted.
func (m metricSet) String() string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		b.WriteString("# HELP " + name + " " + escapeHelp(metricHelp[name]) + "\n")
		b.WriteString("# TYPE " + name + " gauge\n")
		series := m[name]
		slices.Sort(series)
		for _, s := range series {
			b.WriteString(s + "\n")
		}
	}
	return b.String()
}

// escapeLabel escapes a label value: backslash, double quote and line feed,
// after making it valid UTF-8.
func escapeLabel(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}

// escapeHelp escapes HELP text: backslash and line feed.
func escapeHelp(v string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(v)
}
