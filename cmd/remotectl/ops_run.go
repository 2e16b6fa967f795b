package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/remotectl/remotectl/internal/secret"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/runrec"
)

// opsRun is the unattended-operations side of one run of a command that
// runs jobs on hosts: the lock, the jitter, the deadline, the log, the run
// record, the report and metrics files and the syslog line. A command uses
// it in this order:
//
//	ops, err := a.newOpsRun("exec", args)   // first: --cron changes the settings
//	runCtx, inv, err := ops.beginWithInventory(ctx) // lock, jitter, deadline, inventory
//	defer ops.close()
//	targets, err = ops.rerunTargets(targets)
//	events = ops.observeExec(runner.Run(runCtx, targets, job), targets)
//	... render ...
//	code = ops.finishExec(summary, code)
type opsRun struct {
	a       *app
	o       opsOptions
	command string
	args    []string
	id      string
	key     string
	start   time.Time // when the run proper started (after the lock and jitter)

	store  *runrec.Store // nil when history is off
	lock   *runLock
	log    *slog.Logger
	logOut io.Closer
	logW   *errWriter // the --log-file, remembering a failed write

	// outDir is exec's --outdir, checked with the other outputs.
	outDir string
	// outErr: some output could not be written (see outputFailed).
	outErr error

	runCtx         context.Context
	cancelDeadline context.CancelFunc

	nagios bool // check -o nagios: exit codes are Nagios states
	// dryRun: the run changes nothing (play --check); it is recorded as
	// such and never the base of --rerun.
	dryRun   bool
	progress *fleetProgress
	outputs  *runrec.OutputRecorder // exec: digests of each host's output
	branches branchSet              // renderers of the report and textfile
	// Documents of the extra renderers: the --report JSON, and the metrics
	// of a check run for --prometheus-textfile.
	reportDoc, checkMetrics *branch

	// secrets are masked in everything the run prints or writes: output,
	// results, the report, the run record and the log. The command adds
	// the secrets of its hosts before they run.
	secrets *secret.Masker
}

// newOpsRun reads the settings of unattended runs for command (whose own
// arguments are args: the remote command, the check files). Call it before
// anything reads a.g: --cron changes quiet, colour and prompting.
func (a *app) newOpsRun(command string, args []string) (*opsRun, error) {
	o, err := a.opsOptions()
	if err != nil {
		return nil, err
	}
	r := &opsRun{a: a, o: o, command: command, args: slices.Clone(args), log: slog.New(slog.DiscardHandler), secrets: &secret.Masker{}}
	r.key = runrec.Key(command, r.args, a.absInventories())
	if o.KeepRuns > 0 {
		if dir := runrec.DefaultDir(a.io.Getenv); dir != "" {
			r.store = &runrec.Store{Dir: dir}
		}
	}
	return r, nil
}

// begin checks the outputs and opens the log, takes the lock, waits the
// jitter and starts the deadline. It returns the context the run's hosts
// must use. Call close when the command ends, whatever begin returned.
func (r *opsRun) begin(ctx context.Context) (context.Context, error) {
	now := time.Now()
	r.id = runrec.NewID(now, r.command)
	if err := r.checkSinks(); err != nil {
		return nil, err
	}
	if err := r.takeLock(now); err != nil {
		r.log.Warn("lock held by another run", "run", r.id, "error", err.Error())
		return nil, err
	}
	if err := r.waitJitter(ctx); err != nil {
		return nil, err
	}
	r.start = time.Now()
	r.runCtx, r.cancelDeadline = context.WithCancel(ctx)
	if r.o.Deadline > 0 {
		r.runCtx, r.cancelDeadline = context.WithTimeout(ctx, r.o.Deadline)
	}
	return r.runCtx, nil
}

// beginWithInventory begins the run (lock, jitter, deadline) and then
// loads the inventory under the run's context. The lock comes first so that
// a second run of a cron job exits 75 at once even while the first is stuck
// in its dynamic inventory, which --deadline and Ctrl-C then stop too. Call
// close when the command ends, whatever this returned.
func (r *opsRun) beginWithInventory(ctx context.Context) (context.Context, *inventory.Inventory, error) {
	runCtx, err := r.begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	inv, err := r.a.loadInventory(runCtx)
	if err != nil {
		r.log.Warn("inventory not loaded", "run", r.id, "error", err.Error())
		return nil, nil, err
	}
	// Every secret of the inventory is masked from here on, before the
	// log names the run's arguments, which may carry one.
	r.secrets.Add(r.a.hostSecrets(inv.Hosts())...)
	r.log.Info("run started", "run", r.id, "command", r.command, "args", r.args,
		"inventories", r.a.g.Inventories, "hosts", r.a.g.Hosts, "limit", r.a.g.Limit, "deadline", r.o.Deadline, "dry_run", r.dryRun)
	return runCtx, inv, nil
}

// close ends the deadline, releases the lock and closes the log.
func (r *opsRun) close() {
	if r.cancelDeadline != nil {
		r.cancelDeadline()
	}
	if err := r.lock.release(); err != nil {
		r.warn("releasing the lock: %v", err)
	}
	if r.logOut != nil {
		_ = r.logOut.Close()
	}
}

// takeLock takes the --lock file, if asked.
func (r *opsRun) takeLock(now time.Time) error {
	if r.o.Lock == "" {
		return nil
	}
	path := r.o.Lock
	if path == lockAuto {
		var err error
		if path, err = r.a.defaultLockPath(r.command, r.args); err != nil {
			return err
		}
	}
	l, err := acquireLock(path, lockHolder{PID: os.Getpid(), Started: now, Command: r.command, RunID: r.id})
	if err != nil {
		return err
	}
	r.lock = l
	r.log.Debug("lock taken", "run", r.id, "path", path)
	return nil
}

// waitJitter sleeps a random time up to --jitter; an interruption ends the
// wait (and the run).
func (r *opsRun) waitJitter(ctx context.Context) error {
	if r.o.Jitter <= 0 {
		return nil
	}
	d := rand.N(r.o.Jitter)
	r.log.Debug("waiting before starting (jitter)", "run", r.id, "wait", d)
	if r.a.g.Verbose > 0 {
		fmt.Fprintf(r.a.io.Err, "remotectl: waiting %s before starting (--jitter %s)\n", d.Round(time.Millisecond), r.o.Jitter)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deadlineExpired reports whether the run's deadline ended it. Call it once
// the events are all read: it first ends the deadline's timer, so a
// deadline passing after the last host finished does not count.
func (r *opsRun) deadlineExpired() bool {
	if r.runCtx == nil || r.o.Deadline <= 0 {
		return false
	}
	r.cancelDeadline()
	return errors.Is(r.runCtx.Err(), context.DeadlineExceeded)
}

// rerunTargets keeps, with --rerun, the targets the chosen earlier run
// selects, in their order. With no host to run on again, it says so and
// returns an exitError with code 0.
func (r *opsRun) rerunTargets(targets []remote.Target) ([]remote.Target, error) {
	if r.o.Rerun == "" {
		return targets, nil
	}
	store := runrec.Store{Dir: runrec.DefaultDir(r.a.io.Getenv)}
	from, prev, err := r.rerunSource(store)
	if err != nil {
		return nil, err
	}
	names, err := runrec.RerunHosts(r.o.Rerun, from, prev)
	if err != nil {
		return nil, usageError{err}
	}
	var kept []remote.Target
	for _, t := range targets {
		if slices.Contains(names, t.Name) {
			kept = append(kept, t)
		}
	}
	r.log.Info("rerun", "run", r.id, "from", from.ID, "mode", r.o.Rerun, "hosts", len(kept))
	if len(kept) == 0 {
		fmt.Fprintf(r.a.io.Err, "remotectl: nothing to rerun: no selected host is %s in run %s\n", r.o.Rerun, from.ID)
		return nil, exitError{exitOK}
	}
	if r.a.g.Verbose > 0 {
		fmt.Fprintf(r.a.io.Err, "remotectl: rerunning on %d %s host(s) of run %s\n", len(kept), r.o.Rerun, from.ID)
	}
	return kept, nil
}

// rerunSource returns the run --rerun takes hosts from (--from, else the
// last run of the same command) and, for --rerun changed, the run before it.
func (r *opsRun) rerunSource(store runrec.Store) (from, prev *runrec.Record, err error) {
	if r.o.RerunFrom != "" {
		from, err = store.Load(r.o.RerunFrom)
		if err == nil && from.DryRun {
			return nil, nil, usageError{fmt.Errorf("--from %s: run %s was a dry run (--check): it changed nothing, so it cannot tell which hosts to run on again; hint: name a real run (remotectl runs list), or leave out --from for the last one", r.o.RerunFrom, from.ID)}
		}
	} else {
		from, err = store.Latest(r.key, r.id)
	}
	if err != nil {
		if errors.Is(err, runrec.ErrNotFound) {
			return nil, nil, usageError{fmt.Errorf("--rerun %s: %w; hint: run the command once without --rerun, or name a run with --from", r.o.Rerun, err)}
		}
		if errors.Is(err, runrec.ErrAmbiguous) {
			return nil, nil, usageError{fmt.Errorf("--from: %w", err)}
		}
		return nil, nil, err
	}
	if r.o.Rerun == runrec.RerunChanged {
		if prev, err = store.Previous(from); err != nil && !errors.Is(err, runrec.ErrNotFound) {
			return nil, nil, err
		}
	}
	return from, prev, nil
}

// warn tells the user about a problem that does not change the run's
// outcome (history, log, syslog).
func (r *opsRun) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(r.a.io.Err, "remotectl: %s\n", msg)
	r.log.Warn(msg, "run", r.id)
}
