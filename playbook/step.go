package playbook

import "sync"

// includeSteps asks --step's question for the tasks an include runs, once
// per batch as Ansible's linear strategy asks each round: the first host
// to reach the n-th run of an included task asks, the others of the batch
// take its answer (hosts that include a task more often, in a loop, ask
// again for the runs the first host did not make).
type includeSteps struct {
	mu      sync.Mutex
	answers map[includeStepKey]*includeStep
	seen    map[includeSeenKey]int // runs of an included task so far, by host
}

type includeStepKey struct {
	task *Task
	n    int
}

type includeSeenKey struct {
	host string
	task *Task
}

type includeStep struct {
	once sync.Once
	run  bool
}

// stepInto reports whether host is to run the included task t: with
// --step (linear strategy) the answer of the batch's question for it,
// else true.
func (br *batchRun) stepInto(host string, t *Task) bool {
	if br.step == nil || !br.e.opts.Step {
		return true
	}
	s := &br.includes
	s.mu.Lock()
	if s.answers == nil {
		s.answers, s.seen = map[includeStepKey]*includeStep{}, map[includeSeenKey]int{}
	}
	sk := includeSeenKey{host, t}
	key := includeStepKey{t, s.seen[sk]}
	s.seen[sk]++
	a := s.answers[key]
	if a == nil {
		a = &includeStep{}
		s.answers[key] = a
	}
	s.mu.Unlock()
	a.once.Do(func() { a.run = br.e.takeStep(t) })
	return a.run
}
