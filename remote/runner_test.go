package remote_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTimeout bounds every wait in these tests, so that a bug fails a test
// instead of hanging it.
const testTimeout = 20 * time.Second

// hostLog is what the events of one host said.
type hostLog struct {
	started        bool
	stdout, stderr bytes.Buffer
	outputs        int
	notes          []any
	done           *remote.Event
}

// drain reads a run's events to the end and checks the per-host ordering
// contract: EventStart first (unless the host never started), output in
// between, exactly one EventDone last, every event pointing at its target.
func drain(t *testing.T, events <-chan remote.Event, targets []remote.Target) []hostLog {
	t.Helper()
	return drainUntil(t, events, targets, nil)
}

// drainUntil is drain calling observe after each event.
func drainUntil(t *testing.T, events <-chan remote.Event, targets []remote.Target, observe func(remote.Event, []hostLog)) []hostLog {
	t.Helper()
	logs := make([]hostLog, len(targets))
	deadline := time.NewTimer(testTimeout)
	defer deadline.Stop()
	for {
		var ev remote.Event
		var ok bool
		select {
		case ev, ok = <-events:
		case <-deadline.C:
			t.Fatalf("run did not finish within %s", testTimeout)
		}
		if !ok {
			break
		}
		if ev.Index < 0 || ev.Index >= len(targets) || ev.Target != &targets[ev.Index] {
			t.Fatalf("event %+v does not point at its target", ev)
		}
		h := &logs[ev.Index]
		name := ev.Target.Name
		if h.done != nil {
			t.Errorf("%s: event kind %d after EventDone", name, ev.Kind)
		}
		switch ev.Kind {
		case remote.EventStart:
			if h.started {
				t.Errorf("%s: second EventStart", name)
			}
			h.started = true
		case remote.EventOutput:
			if !h.started {
				t.Errorf("%s: output before EventStart", name)
			}
			h.outputs++
			if ev.Stream == remote.Stderr {
				h.stderr.Write(ev.Data)
			} else {
				h.stdout.Write(ev.Data)
			}
		case remote.EventNote:
			if !h.started {
				t.Errorf("%s: note before EventStart", name)
			}
			h.notes = append(h.notes, ev.Detail)
		case remote.EventDone:
			h.done = &ev
		default:
			t.Errorf("%s: unknown event kind %d", name, ev.Kind)
		}
		if observe != nil {
			observe(ev, logs)
		}
	}
	for i, h := range logs {
		if h.done == nil {
			t.Errorf("%s: no EventDone", targets[i].Name)
		}
	}
	return logs
}

func targetsNamed(names ...string) []remote.Target {
	ts := make([]remote.Target, len(names))
	for i, n := range names {
		ts[i] = remote.Target{Name: n, Transport: remote.KindLocal}
	}
	return ts
}

// runCmd is the job of most tests: one command, its output streamed.
func runCmd(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
	return tr.Run(ctx, &remote.Cmd{Shell: "true", Stdout: hio.Stdout, Stderr: hio.Stderr})
}

func TestRunnerReportsEachHostOutcome(t *testing.T) {
	fake := &remotetest.Fake{Scripts: map[string]remotetest.Script{
		"ok":      {Output: []remotetest.Chunk{remotetest.Stdout("hello\nworld\n")}},
		"exit3":   {Output: []remotetest.Chunk{remotetest.Stderr("bad\n")}, ExitCode: 3},
		"signal":  {ExitCode: -1, Signal: "KILL"},
		"slow":    {Delay: 20 * time.Millisecond, Output: []remotetest.Chunk{remotetest.Stdout("late")}},
		"refused": {DialErr: remote.Errorf(remote.ClassRefused, "dial", "connection refused")},
		"dns":     {DialErr: remote.Errorf(remote.ClassDNS, "dial", "no such host")},
		"auth":    {DialErr: remote.Errorf(remote.ClassAuth, "auth", "no key accepted")},
		"hostkey": {DialErr: remote.Errorf(remote.ClassHostKeyChanged, "handshake", "key changed")},
		"lost":    {Output: []remotetest.Chunk{remotetest.Stdout("half a li")}, Lost: true},
		"hung":    {Output: []remotetest.Chunk{remotetest.Stdout("waiting\n")}, Hang: true},
	}}
	targets := targetsNamed("ok", "exit3", "signal", "slow", "refused", "dns", "auth", "hostkey", "lost", "hung")
	r := &remote.Runner{Dialer: fake, Forks: 4, Timeout: 200 * time.Millisecond, Retry: remote.RetryPolicy{Attempts: 1}}
	logs := drain(t, r.Run(context.Background(), targets, runCmd), targets)

	want := []struct {
		class          remote.Class
		exit           int
		signal, stdout string
		stderr         string
	}{
		{remote.ClassNone, 0, "", "hello\nworld\n", ""},
		{remote.ClassNone, 3, "", "", "bad\n"},
		{remote.ClassNone, -1, "KILL", "", ""},
		{remote.ClassNone, 0, "", "late", ""},
		{remote.ClassRefused, 0, "", "", ""},
		{remote.ClassDNS, 0, "", "", ""},
		{remote.ClassAuth, 0, "", "", ""},
		{remote.ClassHostKeyChanged, 0, "", "", ""},
		{remote.ClassLost, 0, "", "half a li", ""},
		{remote.ClassTimeout, 0, "", "waiting\n", ""},
	}
	for i, w := range want {
		h, name := logs[i], targets[i].Name
		if !h.started {
			t.Errorf("%s: no EventStart", name)
		}
		if got := remote.ClassOf(h.done.Err); got != w.class {
			t.Errorf("%s: class %v (err %v); want %v", name, got, h.done.Err, w.class)
		}
		if h.done.Result.ExitCode != w.exit || h.done.Result.Signal != w.signal {
			t.Errorf("%s: result %+v; want exit %d signal %q", name, h.done.Result, w.exit, w.signal)
		}
		if h.stdout.String() != w.stdout || h.stderr.String() != w.stderr {
			t.Errorf("%s: stdout %q stderr %q; want %q, %q", name, h.stdout.String(), h.stderr.String(), w.stdout, w.stderr)
		}
	}
	if n := fake.Open(); n != 0 {
		t.Errorf("%d transports left open; the runner must close every one", n)
	}
}

func TestRunnerRetriesOnlyTransientDialFailures(t *testing.T) {
	fake := &remotetest.Fake{Scripts: map[string]remotetest.Script{
		"flaky":   {DialErr: remote.Errorf(remote.ClassProtocol, "handshake", "read: connection reset by peer (MaxStartups)"), DialFailures: 2},
		"down":    {DialErr: remote.Errorf(remote.ClassRefused, "dial", "connection refused")},
		"badauth": {DialErr: remote.Errorf(remote.ClassAuth, "auth", "permission denied")},
		"dropped": {DialErr: remote.Errorf(remote.ClassProtocol, "handshake", "EOF")},
	}}
	targets := targetsNamed("flaky", "down", "badauth", "dropped")
	r := &remote.Runner{Dialer: fake, Retry: remote.RetryPolicy{Attempts: 4, Base: time.Millisecond, Max: time.Millisecond}}
	logs := drain(t, r.Run(context.Background(), targets, runCmd), targets)

	if err := logs[0].done.Err; err != nil || fake.Dials("flaky") != 3 {
		t.Errorf("flaky: err %v after %d dials; want success on the 3rd dial", err, fake.Dials("flaky"))
	}
	if err := logs[1].done.Err; !errors.Is(err, remote.ClassRefused) || fake.Dials("down") != remote.RefusedAttempts {
		t.Errorf("down: err %v after %d dials; want refused after %d dials", err, fake.Dials("down"), remote.RefusedAttempts)
	}
	if err := logs[3].done.Err; !errors.Is(err, remote.ClassProtocol) || fake.Dials("dropped") != 4 {
		t.Errorf("dropped: err %v after %d dials; want protocol after 4 dials", err, fake.Dials("dropped"))
	}
	if err := logs[2].done.Err; !errors.Is(err, remote.ClassAuth) || fake.Dials("badauth") != 1 {
		t.Errorf("badauth: err %v after %d dials; want auth after 1 dial", err, fake.Dials("badauth"))
	}
}

func TestRunnerTimeoutBeatsTheTransportsClass(t *testing.T) {
	// A transport that calls its context's deadline a cancellation.
	sloppy := func(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
		<-ctx.Done()
		return remote.Result{}, remote.Errorf(remote.ClassCancelled, "run", "context canceled")
	}
	targets := targetsNamed("h")
	r := &remote.Runner{Dialer: &remotetest.Fake{}, Timeout: 10 * time.Millisecond}
	logs := drain(t, r.Run(context.Background(), targets, sloppy), targets)

	err := logs[0].done.Err
	var re *remote.Error
	if !errors.As(err, &re) || re.Class != remote.ClassTimeout || re.Op != "run" {
		t.Fatalf("err = %#v; want a ClassTimeout *remote.Error with Op run", err)
	}
	if errors.Is(err, remote.ClassCancelled) {
		t.Errorf("err %v still matches ClassCancelled", err)
	}
	if !strings.Contains(err.Error(), "10ms") || !strings.Contains(remote.HintOf(err), "timeout") {
		t.Errorf("err %q (hint %q) does not name the timeout", err, remote.HintOf(err))
	}
}

func TestRunnerTimeoutWhileDialling(t *testing.T) {
	fake := &remotetest.Fake{Default: remotetest.Script{DialDelay: time.Hour}}
	targets := targetsNamed("blackhole")
	r := &remote.Runner{Dialer: fake, Timeout: 10 * time.Millisecond}
	logs := drain(t, r.Run(context.Background(), targets, runCmd), targets)

	var re *remote.Error
	if err := logs[0].done.Err; !errors.As(err, &re) || re.Class != remote.ClassTimeout || re.Op != "dial" {
		t.Errorf("err = %v; want a dial timeout", err)
	}
	if n := fake.Dials("blackhole"); n != 1 {
		t.Errorf("%d dials; want 1: no retry once the host's deadline passed", n)
	}
}

func TestRunnerRunDeadlineIsATimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	targets := targetsNamed("hung")
	r := &remote.Runner{Dialer: &remotetest.Fake{Default: remotetest.Script{Hang: true}}}
	logs := drain(t, r.Run(ctx, targets, runCmd), targets)
	if err := logs[0].done.Err; remote.ClassOf(err) != remote.ClassTimeout || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("err = %v; want a timeout naming the run's deadline", err)
	}
}

func TestRunnerCancelMidRun(t *testing.T) {
	hang := remotetest.Script{Output: []remotetest.Chunk{remotetest.Stdout("partial\n")}, Hang: true}
	fake := &remotetest.Fake{
		Default: remotetest.Script{Output: []remotetest.Chunk{remotetest.Stdout("done\n")}},
		Scripts: map[string]remotetest.Script{"h2": hang, "h3": hang},
	}
	targets := targetsNamed("h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &remote.Runner{Dialer: fake, Forks: 2}
	// With two forks, h4 can only start once h2 or h3 ends, and they hang
	// until the cancel, which comes once both have written their output.
	logs := drainUntil(t, r.Run(ctx, targets, runCmd), targets, func(ev remote.Event, logs []hostLog) {
		if logs[0].done != nil && logs[1].done != nil && logs[2].outputs > 0 && logs[3].outputs > 0 {
			cancel()
		}
	})

	for i, h := range logs {
		name, err := targets[i].Name, h.done.Err
		var re *remote.Error
		switch {
		case i < 2:
			if err != nil || h.stdout.String() != "done\n" {
				t.Errorf("%s: err %v, stdout %q; want a finished host", name, err, h.stdout.String())
			}
		case i < 4:
			if !errors.As(err, &re) || re.Class != remote.ClassCancelled || re.Op != "run" || h.stdout.String() != "partial\n" {
				t.Errorf("%s: err %v, stdout %q; want a cancelled run that kept its output", name, err, h.stdout.String())
			}
		default:
			if h.started || !errors.As(err, &re) || re.Class != remote.ClassCancelled || re.Op != remote.OpStart {
				t.Errorf("%s: started %v, err %v; want a not-started host", name, h.started, err)
			}
			if n := fake.Dials(name); n != 0 {
				t.Errorf("%s: dialled %d times after the cancel", name, n)
			}
		}
	}
}

func TestRunnerRespectsForks(t *testing.T) {
	const forks = 4
	var mu sync.Mutex
	running, most, entered := 0, 0, 0
	release := make(chan struct{})
	job := func(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
		mu.Lock()
		running++
		most = max(most, running)
		entered++
		first := entered <= forks
		if entered == forks {
			close(release)
		}
		mu.Unlock()
		defer func() {
			mu.Lock()
			running--
			mu.Unlock()
		}()
		// The first forks jobs wait for each other: the runner must let
		// that many run at once.
		if first {
			select {
			case <-release:
			case <-time.After(testTimeout):
				return remote.Result{}, errors.New("fewer jobs than Forks ran at once")
			}
		}
		return remote.Result{}, nil
	}
	targets := make([]remote.Target, 50)
	for i := range targets {
		targets[i].Name = fmt.Sprintf("h%02d", i)
	}
	r := &remote.Runner{Dialer: &remotetest.Fake{}, Forks: forks}
	for i, h := range drain(t, r.Run(context.Background(), targets, job), targets) {
		if h.done.Err != nil {
			t.Errorf("%s: %v", targets[i].Name, h.done.Err)
		}
	}
	if most != forks {
		t.Errorf("at most %d jobs ran at once; want exactly Forks = %d", most, forks)
	}
}

func TestRunnerRecoversFromPanics(t *testing.T) {
	job := func(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
		if tr.OS() == remote.OSWindows {
			panic("boom")
		}
		return remote.Result{}, nil
	}
	fake := &remotetest.Fake{Scripts: map[string]remotetest.Script{"win": {OS: remote.OSWindows}}}
	targets := targetsNamed("win", "linux")
	logs := drain(t, (&remote.Runner{Dialer: fake}).Run(context.Background(), targets, job), targets)

	if err := logs[0].done.Err; remote.ClassOf(err) != remote.ClassOther || !strings.Contains(err.Error(), "panicked: boom") {
		t.Errorf("panicking host: err %v; want a ClassOther error naming the panic", err)
	}
	if err := logs[1].done.Err; err != nil {
		t.Errorf("other host: err %v; want success", err)
	}
	if n := fake.Open(); n != 0 {
		t.Errorf("%d transports left open after a panic", n)
	}
}

func TestRunnerAbandonsJobsThatIgnoreCancellation(t *testing.T) {
	release := make(chan struct{})
	lateWrite := make(chan error, 1)
	lateNote := make(chan bool, 1)
	stubborn := func(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
		<-release // ignores ctx
		_, err := hio.Stdout.Write([]byte("too late\n"))
		lateWrite <- err
		lateNote <- hio.Note("too late")
		return remote.Result{}, nil
	}
	fake := &remotetest.Fake{}
	targets := targetsNamed("stubborn")
	r := &remote.Runner{Dialer: fake, Timeout: 10 * time.Millisecond, Grace: 10 * time.Millisecond}
	logs := drain(t, r.Run(context.Background(), targets, stubborn), targets)

	if err := logs[0].done.Err; remote.ClassOf(err) != remote.ClassTimeout || !strings.Contains(err.Error(), "did not stop") {
		t.Errorf("err = %v; want a timeout saying the job was abandoned", err)
	}
	close(release)
	if err := <-lateWrite; err == nil {
		t.Error("a write after the host was reported done succeeded; want an error")
	}
	if <-lateNote {
		t.Error("a note after the host was reported done was sent; want it refused")
	}
	// The abandoned job's transport is closed once the job returns.
	for deadline := time.Now().Add(testTimeout); fake.Open() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the abandoned job's transport was never closed")
		}
	}
}

func TestRunnerManyTargets(t *testing.T) {
	const n = 10_000
	targets := make([]remote.Target, n)
	for i := range targets {
		targets[i].Name = fmt.Sprintf("node%05d", i)
	}
	fake := &remotetest.Fake{Default: remotetest.Script{Output: []remotetest.Chunk{remotetest.Stdout("ok\n")}}}
	logs := drain(t, (&remote.Runner{Dialer: fake}).Run(context.Background(), targets, runCmd), targets)
	for i, h := range logs {
		if !h.started || h.done.Err != nil || h.stdout.String() != "ok\n" {
			t.Fatalf("%s: started %v, err %v, stdout %q", targets[i].Name, h.started, h.done.Err, h.stdout.String())
		}
	}
	if most := fake.MaxRunning(); most > remote.DefaultForks {
		t.Errorf("%d commands ran at once; want at most %d", most, remote.DefaultForks)
	}
}

func TestRunnerNoTargets(t *testing.T) {
	events := (&remote.Runner{Dialer: &remotetest.Fake{}}).Run(context.Background(), nil, runCmd)
	if _, ok := <-events; ok {
		t.Error("got an event for an empty run; want the channel closed")
	}
}

func TestRunnerKeepsOutputInOrder(t *testing.T) {
	var chunks []remotetest.Chunk
	var wantOut, wantErr strings.Builder
	for i := range 200 {
		out := fmt.Sprintf("out %d\n", i)
		errLine := fmt.Sprintf("err %d", i) // lines cut across writes
		chunks = append(chunks, remotetest.Stdout(out), remotetest.Stderr(errLine), remotetest.Stderr("\n"))
		wantOut.WriteString(out)
		wantErr.WriteString(errLine + "\n")
	}
	fake := &remotetest.Fake{Default: remotetest.Script{Output: chunks}}
	targets := targetsNamed("a", "b", "c")
	r := &remote.Runner{Dialer: fake, MaxLine: 3}
	for i, h := range drain(t, r.Run(context.Background(), targets, runCmd), targets) {
		if h.stdout.String() != wantOut.String() || h.stderr.String() != wantErr.String() {
			t.Errorf("%s: output reordered or lost", targets[i].Name)
		}
	}
}

func TestRunnerSendsNotesInOrder(t *testing.T) {
	job := func(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
		for i := range 100 {
			if _, err := fmt.Fprintf(hio.Stdout, "line %d\n", i); err != nil {
				return remote.Result{}, err
			}
			if !hio.Note(i) {
				return remote.Result{}, errors.New("note refused while the job runs")
			}
		}
		return remote.Result{}, nil
	}
	targets := targetsNamed("a", "b", "c")
	r := &remote.Runner{Dialer: &remotetest.Fake{}}
	for i, h := range drain(t, r.Run(context.Background(), targets, job), targets) {
		if h.done.Err != nil || len(h.notes) != 100 || h.outputs != 100 {
			t.Fatalf("%s: err %v, %d notes, %d outputs; want 100 of each", targets[i].Name, h.done.Err, len(h.notes), h.outputs)
		}
		for n, d := range h.notes {
			if d != n {
				t.Fatalf("%s: note %d is %v; want them in order", targets[i].Name, n, d)
			}
		}
	}
}

func TestRunnerRejectsMissingParts(t *testing.T) {
	for name, run := range map[string]func(){
		"nil dialer": func() { (&remote.Runner{}).Run(context.Background(), nil, runCmd) },
		"nil job":    func() { (&remote.Runner{Dialer: &remotetest.Fake{}}).Run(context.Background(), nil, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Run did not panic")
				}
			}()
			run()
		})
	}
}

// BenchmarkRunnerOutput pushes 1 MB of output from each of 1000 hosts
// through the runner to one reader.
func BenchmarkRunnerOutput(b *testing.B) {
	const hosts, perHost, write = 1000, 1 << 20, 32 << 10
	chunk := bytes.Repeat([]byte(strings.Repeat("x", 99)+"\n"), write/100)
	job := func(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
		for sent := 0; sent < perHost; sent += len(chunk) {
			if _, err := hio.Stdout.Write(chunk); err != nil {
				return remote.Result{}, err
			}
		}
		return remote.Result{}, nil
	}
	targets := make([]remote.Target, hosts)
	for i := range targets {
		targets[i].Name = fmt.Sprintf("h%04d", i)
	}
	r := &remote.Runner{Dialer: &remotetest.Fake{}}
	b.SetBytes(hosts * perHost)
	for b.Loop() {
		for ev := range r.Run(context.Background(), targets, job) {
			if ev.Kind == remote.EventDone && ev.Err != nil {
				b.Fatal(ev.Err)
			}
		}
	}
}
