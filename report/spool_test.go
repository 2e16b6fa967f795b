package report

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// TestJSONStringAsEncodingJSON checks the streamed JSON strings against
// encoding/json (without HTML escaping), on pieces of every kind and on
// strings long enough to be read in several pieces.
func TestJSONStringAsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	atoms := []string{"a", "Z", " ", "\"", "\\", "/", "<", ">", "&", "\x00", "\x1b", "\x7f", "\b", "\f", "\n", "\r", "\t",
		"é", "€", "😀", "\u2028", "\u2029", "\ufffd", "\xff", "\xc3", "\xe2\x82", "\x80", "\u0085"}
	for n := range 300 {
		var b strings.Builder
		size := rng.IntN(64)
		if n%30 == 0 {
			size = 3 * pieceSize / 2 // several pieces, characters across their ends
		}
		for b.Len() < size {
			b.WriteString(atoms[rng.IntN(len(atoms))])
		}
		s := b.String()
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		wantStr := strings.TrimSuffix(want.String(), "\n")
		if got := string(appendJSONString(nil, []byte(s))); got != wantStr {
			t.Fatalf("appendJSONString(%q) = %s; want %s", s, got, wantStr)
		}
		if !utf8.ValidString(s) {
			continue // streamed strings are valid UTF-8: the others are base64
		}
		var got bytes.Buffer
		if err := copyJSONString(&got, strings.NewReader(s)); err != nil {
			t.Fatal(err)
		}
		if got.String() != wantStr {
			t.Fatalf("copyJSONString of %d bytes differs from encoding/json", len(s))
		}
	}
}

func TestUTF8CheckAcrossPieces(t *testing.T) {
	for _, tt := range []struct {
		pieces []string
		valid  bool
	}{
		{nil, true},
		{[]string{"abc", "déf"}, true},
		{[]string{"a\xe2", "\x82", "\xac"}, true},       // € in three pieces
		{[]string{"\xf0\x9f", "\x98\x80"}, true},        // 😀 in two
		{[]string{"a\xe2\x82"}, false},                  // cut short at the end
		{[]string{"a\xe2", "b"}, false},                 // a lead byte followed by ASCII
		{[]string{"ok", "\xff"}, false},                 // not UTF-8 at all
		{[]string{"\xef\xbf\xbd"}, true},                // U+FFFD itself is fine
		{[]string{"\xe2", "\x82\xac", "\xc3"}, false},   // complete, then cut short
		{[]string{"\xed\xa0", "\x80"}, false},           // a surrogate
		{[]string{strings.Repeat("é", 100), "x"}, true}, // many characters
	} {
		var c utf8Check
		for _, p := range tt.pieces {
			c.write([]byte(p))
		}
		if c.valid() != tt.valid || utf8.ValidString(strings.Join(tt.pieces, "")) != tt.valid {
			t.Errorf("pieces %q: valid = %v; want %v", tt.pieces, c.valid(), tt.valid)
		}
	}
}

func TestCopyTextAcrossPieces(t *testing.T) {
	// A CRLF, a character and an escape sequence across the end of a piece.
	long := strings.Repeat("x", pieceSize-1)
	for _, tt := range []struct{ in, want string }{
		{long + "\r\nnext\r\n", long + "\nnext\n"},
		{long + "\rmid\n", long + `\rmid` + "\n"},
		{long + "\r", long + `\r` + "\n"},
		{long[1:] + "é\x1b[0m", long[1:] + `é\x1b[0m` + "\n"},
		{"", ""},
		{"no newline", "no newline\n"},
	} {
		var out bytes.Buffer
		if err := copyText(&out, strings.NewReader(tt.in)); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want {
			t.Errorf("copyText(%q...) = %q...; want %q...", tail10(tt.in), tail10(out.String()), tail10(tt.want))
		}
	}
}

func tail10(s string) string { return s[max(0, len(s)-10):] }

// TestJSONStreamsHosts checks that the json document is written host by
// host as they end, in target order: not all at the end.
func TestJSONStreamsHosts(t *testing.T) {
	s := newScript("a", "b", "c")
	events := make(chan remote.Event)
	var out remotetest.SyncBuffer
	done := make(chan error)
	go func() {
		_, err := Render(events, s.targets, Options{Format: FormatJSON, Out: &out, Err: &bytes.Buffer{}})
		done <- err
	}()
	send := func(ev remote.Event, i int) {
		ev.Index, ev.Target, ev.Time = i, &s.targets[i], t0
		events <- ev
	}
	for i := range 3 {
		send(remote.Event{Kind: remote.EventStart}, i)
	}
	send(remote.Event{Kind: remote.EventOutput, Data: []byte("from b\n")}, 1)
	send(remote.Event{Kind: remote.EventDone}, 1)
	send(remote.Event{Kind: remote.EventOutput, Data: []byte("from a\n")}, 0)
	send(remote.Event{Kind: remote.EventDone}, 0)
	send(remote.Event{Kind: remote.EventOutput, Data: []byte("from c\n")}, 2) // a, b handled by now
	if got := out.String(); !strings.Contains(got, `"stdout": "from a\n"`) || !strings.Contains(got, `"stdout": "from b\n"`) || strings.Contains(got, `"host": "c"`) {
		t.Errorf("after a and b ended, the document so far is:\n%s\nwant a and b, not c", got)
	}
	send(remote.Event{Kind: remote.EventDone}, 2)
	close(events)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Hosts []struct{ Host, Stdout string } `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
		t.Fatalf("%v in:\n%s", err, out.String())
	}
	if len(doc.Hosts) != 3 || doc.Hosts[0].Host != "a" || doc.Hosts[1].Host != "b" || doc.Hosts[2].Stdout != "from c\n" {
		t.Errorf("hosts = %+v; want a, b, c in target order", doc.Hosts)
	}
}

func TestJSONNoHosts(t *testing.T) {
	_, out, _ := newScript().render(t, Options{Format: FormatJSON})
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil || !strings.HasPrefix(out, "{\n  \"hosts\": [],\n  \"summary\": {\n") {
		t.Errorf("document = %q (%v); want an empty host list", out, err)
	}
}

// TestAllocationsPerOutputByte bounds what grouped, coalesce and json
// allocate relative to the size of the output: 2 hosts × 24 MiB in 64 KiB
// events (text and not UTF-8), more than the spools keep in memory. The
// output was held about ten times over before (appends, string and base64
// copies, the whole document in one buffer).
func TestAllocationsPerOutputByte(t *testing.T) {
	if testing.Short() {
		t.Skip("48 MiB of output")
	}
	const perHost, piece = 24 << 20, 64 << 10
	text := bytes.Repeat([]byte("0123456789abcdef ✓ line\n"), piece/26)
	binary := append(bytes.Clone(text), 0xff)
	for _, format := range []string{FormatJSON, FormatGrouped, FormatCoalesce} {
		t.Run(format, func(t *testing.T) {
			s := newScript("text", "binary").start(0, 0).start(1, 0)
			for n := 0; n < perHost; n += len(text) {
				s.out(0, 1, string(text)).out(1, 1, string(binary))
			}
			s.done(0, 2, remote.Result{}, nil).done(1, 2, remote.Result{}, nil)
			ch := s.channel()
			var out countingWriter
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Render(ch, s.targets, Options{Format: format, Out: &out, Err: &out})
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			total := int64(2 * perHost)
			allocated := int64(after.TotalAlloc - before.TotalAlloc)
			t.Logf("%s: %d MiB of output, %d MiB written, %.3f bytes allocated per byte of output", format, total>>20, out.n>>20, float64(allocated)/float64(total))
			if out.n < total {
				t.Errorf("%d bytes written; want at least the %d of output", out.n, total)
			}
			if allocated > total/8 {
				t.Errorf("%d bytes allocated for %d of output; want at most 1/8 byte per byte", allocated, total)
			}
		})
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// TestSpoolsManySmallWrites: thousands of hosts writing a line at a time
// stay within the memory limit, share one temporary file, and read back
// byte for byte, in few segments.
func TestSpoolsManySmallWrites(t *testing.T) {
	const hosts, lines, limit = 2000, 100, 1 << 20
	s := newSpools(limit)
	s.dir = t.TempDir()
	sps := make([]*spool, hosts)
	want := make([]bytes.Buffer, hosts)
	for i := range sps {
		sps[i] = s.newSpool()
	}
	for n := range lines {
		for i, sp := range sps {
			line := []byte(strings.Repeat("x", i%40) + " line " + string(rune('a'+n%26)) + "\n")
			sp.write(line)
			want[i].Write(line)
			if s.inMemory > limit {
				t.Fatalf("%d bytes in memory; want at most %d", s.inMemory, limit)
			}
		}
	}
	for i, sp := range sps {
		got, err := io.ReadAll(sp.reader())
		if err != nil || !bytes.Equal(got, want[i].Bytes()) {
			t.Fatalf("spool %d reads back %d bytes (%v); want the %d written", i, len(got), err, want[i].Len())
		}
		if len(sp.onDisk) > lines/4 {
			t.Errorf("spool %d: %d segments on disk for %d writes; want fewer, larger ones", i, len(sp.onDisk), lines)
		}
	}
	if s.file == nil {
		t.Fatal("nothing spilled to disk")
	}
	if err := s.releaseAll(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(s.dir); len(left) > 0 || s.inMemory != 0 {
		t.Errorf("left: files %v, %d bytes counted in memory", left, s.inMemory)
	}
}

// TestSpoolsWithoutTemporaryFile: when no temporary file can be made, the
// output stays in memory, whole, and a warning says why at the end.
func TestSpoolsWithoutTemporaryFile(t *testing.T) {
	s := newScript("h").start(0, 0).out(0, 1, "one\n").out(0, 2, "two\n").done(0, 3, remote.Result{}, nil)
	var out, errOut bytes.Buffer
	_, err := Render(s.channel(), s.targets, Options{Format: FormatJSON, Out: &out, Err: &errOut, spoolLimit: 1, spoolDir: "/nonexistent/remotectl"})
	if err != nil || !strings.Contains(errOut.String(), "warning: output was kept in memory") {
		t.Errorf("err = %v, stderr %q; want no error, and a warning saying why", err, errOut.String())
	}
	if !strings.Contains(out.String(), `"stdout": "one\ntwo\n"`) {
		t.Errorf("document:\n%s\nwant the whole output", out.String())
	}
}
