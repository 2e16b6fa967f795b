package report

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/remote"
)

// jsonCheckCounts are results by status, keyed by the status names.
type jsonCheckCounts struct {
	Pass  int `json:"pass"`
	Fail  int `json:"fail"`
	Skip  int `json:"skip"`
	Error int `json:"error"`
}

func newJSONCheckCounts(c CheckCounts) jsonCheckCounts {
	return jsonCheckCounts{Pass: c.Passed, Fail: c.Failed, Skip: c.Skipped, Error: c.Errors}
}

// jsonCheckHost is one host of a check run in JSON.
type jsonCheckHost struct {
	Host       string          `json:"host"`
	Status     string          `json:"status"`
	DurationMS int64           `json:"duration_ms"`
	Counts     jsonCheckCounts `json:"counts"`
	ErrorClass string          `json:"error_class,omitempty"`
	Error      string          `json:"error,omitempty"`
	Hint       string          `json:"hint,omitempty"`
	NotStarted bool            `json:"not_started,omitempty"`
	Results    []checks.Result `json:"results,omitempty"`
}

func newJSONCheckHost(h *CheckHost, withResults bool) *jsonCheckHost {
	j := &jsonCheckHost{
		Host:       h.Name,
		Status:     h.Status(),
		DurationMS: h.Duration().Milliseconds(),
		Counts:     newJSONCheckCounts(h.Counts),
		NotStarted: h.NotStarted,
	}
	if h.Err != nil {
		j.ErrorClass = h.Class.String()
		j.Error = h.Err.Error()
		j.Hint = remote.HintOf(h.Err)
	}
	if withResults {
		j.Results = h.Results
		if j.Results == nil && h.Err == nil {
			j.Results = []checks.Result{}
		}
	}
	return j
}

// jsonCheckHosts counts hosts by status.
type jsonCheckHosts struct {
	Total       int `json:"total"`
	OK          int `json:"ok"`
	Failed      int `json:"failed"`
	Error       int `json:"error"`
	Unreachable int `json:"unreachable"`
	Timeout     int `json:"timeout"`
	Cancelled   int `json:"cancelled"`
	NotStarted  int `json:"not_started"`
}

// jsonCheckSummary is the summary of a check run in JSON.
type jsonCheckSummary struct {
	Hosts      jsonCheckHosts  `json:"hosts"`
	Results    jsonCheckCounts `json:"results"`
	DurationMS int64           `json:"duration_ms"`
}

func newJSONCheckSummary(s *CheckSummary) *jsonCheckSummary {
	return &jsonCheckSummary{
		Hosts: jsonCheckHosts{
			Total:       len(s.Hosts),
			OK:          s.HostsOK,
			Failed:      s.HostsFailed,
			Error:       s.HostsError,
			Unreachable: s.HostsUnreachable,
			Timeout:     s.HostsTimedOut,
			Cancelled:   s.HostsCancelled,
			NotStarted:  s.NotStarted,
		},
		Results:    newJSONCheckCounts(s.CheckCounts),
		DurationMS: s.Duration.Milliseconds(),
	}
}

// checkJSON writes one document at the end.
type checkJSON struct {
	out io.Writer
	run RunInfo
}

func (j *checkJSON) host(*CheckHost) error { return nil }

func (j *checkJSON) finish(s *CheckSummary) error {
	doc := struct {
		Hosts   []*jsonCheckHost  `json:"hosts"`
		Summary *jsonCheckSummary `json:"summary"`
		Run     *RunInfo          `json:"run,omitempty"`
	}{Hosts: make([]*jsonCheckHost, len(s.Hosts)), Summary: newJSONCheckSummary(s)}
	if j.run.ID != "" {
		doc.Run = &j.run
	}
	for i := range s.Hosts {
		doc.Hosts[i] = newJSONCheckHost(&s.Hosts[i], true)
	}
	return writeDocument(j.out, doc)
}

// checkJSONL writes a line per result and one per host as each host
// finishes, and a summary line at the end; each write is one line.
type checkJSONL struct {
	out io.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

func newCheckJSONL(out io.Writer) *checkJSONL {
	j := &checkJSONL{out: out}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	return j
}

// jsonlCheckResult wraps a result: its own "type" is the check's type.
type jsonlCheckResult struct {
	Type   string         `json:"type"`
	Result *checks.Result `json:"result"`
}

type jsonlCheckHost struct {
	Type string `json:"type"`
	*jsonCheckHost
}

type jsonlCheckSummary struct {
	Type string `json:"type"`
	*jsonCheckSummary
}

func (j *checkJSONL) host(h *CheckHost) error {
	j.buf.Reset()
	for i := range h.Results {
		if err := j.enc.Encode(jsonlCheckResult{Type: "result", Result: &h.Results[i]}); err != nil {
			return err
		}
	}
	if err := j.enc.Encode(jsonlCheckHost{Type: "host", jsonCheckHost: newJSONCheckHost(h, false)}); err != nil {
		return err
	}
	return j.flush()
}

func (j *checkJSONL) finish(s *CheckSummary) error {
	j.buf.Reset()
	if err := j.enc.Encode(jsonlCheckSummary{Type: "summary", jsonCheckSummary: newJSONCheckSummary(s)}); err != nil {
		return err
	}
	return j.flush()
}

// flush writes the buffered lines with one Write, and flushes Out when it
// can.
func (j *checkJSONL) flush() error {
	if _, err := j.out.Write(j.buf.Bytes()); err != nil {
		return err
	}
	if f, ok := j.out.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}
