package checks

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

// TestCommandAllocationsPerOutputByte: a command check keeps a stream only
// when a property tests it, and then once (its chunks, assembled into the
// string the matchers read), never one copy per step (buffer growth,
// string conversion, a slice of its lines) nor after the verdict.
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
		want    []string
	}{
		{"exit-status only", "command:\n  big: {exit-status: 0}\n", 1.0 / 64,
			[]string{"command big exit-status pass"}},
		{"line patterns", "command:\n  big:\n    exit-status: 0\n    stdout: [abcdefghij, \"!zzz\", \"/^abc/\"]\n", 2.25,
			[]string{"command big exit-status pass", "command big stdout pass"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var written int
			exec := &fakeExec{os: remote.OSLinux, run: func(_ context.Context, cmd *remote.Cmd) (remote.Result, error) {
				for written = 0; written < size; written += len(chunk) {
					if _, err := cmd.Stdout.Write(chunk); err != nil {
						return remote.Result{}, err
					}
				}
				return remote.Result{}, nil
			}}
			checks := mustParse(t, tc.check)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			results := Run(context.Background(), exec, HostInfo{Name: "h"}, checks, RunOptions{})
			runtime.ReadMemStats(&after)
			allocated := float64(after.TotalAlloc - before.TotalAlloc)
			t.Logf("%d MiB of output, %.3f bytes allocated per byte of output", written>>20, allocated/float64(written))
			if got := summary(results); !slices.Equal(got, tc.want) {
				t.Fatalf("results = %q, want %q", got, tc.want)
			}
			if allocated > tc.perByte*float64(written) {
				t.Errorf("%.0f bytes allocated for %d of output; want at most %g per byte", allocated, written, tc.perByte)
			}
			for _, r := range results {
				if len(r.Actual) > maxActual+64 {
					t.Errorf("%s: actual keeps %d bytes of the output", r.Property, len(r.Actual))
				}
			}
		})
	}
}
