package report

import (
	"io"

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

// checkPrometheus writes the metrics of a check run with the one Prometheus
// writer, metricSet. Series are unique: when two checks share a type, id and
// property on a host, the later ones get the check's position appended to
// their check label.
type checkPrometheus struct{ out io.Writer }

func (p *checkPrometheus) host(*CheckHost) error { return nil }

func (p *checkPrometheus) finish(s *CheckSummary) error {
	m := newMetricSet(metricHelp)
	for i := range s.Hosts {
		p.addHost(m, &s.Hosts[i])
	}
	if !s.End.IsZero() {
		m.add(metricLastRun, "", float64(s.End.UnixNano())/1e9)
	}
	_, err := io.WriteString(p.out, m.String())
	return err
}

func (p *checkPrometheus) addHost(m *metricSet, h *CheckHost) {
	host := label("host", h.Name)
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
		m.add(metricCheckResults, host+","+label("status", string(c.status)), float64(c.n))
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
	return label("check", check) + "," + host + "," + label("property", r.Property)
}
