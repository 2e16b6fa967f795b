// Package doctor diagnoses, step by step, why hosts can or cannot be
// reached: each step ends in a Finding (ok, info, warn, fail or skip, with a
// fix for problems), a step runs only when the steps it needs passed, and a
// Report gathers one host's findings. The steps themselves belong to the
// transports (remote/ssh, remote/winrm, remote/local), each offering them as
// a Steps value; Run fans the hosts out over a remote.Runner, and Write
// prints the reports as text or JSON.
package doctor

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/remotectl/remotectl/remote"
)

// Status is the outcome of one diagnostic step.
type Status string

// The statuses of a step, from good to blocking; Skip marks a step that did
// not run.
const (
	OK   Status = "ok"
	Info Status = "info" // worth knowing, nothing to fix
	Warn Status = "warn" // worth fixing, not blocking
	Fail Status = "fail" // blocking: the host cannot be used
	Skip Status = "skip" // a prerequisite failed, or the run was interrupted
)

// Finding is the result of one step: what was seen and, for problems, what
// to do.
type Finding struct {
	Step    string `json:"step"`
	Status  Status `json:"status"`
	Summary string `json:"summary"`
	Fix     string `json:"fix,omitempty"`
	// Class is the error class of a failed connection attempt.
	Class string `json:"error_class,omitempty"`
	// Facts are what the step observed, by name (algorithms, names, files).
	Facts map[string][]string `json:"facts,omitempty"`
}

// Failed turns a classified error into a blocking finding: its class, and
// its hint as the fix.
func Failed(err error) Finding {
	return Finding{Status: Fail, Summary: err.Error(), Fix: remote.HintOf(err), Class: remote.ClassOf(err).String()}
}

// Step is one diagnostic step: it runs only when every step it needs ended
// ok, info or warn. Run need not set the finding's Step.
type Step struct {
	Name  string
	Needs []string
	Run   func(ctx context.Context) Finding
}

// Steps makes the steps that diagnose one host of a transport kind, in
// order, and the function that releases what they open (a login
// connection). Each transport offers one.
type Steps interface {
	Steps(t remote.Target) ([]Step, func())
}

// StepsFunc adapts a function to Steps.
type StepsFunc func(t remote.Target) ([]Step, func())

// Steps calls f.
func (f StepsFunc) Steps(t remote.Target) ([]Step, func()) { return f(t) }

// Report is everything doctor found about one host.
type Report struct {
	Host      string    `json:"host"`
	Transport string    `json:"transport"`
	Healthy   bool      `json:"healthy"`
	Steps     []Finding `json:"steps"`
}

// newReport gathers the findings of t's steps: the host is healthy when no
// step failed or was skipped.
func newReport(t remote.Target, kind string, findings []Finding) Report {
	r := Report{Host: t.Name, Transport: kind, Healthy: true, Steps: findings}
	for _, f := range findings {
		if f.Status == Fail || f.Status == Skip {
			r.Healthy = false
		}
	}
	return r
}

// runSteps runs steps in order, skipping those whose prerequisites did not
// pass, and stops (skipping the rest) when ctx is done.
func runSteps(ctx context.Context, steps []Step) []Finding {
	outcome := map[string]Status{}
	out := make([]Finding, 0, len(steps))
	for _, s := range steps {
		f := Finding{Step: s.Name}
		switch blocker := firstBlocker(outcome, s.Needs); {
		case ctx.Err() != nil:
			f.Status, f.Summary = Skip, "skipped: interrupted"
		case blocker != "":
			f.Status, f.Summary = Skip, "skipped: "+blocker+" did not pass"
		default:
			f = s.Run(ctx)
			f.Step = s.Name
		}
		outcome[s.Name] = f.Status
		out = append(out, f)
	}
	return out
}

// firstBlocker returns the first needed step that failed or was skipped.
func firstBlocker(outcome map[string]Status, needs []string) string {
	for _, n := range needs {
		if st := outcome[n]; st == Fail || st == Skip {
			return n
		}
	}
	return ""
}

// Resolve is the name resolution step every network transport shares: it
// checks that host resolves, and is only informative when the jump host via
// resolves it.
func Resolve(ctx context.Context, host, via string) Finding {
	if via != "" {
		return Finding{Status: Info, Summary: fmt.Sprintf("%s is resolved by the jump host %s", host, via)}
	}
	if ip := net.ParseIP(host); ip != nil {
		return Finding{Status: OK, Summary: host + " is an IP address"}
	}
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil {
		class := remote.NetClass(err)
		if class == remote.ClassNone {
			class = remote.ClassDNS
		}
		return Finding{Status: Fail, Class: class.String(),
			Summary: fmt.Sprintf("%s does not resolve: %v", host, err),
			Fix:     "check the host name, or set the host's address in the inventory (ansible_host / address)"}
	}
	sort.Strings(addrs)
	return Finding{Status: OK, Summary: fmt.Sprintf("%s resolves to %s", host, strings.Join(addrs, ", ")),
		Facts: map[string][]string{"addresses": addrs}}
}

// ListOrNothing joins a list for a summary, "nothing" when it is empty.
func ListOrNothing(list []string) string {
	if len(list) == 0 {
		return "nothing"
	}
	return strings.Join(list, ", ")
}
