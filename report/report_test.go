package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/remote"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// script builds the events of a run by hand, with times in milliseconds
// after a fixed instant.
type script struct {
	targets []remote.Target
	events  []remote.Event
}

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newScript(names ...string) *script {
	s := &script{targets: make([]remote.Target, len(names))}
	for i, n := range names {
		s.targets[i] = remote.Target{Name: n}
	}
	return s
}

func (s *script) add(ev remote.Event, i, ms int) *script {
	ev.Index, ev.Target, ev.Time = i, &s.targets[i], t0.Add(time.Duration(ms)*time.Millisecond)
	s.events = append(s.events, ev)
	return s
}

func (s *script) start(i, ms int) *script {
	return s.add(remote.Event{Kind: remote.EventStart}, i, ms)
}

func (s *script) out(i, ms int, data string) *script {
	return s.add(remote.Event{Kind: remote.EventOutput, Stream: remote.Stdout, Data: []byte(data)}, i, ms)
}

func (s *script) errOut(i, ms int, data string) *script {
	return s.add(remote.Event{Kind: remote.EventOutput, Stream: remote.Stderr, Data: []byte(data)}, i, ms)
}

func (s *script) done(i, ms int, res remote.Result, err error) *script {
	return s.add(remote.Event{Kind: remote.EventDone, Result: res, Err: err}, i, ms)
}

// channel returns the events on a closed channel, as a finished run leaves them.
func (s *script) channel() <-chan remote.Event {
	ch := make(chan remote.Event, len(s.events))
	for _, ev := range s.events {
		ch <- ev
	}
	close(ch)
	return ch
}

// render renders the script and returns what went to Out and Err.
func (s *script) render(t *testing.T, opts Options) (sum *Summary, out, errOut string) {
	t.Helper()
	var o, e bytes.Buffer
	opts.Out, opts.Err = &o, &e
	sum, err := Render(s.channel(), s.targets, opts)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return sum, o.String(), e.String()
}

// fleet is a run with a bit of everything: interleaved output, stderr,
// non-UTF-8 bytes, a non-zero exit, a signal, failures of several classes,
// a timeout after partial output, a cancelled host and hosts never started.
// Names need no folding, so the golden files do not depend on nodeset.
func fleet() *script {
	refused := &remote.Error{Class: remote.ClassRefused, Op: "dial", Err: errors.New("dial tcp 192.0.2.3:22: connect: connection refused"), Hint: "check that sshd runs on the host and the port is right"}
	refused2 := &remote.Error{Class: remote.ClassRefused, Op: "dial", Err: errors.New("dial tcp 192.0.2.9:22: connect: connection refused"), Hint: refused.Hint}
	auth := remote.Errorf(remote.ClassAuth, "auth", "ssh: unable to authenticate, attempted methods [none publickey]\nsecond line")
	timeout := &remote.Error{Class: remote.ClassTimeout, Op: "run", Err: errors.New("no result within 2s"), Hint: "the per-host timeout is 2s: raise it if the host needs longer"}
	cancelled := &remote.Error{Class: remote.ClassCancelled, Op: "run", Err: errors.New("interrupted")}
	notStarted := &remote.Error{Class: remote.ClassCancelled, Op: remote.OpStart, Err: errors.New("not started: the run was interrupted first")}
	s := newScript("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo-long-name")
	return s.
		start(0, 0).start(1, 0).start(2, 0).start(3, 0).
		out(0, 10, "hello\n").
		out(1, 11, "\xff\xfe binary\n").
		out(0, 12, "world\n").
		errOut(1, 13, "something failed\n").
		errOut(0, 14, "warning: disk 91% full\n").
		done(0, 120, remote.Result{}, nil).
		done(1, 130, remote.Result{ExitCode: 1}, nil).
		done(2, 140, remote.Result{}, refused).
		start(4, 150).
		out(3, 160, "step 1\nstep 2\n").
		out(4, 170, "hello\nworld\n").
		errOut(4, 171, "warning: disk 91% full\n").
		done(4, 200, remote.Result{}, nil).
		start(5, 210).
		done(5, 260, remote.Result{ExitCode: -1, Signal: "KILL"}, nil).
		start(8, 270).
		done(8, 300, remote.Result{}, refused2).
		start(9, 310).
		done(9, 330, remote.Result{}, auth).
		out(3, 1990, "step 3 without newline").
		done(3, 2000, remote.Result{}, timeout).
		start(6, 2010).
		errOut(6, 2020, "partial").
		done(6, 2030, remote.Result{}, cancelled).
		done(7, 2031, remote.Result{}, notStarted).
		done(10, 2031, remote.Result{}, notStarted)
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"text", Options{}},
		{"text_color", Options{Color: true}},
		{"text_quiet", Options{Format: FormatText, Quiet: true}},
		{"text_verbose", Options{Verbose: true}},
		{"grouped", Options{Format: FormatGrouped}},
		{"grouped_quiet", Options{Format: FormatGrouped, Quiet: true}},
		{"coalesce", Options{Format: FormatCoalesce}},
		{"json", Options{Format: FormatJSON}},
		{"jsonl", Options{Format: FormatJSONL}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, out, errOut := fleet().render(t, tt.opts)
			golden(t, tt.name, "-- stdout --\n"+out+"-- stderr --\n"+errOut)
		})
	}
}

// golden compares got with testdata/<name>.golden, or rewrites the file
// with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

func TestSummaryCounts(t *testing.T) {
	sum, _, _ := fleet().render(t, Options{})
	got := [...]int{sum.OK, sum.Failed, sum.Unreachable, sum.TimedOut, sum.Cancelled, sum.NotStarted}
	want := [...]int{2, 2, 3, 1, 3, 2} // ok, failed, unreachable, timeout, cancelled, not started
	if got != want || len(sum.Hosts) != 11 {
		t.Errorf("counts ok/failed/unreachable/timeout/cancelled/not-started = %v over %d hosts; want %v over 11", got, len(sum.Hosts), want)
	}
	if sum.Duration != 2031*time.Millisecond {
		t.Errorf("duration = %s; want 2.031s, first event to last", sum.Duration)
	}
	alpha, hotel := sum.Hosts[0], sum.Hosts[7]
	if alpha.Name != "alpha" || alpha.Duration() != 120*time.Millisecond || alpha.NotStarted {
		t.Errorf("alpha = %+v; want a host that ran for 120ms", alpha)
	}
	if !hotel.NotStarted || hotel.Class != remote.ClassCancelled || hotel.Status() != StatusCancelled {
		t.Errorf("hotel = %+v; want a cancelled host that never started", hotel)
	}
}

// TestOutputSpooled renders every format keeping output in memory and
// with no memory at all (every output in a temporary file): the results are
// the same, and no spool or file is left once Render returns.
func TestOutputSpooled(t *testing.T) {
	for _, format := range FormatNames(ExecFormats()) {
		t.Run(format, func(t *testing.T) {
			_, wantOut, wantErr := fleet().render(t, Options{Format: format})
			dir := t.TempDir()
			s := fleet()
			var o, e bytes.Buffer
			sum, err := Render(s.channel(), s.targets, Options{Format: format, Out: &o, Err: &e, spoolLimit: 1, spoolDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if o.String() != wantOut || e.String() != wantErr {
				t.Errorf("output with spool files differs:\n%s%s\nwant:\n%s%s", o.String(), e.String(), wantOut, wantErr)
			}
			for i := range sum.Hosts {
				for k, sp := range sum.Hosts[i].out {
					if sp != nil && (sp.onDisk != nil || sp.mem != nil) {
						t.Errorf("host %d stream %d: spool still holds its output", i, k)
					}
				}
			}
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

func TestRecapFoldsHostNames(t *testing.T) {
	names := []string{"web01", "web02", "web03", "web07", "db1", "db2"}
	s := newScript(names...)
	for i := range names {
		s.start(i, 0)
		if strings.HasPrefix(names[i], "web") {
			s.done(i, 10, remote.Result{ExitCode: 1}, nil)
		} else {
			s.done(i, 10, remote.Result{}, remote.Errorf(remote.ClassRefused, "dial", "connection refused"))
		}
	}
	_, _, errOut := s.render(t, Options{})
	for _, want := range []string{
		"exit 1: " + nodeset.Fold(names[:4]) + "\n",
		"refused: " + nodeset.Fold(names[4:]) + "\n",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("recap lacks %q:\n%s", want, errOut)
		}
	}
}

func TestJSONKeepsBytes(t *testing.T) {
	binary := "\x00\xff\xfe\x80 text \xc3\x28\n"
	s := newScript("h").start(0, 0).out(0, 1, binary).errOut(0, 2, "plain ✓\n").done(0, 3, remote.Result{}, nil)
	_, out, _ := s.render(t, Options{Format: FormatJSON})
	var doc struct {
		Hosts []struct {
			Stdout       *string `json:"stdout"`
			StdoutBase64 []byte  `json:"stdout_base64"`
			Stderr       *string `json:"stderr"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	h := doc.Hosts[0]
	if h.Stdout != nil || string(h.StdoutBase64) != binary {
		t.Errorf("stdout = %v, base64 %q; want only stdout_base64 with the exact bytes", h.Stdout, h.StdoutBase64)
	}
	if h.Stderr == nil || *h.Stderr != "plain ✓\n" {
		t.Errorf("stderr = %v; want the UTF-8 text as a string", h.Stderr)
	}
}

func TestJSONLReassemblesOutput(t *testing.T) {
	s := newScript("h").start(0, 0).out(0, 1, "a\xff\n").out(0, 2, "b\n").out(0, 3, "c").done(0, 4, remote.Result{ExitCode: 2}, nil)
	_, out, _ := s.render(t, Options{Format: FormatJSONL})
	var got []byte
	var types []string
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var obj struct {
			Type       string  `json:"type"`
			Data       *string `json:"data"`
			DataBase64 []byte  `json:"data_base64"`
			ExitCode   *int    `json:"exit_code"`
		}
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		types = append(types, obj.Type)
		if obj.Data != nil {
			got = append(got, *obj.Data...)
		}
		got = append(got, obj.DataBase64...)
		if obj.Type == "done" && (obj.ExitCode == nil || *obj.ExitCode != 2) {
			t.Errorf("done line %q lacks exit_code 2", line)
		}
	}
	if string(got) != "a\xff\nb\nc" {
		t.Errorf("output reassembled from data and data_base64 = %q; want the exact bytes", got)
	}
	if strings.Join(types, ",") != "start,output,output,output,done,summary" {
		t.Errorf("line types = %v", types)
	}
}

// flushRecorder counts flushes and the writes between them.
type flushRecorder struct {
	bytes.Buffer
	unflushed, flushes int
}

func (f *flushRecorder) Write(p []byte) (int, error) {
	f.unflushed++
	return f.Buffer.Write(p)
}

func (f *flushRecorder) Flush() error {
	if f.unflushed != 1 {
		return fmt.Errorf("%d writes before a flush; want one line each", f.unflushed)
	}
	f.unflushed = 0
	f.flushes++
	return nil
}

func TestJSONLFlushesEachLine(t *testing.T) {
	out := &flushRecorder{}
	s := fleet()
	if _, err := Render(s.channel(), s.targets, Options{Format: FormatJSONL, Out: out, Err: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(out.String(), "\n"); out.flushes != lines || lines == 0 {
		t.Errorf("%d flushes for %d lines; want one per line", out.flushes, lines)
	}
}

func TestOutDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	s := fleet()
	s.targets[4].Name = "../evil/name"
	_, _, _ = s.render(t, Options{OutDir: dir, Quiet: true})

	read := func(host, file string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, host, file))
		if err != nil {
			t.Errorf("%v", err)
		}
		return string(b)
	}
	checks := []struct{ host, file, want string }{
		{"alpha", "stdout", "hello\nworld\n"},
		{"alpha", "stderr", "warning: disk 91% full\n"},
		{"alpha", "exit", "0\n"},
		{"bravo", "stdout", "\xff\xfe binary\n"},
		{"bravo", "exit", "1\n"},
		{"charlie", "exit", "refused\n"},
		{"charlie", "error", "refused: dial: dial tcp 192.0.2.3:22: connect: connection refused\nhint: check that sshd runs on the host and the port is right\n"},
		{"delta", "stdout", "step 1\nstep 2\nstep 3 without newline"},
		{"delta", "exit", "timeout\n"},
		{"foxtrot", "exit", "signal KILL\n"},
		{"hotel", "exit", "not started\n"},
		{"hotel", "stdout", ""},
		{".._evil_name", "stdout", "hello\nworld\n"},
	}
	for _, c := range checks {
		if got := read(c.host, c.file); got != c.want {
			t.Errorf("%s/%s = %q; want %q", c.host, c.file, got, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "alpha", "error")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("alpha/error exists (%v); want it only for hosts that ended with an error", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != len(s.targets) {
		t.Errorf("%d entries in the output directory (%v); want one per host", len(entries), err)
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"web01.example.com": "web01.example.com",
		"":                  "_",
		".":                 "_",
		"..":                "__",
		"../../etc":         ".._.._etc",
		`a\b:c*d?e"f<g>h|i`: "a_b_c_d_e_f_g_h_i",
		"tab\there\x00":     "tab_here_",
		"::1":               "__1",
		"héllo":             "héllo",
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q; want %q", in, got, want)
		}
	}
	o := newOutDir(t.TempDir())
	got := []string{o.dirName("a/b"), o.dirName("a_b"), o.dirName("A_B"), o.dirName("a/b")}
	want := []string{"a_b", "a_b~2", "A_B~3", "a_b~4"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("directory names = %q; want %q: each host its own directory", got, want)
	}
}

func TestOutDirFailureStopsOnlyItself(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := fleet()
	var out bytes.Buffer
	sum, err := Render(s.channel(), s.targets, Options{OutDir: file, Out: &out, Err: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "output directory") {
		t.Errorf("err = %v; want the output directory's failure", err)
	}
	if sum == nil || len(sum.Hosts) != len(s.targets) || !strings.Contains(out.String(), "alpha") {
		t.Errorf("summary %v, output %q; want the run still rendered", sum, out.String())
	}
}

// failingWriter fails every write.
type failingWriter struct{ writes int }

func (f *failingWriter) Write([]byte) (int, error) {
	f.writes++
	return 0, errors.New("broken pipe")
}

func TestRenderDrainsEventsWhenOutputFails(t *testing.T) {
	s := fleet()
	ch := s.channel()
	out := &failingWriter{}
	sum, err := Render(ch, s.targets, Options{Out: out, Err: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("err = %v; want the write error", err)
	}
	if out.writes != 1 {
		t.Errorf("%d writes; want rendering to stop after the first failure", out.writes)
	}
	if len(ch) != 0 || sum == nil || sum.OK != 2 {
		t.Errorf("%d events left, summary %+v; want every event read and counted", len(ch), sum)
	}
}

func TestRenderRejectsBadOptions(t *testing.T) {
	s := fleet()
	ch := s.channel()
	_, err := Render(ch, s.targets, Options{Format: "yaml", Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), `"yaml"`) || !strings.Contains(err.Error(), "jsonl") {
		t.Errorf("err = %v; want an error naming the format and the choices", err)
	}
	if len(ch) != 0 {
		t.Errorf("%d events left unread; Render must drain the channel", len(ch))
	}
	if err := (Options{}).Validate(); err == nil {
		t.Error("Validate accepted options without writers")
	}
}

func TestRenderCompletesHostsWithoutDone(t *testing.T) {
	s := newScript("ran", "waiting").start(0, 0).out(0, 1, "x\n")
	sum, _, _ := s.render(t, Options{})
	ran, waiting := sum.Hosts[0], sum.Hosts[1]
	if ran.Status() != StatusCancelled || ran.NotStarted {
		t.Errorf("ran = %+v; want cancelled after it started", ran)
	}
	if waiting.Status() != StatusCancelled || !waiting.NotStarted {
		t.Errorf("waiting = %+v; want cancelled, not started", waiting)
	}
}

func TestRenderReportsStrayEvents(t *testing.T) {
	s := newScript("h").start(0, 0).done(0, 1, remote.Result{}, nil)
	s.events = append(s.events, remote.Event{Kind: remote.EventDone, Index: 5})
	_, err := Render(s.channel(), s.targets, Options{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "#5") {
		t.Errorf("err = %v; want the stray event reported", err)
	}
}

func TestTextCutsNoLine(t *testing.T) {
	// Chunks of an overlong line and a last line without newline each
	// show as a line of their own, prefixed; the rest of a cut line is
	// marked as such.
	s := newScript("a", "bb").start(0, 0).start(1, 0).
		out(0, 1, "12345").out(1, 2, "x\ny\n").out(0, 3, "678\nlast").
		done(0, 4, remote.Result{}, nil).done(1, 5, remote.Result{}, nil)
	_, out, _ := s.render(t, Options{})
	want := "a  | 12345\nbb | x\nbb | y\na  | ↪678\na  | last\n"
	if out != want {
		t.Errorf("text output = %q; want %q", out, want)
	}
}

func TestCoalesceManyHosts(t *testing.T) {
	s := coalesceScript(10_000)
	_, out, _ := s.render(t, Options{Format: FormatCoalesce})
	for _, want := range []string{"(9000 hosts, exit 0) ==\nok\n==", "(900 hosts, exit 0) ==\nok\n-- stderr --\nwarning: old kernel\n==", "(100 hosts, exit 1) ==\ndisk full\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no block %q in:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "== "); n != 3 {
		t.Errorf("%d blocks; want 3", n)
	}
}

// coalesceScript is n hosts: 90% print "ok", 9% print a warning and 1% fail.
func coalesceScript(n int) *script {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("node%05d", i)
	}
	s := newScript(names...)
	for i := range names {
		s.start(i, 0)
		switch {
		case i%100 == 99:
			s.out(i, 1, "disk full\n").done(i, 2, remote.Result{ExitCode: 1}, nil)
		case i%10 == 9:
			s.out(i, 1, "ok\n").errOut(i, 1, "warning: old kernel\n").done(i, 2, remote.Result{}, nil)
		default:
			s.out(i, 1, "ok\n").done(i, 2, remote.Result{}, nil)
		}
	}
	return s
}

func BenchmarkCoalesce10k(b *testing.B) {
	s := coalesceScript(10_000)
	for b.Loop() {
		if _, err := Render(s.channel(), s.targets, Options{Format: FormatCoalesce, Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkText measures live text output: 32 KiB events of 100-byte lines
// from 100 hosts.
func BenchmarkText(b *testing.B) {
	const hosts, eventsPerHost = 100, 32
	data := []byte(strings.Repeat(strings.Repeat("x", 99)+"\n", 32<<10/100))
	names := make([]string, hosts)
	for i := range names {
		names[i] = fmt.Sprintf("web%03d.example.com", i)
	}
	s := newScript(names...)
	for i := range names {
		s.start(i, 0)
	}
	for range eventsPerHost {
		for i := range names {
			s.out(i, 1, string(data))
		}
	}
	for i := range names {
		s.done(i, 2, remote.Result{}, nil)
	}
	b.SetBytes(int64(hosts * eventsPerHost * len(data)))
	for b.Loop() {
		if _, err := Render(s.channel(), s.targets, Options{Out: io.Discard, Err: io.Discard}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestQuietSuccessIsSilent: with -q, a run where every host succeeded prints
// nothing at all (cron mails only failures); one failure brings the recap.
func TestQuietSuccessIsSilent(t *testing.T) {
	for _, format := range []string{FormatText, FormatGrouped, FormatCoalesce} {
		ok := newScript("a", "b").start(0, 0).out(0, 1, "x\n").done(0, 2, remote.Result{}, nil).
			start(1, 0).done(1, 3, remote.Result{}, nil)
		if _, out, errOut := ok.render(t, Options{Format: format, Quiet: true}); out != "" || errOut != "" {
			t.Errorf("%s: quiet success printed %q / %q", format, out, errOut)
		}
		failed := newScript("a", "b").start(0, 0).done(0, 2, remote.Result{}, nil).
			start(1, 0).done(1, 3, remote.Result{ExitCode: 1}, nil)
		if _, _, errOut := failed.render(t, Options{Format: format, Quiet: true}); !strings.Contains(errOut, "exit 1: b") {
			t.Errorf("%s: quiet failure recap %q, want the failed host", format, errOut)
		}
	}
}
