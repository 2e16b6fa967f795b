package main

import "github.com/remotectl/remotectl/inventory"

// rerunPlans keeps, with --rerun, the plans of the hosts the earlier run
// selects (see opsRun.rerunTargets).
func rerunPlans(ops *opsRun, a *app, plans []*hostPlan) ([]*hostPlan, error) {
	if ops.o.Rerun == "" {
		return plans, nil
	}
	byName := make(map[string]*hostPlan, len(plans))
	for _, p := range plans {
		byName[p.host.Name] = p
	}
	targets, err := ops.rerunTargets(a.targets(planHosts(plans)))
	if err != nil {
		return nil, err
	}
	kept := make([]*hostPlan, 0, len(targets))
	for _, t := range targets {
		kept = append(kept, byName[t.Name])
	}
	return kept, nil
}

// planHosts returns the hosts of plans, in order.
func planHosts(plans []*hostPlan) []*inventory.Host {
	hosts := make([]*inventory.Host, len(plans))
	for i, p := range plans {
		hosts[i] = p.host
	}
	return hosts
}
