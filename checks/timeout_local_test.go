//go:build linux

package checks

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
)

// TestGatherStopsAHungProbeOnThisHost: reading a named pipe nobody writes
// blocks for ever (as goss would); with timeout: the probe is stopped, and
// the file after it is still checked, on this machine through the local
// transport.
func TestGatherStopsAHungProbeOnThisHost(t *testing.T) {
	tr, err := local.Dialer{}.Dial(context.Background(), remote.Target{Name: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	exec := &countingExec{Executor: tr}
	checkHungProbe(t, exec)
	if exec.runs != 2 {
		t.Errorf("round trips = %d, want 2", exec.runs)
	}
}

// checkHungProbe checks through exec a fifo nobody writes (its contents
// with timeout: 300) and a file after it: the fifo's contents are an error
// saying the probe was stopped, everything else passes.
func checkHungProbe(t *testing.T, exec Executor) {
	t.Helper()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	after := filepath.Join(dir, "after")
	if err := os.WriteFile(after, []byte("still checked\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	results := Run(context.Background(), exec, HostInfo{Name: "localhost"}, mustParse(t, `
file:
  `+fifo+`: {exists: true, filetype: pipe, contents: [anything], timeout: 300}
  `+after+`: {exists: true, contents: [still checked]}
`), RunOptions{HostTimeout: 30 * time.Second})
	want := []string{
		"file " + fifo + " exists pass", "file " + fifo + " filetype pass", "file " + fifo + " contents error",
		"file " + after + " exists pass", "file " + after + " contents pass",
	}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Fatalf("results = %q, want %q", got, want)
	}
	if r := results[2]; !strings.Contains(r.Message, "stopped after 300ms without output") {
		t.Errorf("hung probe = %+v", r)
	}
}
