package remote

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
)

// Runner defaults.
const (
	DefaultForks = 64
	DefaultGrace = 5 * time.Second
)

// OpStart is the Op of the error reported for a host that never started
// because the run was interrupted first.
const OpStart = "start"

// maxEventBuffer caps the event channel's buffer, whatever Forks is.
const maxEventBuffer = 1024

// Runner runs one job on many hosts at once: at most Forks hosts in flight,
// each with its own deadline and its own connection. A host that fails never
// stops the others.
type Runner struct {
	Dialer  Dialer
	Forks   int           // most hosts in flight at once; <= 0 means DefaultForks
	Timeout time.Duration // per host, for the whole job, connecting included; 0 means none
	Retry   RetryPolicy   // for dialling only: a command is never run twice
	MaxLine int           // longest unfinished output line held back before it is sent in chunks; <= 0 means DefaultMaxLine
	// Grace is how long a job may take to return once its host's context is
	// done. A job still running after that is abandoned: the host is reported
	// (timed out or cancelled), its output writers refuse further writes, and
	// the job's goroutine is left to end on its own. <= 0 means DefaultGrace.
	Grace time.Duration
}

// Run starts the job on every target and returns the channel its events come
// on. For each target, in this order: one EventStart, EventOutput and
// EventNote events as the job writes output and notes, and one EventDone; events of different hosts interleave.
// The channel is closed after the last EventDone. The caller must read it
// until it is closed.
//
// Each host's job gets a context that ends at the host's Timeout or when ctx
// is done, a transport dialled with the Retry policy (closed after the job),
// and writers that turn its output into EventOutput events (see Event.Data).
// EventDone carries the job's Result and its error, classified:
//   - a failure after the host's deadline is a ClassTimeout error, and one
//     after ctx was cancelled a ClassCancelled error, whatever the transport
//     called it;
//   - a panic in the job is a ClassOther error of that host alone;
//   - a host not yet started when ctx is done gets no EventStart and no
//     connection, only an EventDone with a ClassCancelled error whose Op is
//     OpStart.
//
// Run panics when r.Dialer or job is nil. The targets must not be changed
// while the run goes on: events point into the slice.
func (r *Runner) Run(ctx context.Context, targets []Target, job Job) <-chan Event {
	if r.Dialer == nil {
		panic("remote: Runner.Run with a nil Dialer")
	}
	if job == nil {
		panic("remote: Runner.Run with a nil Job")
	}
	forks := r.Forks
	if forks <= 0 {
		forks = DefaultForks
	}
	forks = min(forks, len(targets))
	out := make(chan Event, min(4*forks, maxEventBuffer))

	// One goroutine per host in flight, at most forks at once: the host's
	// goroutine runs its job itself, so that a run with a thousand sessions
	// open does not also park a thousand workers waiting for them.
	slots := make(chan struct{}, forks)
	go func() {
		var hosts sync.WaitGroup
		for i := range targets {
			slots <- struct{}{}
			hosts.Add(1)
			go r.runHost(ctx, i, &targets[i], job, out, func() {
				<-slots
				hosts.Done()
			})
		}
		hosts.Wait()
		close(out)
	}()
	return out
}

// runHost runs job on one target, sends its events and then calls release,
// once. A job still running Grace after its host's context is done is
// abandoned: the host is reported and released at that point, its output
// writers refuse further writes, and its goroutine ends on its own.
func (r *Runner) runHost(ctx context.Context, i int, t *Target, job Job, out chan<- Event, release func()) {
	if ctx.Err() != nil {
		out <- Event{Kind: EventDone, Index: i, Target: t, Time: time.Now(), Err: &Error{
			Class: ClassCancelled,
			Op:    OpStart,
			Err:   errors.New("not started: the run was interrupted first"),
		}}
		release()
		return
	}
	out <- Event{Kind: EventStart, Index: i, Target: t, Time: time.Now()}

	hostCtx, cancel := r.hostContext(ctx)
	stdout := newLineWriter(out, i, t, Stdout, r.MaxLine)
	stderr := newLineWriter(out, i, t, Stderr, r.MaxLine)
	notes := &noteWriter{out: out, index: i, target: t}
	var once sync.Once
	finish := func(res Result, err error) {
		once.Do(func() {
			notes.close()
			stdout.close()
			stderr.close()
			out <- Event{Kind: EventDone, Index: i, Target: t, Time: time.Now(), Result: res, Err: r.Settle(ctx, hostCtx, err)}
			cancel()
			release()
		})
	}
	grace := r.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	stopWatch := context.AfterFunc(hostCtx, func() {
		time.AfterFunc(grace, func() {
			finish(Result{}, fmt.Errorf("%w: the job did not stop within %s of being interrupted", errAbandoned, grace))
		})
	})
	o := r.attempt(hostCtx, *t, job, HostIO{Target: t, Stdout: stdout, Stderr: stderr, Note: notes.note})
	stopWatch()
	finish(o.res, o.err)
}

func (r *Runner) hostContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.Timeout > 0 {
		return context.WithTimeout(ctx, r.Timeout)
	}
	return context.WithCancel(ctx)
}

// errAbandoned marks the outcome of a job that did not return in time after
// its context was done.
var errAbandoned = errors.New("abandoned")

// outcome is what one host's job produced.
type outcome struct {
	res Result
	err error
}

// attempt connects to t, runs job and closes the connection. A panic in the
// dialer, the job or the transport becomes the host's error.
func (r *Runner) attempt(ctx context.Context, t Target, job Job, hio HostIO) (o outcome) {
	defer func() {
		if p := recover(); p != nil {
			o = outcome{err: &Error{Class: ClassOther, Op: "run", Err: fmt.Errorf("the job panicked: %v\n%s", p, debug.Stack())}}
		}
	}()
	tr, err := r.Retry.Dial(ctx, r.Dialer, t)
	if err != nil {
		return outcome{err: Wrap(ClassOf(err), "dial", err)}
	}
	// A failure to close says nothing about the job's outcome, which is
	// already known: it is not reported.
	defer func() { _ = tr.Close() }()
	res, err := job(ctx, tr, hio)
	return outcome{res: res, err: err}
}

// Settle classifies a host's error. Once the host's context is done,
// any failure is reported as what ended it: the host's deadline (ClassTimeout)
// or the run's interruption (ClassCancelled, or ClassTimeout for a deadline of
// the whole run), whatever the transport called it. The Op of the original
// error is kept. A job that reports its own failures (a playbook's tasks)
// settles them with it, host being the job's context and parent the one
// Run was given.
func (r *Runner) Settle(parent, host context.Context, err error) error {
	if err == nil || host.Err() == nil {
		return err
	}
	op := "run"
	var re *Error
	if errors.As(err, &re) && re.Op != "" {
		op = re.Op
	}
	e := &Error{Class: ClassTimeout, Op: op}
	switch {
	case parent.Err() == nil:
		e.Err = fmt.Errorf("no result within %s", r.Timeout)
		e.Hint = fmt.Sprintf("the per-host timeout is %s: raise it if the host needs longer", r.Timeout)
	case errors.Is(parent.Err(), context.DeadlineExceeded):
		e.Err = errors.New("the run's deadline passed")
	default:
		e.Class = ClassCancelled
		e.Err = errors.New("interrupted")
	}
	if errors.Is(err, errAbandoned) {
		e.Err = fmt.Errorf("%v; %v", e.Err, err)
	}
	return e
}
