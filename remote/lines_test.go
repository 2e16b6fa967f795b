package remote

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// collect runs the writes through a line writer and returns the Data of
// every event sent, the final flush included.
func collect(t *testing.T, maxLine int, writes ...string) []string {
	t.Helper()
	out := make(chan Event, len(writes)+1)
	target := &Target{Name: "h"}
	w := newLineWriter(out, 3, target, Stderr, maxLine)
	for _, s := range writes {
		n, err := w.Write([]byte(s))
		if err != nil || n != len(s) {
			t.Fatalf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
		}
	}
	w.close()
	close(out)
	var got []string
	for ev := range out {
		if ev.Kind != EventOutput || ev.Index != 3 || ev.Target != target || ev.Stream != Stderr || ev.Time.IsZero() {
			t.Errorf("event header = %+v; want an EventOutput of host 3 on stderr with a time", ev)
		}
		got = append(got, string(ev.Data))
	}
	return got
}

func TestLineWriterSplitsOnLines(t *testing.T) {
	tests := []struct {
		name    string
		maxLine int
		writes  []string
		want    []string
	}{
		{"nothing", 8, nil, nil},
		{"empty write", 8, []string{""}, nil},
		{"one line", 8, []string{"abc\n"}, []string{"abc\n"}},
		{"lines in one write make one event", 8, []string{"a\nb\nc\n"}, []string{"a\nb\nc\n"}},
		{"partial line waits", 8, []string{"ab", "c\nd", "e\n"}, []string{"abc\n", "de\n"}},
		{"tail flushed without newline", 8, []string{"a\nbc"}, []string{"a\n", "bc"}},
		{"empty lines", 8, []string{"\n\n", "\n"}, []string{"\n\n", "\n"}},
		{"line of exactly maxLine is kept whole", 4, []string{"abcd", "\n"}, []string{"abcd\n"}},
		{"overlong unfinished line is cut", 4, []string{"abcde"}, []string{"abcd", "e"}},
		{"overlong line cut as it arrives", 4, []string{"ab", "cd", "ef", "gh", "ij\n"}, []string{"abcd", "efghij\n"}},
		{"several chunks in one write", 4, []string{"0123456789"}, []string{"01234567", "89"}},
		{"chunks after a newline", 4, []string{"x\n0123456789"}, []string{"x\n01234567", "89"}},
		{"complete long lines pass whole", 4, []string{"0123456789\n"}, []string{"0123456789\n"}},
		{"non-UTF-8 bytes pass untouched", 8, []string{"\xff\xfe\n\x80"}, []string{"\xff\xfe\n", "\x80"}},
		{"chunks end between characters", 4, []string{"aé€"}, []string{"aé", "€"}},
		{"a chunk ends inside the held bytes", 4, []string{"é\xe2\x82", "\xac!"}, []string{"é", "€!"}},
		{"no character boundary near: cut anyway", 4, []string{"\x80\x80\x80\x80\x80"}, []string{"\x80\x80\x80\x80", "\x80"}},
		{"default maxLine", 0, []string{"a"}, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(t, tt.maxLine, tt.writes...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("events = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestLineWriterDataIsOwnedByReceiver(t *testing.T) {
	out := make(chan Event, 2)
	w := newLineWriter(out, 0, &Target{}, Stdout, 16)
	buf := []byte("one\ntw")
	if _, err := w.Write(buf); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXXX")
	w.close()
	first, second := <-out, <-out
	if string(first.Data) != "one\n" || string(second.Data) != "tw" {
		t.Errorf("data = %q, %q; want \"one\\n\", \"tw\": the writer must copy what it sends", first.Data, second.Data)
	}
}

func TestLineWriterRefusesWritesAfterClose(t *testing.T) {
	out := make(chan Event, 1)
	w := newLineWriter(out, 0, &Target{}, Stdout, 16)
	w.close()
	w.close() // idempotent
	if n, err := w.Write([]byte("late\n")); n != 0 || !errors.Is(err, errHostFinished) {
		t.Errorf("Write after close = %d, %v; want 0, errHostFinished", n, err)
	}
	if len(out) != 0 {
		t.Errorf("%d events sent after close; want none", len(out))
	}
}

// TestLineWriterLargeStream pushes 50 MB of mixed lines (short, empty, long,
// overlong, binary) through a writer in writes of random sizes and checks
// that the bytes come out whole and in order, one event per write at most,
// and that memory held back stays within maxLine.
func TestLineWriterLargeStream(t *testing.T) {
	const size = 50 << 20
	const maxLine = 4096
	rng := rand.New(rand.NewPCG(1, 2))
	input := randomOutput(rng, size, maxLine)

	out := make(chan Event, 64)
	w := newLineWriter(out, 0, &Target{}, Stdout, maxLine)
	var got bytes.Buffer
	got.Grow(len(input))
	received := make(chan int)
	go func() {
		events, open := 0, 0 // open: bytes of the current line seen so far
		for ev := range out {
			events++
			if len(ev.Data) == 0 {
				t.Error("empty event")
			}
			got.Write(ev.Data)
			if i := bytes.LastIndexByte(ev.Data, '\n'); i >= 0 {
				open = len(ev.Data) - i - 1
			} else {
				open += len(ev.Data)
			}
			// Chunks are maxLine bytes, less up to 3 to end on a character
			// boundary.
			if k := (open + maxLine - 1) / maxLine; got.Len() < len(input) && open < k*(maxLine-3) {
				t.Errorf("event ends %d bytes into an unfinished line; want %d chunks of %d to %d bytes", open, k, maxLine-3, maxLine)
			}
		}
		received <- events
	}()

	writes := 0
	for rest := input; len(rest) > 0; writes++ {
		n := min(len(rest), 1+rng.IntN(64<<10))
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		if len(w.tail) > maxLine {
			t.Fatalf("writer holds %d bytes back; want at most %d", len(w.tail), maxLine)
		}
		rest = rest[n:]
	}
	w.close()
	close(out)
	events := <-received

	if !bytes.Equal(got.Bytes(), input) {
		t.Fatalf("output differs from input (got %d bytes, want %d)", got.Len(), len(input))
	}
	if events > writes+1 {
		t.Errorf("%d events for %d writes; want at most one per write plus the final flush", events, writes)
	}
}

// randomOutput returns size bytes of lines of varied shapes.
func randomOutput(rng *rand.Rand, size, maxLine int) []byte {
	b := make([]byte, 0, size+4*maxLine)
	for len(b) < size {
		var n int
		switch rng.IntN(10) {
		case 0:
			n = 0
		case 1:
			n = maxLine + rng.IntN(3*maxLine) // overlong
		case 2:
			n = maxLine - 1 + rng.IntN(3) // around the limit
		default:
			n = rng.IntN(200)
		}
		for range n {
			c := byte(rng.IntN(256))
			if c == '\n' {
				c = 'n'
			}
			b = append(b, c)
		}
		b = append(b, '\n')
	}
	return append(b[:size], "no newline at the end"...)
}

// BenchmarkLineWriter measures the output hot path: 32 KiB writes of
// 80-byte lines through one writer to a reader goroutine.
func BenchmarkLineWriter(b *testing.B) {
	line := bytes.Repeat([]byte("x"), 79)
	line = append(line, '\n')
	chunk := bytes.Repeat(line, 32<<10/len(line))
	chunk = append(chunk, "partial"...)

	out := make(chan Event, 64)
	done := make(chan struct{})
	go func() {
		for range out {
		}
		close(done)
	}()
	w := newLineWriter(out, 0, &Target{}, Stdout, DefaultMaxLine)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	w.close()
	close(out)
	<-done
}
