//go:build linux

package checks

import (
	"context"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
)

// slowExec delays every command: the gather's round trip takes at least
// delay.
type slowExec struct {
	remote.Transport
	delay time.Duration
}

func (s slowExec) Run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
	time.Sleep(s.delay)
	return s.Transport.Run(ctx, cmd)
}

// TestGatheredChecksShareTheRoundTrip: checks gathered in one round trip
// each report their share of it, not all of it, so that their times add up
// to the host's probe time (JUnit sums test case times).
func TestGatheredChecksShareTheRoundTrip(t *testing.T) {
	tr, err := local.Dialer{}.Dial(context.Background(), remote.Target{Name: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	const delay = 300 * time.Millisecond
	start := time.Now()
	results := Run(context.Background(), slowExec{tr, delay}, HostInfo{Name: "localhost"}, mustParse(t, `
file:
  /etc/passwd: {exists: true}
  /etc/group: {exists: true}
  /: {exists: true}
`), RunOptions{})
	elapsed := time.Since(start)
	var sum time.Duration
	for _, r := range results {
		if r.Status != Pass {
			t.Errorf("%s: %s %s", r.ID, r.Status, r.Message)
		}
		sum += r.Duration
	}
	if sum > elapsed || sum < delay {
		t.Errorf("check times add up to %s; want the round trip, at least %s and at most %s", sum, delay, elapsed)
	}
}
