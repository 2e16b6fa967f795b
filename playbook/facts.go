package playbook

import (
	"context"
	"maps"
	"time"

	"github.com/remotectl/remotectl/playbook/module"
)

// gatherFacts runs one command and keeps the host's facts for the play (and
// the following plays): os_family, distribution, distribution_version,
// hostname, arch (also architecture), kernel, system.
func (h *hostRun) gatherFacts(ctx context.Context) error {
	task := &Task{Name: "Gathering Facts", Pos: h.br.plan.Play.Pos, Action: factsAction{}}
	if h.br.step != nil {
		if !h.br.step.arrive(ctx, h.index) {
			return ctx.Err()
		}
		if !h.br.taskStarted(-1, task) {
			return nil
		}
	}
	r := h.newResult(task, nil)
	start := time.Now()
	out, err := h.runAction(ctx, &actionRun{host: h, task: task, vars: h.taskVars(nil, nil), check: true, tr: h.tr, target: h.target})
	r.Duration = time.Since(start)
	if err != nil {
		err = h.br.settle(ctx, err)
		h.failWith(r, err)
		h.br.e.emit(Event{Kind: EventResult, Result: r})
		return err
	}
	h.settle(task, r, out)
	h.br.e.emit(Event{Kind: EventResult, Result: r})
	return nil
}

// factsAction gathers facts with the setup module (on Windows hosts, its
// PowerShell implementation); it is read-only and runs in check mode. args are setup's (gather_subset,
// filter...).
type factsAction struct{ args map[string]any }

func (factsAction) Kind() string    { return "gather_facts" }
func (factsAction) summary() string { return "" }
func (factsAction) readOnly() bool  { return true }

func (a factsAction) run(ctx context.Context, r *actionRun) (*Outcome, error) {
	setup, _ := module.Lookup("setup")
	args, err := setup.Normalize(a.args)
	if err != nil {
		return failed("%v", err), nil
	}
	// as Ansible's: ansible_user_id is the become user's
	host := module.NewHost(r.tr, r.target, r.moduleBecome(), nil)
	res, err := setup.Run(ctx, &module.Call{Module: setup, Args: args, Host: host, Check: true})
	if err != nil {
		return nil, err
	}
	out := outcomeOf(res)
	if !out.Failed {
		facts, _ := res["ansible_facts"].(map[string]any)
		r.host.addFacts(facts)
	}
	return out, nil
}

// addFacts merges facts a module returned into the host's, as Ansible's
// fact cache: they are the host's ansible_facts from now on, in this play
// and the following ones.
func (h *hostRun) addFacts(facts map[string]any) {
	if len(facts) == 0 {
		return
	}
	mem, name := h.factsHost()
	merged := maps.Clone(mem.facts)
	if merged == nil {
		merged = map[string]any{}
	}
	maps.Copy(merged, facts)
	mem.facts = merged
	h.br.e.setHostvar(h.br.plan, name, "ansible_facts", unsafe(merged))
}

// factNames are the facts gatherFacts sets, each also a variable
// ansible_NAME.
var factNames = []string{"system", "kernel", "arch", "architecture", "hostname", "distribution", "distribution_version", "os_family"}
