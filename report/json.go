package report

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/remotectl/remotectl/remote"
)

// jsonHost is one host in JSON, without its output: jsonl sends output as
// it comes, and the json document streams it (jsonRenderer.writeHost, which
// writes these fields in this order, output after duration_ms).
type jsonHost struct {
	Host       string `json:"host"`
	Status     string `json:"status"`
	ExitCode   *int   `json:"exit_code"`
	Signal     string `json:"signal,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	ErrorClass string `json:"error_class,omitempty"`
	Error      string `json:"error,omitempty"`
	Hint       string `json:"hint,omitempty"`
	NotStarted bool   `json:"not_started,omitempty"`
}

func newJSONHost(h *HostRecord) *jsonHost {
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

// jsonRenderer writes one document, host by host in target order as soon
// as a host and those before it have ended, streaming each output from its
// spool: the document is never whole in memory, nor any output as a string
// or in base64.
type jsonRenderer struct {
	out     *bufio.Writer
	run     RunInfo
	hosts   []HostRecord // the run's
	ended   []bool
	next    int // the first host not written yet
	started bool
	buf     []byte
}

func newJSON(opts Options, hosts []HostRecord) *jsonRenderer {
	return &jsonRenderer{out: bufio.NewWriterSize(opts.Out, 64<<10), run: opts.Run, hosts: hosts, ended: make([]bool, len(hosts))}
}

func (j *jsonRenderer) start(int, *HostRecord) error { return nil }

func (j *jsonRenderer) output(int, *HostRecord, remote.Stream, []byte) error { return nil }

// done writes the hosts that can be written now: host i if every host before
// it is written, and the ended hosts after it.
func (j *jsonRenderer) done(i int, _ *HostRecord) error {
	j.ended[i] = true
	return j.writeHosts()
}

func (j *jsonRenderer) writeHosts() error {
	for j.next < len(j.ended) && j.ended[j.next] {
		h := &j.hosts[j.next]
		err := j.writeHost(h)
		h.out[0].release()
		h.out[1].release()
		if err != nil {
			return err
		}
		j.next++
	}
	return j.out.Flush()
}

// writeHost writes one host's object, as encoding/json would indent it.
func (j *jsonRenderer) writeHost(h *HostRecord) error {
	b := j.buf[:0]
	if !j.started {
		b = append(b, "{\n  \"hosts\": [\n    {"...)
		j.started = true
	} else {
		b = append(b, ",\n    {"...)
	}
	v := newJSONHost(h)
	o := jsonObject{buf: b, indent: "\n      "}
	o.key("host").string(v.Host)
	o.key("status").string(v.Status)
	if v.ExitCode != nil {
		o.key("exit_code").raw(strconv.Itoa(*v.ExitCode))
	} else {
		o.key("exit_code").raw("null")
	}
	o.omitEmpty("signal", v.Signal)
	o.key("duration_ms").raw(strconv.FormatInt(v.DurationMS, 10))
	for k, name := range []string{"stdout", "stderr"} {
		sp := h.out[k]
		if sp.validUTF8() {
			o.key(name)
		} else {
			o.key(name + "_base64")
		}
		if _, err := j.out.Write(o.buf); err != nil {
			return err
		}
		o.buf = o.buf[:0]
		var err error
		if sp.validUTF8() {
			err = copyJSONString(j.out, sp.reader())
		} else {
			err = copyBase64(j.out, sp.reader())
		}
		if err != nil {
			return err
		}
	}
	o.omitEmpty("error_class", v.ErrorClass)
	o.omitEmpty("error", v.Error)
	o.omitEmpty("hint", v.Hint)
	if v.NotStarted {
		o.key("not_started").raw("true")
	}
	o.buf = append(o.buf, "\n    }"...)
	j.buf = o.buf
	_, err := j.out.Write(o.buf)
	return err
}

func (j *jsonRenderer) finish(sum *Summary) error {
	if err := j.writeHosts(); err != nil {
		return err
	}
	if j.started {
		j.out.WriteString("\n  ],\n  \"summary\": ")
	} else {
		j.out.WriteString("{\n  \"hosts\": [],\n  \"summary\": ")
	}
	summary, err := json.MarshalIndent(newJSONSummary(sum), "  ", "  ")
	if err != nil {
		return err
	}
	j.out.Write(summary)
	if j.run.ID != "" {
		run, err := json.MarshalIndent(j.run, "  ", "  ")
		if err != nil {
			return err
		}
		j.out.WriteString(",\n  \"run\": ")
		j.out.Write(run)
	}
	j.out.WriteString("\n}\n")
	return j.out.Flush()
}

// jsonObject appends the members of an indented JSON object.
type jsonObject struct {
	buf    []byte
	indent string
	n      int
}

func (o *jsonObject) key(k string) *jsonObject {
	if o.n > 0 {
		o.buf = append(o.buf, ',')
	}
	o.n++
	o.buf = append(o.buf, o.indent...)
	o.buf = appendJSONString(o.buf, []byte(k))
	o.buf = append(o.buf, ": "...)
	return o
}

func (o *jsonObject) string(s string) { o.buf = appendJSONString(o.buf, []byte(s)) }

func (o *jsonObject) raw(s string) { o.buf = append(o.buf, s...) }

// omitEmpty writes a string member unless it is empty (omitempty).
func (o *jsonObject) omitEmpty(k, s string) {
	if s != "" {
		o.key(k).string(s)
	}
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
	return j.write(jsonlDone{Type: "done", jsonHost: newJSONHost(h)})
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

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes without HTML escaping: invalid UTF-8 becomes U+FFFD.
func appendJSONString(buf, s []byte) []byte {
	buf = append(buf, '"')
	buf = appendJSONChars(buf, s)
	return append(buf, '"')
}

// appendJSONChars appends the characters of a JSON string, without quotes.
func appendJSONChars(buf, s []byte) []byte {
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '"', '\\':
				buf = append(buf, '\\', b)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(buf, s[start:]...)
}

// copyJSONString writes what r reads as one JSON string, a piece at a
// time, never cutting a character.
func copyJSONString(w io.Writer, r io.Reader) error {
	out := []byte{'"'}
	err := readPieces(r, func(piece []byte) error {
		out = appendJSONChars(out, piece)
		_, err := w.Write(out)
		out = out[:0]
		return err
	})
	if err != nil {
		return err
	}
	_, err = w.Write(append(out, '"'))
	return err
}

// copyBase64 writes what r reads as a JSON string of its bytes in standard
// base64, as encoding/json writes a []byte.
func copyBase64(w io.Writer, r io.Reader) error {
	if _, err := io.WriteString(w, `"`); err != nil {
		return err
	}
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if _, err := io.Copy(enc, r); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, `"`)
	return err
}

// pieceSize is how much of a spooled output is read at a time.
const pieceSize = 32 << 10

// readPieces calls f with what r reads, a piece at a time, each ending on a
// UTF-8 character boundary (when the bytes are UTF-8).
func readPieces(r io.Reader, f func(piece []byte) error) error {
	buf := make([]byte, 0, pieceSize+utf8.UTFMax)
	for {
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		last := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !last {
			return err
		}
		cut := len(buf)
		if !last {
			cut = incompleteTail(buf)
		}
		if cut > 0 {
			if err := f(buf[:cut]); err != nil {
				return err
			}
		}
		buf = buf[:copy(buf, buf[cut:])]
		if last {
			return nil
		}
	}
}
