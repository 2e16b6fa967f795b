package checks

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// A LocalExecutor is an Executor whose host is the machine remotectl runs
// on (remote/local's transport). When OnController is true, a Linux host's
// gather reads what its probes need directly in Go (/proc, /etc/passwd,
// /etc/group, the dpkg database, sysfs, files' status, contents and
// checksums) instead of running the gather script, and spawns nothing for
// them; the probes it cannot answer exactly as the script would (a
// service's state, an rpm database, a name the resolver must look up, any
// read that fails) still run in one gather script, so both ways give the
// same results. Over SSH the gather stays one script, one round trip.
type LocalExecutor interface {
	Executor
	OnController() bool
}

// readsLocally reports whether a gather on exec reads the host in Go: a
// local executor on Linux whose probes do not run through sudo (prepare
// sets Become), which the script path refuses or performs.
func readsLocally(exec Executor, family remote.OSFamily, prepare func(*remote.Cmd)) bool {
	lx, ok := exec.(LocalExecutor)
	if !ok || !lx.OnController() || family != remote.OSLinux || !localReadable {
		return false
	}
	probe := &remote.Cmd{}
	prepare(probe)
	return !probe.Become
}

// runLocal answers the requests in Go where it can, concurrently, each
// bounded by its timeout; then the others run in gather scripts.
func (g *gather) runLocal(ctx context.Context, exec Executor, prepare func(*remote.Cmd)) {
	rd := newLocalReader()
	fallback := make([]bool, len(g.reqs)) // each goroutine writes its own
	var wg sync.WaitGroup
	sem := make(chan struct{}, localReads)
	for i, r := range g.reqs {
		if !rd.handles(r.call) {
			fallback[i] = true
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			g.sections[i], fallback[i] = g.readLocal(ctx, rd, r)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		g.err = fmt.Errorf("the probes were stopped: %w", err)
		return
	}
	var script []int
	for i, f := range fallback {
		if f {
			script = append(script, i)
		}
	}
	g.runScriptsBeside(ctx, exec, prepare, script)
}

// localReads is how many requests are read in Go at once: enough to hide
// a slow disk, few enough not to hold a thread per file of a large file.
const localReads = 16

// localScripts is how many gather scripts the controller runs at once for
// the requests Go does not answer (services' states, as goss asks systemctl
// for each at once).
const localScripts = 4

// runScriptsBeside runs the requests idx in up to localScripts gather
// scripts at once, the requests dealt out in turn.
func (g *gather) runScriptsBeside(ctx context.Context, exec Executor, prepare func(*remote.Cmd), idx []int) {
	parts := make([][]int, min(len(idx), localScripts))
	for n, i := range idx {
		parts[n%len(parts)] = append(parts[n%len(parts)], i)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex // guards g.err
	for _, part := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.runSubset(ctx, exec, prepare, part); err != nil {
				mu.Lock()
				g.err = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// readLocal runs one request's Go reader, stopping waiting for it after
// its timeout as the script's watch would (the reader itself, blocked in
// the kernel on a hung mount, ends when it can). fallback is true when the
// request must run in the script instead.
func (g *gather) readLocal(ctx context.Context, rd *localReader, r request) (sec section, fallback bool) {
	type answer struct {
		sec section
		ok  bool
	}
	done := make(chan answer, 1)
	go func() {
		sec, ok := rd.read(r.call)
		done <- answer{sec, ok}
	}()
	var timeout <-chan time.Time
	if r.timeout > 0 {
		t := time.NewTimer(r.timeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case a := <-done:
		return a.sec, !a.ok
	case <-timeout:
		return section{ok: true, code: -1, stderr: fmt.Sprintf(
			"stopped after %s without output (the check's timeout:, or its type's default)", r.timeout)}, false
	case <-ctx.Done():
		return section{}, false // not found: the gather's error says why
	}
}

// runSubset runs the requests idx in gather scripts and files their
// sections under their own numbers; it returns the error that stopped the
// scripts, if any.
func (g *gather) runSubset(ctx context.Context, exec Executor, prepare func(*remote.Cmd), idx []int) error {
	sub := &gather{os: g.os, helpers: g.helpers, helper: g.helper, byKey: map[string]int{}}
	for _, i := range idx {
		sub.reqs = append(sub.reqs, g.reqs[i])
	}
	sub.sections = make([]section, len(sub.reqs))
	sub.runScripts(ctx, exec, prepare)
	for j, i := range idx {
		g.sections[i] = sub.sections[j]
	}
	return sub.err
}
