package playbook

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/remote"
)

// Options configure a run.
type Options struct {
	Inventory *inventory.Inventory
	// InventoryFile is the inventory's path (inventory_file, inventory_dir);
	// "" when there is none.
	InventoryFile string
	Selection     Selection
	// Target turns an inventory host into what the dialer connects to.
	Target func(*inventory.Host) remote.Target
	Dialer remote.Dialer
	Forks  int // most commands running at once over all hosts; <= 0 means remote.DefaultForks
	// Timeout bounds each host's whole batch, connecting included; 0 means none.
	Timeout time.Duration
	Retry   remote.RetryPolicy
	// ExtraVars (-e) override every other variable.
	ExtraVars map[string]any
	// Transports are the settings schemas the inventory was loaded with:
	// add_host reads a new host's connection variables with them.
	Transports []remote.SettingsSchema
	// Prompt asks on the terminal (pause without seconds, vars_prompt) and
	// reads a line, echoed or not. Nil when stdin is not a terminal: a
	// pause then does not wait, as Ansible's, and vars_prompt takes its
	// default (else the string "None").
	Prompt func(msg string, echo bool) (string, error)
	// SyncPrompts sends a PromptBarrier before each question to Prompt
	// and waits until it is closed: the reader of the run's channel must
	// then close them (Show does), or the run waits forever.
	SyncPrompts bool
	// Warn gives a warning Ansible gives (on its standard error): a
	// vars_prompt not asked without a terminal. Nil drops them.
	Warn func(msg string)
	// Step asks before each task whether to run it (ansible-playbook
	// --step; Prompt must be set, and the plays' strategy linear).
	Step bool
	// Check runs only read-only actions (check, wait_for, debug); the others
	// are reported skipped.
	Check bool
	// Diff shows what file-changing tasks change (ansible-playbook --diff):
	// modules that support it fill their result's diff, which is reported.
	Diff bool
}

// Run runs the playbook's plays in order. It returns at once: the run goes
// on while the caller reads the returned channel, which it must read until
// it is closed, and the Report, which is what happened, complete once the
// channel is closed (read it only then).
//
// # Events
//
// Everything the run reports comes on that one channel, as remote.Events of
// kind remote.EventNote whose Detail is a *Event (report.PlayEventOf reads
// it), exactly as exec and check results come on a remote.Runner's channel:
// the plays' and batches' starts and ends from the run itself, the task
// starts and task results from each host's job on its batch's Runner (the
// job reports them with remote.HostIO.Note, so they travel on the Runner's
// channel behind the host's earlier events), forwarded by the one reader of
// that channel. So the order a renderer needs holds: a play's start before
// its batches, a batch's start before its tasks, a task's start (reported
// once per batch with the linear strategy, by the first host that reaches
// it, before any host can report a result of it) before its results, the
// play's end after every result of it. Index and Target are those of the
// host whose job reported the event in its batch (-1 and nil for plays and
// batches, and a host's results reported after its job ended).
//
// # One connection per host
//
// A play runs batch by batch (serial). For each batch, one remote.Runner run
// dials every host of the batch once, and the host's job runs the whole
// batch on that connection: facts, every task, then the notified handlers.
// The runner's fan-out is the batch size, so every host of the batch holds
// its connection for the batch; Forks instead bounds how many actions run at
// once (a semaphore around each action) and how many dials are in flight.
//
// With the linear strategy the jobs move in lockstep: before each task (and
// each handler) a host waits at a barrier until every host still in the
// batch has arrived, so a task has run everywhere before the next starts.
// A host that fails, whose connection breaks, or that never connected
// leaves the barrier and no longer holds the others. With the free strategy
// there is no barrier: each host runs ahead at its own pace.
//
// # Stopping
//
// A host whose task fails (unless ignore_errors) or that is unreachable
// leaves the play, and the rest of the playbook. After each batch the play
// stops, and the run with it, when a check task failed on some host (a
// health gate), when more hosts have failed in total than max_fail allows,
// or, when the play sets no max_fail, when every host of the batch failed.
func Run(ctx context.Context, pb *Playbook, plans []*PlayPlan, opts Options) (<-chan remote.Event, *Report) {
	start := time.Now()
	e := &executor{
		pb:      pb,
		opts:    opts,
		report:  &Report{Playbook: pb.File, Check: opts.Check},
		stats:   map[string]*HostStats{},
		hosts:   map[string]*hostMemory{},
		dropped: map[string]bool{},
		magic:   map[*PlayPlan]map[string]any{},
		files:   map[string]map[string]any{},
	}
	forks := opts.Forks
	if forks <= 0 {
		forks = remote.DefaultForks
	}
	e.sem = make(chan struct{}, forks)
	e.out = make(chan remote.Event, 64)
	e.initial = map[string]bool{}
	for _, plan := range plans {
		for _, h := range plan.Hosts {
			if !slices.Contains(e.known, h) {
				e.known = append(e.known, h)
			}
			e.initial[h.Name] = true
		}
	}
	go func() {
		defer e.close()
		for _, plan := range plans {
			if opts.Step && plan.Play.Strategy == Free { // before any play runs
				e.report.Stopped = fmt.Sprintf("--step: the play %q has strategy: free, which remotectl does not step through; use strategy: linear", plan.Play.Name)
				plans = nil
			}
		}
		for _, plan := range plans {
			if ctx.Err() != nil {
				break
			}
			if stop := e.runPlay(ctx, plan); stop != "" {
				e.report.Stopped = stop
				break
			}
		}
		e.abandonJobs()
		e.report.Interrupted = ctx.Err() != nil
		e.report.Duration = time.Since(start)
		sortRecap(e.report.Recap, plans)
	}()
	return e.out, e.report
}

// sortRecap orders the recap as the hosts first appear in the plays (the
// inventory's order), not as their first results happened to arrive.
func sortRecap(recap []*HostStats, plans []*PlayPlan) {
	rank := map[string]int{}
	for _, plan := range plans {
		for _, h := range plan.Hosts {
			if _, seen := rank[h.Name]; !seen {
				rank[h.Name] = len(rank)
			}
		}
	}
	slices.SortStableFunc(recap, func(a, b *HostStats) int { return cmp.Compare(rank[a.Host], rank[b.Host]) })
}

// executor is one run of a playbook.
type executor struct {
	pb   *Playbook
	opts Options
	sem  chan struct{} // bounds the actions running at once

	// out is the run's channel; outMu and closed keep a job abandoned by
	// its Runner from sending on it once it is closed.
	out    chan remote.Event
	outMu  sync.Mutex
	closed bool

	mu      sync.Mutex // guards what follows
	batch   *batchRun  // the batch in flight, nil between batches
	report  *Report
	stats   map[string]*HostStats
	hosts   map[string]*hostMemory // what hosts keep from play to play
	dropped map[string]bool        // hosts that failed: out of the rest of the playbook
	magic   map[*PlayPlan]map[string]any
	files   map[string]map[string]any // vars files read at run time, by path
	// dynGroups are the groups group_by made, by name: their hosts.
	dynGroups map[string][]string
	stepping  bool                 // --step asks before the play's next task
	warnMu    sync.Mutex           // guards warned
	warned    map[string]bool      // the warnings given (warnOnce)
	known     []*inventory.Host    // every host of the run's plays
	jobs      map[string]*asyncJob // fire-and-forget jobs, by host and jid (async.go)
	// added are the hosts add_host added, in order; replaced are the hosts
	// add_host added or changed, by name (addhost.go).
	added    []*inventory.Host
	replaced map[string]*inventory.Host
	initial  map[string]bool // the hosts of the plays as prepared: what -H, --limit and --shard let the run reach
}

// hostMemory is what a host keeps across plays: facts and registered results.
type hostMemory struct {
	facts map[string]any
	// registered are the results tasks registered (marked unsafe: never
	// templated again) and the variables set_fact set.
	registered map[string]any
	included   map[string]any // include_vars
}

func (e *executor) memory(name string) *hostMemory {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.hosts[name]
	if m == nil {
		m = &hostMemory{registered: map[string]any{}, included: map[string]any{}}
		e.hosts[name] = m
	}
	return m
}

// emit records an event and reports it on the run's channel: while a
// batch runs, through the batch's Runner (see batchRun.note); between
// batches (plays' and batches' starts and ends), directly.
func (e *executor) emit(ev Event) {
	e.mu.Lock()
	if ev.Kind == EventResult {
		e.record(ev.Result)
	}
	br := e.batch
	e.mu.Unlock()
	if br != nil {
		br.note(&ev)
		return
	}
	e.send(remote.Event{Kind: remote.EventNote, Index: -1, Time: time.Now(), Detail: &ev})
}

// send sends an event on the run's channel, unless the run is over (an
// abandoned job that went on reporting).
func (e *executor) send(ev remote.Event) {
	e.outMu.Lock()
	defer e.outMu.Unlock()
	if !e.closed {
		e.out <- ev
	}
}

// close closes the run's channel.
func (e *executor) close() {
	e.outMu.Lock()
	defer e.outMu.Unlock()
	e.closed = true
	close(e.out)
}

func (e *executor) record(r *TaskResult) {
	e.report.Results = append(e.report.Results, r)
	s := e.stats[r.Host]
	if s == nil {
		s = &HostStats{Host: r.Host}
		e.stats[r.Host] = s
		e.report.Recap = append(e.report.Recap, s)
	}
	s.Count(r)
	if (r.Status == StatusFailed || r.Status == StatusUnreachable) && !r.Ignored {
		e.dropped[r.Host] = true
	}
}

func (e *executor) isDropped(host string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dropped[host]
}

// runPlay runs a play batch by batch and returns why the run must stop
// ("" to go on).
func (e *executor) runPlay(ctx context.Context, plan *PlayPlan) string {
	play := plan.Play
	pr := &PlayReport{Name: play.Name, Hosts: play.Hosts, Strategy: string(play.Strategy)}
	e.mu.Lock()
	e.stepping = e.opts.Step // (c)ontinue ends it for the rest of the play, as Ansible's
	e.report.Plays = append(e.report.Plays, pr)
	e.mu.Unlock()
	if err := e.reselect(plan, e.known); err != nil {
		return err.Error()
	}
	var batches [][]*inventory.Host
	for _, b := range plan.Batches {
		var kept []*inventory.Host
		for _, h := range b {
			if !e.isDropped(h.Name) {
				kept = append(kept, h)
			}
		}
		if len(kept) > 0 {
			batches = append(batches, kept)
			pr.Batches = append(pr.Batches, hostNames(kept))
		}
	}
	for _, term := range plan.Ignored {
		e.warnOnce("Could not match supplied host pattern, ignoring: " + term)
	}
	about := play.about(len(plan.Hosts))
	if plan.Unmatched != "" {
		about = strings.TrimSuffix(about, ")") + ": " + plan.Unmatched + ", the play is skipped, as Ansible's)"
	}
	e.emit(Event{Kind: EventPlayStart, Play: play.Name, About: about, Hosts: hostNames(plan.Hosts)})
	e.magicVars(plan) // before any host runs: it reads every host's memory
	if len(batches) > 0 {
		pr.Stopped = e.askPrompts(play)
	}
	total := len(plan.Hosts)
	for i, batch := range batches {
		if ctx.Err() != nil {
			pr.Stopped = "interrupted"
		}
		if pr.Stopped != "" {
			pr.NotRun = append(pr.NotRun, hostNames(batch)...)
			continue
		}
		e.emit(Event{Kind: EventBatchStart, Play: play.Name, Batch: i + 1, Batches: len(batches), Hosts: hostNames(batch)})
		out := e.runBatch(ctx, plan, batch, pr.Failed)
		pr.Failed += out.failed
		switch {
		case ctx.Err() != nil: // hosts stopped by the interruption did not fail
			pr.Stopped = "interrupted"
		case out.gate != "":
			pr.Stopped = out.gate
		case maxFailExceeded(play.MaxFail, pr.Failed, total):
			pr.Stopped = fmt.Sprintf("%d of %d hosts failed, more than max_fail %s allows", pr.Failed, total, play.MaxFail)
		case play.MaxFail == nil && out.failed == len(batch):
			pr.Stopped = fmt.Sprintf("every host of batch %d (%s) failed", i+1, nodeset.Fold(hostNames(batch)))
		}
	}
	e.emit(Event{Kind: EventPlayEnd, Play: play.Name, Report: pr})
	if pr.Stopped == "" {
		return ""
	}
	return fmt.Sprintf("play %q stopped: %s", play.Name, pr.Stopped)
}

func hostNames(hosts []*inventory.Host) []string {
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	return names
}

// batchOutcome is what a batch leaves for the decision to go on.
type batchOutcome struct {
	failed int    // hosts that failed or were unreachable
	gate   string // why a health gate closed, "" when none did
}

// batchRun is one batch of one play in flight.
type batchRun struct {
	e     *executor
	plan  *PlayPlan
	step  *lockstep // nil with the free strategy
	hosts []*hostRun
	// ctx and runner run the batch: a task's error is settled as the
	// runner settles a host's (see settle).
	ctx    context.Context
	runner *remote.Runner

	mu      sync.Mutex
	ended   bool // meta: end_play
	endedAt int  // the step after which the play ended
	failed  int  // hosts of the batch that failed
	// priorFailed are the hosts that failed in the play's earlier batches.
	priorFailed int
	throttles   map[*Task]chan struct{}
	gate        string
	started     map[int]*sync.Once // tasks whose start is reported (linear)
	declined    map[int]bool       // tasks --step was told not to run
	includes    includeSteps       // --step's answers for included tasks (step.go)
	once        map[*Task]*onceCell
	// notes are the hosts' remote.HostIO.Note, set when their jobs start;
	// byName are the hosts' indexes.
	notes  []func(any) bool
	byName map[string]int
	// finishing is 1 + the index of the host whose end the batch's reader
	// is settling (see hostRun.finish), 0 when none.
	finishing atomic.Int32
}

// runBatch runs the play's tasks on a batch, one connection per host.
func (e *executor) runBatch(ctx context.Context, plan *PlayPlan, batch []*inventory.Host, priorFailed int) batchOutcome {
	br := &batchRun{e: e, plan: plan, started: map[int]*sync.Once{}, declined: map[int]bool{}, once: map[*Task]*onceCell{}, priorFailed: priorFailed,
		notes: make([]func(any) bool, len(batch)), byName: make(map[string]int, len(batch))}
	if plan.Play.Strategy == Linear {
		br.step = newLockstep(len(batch))
	}
	targets := make([]remote.Target, len(batch))
	index := make(map[*remote.Target]int, len(batch))
	for i, h := range batch {
		targets[i] = e.opts.Target(h)
		// remote_user wins over -u and ansible.cfg, the inventory's user
		// (ansible_user) over remote_user, as Ansible's
		if u := plan.Play.RemoteUser; u != "" && h.User == "" && targets[i].Transport != remote.KindLocal {
			targets[i].User = u
		}
		if plan.Play.Connection == "local" {
			targets[i].Transport = remote.KindLocal
		}
		br.hosts = append(br.hosts, e.newHostRun(br, i, h))
		br.byName[h.Name] = i
	}
	for i := range targets {
		index[&targets[i]] = i
	}
	job := func(ctx context.Context, tr remote.Transport, hio remote.HostIO) (remote.Result, error) {
		h := br.hosts[index[hio.Target]]
		br.mu.Lock()
		br.notes[h.index] = hio.Note
		br.mu.Unlock()
		return remote.Result{}, h.run(ctx, tr, hio.Target)
	}
	var dialer remote.Dialer = limitedDialer{d: e.opts.Dialer, sem: e.sem}
	if plan.connectsLater() {
		dialer = patientDialer{d: dialer, retry: e.opts.Retry}
	}
	br.ctx, br.runner = ctx, &remote.Runner{
		Dialer:  dialer,
		Forks:   len(batch),
		Timeout: e.opts.Timeout,
		Retry:   e.opts.Retry,
	}
	e.mu.Lock()
	e.batch = br
	e.mu.Unlock()
	// The one reader of the batch's channel: the hosts' notes go on to the
	// run's channel in the order they came.
	for ev := range br.runner.Run(ctx, targets, job) {
		switch ev.Kind {
		case remote.EventNote:
			e.send(ev)
		case remote.EventDone:
			h := br.hosts[ev.Index]
			if br.step != nil {
				br.step.leave(ev.Index)
			}
			br.finishing.Store(int32(ev.Index + 1))
			h.finish(ev.Err)
			br.finishing.Store(0)
		}
	}
	e.mu.Lock()
	e.batch = nil
	e.mu.Unlock()
	out := batchOutcome{gate: br.gate}
	for _, h := range br.hosts {
		if h.failed {
			out.failed++
		}
	}
	return out
}

// settle makes the error of a task on a host whose context (host) is done
// what ended it: the per-host --timeout, the run's deadline or its
// interruption, as for an exec host, not what the transport called it.
func (br *batchRun) settle(host context.Context, err error) error {
	return br.runner.Settle(br.ctx, host, err)
}

// note reports an event of the batch on the batch's Runner channel, as a
// note of the host whose result it is, else (a task's start) of any host
// whose job still runs: the hosts' notes all go on the one channel, so the
// events a job reports arrive in the order it reported them. A result of
// the host whose end the reader is settling (hostRun.finish: its job is
// over) goes straight on the run's channel, from the reader itself. What a
// job abandoned by its Runner reports later is recorded but not sent.
func (br *batchRun) note(ev *Event) {
	host := -1
	if ev.Result != nil {
		if i, ok := br.byName[ev.Result.Host]; ok {
			host = i
		}
	}
	if host >= 0 && br.finishing.Load() == int32(host+1) {
		br.e.send(remote.Event{Kind: remote.EventNote, Index: -1, Time: time.Now(), Detail: ev})
		return
	}
	br.mu.Lock()
	notes := slices.Clone(br.notes)
	br.mu.Unlock()
	if host >= 0 && notes[host] != nil && notes[host](ev) {
		return
	}
	for _, note := range notes {
		if note != nil && note(ev) {
			return
		}
	}
}

// throttle is the semaphore of a task with throttle:.
func (br *batchRun) throttle(t *Task) chan struct{} {
	br.mu.Lock()
	defer br.mu.Unlock()
	if br.throttles == nil {
		br.throttles = map[*Task]chan struct{}{}
	}
	sem := br.throttles[t]
	if sem == nil {
		sem = make(chan struct{}, t.Throttle)
		br.throttles[t] = sem
	}
	return sem
}

// hostFailed counts a host that failed and ends the play when the play
// says so, as Ansible checks after each task: any_errors_fatal, or more
// failed hosts (in the play so far) than max_fail_percentage of the
// batch's size.
func (br *batchRun) hostFailed(name string, step int, task *Task) {
	br.mu.Lock()
	br.failed++
	failed := br.priorFailed + br.failed
	br.mu.Unlock()
	play := br.plan.Play
	fatal := play.AnyErrorsFatal
	if task != nil && task.AnyErrorsFatal != nil {
		fatal = *task.AnyErrorsFatal // the failed task's, its block's, its role's
	}
	switch {
	case fatal:
		br.abort(fmt.Sprintf("any_errors_fatal: %s failed", name), step)
	case play.MaxFailPercentage != nil && failed*100 > *play.MaxFailPercentage*len(br.hosts):
		br.abort(fmt.Sprintf("%d hosts failed, more than max_fail_percentage %d%% of the batch's %d", failed, *play.MaxFailPercentage, len(br.hosts)), step)
	}
}

// abort ends the play for every host after the step, and the run, for
// why.
func (br *batchRun) abort(why string, step int) {
	br.closeGate(why)
	br.endPlay(step)
}

// endPlay ends the play for every host of the batch once the step is
// over: the hosts running it finish it, as Ansible's (meta: end_play, a
// fatal failure).
func (br *batchRun) endPlay(step int) {
	br.mu.Lock()
	defer br.mu.Unlock()
	if !br.ended || step < br.endedAt {
		br.ended, br.endedAt = true, step
	}
}

// playEnded reports whether the play ended before the step.
func (br *batchRun) playEnded(step int) bool {
	br.mu.Lock()
	defer br.mu.Unlock()
	return br.ended && br.endedAt < step
}

// closeGate records that a health gate failed.
func (br *batchRun) closeGate(why string) {
	br.mu.Lock()
	defer br.mu.Unlock()
	if br.gate == "" {
		br.gate = why
	}
}

// taskStarted reports a task's start once per batch (linear strategy): the
// first host to reach it reports it, and the others wait until it is on
// the channel, so that none of their results of the task can come first.
// With --step the first host asks first; it returns false when the task
// is not to run (on any host of the batch).
func (br *batchRun) taskStarted(i int, t *Task) bool {
	br.mu.Lock()
	once := br.started[i]
	if once == nil {
		once = &sync.Once{}
		br.started[i] = once
	}
	br.mu.Unlock()
	once.Do(func() {
		if !br.e.takeStep(t) {
			br.mu.Lock()
			br.declined[i] = true
			br.mu.Unlock()
			return
		}
		br.e.emit(Event{Kind: EventTaskStart, Play: br.plan.Play.Name, Task: t.DisplayName(), Handler: t.handler})
	})
	br.mu.Lock()
	defer br.mu.Unlock()
	return !br.declined[i]
}

// takeStep asks, with --step, whether to run a task, as Ansible's
// _take_step: "y" runs it, "c" runs it and stops asking for the rest of
// the play, anything else skips it. Handlers and meta tasks are not asked.
func (e *executor) takeStep(t *Task) bool {
	e.mu.Lock()
	stepping := e.stepping
	e.mu.Unlock()
	if a, ok := t.Action.(*BuiltinAction); !stepping || t.handler || t.implicit || ok && a.Name == "meta" || e.opts.Prompt == nil {
		return true
	}
	answer, err := e.ask("Perform task: TASK: "+t.DisplayName()+" (N)o/(y)es/(c)ontinue: ", true)
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return err == nil
	case "c", "continue":
		e.mu.Lock()
		e.stepping = false
		e.mu.Unlock()
		return err == nil
	}
	return false
}

// onceFor returns the run_once cell of a task.
func (br *batchRun) onceFor(t *Task) *onceCell {
	br.mu.Lock()
	defer br.mu.Unlock()
	c := br.once[t]
	if c == nil {
		c = &onceCell{done: make(chan struct{})}
		br.once[t] = c
	}
	return c
}

// onceCell runs a run_once task on one host and shares its registered
// result with the others: as Ansible, the first host of the batch still in
// it (linear strategy), else the first host that reaches the task.
type onceCell struct {
	mu         sync.Mutex
	claimed    bool
	done       chan struct{}
	registered any
}

// claim reports whether host is the one that runs the task: runner is the
// host that must (-1: whoever comes first).
func (c *onceCell) claim(host, runner int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.claimed || runner >= 0 && host != runner {
		return false
	}
	c.claimed = true
	return true
}

// onceRunner is the host that runs the batch's run_once tasks: the first
// one still in the batch with the linear strategy, none in particular
// with the free one.
func (br *batchRun) onceRunner() int {
	if br.step == nil {
		return -1
	}
	return br.step.firstActive()
}

func (c *onceCell) finish(registered any) {
	c.registered = registered
	close(c.done)
}

// limitedDialer bounds the dials in flight (OpenSSH's MaxStartups drops
// bursts of unauthenticated connections).
type limitedDialer struct {
	d   remote.Dialer
	sem chan struct{}
}

func (l limitedDialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-l.sem }()
	return l.d.Dial(ctx, t)
}

// hostVars are a host's variables as hostvars shows them, Ansible's
// without a play: inventory < extra vars (facts, include_vars and
// set_fact are added as the host gets them).
func (e *executor) hostVars(h *inventory.Host) map[string]any {
	vars := maps.Clone(h.Vars)
	if vars == nil {
		vars = map[string]any{}
	}
	maps.Copy(vars, e.opts.ExtraVars)
	return vars
}

// factVars puts a host's facts into vars as Ansible does: ansible_facts
// holds them without their ansible_ prefix (but ansible_local, which
// Ansible's namespace_facts keeps whole), and each is also a variable of
// the name its module gave it (ansible_os_family from setup, packages from
// package_facts).
func factVars(vars, facts map[string]any) {
	ns := make(map[string]any, len(facts))
	for k, v := range facts {
		if k == "ansible_local" {
			ns[k] = v
		} else {
			ns[strings.TrimPrefix(k, "ansible_")] = v
		}
		vars[k] = v
	}
	vars["ansible_facts"] = ns
}

// setHostvar sets a variable of a host in hostvars of the play (facts
// gathered, set_fact, registered results). The maps are replaced, never
// changed in place: other hosts may be reading them.
func (e *executor) setHostvar(plan *PlayPlan, host, name string, v any) {
	old := e.magicVars(plan)
	e.mu.Lock()
	defer e.mu.Unlock()
	hv, _ := old["hostvars"].(map[string]any)
	entry, _ := hv[host].(map[string]any)
	entry = maps.Clone(entry)
	if entry == nil {
		entry = map[string]any{}
	}
	if facts, ok := plainDict(v); ok && name == "ansible_facts" {
		factVars(entry, facts)
	} else {
		entry[name] = v
	}
	hv = maps.Clone(hv)
	hv[host] = entry
	m := maps.Clone(e.magic[plan])
	m["hostvars"] = hv
	e.magic[plan] = m
}

// magicVars are the variables Ansible provides that are the same on every
// host of a play: groups, hostvars (each host's inventory, play and extra
// variables), play_hosts and ansible_play_hosts. Computed once per play.
func (e *executor) magicVars(plan *PlayPlan) map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	if m, ok := e.magic[plan]; ok {
		return m
	}
	groups := map[string]any{"all": []any{}, "ungrouped": []any{}} // Ansible's, even when empty
	hostvars := map[string]any{}
	all := slices.Clone(e.added) // Ansible's group all lists them first
	if e.opts.Inventory != nil {
		for _, h := range e.opts.Inventory.Hosts() {
			if r := e.replaced[h.Name]; r != nil {
				h = r
			}
			if !slices.Contains(all, h) {
				all = append(all, h)
			}
		}
	}
	for _, h := range plan.Hosts {
		if !slices.Contains(all, h) && e.replaced[h.Name] == nil {
			all = append(all, h) // the implicit localhost
		}
	}
	for _, h := range all {
		for _, g := range h.Groups {
			list, _ := groups[g].([]any)
			groups[g] = append(list, h.Name)
		}
		vars := e.hostVars(h)
		vars["inventory_hostname"] = h.Name
		vars["inventory_hostname_short"], _, _ = strings.Cut(h.Name, ".")
		names := groupNames(h)
		for g, hosts := range e.dynGroups {
			if list, _ := groups[g].([]any); slices.Contains(hosts, h.Name) && !slices.Contains(list, any(h.Name)) {
				groups[g] = append(list, h.Name)
				names = append(names, g)
			}
		}
		vars["group_names"] = sortedUnique(names)
		if mem := e.hosts[h.Name]; mem != nil {
			if mem.facts != nil {
				factVars(vars, unsafe(mem.facts).(map[string]any))
			}
			maps.Copy(vars, mem.included)
			maps.Copy(vars, mem.registered)
		}
		maps.Copy(vars, e.opts.ExtraVars)
		hostvars[h.Name] = vars
	}
	playHosts := make([]any, 0, len(plan.Hosts))
	for _, h := range plan.Hosts {
		playHosts = append(playHosts, h.Name)
	}
	m := map[string]any{"groups": groups, "hostvars": hostvars, "play_hosts": playHosts,
		"ansible_play_hosts": playHosts, "ansible_play_hosts_all": playHosts}
	if e.opts.InventoryFile != "" {
		m["inventory_dir"] = filepath.Dir(e.opts.InventoryFile)
		m["inventory_file"] = e.opts.InventoryFile
	}
	e.magic[plan] = m
	return m
}
