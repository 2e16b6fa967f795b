package checks

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// RunOptions tune Run. Zero values mean the defaults.
type RunOptions struct {
	// Parallel is how many network probes (http, addr, dns, tls) run at
	// once for this host (default 8).
	Parallel int
	// RetryTimeout re-runs the checks that fail (or cannot be evaluated)
	// until they pass or this much time has passed (--retry-timeout); 0
	// runs them once.
	RetryTimeout time.Duration
	// Sleep is the pause between retries (default 1s).
	Sleep time.Duration
	// DefaultTimeout bounds a check that sets no timeout: and whose type
	// has no default in goss (default 10s): tls, and each host-side probe
	// but mount's (see gossTimeout).
	DefaultTimeout time.Duration
	// HostTimeout bounds the host-side probes (the gather) as a whole
	// (default 60s; a gathered check's longer timeout: extends it). A probe
	// that finished keeps its result when the bound stops the rest.
	HostTimeout time.Duration
	// Become runs the host-side probes and command checks through sudo
	// (as BecomeUser, root when empty), so root-only files can be checked.
	// Ignored on Windows hosts.
	Become     bool
	BecomeUser string
}

// Defaults of RunOptions.
const (
	DefaultParallel    = 8
	DefaultSleep       = time.Second
	DefaultTimeout     = 10 * time.Second
	DefaultHostTimeout = time.Minute
)

func (o RunOptions) withDefaults() RunOptions {
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.Sleep <= 0 {
		o.Sleep = DefaultSleep
	}
	if o.DefaultTimeout <= 0 {
		o.DefaultTimeout = DefaultTimeout
	}
	if o.HostTimeout <= 0 {
		o.HostTimeout = DefaultHostTimeout
	}
	return o
}

// Run evaluates checks on one host and returns one result per property, in
// check order.
//
// Host-side observations are gathered in one round trip: a single script
// collects everything the checks need (listening sockets, services,
// packages, files, users, ...) and every property is then evaluated locally
// by pure parsers. Command checks run as their own commands, one after the
// other, on the same connection. exec may be nil when every check is
// observed from the controller.
//
// Network checks (http, addr, dns, tls) run concurrently, at most
// opts.Parallel at a time, from the controller or, with from: host, through
// the host's connection when exec implements remote.NetDialer (SSH).
//
// A property that depends on one that failed (ip when the port does not
// listen) is a Skip. A property that cannot be evaluated (the probe failed,
// the connection was lost) is an Error, never a Fail.
func Run(ctx context.Context, exec Executor, host HostInfo, checks []*Check, opts RunOptions) []Result {
	r := &hostRun{exec: exec, host: host.Name, opts: opts.withDefaults()}
	perCheck := make([][]Result, len(checks))
	pending := make([]int, len(checks))
	for i := range pending {
		pending[i] = i
	}
	deadline := time.Now().Add(r.opts.RetryTimeout)
	for {
		r.evaluate(ctx, checks, pending, perCheck)
		r.retry(ctx, checks, failing(pending, perCheck), perCheck)
		pending = failing(pending, perCheck)
		if len(pending) == 0 || r.opts.RetryTimeout <= 0 || time.Now().Add(r.opts.Sleep).After(deadline) {
			break
		}
		if !remote.Sleep(ctx, r.opts.Sleep) {
			break
		}
	}
	var all []Result
	for _, rs := range perCheck {
		all = append(all, rs...)
	}
	return all
}

// defaultRetryDelay is goss's wait between two tries of a check with
// retry_count and no retry_delay.
const defaultRetryDelay = time.Second

// retry observes again, each on its own, the checks of idx that have a
// retry_count, until they pass or their tries run out, as goss does.
func (r *hostRun) retry(ctx context.Context, checks []*Check, idx []int, out [][]Result) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.opts.Parallel)
	for _, i := range idx {
		c := checks[i]
		if c.RetryCount == 0 || c.Skip {
			continue
		}
		delay := c.RetryDelay
		if delay <= 0 {
			delay = defaultRetryDelay
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for try := 0; try < c.RetryCount && len(failing([]int{i}, out)) > 0; try++ {
				if !remote.Sleep(ctx, delay) {
					return
				}
				sem <- struct{}{}
				r.evaluate(ctx, checks, []int{i}, out)
				<-sem
			}
		}()
	}
	wg.Wait()
}

// failing returns the checks with a failed or unevaluated property.
func failing(idx []int, perCheck [][]Result) []int {
	var out []int
	for _, i := range idx {
		for _, r := range perCheck[i] {
			if r.Status == Fail || r.Status == Error {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// hostRun is one Run: a host, its connection and the options.
type hostRun struct {
	exec Executor
	host string
	opts RunOptions
}

// become sets the options' sudo settings on a host command.
func (r *hostRun) become(cmd *remote.Cmd) {
	if r.opts.Become && r.exec.OS() != remote.OSWindows {
		cmd.Become, cmd.BecomeUser = true, r.opts.BecomeUser
	}
}

// gossTimeout is goss's default timeout for a check of type typ that sets
// no timeout: (goss's resource/*.go), or 0 where goss has none: addr and
// dns 500ms, http 5s, command 10s, mount 1s (reading the mount table; here
// each of its probes).
func gossTimeout(typ string) time.Duration {
	switch typ {
	case "addr", "dns":
		return 500 * time.Millisecond
	case "http":
		return 5 * time.Second
	case "command":
		return 10 * time.Second
	case "mount":
		return time.Second
	}
	return 0
}

// timeout is how long a check may take: its timeout:, else goss's default
// for its type, else RunOptions.DefaultTimeout. A host-side probe may go
// that long without output before it is stopped.
func (r *hostRun) timeout(c *Check) time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	if d := gossTimeout(c.Type); d > 0 {
		return d
	}
	return r.opts.DefaultTimeout
}

// hostJob is a host-side check waiting for the gather.
type hostJob struct {
	i    int
	eval hostEval
}

// evaluate runs the checks idx and stores their results in out.
func (r *hostRun) evaluate(ctx context.Context, checks []*Check, idx []int, out [][]Result) {
	family := remote.OSUnknown
	if r.exec != nil {
		family = r.exec.OS()
	}
	g := newGather(family)
	var jobs []hostJob
	var commands, probes []int
	for _, i := range idx {
		c := checks[i]
		switch {
		case c.Skip:
			out[i] = toResults(r.host, c, c.From, 0, skipped(c, "skip: true"))
		case c.tmpl != nil:
			out[i] = r.unevaluated(c, c.From, "the check's templates were not rendered for this host (see Suite.For)")
		case c.Matching != nil:
			// Nothing to observe: the content is in the check.
			out[i] = toResults(r.host, c, c.From, 0, judge(c, newObserved().set("matches", c.Matching.Content)))
		case c.Command != nil:
			commands = append(commands, i)
		case gathered(c, family):
			g.budget = r.timeout(c)
			jobs = append(jobs, hostJob{i, planHost(c, g)})
		default:
			probes = append(probes, i)
		}
	}

	var wg sync.WaitGroup
	sem := make(chan struct{}, r.opts.Parallel)
	for _, i := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				out[i] = r.probe(ctx, checks[i])
			case <-ctx.Done():
				out[i] = r.unevaluated(checks[i], checks[i].From, "not run: "+ctx.Err().Error())
			}
		}()
	}
	r.hostSide(ctx, g, checks, jobs, commands, out)
	wg.Wait()
}

// gathered reports whether a check is observed by the host's gather script.
// DNS lookups from the host without a server use the host's resolver:
// Resolve-DnsName on Windows, getent (A and AAAA only) elsewhere.
func gathered(c *Check, family remote.OSFamily) bool {
	switch c.Type {
	case "addr", "http", "tls", "command":
		return false
	case "dns":
		d := c.DNS
		return c.From == FromHost && d.Server == "" &&
			(family == remote.OSWindows || d.Type == "" || d.Type == "A" || d.Type == "AAAA")
	}
	return true
}

// unevaluated returns Error results for every property of a check.
func (r *hostRun) unevaluated(c *Check, v Vantage, msg string) []Result {
	return toResults(r.host, c, v, 0, judge(c, failure(msg)))
}

// hostSide runs the gather, evaluates the gathered checks, then runs the
// command checks, on the host's one connection.
func (r *hostRun) hostSide(ctx context.Context, g *gather, checks []*Check, jobs []hostJob, commands []int, out [][]Result) {
	if len(jobs) == 0 && len(commands) == 0 {
		return
	}
	if r.exec == nil {
		for _, j := range jobs {
			out[j.i] = r.unevaluated(checks[j.i], FromHost, "no connection to the host")
		}
		for _, i := range commands {
			out[i] = r.unevaluated(checks[i], FromHost, "no connection to the host")
		}
		return
	}
	// On the controller itself, commands run beside the gather, a few at a
	// time, as goss runs them; over a connection, one after the other.
	var wg sync.WaitGroup
	if lx, ok := r.exec.(LocalExecutor); ok && lx.OnController() {
		wg.Add(1)
		go func(idx []int) {
			defer wg.Done()
			r.commands(ctx, checks, idx, out, r.opts.Parallel)
		}(commands)
		commands = nil
	}
	defer wg.Wait()
	if len(jobs) > 0 {
		limit := r.opts.HostTimeout
		for _, j := range jobs {
			limit = max(limit, checks[j.i].Timeout)
		}
		gctx, cancel := context.WithTimeout(ctx, limit)
		g.run(gctx, r.exec, r.become)
		cancel()
		if g.err != nil && errors.Is(g.err, context.DeadlineExceeded) && ctx.Err() == nil {
			g.err = fmt.Errorf("the probes did not finish within %s: %w", limit, g.err)
		}
		// The checks share one round trip: each takes its share of it, so
		// their times add up to the host's probe time, not a multiple of it.
		share := g.duration / time.Duration(len(jobs))
		for _, j := range jobs {
			c := checks[j.i]
			out[j.i] = toResults(r.host, c, FromHost, share, judge(c, j.eval()))
		}
	}
	r.commands(ctx, checks, commands, out, 1)
}

// commands runs the command checks idx, at most parallel at a time.
func (r *hostRun) commands(ctx context.Context, checks []*Check, idx []int, out [][]Result, parallel int) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	for _, i := range idx {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c := checks[i]
			o, d := runCommand(ctx, r.exec, c.Command, r.timeout(c), r.become)
			out[i] = toResults(r.host, c, FromHost, d, judge(c, o))
		}()
	}
	wg.Wait()
}

// probe runs one network check.
func (r *hostRun) probe(ctx context.Context, c *Check) []Result {
	start := time.Now()
	o := r.netObserve(ctx, c)
	return toResults(r.host, c, c.From, time.Since(start), judge(c, o))
}

// netObserve observes a network check's resource.
func (r *hostRun) netObserve(ctx context.Context, c *Check) *observed {
	timeout := r.timeout(c)
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, problem := r.netProbe(c.From, timeout)
	var o *observed
	switch {
	case problem != "":
		o = failure(problem)
	case c.Addr != nil:
		o = probeAddr(pctx, c.Addr, p)
	case c.HTTP != nil:
		o = probeHTTP(pctx, c.HTTP, p)
	case c.TLS != nil:
		o = probeTLS(pctx, c.TLS, p, time.Now())
	case c.DNS != nil && c.From == FromHost && c.DNS.Server == "":
		o = failure(c.DNS.Type + " lookups from a POSIX host need server: (queried through the host's connection); " +
			"without one, only A and AAAA lookups run on the host (getent)")
	case c.DNS != nil:
		o = probeDNS(pctx, c.DNS, p)
	default:
		o = failure(c.Type + " checks cannot be observed over the network")
	}
	return o
}

// netProbe returns where a network check's connections come from.
func (r *hostRun) netProbe(from Vantage, timeout time.Duration) (netProbe, string) {
	if from != FromHost {
		return netProbe{dial: controllerDial(timeout), timeout: timeout}, ""
	}
	nd, ok := r.exec.(remote.NetDialer)
	if r.exec == nil || !ok {
		return netProbe{}, "from: host needs a transport that can open connections (ssh)"
	}
	return netProbe{dial: nd.DialContext, host: true, timeout: timeout}, ""
}
