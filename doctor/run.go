package doctor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// Options say how Run diagnoses hosts.
type Options struct {
	Forks   int           // most hosts diagnosed at once; <= 0 means remote.DefaultForks
	Timeout time.Duration // per host, for all its steps; 0 means none
	// Kinds are the steps of each transport kind. A host whose kind has none
	// fails a single settings step.
	Kinds map[string]Steps
}

// Run diagnoses the targets in parallel on a remote.Runner and yields their
// reports in target order, each as soon as it and those before it are
// ready. The channel is closed after the last report; the caller must read
// it until then. Once ctx is done, the steps not yet run are skipped.
func Run(ctx context.Context, targets []remote.Target, o Options) <-chan Report {
	index := make(map[*remote.Target]int, len(targets))
	reports := make([]chan Report, len(targets))
	for i := range targets {
		index[&targets[i]] = i
		reports[i] = make(chan Report, 1)
	}
	r := remote.Runner{Dialer: remote.DialerFunc(unconnectedDial), Forks: o.Forks, Timeout: o.Timeout}
	events := r.Run(ctx, targets, func(ctx context.Context, _ remote.Transport, hio remote.HostIO) (remote.Result, error) {
		reports[index[hio.Target]] <- o.diagnose(ctx, *hio.Target)
		return remote.Result{}, nil
	})
	ordered := make(chan Report)
	go func() {
		defer close(ordered)
		pending := map[int]Report{}
		next := 0
		for ev := range events {
			if ev.Kind != remote.EventDone {
				continue
			}
			select {
			case rep := <-reports[ev.Index]:
				pending[ev.Index] = rep
			default:
				// Not started, or abandoned after its deadline: every step
				// is reported skipped.
				pending[ev.Index] = o.diagnose(expired(ctx), *ev.Target)
			}
			for rep, ok := pending[next]; ok; rep, ok = pending[next] {
				ordered <- rep
				delete(pending, next)
				next++
			}
		}
	}()
	return ordered
}

// diagnose runs the steps of one host's transport.
func (o Options) diagnose(ctx context.Context, t remote.Target) Report {
	kind := t.Transport
	if kind == "" {
		kind = remote.KindSSH
	}
	s, ok := o.Kinds[kind]
	if !ok {
		s = StepsFunc(unknownKind)
	}
	steps, release := s.Steps(t)
	defer release()
	return newReport(t, kind, runSteps(ctx, steps))
}

// unknownKind is the one step of a host whose transport doctor has no steps
// for.
func unknownKind(t remote.Target) ([]Step, func()) {
	return []Step{{Name: "settings", Run: func(context.Context) Finding {
		return Finding{Status: Fail, Summary: fmt.Sprintf("unknown transport %q", t.Transport),
			Fix: "set the host's transport to ssh, winrm or local in the inventory"}
	}}}, func() {}
}

// expired returns a context that is done, for a host whose steps cannot
// run any more: ctx itself when it is done.
func expired(ctx context.Context) context.Context {
	if ctx.Err() != nil {
		return ctx
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	return done
}

// errUnconnected is the error of any use of an unconnected transport.
var errUnconnected = errors.New("doctor's steps open their own connections")

// unconnectedDial is the Runner's dialer: doctor's steps connect on their
// own, one step at a time, so the Runner must not connect first.
func unconnectedDial(context.Context, remote.Target) (remote.Transport, error) {
	return remote.Unconnected{Err: errUnconnected}, nil
}
