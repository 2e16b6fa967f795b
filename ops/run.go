package ops

import (
	"cmp"
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
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
	"github.com/remotectl/remotectl/runrec"
)

// Clock tells the time and waits. A Run uses the system clock unless given
// another (tests move a fake one by hand).
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Command is the command line a Run is for.
type Command struct {
	Name string   // exec, check, play
	Args []string // its own arguments: the remote command, the check files, the playbook
	// OutDir is exec's --outdir, checked with the run's other outputs.
	OutDir string
	// DryRun: the run changes nothing (play --check); it is recorded as
	// such and never the base of --rerun.
	DryRun bool
}

// Scope is what a run runs on, as the user named it: it keys the lock and
// the history, and the run record keeps it.
type Scope struct {
	Inventories []string // absolute paths
	Hosts       string   // -H
	Limit       string   // --limit
	Shard       string   // --shard K/N, "" when not sharded
}

// ExitCodes are the command's exit-code rules that the end of a run
// applies.
type ExitCodes struct {
	OK          int // every host succeeded
	Interrupted int // Ctrl-C
	// DeadlinePassed returns the code of a run whose --deadline stopped
	// hosts, from the code its hosts decided.
	DeadlinePassed func(code int) int
	// OutputFailed returns the code of a run an output of which could not
	// be written.
	OutputFailed func(code int) int
}

// Deps are what a Run uses from outside it.
type Deps struct {
	// Err is standard error: warnings, notes of -v, --log-file "-" and the
	// status line.
	Err io.Writer
	// Getenv reads the environment (the directory of a derived lock file).
	Getenv func(string) string
	// Clock is the time and the jitter's wait; nil: the system clock.
	Clock Clock
	// History is the run-record store --rerun reads and the run's record
	// goes to (when Options.KeepRuns > 0); a Dir of "" means there is none.
	History runrec.Store
	// Secrets are masked in everything the run prints or writes: output,
	// results, the report, the run record and the log. The command adds the
	// secrets of its hosts before they run. Nil: a new, empty Masker.
	Secrets *secret.Masker
	// Terminal is where the status line would be drawn.
	Terminal Terminal
	Scope    Scope
	Verbose  bool // -v: notes on standard error, debug lines in the log
	Codes    ExitCodes
}

// Run is the unattended-operations side of one run of a command that runs
// jobs on hosts. A command uses it in this order:
//
//	r := ops.New(cmd, opts, deps)
//	runCtx, inv, err := r.BeginWithInventory(ctx, load) // outputs, log, lock, jitter, deadline
//	defer r.Close()
//	targets, err = r.Rerun(targets)
//	ropts = r.ExecReportOptions(ropts, targets) // the status line
//	events = r.ObserveExec(runner.Run(runCtx, targets, job), targets)
//	... render ...
//	code = r.FinishExec(summary, code)
type Run struct {
	o     Options
	d     Deps
	clock Clock
	cmd   Command
	id    string
	key   string
	start time.Time // when the run proper started (after the lock and jitter)

	lock   *Lock
	log    *slog.Logger
	logOut io.Closer
	logW   *ErrWriter // the --log-file, remembering a failed write

	// outErr: some output could not be written (see OutputFailed).
	outErr error

	runCtx         context.Context
	cancelDeadline context.CancelFunc

	progress *fleetProgress
	outputs  *runrec.OutputRecorder // exec: digests of each host's output
	branches branchSet              // renderers of the report and textfile
	// Documents of the extra renderers: the --report JSON, and the metrics
	// of a check run for --prometheus-textfile.
	reportDoc, checkMetrics *branch
}

// New returns the Run of cmd with the settings o.
func New(cmd Command, o Options, d Deps) *Run {
	cmd.Args = slices.Clone(cmd.Args)
	if d.Secrets == nil {
		d.Secrets = &secret.Masker{}
	}
	r := &Run{o: o, d: d, clock: d.Clock, cmd: cmd, log: slog.New(slog.DiscardHandler)}
	if r.clock == nil {
		r.clock = systemClock{}
	}
	keyArgs := cmd.Args
	if d.Scope.Shard != "" { // --rerun of a shard starts from the same shard's last run
		keyArgs = append(slices.Clone(cmd.Args), "\x00shard", d.Scope.Shard)
	}
	r.key = runrec.Key(cmd.Name, keyArgs, d.Scope.Inventories)
	return r
}

// Options returns the run's settings.
func (r *Run) Options() Options { return r.o }

// ID returns the run's ID, once Begin has been called.
func (r *Run) ID() string { return r.id }

// RunInfo identifies the run in JSON documents, once Begin has been
// called: --run-id (the ID every shard of a sharded run shares), else the
// run's own ID.
func (r *Run) RunInfo() *report.RunInfo {
	return &report.RunInfo{ID: cmp.Or(r.o.RunID, r.id), Command: r.cmd.Name, Shard: r.d.Scope.Shard}
}

// Secrets returns the masker of the run, to add secrets to.
func (r *Run) Secrets() *secret.Masker { return r.d.Secrets }

// Begin checks the outputs and opens the log, takes the lock, waits the
// jitter and starts the deadline, then calls load (which loads the
// inventory) under the run's context. The lock comes first so that a
// second run of a cron job exits at once even while the first is stuck in
// its dynamic inventory, which --deadline and Ctrl-C then stop too. It
// returns the context the run's hosts must use. Call Close when the command
// ends, whatever Begin returned.
func (r *Run) Begin(ctx context.Context, load func(context.Context) error) (context.Context, error) {
	now := r.clock.Now()
	r.id = runrec.NewID(now, r.cmd.Name)
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
	r.start = r.clock.Now()
	r.runCtx, r.cancelDeadline = context.WithCancel(ctx)
	if r.o.Deadline > 0 {
		r.runCtx, r.cancelDeadline = context.WithTimeout(ctx, r.o.Deadline)
	}
	if err := load(r.runCtx); err != nil {
		r.log.Warn("inventory not loaded", "run", r.id, "error", err.Error())
		return nil, err
	}
	s := r.d.Scope
	r.log.Info("run started", "run", r.id, "command", r.cmd.Name, "args", r.cmd.Args,
		"inventories", s.Inventories, "hosts", s.Hosts, "limit", s.Limit, "deadline", r.o.Deadline, "dry_run", r.cmd.DryRun)
	return r.runCtx, nil
}

// Close ends the deadline, releases the lock and closes the log.
func (r *Run) Close() {
	if r.cancelDeadline != nil {
		r.cancelDeadline()
	}
	if err := r.lock.Release(); err != nil {
		r.warn("releasing the lock: %v", err)
	}
	if r.logOut != nil {
		_ = r.logOut.Close()
	}
}

// takeLock takes the --lock file, if asked.
func (r *Run) takeLock(now time.Time) error {
	if r.o.Lock == "" {
		return nil
	}
	path := r.o.Lock
	if path == LockAuto {
		var err error
		if path, err = DefaultLockPath(r.d.Getenv, r.cmd.Name, r.cmd.Args, r.d.Scope); err != nil {
			return err
		}
	}
	l, err := AcquireLock(path, LockHolder{PID: os.Getpid(), Started: now, Command: r.cmd.Name, RunID: r.id}, now)
	if err != nil {
		return err
	}
	r.lock = l
	r.log.Debug("lock taken", "run", r.id, "path", path)
	return nil
}

// waitJitter sleeps a random time up to --jitter; an interruption ends the
// wait (and the run).
func (r *Run) waitJitter(ctx context.Context) error {
	if r.o.Jitter <= 0 {
		return nil
	}
	d := rand.N(r.o.Jitter)
	r.log.Debug("waiting before starting (jitter)", "run", r.id, "wait", d)
	if r.d.Verbose {
		fmt.Fprintf(r.d.Err, "remotectl: waiting %s before starting (--jitter %s)\n", d.Round(time.Millisecond), r.o.Jitter)
	}
	select {
	case <-r.clock.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deadlineExpired reports whether the run's deadline ended it. Call it once
// the events are all read: it first ends the deadline's timer, so a
// deadline passing after the last host finished does not count.
func (r *Run) deadlineExpired() bool {
	if r.runCtx == nil || r.o.Deadline <= 0 {
		return false
	}
	r.cancelDeadline()
	return errors.Is(r.runCtx.Err(), context.DeadlineExceeded)
}

// Rerun keeps, with --rerun, the targets the chosen earlier run selects, in
// their order. With no host to run on again, it says so and returns
// ErrNothingToRerun.
func (r *Run) Rerun(targets []remote.Target) ([]remote.Target, error) {
	if r.o.Rerun == "" {
		return targets, nil
	}
	from, prev, err := r.rerunSource(r.d.History)
	if err != nil {
		return nil, err
	}
	names, err := runrec.RerunHosts(r.o.Rerun, from, prev)
	if err != nil {
		return nil, UsageError{Err: err}
	}
	var kept []remote.Target
	for _, t := range targets {
		if slices.Contains(names, t.Name) {
			kept = append(kept, t)
		}
	}
	r.log.Info("rerun", "run", r.id, "from", from.ID, "mode", r.o.Rerun, "hosts", len(kept))
	if len(kept) == 0 {
		fmt.Fprintf(r.d.Err, "remotectl: nothing to rerun: no selected host is %s in run %s\n", r.o.Rerun, from.ID)
		return nil, ErrNothingToRerun
	}
	if r.d.Verbose {
		fmt.Fprintf(r.d.Err, "remotectl: rerunning on %d %s host(s) of run %s\n", len(kept), r.o.Rerun, from.ID)
	}
	return kept, nil
}

// rerunSource returns the run --rerun takes hosts from (--from, else the
// last run of the same command) and, for --rerun changed, the run before it.
func (r *Run) rerunSource(store runrec.Store) (from, prev *runrec.Record, err error) {
	if r.o.RerunFrom != "" {
		from, err = store.Load(r.o.RerunFrom)
		if err == nil && from.DryRun {
			return nil, nil, UsageError{Err: fmt.Errorf("--from %s: run %s was a dry run (--check): it changed nothing, so it cannot tell which hosts to run on again; hint: name a real run (remotectl runs list), or leave out --from for the last one", r.o.RerunFrom, from.ID)}
		}
	} else {
		from, err = store.Latest(r.key, r.id)
	}
	if err != nil {
		if errors.Is(err, runrec.ErrNotFound) {
			return nil, nil, UsageError{Err: fmt.Errorf("--rerun %s: %w; hint: run the command once without --rerun, or name a run with --from", r.o.Rerun, err)}
		}
		if errors.Is(err, runrec.ErrAmbiguous) {
			return nil, nil, UsageError{Err: fmt.Errorf("--from: %w", err)}
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
func (r *Run) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(r.d.Err, "remotectl: %s\n", msg)
	r.log.Warn(msg, "run", r.id)
}
