package checks

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

// TestCommandAllocationsPerOutputByte: a command check keeps a stream only
// when a property tests it; line patterns read it as it comes, keeping
// nothing of it; other matchers keep it once (its chunks, assembled into
// the string they read), never one copy per step (buffer growth, string
// conversion, a slice of its lines) nor after the verdict.
func TestCommandAllocationsPerOutputByte(t *testing.T) {
	if testing.Short() {
		t.Skip("12 MiB of output")
	}
	const size, piece = 12 << 20, 32 << 10
	line := []byte("abcdefghij\n")
	chunk := bytes.Repeat(line, piece/len(line))
	for _, tc := range []struct {
		name    string
		check   string
		perByte float64 // bytes allocated per byte of output, at most
		held    float64 // bytes held once the output is written, per byte, at most
		want    []string
	}{
		{"exit-status only", "command:\n  big: {exit-status: 0}\n", 1.0 / 64, 1.0 / 64,
			[]string{"command big exit-status pass"}},
		{"line patterns", "command:\n  big:\n    exit-status: 0\n    stdout: [abcdefghij, \"!zzz\", \"/^abc/\"]\n", 1.25, 1.0 / 64,
			[]string{"command big exit-status pass", "command big stdout pass"}},
		{"whole text", "command:\n  big:\n    exit-status: 0\n    stdout: {have-suffix: \"hij\\n\"}\n", 2.25, 1.125,
			[]string{"command big exit-status pass", "command big stdout pass"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var written int
			var before, after, done runtime.MemStats
			exec := &fakeExec{os: remote.OSLinux, run: func(_ context.Context, cmd *remote.Cmd) (remote.Result, error) {
				for written = 0; written < size; written += len(chunk) {
					if _, err := cmd.Stdout.Write(chunk); err != nil {
						return remote.Result{}, err
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&done)
				return remote.Result{}, nil
			}}
			checks := mustParse(t, tc.check)
			runtime.GC()
			runtime.ReadMemStats(&before)
			results := Run(context.Background(), exec, HostInfo{Name: "h"}, checks, RunOptions{})
			runtime.ReadMemStats(&after)
			allocated := float64(after.TotalAlloc - before.TotalAlloc)
			held := float64(int64(done.HeapAlloc) - int64(before.HeapAlloc))
			t.Logf("%d MiB of output, %.3f bytes allocated and %.3f held per byte of output", written>>20, allocated/float64(written), held/float64(written))
			if got := summary(results); !slices.Equal(got, tc.want) {
				t.Fatalf("results = %q, want %q", got, tc.want)
			}
			if allocated > tc.perByte*float64(written) {
				t.Errorf("%.0f bytes allocated for %d of output; want at most %g per byte", allocated, written, tc.perByte)
			}
			if held > tc.held*float64(written) {
				t.Errorf("%.0f bytes held for %d of output; want at most %g per byte", held, written, tc.held)
			}
			for _, r := range results {
				if len(r.Actual) > maxActual+64 {
					t.Errorf("%s: actual keeps %d bytes of the output", r.Property, len(r.Actual))
				}
			}
		})
	}
}

// TestCommandLinePatternsAsTheyCome: line patterns matched as the output
// comes, in pieces cut anywhere, give the verdicts they give on the whole
// output.
func TestCommandLinePatternsAsTheyCome(t *testing.T) {
	outputs := []string{"", "\n", "\n\n", "hi\nthere\n", "hi\r\nthere", "an error\r\n\r\n", "x\n\r", "héllo wörld\nbye", strings.Repeat("é", 1500) + "\nthe end"}
	patterns := [][]string{{"hi"}, {"!err"}, {"/^th.*e$/"}, {"!/^th/"}, {""}, {"/^$/"}, {"!/^$/"}, {"/^x$/"}, {"wörld", "!bye"}, {"bye", "/ll/"}}
	for _, out := range outputs {
		for _, pats := range patterns {
			m := linePatterns(t, pats)
			whole := m.matches(textValue(out))
			for cut := 0; cut <= len(out); cut++ {
				b := newOutputBuffer(m)
				if b.scan == nil {
					t.Fatalf("%q are not matched line by line", pats)
				}
				b.Write([]byte(out[:cut]))
				b.Write([]byte(out[cut:]))
				v := b.scan.value()
				if got := m.matches(v); got != whole {
					t.Errorf("%q on %q cut at %d: %v as it comes, %v on the whole", pats, out, cut, got, whole)
				}
				if got, want := v.String(), textValue(out).String(); got != want {
					t.Errorf("actual of %q = %q, want %q", out, got, want)
				}
			}
		}
	}
}

// linePatterns is the stdout matcher of a command check whose stdout is
// a list of line patterns.
func linePatterns(t *testing.T, pats []string) *Matcher {
	quoted := make([]string, len(pats))
	for i, p := range pats {
		quoted[i] = strconv.Quote(p)
	}
	c := mustParse(t, "command:\n  x:\n    exit-status: 0\n    stdout: ["+strings.Join(quoted, ", ")+"]\n")
	return c[0].Command.Stdout
}
