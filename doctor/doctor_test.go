package doctor

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

func TestRunStepsSkipsDependents(t *testing.T) {
	ran := map[string]bool{}
	mk := func(name string, st Status, needs ...string) Step {
		return Step{Name: name, Needs: needs, Run: func(context.Context) Finding {
			ran[name] = true
			return Finding{Status: st, Summary: name}
		}}
	}
	got := runSteps(context.Background(), []Step{
		mk("a", OK),
		mk("b", Warn, "a"),
		mk("c", Fail, "b"),
		mk("d", OK, "c"),
		mk("e", OK, "d"),
		mk("f", Info, "a", "b"),
	})
	want := []Status{OK, Warn, Fail, Skip, Skip, Info}
	for i, f := range got {
		if f.Status != want[i] {
			t.Errorf("step %s: %s, want %s", f.Step, f.Status, want[i])
		}
	}
	if ran["d"] || ran["e"] || !ran["f"] {
		t.Errorf("ran = %v: d and e must be skipped, f must run", ran)
	}
	if got[3].Summary != "skipped: c did not pass" || got[4].Summary != "skipped: d did not pass" {
		t.Errorf("skip reasons: %q, %q", got[3].Summary, got[4].Summary)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := runSteps(ctx, []Step{mk("x", OK)}); got[0].Status != Skip {
		t.Errorf("after cancel: %+v", got[0])
	}
}

func TestFailedFinding(t *testing.T) {
	err := &remote.Error{Class: remote.ClassRefused, Op: "dial", Err: errors.New("connection refused"), Hint: "start sshd"}
	f := Failed(err)
	if f.Status != Fail || f.Class != "refused" || f.Fix != "start sshd" || !strings.Contains(f.Summary, "connection refused") {
		t.Errorf("Failed() = %+v", f)
	}
}

func TestText(t *testing.T) {
	r := Report{Host: "web1", Transport: "ssh", Steps: []Finding{
		{Step: "tcp", Status: Fail, Summary: "refused", Fix: "start sshd", Facts: map[string][]string{"b": {"2"}, "a": {"1"}}},
		{Step: "banner", Status: Skip, Summary: "skipped: tcp did not pass"},
	}}
	var ascii, uni bytes.Buffer
	text{out: &ascii, verbose: true}.host(r)
	text{out: &uni, unicode: true}.host(r)
	wantASCII := "web1 (ssh): PROBLEM\n" +
		"  FAIL tcp     refused\n" +
		"               fix: start sshd\n" +
		"               a: 1\n" +
		"               b: 2\n" +
		"  skip banner  skipped: tcp did not pass\n"
	if ascii.String() != wantASCII {
		t.Errorf("ASCII:\n%s\nwant:\n%s", ascii.String(), wantASCII)
	}
	if !strings.Contains(uni.String(), "  ✗ tcp     refused\n            fix: start sshd\n") || !strings.Contains(uni.String(), "  - banner") {
		t.Errorf("unicode:\n%s", uni.String())
	}
}

// fakeSteps are one step per host that waits for its delay and reports the
// host's name, counting releases.
type fakeSteps struct {
	delay    map[string]time.Duration
	released chan string
}

func (f fakeSteps) Steps(t remote.Target) ([]Step, func()) {
	return []Step{
		{Name: "wait", Run: func(ctx context.Context) Finding {
			select {
			case <-time.After(f.delay[t.Name]):
				return Finding{Status: OK, Summary: t.Name}
			case <-ctx.Done():
				return Failed(&remote.Error{Class: remote.ClassTimeout, Op: "wait", Err: ctx.Err()})
			}
		}},
		{Name: "after", Needs: []string{"wait"}, Run: func(context.Context) Finding { return Finding{Status: Info} }},
	}, func() { f.released <- t.Name }
}

func TestRunOrdersReportsAndDispatchesKinds(t *testing.T) {
	steps := fakeSteps{delay: map[string]time.Duration{"a": 50 * time.Millisecond, "slow": time.Minute}, released: make(chan string, 8)}
	targets := []remote.Target{
		{Name: "a", Transport: "fake"},
		{Name: "b", Transport: "fake"},
		{Name: "odd", Transport: "carrier-pigeon"},
		{Name: "slow", Transport: "fake"},
	}
	var got []Report
	for r := range Run(context.Background(), targets, Options{Forks: 4, Timeout: 200 * time.Millisecond, Kinds: map[string]Steps{"fake": steps}}) {
		got = append(got, r)
	}
	if len(got) != len(targets) {
		t.Fatalf("%d reports, want %d", len(got), len(targets))
	}
	for i, r := range got {
		if r.Host != targets[i].Name {
			t.Errorf("report %d is %s, want %s: reports come in target order", i, r.Host, targets[i].Name)
		}
	}
	if !got[0].Healthy || got[0].Steps[0].Summary != "a" || got[0].Steps[1].Status != Info {
		t.Errorf("a: %+v", got[0])
	}
	if got[2].Healthy || got[2].Transport != "carrier-pigeon" || !strings.Contains(got[2].Steps[0].Summary, `unknown transport "carrier-pigeon"`) {
		t.Errorf("unknown transport: %+v", got[2])
	}
	if s := got[3].Steps; got[3].Healthy || s[0].Class != "timeout" || s[1].Summary != "skipped: interrupted" {
		t.Errorf("slow host after its timeout: %+v", got[3])
	}
	if len(steps.released) != 3 {
		t.Errorf("%d hosts released, want 3", len(steps.released))
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	steps := fakeSteps{released: make(chan string, 1)}
	for r := range Run(ctx, []remote.Target{{Name: "a", Transport: "fake"}}, Options{Kinds: map[string]Steps{"fake": steps}}) {
		if r.Healthy || r.Steps[0].Summary != "skipped: interrupted" || r.Steps[1].Summary != "skipped: interrupted" {
			t.Errorf("interrupted: %+v", r)
		}
	}
}

func TestWrite(t *testing.T) {
	reports := func() <-chan Report {
		c := make(chan Report, 2)
		c <- Report{Host: "a", Transport: "local", Healthy: true, Steps: []Finding{{Step: "local", Status: OK, Summary: "fine"}}}
		c <- Report{Host: "b", Transport: "ssh", Steps: []Finding{{Step: "tcp", Status: Fail, Summary: "refused", Class: "refused"}}}
		close(c)
		return c
	}
	var out bytes.Buffer
	healthy, err := Write(&out, reports(), 2, Format{})
	if err != nil || healthy {
		t.Fatalf("text: healthy %v, err %v", healthy, err)
	}
	if !strings.HasSuffix(out.String(), "\n1 of 2 hosts healthy; blocking problems on: b\n") {
		t.Errorf("text:\n%s", out.String())
	}
	out.Reset()
	if healthy, err := Write(&out, reports(), 2, Format{JSON: true}); err != nil || healthy {
		t.Fatalf("json: healthy %v, err %v", healthy, err)
	}
	if !strings.HasPrefix(out.String(), "[\n  {\n    \"host\": \"a\",\n    \"transport\": \"local\",\n    \"healthy\": true,") ||
		!strings.Contains(out.String(), `"error_class": "refused"`) {
		t.Errorf("json:\n%s", out.String())
	}
}
