package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
)

// checkOptions are the check command's own settings.
type checkOptions struct {
	Files        []string      // check files: arguments and -F/--file
	RetryTimeout time.Duration // re-run failing checks until they pass or this passes
	Sleep        time.Duration // between retries
	VarsFiles    []string      // --vars: template variables, YAML or JSON files
	VarsInline   string        // --vars-inline: template variables, JSON or YAML text
	Render       string        // --render: print this file as rendered for each host
	ValidateOnly bool          // --validate-only: load and render, do not connect
}

// checkFilesVar is the inventory variable naming a host's check files.
const checkFilesVar = "checks"

func newCheckCmd(a *app) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check [-H PATTERN] [-F FILE]... [FILE...] [flags]",
		Short: "Check that every selected host is as the check files say",
		Long: `Check that every selected host is as the check files say: ports listening, services
running, packages installed, files, users, commands, HTTP endpoints, DNS names,
certificates... Check files are goss-shaped YAML (resource type, id, properties), so goss
files run unchanged, with no agent on the hosts.

Check files are the arguments and -F/--file (repeatable). Without any, each host's files
are those its inventory variable "checks" names (a list of paths, or one path; relative
paths are relative to the current directory), so "remotectl check -H web" checks every web
host against the files its groups name. A check applies to the hosts selected by -H (and
--limit) that its hosts: pattern also selects. Every file is validated before any
connection: a broken file exits 65 naming file:line:col.

Check files are Go templates as in goss: .Vars (the host's inventory variables, replaced
by --vars files and --vars-inline), .Env, .Host.Name, with Sprig's and goss's functions.
--render FILE prints a file as rendered for each host; --validate-only loads, renders and
validates every host's checks without connecting (exit 0, or 65 naming file:line:col).

Each host's checks use one connection, and a host whose checks are all observed from the
controller (http, addr, dns, tls by default) is not connected to at all.

` + report.FormatHelp(report.CheckFormats()) + `
A property is pass, fail, skip (skip: true, or a property it depends on failed) or error
(it could not be evaluated: never counted as a failure, but never a success: exit bit 2).

` + checkExitCodesHelp,
		Example: `  remotectl check web.yaml
  remotectl check -i inventory.yaml -H web
  remotectl check -H 'db:!db03' -F base.yaml -F db.yaml -o junit > report.xml
  remotectl check -H web --retry-timeout 2m --sleep 5s deploy-done.yaml
  remotectl check -H all -o prometheus checks.yaml > /var/lib/node_exporter/remotectl.prom.tmp; mv /var/lib/node_exporter/remotectl.prom.tmp /var/lib/node_exporter/remotectl.prom`,
		// With -o nagios, a bad flag or setting is a status line too.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			err := a.loadSettings(cmd)
			return a.nagiosUnknown(err, strings.ToLower(a.v.GetString("output")) == report.FormatNagios)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = append(o.Files, args...)
			return runCheck(cmd.Context(), a, &o)
		},
	}
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return a.nagiosUnknown(flagError(c, err), outputFlag(a.args, a.io.Getenv) == report.FormatNagios)
	})
	f := cmd.Flags()
	f.StringArrayVarP(&o.Files, "file", "F", nil, "check file (repeatable; default: the files the inventory variable \"checks\" names)")
	f.DurationVar(&o.RetryTimeout, "retry-timeout", 0, "re-run failing checks until they pass or this time has passed (0 = run once)")
	f.DurationVar(&o.Sleep, "sleep", time.Second, "time to wait between retries of failing checks")
	f.StringArrayVar(&o.VarsFiles, "vars", nil, "template variables for .Vars: a YAML or JSON file (repeatable; they replace inventory variables of the same name)")
	f.StringVar(&o.VarsInline, "vars-inline", "", "template variables for .Vars as JSON or YAML text, replacing those of --vars files and the inventory")
	f.StringVar(&o.Render, "render", "", "print `FILE` as rendered for each selected host (like goss render), without connecting")
	f.BoolVar(&o.ValidateOnly, "validate-only", false, "load, render and validate the check files for each selected host, without connecting")
	ops.AddFlags(f)
	return cmd
}

// runCheck runs the checks and renders the results. With -o nagios, every
// failure to run is a status line too, in state UNKNOWN.
func runCheck(ctx context.Context, a *app, o *checkOptions) error {
	return a.nagiosUnknown(runChecks(ctx, a, o), a.g.Output == report.FormatNagios)
}

// nagiosUnknown reports err, when nagios, as a Nagios plugin does: an
// UNKNOWN status line saying why, exit 3.
func (a *app) nagiosUnknown(err error, nagios bool) error {
	var ee exitError
	if err == nil || !nagios || errors.As(err, &ee) {
		return err
	}
	fmt.Fprint(a.io.Out, report.NagiosLine(report.NagiosUnknown, firstErrorLine(err), ""))
	fmt.Fprintf(a.io.Err, "remotectl: %v\n", err)
	return exitError{nagiosExitCode(report.NagiosUnknown)}
}

// outputFlag returns the output format a command line asks for, read
// before cobra parses it (a bad flag stops the parse): the last -o or
// --output before "--", else REMOTECTL_OUTPUT.
func outputFlag(args []string, getenv func(string) string) string {
	out := getenv("REMOTECTL_OUTPUT")
	for i := 0; i < len(args) && args[i] != "--"; i++ {
		arg := args[i]
		switch {
		case (arg == "-o" || arg == "--output") && i+1 < len(args):
			out = args[i+1]
			i++
		case strings.HasPrefix(arg, "--output="):
			out = strings.TrimPrefix(arg, "--output=")
		case strings.HasPrefix(arg, "-o") && !strings.HasPrefix(arg, "--"):
			out = strings.TrimPrefix(strings.TrimPrefix(arg, "-o"), "=")
		}
	}
	return strings.ToLower(out)
}

func runChecks(ctx context.Context, a *app, o *checkOptions) error {
	if o.RetryTimeout < 0 || o.Sleep < 0 {
		return usageError{errors.New("--retry-timeout and --sleep must not be negative")}
	}
	opsRun, err := a.newOpsRun(ops.Command{Name: "check", Args: o.Files})
	if err != nil {
		return err
	}
	ropts := report.CheckOptions{
		Format:  a.g.Output,
		Out:     a.io.Out,
		Color:   a.useColor(),
		Unicode: a.io.OutTTY && a.io.Getenv("TERM") != "dumb",
		Quiet:   a.g.Quiet,
		Verbose: a.g.Verbose > 0,
		Width:   a.io.Width,
	}
	if err := ropts.Validate(); err != nil {
		return usageError{err}
	}
	// ops: lock, jitter, deadline (runCtx), inventory, --rerun, quiet.
	runCtx, inv, err := a.beginWithInventory(ctx, opsRun)
	defer opsRun.Close()
	if err != nil {
		return err
	}
	hosts, err := a.selectTargets(inv, "check")
	if err != nil {
		return err
	}
	tv, err := newTemplateVars(o)
	if err != nil {
		return err
	}
	if o.Render != "" {
		return renderCheckFile(a.io.Out, o.Render, hosts, tv)
	}
	plans, err := planChecks(inv, hosts, o.Files, tv)
	if err != nil {
		return err
	}
	if o.ValidateOnly {
		return validatePlans(a.io.Out, plans)
	}
	opsRun.Secrets().Add(a.hostSecrets(hosts)...)
	if ropts.Verbose {
		if skipped := hostsWithoutChecks(hosts, plans); len(skipped) > 0 {
			fmt.Fprintf(a.io.Err, "remotectl: no check applies to %s\n", nodeset.Fold(skipped))
		}
	}
	if plans, err = rerunPlans(opsRun, a, plans); err != nil {
		return err
	}
	return runPlans(ctx, runCtx, a, opsRun, plans, ropts, checks.RunOptions{RetryTimeout: o.RetryTimeout, Sleep: o.Sleep})
}

// runPlans checks every planned host, one connection per host, and decides
// the exit code from the results. Hosts run under runCtx (the run's
// deadline); ctx tells an interruption.
func runPlans(ctx, runCtx context.Context, a *app, opsRun *ops.Run, plans []*hostPlan, ropts report.CheckOptions, runOpts checks.RunOptions) error {
	targets := make([]remote.Target, len(plans))
	offline := make(map[string]bool)
	for i, p := range plans {
		targets[i] = a.target(p.host)
		if p.offline {
			offline[p.host.Name] = true
		}
	}
	dialer, err := a.newDialer(secrets{}, targets)
	if err != nil {
		return err
	}
	defer dialer.Close()

	index := make(map[*remote.Target]int, len(targets))
	for i := range targets {
		index[&targets[i]] = i
	}
	job := func(ctx context.Context, t remote.Transport, hio remote.HostIO) (remote.Result, error) {
		i := index[hio.Target]
		res, err := plans[i].run(ctx, t, runOpts)
		if err != nil {
			return remote.Result{}, err
		}
		maskCheckResults(opsRun.Secrets(), res)
		return remote.Result{ExitCode: failedExitCode(res), Detail: res}, nil
	}
	ropts = opsRun.CheckReportOptions(ropts, targets)
	runner := &remote.Runner{Dialer: opsRun.WatchDial(checkDialer{Dialer: dialer, offline: offline}), Forks: a.g.Forks, Timeout: a.g.Timeout}
	events := opsRun.ObserveChecks(runner.Run(runCtx, targets, job), targets)
	summary, renderErr := report.RenderChecks(events, targets, ropts)
	if renderErr != nil {
		// The run itself is complete: the output problem is its exit code (74).
		opsRun.OutputFailed(renderErr)
	}
	// ops: deadline bit, run record, report, textfile, syslog, log.
	code := opsRun.FinishChecks(summary, checkExitCode(summary, ropts.Format == report.FormatNagios, ctx.Err() != nil), checkTextfile)
	if code != exitOK {
		return exitError{code}
	}
	return nil
}

// failedExitCode is the exit code a check job reports to generic code: 1
// when some property failed.
func failedExitCode(res []checks.Result) int {
	for i := range res {
		if res[i].Status == checks.Fail {
			return 1
		}
	}
	return 0
}

// hostPlan is what one host checks.
type hostPlan struct {
	host   *inventory.Host
	info   checks.HostInfo // what the host's templates saw
	checks []*checks.Check // the host's checks, templates executed
	failed []checks.Result // checks whose templates failed for this host, as errors
	// offline: every check is observed from the controller or skipped, so
	// the host needs no connection.
	offline bool
}

// run evaluates the host's checks over t (unused when the plan is offline).
// It returns the context's error when the host's time ran out, so the host
// is reported as timed out (or cancelled) rather than with partial results.
func (p *hostPlan) run(ctx context.Context, t remote.Transport, opts checks.RunOptions) ([]checks.Result, error) {
	var exec checks.Executor = t
	if p.offline {
		exec = nil
	}
	res := slices.Clone(p.failed)
	res = append(res, checks.Run(ctx, exec, p.info, p.checks, opts)...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// planChecks loads each host's check files, rendered for the host, and
// decides which checks it runs: those from files (or, without files, from
// the files its inventory variable names) whose hosts: pattern selects it.
// Hosts no check applies to are left out; none left is a usage error.
// Every problem in the files is reported at once, as an input error.
func planChecks(inv *inventory.Inventory, hosts []*inventory.Host, files []string, tv templateVars) ([]*hostPlan, error) {
	filesOf, err := checkFiles(hosts, files)
	if err != nil {
		return nil, err
	}
	loader := &checks.Loader{}
	var loadErrs hostErrors
	sel := newHostSelector(inv)
	var plans []*hostPlan
	anyCheck := false
	for _, h := range hosts {
		info := tv.host(h)
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
		plans = append(plans, &hostPlan{host: h, info: info, checks: rendered, failed: failed, offline: !needsConnection(rendered)})
	}
	switch {
	case loadErrs.first != nil:
		return nil, inputError{loadErrs.err()}
	case !anyCheck:
		return nil, usageError{errors.New("the check files hold no check: write resource types at their top level (file:, port:, command:, ...)")}
	case len(plans) == 0:
		return nil, usageError{fmt.Errorf("no check applies to the selected hosts (%s): the checks' hosts: patterns select none of them", foldHosts(hosts))}
	}
	return plans, nil
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
		paths, err := hostCheckFiles(h)
		if err != nil {
			if origin := h.VarOrigin(checkFilesVar); !reported[origin] {
				reported[origin] = true
				errs = append(errs, err)
			}
			continue
		}
		perHost[h] = paths
	}
	if len(errs) > 0 {
		return nil, inputError{errors.Join(errs...)}
	}
	if len(perHost) == 0 || !slices.ContainsFunc(hosts, func(h *inventory.Host) bool { return len(perHost[h]) > 0 }) {
		return nil, usageError{fmt.Errorf("no check files: name them as arguments or with -F FILE, or in the inventory with the variable %q (checks: [web.yaml]) on the hosts or their groups", checkFilesVar)}
	}
	return func(h *inventory.Host) []string { return perHost[h] }, nil
}

// templateVars are the template inputs every host shares: the command
// line's variables and the controller's environment.
type templateVars struct {
	vars map[string]any
	env  map[string]string
}

// newTemplateVars reads --vars and --vars-inline; a bad one is an input
// error.
func newTemplateVars(o *checkOptions) (templateVars, error) {
	vars, err := checks.LoadVars(o.VarsFiles, o.VarsInline)
	if err != nil {
		return templateVars{}, inputError{err}
	}
	env := make(map[string]string)
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return templateVars{vars: vars, env: env}, nil
}

// host returns what the templates of host h see: its inventory variables,
// those of the command line replacing them.
func (tv templateVars) host(h *inventory.Host) checks.HostInfo {
	return checks.HostInfo{Name: h.Name, Vars: checks.MergeVars(h.Vars, tv.vars), Env: tv.env}
}

// renderCheckFile prints a check file as rendered for each host, like goss
// render: hosts that render it alike share one copy, under a comment
// naming them. A template error is an input error.
func renderCheckFile(out io.Writer, path string, hosts []*inventory.Host, tv templateVars) error {
	loader := &checks.Loader{}
	var texts []string
	byText := make(map[string][]string)
	var errs hostErrors
	for _, h := range hosts {
		text, err := loader.Render(path, tv.host(h))
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
		return inputError{errs.err()}
	}
	for _, text := range texts {
		fmt.Fprintf(out, "# %s rendered for %s\n%s", path, nodeset.Fold(byText[text]), text)
		if !strings.HasSuffix(text, "\n") {
			fmt.Fprintln(out)
		}
	}
	return nil
}

// validatePlans reports the plans of --validate-only: the checks whose
// values failed to render are input errors; else one line says what would
// run.
func validatePlans(out io.Writer, plans []*hostPlan) error {
	var errs []error
	n := 0
	for _, p := range plans {
		n += len(p.checks)
		for _, r := range p.failed {
			errs = append(errs, fmt.Errorf("%s: %s", p.host.Name, r.Message))
		}
	}
	if len(errs) > 0 {
		return inputError{errors.Join(errs...)}
	}
	names := make([]string, len(plans))
	for i, p := range plans {
		names[i] = p.host.Name
	}
	fmt.Fprintf(out, "valid: %d checks for %s\n", n, nodeset.Fold(names))
	return nil
}

// hostCheckFiles returns the check files a host's "checks" variable names:
// a list of paths, or one path.
func hostCheckFiles(h *inventory.Host) ([]string, error) {
	v, ok := h.Vars[checkFilesVar]
	if !ok || v == nil {
		return nil, nil
	}
	bad := func() error {
		where := "of host " + h.Name
		if origin := h.VarOrigin(checkFilesVar); origin != "" {
			where = "from " + origin
		}
		return fmt.Errorf("the variable %q %s must be a list of check file paths, not %s; hint: checks: [web.yaml, base.yaml]",
			checkFilesVar, where, describeValue(v))
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

// hostSelector evaluates the hosts: patterns of checks against the
// inventory, each pattern once.
type hostSelector struct {
	inv  *inventory.Inventory
	sets map[string]map[string]bool // pattern -> names of the hosts it selects
}

func newHostSelector(inv *inventory.Inventory) *hostSelector {
	return &hostSelector{inv: inv, sets: make(map[string]map[string]bool)}
}

// selects reports whether check c applies to the host called name. A
// pattern naming no known host or group is an input error at the check's
// position; a glob, regex or range matching nothing selects no host.
func (s *hostSelector) selects(c *checks.Check, name string) (bool, error) {
	if strings.TrimSpace(c.Hosts) == "" {
		return true, nil
	}
	set, ok := s.sets[c.Hosts]
	if !ok {
		hosts, err := s.inv.Select(c.Hosts, "")
		if err != nil && !errors.Is(err, inventory.ErrNoMatch) {
			return false, inputError{fmt.Errorf("%s: hosts: %w", c.Pos, err)}
		}
		set = make(map[string]bool, len(hosts))
		for _, h := range hosts {
			set[h.Name] = true
		}
		s.sets[c.Hosts] = set
	}
	return set[name], nil
}

// hostsWithoutChecks returns the names of the selected hosts that have no
// plan.
func hostsWithoutChecks(hosts []*inventory.Host, plans []*hostPlan) []string {
	planned := make(map[*inventory.Host]bool, len(plans))
	for _, p := range plans {
		planned[p.host] = true
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

// firstErrorLine returns the first line of an error's message.
func firstErrorLine(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// checkDialer connects to hosts, except those whose checks are all observed
// from the controller: they get a transport that refuses every use.
type checkDialer struct {
	remote.Dialer
	offline map[string]bool // by host name
}

func (d checkDialer) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	if d.offline[t.Name] {
		return noConnection{}, nil
	}
	return d.Dialer.Dial(ctx, t)
}

// noConnection stands for a host checked from the controller only. A job
// must not use it; if one does, every call fails.
type noConnection struct{}

var errNoConnection = &remote.Error{Class: remote.ClassOther, Op: "run",
	Err: errors.New("no connection was made to this host: all its checks are observed from the controller")}

func (noConnection) Run(context.Context, *remote.Cmd) (remote.Result, error) {
	return remote.Result{}, errNoConnection
}

func (noConnection) Upload(context.Context, string, io.Reader, fs.FileMode) error {
	return errNoConnection
}

func (noConnection) Download(context.Context, string, io.Writer) error { return errNoConnection }

func (noConnection) OS() remote.OSFamily { return remote.OSUnknown }

func (noConnection) Close() error { return nil }
