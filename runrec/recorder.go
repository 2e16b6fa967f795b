package runrec

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
)

// Key returns the key of a run: runs of the same command with the same
// arguments over the same inventories have the same key, whichever hosts
// they selected. --rerun looks for the last run with the key of the run
// being started.
func Key(command string, args, inventories []string) string {
	h := sha256.New()
	for _, part := range [][]string{{command}, args, inventories} {
		for _, s := range part {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// OutputRecorder digests each host's output as the runner's events come.
// Observe must be called from one goroutine, with every event of the run.
type OutputRecorder struct {
	stdout, stderr []Digester
}

// NewOutputRecorder returns a recorder for a run over n targets.
func NewOutputRecorder(n int) *OutputRecorder {
	return &OutputRecorder{stdout: make([]Digester, n), stderr: make([]Digester, n)}
}

// Observe digests the output an event carries; other events are ignored.
func (r *OutputRecorder) Observe(ev remote.Event) {
	if ev.Kind != remote.EventOutput || ev.Index < 0 || ev.Index >= len(r.stdout) {
		return
	}
	if ev.Stream == remote.Stderr {
		r.stderr[ev.Index].Write(ev.Data)
	} else {
		r.stdout[ev.Index].Write(ev.Data)
	}
}

// Digests returns the digests of host i's standard output and error.
func (r *OutputRecorder) Digests(i int) (stdout, stderr *Digest) {
	return r.stdout[i].Digest(), r.stderr[i].Digest()
}

// ExecHosts turns the summary of an exec run into host records, with the
// output digests out collected (out may be nil).
func ExecHosts(sum *report.Summary, out *OutputRecorder) []Host {
	hosts := make([]Host, len(sum.Hosts))
	for i := range sum.Hosts {
		h := &sum.Hosts[i]
		hosts[i] = hostOf(h, h.Status())
		if h.Err == nil {
			code := h.Result.ExitCode
			hosts[i].ExitCode = &code
		}
		if out != nil && i < len(out.stdout) {
			hosts[i].Stdout, hosts[i].Stderr = out.Digests(i)
		}
	}
	return hosts
}

// CheckHosts turns the summary of a check run into host records.
func CheckHosts(sum *report.CheckSummary) []Host {
	hosts := make([]Host, len(sum.Hosts))
	for i := range sum.Hosts {
		h := &sum.Hosts[i]
		hosts[i] = hostOf(&h.HostRecord, h.Status())
		for j := range h.Results {
			r := &h.Results[j]
			hosts[i].Checks = append(hosts[i].Checks, Check{
				Check:    r.Name(),
				Property: r.Property,
				Status:   string(r.Status),
				Pos:      r.Pos,
				Message:  firstLine(r.Message),
			})
		}
	}
	return hosts
}

func hostOf(h *report.HostRecord, status string) Host {
	rec := Host{
		Name:       h.Name,
		Status:     status,
		Signal:     h.Result.Signal,
		DurationMS: h.Duration().Milliseconds(),
		NotStarted: h.NotStarted,
	}
	if h.Err != nil {
		rec.ErrorClass = h.Class.String()
		rec.Error = firstLine(h.Err.Error())
	}
	return rec
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
