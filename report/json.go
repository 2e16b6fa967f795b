package report

import (
	"bytes"
	"encoding/json"
	"io"
	"unicode/utf8"

	"github.com/remotectl/remotectl/remote"
)

// jsonHost is one host in JSON. Output is a string when it is valid UTF-8,
// else the exact bytes in base64 under the _base64 name ([]byte marshals to
// base64).
type jsonHost struct {
	Host         string  `json:"host"`
	Status       string  `json:"status"`
	ExitCode     *int    `json:"exit_code"`
	Signal       string  `json:"signal,omitempty"`
	DurationMS   int64   `json:"duration_ms"`
	Stdout       *string `json:"stdout,omitempty"`
	StdoutBase64 []byte  `json:"stdout_base64,omitempty"`
	Stderr       *string `json:"stderr,omitempty"`
	StderrBase64 []byte  `json:"stderr_base64,omitempty"`
	ErrorClass   string  `json:"error_class,omitempty"`
	Error        string  `json:"error,omitempty"`
	Hint         string  `json:"hint,omitempty"`
	NotStarted   bool    `json:"not_started,omitempty"`
}

func newJSONHost(h *HostRecord, withOutput bool) *jsonHost {
	j := &jsonHost{
		Host:       h.Name,
		Status:     h.Status(),
		Signal:     h.Result.Signal,
		DurationMS: h.Duration().Milliseconds(),
		NotStarted: h.NotStarted,
	}
	if h.Err == nil {
		code := h.Result.ExitCode
		j.ExitCode = &code
	} else {
		j.ErrorClass = h.Class.String()
		j.Error = h.Err.Error()
		j.Hint = remote.HintOf(h.Err)
	}
	if withOutput {
		j.Stdout, j.StdoutBase64 = textOrBytes(h.Stdout)
		j.Stderr, j.StderrBase64 = textOrBytes(h.Stderr)
	}
	return j
}

// textOrBytes returns output as a string when it is valid UTF-8, else as
// bytes (for base64).
func textOrBytes(b []byte) (*string, []byte) {
	if utf8.Valid(b) {
		s := string(b)
		return &s, nil
	}
	return nil, b
}

// jsonSummary is the summary in JSON.
type jsonSummary struct {
	Hosts       int   `json:"hosts"`
	OK          int   `json:"ok"`
	Failed      int   `json:"failed"`
	Unreachable int   `json:"unreachable"`
	Timeout     int   `json:"timeout"`
	Cancelled   int   `json:"cancelled"`
	NotStarted  int   `json:"not_started"`
	DurationMS  int64 `json:"duration_ms"`
}

func newJSONSummary(sum *Summary) *jsonSummary {
	return &jsonSummary{
		Hosts:       len(sum.Hosts),
		OK:          sum.OK,
		Failed:      sum.Failed,
		Unreachable: sum.Unreachable,
		Timeout:     sum.TimedOut,
		Cancelled:   sum.Cancelled,
		NotStarted:  sum.NotStarted,
		DurationMS:  sum.Duration.Milliseconds(),
	}
}

// jsonRenderer writes one document at the end.
type jsonRenderer struct{ out io.Writer }

func newJSON(opts Options) *jsonRenderer { return &jsonRenderer{out: opts.Out} }

func (j *jsonRenderer) start(int, *HostRecord) error { return nil }

func (j *jsonRenderer) output(int, *HostRecord, remote.Stream, []byte) error { return nil }

func (j *jsonRenderer) done(int, *HostRecord) error { return nil }

func (j *jsonRenderer) finish(sum *Summary) error {
	doc := struct {
		Hosts   []*jsonHost  `json:"hosts"`
		Summary *jsonSummary `json:"summary"`
	}{Hosts: make([]*jsonHost, len(sum.Hosts)), Summary: newJSONSummary(sum)}
	for i := range sum.Hosts {
		doc.Hosts[i] = newJSONHost(&sum.Hosts[i], true)
	}
	return writeDocument(j.out, doc)
}

// writeDocument writes v as one indented JSON document (the -o json of exec
// and check), without HTML escaping so output such as "<none>" stays readable.
func writeDocument(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// jsonlRenderer writes one object per event, one per line, flushing each.
type jsonlRenderer struct {
	out io.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

func newJSONL(opts Options) *jsonlRenderer {
	j := &jsonlRenderer{out: opts.Out}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	return j
}

type jsonlStart struct {
	Type string `json:"type"`
	Host string `json:"host"`
}

type jsonlOutput struct {
	Type       string  `json:"type"`
	Host       string  `json:"host"`
	Stream     string  `json:"stream"`
	Data       *string `json:"data,omitempty"`
	DataBase64 []byte  `json:"data_base64,omitempty"`
}

type jsonlDone struct {
	Type string `json:"type"`
	*jsonHost
}

type jsonlSummary struct {
	Type string `json:"type"`
	*jsonSummary
}

func (j *jsonlRenderer) start(_ int, h *HostRecord) error {
	return j.write(jsonlStart{Type: "start", Host: h.Name})
}

func (j *jsonlRenderer) output(_ int, h *HostRecord, stream remote.Stream, data []byte) error {
	o := jsonlOutput{Type: "output", Host: h.Name, Stream: stream.String()}
	o.Data, o.DataBase64 = textOrBytes(data)
	return j.write(o)
}

func (j *jsonlRenderer) done(_ int, h *HostRecord) error {
	return j.write(jsonlDone{Type: "done", jsonHost: newJSONHost(h, false)})
}

func (j *jsonlRenderer) finish(sum *Summary) error {
	return j.write(jsonlSummary{Type: "summary", jsonSummary: newJSONSummary(sum)})
}

// write writes v as one line with one Write, and flushes Out when it can.
func (j *jsonlRenderer) write(v any) error {
	j.buf.Reset()
	if err := j.enc.Encode(v); err != nil {
		return err
	}
	if _, err := j.out.Write(j.buf.Bytes()); err != nil {
		return err
	}
	if f, ok := j.out.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}
