// Package plan decides which checks each host of an inventory runs: the
// checks of the files named on the command line, or, without any, of the
// files each host's inventory variable "checks" names, loaded for each host
// by a checks.Loader (files that are goss templates rendered for the host,
// with Vars: the command line's variables and the environment), kept when
// their hosts: pattern selects the host, templates in values executed for
// the host. Render and Validate serve check --render and --validate-only. It sits
// above package checks (which knows nothing of inventories) and package
// inventory, and below the check command, which runs the plans it returns.
package plan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/internal/errkind"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/remote"
)

// FilesVar is the inventory variable naming a host's check files.
const FilesVar = "checks"

// UsageError is a plan that cannot be made from how the command was called:
// no check file, no check, no check for the selected hosts.
type UsageError = errkind.Usage

// InputError is invalid data: a broken check file, a bad "checks"
// variable, a hosts: pattern naming no host or group.
type InputError = errkind.Input

// Host is what one host checks.
type Host struct {
	Host   *inventory.Host
	Info   checks.HostInfo // what the host's templates saw
	Checks []*checks.Check // the host's checks, templates executed
	Failed []checks.Result // checks whose templates failed for this host, as errors
	// Offline: every check is observed from the controller or skipped, so
	// the host needs no connection.
	Offline bool
	// Secrets are the values of the controller's environment that the
	// check files' templates read (see Secrets).
	Secrets []string
}

// Run evaluates the host's checks over t (unused when the plan is offline).
// It returns the context's error when the host's time ran out, so the host
// is reported as timed out (or cancelled) rather than with partial results.
func (p *Host) Run(ctx context.Context, t remote.Transport, opts checks.RunOptions) ([]checks.Result, error) {
	var exec checks.Executor = t
	if p.Offline {
		exec = nil
	}
	res := slices.Clone(p.Failed)
	res = append(res, checks.Run(ctx, exec, p.Info, p.Checks, opts)...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// ExitCode is the exit code a host's check job reports to generic code (the
// runner, its events): 1 when some property of res failed, else 0.
func ExitCode(res []checks.Result) int {
	if slices.ContainsFunc(res, func(r checks.Result) bool { return r.Status == checks.Fail }) {
		return 1
	}
	return 0
}

// Vars are the template inputs every host shares: the command line's
// variables (--vars, --vars-inline) and the controller's environment.
type Vars struct {
	Vars map[string]any
	Env  map[string]string
}

// LoadVars reads the variables of files and inline (checks.LoadVars) and
// takes the environment from environ ("NAME=value"); a bad one is an
// InputError.
func LoadVars(files []string, inline string, environ []string) (Vars, error) {
	vars, err := checks.LoadVars(files, inline)
	if err != nil {
		return Vars{}, InputError{Err: err}
	}
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return Vars{Vars: vars, Env: env}, nil
}

// Host returns what the templates of host h see: its inventory variables,
// those of the command line replacing them.
func (v Vars) Host(h *inventory.Host) checks.HostInfo {
	return checks.HostInfo{Name: h.Name, Vars: checks.MergeVars(h.Vars, v.Vars), Env: v.Env}
}

// New loads each host's check files, rendered for the host with vars, and
// decides which checks it runs: those from files (or, without files, from
// the files its inventory variable names) whose hosts: pattern selects it.
// Hosts no check applies to are left out; none left is a UsageError. Every
// problem in the files is reported at once, as an InputError.
func New(inv *inventory.Inventory, hosts []*inventory.Host, files []string, vars Vars) ([]*Host, error) {
	if len(hosts) == 0 { // an empty --shard: no host, nothing to plan
		return nil, nil
	}
	filesOf, err := checkFiles(hosts, files)
	if err != nil {
		return nil, err
	}
	loader := &checks.Loader{}
	var loadErrs hostErrors
	sel := newSelector(inv)
	var plans []*Host
	anyCheck := false
	for _, h := range hosts {
		info := vars.Host(h)
		suite, err := loader.Load(filesOf(h), info)
		if err != nil {
			loadErrs.add(h.Name, err)
			continue
		}
		var applicable []*checks.Check
		for _, c := range suite.Checks {
			anyCheck = true
			ok, err := sel.selects(c, h.Name)
			if err != nil {
				return nil, err
			}
			if ok {
				applicable = append(applicable, c)
			}
		}
		if len(applicable) == 0 {
			continue
		}
		// For needs only the checks it renders, whatever suite they came from.
		rendered, failed := (&checks.Suite{Checks: applicable}).For(info, applicable)
		plans = append(plans, &Host{Host: h, Info: info, Checks: rendered, Failed: failed, Offline: !needsConnection(rendered)})
	}
	secrets := envSecrets(loader, vars.Env)
	for _, p := range plans {
		p.Secrets = secrets
	}
	switch {
	case loadErrs.first != nil:
		return nil, InputError{Err: loadErrs.err()}
	case !anyCheck:
		return nil, UsageError{Err: errors.New("the check files hold no check: write resource types at their top level (file:, port:, command:, ...)")}
	case len(plans) == 0:
		return nil, UsageError{Err: fmt.Errorf("no check applies to the selected hosts (%s): the checks' hosts: patterns select none of them", foldHosts(hosts))}
	}
	return plans, nil
}

// envSecrets returns the values of env the templates loader loaded read:
// each variable read by name (.Env.NAME, getEnv "NAME"), whatever its
// name, as a playbook's env lookup; and when a template reads the
// environment otherwise (range .Env), those whose names say they are
// secret (inventory.IsSecretVar), as exec's --env.
func envSecrets(loader *checks.Loader, env map[string]string) []string {
	names, anyRead := loader.EnvRead()
	var out []string
	for _, n := range names {
		if v := env[n]; v != "" {
			out = append(out, v)
		}
	}
	if anyRead {
		out = append(out, inventory.SecretEnv(env)...)
	}
	return out
}

// Secrets returns the values plans' templates read from the controller's
// environment, for the run's masker: they are masked in every output, the
// check's title and id included.
func Secrets(plans []*Host) []string {
	var out []string
	seen := make(map[string]bool)
	for _, p := range plans {
		for _, v := range p.Secrets {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}

// hostErrors gathers the hosts whose check files fail to load: the first
// host's problems in full, and the other hosts whose problems differ.
type hostErrors struct {
	first  error
	others []string
}

func (e *hostErrors) add(host string, err error) {
	switch {
	case e.first == nil:
		e.first = err
	case err.Error() != e.first.Error():
		e.others = append(e.others, host)
	}
}

func (e *hostErrors) err() error {
	if len(e.others) == 0 {
		return e.first
	}
	return errors.Join(e.first, fmt.Errorf("the check files also fail to load for %s; hint: remotectl check --validate-only -H HOST shows one host's problems", nodeset.Fold(e.others)))
}

// needsConnection reports whether some check is observed on the host.
func needsConnection(cs []*checks.Check) bool {
	for _, c := range cs {
		if !c.Skip && c.From != checks.FromController {
			return true
		}
	}
	return false
}

// checkFiles returns the check files of each host: files when there are
// any, else the files the host's "checks" variable names.
func checkFiles(hosts []*inventory.Host, files []string) (func(*inventory.Host) []string, error) {
	if len(files) > 0 {
		return func(*inventory.Host) []string { return files }, nil
	}
	perHost := make(map[*inventory.Host][]string, len(hosts))
	var errs []error
	reported := make(map[string]bool) // origins of bad "checks" variables
	for _, h := range hosts {
		paths, err := hostFiles(h)
		if err != nil {
			if origin := h.VarOrigin(FilesVar); !reported[origin] {
				reported[origin] = true
				errs = append(errs, err)
			}
			continue
		}
		perHost[h] = paths
	}
	if len(errs) > 0 {
		return nil, InputError{Err: errors.Join(errs...)}
	}
	if !slices.ContainsFunc(hosts, func(h *inventory.Host) bool { return len(perHost[h]) > 0 }) {
		return nil, UsageError{Err: fmt.Errorf("no check files: name them as arguments or with -F FILE, or in the inventory with the variable %q (checks: [web.yaml]) on the hosts or their groups", FilesVar)}
	}
	return func(h *inventory.Host) []string { return perHost[h] }, nil
}

// Render writes check file path as rendered for each of hosts, like goss
// render: hosts that render it alike share one copy, under a comment
// naming them. A template error is an InputError.
func Render(out io.Writer, path string, hosts []*inventory.Host, vars Vars) error {
	loader := &checks.Loader{}
	var texts []string
	byText := make(map[string][]string)
	var errs hostErrors
	for _, h := range hosts {
		text, err := loader.Render(path, vars.Host(h))
		if err != nil {
			errs.add(h.Name, err)
			continue
		}
		if _, ok := byText[string(text)]; !ok {
			texts = append(texts, string(text))
		}
		byText[string(text)] = append(byText[string(text)], h.Name)
	}
	if errs.first != nil {
		return InputError{Err: errs.err()}
	}
	for _, text := range texts {
		fmt.Fprintf(out, "# %s rendered for %s\n%s", path, nodeset.Fold(byText[text]), text)
		if !strings.HasSuffix(text, "\n") {
			fmt.Fprintln(out)
		}
	}
	return nil
}

// Validate reports plans for check --validate-only: the checks whose
// values failed to render are an InputError; else one line written to out
// says what would run.
func Validate(out io.Writer, plans []*Host) error {
	var errs []error
	n := 0
	for _, p := range plans {
		n += len(p.Checks)
		for _, r := range p.Failed {
			errs = append(errs, fmt.Errorf("%s: %s", p.Host.Name, r.Message))
		}
		for _, c := range p.Checks {
			for _, msg := range c.Problems() {
				errs = append(errs, fmt.Errorf("%s: %s", p.Host.Name, msg))
			}
		}
	}
	if len(errs) > 0 {
		return InputError{Err: errors.Join(errs...)}
	}
	names := make([]string, len(plans))
	for i, p := range plans {
		names[i] = p.Host.Name
	}
	fmt.Fprintf(out, "valid: %d checks for %s\n", n, nodeset.Fold(names))
	return nil
}

// hostFiles returns the check files a host's "checks" variable names: a
// list of paths, or one path.
func hostFiles(h *inventory.Host) ([]string, error) {
	v, ok := h.Vars[FilesVar]
	if !ok || v == nil {
		return nil, nil
	}
	bad := func() error {
		where := "of host " + h.Name
		if origin := h.VarOrigin(FilesVar); origin != "" {
			where = "from " + origin
		}
		return fmt.Errorf("the variable %q %s must be a list of check file paths, not %s; hint: checks: [web.yaml, base.yaml]",
			FilesVar, where, describeValue(v))
	}
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		paths := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok || s == "" {
				return nil, bad()
			}
			paths = append(paths, s)
		}
		return paths, nil
	}
	return nil, bad()
}

// describeValue names a variable's value in an error message.
func describeValue(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list holding something other than paths"
	}
	return fmt.Sprintf("%v", v)
}

// selector evaluates the hosts: patterns of checks against the inventory,
// each pattern once.
type selector struct {
	inv  *inventory.Inventory
	sets map[string]map[string]bool // pattern -> names of the hosts it selects
}

func newSelector(inv *inventory.Inventory) *selector {
	return &selector{inv: inv, sets: make(map[string]map[string]bool)}
}

// selects reports whether check c applies to the host called name. A
// pattern naming no known host or group is an InputError at the check's
// position; a glob, regex or range matching nothing selects no host.
func (s *selector) selects(c *checks.Check, name string) (bool, error) {
	if strings.TrimSpace(c.Hosts) == "" {
		return true, nil
	}
	set, ok := s.sets[c.Hosts]
	if !ok {
		hosts, err := s.inv.Select(c.Hosts, "")
		if err != nil && !errors.Is(err, inventory.ErrNoMatch) {
			return false, InputError{Err: fmt.Errorf("%s: hosts: %w", c.Pos, err)}
		}
		set = make(map[string]bool, len(hosts))
		for _, h := range hosts {
			set[h.Name] = true
		}
		s.sets[c.Hosts] = set
	}
	return set[name], nil
}

// Hosts returns the hosts of plans, in order.
func Hosts(plans []*Host) []*inventory.Host {
	hosts := make([]*inventory.Host, len(plans))
	for i, p := range plans {
		hosts[i] = p.Host
	}
	return hosts
}

// Keep returns the plans of the hosts targets name, in their order (the
// hosts --rerun keeps).
func Keep(plans []*Host, targets []remote.Target) []*Host {
	byName := make(map[string]*Host, len(plans))
	for _, p := range plans {
		byName[p.Host.Name] = p
	}
	kept := make([]*Host, 0, len(targets))
	for _, t := range targets {
		kept = append(kept, byName[t.Name])
	}
	return kept
}

// Job returns the runner's job over targets, made one for one from plans:
// it runs the target's plan with opts, has mask hide the secrets in its
// results, and reports them as the result's Detail with ExitCode.
func Job(plans []*Host, targets []remote.Target, opts checks.RunOptions, mask func([]checks.Result)) remote.Job {
	index := make(map[*remote.Target]int, len(targets))
	for i := range targets {
		index[&targets[i]] = i
	}
	return func(ctx context.Context, t remote.Transport, hio remote.HostIO) (remote.Result, error) {
		res, err := plans[index[hio.Target]].Run(ctx, t, opts)
		if err != nil {
			return remote.Result{}, err
		}
		mask(res)
		return remote.Result{ExitCode: ExitCode(res), Detail: res}, nil
	}
}

// Unplanned returns the names of the hosts that have no plan.
func Unplanned(hosts []*inventory.Host, plans []*Host) []string {
	planned := make(map[*inventory.Host]bool, len(plans))
	for _, p := range plans {
		planned[p.Host] = true
	}
	var names []string
	for _, h := range hosts {
		if !planned[h] {
			names = append(names, h.Name)
		}
	}
	return names
}

func foldHosts(hosts []*inventory.Host) string {
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	return nodeset.Fold(names)
}

// Dialer returns d for the hosts of plans that need a connection; the
// others, whose checks are all observed from the controller, get a
// transport that refuses every use, without connecting.
func Dialer(d remote.Dialer, plans []*Host) remote.Dialer {
	offline := make(map[string]bool)
	for _, p := range plans {
		if p.Offline {
			offline[p.Host.Name] = true
		}
	}
	return dialer{Dialer: d, offline: offline}
}

// dialer connects to hosts, except those whose checks are all observed from
// the controller.
type dialer struct {
	remote.Dialer
	offline map[string]bool // by host name
}

func (d dialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	if d.offline[t.Name] {
		return remote.Unconnected{Err: errNoConnection}, nil
	}
	return d.Dialer.Dial(ctx, t)
}

// errNoConnection is what a job gets if it uses the transport of a host
// checked from the controller only, which it must not.
var errNoConnection = &remote.Error{Class: remote.ClassOther, Op: "run",
	Err: errors.New("no connection was made to this host: all its checks are observed from the controller")}
