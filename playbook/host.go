package playbook

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/remotectl/remotectl/internal/omap"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/playbook/jinja"
	"github.com/remotectl/remotectl/playbook/module"
	"github.com/remotectl/remotectl/remote"
)

// hostRun is one host working through a batch.
type hostRun struct {
	br     *batchRun
	index  int
	host   *inventory.Host
	target *remote.Target
	tr     remote.Transport
	mem    *hostMemory
	// notified are the handlers the host's changed tasks notified.
	notified map[*Task]bool

	started bool // the job ran (the host connected)
	ended   bool // meta: end_host
	step    int  // the step the host is at (see PlayPlan.steps)
	// failure is a failure inside a block, pending its rescue and always
	// sections; failedVars are ansible_failed_task and _result.
	failure    *blockFailure
	failedVars map[string]any
	// rescuing are the blocks whose rescue section runs (their block
	// section failed); the rescue of any other block is passed over.
	rescuing map[*Block]bool
	// params are the vars of the includes running (include params).
	params    []map[string]any
	delegates map[string]delegateConn
	failed    bool // a task failed (not ignored) or the host was unreachable
	stopped   bool // the host left the batch
	// ownTr is a connection the host dialed again itself (reconnect.go),
	// closed when its job ends; lost says its connection is gone.
	ownTr remote.Transport
	lost  bool
	// current is the task running; factsTo the host its facts go to
	// (delegate_facts), "" for this one.
	current *Task
	factsTo string
}

func (e *executor) newHostRun(br *batchRun, i int, h *inventory.Host) *hostRun {
	return &hostRun{br: br, index: i, host: h, mem: e.memory(h.Name), notified: map[*Task]bool{}}
}

// run is the host's job: facts, tasks, handlers, over one connection.
func (h *hostRun) run(ctx context.Context, tr remote.Transport, t *remote.Target) error {
	h.started, h.tr, h.target = true, tr, t
	_, h.lost = tr.(lostTransport)
	defer h.closeDelegates()
	defer h.dropConn()
	play := h.br.plan.Play
	if play.GatherFacts {
		if err := h.gatherFacts(ctx); err != nil {
			return err
		}
	}
	for i, task := range h.br.plan.steps() {
		if step := h.br.step; step != nil && !step.arrive(ctx, h.index) {
			return ctx.Err()
		}
		h.step = i
		if h.ended || h.br.playEnded(i) {
			h.leave()
			return nil
		}
		if task.handler && !h.isNotified(task) {
			continue
		}
		if h.failure == nil && h.rescuePassed(task) {
			continue
		}
		if h.br.step != nil && !h.br.taskStarted(i, task) {
			continue
		}
		if task.handler {
			h.clearNotified(task)
		}
		if h.failure != nil && !h.blockGoesOn(task) || h.rescuePassed(task) {
			if h.stopped {
				return nil
			}
			continue
		}
		if err := h.runTask(ctx, task); err != nil {
			return err
		}
		if h.stopped {
			return nil
		}
	}
	if h.failure != nil {
		h.fails()
	}
	return nil
}

// blockFailure is a failure inside a block, handled by the block's rescue
// and always sections (and those of the blocks around it).
type blockFailure struct {
	block   *Block
	section string // the section of block the failure happened in
}

// blockGoesOn decides whether task runs while a block failure is pending:
// the rest of the failed section is skipped, the block's rescue runs (and
// rescues the failure) when the failure was in its block section, its
// always section runs; leaving the block hands the failure to the block
// around it, and leaving the outermost one fails the host.
func (h *hostRun) blockGoesOn(task *Task) bool {
	for h.failure != nil {
		f := h.failure
		switch sec := task.sectionIn(f.block); {
		case sec == "":
			if f.block.Parent == nil {
				h.failure = nil
				h.fails()
				return false
			}
			h.failure = &blockFailure{block: f.block.Parent, section: f.block.Section}
		case sec == "rescue" && f.section == "block":
			h.failure = nil
			if h.rescuing == nil {
				h.rescuing = map[*Block]bool{}
			}
			h.rescuing[f.block] = true
			return true
		case sec == "always":
			return true
		default:
			return false
		}
	}
	return true
}

// rescuePassed reports whether task is in the rescue section of a block
// that is not rescuing a failure of its block section: Ansible runs a
// rescue only then (a block that did not fail shows no rescue task).
func (h *hostRun) rescuePassed(task *Task) bool {
	for b := range h.rescuing { // a rescue left is over
		if task.sectionIn(b) != "rescue" {
			delete(h.rescuing, b)
		}
	}
	sec := task.Section
	for cur := task.Block; cur != nil; cur = cur.Parent {
		if sec == "rescue" && !h.rescuing[cur] {
			return true
		}
		sec = cur.Section
	}
	return false
}

// sectionIn is the section of block b the task is in, "" when it is not
// in b.
func (t *Task) sectionIn(b *Block) string {
	sec := t.Section
	for cur := t.Block; cur != nil; cur = cur.Parent {
		if cur == b {
			return sec
		}
		sec = cur.Section
	}
	return ""
}

// rescuedBy reports whether a failure of the task is rescued: a block it
// is in, by its block section, has a rescue section.
func (t *Task) rescued() bool {
	sec := t.Section
	for cur := t.Block; cur != nil; cur = cur.Parent {
		if sec == "block" && cur.HasRescue {
			return true
		}
		sec = cur.Section
	}
	return false
}

// isNotified reports whether a handler was notified.
func (h *hostRun) isNotified(t *Task) bool { return h.notified[t] }

// clearNotified forgets a handler's notification once it runs.
func (h *hostRun) clearNotified(t *Task) { delete(h.notified, t) }

// notify notifies the handlers a name reaches: by their name (or "role :
// name") or a topic they listen to.
func (h *hostRun) notify(name string) {
	for _, handler := range h.br.plan.Play.Handlers {
		if slices.Contains(handler.notifiedBy(), name) {
			h.notified[handler] = true
		}
	}
}

// notifiedBy are the names that notify a handler.
func (t *Task) notifiedBy() []string {
	names := append([]string{}, t.Listen...)
	if t.Name != "" {
		names = append(names, t.Name)
		if t.Role != nil {
			names = append(names, t.Role.Name+" : "+t.Name)
		}
	}
	return names
}

// steps are what a host of the plan works through: the tasks, the
// handlers wherever they are flushed (meta: flush_handlers, the end of a
// section) and at the end.
func (p *PlayPlan) steps() []*Task {
	p.stepsOnce.Do(func() {
		for _, t := range p.Tasks {
			p.stepList = append(p.stepList, t)
			if t.flushesHandlers() {
				p.stepList = append(p.stepList, p.Play.Handlers...)
			}
		}
		p.stepList = append(p.stepList, p.Play.Handlers...)
	})
	return p.stepList
}

// flushesHandlers reports whether the task is meta: flush_handlers.
func (t *Task) flushesHandlers() bool {
	a, ok := t.Action.(*BuiltinAction)
	return ok && a.Name == "meta" && a.Args["_raw_params"] == "flush_handlers"
}

// delegate returns the connection to the host a task delegates to: an
// inventory host, or localhost (the controller) even when the inventory
// has none, as Ansible's; dialed once per host run.
func (h *hostRun) delegate(ctx context.Context, task *Task, vars map[string]any) (remote.Transport, *remote.Target, error) {
	name, err := task.DelegateTo.render(vars)
	if err != nil {
		return nil, nil, err
	}
	if name == h.host.Name {
		return h.tr, h.target, nil
	}
	if d, ok := h.delegates[name]; ok {
		return d.tr, d.target, nil
	}
	var target remote.Target
	inv := h.br.e.opts.Inventory
	switch host, ok := inv.Host(name); {
	case ok:
		target = h.br.e.opts.Target(host)
	case name == "localhost" || name == "127.0.0.1":
		target = remote.Target{Name: name, Transport: remote.KindLocal}
	default:
		return nil, nil, fmt.Errorf("%s: delegate_to: %q is not a host of the inventory", task.Pos, name)
	}
	tr, err := limitedDialer{d: h.br.e.opts.Dialer, sem: h.br.e.sem}.Dial(ctx, target)
	if err != nil {
		return nil, nil, fmt.Errorf("delegate_to %s: %w", name, err)
	}
	if h.delegates == nil {
		h.delegates = map[string]delegateConn{}
	}
	h.delegates[name] = delegateConn{tr: tr, target: &target}
	return tr, &target, nil
}

// delegateConn is a connection to a delegate host.
type delegateConn struct {
	tr     remote.Transport
	target *remote.Target
}

// closeDelegates closes the connections to delegate hosts.
func (h *hostRun) closeDelegates() {
	for _, d := range h.delegates {
		_ = d.tr.Close()
	}
	h.delegates = nil
}

// fails marks the host failed and takes it out of the batch; the play
// may end for every host (any_errors_fatal, max_fail_percentage).
func (h *hostRun) fails() {
	h.failed = true
	h.br.hostFailed(h.host.Name, h.step, h.current) // before leaving: the barrier lets the others go on
	h.leave()
}

// leave takes the host out of the batch.
func (h *hostRun) leave() {
	h.stopped = true
	if h.br.step != nil {
		h.br.step.leave(h.index)
	}
}

// finish settles the host once its job is over. A host that never
// connected gets one unreachable (or failed) result.
func (h *hostRun) finish(err error) {
	if err == nil || h.failed {
		return
	}
	if !h.started || errors.Is(err, remote.ClassCancelled) {
		if remote.ClassOf(err) == remote.ClassCancelled {
			return // interrupted before connecting: not a result of the host
		}
		r := h.newResult(&Task{Name: "connect", Pos: h.br.plan.Play.Pos, Action: connectAction{}}, nil)
		h.failWith(r, err)
		h.br.e.emit(Event{Kind: EventResult, Result: r})
		return
	}
	// The job ended on an error it already reported (a task's transport
	// failure) or on the host's deadline while waiting: report the latter.
	if remote.ClassOf(err) == remote.ClassTimeout {
		r := h.newResult(&Task{Name: "timeout", Pos: h.br.plan.Play.Pos, Action: connectAction{}}, nil)
		h.failWith(r, err)
		h.br.e.emit(Event{Kind: EventResult, Result: r})
	}
}

// newResult starts the result of task on this host.
func (h *hostRun) newResult(task *Task, item any) *TaskResult {
	r := &TaskResult{Host: h.host.Name, Play: h.br.plan.Play.Name, Task: task.DisplayName(), Pos: task.Pos,
		Action: task.Action.Kind(), Handler: task.handler, Item: h.redact(item), Uncounted: isMeta(task)}
	if r.Item != nil {
		r.ItemText = jinja.String(r.Item)
	}
	return r
}

// batchNames are the names of the batch's hosts (ansible_play_batch).
func (br *batchRun) batchNames() []any {
	names := make([]any, len(br.hosts))
	for i, h := range br.hosts {
		names[i] = h.host.Name
	}
	return names
}

func (h *hostRun) redact(v any) any { return redactValue(h.br.e.pb.Secrets, v) }

// failWith marks a result failed by a transport or context error. A host
// that could not be reached is unreachable, whatever stopped it (Ansible's
// UNREACHABLE), a connect timeout included: its recap line says timed out
// too, as exec says of such a host.
func (h *hostRun) failWith(r *TaskResult, err error) {
	class := remote.ClassOf(err)
	r.Status = StatusFailed
	switch {
	case class == remote.ClassCancelled:
		r.Status = StatusCancelled // not the host's failure: the run was interrupted
	case class.Unreachable(), !h.started:
		r.Status = StatusUnreachable
	}
	r.TimedOut = class == remote.ClassTimeout
	r.ErrorClass = class.String()
	msg := err.Error()
	if class == remote.ClassCancelled {
		msg = "interrupted"
	}
	if hint := remote.HintOf(err); hint != "" {
		msg += "; hint: " + hint // a hint may name the path that failed
	}
	r.Msg = h.br.e.pb.Secrets.Redact(msg)
	h.fails()
}

// taskVars are the variables a task sees on this host, by Ansible's
// precedence: role defaults < inventory < facts < play vars < vars_files
// < role vars < block and task vars < include_vars < set_fact and
// registered results < role params < extra vars, then the magic
// variables Ansible provides and the loop's. Facts and registered results
// come from the host: they are marked unsafe, never templated again.
func (h *hostRun) taskVars(task *Task, loop map[string]any) map[string]any {
	play := h.br.plan.Play
	e := h.br.e
	vars := maps.Clone(play.RoleDefaults)
	if vars == nil {
		vars = map[string]any{}
	}
	if task != nil && task.Role != nil {
		maps.Copy(vars, task.Role.Defaults)
	}
	maps.Copy(vars, h.host.Vars)
	facts, _ := unsafe(h.mem.facts).(map[string]any)
	factVars(vars, facts)
	maps.Copy(vars, play.Vars)
	maps.Copy(vars, play.PromptVars)
	maps.Copy(vars, play.FileVars)
	maps.Copy(vars, h.lateVarsFiles(vars))
	maps.Copy(vars, play.RoleVars)
	if task != nil {
		if task.Role != nil {
			maps.Copy(vars, task.Role.Vars)
		}
		maps.Copy(vars, task.Vars)
	}
	maps.Copy(vars, h.mem.included)
	maps.Copy(vars, h.mem.registered)
	maps.Copy(vars, h.failedVars)
	if task != nil && task.Role != nil {
		maps.Copy(vars, task.Role.Params)
	}
	for _, p := range h.params {
		maps.Copy(vars, p)
	}
	maps.Copy(vars, e.opts.ExtraVars)
	maps.Copy(vars, e.magicVars(h.br.plan))
	vars["inventory_hostname"] = h.host.Name
	vars["inventory_hostname_short"], _, _ = strings.Cut(h.host.Name, ".")
	vars["group_names"] = sortedUnique(append(groupNames(h.host), e.dynamicGroupsOf(h.host.Name)...))
	vars["ansible_play_batch"] = h.br.batchNames()
	vars["ansible_check_mode"] = e.opts.Check
	vars["ansible_diff_mode"] = e.opts.Diff
	vars["omit"] = omitValue
	if abs, err := filepath.Abs(e.pb.Dir); err == nil {
		vars["playbook_dir"] = abs
	}
	if task != nil {
		vars["ansible_search_path"] = task.searchPath(e.pb.Dir)
	}
	if task != nil && task.Role != nil {
		vars["role_name"] = task.Role.Name
		if abs, err := filepath.Abs(task.Role.Dir); err == nil {
			vars["role_path"] = abs
		}
	}
	vars["vars"] = jinja.Raw(maps.Clone(vars)) // Ansible's copy, without the loop's variables
	maps.Copy(vars, loop)
	return vars
}

// register keeps what a task registers (unsafe: never templated again).
func (h *hostRun) register(name string, reg any) {
	v := unsafe(reg)
	h.mem.registered[name] = v
	h.br.e.setHostvar(h.br.plan, h.host.Name, name, v)
}

// setVar keeps a variable set_fact set (on the delegate, with
// delegate_facts).
func (h *hostRun) setVar(name string, v any) {
	mem, host := h.factsHost()
	if mem != h.mem { // another host's: its map is replaced, never changed
		reg := maps.Clone(mem.registered)
		reg[name] = v
		mem.registered = reg
	} else {
		mem.registered[name] = v
	}
	h.br.e.setHostvar(h.br.plan, host, name, v)
}

// includeVar keeps a variable include_vars read.
func (h *hostRun) includeVar(name string, v any) {
	h.mem.included[name] = v
	h.br.e.setHostvar(h.br.plan, h.host.Name, name, v)
}

// sortedUnique sorts names and drops repeats, as Ansible's group_names.
func sortedUnique(names []any) []any {
	slices.SortFunc(names, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	return slices.Compact(names)
}

// groupNames are the groups of h as Ansible's group_names: without "all".
func groupNames(h *inventory.Host) []any {
	out := make([]any, 0, len(h.Groups))
	for _, g := range h.Groups {
		if g != "all" {
			out = append(out, g)
		}
	}
	return out
}

// unsafe marks every string of v (data from a host) as jinja.Unsafe.
func unsafe(v any) any {
	switch x := v.(type) {
	case string:
		return jinja.Unsafe(x)
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = unsafe(item)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[k] = unsafe(item)
		}
		return out
	case *omap.Map:
		out := omap.New(x.Len())
		for k, item := range x.All() {
			out.Set(k, unsafe(item))
		}
		return out
	}
	return v
}

// runTask runs one task on the host, each loop item in turn. It returns
// an error only when the host must stop (its connection or deadline).
func (h *hostRun) runTask(ctx context.Context, task *Task) error {
	if task.RunOnce && h.br.step != nil || bypassesHostLoop(task) { // the free strategy runs run_once tasks everywhere (Ansible's)
		cell := h.br.onceFor(task)
		run, err := h.claimOnce(ctx, cell)
		if err != nil {
			return err
		}
		if !run {
			if task.Register != "" && cell.registered != nil && !bypassesHostLoop(task) {
				h.register(task.Register, cell.registered)
			}
			return nil
		}
		defer func() { cell.finish(h.mem.registered[task.Register]) }()
	}
	if task.Loop == nil {
		reg, err := h.runItem(ctx, task, nil, nil)
		if task.Register != "" && reg != nil {
			h.register(task.Register, reg)
		}
		return err
	}
	items, err := h.loopItems(task)
	if err != nil && task.When != nil && jinja.IsUndefined(err) {
		// As Ansible's TaskExecutor: a loop over an undefined variable
		// first asks the task's when (without an item); false skips the
		// task (when: x is defined, with_items: "{{ x }}").
		if ok, cerr := task.When.eval(h.taskVars(task, nil)); cerr != nil || !ok {
			reg, err := h.runItem(ctx, task, nil, nil)
			if task.Register != "" && reg != nil {
				h.register(task.Register, reg)
			}
			return err
		}
	}
	if err != nil {
		r := h.newResult(task, nil)
		h.fail(task, r, err.Error())
		return nil
	}
	return h.runLoop(ctx, task, items)
}

// claimOnce decides whether this host runs a run_once task: the batch's
// runner claims it and the others wait for it to finish; when the runner
// left the batch before claiming it, the next host in batch order does.
func (h *hostRun) claimOnce(ctx context.Context, cell *onceCell) (bool, error) {
	for {
		if cell.claim(h.index, h.br.onceRunner()) {
			return true, nil
		}
		select {
		case <-cell.done:
			return false, nil
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(onceRecheck):
		}
	}
}

// onceRecheck is how often a host waiting for a run_once task checks that
// its runner is still in the batch.
const onceRecheck = 100 * time.Millisecond

// runLoop runs a task once per loop item; the items are reported one by
// one and the task counts once in the recap, as Ansible's.
func (h *hostRun) runLoop(ctx context.Context, task *Task, items []any) error {
	var results []any
	// An empty loop is skipped ("No items in the list"), as Ansible's.
	changed, failed, skipped := false, false, true
	sum := h.newResult(task, nil)
	sum.LoopSummary = true
	_, include := task.Action.(*IncludeAction)
	loopVar := task.LoopControl.LoopVar
	if loopVar == "" {
		loopVar = "item"
	}
	for i, item := range items {
		if i > 0 && task.LoopControl.Pause > 0 && !remote.Sleep(ctx, task.LoopControl.Pause) {
			return ctx.Err()
		}
		lv := map[string]any{loopVar: item, "ansible_loop_var": loopVar}
		if task.LoopControl.IndexVar != "" {
			lv[task.LoopControl.IndexVar] = i
			lv["ansible_index_var"] = task.LoopControl.IndexVar
		}
		if task.LoopControl.Extended {
			lv["ansible_loop"] = loopInfo(items, i)
		}
		reg, err := h.runItem(ctx, task, item, lv)
		if reg != nil {
			reg[loopVar] = item
			reg["ansible_loop_var"] = loopVar
			results = append(results, reg)
			changed = changed || reg["changed"] == true
			failed = failed || reg["failed"] == true
			skipped = skipped && reg["skipped"] == true
		}
		if err != nil {
			return err
		}
		if h.stopped {
			break
		}
	}
	if results == nil {
		results = []any{}
	}
	reg := map[string]any{"results": results, "changed": changed, "msg": "All items completed", "skipped": skipped}
	if len(items) == 0 {
		reg = map[string]any{"results": results, "changed": false, "skipped": true, "skipped_reason": "No items in the list"}
		sum.Msg = "No items in the list"
	}
	if failed {
		reg["failed"] = true
		reg["msg"] = "One or more items failed"
	}
	if task.Register != "" {
		h.register(task.Register, reg)
	}
	if include { // each file included counts, the include itself does not (Ansible's)
		return nil
	}
	switch {
	case failed:
		sum.Status = StatusFailed
		h.taskFailed(task, sum)
		if !sum.Ignored && task.Block != nil {
			h.setFailedVars(task, reg)
		}
	case skipped:
		sum.Status = StatusSkipped
	case changed:
		sum.Status = StatusChanged
	default:
		sum.Status = StatusOK
	}
	h.br.e.emit(Event{Kind: EventResult, Result: sum})
	return nil
}

// loopInfo is ansible_loop (loop_control: extended).
func loopInfo(items []any, i int) map[string]any {
	n := len(items)
	info := map[string]any{"allitems": items, "index": i + 1, "index0": i, "revindex": n - i, "revindex0": n - i - 1,
		"first": i == 0, "last": i == n-1, "length": n}
	if i > 0 {
		info["previtem"] = items[i-1]
	}
	if i < n-1 {
		info["nextitem"] = items[i+1]
	}
	return info
}

// loopItems evaluates a task's loop for this host: its terms templated,
// then (with_NAME) turned into items by the lookup plugin.
func (h *hostRun) loopItems(task *Task) ([]any, error) {
	vars := h.taskVars(task, nil)
	var terms any
	var err error
	if task.Loop.Kind == "first_found" {
		terms, err = firstFoundLoopTerms(task.eng, task.Loop.Terms, vars)
	} else {
		terms, err = templateArgs(task.eng, task.Loop.Terms, vars)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", task.Loop.Pos, err)
	}
	if task.Loop.Kind == "" {
		list, ok := toList(terms)
		if !ok {
			return nil, fmt.Errorf("%s: Invalid data passed to 'loop', it requires a list, got this instead: %s", task.Loop.Pos, jinja.String(terms))
		}
		return list, nil
	}
	items, err := loopPlugins[task.Loop.Kind](terms, task.fileSearch(h.br.e.pb.Dir, loopSubdir(task)))
	if err != nil {
		return nil, fmt.Errorf("%s: with_%s: %v", task.Loop.Pos, task.Loop.Kind, err)
	}
	return items, nil
}

// modes are the check and diff modes of a task: the run's, unless the
// task's check_mode or diff says otherwise.
func (h *hostRun) modes(task *Task) (check, diff bool) {
	check, diff = h.br.e.opts.Check, h.br.e.opts.Diff
	if task.CheckMode != nil {
		check = *task.CheckMode
	}
	if task.Diff != nil {
		diff = *task.Diff
	}
	check = h.keyword(task, "check_mode", check, check)
	diff = h.keyword(task, "diff", diff, diff)
	return check, diff
}

// runItem runs a task (one loop item, whose variables are loop) and
// reports its result. It returns what the task registers, and an error
// when the host must stop.
func (h *hostRun) runItem(ctx context.Context, task *Task, item any, loop map[string]any) (map[string]any, error) {
	e := h.br.e
	h.current = task
	vars := h.taskVars(task, loop)
	r := h.newResult(task, h.itemLabel(task, item, loop != nil, vars))
	_, include := task.Action.(*IncludeAction)
	r.LoopItem = loop != nil && !include
	if task.When != nil {
		ok, err := task.When.eval(vars)
		if err != nil {
			return h.fail(task, r, err.Error()), nil
		}
		if !ok {
			r.Status, r.Msg = StatusSkipped, "when: "+task.When.Src+" is false"
			e.emit(Event{Kind: EventResult, Result: r})
			return skippedResult(task, "Conditional result was False"), nil
		}
	}
	if inc, ok := task.Action.(*IncludeAction); ok {
		return h.runInclude(ctx, task, inc, r, vars, loop)
	}
	check, diff := h.modes(task)
	if check {
		if ma, ok := task.Action.(*ModuleAction); ok && ma.Module.Check == module.CheckNone {
			reg := skippedResult(task, "skipped, remote module does not support check mode")
			if msg, exhausted := h.untilOnSkipped(task, vars, reg); msg != "" {
				failedReg := h.fail(task, r, msg)
				if exhausted { // Ansible's: the skip's result, failed
					reg["failed"] = true
					return reg, nil
				}
				return failedReg, nil
			}
			r.Status, r.Msg = StatusSkipped, "skipped, remote module does not support check mode"
			e.emit(Event{Kind: EventResult, Result: r})
			return reg, nil
		} else if !ok && !task.Action.readOnly() {
			r.Status, r.Msg = StatusSkipped, "check mode: "+task.Action.Kind()+" changes the host, not run"
			e.emit(Event{Kind: EventResult, Result: r})
			return skippedResult(task, r.Msg), nil
		}
	}
	start := time.Now()
	out, reg, err := h.attempt(ctx, task, vars, r, check, diff)
	r.Duration = time.Since(start)
	if err != nil {
		err = h.br.settle(ctx, err)
		if h.ignoresUnreachable(ctx, task, err) {
			h.unreachableIgnored(r, err)
			return map[string]any{"unreachable": true, "changed": false, "msg": r.Msg}, nil
		}
		h.failWith(r, err)
		e.emit(Event{Kind: EventResult, Result: r})
		return nil, err
	}
	h.settle(task, r, out)
	if diff {
		r.Diff = h.redact(out.Diff)
	}
	if h.noLog(task) {
		r.Msg, r.Stdout, r.Stderr, r.Diff = noLogMsg, "", "", nil
	}
	if out.Changed {
		for _, name := range task.Notify {
			h.notify(name)
		}
	}
	if r.Status == StatusFailed && !r.Ignored && !r.LoopItem && task.Block != nil {
		h.setFailedVars(task, reg)
	}
	if !task.flushesHandlers() {
		e.emit(Event{Kind: EventResult, Result: r})
	}
	if r.Status == StatusFailed && task.Action.Kind() == "check" && !h.ignoreErrors(task) {
		h.br.closeGate(fmt.Sprintf("health gate: the check task %q failed on %s", task.DisplayName(), h.host.Name))
	}
	return reg, nil
}

// untilOnSkipped is until: on the result of a module check mode skips:
// Ansible evaluates it all the same, so an until reading what the module
// would have returned (until: r.status == 200) fails the task, and one
// that stays false fails it after the retries (not waited for here: the
// result cannot change). It returns the failure's message, "" when until
// holds, and whether the retries ran out (rather than until failing).
func (h *hostRun) untilOnSkipped(task *Task, vars, reg map[string]any) (string, bool) {
	if task.Until == nil {
		return "", false
	}
	condVars := maps.Clone(vars)
	condVars["result"] = unsafe(reg)
	if task.Register != "" {
		condVars[task.Register] = condVars["result"]
	}
	done, err := task.Until.eval(condVars)
	if err != nil {
		return err.Error(), false
	}
	if done {
		return "", false
	}
	retries, _, err := retryKeywords(task, vars)
	if err != nil {
		return err.Error(), false
	}
	return fmt.Sprintf("until: %s still false after %d attempts", task.Until.Src, retries+1), true
}

// setFailedVars keeps ansible_failed_task and ansible_failed_result for a
// block's rescue.
func (h *hostRun) setFailedVars(task *Task, reg map[string]any) {
	h.failedVars = map[string]any{"ansible_failed_task": map[string]any{"name": task.Name, "action": task.Key},
		"ansible_failed_result": unsafe(reg)}
}

// noLogMsg replaces what a no_log task printed, as Ansible's.
const noLogMsg = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"

// itemLabel is how a loop item is shown: its loop_control label, rendered.
func (h *hostRun) itemLabel(task *Task, item any, isLoop bool, vars map[string]any) any {
	if !isLoop {
		return nil
	}
	if h.noLog(task) {
		return noLogMsg
	}
	if task.LoopControl.Label != nil {
		if v, err := templateArgs(task.eng, task.LoopControl.Label, vars); err == nil {
			return v
		}
	}
	return item
}

// attempt runs the action, again while until is false (retries/delay),
// and applies changed_when and failed_when.
func (h *hostRun) attempt(ctx context.Context, task *Task, vars map[string]any, r *TaskResult, check, diff bool) (*Outcome, map[string]any, error) {
	retries, delay, err := retryKeywords(task, vars)
	if err != nil {
		out := failed("%v", err)
		return out, out.registered(), nil
	}
	for n := 1; ; n++ {
		if h.lost && task.DelegateTo == nil && needsConnection(task.Action) {
			if err := h.reconnect(ctx, 0); err != nil {
				return nil, nil, err
			}
		}
		run := &actionRun{host: h, task: task, vars: vars, check: check, diff: diff, tr: h.tr, target: h.target}
		if task.DelegateTo != nil {
			var err error
			h.factsTo = h.delegateFactsTo(task, vars)
			defer func() { h.factsTo = "" }()
			if run.tr, run.target, err = h.delegate(ctx, task, vars); err != nil {
				if remote.ClassOf(err) == remote.ClassCancelled {
					return nil, nil, err
				}
				out := failed("%v", err)
				return out, out.registered(), nil
			}
		}
		out, err := h.runAction(ctx, run)
		if err != nil {
			return nil, nil, err
		}
		if task.Until != nil {
			if out.Extra == nil {
				out.Extra = map[string]any{}
			}
			out.Extra["attempts"] = n
		}
		reg := out.registered()
		condVars := maps.Clone(vars)
		condVars["result"] = unsafe(reg)
		if task.Register != "" {
			condVars[task.Register] = condVars["result"]
		}
		if err := h.applyConditions(task, out, condVars); err != nil {
			out.Failed, out.Msg = true, err.Error()
		}
		reg = out.registered()
		r.Attempts = n
		if task.Until == nil {
			return out, reg, nil
		}
		condVars["result"] = unsafe(reg)
		if task.Register != "" {
			condVars[task.Register] = condVars["result"]
		}
		done, err := task.Until.eval(condVars)
		if err != nil {
			out.Failed, out.Msg = true, err.Error()
			return out, out.registered(), nil
		}
		if done { // the result stays as the action left it (a failure too), as Ansible's
			return out, out.registered(), nil
		}
		if n > retries {
			out.Failed = true
			out.Msg = joinMsg(out.Msg, fmt.Sprintf("until: %s still false after %d attempts", task.Until.Src, n))
			return out, out.registered(), nil
		}
		if !remote.Sleep(ctx, delay) {
			return nil, nil, ctx.Err()
		}
	}
}

// runAction runs the action once, within the task's timeout and the
// run's bound on concurrent actions.
func (h *hostRun) runAction(ctx context.Context, run *actionRun) (*Outcome, error) {
	task := run.task
	if task.Throttle > 0 {
		sem := h.br.throttle(task)
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { <-sem }()
	}
	select {
	case h.br.e.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.br.e.sem }()
	actx, cancel := ctx, context.CancelFunc(func() {})
	if task.Timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, task.Timeout)
	}
	defer cancel()
	if out := asyncRefusal(run); out != nil {
		return out, nil
	}
	out, err := task.Action.run(actx, run)
	if err != nil && ctx.Err() == nil && actx.Err() != nil {
		// The task's own timeout: the task failed, the host goes on.
		return &Outcome{Failed: true, Msg: fmt.Sprintf("timed out after %s (the task's timeout)", task.Timeout)}, nil
	}
	return out, err
}

// applyConditions applies failed_when and changed_when.
func (h *hostRun) applyConditions(task *Task, out *Outcome, vars map[string]any) error {
	if task.FailedWhen != nil {
		failed, err := task.FailedWhen.eval(vars)
		if err != nil {
			return err
		}
		out.Failed = failed
		if failed && out.Msg == "" {
			out.Msg = "failed_when: " + task.FailedWhen.Src
		}
	}
	if task.ChangedWhen != nil {
		changed, err := task.ChangedWhen.eval(vars)
		if err != nil {
			return err
		}
		out.Changed = changed
	}
	return nil
}

// settle turns an outcome into the result's status.
func (h *hostRun) settle(task *Task, r *TaskResult, out *Outcome) {
	s := h.br.e.pb.Secrets
	r.Msg, r.Stdout, r.Stderr = s.Redact(out.Msg), s.Redact(out.Stdout), s.Redact(out.Stderr)
	r.RC = out.RC
	switch {
	case out.Failed:
		r.Status, r.Changed = StatusFailed, out.Changed
		if r.LoopItem { // the loop's result fails the host, once every item ran (Ansible's)
			r.Ignored = h.ignoreErrors(task)
			break
		}
		h.taskFailed(task, r)
	case out.Skipped:
		r.Status = StatusSkipped
	case out.Changed:
		r.Status = StatusChanged
	default:
		r.Status = StatusOK
	}
}

// taskFailed is what a failed task does to the host: nothing when its
// errors are ignored; inside a block, a pending block failure (rescued
// or not); otherwise the host fails. any_errors_fatal and a failing
// run_once task end the play.
func (h *hostRun) taskFailed(task *Task, r *TaskResult) {
	switch {
	case h.ignoreErrors(task):
		r.Ignored = true
	case task.Block != nil:
		r.Rescued = task.rescued()
		if !task.rescued() && h.errorsFatal(task) { // as Ansible's: after the task, not once the block is left
			h.br.abort(fmt.Sprintf("any_errors_fatal: %s failed", h.host.Name), h.step)
		}
		if h.failure == nil {
			h.failure = &blockFailure{block: task.Block, section: task.Section}
		}
	default:
		if task.RunOnce { // as Ansible's: a run_once task that fails ends the play
			h.br.abort(fmt.Sprintf("the run_once task %q failed on %s", task.DisplayName(), h.host.Name), h.step)
		}
		h.fails()
	}
}

// fail reports a task failed before its action ran (a condition or loop
// that cannot be evaluated).
func (h *hostRun) fail(task *Task, r *TaskResult, msg string) map[string]any {
	h.settle(task, r, &Outcome{Failed: true, Msg: msg})
	h.br.e.emit(Event{Kind: EventResult, Result: r})
	return map[string]any{"failed": true, "changed": false, "msg": msg}
}

func joinMsg(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func toList(v any) ([]any, bool) {
	switch v := v.(type) {
	case []any:
		return v, true
	case []string:
		out := make([]any, len(v))
		for i, s := range v {
			out[i] = s
		}
		return out, true
	case nil:
		return nil, true
	}
	return nil, false
}

// skippedResult is what a skipped task registers: every field of a result,
// empty, so later tasks reading it (out.stdout) still evaluate.
func skippedResult(task *Task, msg string) map[string]any {
	if _, legacy := task.Action.(*ModuleAction); !legacy {
		if _, b := task.Action.(*BuiltinAction); !b {
			reg := (&Outcome{}).registered()
			reg["skipped"] = true
			return reg
		}
	}
	return map[string]any{"changed": false, "skipped": true, "skip_reason": msg}
}

// keyword is a boolean keyword of the task on this host: given by a
// template, it is decided with the host's variables now; otherwise, or
// when the template cannot be decided, it is def (onError).
func (h *hostRun) keyword(task *Task, key string, def, onError bool) bool {
	tmpl, ok := task.kwTemplates[key]
	if !ok {
		return def
	}
	v, err := tmpl.value(h.taskVars(task, nil))
	if err != nil {
		return onError
	}
	b, err := module.ToBool(v)
	if err != nil {
		return onError
	}
	return b
}

// ignoreErrors is the task's ignore_errors on this host.
func (h *hostRun) ignoreErrors(task *Task) bool {
	return h.keyword(task, "ignore_errors", task.IgnoreErrors, false)
}

// noLog is the task's no_log on this host; a template that cannot be
// decided hides the output.
func (h *hostRun) noLog(task *Task) bool { return h.keyword(task, "no_log", task.NoLog, true) }
