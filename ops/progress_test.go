package ops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/remotectl/remotectl/playbook"
	"github.com/remotectl/remotectl/remote"
)

// fakeClock is a Clock tests move by hand; After fires at once and moves
// the time on by the wait, remembering it.
type fakeClock struct {
	t     time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.waits = append(c.waits, d)
	c.advance(d)
	ch := make(chan time.Time, 1)
	ch <- c.t
	return ch
}

func hostTargets(names ...string) []remote.Target {
	ts := make([]remote.Target, len(names))
	for i, n := range names {
		ts[i] = remote.Target{Name: n}
	}
	return ts
}

// numbered returns prefix01..prefixNN.
func numbered(prefix string, n int) []string {
	var names []string
	for i := 1; i <= n; i++ {
		names = append(names, fmt.Sprintf("%s%02d", prefix, i))
	}
	return names
}

func start(ts []remote.Target, i int) remote.Event {
	return remote.Event{Kind: remote.EventStart, Index: i, Target: &ts[i]}
}

func done(ts []remote.Target, i int, exit int) remote.Event {
	return remote.Event{Kind: remote.EventDone, Index: i, Target: &ts[i], Result: remote.Result{ExitCode: exit}}
}

// TestStatusLineErasedBeforeEveryOutputLine: every write of output first
// erases the line, the next draw puts it back below, and stop leaves no
// line behind; nothing is erased that is not shown.
func TestStatusLineErasedBeforeEveryOutputLine(t *testing.T) {
	var term bytes.Buffer
	clock := newFakeClock()
	ts := hostTargets("web01", "web02", "web03")
	p := newFleetProgressAt(&term, ts, clock.Now)
	out := p.Writer(&term)
	for i := range ts {
		p.observe(start(ts, i))
	}
	p.observe(done(ts, 0, 1))
	clock.advance(time.Second)
	p.draw()
	fmt.Fprint(out, "web02 | one\n")
	fmt.Fprint(out, "web02 | two\n")
	clock.advance(time.Second)
	p.draw()
	p.Stop()
	p.Stop()
	fmt.Fprint(out, "recap\n")
	want := "\r\033[K1/3 hosts done, 1 failed, 1s elapsed — waiting on web[02-03] (connecting)" +
		"\r\033[Kweb02 | one\n" +
		"web02 | two\n" +
		"\r\033[K1/3 hosts done, 1 failed, 2s elapsed — waiting on web[02-03] (connecting)" +
		"\r\033[K" +
		"recap\n"
	if got := term.String(); got != want {
		t.Errorf("terminal got\n%q\nwant\n%q", got, want)
	}
}

// TestStatusLineNamesStragglers: once few hosts are left, the line names
// them with what each is doing, from the dialer: connecting until its
// connection is up, running after, not started before it starts.
func TestStatusLineNamesStragglers(t *testing.T) {
	var term bytes.Buffer
	clock := newFakeClock()
	names := append(numbered("web", 48), "hung01", "hung02")
	ts := hostTargets(names...)
	p := newFleetProgressAt(&term, ts, clock.Now)
	dialed := make(chan string, len(ts))
	d := p.dialer(remote.DialerFunc(func(_ context.Context, t remote.Target) (remote.Transport, error) {
		dialed <- t.Name
		if strings.HasPrefix(t.Name, "hung") {
			return nil, errors.New("not reached: the test stands for a dial that hangs")
		}
		return nil, nil
	}))
	line := func() string {
		term.Reset()
		p.draw()
		return strings.TrimPrefix(term.String(), "\r\033[K")
	}
	for i := range 47 {
		p.observe(start(ts, i))
		d.Dial(context.Background(), ts[i])
		p.observe(done(ts, i, 0))
	}
	clock.advance(12 * time.Second)
	// web48 and hung01 started; hung02 waits for a fork.
	p.observe(start(ts, 47))
	p.observe(start(ts, 48))
	d.Dial(context.Background(), ts[47])
	if got, want := line(), "47/50 hosts done, 0 failed, 12s elapsed — waiting on hung01 (connecting), web48 (running), hung02 (not started)"; got != want {
		t.Errorf("line = %q\nwant %q", got, want)
	}
	p.observe(done(ts, 47, 0))
	p.observe(start(ts, 49))
	if got, want := line(), "48/50 hosts done, 0 failed, 12s elapsed — waiting on hung[01-02] (connecting)"; got != want {
		t.Errorf("line = %q\nwant %q", got, want)
	}
	// A host given up (its dial never returned in time) stays done when
	// its dial reports late.
	p.observe(remote.Event{Kind: remote.EventDone, Index: 48, Target: &ts[48], Err: errors.New("timeout")})
	p.counts.enter("hung01", phaseRunning)
	if got, want := line(), "49/50 hosts done, 1 failed, 12s elapsed — waiting on hung02 (connecting)"; got != want {
		t.Errorf("line = %q\nwant %q", got, want)
	}
	// With more hosts left than that, none is named, and the time left is
	// estimated.
	p2 := newFleetProgressAt(&term, ts, clock.Now)
	for i := range 10 {
		p2.observe(done(ts, i, 0))
	}
	clock.advance(time.Second)
	term.Reset()
	p2.draw()
	if got, want := term.String(), "\r\033[K10/50 hosts done, 0 failed, 1s elapsed, about 4s left"; got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
}

// TestTransferProgress: bytes of a total known up front with a percentage,
// the rate since the first byte, the time left, hosts done; the stragglers
// by name.
func TestTransferProgress(t *testing.T) {
	var term bytes.Buffer
	clock := newFakeClock()
	ts := hostTargets(numbered("web", 4)...)
	p := NewTransferProgress(&term, ts, 100<<20, clock.Now)
	line := func() string {
		term.Reset()
		p.draw()
		return strings.TrimPrefix(term.String(), "\r\033[K")
	}
	if got, want := line(), "0 B / 400.0 MiB (0%), 0/4 hosts done, 0 failed"; got != want {
		t.Errorf("before any byte: %q, want %q", got, want)
	}
	hosts := make([]func(int64, int64), len(ts))
	for i := range ts {
		p.Observe(start(ts, i))
		hosts[i] = p.Host(ts[i].Name)
		hosts[i](0, 100<<20) // PutTree's own total: the up-front one counts
	}
	clock.advance(3 * time.Second) // connecting: no byte yet
	hosts[0](50<<20, 100<<20)
	clock.advance(time.Second)
	hosts[0](100<<20, 100<<20)
	hosts[1](100<<20, 100<<20)
	p.Observe(done(ts, 0, 0))
	if got, want := line(), "200.0 MiB / 400.0 MiB (50%), 200.0 MiB/s, about 1s left, 1/4 hosts done, 0 failed — waiting on web[02-04] (connecting)"; got != want {
		t.Errorf("half way: %q\nwant %q", got, want)
	}

	// fetch: each host's total is known once it has listed its files.
	f := NewTransferProgress(&term, ts[:2], -1, clock.Now)
	a, b := f.Host(ts[0].Name), f.Host(ts[1].Name)
	a(0, 10<<10)
	a(5<<10, 10<<10)
	clock.advance(time.Second)
	term.Reset()
	f.draw()
	if got, want := term.String(), "\r\033[K5.0 KiB copied, 5.0 KiB/s, 0/2 hosts done, 0 failed — waiting on web[01-02] (not started)"; got != want {
		t.Errorf("fetch, a total unknown: %q\nwant %q", got, want)
	}
	b(0, 30<<10)
	term.Reset()
	f.draw()
	if got, want := term.String(), "\r\033[K5.0 KiB / 40.0 KiB (12%), 5.0 KiB/s, about 7s left, 0/2 hosts done, 0 failed — waiting on web[01-02] (not started)"; got != want {
		t.Errorf("fetch, totals known: %q\nwant %q", got, want)
	}

	// No status line: every method is a no-op.
	var none *TransferProgress
	none.Host("web01")(1, 2)
	none.Observe(done(ts, 0, 0))
	none.Stop()
	if d := none.Dialer(remote.DialerFunc(nil)); d == nil {
		t.Error("a nil progress must hand the dialer back")
	}
}

// TestTransferProgressDropsFailedHosts: a host that fails or is unreachable
// takes the bytes it will not move off the total, which the others then
// reach: 100%, not the share of the good hosts.
func TestTransferProgressDropsFailedHosts(t *testing.T) {
	var term bytes.Buffer
	clock := newFakeClock()
	ts := hostTargets(numbered("web", 5)...)
	line := func(p *TransferProgress) string {
		term.Reset()
		p.draw()
		return strings.TrimPrefix(term.String(), "\r\033[K")
	}
	failed := func(i int) remote.Event {
		ev := done(ts, i, 0)
		ev.Err = remote.Errorf(remote.ClassRefused, "dial", "connection refused")
		return ev
	}
	p := NewTransferProgress(&term, ts, 100<<20, clock.Now)
	for i := range ts {
		p.Observe(start(ts, i))
	}
	p.Observe(failed(3)) // unreachable: moved nothing
	cut := p.Host(ts[4].Name)
	cut(40<<20, 100<<20)
	p.Observe(failed(4)) // lost after 40 MiB
	cut(60<<20, 100<<20) // a late report changes nothing
	for i := range 3 {
		p.Host(ts[i].Name)(100<<20, 100<<20)
		p.Observe(done(ts, i, 0))
	}
	if got, want := line(p), "340.0 MiB / 340.0 MiB (100%), 5/5 hosts done, 2 failed"; got != want {
		t.Errorf("up front: %q\nwant %q", got, want)
	}

	// fetch: a host that fails before saying its size makes the total known.
	f := NewTransferProgress(&term, ts[:2], -1, clock.Now)
	f.Host(ts[0].Name)(10<<10, 10<<10)
	f.Observe(done(ts, 0, 0))
	f.Observe(failed(1))
	if got, want := line(f), "10.0 KiB / 10.0 KiB (100%), 2/2 hosts done, 1 failed"; got != want {
		t.Errorf("fetch: %q\nwant %q", got, want)
	}
}

// TestPlayProgress: the current task over the batch, then the stragglers
// with their connection's phase; failed hosts are out of the task.
func TestPlayProgress(t *testing.T) {
	var term bytes.Buffer
	clock := newFakeClock()
	p := newPlayProgressAt(&term, clock.Now)
	line := func() string {
		term.Reset()
		p.draw()
		return strings.TrimPrefix(term.String(), "\r\033[K")
	}
	batch := numbered("web", 5)
	play := "web servers"
	p.observe(playbook.Event{Kind: playbook.EventPlayStart, Play: play, Hosts: batch})
	p.observe(playbook.Event{Kind: playbook.EventBatchStart, Play: play, Batch: 1, Batches: 1, Hosts: batch})
	clock.advance(2 * time.Second)
	if got, want := line(), "PLAY [web servers]: 5 hosts, 0 failed, 2s elapsed"; got != want {
		t.Errorf("before a task: %q, want %q", got, want)
	}
	d := p.dialer(remote.DialerFunc(func(context.Context, remote.Target) (remote.Transport, error) { return nil, nil }))
	for _, h := range batch[:4] {
		d.Dial(context.Background(), remote.Target{Name: h})
	}
	// Connecting, before the first task: the last hosts not connected are
	// named, with their phase.
	var connecting string
	slow := p.dialer(remote.DialerFunc(func(context.Context, remote.Target) (remote.Transport, error) {
		connecting = line()
		return nil, nil
	}))
	slow.Dial(context.Background(), remote.Target{Name: "web05"})
	if want := "PLAY [web servers]: 5 hosts, 0 failed, 2s elapsed — waiting on web05 (connecting)"; connecting != want {
		t.Errorf("connecting: %q\nwant %q", connecting, want)
	}
	p.observe(playbook.Event{Kind: playbook.EventTaskStart, Play: play, Task: "install nginx"})
	for _, h := range batch[:2] {
		p.observe(playbook.Event{Kind: playbook.EventResult, Result: &playbook.TaskResult{Host: h, Task: "install nginx", Status: playbook.StatusChanged}})
	}
	p.observe(playbook.Event{Kind: playbook.EventResult, Result: &playbook.TaskResult{Host: "web03", Task: "install nginx", Status: playbook.StatusFailed}})
	if got, want := line(), "TASK [install nginx]: 3/5 hosts done, 1 failed, 2s elapsed — waiting on web[04-05] (running)"; got != want {
		t.Errorf("during the task: %q\nwant %q", got, want)
	}
}

// TestPromptTakesTheLineOff: once a status line is drawn, writes through
// it erase it first, and a prompt takes it off the screen until answered.
func TestPromptTakesTheLineOff(t *testing.T) {
	var term bytes.Buffer
	clock := newFakeClock()
	p := newFleetProgressAt(&term, hostTargets(numbered("web", 9)...), clock.Now)
	stderr := p.Writer(&term)
	read := p.Prompt(func(prompt string) (string, error) {
		fmt.Fprint(&term, prompt)
		return "secret", nil
	})
	p.draw()
	fmt.Fprintln(stderr, "warning: Permanently added web01 to known_hosts")
	p.draw()
	if _, err := read("Enter passphrase: "); err != nil {
		t.Fatal(err)
	}
	line := "\r\033[K0/9 hosts done, 0 failed, 0s elapsed"
	want := line + "\r\033[Kwarning: Permanently added web01 to known_hosts\n" + line + "\r\033[KEnter passphrase: "
	if got := term.String(); got != want {
		t.Errorf("terminal got\n%q\nwant\n%q", got, want)
	}
}

func TestWantsStatusLine(t *testing.T) {
	for _, c := range []struct {
		name   string
		tty    bool
		term   string
		quiet  bool
		output string
		want   bool
	}{
		{"terminal", true, "xterm", false, "text", true},
		{"grouped", true, "xterm", false, "grouped", true},
		{"not a terminal", false, "xterm", false, "text", false},
		{"TERM=dumb", true, "dumb", false, "text", false},
		{"quiet (and --cron)", true, "xterm", true, "text", false},
		{"json", true, "xterm", false, "json", false},
		{"junit", true, "xterm", false, "junit", false},
	} {
		term := Terminal{TTY: c.tty, Term: c.term, Quiet: c.quiet, Format: c.output}
		if got := term.WantsStatusLine(); got != c.want {
			t.Errorf("%s: WantsStatusLine = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestStatusLineCutToTheWidth: a line wider than the terminal would wrap,
// and \r\033[K erases only its last row: it is cut to fit, with "…".
func TestStatusLineCutToTheWidth(t *testing.T) {
	var term bytes.Buffer
	s := newStatusLine(&term, time.Now, func(time.Time) string {
		return "1/3 hosts done, 0 failed, 2s elapsed — waiting on a-very-long-host-name.example.com (running)"
	})
	s.SetWidth(40)
	s.draw()
	got := strings.TrimPrefix(term.String(), eraseLine)
	if n := utf8.RuneCountInString(got); n != 39 || !strings.HasSuffix(got, "…") {
		t.Errorf("line %q: %d cells, want 39 ending in …", got, n)
	}
}

// TestStatusLineHeldWhilePrompting: while a prompt asks, the line is erased
// and not drawn (it would overwrite the prompt); it comes back after.
func TestStatusLineHeldWhilePrompting(t *testing.T) {
	var term bytes.Buffer
	s := newStatusLine(&term, time.Now, func(time.Time) string { return "status" })
	s.draw()
	ask := s.hold(func(msg string, _ bool) (string, error) {
		term.WriteString(msg)
		s.draw()
		return "answer", nil
	})
	if got, err := ask("Ready:", true); got != "answer" || err != nil {
		t.Fatalf("ask = %q, %v", got, err)
	}
	s.draw()
	if want := eraseLine + "status" + eraseLine + "Ready:" + eraseLine + "status"; term.String() != want {
		t.Errorf("terminal %q, want %q", term.String(), want)
	}
}
